"""Per-layer parity on weights families other than the seeded ones (``jcrnet_kit.parity.families``), each on the
blocks its weights exercise that the seeded weights do not: PReLU slopes outside [0, 1], BatchNorm running statistics
far from 0 / 1, a live edge branch in the published preset, and weights 0.25 to 4 times their usual size. A port
bug that hides at seed 0 (a PReLU written as ``max(x, w x)``, say) fails here."""

from __future__ import annotations

from functools import cache

import pytest

from jcrnet_kit.images.sample import seeded_input
from jcrnet_kit.parity import families
from jcrnet_kit.parity.cases import modes_of
from jcrnet_kit.parity.hooks import record_torch
from jcrnet_kit.parity.per_layer import check_layer
from jcrnet_spec import Block, architecture
from jcrnet_spec.dataflow import layers, subtree_kinds

#: (preset, weights family, the kind whose blocks it exercises, how deep below the root those blocks may be).
FAMILIES = (("published", "prelu_slopes", "PReLU", 1), ("torch-defaults", "bn_stats", "BatchNorm2d", 1),
            ("published", "edge_on", "SFTLayer", 1), ("torch-defaults", "scaled", "Conv2d", 0))


@cache
def family_inputs(preset: str, family: str):
    arch = architecture(preset)
    state = families.WEIGHTS[family](arch, 5)
    import torch_reference
    from jcrnet_kit.parity.gradients import checked

    model = torch_reference.build_jcrnet(arch, weights=checked(preset, state)).eval()
    recorder = record_torch(arch, model, seeded_input((2, 3, 8, 12), seed=5), keep_inputs=True, keep_outputs=False)
    return state, {path: record["inputs"] for path, record in recorder.records.items()}


def _cases():
    cases = []
    for preset, family, kind, depth in FAMILIES:
        for path, node in layers(architecture(preset)):
            if isinstance(node, Block) and kind in subtree_kinds(node) and path.count(".") <= depth:
                cases += [pytest.param(preset, family, path, mode, id=f"{preset}-{family}-{path}-{mode}")
                          for mode in modes_of(node)]
    return cases


@pytest.mark.parametrize("preset,family,path,mode", _cases())
def test_block_parity_on_other_families(preset, family, path, mode):
    state, inputs = family_inputs(preset, family)
    checks = check_layer(architecture(preset), path, state, inputs[path], mode == "train")
    failed = [c.describe() for c in checks if not c.passed]
    assert not failed, "\n".join(failed)
