"""Read a built torch model back into spec terms, so tests compare real layers with the spec."""

from __future__ import annotations

from typing import Union

import torch
from torch import nn

from jcrnet_spec import layers as spec


def module_at(model: nn.Module, path: str) -> Union[nn.Module, torch.Tensor, float]:
    obj = model
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def _one(value) -> int:
    first = value[0] if isinstance(value, (tuple, list)) else value
    if isinstance(value, (tuple, list)) and any(v != first for v in value):
        raise ValueError(f"non-square setting {value}")
    return int(first)


def describe(obj) -> spec.Leaf:
    """The spec leaf that this torch layer implements (raises ``TypeError`` for a layer the spec has no kind for)."""
    if isinstance(obj, nn.Conv2d):
        if obj.groups != 1 or _one(obj.dilation) != 1 or obj.padding_mode != "zeros":
            raise TypeError(f"unsupported Conv2d setting in {obj}")
        return spec.Conv2d(obj.in_channels, obj.out_channels, _one(obj.kernel_size), bias=obj.bias is not None,
                           stride=_one(obj.stride), padding=_one(obj.padding))
    if isinstance(obj, nn.ConvTranspose2d):
        if _one(obj.padding) != 0 or _one(obj.output_padding) != 0:
            raise TypeError(f"unsupported ConvTranspose2d setting in {obj}")
        return spec.ConvTranspose2d(obj.in_channels, obj.out_channels, _one(obj.kernel_size), _one(obj.stride),
                                    bias=obj.bias is not None)
    if isinstance(obj, nn.Linear):
        return spec.Linear(obj.in_features, obj.out_features, bias=obj.bias is not None)
    if isinstance(obj, nn.BatchNorm2d):
        return spec.BatchNorm2d(obj.num_features, eps=obj.eps, momentum=obj.momentum)
    if isinstance(obj, nn.InstanceNorm2d):
        if not obj.affine or obj.track_running_stats:
            raise TypeError(f"unsupported InstanceNorm2d setting in {obj}")
        return spec.InstanceNorm2d(obj.num_features, eps=obj.eps)
    if isinstance(obj, nn.PReLU):
        return spec.PReLU(obj.num_parameters, init=round(float(obj.weight.detach()[0]), 6))
    if isinstance(obj, nn.Parameter):
        return spec.StepSize(round(float(obj.detach()[0]), 6), learnable=True)
    if isinstance(obj, float):
        return spec.StepSize(obj, learnable=False)
    if isinstance(obj, nn.LeakyReLU):
        return spec.LeakyReLU(obj.negative_slope)
    if isinstance(obj, nn.ReLU):
        return spec.ReLU()
    if isinstance(obj, nn.Sigmoid):
        return spec.Sigmoid()
    if isinstance(obj, nn.AdaptiveAvgPool2d) and obj.output_size in (1, (1, 1)):
        return spec.GlobalAvgPool()
    raise TypeError(f"no spec kind for {type(obj).__name__}")
