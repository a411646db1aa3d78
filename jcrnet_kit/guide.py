"""The generated parts of ``docs/PORTING_GUIDE.md``: one block of the two model files side by side, and the table of
the published code's pitfalls with the mutant and the parity test that catch each.

The guide itself is written by hand (its command outputs are real runs, dated); the parts between
``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` are rewritten by ``refresh`` (``make docs``), and
``jcrnet api-map --check`` / ``parity_tests/test_docs.py`` fail when they are stale. Sources are read as text
(``ast``), so nothing here imports a framework.
"""

from __future__ import annotations

import ast
import difflib
import html
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "PORTING_GUIDE.md"
TORCH_BLOCKS = "torch_reference/blocks.py"
MINDSPORE_BLOCKS = "mindspore_impl/blocks.py"
#: The block the guide shows side by side: it has a chunk, a concat, a norm on half the channels and two outputs.
SIDE_BY_SIDE_CLASS = "UNetConvBlock"


@dataclass(frozen=True)
class Pitfall:
    """One pitfall of the published MindSpore code (numbered as in the reference notes), the kit's answer, the
    mutants that reproduce it and the parity tests that catch them."""

    number: int
    pitfall: str
    fix: str
    mutants: Tuple[str, ...]
    tests: Tuple[str, ...]
    suggested_mutant: str = ""  # where no mutant in the catalogue reproduces it yet: the one to add


LAYER_PARITY = "parity_tests/test_layer_parity.py::test_layer_parity"
CONFORMANCE = "parity_tests/test_conformance.py::"

PITFALLS: Tuple[Pitfall, ...] = (
    Pitfall(1, "`nn.Conv2d` defaults `has_bias=False, pad_mode='same'` (torch: `bias=True, padding=0`)",
            "every conv passes `pad_mode='pad'`, `padding` and `has_bias` from the spec",
            ("conv_has_bias_default", "conv_pad_mode_same_default"),
            (f"{LAYER_PARITY}[published-stage1_encoder.body.0-eval]",
             CONFORMANCE + "test_mindspore_parameter_names_and_shapes",
             CONFORMANCE + "test_every_layer_matches_the_spec")),
    Pitfall(2, "`ops.leaky_relu` defaults to slope 0.2, torch's `F.leaky_relu` to 0.01 (SFT2)",
            "the slope is a spec option per preset (0.2 published, 0.01 torch-defaults), always passed",
            ("leaky_relu_default_slope",),
            (f"{LAYER_PARITY}[torch-defaults-illum.sft.sft0-eval]",)),
    Pitfall(3, "`def ResBlock(..., act=nn.PReLU())`: one slope shared by four blocks and by every model in the process",
            "sharing is spec data (`shared_groups`), per model instance",
            ("prelu_shared_across_models", "prelu_unshared"),
            (CONFORMANCE + "test_shared_within_one_model_never_across_models",
             CONFORMANCE + "test_mindspore_parameter_names_and_shapes")),
    Pitfall(4, "step sizes hard-coded to 0.4412 / 0.4965 where DGUNet learns them from 0.5",
            "preset `published` keeps the constants, `torch-defaults` learns them",
            ("step_size_constant",),
            (CONFORMANCE + "test_every_layer_matches_the_spec",
             "parity_tests/test_forward_parity.py::test_forward_parity_pynative")),
    Pitfall(5, "BatchNorm: momentum 0.9 is torch's 0.1; gamma/beta/moving_* names; no `num_batches_tracked`",
            "`momentum = 1 - spec momentum`; names from `PARAM_RULES`",
            ("batchnorm_momentum_convention", "batchnorm_gamma_beta_swapped", "batchnorm_eps"),
            (f"{LAYER_PARITY}[published-illum-train]", f"{LAYER_PARITY}[published-illum-eval]",
             "parity_tests/test_layer_parity.py::test_batchnorm_running_variance_is_unbiased_in_both")),
    Pitfall(6, "InstanceNorm2d: MindSpore keeps moving statistics torch has not, and has no CPU kernel in 2.10",
            "half-instance-norm built from reductions, keeping the four published parameters",
            ("instance_norm_moving_statistics", "instance_norm_unbiased_variance", "hin_wrong_half"),
            (f"{LAYER_PARITY}[published-stage1_encoder.body.1-eval]",
             CONFORMANCE + "test_mindspore_checkpoint_has_the_published_layout_and_reloads_strictly")),
    Pitfall(7, "`Tensor(input)` in the illumination net cuts the gradient",
            "the input is used as it is",
            ("gradient_cut_rewrap",),
            (f"{LAYER_PARITY}[published-illum-eval]",
             "parity_tests/test_training_parity.py::test_whole_model_gradients")),
    Pitfall(8, "PReLU's slope is `w`; Dense and ConvTranspose weights have the same layout in both",
            "names from `PARAM_RULES`; weights copied, never transposed",
            ("dense_weight_transposed", "conv_transpose_weight_transposed"),
            (f"{LAYER_PARITY}[published-lbp.fusion-eval]", f"{LAYER_PARITY}[published-stage1_decoder.body.0-eval]")),
    Pitfall(9, "the file does not run: `ipdb` calls, an IndentationError, `torch.abs` in the unused `mergeblock`, "
               "`forward` instead of `construct` in the unused `UpSample`",
            "the unused modules that hold parameters exist (strict loading) and are never called",
            ("construct_named_forward",),
            (f"{LAYER_PARITY}[published-lbp.conv1_1-eval]", f"{LAYER_PARITY}[published-lbp-eval]")),
    Pitfall(10, "against DLN: the fusion layer's reduction is 3 (DLN 16) and LBP returns the residual branch only",
            "the spec says so; both models follow it",
            ("lbp_returns_sum",),
            (f"{LAYER_PARITY}[published-lbp-eval]", f"{LAYER_PARITY}[torch-defaults-lbp-eval]")))


