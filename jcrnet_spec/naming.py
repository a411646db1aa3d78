"""Parameter names and shapes in both frameworks, and the name maps between them, derived from the spec.

Everything here works on plain mappings of name -> array (NumPy or anything with ``.shape``); it is the single
place where torch and MindSpore naming meet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from jcrnet_spec.architecture import PRESETS, Architecture, Block, architecture
from jcrnet_spec.errors import UnknownChoiceError, UserError
from jcrnet_spec.layers import (
    MINDSPORE_ONLY_STAT, MINDSPORE_ORDER, TORCH_ONLY_COUNTER, ParamRule, Shape,
)


def _key(path: str, leaf_name: str) -> str:
    return f"{path}.{leaf_name}" if leaf_name else path


@dataclass(frozen=True)
class ParamEntry:
    """One stored tensor of the model, with every name it has in either framework."""

    layer: str  # attribute path of the layer (the first path, for a shared layer)
    kind: str
    rule: ParamRule
    shape: Shape
    torch_keys: Tuple[str, ...]  # several for a shared layer; empty where torch lacks it
    mindspore_key: Optional[str]  # None where MindSpore lacks it

    @property
    def role(self) -> str:
        return self.rule.role


def param_table(arch: Architecture) -> List[ParamEntry]:
    """Every stored tensor once, in torch state_dict order of first appearance."""
    entries = []
    for path, leaf in arch.leaves():
        group = arch.shared_group_of(path)
        if group is not None and path != group.paths[0]:
            continue
        paths = group.paths if group else (path,)
        ms_path = group.mindspore_path if group else path
        for rule, shape in leaf.param_shapes().items():
            torch_keys = tuple(_key(p, rule.torch) for p in paths) if rule.torch is not None else ()
            ms_key = _key(ms_path, rule.mindspore) if rule.mindspore is not None else None
            entries.append(ParamEntry(path, leaf.kind, rule, tuple(shape), torch_keys, ms_key))
    return entries


def torch_keys(arch: Architecture) -> List[Tuple[str, Shape]]:
    """The torch ``state_dict()`` keys and shapes, in order (a shared layer repeated under each path)."""
    keys = []
    for path, leaf in arch.leaves():
        for rule, shape in leaf.param_shapes().items():
            if rule.torch is not None:
                keys.append((_key(path, rule.torch), tuple(shape)))
    return keys


def mindspore_keys(arch: Architecture) -> List[Tuple[str, Shape]]:
    """The MindSpore checkpoint keys and shapes, in ``save_checkpoint`` order (a shared layer once)."""
    keys = []
    for path, leaf in arch.leaves():
        group = arch.shared_group_of(path)
        if group is not None and path != group.paths[0]:
            continue
        ms_path = group.mindspore_path if group else path
        shapes = {rule.mindspore: shape for rule, shape in leaf.param_shapes().items() if rule.mindspore is not None}
        order = MINDSPORE_ORDER.get(leaf.kind, tuple(shapes))
        keys.extend((_key(ms_path, name), tuple(shapes[name])) for name in order if name in shapes)
    return keys


class KeyMismatchError(UserError, ValueError):
    """Raised when a set of tensors does not match the expected names and shapes; lists every problem."""

    def __init__(self, what: str, missing: Sequence[str], unexpected: Sequence[str],
                 mismatched: Sequence[Tuple[str, Shape, Shape]], other: Sequence[str] = ()):
        self.missing, self.unexpected = list(missing), list(unexpected)
        self.mismatched, self.other = list(mismatched), list(other)
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing ({', '.join(self.missing)})")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unexpected ({', '.join(self.unexpected)})")
        if self.mismatched:
            shapes = ", ".join(f"{k} expected {tuple(e)} found {tuple(f)}" for k, e, f in self.mismatched)
            parts.append(f"{len(self.mismatched)} wrong shape ({shapes})")
        parts.extend(self.other)
        super().__init__(f"{what}: " + "; ".join(parts))


def compare_keys(
    tensors: Mapping[str, object], expected: Sequence[Tuple[str, Shape]]
) -> Tuple[List[str], List[str], List[Tuple[str, Shape, Shape]]]:
    """(missing, unexpected, wrongly shaped as (key, expected, found)) of ``tensors`` against ``expected``."""
    expected_shapes = dict(expected)
    missing = [k for k in expected_shapes if k not in tensors]
    unexpected = [k for k in tensors if k not in expected_shapes]
    mismatched = [
        (k, tuple(expected_shapes[k]), tuple(np.shape(v)))
        for k, v in tensors.items()
        if k in expected_shapes and tuple(np.shape(v)) != tuple(expected_shapes[k])
    ]
    return missing, unexpected, mismatched


def check_keys(tensors: Mapping[str, object], expected: Sequence[Tuple[str, Shape]], what: str) -> None:
    """Raise one ``KeyMismatchError`` naming every missing, unexpected and wrongly shaped tensor."""
    missing, unexpected, mismatched = compare_keys(tensors, expected)
    if missing or unexpected or mismatched:
        raise KeyMismatchError(what, missing, unexpected, mismatched)


#: The two namings a set of weights can have: torch ``state_dict`` keys or MindSpore checkpoint keys.
NAMINGS: Tuple[str, ...] = ("torch", "mindspore")


def layout_keys(arch: Architecture, naming: str) -> List[Tuple[str, Shape]]:
    """The keys and shapes of ``arch`` in one naming, in that framework's order."""
    if naming == "torch":
        return torch_keys(arch)
    if naming == "mindspore":
        return mindspore_keys(arch)
    raise UnknownChoiceError(f"unknown naming {naming!r}; choose one of {', '.join(NAMINGS)}")


