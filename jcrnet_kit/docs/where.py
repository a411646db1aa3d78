"""``jcrnet where``: everything the kit knows about one layer or parameter, from a spec path or a key of either naming.

For a spec path (``illum.sft.sft0.SFT_shift_conv1``) or a key (``lbp.conv2.conv_Encoder.act.weight`` in torch
naming, ``lbp.conv2.conv_Encoder.act.w`` in MindSpore naming): the spec entry and its kind per preset, the
``file:line`` of the torch and MindSpore code that builds it (read with ``ast``; no framework is imported), its keys in
both namings with the rule that maps them, its tolerance budgets with their reasons, and the ids of the parity tests
that check it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cache
from typing import Dict, List, Optional, Tuple

from jcrnet_kit.docs.links import ROOT
from jcrnet_kit.errors import KitError
from jcrnet_kit.parity import cases, tolerances
from jcrnet_spec import PRESETS, Architecture, architecture, param_table
from jcrnet_spec.dataflow import is_called, layers
from jcrnet_spec.layers import RUNNING_STAT, TRAINABLE, Leaf
from jcrnet_spec.naming import ParamEntry

IMPLEMENTATION_DIRS = {"torch": "torch_reference", "mindspore": "mindspore_impl"}
#: Keys listed in full for a block; more are counted.
LISTED_KEYS = 12


@dataclass(frozen=True)
class Location:
    file: str  # relative to the repository root
    line: int
    name: str  # the function or class

    def __str__(self) -> str:
        return f"{self.file}:{self.line} {self.name}"


@dataclass
class Answer:
    """What ``where`` found for one query in one preset."""

    query: str
    preset: str
    path: str  # the spec path of the layer (for a key: the layer holding it)
    node: object
    matched: str  # "spec path", "torch key" or "MindSpore key"
    entries: List[ParamEntry] = field(default_factory=list)  # the stored tensors it holds (or the matched one)


@cache
def _definitions(file: str) -> Dict[str, int]:
    """Top-level function and class names of a source file -> line."""
    tree = ast.parse((ROOT / file).read_text())
    return {node.name: node.lineno for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


@cache
def _factories(file: str) -> Dict[str, Location]:
    """``LEAF_FACTORIES`` of a ``layers.py``: leaf kind -> where its factory is defined (a lambda: the table entry)."""
    for node in ast.parse((ROOT / file).read_text()).body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "LEAF_FACTORIES":
            found = {}
            for key, value in zip(node.value.keys, node.value.values):
                if isinstance(value, ast.Name):
                    found[key.value] = Location(file, _definitions(file)[value.id], value.id)
                else:
                    found[key.value] = Location(file, value.lineno, f"LEAF_FACTORIES[{key.value!r}]")
            return found
    raise KitError(f"{file}: no LEAF_FACTORIES table")


def builder(framework: str, node) -> Location:
    """Where ``framework``'s implementation builds ``node``: the leaf factory in ``layers.py``, the block class in
    ``blocks.py`` (``make_block`` for the spec's Sequential / List containers)."""
    package = IMPLEMENTATION_DIRS[framework]
    if isinstance(node, Leaf):
        return _factories(f"{package}/layers.py")[node.kind]
    file = f"{package}/blocks.py"
    name = node.kind if node.kind in _definitions(file) else "make_block"
    return Location(file, _definitions(file)[name], name)


@cache
def _table(preset: str) -> Tuple[ParamEntry, ...]:
    return tuple(param_table(architecture(preset)))


def _layer_of_key(arch: Architecture, key: str, naming: str) -> Optional[Tuple[str, ParamEntry]]:
    for entry in _table(arch.preset.name):
        if naming == "torch" and key in entry.torch_keys:
            return key[: -len(entry.rule.torch) - 1] if entry.rule.torch else key, entry
        if naming == "mindspore" and key == entry.mindspore_key:
            rule = entry.rule.mindspore
            return key[: -len(rule) - 1] if rule else key, entry
    return None


def _entries_under(arch: Architecture, path: str) -> List[ParamEntry]:
    """Stored tensors of the module at ``path`` and below (a shared layer: its one entry, whichever path)."""
    out = []
    for entry in _table(arch.preset.name):
        group = arch.shared_group_of(entry.layer)
        paths = group.paths if group else (entry.layer,)
        if any(p == path or p.startswith(path + ".") for p in paths):
            out.append(entry)
    return out


def lookup(query: str, presets=tuple(PRESETS)) -> List[Answer]:
    """Every preset's answer for ``query``; ``KitError`` when no preset knows it."""
    answers = []
    for preset in presets:
        arch = architecture(preset)
        try:
            node = arch.node(query)
        except KeyError:
            node = None
        if node is not None:
            answers.append(Answer(query, preset, query, node, "spec path", _entries_under(arch, query)))
            continue
        found = {naming: _layer_of_key(arch, query, naming) for naming in ("torch", "mindspore")}
        namings = [label for naming, label in (("torch", "torch"), ("mindspore", "MindSpore")) if found[naming]]
        if namings:
            layer, entry = found["torch"] or found["mindspore"]
            answers.append(Answer(query, preset, layer, arch.node(layer), f"{' and '.join(namings)} key", [entry]))
    if not answers:
        raise KitError(f"{query!r} is neither a spec path nor a torch or MindSpore key of JCRNet (presets "
                       f"{', '.join(presets)}); spec paths look like illum.sft.sft0.SFT_shift_conv1")
    return answers


def _quantities(node, entries: List[ParamEntry]) -> List[str]:
    quantities = ["output", "input_grad"]
    if any(e.role == TRAINABLE for e in entries):
        quantities.append("param_grad")
    if any(e.role == RUNNING_STAT for e in entries):
        quantities.append("running_stat")
    return quantities


def budgets(answer: Answer) -> List[Tuple[str, object]]:
    """(what, budget) pairs that judge this layer: alone (per quantity, eval and train), inside the whole model, and
    for its parameters in the whole-model backward."""
    node, out = answer.node, []
    arch = architecture(answer.preset)
    if not is_called(node) or not arch.is_used(answer.path):
        return out
    for quantity in _quantities(node, answer.entries):
        for mode in cases.modes_of(node):
            holder = answer.entries[0].kind if quantity in ("param_grad", "running_stat") and answer.entries else \
                node.kind
            out.append((f"alone, {quantity}, {mode}", tolerances.budget_for(holder, quantity)))
    out.append(("inside the whole model (jcrnet verify)", tolerances.in_model_budget(node.kind)))
    for kind in sorted({e.kind for e in answer.entries if e.role == TRAINABLE}):
        out.append((f"whole-model gradient of a {kind} parameter", tolerances.whole_model_budget(kind, "param_grad")))
    return out


def checked_by(answer: Answer) -> List[str]:
    """Parity tests that check this layer or its tensors."""
    arch = architecture(answer.preset)
    preset = answer.preset
    ids = cases.layer_test_ids(arch, answer.path)
    if isinstance(answer.node, Leaf):
        ids += [f"{cases.CONFORMANCE}::test_every_layer_matches_the_spec[{preset}-{f}]" for f in cases.IMPLEMENTATIONS]
    if answer.entries:
        ids += [f"{cases.CONFORMANCE}::test_torch_state_dict_names_and_shapes[{preset}]",
                f"{cases.CONFORMANCE}::test_mindspore_parameter_names_and_shapes[{preset}]",
                f"{cases.KEY_LISTS}::test_torch_keys_equal_published_list[{preset}]",
                f"{cases.KEY_LISTS}::test_name_maps_round_trip_exactly[{preset}]"]
    if any(e.role == TRAINABLE for e in answer.entries) and arch.is_used(answer.path):
        ids += [f"{cases.WHOLE_MODEL}::test_whole_model_gradients[{preset}-{m}]" for m in cases.MODES]
    return ids


def _key_lines(entries: List[ParamEntry]) -> List[str]:
    lines = []
    for entry in entries[:LISTED_KEYS]:
        torch_keys = " = ".join(entry.torch_keys) or "(none: MindSpore only)"
        ms_key = entry.mindspore_key or "(none: torch only)"
        rule = f"{entry.rule.torch or '(path)'} -> {entry.rule.mindspore or '(path)'}" if entry.rule.torch is not None \
            and entry.rule.mindspore is not None else entry.role.replace("_", " ")
        lines.append(f"    {torch_keys}  <->  {ms_key}   [{entry.kind} rule {rule}; {entry.role}; "
                     f"shape {tuple(entry.shape)}]")
    if len(entries) > LISTED_KEYS:
        lines.append(f"    ... and {len(entries) - LISTED_KEYS} more (ask `jcrnet where` for a leaf below)")
    return lines


def describe(answer: Answer) -> List[str]:
    arch = architecture(answer.preset)
    node = answer.node
    spec = node.describe() if isinstance(node, Leaf) else f"{node.kind} block ({len(node.children)} children)"
    lines = [f"{answer.query}  [{answer.matched}, preset {answer.preset}]"]
    if answer.path != answer.query:
        lines.append(f"  layer:      {answer.path}")
    lines.append(f"  spec:       {spec}")
    parent = answer.path.rsplit(".", 1)[0] if "." in answer.path else ""
    lines.append(f"  parent:     {parent or '(root)'} ({(arch.node(parent) if parent else arch.root).kind})")
    called = {p for p, _ in layers(arch)}
    if not arch.is_used(answer.path):
        lines.append("  called:     no: an unused module (in every checkpoint, so published weights load strictly)")
    elif answer.path not in called:
        lines.append("  called:     not itself (a container or a held parameter); its parent's forward uses it")
    group = arch.shared_group_of(answer.path)
    if group:
        lines.append(f"  shared:     one module at {', '.join(group.paths)} (group {group.name}); MindSpore saves it "
                     f"once, under {group.mindspore_path}")
    for framework in IMPLEMENTATION_DIRS:
        lines.append(f"  {framework + ':':<11} {builder(framework, node)}")
    if answer.entries:
        lines.append(f"  keys (torch <-> MindSpore), {len(answer.entries)} tensor(s):")
        lines += _key_lines(answer.entries)
    else:
        lines.append("  keys:       none (holds no stored tensor)")
    found = budgets(answer)
    if found:
        lines.append("  budgets:")
        for what, budget in found:
            lines.append(f"    {what}: {budget.describe()}")
    else:
        lines.append("  budgets:    none (not called by the forward pass: no output to compare)")
    lines.append("  tests:")
    lines += [f"    {test}" for test in checked_by(answer)]
    return lines
