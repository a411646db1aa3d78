"""``jcrnet map``: the torch <-> MindSpore name map as TroubleShooter's weight map (``jcrnet_kit.name_map``).

TroubleShooter itself cannot be imported here: it pins ``protobuf<=3.20.1``, which breaks ``import mindspore`` 2.10,
so it cannot be a dependency of this project. These tests check what its loader and converter require, read from
TroubleShooter 1.0.18's source (``troubleshooter/migrator/weight_migrator.py``): the file is ``json.load``-able into a
two-item list ``[name map, value map]`` of str -> str dicts; ``convert_weight`` raises unless the name map's keys are
the source dict's keys, then saves each source tensor under its mapped name. Converting the spec's torch weights that
way must give ``jcrnet convert``'s checkpoint bit for bit. A run through TroubleShooter's own loader, in a venv of its
own, is shown in docs/PORTING_GUIDE.md ("Coming from TroubleShooter").
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from jcrnet_kit.cli import main
from jcrnet_kit.name_map import name_map, troubleshooter_source
from jcrnet_spec import PRESETS, architecture, mindspore_keys, seeded_weights, torch_keys, torch_to_mindspore


def _convert_like_troubleshooter(names, value_map, source):
    """TroubleShooter 1.0.18's ``convert_weight`` on a source dict: the key check, then one renamed tensor per key."""
    if names.keys() != source.keys():
        raise ValueError(f"missing {source.keys() - names.keys()}, unwanted {names.keys() - source.keys()}")
    assert value_map == {}
    return {names[key]: np.asarray(value) for key, value in source.items()}


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_map_names_every_mindspore_parameter_once(preset):
    arch = architecture(preset)
    mapping = name_map(preset)
    ms_names = [name for name, _ in mindspore_keys(arch)]
    assert sorted(mapping.names.values()) == sorted(ms_names)
    torch_names = {name for name, _ in torch_keys(arch)}
    unmapped = torch_names - set(mapping.names)
    assert unmapped == set(mapping.torch_only) | {key for key, _ in mapping.shared_copies}
    assert all(key.endswith("num_batches_tracked") for key in mapping.torch_only) and len(mapping.torch_only) == 8
    assert set(mapping.names) - torch_names == set(mapping.mindspore_only)
    fills = {k: (1.0 if k.endswith("moving_variance") else 0.0) for k in mapping.mindspore_only}
    assert mapping.mindspore_only == fills


def test_map_file_is_troubleshooters_weight_map(tmp_path):
    out = tmp_path / "map.json"
    assert main(["map", str(out)]) == 0
    loaded = json.loads(out.read_text())  # TroubleShooter's object_load is json.load
    assert isinstance(loaded, list) and len(loaded) == 2
    names, value_map = loaded
    assert value_map == {} and all(isinstance(k, str) and isinstance(v, str) for k, v in names.items())
    assert names == name_map("published").names
    assert names["illum.bn1.weight"] == "illum.bn1.gamma" and names["lbp.conv2.conv_Encoder.act.weight"] == \
        "lbp.conv2.conv_Encoder.act.w"


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_converting_with_the_map_gives_jcrnet_converts_checkpoint(preset):
    arch = architecture(preset)
    state = seeded_weights(arch, 3)
    mapping = name_map(preset)
    converted = _convert_like_troubleshooter(mapping.names, {}, troubleshooter_source(mapping, state))
    expected = torch_to_mindspore(state, arch)
    assert sorted(converted) == sorted(expected)
    assert all(np.array_equal(converted[k], expected[k]) and converted[k].dtype == expected[k].dtype for k in expected)
    with pytest.raises(ValueError, match="missing"):  # the whole torch state, as `pt_file_path=` would pass it
        _convert_like_troubleshooter(mapping.names, {}, state)


def test_a_shared_slope_whose_copies_differ_is_refused():
    mapping = name_map("published")
    state = dict(seeded_weights(architecture("published"), 3))
    copy, _ = mapping.shared_copies[0]
    state[copy] = state[copy] + 1
    with pytest.raises(ValueError, match=copy):
        troubleshooter_source(mapping, state)


def test_map_command_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "map.json"
    assert main(["map", str(out), "--preset", "torch-defaults"]) == 0
    before = out.read_bytes()
    assert main(["map", str(out)]) == 2
    assert "--force" in capsys.readouterr().err and out.read_bytes() == before
    assert main(["map", str(out), "--force"]) == 0
    assert json.loads(out.read_text())[0] == name_map("published").names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.json"]
    assert main(["map", str(tmp_path / "missing" / "map.json")]) == 2
