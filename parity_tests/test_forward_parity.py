"""Whole-model forward parity, torch vs MindSpore with identical weights (copied through the spec's name map),
fp32, eval mode: max |diff| <= 1e-5 on every output, both presets, PyNative and Graph, H != W and batch > 1."""

from __future__ import annotations

import pytest

import mindspore as ms
import torch
from conftest import model_pair
from jcrnet_kit.images.sample import seeded_input
from jcrnet_kit.parity.compare import diff
from jcrnet_kit.parity.tolerances import FORWARD
from jcrnet_spec import OUTPUTS

SIZES = [(2, 3, 32, 48), (1, 3, 40, 40)]


def assert_outputs_close(expected, actual):
    assert len(expected) == len(actual) == len(OUTPUTS)
    for name, a, b in zip(OUTPUTS, expected, actual):
        d = diff(a, b)
        assert FORWARD.holds(d.max_abs), f"{name}: max |diff| {d.max_abs:.3e} > {FORWARD.atol:.0e}"


@pytest.mark.parametrize("shape", SIZES, ids=lambda s: "x".join(map(str, s)))
def test_forward_parity_pynative(preset, shape):
    pair = model_pair(preset)
    x = seeded_input(shape)
    assert_outputs_close(pair.run_torch(x), pair.run_mindspore(x, mode="pynative"))


def test_forward_parity_graph_and_pynative_agree(preset, graph_mode):
    pair = model_pair(preset)
    x = seeded_input(SIZES[0])
    graph = pair.run_mindspore(x, mode="graph")
    assert_outputs_close(pair.run_torch(x), graph)
    pynative = pair.run_mindspore(x, mode="pynative")
    assert_outputs_close(pynative, graph)


@pytest.mark.parametrize("shape", [(1, 3, 31, 32), (1, 3, 32, 33)], ids=["odd-H", "odd-W"])
def test_odd_sides_are_refused_by_both(shape):
    pair = model_pair("published")
    x = seeded_input(shape)
    with pytest.raises(ValueError, match="even H and W"):
        pair.torch_model(torch.from_numpy(x))
    with pytest.raises(ValueError, match="even H and W"):
        pair.ms_net(ms.Tensor(x))


def test_odd_sides_are_refused_in_graph_mode(graph_mode):
    with pytest.raises(ValueError, match="even H and W"):
        model_pair("published").ms_net(ms.Tensor(seeded_input((1, 3, 31, 32))))
