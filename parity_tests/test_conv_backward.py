"""MindSpore's low-memory convolution backward (``mindspore_impl.layers.LowMemoryConv2d``): the same forward as
``nn.Conv2d``, bit for bit, and the same gradients up to float32 rounding; which convolutions use it, and the switch."""

from __future__ import annotations

import numpy as np
import pytest

import mindspore as ms
from mindspore import nn

import mindspore_impl
from jcrnet_kit.parity.tolerances import LOWMEM_CONV_GRADIENT
from jcrnet_spec.errors import UnknownChoiceError
from mindspore_impl import layers
from mindspore_impl.compat import configured_device, mode


def _forward_and_grads(conv: nn.Cell, x: np.ndarray, weight_of_output: np.ndarray):
    probe = ms.Tensor(weight_of_output)

    def loss(t):
        return (conv(t) * probe).sum()

    grad = ms.value_and_grad(loss, grad_position=0, weights=conv.trainable_params())
    _, (dx, dparams) = grad(ms.Tensor(x))
    return conv(ms.Tensor(x)).asnumpy(), [dx.asnumpy(), *(g.asnumpy() for g in dparams)]


@pytest.mark.parametrize("execution", ["pynative", "graph"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kernel", [3, 5])
def test_low_memory_conv_matches_the_stock_conv(execution, bias, kernel):
    rng = np.random.default_rng(kernel)
    x = rng.standard_normal((2, 5, 12, 10), dtype=np.float32)
    probe = rng.standard_normal((2, 7, 12, 10), dtype=np.float32)
    pad = (kernel - 1) // 2
    stock = nn.Conv2d(5, 7, kernel, pad_mode="pad", padding=pad, has_bias=bias)
    low = layers.LowMemoryConv2d(5, 7, kernel, pad, bias)
    for theirs, ours in zip(stock.get_parameters(), low.get_parameters()):
        assert theirs.name == ours.name and theirs.shape == ours.shape
        ours.set_data(theirs.data.copy())
    with mode(execution):
        expected_out, expected = _forward_and_grads(stock, x, probe)
        out, grads = _forward_and_grads(low, x, probe)
    assert np.array_equal(out, expected_out)
    assert len(grads) == len(expected) == (3 if bias else 2)
    for name, ours, theirs in zip(["x", "weight", "bias"], grads, expected):
        assert ours.shape == theirs.shape, name
        scale = float(np.abs(theirs).max())
        assert float(np.abs(ours - theirs).max()) <= LOWMEM_CONV_GRADIENT.value * scale, name


def _auto(training: bool) -> str:
    """What ``auto`` means on the device this suite runs MindSpore on: the low-memory backward only for a net built
    to train on the CPU."""
    mindspore_impl.configure_once()
    return "lowmem" if training and configured_device() == "CPU" else "stock"


def _low(net) -> set:
    return {name for name, cell in net.cells_and_names() if isinstance(cell, layers.LowMemoryConv2d)}


def test_lowmem_nets_use_it_for_every_size_keeping_conv_and_stock_nets_nowhere():
    previous = layers.set_conv_backward("lowmem")
    try:
        net = mindspore_impl.build_jcrnet("published")
        convs = [(name, cell) for name, cell in net.cells_and_names() if isinstance(cell, nn.Conv2d)]
        keeps_size = {name for name, cell in convs if cell.kernel_size == (3, 3) and cell.stride == (1, 1)}
        assert _low(net) and _low(net) == keeps_size
        layers.set_conv_backward("stock")
        assert not _low(mindspore_impl.build_jcrnet("published"))
    finally:
        layers.set_conv_backward(previous)


def test_auto_is_lowmem_only_for_nets_built_to_train():
    """Inference, export and hooked nets keep ``nn.Conv2d``; the nets ``jcrnet train`` and the gradient and training
    parity checks differentiate get the low-memory backward on CPU."""
    from jcrnet_kit.parity.gradients import build_mindspore
    from jcrnet_spec import architecture, seeded_weights

    previous = layers.set_conv_backward(None)
    try:
        assert layers.conv_backward() == _auto(False) == "stock"
        assert not _low(mindspore_impl.build_jcrnet("published"))
        state = seeded_weights(architecture("published"), 0)
        assert bool(_low(build_mindspore("published", state, train=True))) == (_auto(True) == "lowmem")
        assert not _low(build_mindspore("published", state, train=True, conv="stock"))
        assert layers.conv_backward() == "stock"  # the choice is restored after the build
    finally:
        layers.set_conv_backward(previous)


def test_whole_model_gradients_equal_the_stock_backward():
    """Every parameter's gradient of the training loss through the whole model, both presets, low-memory against
    stock: the same sums in another order."""
    from jcrnet_kit.parity.gradients import batches, build_mindspore, mindspore_loss_and_grads
    from jcrnet_spec import architecture, seeded_weights

    for preset in ("published", "torch-defaults"):
        state = seeded_weights(architecture(preset), 3)
        x, y = batches(1, seed=3)[0]
        losses, grads = zip(*(mindspore_loss_and_grads(build_mindspore(preset, state, True, conv), x, y)
                              for conv in ("stock", "lowmem")))
        assert abs(losses[0] - losses[1]) <= LOWMEM_CONV_GRADIENT.value * abs(losses[0])
        scale = max(float(np.abs(g).max()) for g in grads[0].values())
        worst = max(float(np.abs(grads[0][k] - grads[1][k]).max()) for k in grads[0])
        assert grads[0].keys() == grads[1].keys() and worst <= LOWMEM_CONV_GRADIENT.value * scale, (preset, worst)


def test_the_switch_refuses_unknown_choices(monkeypatch):
    with pytest.raises(UnknownChoiceError, match="unknown convolution backward 'fast'"):
        layers.set_conv_backward("fast")
    monkeypatch.setenv(layers.CONV_ENV, "fast")
    previous = layers.set_conv_backward(None)
    try:
        with pytest.raises(UnknownChoiceError, match=r"\$JCRNET_MS_CONV='fast'"):
            layers.conv_backward()
        monkeypatch.setenv(layers.CONV_ENV, "stock")
        assert layers.conv_backward() == "stock"
        monkeypatch.setenv(layers.CONV_ENV, "auto")
        assert layers.conv_backward() == _auto(False)
    finally:
        layers.set_conv_backward(previous)


@pytest.mark.parametrize("conv", [None, "stock", "lowmem"])
def test_the_trainer_builds_the_backward_asked_for_and_leaves_the_choice_as_it_was(conv):
    from jcrnet_kit.train.mindspore_trainer import MindSporeTrainer
    from jcrnet_kit.train.optim import constant
    from jcrnet_spec import architecture, seeded_weights

    mindspore_impl.configure_once()
    before = layers.set_conv_backward("stock" if conv is None else None)
    try:
        trainer = MindSporeTrainer("published", seeded_weights(architecture("published"), 0), configured_device(), 1,
                                   "pynative", constant(), conv=conv)
        built = any(isinstance(cell, layers.LowMemoryConv2d) for _, cell in trainer.net.cells_and_names())
        assert built == (conv == "lowmem")  # None: the process-wide choice, here "stock"
        assert layers.set_conv_backward(None) == ("stock" if conv is None else None)
    finally:
        layers.set_conv_backward(before)
