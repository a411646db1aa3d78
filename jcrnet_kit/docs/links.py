"""Links from the generated pages into the code, the parity tests and the mutant catalogue, and the test-id prefixes
the data tables use. Markdown targets are relative to docs/."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"

LAYER_PARITY = "parity_tests/test_layer_parity.py::test_layer_parity"
CONFORMANCE = "parity_tests/test_conformance.py::"
TRAINING = "parity_tests/test_training_parity.py::"


def parity_test_link(node_id: str, base: str = "../") -> str:
    """A markdown link to a parity test: the node id's name as text, its file as target."""
    path, _, name = node_id.partition("::")
    return f"[`{name or path}`]({base}{path})"


def kit_link(ref: str, base: str = "../") -> str:
    path, _, name = ref.partition("::")
    return f"[`{ref}`]({base}{path})"


def mutant_link(name: str, page: str = "") -> str:
    return f"[`{name}`]({page}#mutant-{name})"
