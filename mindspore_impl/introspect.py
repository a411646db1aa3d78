"""Read a built MindSpore net back into spec terms, so tests compare real cells with the spec."""

from __future__ import annotations

from mindspore import Parameter, nn

from jcrnet_spec import layers as spec
from mindspore_impl.layers import GlobalAvgPool, InstanceNorm2d


def module_at(net: nn.Cell, path: str):
    obj = net
    for name in path.split("."):
        obj = obj[int(name)] if isinstance(obj, (nn.SequentialCell, nn.CellList)) else getattr(obj, name)
    return obj


def _one(value) -> int:
    first = value[0] if isinstance(value, (tuple, list)) else value
    if isinstance(value, (tuple, list)) and any(v != first for v in value):
        raise ValueError(f"non-uniform setting {value}")
    return int(first)


def _explicit_padding(cell) -> int:
    """MindSpore's default ``pad_mode='same'`` ignores ``padding``; only ``pad`` states it (pitfall 1)."""
    if cell.pad_mode != "pad":
        raise TypeError(f"{type(cell).__name__} uses pad_mode={cell.pad_mode!r}; the spec needs pad_mode='pad'")
    return _one(cell.padding)


def describe(obj) -> spec.Leaf:
    """The spec leaf that this MindSpore cell implements (raises ``TypeError`` for a cell the spec has no kind for)."""
    if isinstance(obj, nn.Conv2dTranspose):
        if _explicit_padding(obj) != 0:
            raise TypeError(f"unsupported Conv2dTranspose padding in {obj}")
        return spec.ConvTranspose2d(obj.in_channels, obj.out_channels, _one(obj.kernel_size), _one(obj.stride),
                                    bias=obj.has_bias)
    if isinstance(obj, nn.Conv2d):
        if obj.group != 1 or _one(obj.dilation) != 1:
            raise TypeError(f"unsupported Conv2d setting in {obj}")
        return spec.Conv2d(obj.in_channels, obj.out_channels, _one(obj.kernel_size), bias=obj.has_bias,
                           stride=_one(obj.stride), padding=_explicit_padding(obj))
    if isinstance(obj, nn.Dense):
        return spec.Linear(obj.in_channels, obj.out_channels, bias=obj.has_bias)
    if isinstance(obj, nn.BatchNorm2d):
        # MindSpore keeps momentum as 1 - (its argument), which is torch's convention.
        return spec.BatchNorm2d(obj.num_features, eps=obj.eps, momentum=round(float(obj.momentum), 9))
    if isinstance(obj, InstanceNorm2d):
        return spec.InstanceNorm2d(obj.gamma.shape[0], eps=obj.eps)
    if isinstance(obj, nn.PReLU):
        return spec.PReLU(obj.w.shape[0], init=round(float(obj.w.asnumpy()[0]), 6))
    if isinstance(obj, Parameter):
        return spec.StepSize(round(float(obj.asnumpy()[0]), 6), learnable=True)
    if isinstance(obj, float):
        return spec.StepSize(obj, learnable=False)
    if isinstance(obj, nn.LeakyReLU):
        return spec.LeakyReLU(obj.alpha)
    if isinstance(obj, nn.ReLU):
        return spec.ReLU()
    if isinstance(obj, nn.Sigmoid):
        return spec.Sigmoid()
    if isinstance(obj, GlobalAvgPool):
        return spec.GlobalAvgPool()
    raise TypeError(f"no spec kind for {type(obj).__name__}")
