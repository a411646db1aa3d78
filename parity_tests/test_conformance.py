"""Each implementation against the spec: every layer's kind and hyper-parameters, parameter names and shapes,
sharing within one model only, and MindSpore checkpoints in the published layout."""

from __future__ import annotations

import numpy as np
import pytest

import mindspore as ms
import mindspore_impl
import torch_reference
from conftest import MS_LAYOUT, PRESETS, read_key_list
from jcrnet_spec import architecture, mindspore_keys, torch_keys
from mindspore_impl import introspect as ms_introspect
from torch_reference import introspect as torch_introspect

IMPLEMENTATIONS = {
    "torch": (torch_reference.build_jcrnet, torch_introspect),
    "mindspore": (mindspore_impl.build_jcrnet, ms_introspect),
}


@pytest.mark.parametrize("framework", IMPLEMENTATIONS)
@pytest.mark.parametrize("preset", PRESETS)
def test_every_layer_matches_the_spec(framework, preset):
    build, introspect = IMPLEMENTATIONS[framework]
    model = build(preset)
    wrong = []
    for path, leaf in architecture(preset).leaves():
        found = introspect.describe(introspect.module_at(model, path))
        if found != leaf:
            wrong.append(f"{path}: spec {leaf.describe()}, {framework} {found.describe()}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("preset", PRESETS)
def test_torch_state_dict_names_and_shapes(preset):
    model = torch_reference.build_jcrnet(preset)
    assert [(k, tuple(v.shape)) for k, v in model.state_dict().items()] == torch_keys(architecture(preset))


@pytest.mark.parametrize("preset", PRESETS)
def test_mindspore_parameter_names_and_shapes(preset):
    net = mindspore_impl.build_jcrnet(preset)
    assert [(p.name, tuple(p.shape)) for p in net.get_parameters()] == mindspore_keys(architecture(preset))


@pytest.mark.parametrize("framework", IMPLEMENTATIONS)
def test_shared_within_one_model_never_across_models(framework):
    build, introspect = IMPLEMENTATIONS[framework]
    first, second = build("published"), build("published")
    for group in architecture("published").shared_groups:
        holders = [introspect.module_at(first, path) for path in group.paths]
        assert all(h is holders[0] for h in holders), group.name
        assert introspect.module_at(second, group.paths[0]) is not holders[0], group.name


def test_mindspore_checkpoint_has_the_published_layout_and_reloads_strictly(tmp_path):
    net = mindspore_impl.build_jcrnet("published")
    path = str(tmp_path / "jcrnet.ckpt")
    ms.save_checkpoint(net, path)
    params = ms.load_checkpoint(path)
    assert [(k, tuple(v.shape)) for k, v in params.items()] == read_key_list(MS_LAYOUT)
    fresh = mindspore_impl.build_jcrnet("published")
    not_loaded, unused = ms.load_param_into_net(fresh, params, strict_load=True)
    assert not not_loaded and not unused
    for p in fresh.get_parameters():
        assert np.array_equal(p.asnumpy(), params[p.name].asnumpy()), p.name
