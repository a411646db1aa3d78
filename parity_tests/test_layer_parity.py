"""Per-layer parity: every spec layer (blocks and leaves the forward pass calls) built alone in torch fp32, torch
fp64 (the oracle) and MindSpore fp32 with the same weights and the input it gets inside the whole model; outputs,
input gradients, every parameter's gradient, and in train mode the running statistics after the step. Budgets come
from ``jcrnet_kit.parity.tolerances``; layers with BatchNorm run in eval and train mode (the others compute the same in
both)."""

from __future__ import annotations

import numpy as np
import pytest

import mindspore as ms
import torch
from conftest import PRESETS, layer_inputs, model_pair
from jcrnet_kit.parity.cases import layer_case_id, layer_cases
from jcrnet_kit.parity.per_layer import check_layer
from jcrnet_kit.parity.tolerances import RUNNING_VARIANCE_RTOL
from jcrnet_spec import architecture
from jcrnet_spec.dataflow import layers


@pytest.mark.parametrize("preset,path,mode", [pytest.param(*case, id=layer_case_id(*case)) for case in layer_cases()])
def test_layer_parity(preset, path, mode):
    arch = architecture(preset)
    checks = check_layer(arch, path, model_pair(preset).torch_state, layer_inputs(preset)[path], mode == "train")
    failed = [c.describe() for c in checks if not c.passed]
    assert not failed, "\n".join(failed)


def test_every_called_layer_has_an_input_and_a_case():
    for preset in PRESETS:
        called = [path for path, _ in layers(architecture(preset))]
        assert sorted(layer_inputs(preset)) == sorted(called)
        assert len(called) == 165


def test_batchnorm_running_variance_is_unbiased_in_both():
    """torch updates running_var with the unbiased batch variance; MindSpore 2.10 on CPU does too (measured, not
    assumed: the spec's BatchNorm momentum 0.1 is MindSpore's 0.9)."""
    from mindspore import nn

    x = np.random.default_rng(0).standard_normal((2, 4, 3, 5)).astype(np.float32)
    expected = 0.9 * 1.0 + 0.1 * x.var(axis=(0, 2, 3), ddof=1)
    tb = torch.nn.BatchNorm2d(4, eps=1e-5, momentum=0.1).train()
    tb(torch.from_numpy(x))
    mb = nn.BatchNorm2d(4, eps=1e-5, momentum=0.9)
    mb.set_train(True)
    mb(ms.Tensor(x))
    np.testing.assert_allclose(tb.running_var.numpy(), expected, rtol=RUNNING_VARIANCE_RTOL.value)
    np.testing.assert_allclose(mb.moving_variance.asnumpy(), expected, rtol=RUNNING_VARIANCE_RTOL.value)


def test_leaky_relu_gradient_at_zero_is_torchs():
    """MindSpore's own LeakyReLU has gradient (1 + slope) / 2 at exactly 0, torch's has slope; the port uses
    torch's (``mindspore_impl.compat.leaky_relu``), which the published preset's exact zeros need."""
    from mindspore import ops

    from mindspore_impl.compat import leaky_relu

    x = ms.Tensor(np.array([-1.0, 0.0, 1.0], np.float32))
    assert np.allclose(ms.grad(lambda t: ops.leaky_relu(t, 0.1).sum())(x).asnumpy(), [0.1, 0.55, 1.0])
    assert np.allclose(ms.grad(lambda t: leaky_relu(t, 0.1).sum())(x).asnumpy(), [0.1, 0.1, 1.0])
    tx = torch.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    torch.nn.functional.leaky_relu(tx, 0.1).sum().backward()
    assert np.allclose(tx.grad.numpy(), [0.1, 0.1, 1.0])