@dataclass(frozen=True)
class LayoutMatch:
    """How a set of tensors compares with the exact key layout of one (naming, preset)."""

    naming: str
    preset: str
    missing: Tuple[str, ...]
    unexpected: Tuple[str, ...]
    mismatched: Tuple[Tuple[str, Shape, Shape], ...]

    @property
    def exact(self) -> bool:
        return not (self.missing or self.unexpected or self.mismatched)

    @property
    def distance(self) -> int:
        return len(self.missing) + len(self.unexpected) + len(self.mismatched)

    def describe(self) -> str:
        return f"{self.naming} naming, preset {self.preset!r}"

    def error(self, what: str) -> KeyMismatchError:
        return KeyMismatchError(f"{what} ({self.describe()})", self.missing, self.unexpected, self.mismatched)


def match_layouts(
    tensors: Mapping[str, object], namings: Sequence[str] = NAMINGS, presets: Optional[Sequence[str]] = None
) -> List[LayoutMatch]:
    """Compare ``tensors`` with every candidate layout; the closest first (fewest missing + unexpected + misshaped).

    Key sets are compared exactly, name for name; nothing is guessed from parts of names. At most one candidate
    can be exact, since no two (naming, preset) layouts share a key set.
    """
    matches = []
    for preset in presets or tuple(PRESETS):
        arch = architecture(preset)
        for naming in namings:
            missing, unexpected, mismatched = compare_keys(tensors, layout_keys(arch, naming))
            matches.append(LayoutMatch(naming, preset, tuple(missing), tuple(unexpected), tuple(mismatched)))
    return sorted(matches, key=lambda m: m.distance)


def torch_to_mindspore(state: Mapping[str, np.ndarray], arch: Architecture) -> Dict[str, np.ndarray]:
    """Torch state_dict naming -> MindSpore checkpoint naming, strictly.

    Shared layers collapse to MindSpore's single key (their copies must be equal); ``num_batches_tracked`` is
    dropped; MindSpore-only InstanceNorm statistics get MindSpore's initial values (they never reach the output), in
    the dtype of the layer's other parameters.
    """
    check_keys(state, torch_keys(arch), f"torch weights for preset {arch.preset.name!r}")
    out: Dict[str, np.ndarray] = {}
    layer_dtype: Dict[str, np.dtype] = {}
    diverged = []
    for entry in param_table(arch):
        if entry.mindspore_key is None:
            continue
        if not entry.torch_keys:
            dtype = layer_dtype.get(entry.layer, np.dtype(np.float32))
            out[entry.mindspore_key] = np.full(entry.shape, entry.rule.fill, dtype=dtype)
            continue
        first = np.asarray(state[entry.torch_keys[0]])
        layer_dtype.setdefault(entry.layer, first.dtype)
        if any(not np.array_equal(first, np.asarray(state[k])) for k in entry.torch_keys[1:]):
            diverged.append(" = ".join(entry.torch_keys))
        out[entry.mindspore_key] = first
    if diverged:
        raise KeyMismatchError(
            "torch weights", (), (), (), [f"shared parameters differ between their copies ({'; '.join(diverged)})"]
        )
    return out


