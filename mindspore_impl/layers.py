"""Spec leaf -> MindSpore cell. One factory per leaf kind; every argument spelled out.

MindSpore's defaults differ from torch's (``nn.Conv2d``: ``has_bias=False, pad_mode='same'``; ``nn.BatchNorm2d``:
``momentum=0.9`` meaning the weight of the old value), so nothing here relies on a default.
"""

from __future__ import annotations

from typing import Callable, Dict, Union

import mindspore as ms
import numpy as np
from mindspore import Parameter, Tensor, nn, ops

from jcrnet_spec import layers as spec
from mindspore_impl import compat


def conv2d(leaf: spec.Conv2d) -> nn.Conv2d:
    return nn.Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size, stride=leaf.stride, pad_mode="pad",
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


def prelu(leaf: spec.PReLU) -> nn.PReLU:
    return nn.PReLU(channel=leaf.num_parameters, w=leaf.init)


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


__all__ = ["InstanceNorm2d", "GlobalAvgPool", "LEAF_FACTORIES", "LeakyReLU", "make_leaf", "ms"]
