"""Spec leaf -> torch layer. One factory per leaf kind; every argument spelled out."""

from __future__ import annotations

from typing import Callable, Dict, Union

import torch
from torch import nn

from jcrnet_spec import layers as spec


def conv2d(leaf: spec.Conv2d) -> nn.Conv2d:
    return nn.Conv2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size, stride=leaf.stride, padding=leaf.pad,
                     bias=leaf.bias)


def conv_transpose2d(leaf: spec.ConvTranspose2d) -> nn.ConvTranspose2d:
    return nn.ConvTranspose2d(leaf.in_channels, leaf.out_channels, leaf.kernel_size, stride=leaf.stride,
                              padding=0, bias=leaf.bias)


def linear(leaf: spec.Linear) -> nn.Linear:
    return nn.Linear(leaf.in_features, leaf.out_features, bias=leaf.bias)


def batch_norm2d(leaf: spec.BatchNorm2d) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(leaf.num_features, eps=leaf.eps, momentum=leaf.momentum)


def instance_norm2d(leaf: spec.InstanceNorm2d) -> nn.InstanceNorm2d:
    return nn.InstanceNorm2d(leaf.num_features, eps=leaf.eps, affine=True, track_running_stats=False)


def prelu(leaf: spec.PReLU) -> nn.PReLU:
    return nn.PReLU(leaf.num_parameters, init=leaf.init)


def step_size(leaf: spec.StepSize) -> Union[nn.Parameter, float]:
    return nn.Parameter(torch.full((1,), leaf.value)) if leaf.learnable else leaf.value


def leaky_relu(leaf: spec.LeakyReLU) -> nn.LeakyReLU:
    return nn.LeakyReLU(leaf.negative_slope)


def global_avg_pool(leaf: spec.GlobalAvgPool) -> nn.AdaptiveAvgPool2d:
    return nn.AdaptiveAvgPool2d(1)


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
    "GlobalAvgPool": global_avg_pool,
}


def make_leaf(leaf: spec.Leaf):
    return LEAF_FACTORIES[leaf.kind](leaf)
