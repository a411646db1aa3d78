"""The parity test cases, as data: which (preset, spec path, mode) the per-layer test runs, and the test ids of every
parity test that checks a layer or a parameter. ``parity_tests`` parametrise from here, ``jcrnet mutants`` picks its
subset from here and ``jcrnet where`` lists them, so all three name the same tests."""

from __future__ import annotations

from typing import List, Tuple

from jcrnet_spec import PRESETS, Architecture, Block, architecture
from jcrnet_spec.dataflow import depends_on_mode, layers

LAYER_PARITY = "parity_tests/test_layer_parity.py::test_layer_parity"
CONFORMANCE = "parity_tests/test_conformance.py"
KEY_LISTS = "parity_tests/test_spec.py"
WHOLE_MODEL = "parity_tests/test_training_parity.py"
IMPLEMENTATIONS = ("torch", "mindspore")
MODES = ("eval", "train")


def modes_of(node) -> Tuple[str, ...]:
    """Modes a layer is tested in: both where it computes differently in train mode (BatchNorm), else eval."""
    return MODES if depends_on_mode(node) else ("eval",)


def layer_case_id(preset: str, path: str, mode: str) -> str:
    return f"{preset}-{path}-{mode}"


def layer_cases(presets=tuple(PRESETS), blocks_only: bool = False) -> List[Tuple[str, str, str]]:
    """(preset, path, mode) of every per-layer case: every layer the forward pass calls, in attribute order."""
    cases = []
    for preset in presets:
        for path, node in layers(architecture(preset)):
            if blocks_only and not isinstance(node, Block):
                continue
            cases.extend((preset, path, mode) for mode in modes_of(node))
    return cases


def layer_test_ids(arch: Architecture, path: str) -> List[str]:
    """Per-layer test ids that run the module at ``path`` (its own case, if it is called) and every enclosing block."""
    called = {p: node for p, node in layers(arch)}
    preset = arch.preset.name
    ids = []
    parts = path.split(".")
    for depth in range(len(parts), 0, -1):
        prefix = ".".join(parts[:depth])
        if prefix in called:
            ids.extend(f"{LAYER_PARITY}[{layer_case_id(preset, prefix, m)}]" for m in modes_of(called[prefix]))
    return ids