def mindspore_to_torch(params: Mapping[str, np.ndarray], arch: Architecture) -> Dict[str, np.ndarray]:
    """MindSpore checkpoint naming -> torch state_dict naming, strictly, in state_dict order.

    Shared layers expand to every torch path; ``num_batches_tracked`` is set to 0; MindSpore-only InstanceNorm
    statistics are dropped (torch's InstanceNorm keeps none and they never reach the output).
    """
    check_keys(params, mindspore_keys(arch), f"MindSpore weights for preset {arch.preset.name!r}")
    by_torch_key: Dict[str, np.ndarray] = {}
    for entry in param_table(arch):
        if entry.role == TORCH_ONLY_COUNTER:
            value = np.zeros(entry.shape, dtype=np.int64)
        elif entry.role == MINDSPORE_ONLY_STAT:
            continue
        else:
            value = np.asarray(params[entry.mindspore_key])
        for key in entry.torch_keys:
            by_torch_key[key] = value
    return {key: by_torch_key[key] for key, _ in torch_keys(arch)}


@dataclass(frozen=True)
class LocalName:
    """One stored tensor of the module at some path, named relative to that path in each framework."""

    torch: Optional[str]  # None where torch lacks it
    mindspore: Optional[str]  # None where MindSpore lacks it
    kind: str  # of the leaf that holds it
    rule: ParamRule
    shape: Shape


def _join(*parts: str) -> str:
    return ".".join(p for p in parts if p)


def local_names(arch: Architecture, path: str) -> List[LocalName]:
    """The tensors of the module at ``path`` built alone (``assemble_at``), in torch order, with relative names.

    Refuses a subtree that holds two paths of one shared group (only the whole model does): built alone it would
    name the shared tensor differently from the whole model.
    """
    node = arch.node(path)
    groups = [g for g in arch.shared_groups if sum(p == path or p.startswith(path + ".") for p in g.paths) > 1]
    if groups:
        raise ValueError(f"{path!r} holds the shared group {groups[0].name!r}; build the whole model instead")
    leaves = [(path, node)] if not isinstance(node, Block) else [
        (p, leaf) for p, leaf in arch.leaves() if p.startswith(path + ".")]
    names = []
    for leaf_path, leaf in leaves:
        local = leaf_path[len(path) + 1:]
        for rule, shape in leaf.param_shapes().items():
            names.append(LocalName(None if rule.torch is None else _join(local, rule.torch),
                                   None if rule.mindspore is None else _join(local, rule.mindspore), leaf.kind,
                                   rule, tuple(shape)))
    return names


def torch_state_at(state: Mapping[str, np.ndarray], arch: Architecture, path: str) -> Dict[str, np.ndarray]:
    """The part of a whole-model torch state that the module at ``path`` holds, keyed relative to ``path``."""
    prefix = f"{path}."
    return {n.torch: state[prefix + n.torch] for n in local_names(arch, path) if n.torch is not None}


def torch_to_mindspore_at(state: Mapping[str, np.ndarray], arch: Architecture, path: str) -> Dict[str, np.ndarray]:
    """``torch_to_mindspore`` for the module at ``path`` built alone: relative torch keys -> relative MindSpore
    keys; ``num_batches_tracked`` dropped, MindSpore-only statistics filled as ``torch_to_mindspore`` fills them."""
    names = local_names(arch, path)
    check_keys(state, [(n.torch, n.shape) for n in names if n.torch is not None], f"torch weights of {path!r}")
    out: Dict[str, np.ndarray] = {}
    for n in names:
        if n.mindspore is None:
            continue
        out[n.mindspore] = (np.asarray(state[n.torch]) if n.torch is not None
                            else np.full(n.shape, n.rule.fill, dtype=np.float32))
    return out
