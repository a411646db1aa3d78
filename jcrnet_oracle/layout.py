"""The oracle's own reading of the parameter layout: variants, key names and shapes, validation, random weights.

The key list is produced by replaying the constructors of the authors' file (``DGUNet_LBP9_M.py``) in their
registration order, with MindSpore leaf names (``weight``/``bias``, PReLU ``w``, norms ``gamma``/``beta``/
``moving_mean``/``moving_variance``). A parameter shared by several cells is listed once, at its first
registration, under the last attribute path that holds it (that is how the published checkpoint names it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

#: The PReLU slope shared by phi_0, phit_0, phi_6 and phit_6 (the ``act=nn.PReLU()`` default argument, line 30).
PHI_SLOPE = "phit_6.body.1.w"
#: The PReLU slope shared by the CABs of shallow_feat1 and shallow_feat7 (one ``act``, lines 501-507).
CAB_SLOPE = "shallow_feat7.1.body.1.w"
#: Modules that hold parameters but are never called by ``DGUNet.construct``.
UNUSED_MODULES = ("conv40_64", "conv64_40", "illum.conv1", "illum.bn1", "illum.bn26", "lbp.local_weight2_1")
#: InstanceNorm2d keeps moving statistics that it never uses for its output.
UNUSED_SUFFIXES = (".norm.moving_mean", ".norm.moving_variance")


@dataclass(frozen=True)
class Variant:
    name: str
    #: has_bias of every nn.Conv2d whose has_bias the authors left at MindSpore's default (False); torch's is True.
    default_bias: bool
    #: slope of the LeakyReLU after SFT2 (authors' line 375 calls F.leaky_relu without alpha).
    sft_slope: float
    #: (r0, r6) when fixed; None when they are parameters ``r0``, ``r6`` of shape (1,).
    fixed_steps: Optional[Tuple[float, float]]


VARIANTS: Dict[str, Variant] = {
    # Lines 518-519: Tensor([0.4412]) / Tensor([0.4965]) are float32 tensors, so the factor multiplied is the
    # float32 rounding of each decimal; mindspore.ops.leaky_relu's default alpha is 0.2.
    "published": Variant("published", False, 0.2, (float(np.float32(0.4412)), float(np.float32(0.4965)))),
    # The PyTorch originals: torch.nn.Conv2d's bias=True default, F.leaky_relu's 0.01, nn.Parameter step sizes.
    "torch-defaults": Variant("torch-defaults", True, 0.01, None),
}


def get_variant(variant) -> Variant:
    if isinstance(variant, Variant):
        return variant
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return VARIANTS[variant]


class _LayoutBuilder:
    def __init__(self, variant: Variant):
        self.variant = variant
        self.rows: List[Tuple[str, Tuple[int, ...]]] = []

    def add(self, key: str, shape: Tuple[int, ...]) -> None:
        if all(key != k for k, _ in self.rows):
            self.rows.append((key, shape))

    def conv(self, key: str, cin: int, cout: int, k: int, bias) -> None:
        """bias: True / False as the authors wrote it, or None where they left MindSpore's default."""
        self.add(f"{key}.weight", (cout, cin, k, k))
        if self.variant.default_bias if bias is None else bias:
            self.add(f"{key}.bias", (cout,))

    def norm(self, key: str, channels: int) -> None:
        for leaf in ("moving_mean", "moving_variance", "gamma", "beta"):
            self.add(f"{key}.{leaf}", (channels,))

    def conv_block(self, key: str, cin: int, cout: int, k: int) -> None:
        self.conv(f"{key}.conv", cin, cout, k, True)
        self.add(f"{key}.act.w", (1,))

    def cab_branch(self, key: str) -> None:
        self.conv(f"{key}.0", 3, 40, 3, False)
        self.conv(f"{key}.1.CA.conv_du.0", 40, 10, 1, False)
        self.conv(f"{key}.1.CA.conv_du.2", 10, 40, 1, False)
        self.conv(f"{key}.1.body.0", 40, 40, 3, False)
        self.add(CAB_SLOPE, (1,))
        self.conv(f"{key}.1.body.2", 40, 40, 3, False)

    def unet_block(self, key: str, cin: int, cout: int, downsample: bool, hin: bool) -> None:
        self.conv(f"{key}.identity", cin, cout, 1, None)
        self.conv(f"{key}.conv_1", cin, cout, 3, True)
        self.conv(f"{key}.conv_2", cout, cout, 3, True)
        if hin:
            self.norm(f"{key}.norm", cout // 2)
        if downsample:
            self.conv(f"{key}.downsample", cout, cout, 4, False)

    def res_block(self, key: str) -> None:
        self.conv(f"{key}.body.0", 3, 64, 3, True)
        self.add(PHI_SLOPE, (1,))
        self.conv(f"{key}.body.2", 64, 3, 3, True)

    def back_projection(self, key: str) -> None:
        self.conv_block(f"{key}.conv_Encoder", 3, 1, 3)
        self.conv_block(f"{key}.conv_Offset", 1, 1, 3)
        self.conv_block(f"{key}.conv_Decoder", 1, 3, 3)

    def sft_layer(self, key: str) -> None:
        for name, cin, cout, k in (("SFT_scale_conv0", 32, 32, 3), ("SFT_scale_conv1", 32, 64, 3),
                                   ("SFT_shift_conv0", 32, 32, 1), ("SFT_shift_conv1", 32, 64, 1),
                                   ("SFT2", 128, 64, 3)):
            self.conv(f"{key}.{name}", cin, cout, k, None)


def layout(variant="published") -> List[Tuple[str, Tuple[int, ...]]]:
    """(key, shape) of every parameter, in the order the authors' cells register them."""
    v = get_variant(variant)
    b = _LayoutBuilder(v)
    if v.fixed_steps is None:
        b.add("r0", (1,))
        b.add("r6", (1,))
    b.cab_branch("shallow_feat1")
    b.cab_branch("shallow_feat7")
    b.unet_block("stage1_encoder.body.0", 40, 60, downsample=True, hin=True)
    b.unet_block("stage1_encoder.body.1", 60, 60, downsample=False, hin=True)
    b.add("stage1_decoder.body.0.up.weight", (60, 40, 2, 2))
    b.add("stage1_decoder.body.0.up.bias", (40,))
    b.unet_block("stage1_decoder.body.0.conv_block", 80, 40, downsample=False, hin=False)
    b.conv("stage1_decoder.skip_conv.0", 60, 40, 3, None)
    b.conv("sam12.conv1", 40, 40, 1, False)
    b.conv("sam12.conv2", 40, 3, 1, False)
    for name in ("phi_0", "phit_0", "phi_6", "phit_6"):
        b.res_block(name)
    b.conv("concat67", 80, 56, 3, False)
    b.conv("tail", 56, 3, 3, False)
    b.add("lbp.fusion.fc.0.weight", (1, 3))
    b.add("lbp.fusion.fc.2.weight", (3, 1))
    b.conv_block("lbp.fusion.outlayer", 3, 3, 1)
    for name in ("conv1_1", "conv2", "conv3"):
        b.back_projection(f"lbp.{name}")
    b.conv_block("lbp.local_weight1_1", 3, 3, 1)
    b.conv_block("lbp.local_weight2_1", 3, 3, 1)
    b.conv("conv40_64.0", 40, 64, 3, None)
    b.conv("conv64_40.0", 64, 40, 3, None)
    for name, cin, cout, k in (("conv11", 3, 32, 3), ("conv12", 32, 32, 3), ("conv13", 32, 64, 3),
                               ("conv14", 64, 64, 3), ("conv15", 64, 1, 1)):
        b.conv(f"illum.{name}", cin, cout, k, None)
    b.sft_layer("illum.sft.sft0")
    b.conv("illum.sft.conv0", 64, 64, 3, None)
    b.sft_layer("illum.sft.sft1")
    b.conv("illum.sft.conv1", 64, 64, 3, None)
    for index, cin, cout, k in ((0, 1, 64, 3), (2, 64, 64, 1), (4, 64, 32, 1)):
        b.conv(f"illum.CondNet.{index}", cin, cout, k, None)
    b.conv("illum.conv0", 3, 64, 3, None)
    b.conv("illum.conv1", 4, 64, 3, None)
    b.norm("illum.bn1", 64)
    b.conv("illum.conv3", 64, 128, 3, None)
    b.norm("illum.bn3", 128)
    for name in ("4", "5", "8", "9", "25"):
        b.conv(f"illum.conv{name}", 128, 128, 3, None)
        b.norm(f"illum.bn{name}", 128)
    b.conv("illum.conv26", 128, 3, 1, None)
    b.norm("illum.bn26", 3)
    return b.rows


def is_unused(key: str) -> bool:
    """True for parameters that cannot affect the output of the authors' forward pass."""
    return key.endswith(UNUSED_SUFFIXES) or any(key.startswith(m + ".") for m in UNUSED_MODULES)


def check_params(params: Mapping[str, np.ndarray], variant="published") -> Dict[str, np.ndarray]:
    """float64 copies of ``params`` after checking that keys and shapes are exactly the variant's layout.

    Raises ValueError naming every missing key, unexpected key and shape mismatch at once.
    """
    v = get_variant(variant)
    expected = dict(layout(v))
    problems = []
    missing = [k for k in expected if k not in params]
    unexpected = sorted(k for k in params if k not in expected)
    if missing:
        problems.append(f"missing {len(missing)} key(s): {', '.join(missing)}")
    if unexpected:
        problems.append(f"unexpected {len(unexpected)} key(s): {', '.join(unexpected)}")
    out = {}
    for key, shape in expected.items():
        if key not in params:
            continue
        value = np.asarray(params[key])
        if not (np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)):
            problems.append(f"{key}: dtype {value.dtype} is not numeric")
        elif tuple(value.shape) != shape:
            problems.append(f"{key}: shape expected {shape}, found {tuple(value.shape)}")
        else:
            out[key] = value.astype(np.float64)
    if problems:
        raise ValueError(f"parameters do not match the {v.name!r} layout: " + "; ".join(problems))
    return out


