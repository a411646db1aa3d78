"""JCRNet, layer by layer: the module tree, the two presets and the dataflow facts.

The tree is the checkpoint contract: every attribute path here (``stage1_encoder.body.0.conv_1``) is an attribute
path in both implementations. Composite blocks name their kind; each implementation maps the kind to one class
whose constructor adds the children in this order and whose forward pass is the only hand-written part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Dict, Iterator, Optional, Tuple, Union

from jcrnet_spec.errors import UnknownChoiceError
from jcrnet_spec.layers import (
    BatchNorm2d, Conv2d, ConvTranspose2d, GlobalAvgPool, InstanceNorm2d, Leaf, LeakyReLU, Linear, PReLU, ReLU,
    Sigmoid, StepSize,
)

Node = Union["Block", Leaf]


@dataclass(frozen=True)
class Block:
    """A composite module. ``kind`` picks the implementation class; ``options`` are its non-layer constants."""

    kind: str
    children: Tuple[Tuple[str, Node], ...]
    options: Tuple[Tuple[str, object], ...] = ()

    def child(self, name: str) -> Node:
        for child_name, node in self.children:
            if child_name == name:
                return node
        raise KeyError(f"{self.kind} has no child {name!r}")

    def option(self, name: str) -> object:
        return dict(self.options)[name]


def seq(*nodes: Node) -> Block:
    """An ordered container called in sequence (torch ``nn.Sequential``, MindSpore ``nn.SequentialCell``)."""
    return Block("Sequential", tuple((str(i), node) for i, node in enumerate(nodes)))


def indexed(*nodes: Node) -> Block:
    """An indexed container (torch ``nn.ModuleList``, MindSpore ``nn.CellList``)."""
    return Block("List", tuple((str(i), node) for i, node in enumerate(nodes)))


@dataclass(frozen=True)
class Preset:
    """Numerics that differ between the published MindSpore code and the PyTorch originals."""

    name: str
    description: str
    extra_bias: bool  # bias on identity, skip_conv, illum and conv40_64/conv64_40 (torch's default bias=True)
    sft_slope: float  # negative slope of the LeakyReLU after SFT2
    step_sizes: Tuple[float, float]  # r0, r6
    learnable_step_sizes: bool


PRESETS: Dict[str, Preset] = {
    "published": Preset(
        "published",
        "numerics of the published MindSpore code (JCRNet_LBP9_M.py)",
        extra_bias=False, sft_slope=0.2, step_sizes=(0.4412, 0.4965), learnable_step_sizes=False,
    ),
    "torch-defaults": Preset(
        "torch-defaults",
        "what the PyTorch originals give (DGUNet, DLN, SFT)",
        extra_bias=True, sft_slope=0.01, step_sizes=(0.5, 0.5), learnable_step_sizes=True,
    ),
}
DEFAULT_PRESET = "published"

#: Hyper-parameters of the published network.
N_FEAT = 40
SCALE_UNETFEATS = 20
REDUCTION = 4
HIN_EPS = 1e-5
UNET_SLOPE = 0.2
SFT_CONDITION_SLOPE = 0.1
BN_EPS = 1e-5
BN_MOMENTUM = 0.1  # torch convention
LBP_FUSION_REDUCTION = 3


def _conv(cin: int, cout: int, k: int = 3, bias: bool = False, stride: int = 1, padding: int = -1) -> Conv2d:
    return Conv2d(cin, cout, k, bias=bias, stride=stride, padding=padding)


def _res_block() -> Block:
    return Block("ResBlock", (("body", seq(_conv(3, 64, bias=True), PReLU(), _conv(64, 3, bias=True))),))


def _cab(n: int) -> Block:
    ca = Block("CALayer", (
        ("avg_pool", GlobalAvgPool()),
        ("conv_du", seq(_conv(n, n // REDUCTION, 1), ReLU(), _conv(n // REDUCTION, n, 1), Sigmoid())),
    ))
    return Block("CAB", (("CA", ca), ("body", seq(_conv(n, n), PReLU(), _conv(n, n)))))


def _shallow_feat() -> Block:
    return seq(_conv(3, N_FEAT), _cab(N_FEAT))


def _unet_conv_block(cin: int, cout: int, p: Preset, hin: bool, downsample: bool) -> Block:
    children = [
        ("identity", _conv(cin, cout, 1, bias=p.extra_bias)),
        ("conv_1", _conv(cin, cout, bias=True)),
        ("relu_1", LeakyReLU(UNET_SLOPE)),
        ("conv_2", _conv(cout, cout, bias=True)),
        ("relu_2", LeakyReLU(UNET_SLOPE)),
    ]
    if hin:
        children.append(("norm", InstanceNorm2d(cout // 2, eps=HIN_EPS)))
    if downsample:
        children.append(("downsample", _conv(cout, cout, 4, stride=2, padding=1)))
    return Block("UNetConvBlock", tuple(children))


def _stage1(p: Preset) -> Tuple[Tuple[str, Node], ...]:
    c0, c1 = N_FEAT, N_FEAT + SCALE_UNETFEATS
    encoder = Block("Encoder", (("body", indexed(
        _unet_conv_block(c0, c1, p, hin=True, downsample=True),
        _unet_conv_block(c1, c1, p, hin=True, downsample=False),
    )),))
    up_block = Block("UNetUpBlock", (
        ("up", ConvTranspose2d(c1, c0, 2, stride=2, bias=True)),
        ("conv_block", _unet_conv_block(2 * c0, c0, p, hin=False, downsample=False)),
    ))
    decoder = Block("Decoder", (
        ("body", indexed(up_block)),
        ("skip_conv", indexed(_conv(c1, c0, bias=p.extra_bias))),
    ))
    sam = Block("SAM", (("conv1", _conv(c0, c0, 1)), ("conv2", _conv(c0, 3, 1))))
    return (("stage1_encoder", encoder), ("stage1_decoder", decoder), ("sam12", sam))


def _sft_layer(p: Preset) -> Block:
    b = p.extra_bias
    return Block(
        "SFTLayer",
        (
            ("SFT_scale_conv0", _conv(32, 32, bias=b)),
            ("SFT_scale_conv1", _conv(32, 64, bias=b)),
            ("SFT_shift_conv0", _conv(32, 32, 1, bias=b)),
            ("SFT_shift_conv1", _conv(32, 64, 1, bias=b)),
            ("SFT2", _conv(128, 64, bias=b)),
        ),
        (("condition_slope", SFT_CONDITION_SLOPE), ("fused_slope", p.sft_slope)),
    )


def _illum(p: Preset) -> Block:
    b = p.extra_bias
    sft = Block("ResBlockSFT", (
        ("sft0", _sft_layer(p)), ("conv0", _conv(64, 64, bias=b)),
        ("sft1", _sft_layer(p)), ("conv1", _conv(64, 64, bias=b)),
    ))
    children = [
        ("conv11", _conv(3, 32, bias=b)),
        ("conv12", _conv(32, 32, bias=b)),
        ("conv13", _conv(32, 64, bias=b)),
        ("conv14", _conv(64, 64, bias=b)),
        ("conv15", _conv(64, 1, 1, bias=b)),
        ("sft", sft),
        ("CondNet", seq(_conv(1, 64, bias=b), ReLU(), _conv(64, 64, 1, bias=b), ReLU(), _conv(64, 32, 1, bias=b))),
        ("conv0", _conv(3, 64, bias=b)),
        ("conv1", _conv(4, 64, bias=b)),
        ("bn1", BatchNorm2d(64, BN_EPS, BN_MOMENTUM)),
        ("conv3", _conv(64, 128, bias=b)),
        ("bn3", BatchNorm2d(128, BN_EPS, BN_MOMENTUM)),
    ]
    for i in (4, 5, 8, 9, 25):
        children += [(f"conv{i}", _conv(128, 128, bias=b)), (f"bn{i}", BatchNorm2d(128, BN_EPS, BN_MOMENTUM))]
    children += [
        ("conv26", _conv(128, 3, 1, bias=b)),
        ("bn26", BatchNorm2d(3, BN_EPS, BN_MOMENTUM)),
        ("tanh", Sigmoid()),  # named tanh in the published code, but a Sigmoid
    ]
    return Block("IllumNet", tuple(children))


def _conv_block(cin: int, cout: int, k: int) -> Block:
    return Block("ConvBlock", (("conv", _conv(cin, cout, k, bias=True)), ("act", PReLU())))


def _back_projection(kind: str) -> Block:
    return Block(kind, (
        ("conv_Encoder", _conv_block(3, 1, 3)),
        ("conv_Offset", _conv_block(1, 1, 3)),
        ("conv_Decoder", _conv_block(1, 3, 3)),
    ))


def _lbp() -> Block:
    r = LBP_FUSION_REDUCTION
    fusion = Block("FusionLayer", (
        ("avg_pool", GlobalAvgPool()),
        ("fc", seq(Linear(3, 3 // r, bias=False), ReLU(), Linear(3 // r, 3, bias=False), Sigmoid())),
        ("outlayer", _conv_block(3, 3, 1)),
    ))
    return Block("LBP", (
        ("fusion", fusion),
        ("conv1_1", _back_projection("LightenBlock")),
        ("conv2", _back_projection("DarkenBlock")),
        ("conv3", _back_projection("LightenBlock")),
        ("local_weight1_1", _conv_block(3, 3, 1)),
        ("local_weight2_1", _conv_block(3, 3, 1)),
    ))


def _root(p: Preset) -> Block:
    r0, r6 = p.step_sizes
    children = (
        ("r0", StepSize(r0, p.learnable_step_sizes)),
        ("r6", StepSize(r6, p.learnable_step_sizes)),
        ("shallow_feat1", _shallow_feat()),
        ("shallow_feat7", _shallow_feat()),
        *_stage1(p),
        ("phi_0", _res_block()),
        ("phit_0", _res_block()),
        ("phi_6", _res_block()),
        ("phit_6", _res_block()),
        ("concat67", _conv(2 * N_FEAT, N_FEAT + 16, bias=False)),
        ("tail", _conv(N_FEAT + 16, 3, bias=False)),
        ("lbp", _lbp()),
        ("conv40_64", seq(_conv(N_FEAT, 64, bias=p.extra_bias), ReLU())),
        ("conv64_40", seq(_conv(64, N_FEAT, bias=p.extra_bias), ReLU())),
        ("illum", _illum(p)),
    )
    return Block("JCRNet", children)


@dataclass(frozen=True)
class SharedGroup:
    """One module instance reachable from several paths of one model (never shared across models).

    torch's state_dict repeats its parameters under every path; MindSpore names it after the last path that
    holds it and saves it once, at the position of the first.
    """

    name: str
    paths: Tuple[str, ...]

    @property
    def mindspore_path(self) -> str:
        return self.paths[-1]


SHARED_GROUPS: Tuple[SharedGroup, ...] = (
    SharedGroup("gradient_step_prelu", ("phi_0.body.1", "phit_0.body.1", "phi_6.body.1", "phit_6.body.1")),
    SharedGroup("cab_prelu", ("shallow_feat1.1.body.1", "shallow_feat7.1.body.1")),
)

#: Modules that hold parameters but are never called; they exist so that published checkpoints load strictly.
UNUSED_MODULES: Tuple[str, ...] = (
    "conv40_64", "conv64_40", "illum.conv1", "illum.bn1", "illum.bn26", "lbp.local_weight2_1",
)

#: The model's outputs, in order.
OUTPUTS: Tuple[str, ...] = ("enhanced", "stage1")


@dataclass(frozen=True)
class Architecture:
    """The whole JCRNet of one preset: the tree plus the dataflow facts."""

    preset: Preset
    root: Block
    shared_groups: Tuple[SharedGroup, ...] = SHARED_GROUPS
    unused_modules: Tuple[str, ...] = UNUSED_MODULES
    outputs: Tuple[str, ...] = OUTPUTS
    _index: Dict[str, Node] = field(default_factory=dict, compare=False, repr=False)

    def walk(self) -> Iterator[Tuple[str, Node]]:
        """Every node below the root with its attribute path, depth first, in attribute order."""

        def visit(node: Node, prefix: str) -> Iterator[Tuple[str, Node]]:
            if isinstance(node, Block):
                for name, child in node.children:
                    path = f"{prefix}.{name}" if prefix else name
                    yield path, child
                    yield from visit(child, path)

        return visit(self.root, "")

    def leaves(self) -> Iterator[Tuple[str, Leaf]]:
        return ((path, node) for path, node in self.walk() if isinstance(node, Leaf))

    def node(self, path: str) -> Node:
        if not self._index:
            self._index.update(self.walk())
        try:
            return self._index[path]
        except KeyError:
            raise KeyError(f"JCRNet has no module at {path!r}") from None

    def shared_group_of(self, path: str) -> Optional[SharedGroup]:
        for group in self.shared_groups:
            if path in group.paths:
                return group
        return None

    def is_used(self, path: str) -> bool:
        return not any(path == m or path.startswith(m + ".") for m in self.unused_modules)

    def fixed_constants(self) -> Dict[str, float]:
        return {path: leaf.value for path, leaf in self.leaves() if isinstance(leaf, StepSize) and not leaf.learnable}


@cache
def architecture(preset: str = DEFAULT_PRESET) -> Architecture:
    """The spec of JCRNet for a preset name (``published`` or ``torch-defaults``); built once per process (call
    ``architecture.cache_clear()`` after changing a module constant such as ``UNET_SLOPE``)."""
    if preset not in PRESETS:
        raise UnknownChoiceError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    p = PRESETS[preset]
    return Architecture(p, _root(p))


def preset_differences(first: str, second: str) -> Tuple[str, ...]:
    """How the numbers of preset ``second`` differ from those of ``first``, one phrase each (empty: the same)."""
    a, b = architecture(first), architecture(second)
    out = []
    bias = [path for path, leaf in a.leaves() if isinstance(leaf, Conv2d) and leaf.bias != b.node(path).bias]
    if bias:
        has = {True: "with", False: "without"}
        out.append(f"{len(bias)} convs {has[a.node(bias[0]).bias]} vs {has[b.node(bias[0]).bias]} bias")
    if a.preset.sft_slope != b.preset.sft_slope:
        out.append(f"SFT LeakyReLU slope {a.preset.sft_slope} vs {b.preset.sft_slope}")
    kind = {True: "learnable", False: "fixed"}
    if (a.preset.step_sizes, a.preset.learnable_step_sizes) != (b.preset.step_sizes, b.preset.learnable_step_sizes):
        out.append(f"step sizes r0, r6 {kind[a.preset.learnable_step_sizes]} {a.preset.step_sizes} vs "
                   f"{kind[b.preset.learnable_step_sizes]} {b.preset.step_sizes}")
    return tuple(out)
