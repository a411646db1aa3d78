"""The spec alone: key layouts against the published lists, name maps, input contract, and no framework import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import FIXTURES, MS_LAYOUT, PRESETS, TORCH_KEY_LISTS, read_key_list
from jcrnet_spec import (
    KeyMismatchError, architecture, mindspore_keys, mindspore_to_torch, param_table, seeded_weights, torch_keys,
    torch_to_mindspore, validate_input_shape,
)
from jcrnet_spec.layers import MINDSPORE_ONLY_STAT, RUNNING_STAT, TRAINABLE

SHARED_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"


def test_spec_imports_no_framework():
    code = "import sys, jcrnet_spec; bad = {'torch', 'mindspore'} & set(sys.modules); assert not bad, bad"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


@pytest.mark.skipif(not SHARED_REFERENCE.is_dir(), reason="../shared/reference is not beside this checkout")
@pytest.mark.parametrize("name", [MS_LAYOUT, *TORCH_KEY_LISTS.values()])
def test_fixture_copies_equal_shared_reference(name):
    assert (FIXTURES / name).read_text() == (SHARED_REFERENCE / name).read_text()


@pytest.mark.parametrize("preset", PRESETS)
def test_torch_keys_equal_published_list(preset):
    assert torch_keys(architecture(preset)) == read_key_list(TORCH_KEY_LISTS[preset])


def test_mindspore_keys_equal_published_checkpoint_layout():
    keys = mindspore_keys(architecture("published"))
    assert keys == read_key_list(MS_LAYOUT)
    assert len(keys) == 160
    assert sum(int(np.prod(shape)) for _, shape in keys) == 1_599_492


def test_trainable_and_statistic_counts():
    table = param_table(architecture("published"))
    count = {role: sum(int(np.prod(e.shape)) for e in table if e.role == role and e.mindspore_key) for role in
             (TRAINABLE, RUNNING_STAT, MINDSPORE_ONLY_STAT)}
    assert count[TRAINABLE] == 1_597_702
    assert count[RUNNING_STAT] + count[MINDSPORE_ONLY_STAT] == 1_790


@pytest.mark.parametrize("preset", PRESETS)
def test_name_maps_round_trip_exactly(preset):
    arch = architecture(preset)
    state = seeded_weights(arch, seed=3)
    back = mindspore_to_torch(torch_to_mindspore(state, arch), arch)
    assert list(back) == list(state)
    for key, value in state.items():
        assert back[key].dtype == value.dtype and np.array_equal(back[key], value), key


def test_shared_slopes_collapse_to_the_last_path():
    arch = architecture("published")
    params = torch_to_mindspore(seeded_weights(arch, 0), arch)
    assert "phit_6.body.1.w" in params and "phi_0.body.1.w" not in params
    assert "shallow_feat7.1.body.1.w" in params and "shallow_feat1.1.body.1.w" not in params


def test_key_mismatch_lists_every_problem_in_one_error():
    arch = architecture("published")
    state = seeded_weights(arch, 0)
    del state["tail.weight"]
    state["tail.bias"] = np.zeros(3, np.float32)
    state["concat67.weight"] = np.zeros((56, 80, 1, 1), np.float32)
    with pytest.raises(KeyMismatchError) as error:
        torch_to_mindspore(state, arch)
    message = str(error.value)
    assert "missing (tail.weight)" in message
    assert "unexpected (tail.bias)" in message
    assert "concat67.weight expected (56, 80, 3, 3) found (56, 80, 1, 1)" in message


def test_diverged_shared_copies_are_refused():
    arch = architecture("published")
    state = seeded_weights(arch, 0)
    state["phi_6.body.1.weight"] = state["phi_6.body.1.weight"] + 1
    with pytest.raises(KeyMismatchError, match="shared parameters differ"):
        torch_to_mindspore(state, arch)


def test_presets_differ_as_documented():
    published, defaults = architecture("published"), architecture("torch-defaults")
    assert published.fixed_constants() == {"r0": 0.4412, "r6": 0.4965}
    assert defaults.fixed_constants() == {}
    assert published.node("illum.sft.sft0").option("fused_slope") == 0.2
    assert defaults.node("illum.sft.sft0").option("fused_slope") == 0.01
    assert not published.node("stage1_encoder.body.0.identity").bias
    assert defaults.node("stage1_encoder.body.0.identity").bias


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        architecture("nope")


@pytest.mark.parametrize("shape", [(1, 3, 31, 32), (1, 3, 32, 33), (1, 1, 32, 32), (3, 32, 32)])
def test_input_contract(shape):
    with pytest.raises(ValueError):
        validate_input_shape(shape)
    validate_input_shape((2, 3, 32, 48))