# --- the side-by-side block ----------------------------------------------------------------------------------------

def class_source(path: str, name: str) -> str:
    """The source text of class ``name`` in the file ``path`` (relative to the repository root)."""
    text = (ROOT / path).read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return ast.get_source_segment(text, node)
    raise KeyError(f"{path} has no class {name}")


def outline(path: str) -> List[Tuple[str, Tuple[str, ...]]]:
    """(class name, method names) of every top-level class of a file, in order; ``construct`` reads as ``forward``."""
    out = []
    for node in ast.parse((ROOT / path).read_text()).body:
        if isinstance(node, ast.ClassDef):
            methods = tuple("forward" if n.name == "construct" else n.name for n in node.body
                            if isinstance(n, ast.FunctionDef))
            out.append((node.name, methods))
    return out


def _changed_words(left: str, right: str) -> List[Tuple[str, str]]:
    pairs = []
    a, b = re.findall(r"\w+(?:\.\w+)*|\S", left), re.findall(r"\w+(?:\.\w+)*|\S", right)
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag != "equal":
            pairs.append((" ".join(a[i1:i2]), " ".join(b[j1:j2])))
    return pairs


def side_by_side(name: str = SIDE_BY_SIDE_CLASS) -> str:
    torch_lines = class_source(TORCH_BLOCKS, name).splitlines()
    ms_lines = class_source(MINDSPORE_BLOCKS, name).splitlines()
    if len(torch_lines) != len(ms_lines):
        raise ValueError(f"{name} has {len(torch_lines)} lines in {TORCH_BLOCKS}, {len(ms_lines)} in "
                         f"{MINDSPORE_BLOCKS}; the two files must mirror each other line for line")
    changes: Dict[Tuple[str, str], None] = {}
    differing = 0
    for left, right in zip(torch_lines, ms_lines):
        if left != right:
            differing += 1
            changes.update(dict.fromkeys(_changed_words(left, right)))

    def cell(lines: List[str]) -> str:
        return "<pre>" + html.escape("\n".join(lines)) + "</pre>"

    return "\n".join([
        "<table>",
        f"<tr><th><a href=\"../{TORCH_BLOCKS}\">{TORCH_BLOCKS}</a></th>"
        f"<th><a href=\"../{MINDSPORE_BLOCKS}\">{MINDSPORE_BLOCKS}</a></th></tr>",
        f"<tr><td>\n\n{cell(torch_lines)}\n\n</td><td>\n\n{cell(ms_lines)}\n\n</td></tr>",
        "</table>",
        "",
        f"{differing} of {len(torch_lines)} lines differ, and only in these words: "
        + "; ".join(f"`{a}` -> `{b}`" for a, b in changes) + ".",
    ])


# --- the pitfall table ---------------------------------------------------------------------------------------------

def pitfall_table() -> str:
    from jcrnet_kit.apimap import mutant_link, parity_test_link

    lines = ["| # | pitfall of the published code | the kit | mutant | caught by |", "| --- | --- | --- | --- | --- |"]
    for p in PITFALLS:
        mutants = ", ".join(mutant_link(m, "API_MAPPING.md") for m in p.mutants) or f"none yet; to add: " \
                                                                                       f"{p.suggested_mutant}"
        tests = "<br>".join(parity_test_link(t) for t in p.tests)
        lines.append(f"| {p.number} | {p.pitfall} | {p.fix} | {mutants} | {tests} |")
    return "\n".join(lines)


GENERATED: Dict[str, Callable[[], str]] = {
    "side-by-side": side_by_side,
    "pitfalls": pitfall_table,
}

_REGION = re.compile(r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)", re.S)


def refresh(text: str) -> str:
    """``text`` with every generated region rewritten from the sources (unknown region names raise)."""
    def replace(match: re.Match) -> str:
        name = match.group("name")
        if name not in GENERATED:
            raise KeyError(f"unknown generated region {name!r}; known: {', '.join(GENERATED)}")
        return match.group(1) + GENERATED[name]() + "\n" + match.group(4)

    return _REGION.sub(replace, text)


def regions(text: str) -> List[str]:
    return [m.group("name") for m in _REGION.finditer(text)]


def main(argv: List[str]) -> int:
    path = Path(argv[0]) if argv else GUIDE
    text = path.read_text()
    fresh = refresh(text)
    if fresh != text:
        from convert.atomic import write_text

        write_text(path, fresh)
        print(f"refreshed {', '.join(regions(text))} in {path}")
    else:
        print(f"{path} is current")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
