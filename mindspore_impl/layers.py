"""Spec leaf -> MindSpore cell. One factory per leaf kind; every argument spelled out.

MindSpore's defaults differ from torch's (``nn.Conv2d``: ``has_bias=False, pad_mode='same'``; ``nn.BatchNorm2d``:
``momentum=0.9`` meaning the weight of the old value), so nothing here relies on a default.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Callable, Dict, Iterator, Optional, Union

import mindspore as ms
import numpy as np
from mindspore import Parameter, Tensor, nn, ops

from jcrnet_spec import layers as spec
from mindspore_impl import compat


#: Environment variable choosing the convolution backward (``set_conv_backward`` overrides it): ``lowmem``, ``stock``
#: or ``auto`` (the default: ``lowmem`` for a net built to train on CPU, ``stock`` for every other net: inference,
#: export, hooks and GPU / Ascend keep MindSpore's own ``nn.Conv2d``).
CONV_ENV = "JCRNET_MS_CONV"
CONV_BACKWARDS = ("auto", "lowmem", "stock")
_conv_backward: Optional[str] = None


def set_conv_backward(kind: Optional[str]) -> Optional[str]:
    """Choose the backward of the convolutions built from now on (None: ``$JCRNET_MS_CONV``, else ``auto``); returns
    the previous choice, to restore it."""
    global _conv_backward
    if kind is not None and kind not in CONV_BACKWARDS:
        from jcrnet_spec.errors import UnknownChoiceError

        raise UnknownChoiceError(f"unknown convolution backward {kind!r}; choose one of {', '.join(CONV_BACKWARDS)}")
    previous, _conv_backward = _conv_backward, kind
    return previous


def conv_backward(training: bool = False) -> str:
    """``lowmem`` or ``stock``: what ``conv2d`` builds now; ``auto`` is ``lowmem`` only for a net built to train
    (``training``) on the CPU, where MindSpore's own backward keeps 4x torch's memory (docs/PERFORMANCE.md). A net
    built for anything else stays stock: a custom-backward cell inside it breaks forward hooks written as lambdas and
    MindSpore's ONNX exporter, and buys nothing without a backward."""
    kind = _conv_backward or os.environ.get(CONV_ENV) or "auto"
    if kind not in CONV_BACKWARDS:
        from jcrnet_spec.errors import UnknownChoiceError

        raise UnknownChoiceError(f"${CONV_ENV}={kind!r}: unknown convolution backward; choose one of "
                                 f"{', '.join(CONV_BACKWARDS)}")
    if kind == "auto":
        return "lowmem" if training and (compat.configured_device() or "CPU") == "CPU" else "stock"
    return kind


@contextmanager
def conv_backward_for(kind: Optional[str] = None, training: bool = False) -> Iterator[str]:
    """Within the block, nets get the convolution backward ``kind`` (None: the current choice) resolved for a net
    built to train or not; yields ``lowmem`` or ``stock``; the previous choice is restored after."""
    global _conv_backward
    previous = _conv_backward
    try:
        if kind is not None:
            set_conv_backward(kind)
        _conv_backward = conv_backward(training)
        yield _conv_backward
    finally:
        _conv_backward = previous


class _ConvolveWithForwardBackward(nn.Cell):
    """``Conv2D(x, weight)`` (stride 1, padding ``(k - 1) / 2``) whose gradients are forward convolutions:

    - ``dx = conv2d(dy, W flipped in H and W with in/out channels swapped, padding k - 1 - p)``;
    - ``dW = conv2d(x^T, dy^T, padding p)^T`` where ``^T`` swaps the batch and channel axes (N x C x H x W ->
      C x N x H x W): the batch becomes the channels and the kernel is the whole dy plane.
    """

    def __init__(self, out_channels: int, kernel_size: int, padding: int):
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.conv = ops.Conv2D(out_channels, kernel_size, pad_mode="pad", pad=padding)

    def construct(self, x, weight):
        return self.conv(x, weight)

    def bprop(self, x, weight, out, dout):
        flipped = ops.transpose(ops.flip(weight, (2, 3)), (1, 0, 2, 3))
        dx = ops.conv2d(dout, flipped, pad_mode="pad", padding=self.kernel_size - 1 - self.padding)
        dw = ops.conv2d(ops.transpose(x, (1, 0, 2, 3)), ops.transpose(dout, (1, 0, 2, 3)), pad_mode="pad",
                        padding=self.padding)
        return dx, ops.transpose(dw, (1, 0, 2, 3))


