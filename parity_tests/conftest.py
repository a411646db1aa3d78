"""Numerics pinned for every test: torch imported before MindSpore, fixed seeds, CPU unless $JCRNET_DEVICE says
otherwise, PyNative unless a test switches to Graph, models in eval mode, weights copied through the spec.

With $JCRNET_MUTANT set to a name from ``jcrnet_kit.mutants.catalogue.CATALOGUE``, that porting bug is applied to the
MindSpore side (or the conversion) for the whole session; ``jcrnet mutants`` uses this to see which tests catch it."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Dict, List, Tuple

import torch  # first, before MindSpore

import numpy as np
import pytest

import mindspore_impl
from jcrnet_kit.images.sample import seeded_input
from jcrnet_kit.mutants.catalogue import MUTANT_ENV, activate
from jcrnet_kit.parity.pair import ModelPair, build_pair
from jcrnet_spec import architecture

FIXTURES = Path(__file__).parent / "fixtures"
PRESETS = ("published", "torch-defaults")
#: The batch whose activations feed the per-layer tests: batch 2 (BatchNorm statistics), H != W, one stride-2 level.
LAYER_INPUT_SHAPE = (2, 3, 16, 24)
TORCH_KEY_LISTS = {
    "published": "torch_state_dict_published.txt",
    "torch-defaults": "torch_state_dict_torch_defaults.txt",
}
MS_LAYOUT = "authors_ms_checkpoint_layout.tsv"


def pytest_configure(config):
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    mindspore_impl.configure(mode="pynative")
    if os.environ.get(MUTANT_ENV):
        activate(os.environ[MUTANT_ENV])


def read_key_list(name: str) -> List[Tuple[str, Tuple[int, ...]]]:
    """A reference key list: one ``key<TAB>(shape)`` line per tensor, ``#`` lines are comments."""
    rows = []
    for line in (FIXTURES / name).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, shape = line.split("\t")[:2]
            rows.append((key, tuple(int(d) for d in shape.strip("()").split(",") if d.strip())))
    return rows


@cache
def model_pair(preset: str) -> ModelPair:
    """Both models of ``preset`` with seeded weights, built once per session."""
    return build_pair(preset, seed=0)


@cache
def layer_inputs(preset: str) -> Dict[str, Tuple[np.ndarray, ...]]:
    """What every spec layer receives inside the whole torch model (seeded weights) on a seeded batch."""
    from jcrnet_kit.parity.hooks import record_torch

    recorder = record_torch(architecture(preset), model_pair(preset).torch_model, seeded_input(LAYER_INPUT_SHAPE),
                            keep_inputs=True, keep_outputs=False)
    return {path: record["inputs"] for path, record in recorder.records.items()}


@pytest.fixture(params=PRESETS)
def preset(request) -> str:
    return request.param


@pytest.fixture
def graph_mode():
    """Run the test body in MindSpore Graph mode, restoring PyNative afterwards."""
    mindspore_impl.set_mode("graph")
    yield
    mindspore_impl.set_mode("pynative")


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)
