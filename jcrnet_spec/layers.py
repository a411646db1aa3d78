"""Leaf layer kinds of the spec and the parameter rule table.

A leaf is one framework layer (a torch ``nn.Module`` / a MindSpore ``nn.Cell``) with its hyper-parameters. Its
parameters follow from ``PARAM_RULES``: one row per kind, pairing each torch state_dict leaf name with the
MindSpore checkpoint leaf name. Shapes are equal in both frameworks for every kind JCRNet uses (Dense weights are
(out, in) in both, ConvTranspose weights (in, out, kH, kW) in both), so each parameter has one shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Dict, Optional, Tuple

Shape = Tuple[int, ...]

#: Roles of a stored tensor.
TRAINABLE = "trainable"  # learned by gradient descent, present in both frameworks
RUNNING_STAT = "running_stat"  # BatchNorm running statistic, present in both frameworks
TORCH_ONLY_COUNTER = "torch_only_counter"  # torch's num_batches_tracked; MindSpore has no counterpart
MINDSPORE_ONLY_STAT = "mindspore_only_stat"  # MindSpore InstanceNorm moving statistic; never used for the output


@dataclass(frozen=True)
class ParamRule:
    """How one parameter of a layer kind is named in each framework (None: absent there)."""

    torch: Optional[str]
    mindspore: Optional[str]
    role: str
    fill: float = 0.0  # value to give it when converting from the framework that lacks it


#: The rule table: one row per layer kind, rules in torch state_dict order.
PARAM_RULES: Dict[str, Tuple[ParamRule, ...]] = {
    "Conv2d": (ParamRule("weight", "weight", TRAINABLE), ParamRule("bias", "bias", TRAINABLE)),
    "ConvTranspose2d": (ParamRule("weight", "weight", TRAINABLE), ParamRule("bias", "bias", TRAINABLE)),
    "Linear": (ParamRule("weight", "weight", TRAINABLE), ParamRule("bias", "bias", TRAINABLE)),
    "PReLU": (ParamRule("weight", "w", TRAINABLE),),
    "BatchNorm2d": (
        ParamRule("weight", "gamma", TRAINABLE),
        ParamRule("bias", "beta", TRAINABLE),
        ParamRule("running_mean", "moving_mean", RUNNING_STAT),
        ParamRule("running_var", "moving_variance", RUNNING_STAT),
        ParamRule("num_batches_tracked", None, TORCH_ONLY_COUNTER),
    ),
    "InstanceNorm2d": (
        ParamRule("weight", "gamma", TRAINABLE),
        ParamRule("bias", "beta", TRAINABLE),
        ParamRule(None, "moving_mean", MINDSPORE_ONLY_STAT),
        ParamRule(None, "moving_variance", MINDSPORE_ONLY_STAT, fill=1.0),
    ),
    # A step size is a parameter held directly by its parent; its key is the layer path itself ("").
    "StepSize": (ParamRule("", "", TRAINABLE),),
}

#: MindSpore's own order of a cell's parameters, where it differs from the rule order (moving statistics first).
MINDSPORE_ORDER: Dict[str, Tuple[str, ...]] = {
    "BatchNorm2d": ("moving_mean", "moving_variance", "gamma", "beta"),
    "InstanceNorm2d": ("moving_mean", "moving_variance", "gamma", "beta"),
}


@dataclass(frozen=True)
class Leaf:
    """Base of all leaf kinds. ``kind`` names the layer; ``param_shapes`` maps rule names to shapes."""

    kind: ClassVar[str] = ""

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        return {}

    def describe(self) -> str:
        fields = ", ".join(f"{k}={v}" for k, v in self.__dict__.items())
        return f"{self.kind}({fields})"


@dataclass(frozen=True)
class Conv2d(Leaf):
    in_channels: int
    out_channels: int
    kernel_size: int
    bias: bool
    stride: int = 1
    padding: int = -1  # -1 resolves to kernel_size // 2 ("same" for odd kernels at stride 1)

    kind: ClassVar[str] = "Conv2d"

    def __post_init__(self):
        if self.padding < 0:
            object.__setattr__(self, "padding", self.kernel_size // 2)

    @property
    def pad(self) -> int:
        return self.padding

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        weight, bias = PARAM_RULES[self.kind]
        shapes = {weight: (self.out_channels, self.in_channels, self.kernel_size, self.kernel_size)}
        if self.bias:
            shapes[bias] = (self.out_channels,)
        return shapes


@dataclass(frozen=True)
class ConvTranspose2d(Leaf):
    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int
    bias: bool

    kind: ClassVar[str] = "ConvTranspose2d"

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        weight, bias = PARAM_RULES[self.kind]
        shapes = {weight: (self.in_channels, self.out_channels, self.kernel_size, self.kernel_size)}
        if self.bias:
            shapes[bias] = (self.out_channels,)
        return shapes


@dataclass(frozen=True)
class Linear(Leaf):
    in_features: int
    out_features: int
    bias: bool

    kind: ClassVar[str] = "Linear"

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        weight, bias = PARAM_RULES[self.kind]
        shapes = {weight: (self.out_features, self.in_features)}
        if self.bias:
            shapes[bias] = (self.out_features,)
        return shapes


@dataclass(frozen=True)
class BatchNorm2d(Leaf):
    """``momentum`` is in torch's convention (weight of the new batch); MindSpore's is ``1 - momentum``."""

    num_features: int
    eps: float = 1e-5
    momentum: float = 0.1

    kind: ClassVar[str] = "BatchNorm2d"

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        rules = PARAM_RULES[self.kind]
        return {rule: (() if rule.role == TORCH_ONLY_COUNTER else (self.num_features,)) for rule in rules}


@dataclass(frozen=True)
class InstanceNorm2d(Leaf):
    """Affine instance norm, biased variance, no running statistics used (torch ``track_running_stats=False``)."""

    num_features: int
    eps: float = 1e-5

    kind: ClassVar[str] = "InstanceNorm2d"

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        return {rule: (self.num_features,) for rule in PARAM_RULES[self.kind]}


@dataclass(frozen=True)
class PReLU(Leaf):
    num_parameters: int = 1
    init: float = 0.25

    kind: ClassVar[str] = "PReLU"

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        return {PARAM_RULES[self.kind][0]: (self.num_parameters,)}


@dataclass(frozen=True)
class StepSize(Leaf):
    """A gradient-descent step size: a learnable (1,) parameter, or a fixed constant that no checkpoint holds."""

    value: float
    learnable: bool

    kind: ClassVar[str] = "StepSize"

    def param_shapes(self) -> Dict[ParamRule, Shape]:
        return {PARAM_RULES[self.kind][0]: (1,)} if self.learnable else {}


@dataclass(frozen=True)
class LeakyReLU(Leaf):
    negative_slope: float

    kind: ClassVar[str] = "LeakyReLU"


@dataclass(frozen=True)
class ReLU(Leaf):
    kind: ClassVar[str] = "ReLU"


@dataclass(frozen=True)
class Sigmoid(Leaf):
    kind: ClassVar[str] = "Sigmoid"


@dataclass(frozen=True)
class GlobalAvgPool(Leaf):
    """Mean over H and W, keeping them as size-1 axes (torch ``AdaptiveAvgPool2d(1)``)."""

    kind: ClassVar[str] = "GlobalAvgPool"


LEAF_KINDS: Dict[str, type] = {
    cls.kind: cls
    for cls in (
        Conv2d, ConvTranspose2d, Linear, BatchNorm2d, InstanceNorm2d, PReLU, StepSize,
        LeakyReLU, ReLU, Sigmoid, GlobalAvgPool,
    )
}