class LowMemoryConv2d(nn.Conv2d):
    """``nn.Conv2d`` (same parameters, attributes and forward primitive) whose backward uses forward convolutions only.

    MindSpore 2.10's CPU kernels ``Conv2DBackpropInput`` and ``Conv2DBackpropFilter`` (oneDNN ``gemm:jit``) each keep
    an im2col-sized workspace (``cin * k * k * H * W`` floats) for as long as the compiled graph lives, outside
    MindSpore's memory pool: 12.7 GB for one JCRNet training step at 256x256 against torch's 2.2 GB. Forward
    convolutions need a small workspace, so this cell's step takes 3.1 GB, at some cost in time; gradients agree with
    the stock backward to float32 rounding. docs/PERFORMANCE.md has the measurements.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, padding: int, has_bias: bool):
        super().__init__(in_channels, out_channels, kernel_size, stride=1, pad_mode="pad", padding=padding,
                         has_bias=has_bias)
        self.convolve = _ConvolveWithForwardBackward(out_channels, kernel_size, padding)

    def construct(self, x):
        output = self.convolve(x, self.weight)
        return output + self.bias.reshape((1, -1, 1, 1)) if self.has_bias else output  # see ``Conv2d``


class Conv2d(nn.Conv2d):
    """``nn.Conv2d`` (same parameters, same values) whose bias gradient is accurate: the bias is added by broadcasting
    (MindSpore differentiates it through ``ReduceSum``), not by ``BiasAdd``, whose CPU gradient kernel sums N*H*W
    elements with an error growing with their number (relative to the result, measured against float64: 2.7e-6 at
    1x1x256x384, 1.2e-5 at 1x40x256x384, where torch's is 1e-7 and the broadcast add's 3e-8)."""

    def construct(self, x):
        output = self.conv2d(x, self.weight)
        return output + self.bias.reshape((1, -1, 1, 1)) if self.has_bias else output


def conv2d(leaf: spec.Conv2d) -> nn.Conv2d:
    """``LowMemoryConv2d`` where ``conv_backward()`` is ``lowmem`` and the conv keeps the size (stride 1, padding
    ``(k - 1) / 2``, k > 1: every 3x3 conv of JCRNet); else ``nn.Conv2d`` (1x1 convs need no im2col)."""
    keeps_size = leaf.stride == 1 and leaf.kernel_size > 1 and 2 * leaf.pad == leaf.kernel_size - 1
    if keeps_size and conv_backward() == "lowmem":
        return LowMemoryConv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size, leaf.pad, leaf.bias)
    return Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size, stride=leaf.stride, pad_mode="pad",
                  padding=leaf.pad, has_bias=leaf.bias)


def conv_transpose2d(leaf: spec.ConvTranspose2d) -> nn.Conv2dTranspose:
    return nn.Conv2dTranspose(leaf.in_channels, leaf.out_channels, leaf.kernel_size, stride=leaf.stride,
                              pad_mode="pad", padding=0, has_bias=leaf.bias)


def linear(leaf: spec.Linear) -> nn.Dense:
    return nn.Dense(leaf.in_features, leaf.out_features, has_bias=leaf.bias)


def batch_norm2d(leaf: spec.BatchNorm2d) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(leaf.num_features, eps=leaf.eps, momentum=1.0 - leaf.momentum)


class InstanceNorm2d(nn.Cell):
    """Affine instance norm (biased variance) built from reductions, so it runs on CPU, GPU and Ascend.

    MindSpore 2.10's ``nn.InstanceNorm2d`` has no CPU kernel. The cell keeps that layer's four parameters, in its
    order, so published checkpoints load strictly; ``moving_mean`` / ``moving_variance`` never reach the output.
    """

    def __init__(self, num_features: int, eps: float):
        super().__init__()
        self.eps = eps
        self.moving_mean = Parameter(Tensor(np.zeros(num_features, np.float32)), name="moving_mean",
                                     requires_grad=False)
        self.moving_variance = Parameter(Tensor(np.ones(num_features, np.float32)), name="moving_variance",
                                         requires_grad=False)
        self.gamma = Parameter(Tensor(np.ones(num_features, np.float32)), name="gamma")
        self.beta = Parameter(Tensor(np.zeros(num_features, np.float32)), name="beta")

    def construct(self, x):
        mean = x.mean(axis=(2, 3), keep_dims=True)
        var = ops.square(x - mean).mean(axis=(2, 3), keep_dims=True)
        normed = (x - mean) / ops.sqrt(var + self.eps)
        return normed * self.gamma.reshape(1, -1, 1, 1) + self.beta.reshape(1, -1, 1, 1)


def instance_norm2d(leaf: spec.InstanceNorm2d) -> InstanceNorm2d:
    return InstanceNorm2d(leaf.num_features, leaf.eps)


class PReLU(nn.PReLU):
    """``nn.PReLU`` (same parameter ``w``, same values) whose slope gradient is accurate (see ``compat.prelu``)."""

    def construct(self, x):
        return compat.prelu(x, self.w)


def prelu(leaf: spec.PReLU) -> nn.PReLU:
    return PReLU(channel=leaf.num_parameters, w=leaf.init)


def step_size(leaf: spec.StepSize) -> Union[Parameter, float]:
    return Parameter(Tensor(np.full((1,), leaf.value, np.float32))) if leaf.learnable else leaf.value


class LeakyReLU(nn.LeakyReLU):
    """``nn.LeakyReLU`` with torch's gradient at 0 (see ``compat.leaky_relu``)."""

    def construct(self, x):
        return compat.leaky_relu(x, self.alpha)


def leaky_relu(leaf: spec.LeakyReLU) -> nn.LeakyReLU:
    return LeakyReLU(alpha=leaf.negative_slope)


class GlobalAvgPool(nn.Cell):
    """Mean over H and W keeping both axes (torch ``AdaptiveAvgPool2d(1)``)."""

    def construct(self, x):
        return x.mean(axis=(2, 3), keep_dims=True)


LEAF_FACTORIES: Dict[str, Callable] = {
    "Conv2d": conv2d,
    "ConvTranspose2d": conv_transpose2d,
    "Linear": linear,
    "BatchNorm2d": batch_norm2d,
    "InstanceNorm2d": instance_norm2d,
    "PReLU": prelu,
    "StepSize": step_size,
    "LeakyReLU": leaky_relu,
    "ReLU": lambda leaf: nn.ReLU(),
    "Sigmoid": lambda leaf: nn.Sigmoid(),
    "GlobalAvgPool": lambda leaf: GlobalAvgPool(),
}


def make_leaf(leaf: spec.Leaf):
    return LEAF_FACTORIES[leaf.kind](leaf)


__all__ = ["CONV_ENV", "Conv2d", "InstanceNorm2d", "GlobalAvgPool", "LEAF_FACTORIES", "LeakyReLU", "LowMemoryConv2d",
           "PReLU", "conv_backward", "conv_backward_for", "make_leaf", "ms", "set_conv_backward"]