def _fan_in(key: str, shape: Tuple[int, ...]) -> int:
    if key.endswith("up.weight"):  # (C_in, C_out, 2, 2): each output pixel sees one tap of every input channel
        return shape[0]
    return int(np.prod(shape[1:]))


#: Weight gain of the illumination net's convs: its 13-conv ReLU/BatchNorm stack shrinks the signal, and with
#: gain 1 its sigmoid output s stays within about 0.49..0.60 (nearly flat); 1.7 spreads s over about 0.35..0.86.
ILLUM_GAIN = 1.7


def random_params(variant="published", seed: int = 0, gain: float = 1.0) -> Dict[str, np.ndarray]:
    """Random float32 weights in the variant's layout.

    Weights and biases uniform in +-gain/sqrt(fan_in) (times ILLUM_GAIN in the illumination net); BatchNorm
    statistics and affine terms away from their identity values; InstanceNorm moving statistics deliberately wild
    (they must not matter); PReLU slopes in [-0.6, 0.6] with both signs present; r0, r6 (torch-defaults) in
    [0.3, 0.7]. The same seed gives the same arrays for every input size.
    """
    rng = np.random.default_rng(seed)
    rows = dict(layout(variant))
    out: Dict[str, np.ndarray] = {}
    for key, shape in rows.items():
        if key in ("r0", "r6"):
            value = rng.uniform(0.3, 0.7, shape)
        elif key.endswith(".w"):
            value = rng.uniform(-0.6, 0.6, shape)
        elif key.endswith(UNUSED_SUFFIXES):
            value = rng.uniform(0.5, 5.0, shape) * rng.choice([-1.0, 1.0], shape)
        elif key.endswith(".moving_mean") or key.endswith(".beta"):
            value = rng.uniform(-0.3, 0.3, shape)
        elif key.endswith(".moving_variance") or key.endswith(".gamma"):
            value = rng.uniform(0.5, 1.5, shape)
        else:
            weight_key = key[: -len(".bias")] + ".weight" if key.endswith(".bias") else key
            bound = gain * (ILLUM_GAIN if key.startswith("illum.") else 1.0)
            bound /= np.sqrt(_fan_in(weight_key, rows[weight_key]))
            value = rng.uniform(-bound, bound, shape)
        out[key] = value.astype(np.float32)
    slopes = [k for k in out if k.endswith(".w")]
    signs = np.sign([out[k][0] for k in slopes])
    if np.all(signs >= 0) or np.all(signs <= 0):
        out[slopes[0]] = -out[slopes[0]]
    return out
