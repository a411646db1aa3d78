"""The shape of the code: no import cycle between the project's modules, commands that import no other command, models
built in one place, every numeric tolerance in ``jcrnet_kit/parity/tolerances.py``, and modules of a readable size.

The import graph is read from the source (``ast``): an edge A -> B for every ``import`` of a project module B anywhere
in A, at module level or inside a function (a lazy import is still a dependency). ``import a.b`` and
``from a.b import c`` point at ``a.b`` (``a.b.c`` when ``c`` is itself a module); importing a submodule is not counted
as importing its package's ``__init__``.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import Dict, List, Set

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("jcrnet_spec", "torch_reference", "mindspore_impl", "convert", "jcrnet_kit", "jcrnet_oracle")
#: Modules allowed above ``MAX_LINES`` because they are data tables (one entry per row), with what they hold.
DATA_TABLES = {
    "jcrnet_kit/docs/topics.py": "the API map's rows",
    "jcrnet_kit/docs/claims.py": "the API map's executable claims, one function per row",
    "jcrnet_kit/mutants/catalogue.py": "the mutant catalogue, one patch function per porting bug",
    "jcrnet_spec/architecture.py": "the module tree of JCRNet",
    "jcrnet_kit/parity/tolerances.py": "every budget of the kit with its reason",
}
MAX_LINES = 300


@cache
def modules() -> Dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


@cache
def import_graph() -> Dict[str, Set[str]]:
    known = modules()

    def target(name: str) -> str:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name

    graph: Dict[str, Set[str]] = {}
    for name, path in known.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                edges.update(target(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    edges.add(full if full in known else target(node.module))
        graph[name] = {e for e in edges if e and e != name}
    return graph


def cycles(graph: Dict[str, Set[str]]) -> List[List[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: Dict[str, int] = {}
    low: Dict[str, int] = {}
    stack: List[str] = []
    on_stack: Set[str] = set()
    found: List[List[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_commands_import_no_other_command():
    commands = {m for m in modules() if m.startswith("jcrnet_kit.commands.")}
    shared = {"jcrnet_kit.commands.options"}
    for command in commands - shared:
        assert not (import_graph()[command] & (commands - shared)), command


def test_libraries_import_no_command():
    commands = {m for m in modules() if m.startswith("jcrnet_kit.commands")}
    for module, edges in import_graph().items():
        if module not in commands and module != "jcrnet_kit.cli":
            assert not (edges & commands), f"{module} imports a command: {sorted(edges & commands)}"


def test_models_are_built_with_weights_in_one_place():
    """Every caller gets a model with weights from ``build_jcrnet(..., weights=...)``; no module pairs a builder with a
    loader of its own."""
    pattern = re.compile(r"load_numpy_(state|params)\(\s*(torch_reference|mindspore_impl)\.build_jcrnet")
    offenders = [str(path.relative_to(ROOT)) for path in modules().values() if pattern.search(path.read_text())]
    assert offenders == []


#: A keyword argument or constant set to a nonzero numeric tolerance (an atol or rtol keyword, a FOO_RTOL constant,
#: pytest.approx rel or abs), in any file but the tolerance module; 0 (exact) is not a tolerance.
TOLERANCE = re.compile(r"\b(\w*(atol|rtol|ATOL|RTOL)\w*|rel|abs)\s*=\s*(?!0\b)(?!0\.0\b)\d[\d.]*(e-?\d+)?")


def test_every_numeric_tolerance_lives_in_the_tolerance_module():
    tolerance_module = ROOT / "jcrnet_kit" / "parity" / "tolerances.py"
    files = [*modules().values(), *sorted((ROOT / "parity_tests").glob("*.py")), *sorted((ROOT / "tools").glob("*.py"))]
    offenders = [f"{path.relative_to(ROOT)}:{i}" for path in files if path != tolerance_module
                 for i, line in enumerate(path.read_text().splitlines(), 1) if TOLERANCE.search(line)]
    assert offenders == []


def test_modules_stay_readable():
    long = {str(path.relative_to(ROOT)): n for path in modules().values()
            if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert set(long) <= set(DATA_TABLES), {k: v for k, v in long.items() if k not in DATA_TABLES}
