"""Numerics pinned for every test: torch imported before MindSpore, fixed seeds, CPU unless $JCRNET_DEVICE says
otherwise, PyNative unless a test switches to Graph, models in eval mode, weights copied through the spec."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import List, Tuple

import torch  # first, before MindSpore

import numpy as np
import pytest

import mindspore_impl
from jcrnet_kit.pair import ModelPair, build_pair

FIXTURES = Path(__file__).parent / "fixtures"
PRESETS = ("published", "torch-defaults")
TORCH_KEY_LISTS = {
    "published": "torch_state_dict_published.txt",
    "torch-defaults": "torch_state_dict_torch_defaults.txt",
}
MS_LAYOUT = "authors_ms_checkpoint_layout.tsv"


def pytest_configure(config):
    torch.manual_seed(0)
    torch.use_deterministic_algorithms(True)
    mindspore_impl.configure(mode="pynative")


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
