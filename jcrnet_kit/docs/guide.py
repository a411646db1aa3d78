"""The generated parts of ``docs/PORTING_GUIDE.md``: one block of the two model files side by side, and the table of
the published code's pitfalls with the mutant and the parity test that catch each.

The guide itself is written by hand (its command outputs are real runs, dated); the parts between
``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` are rewritten from ``GENERATED`` by
``jcrnet_kit.docs.regions`` (``make docs``). Sources are read as text (``ast``), so nothing here imports a framework.
"""

from __future__ import annotations

import ast
import difflib
import html
import re
from typing import Callable, Dict, List, Tuple

from jcrnet_kit.docs.links import ROOT, mutant_link, parity_test_link
from jcrnet_kit.docs.pitfalls import PITFALLS

TORCH_BLOCKS = "torch_reference/blocks.py"
MINDSPORE_BLOCKS = "mindspore_impl/blocks.py"
#: The block the guide shows side by side: it has a chunk, a concat, a norm on half the channels and two outputs.
SIDE_BY_SIDE_CLASS = "UNetConvBlock"


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
