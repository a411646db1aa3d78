"""JCRNet's forward pass, read from the authors' ``DGUNet_LBP9_M.py`` (Daniel00008/JCRNet-mindspore, HEAD 5246848).

Line numbers in comments refer to that file. Eval mode only: BatchNorm uses its moving statistics, InstanceNorm
the statistics of each sample.
"""

from __future__ import annotations

from typing import Dict, Mapping

import numpy as np

from jcrnet_oracle import ops
from jcrnet_oracle.layout import CAB_SLOPE, PHI_SLOPE, Variant, check_params, get_variant, is_unused

NORM_EPS = 1e-5  # MindSpore's default eps of nn.InstanceNorm2d and nn.BatchNorm2d (lines 186, 418-446)
UNET_SLOPE = 0.2  # relu_slope of every UNetConvBlock (lines 144, 145, 233)
SFT_CONDITION_SLOPE = 0.1  # the two explicit F.leaky_relu(..., 0.1) of SFTLayer (lines 374, 376)

OUTPUTS = ("enhanced", "stage1")
INTERMEDIATES = ("x1_img", "sam_feats", "illum", "x7_img", "lbp")


class _Net:
    """Reads parameters by their checkpoint keys and remembers which ones the forward pass touched."""

    def __init__(self, params: Dict[str, np.ndarray], variant: Variant):
        self.params = params
        self.variant = variant
        self.used = set()

    def __getitem__(self, key: str) -> np.ndarray:
        self.used.add(key)
        return self.params[key]

    def conv(self, key: str, x: np.ndarray, bias, stride: int = 1, padding=None) -> np.ndarray:
        """nn.Conv2d at ``key``; bias True/False as written, None where the authors left MindSpore's default.

        padding None: k // 2, which is what every conv of the file gets (``pad_mode='pad', padding=k//2``
        or, for the 1x1 convs left at ``pad_mode='same'``, no padding at all).
        """
        weight = self[f"{key}.weight"]
        has_bias = self.variant.default_bias if bias is None else bias
        pad = weight.shape[-1] // 2 if padding is None else padding
        return ops.conv2d(x, weight, self[f"{key}.bias"] if has_bias else None, stride=stride, padding=pad)

    def check_all_used(self) -> None:
        untouched = sorted(k for k in self.params if k not in self.used and not is_unused(k))
        touched_unused = sorted(k for k in self.used if is_unused(k))
        if untouched or touched_unused:
            raise RuntimeError(f"oracle bug: parameters never read {untouched}, unused ones read {touched_unused}")


def _res_block(net: _Net, key: str, x: np.ndarray) -> np.ndarray:
    """ResBlock(default_conv, 3, 3) (lines 27-54): conv 3->64 (bias), shared PReLU, conv 64->3 (bias), + x."""
    y = ops.prelu(net.conv(f"{key}.body.0", x, True), net[PHI_SLOPE])
    return net.conv(f"{key}.body.2", y, True) + x


def _gradient_step(net: _Net, phi: str, phit: str, estimate: np.ndarray, img: np.ndarray, step) -> np.ndarray:
    """Lines 542-543 / 567-568: estimate - r * phit(phi(estimate) - img)."""
    return estimate - step * _res_block(net, phit, _res_block(net, phi, estimate) - img)


def _shallow_feat(net: _Net, key: str, x: np.ndarray) -> np.ndarray:
    """SequentialCell(conv 3->40, CAB(40)) (lines 504-507); CAB and CALayer at lines 59-93."""
    x = net.conv(f"{key}.0", x, False)
    body = net.conv(f"{key}.1.body.0", x, False)
    body = net.conv(f"{key}.1.body.2", ops.prelu(body, net[CAB_SLOPE]), False)
    attention = ops.global_avg_pool(body)
    attention = ops.relu(net.conv(f"{key}.1.CA.conv_du.0", attention, False))
    attention = ops.sigmoid(net.conv(f"{key}.1.CA.conv_du.2", attention, False))
    return body * attention + x


def _unet_conv_block(net: _Net, key: str, x: np.ndarray, hin: bool) -> np.ndarray:
    """UNetConvBlock.construct (lines 192-201), without its downsampling (no CSFF: csff=False, line 509)."""
    out = net.conv(f"{key}.conv_1", x, True)
    if hin:  # half instance norm: ops.chunk(out, 2, axis=1), the first half normalised (lines 195-197)
        half = out.shape[1] // 2
        normed = ops.instance_norm(out[:, :half], net[f"{key}.norm.gamma"], net[f"{key}.norm.beta"], NORM_EPS)
        out = ops.concat_channels(normed, out[:, half:])
    out = ops.leaky_relu(out, UNET_SLOPE)
    out = ops.leaky_relu(net.conv(f"{key}.conv_2", out, True), UNET_SLOPE)
    return out + net.conv(f"{key}.identity", x, None)


def _stage1_unet(net: _Net, x1: np.ndarray) -> np.ndarray:
    """Encoder(depth=2) then Decoder(depth=2) (lines 138-164, 213-242, 547-548)."""
    skip = _unet_conv_block(net, "stage1_encoder.body.0", x1, hin=True)
    down = net.conv("stage1_encoder.body.0.downsample", skip, False, stride=2, padding=1)
    bottom = _unet_conv_block(net, "stage1_encoder.body.1", down, hin=True)
    up = ops.conv_transpose_2x2_s2(bottom, net["stage1_decoder.body.0.up.weight"],
                                   net["stage1_decoder.body.0.up.bias"])
    bridge = net.conv("stage1_decoder.skip_conv.0", skip, None)
    return _unet_conv_block(net, "stage1_decoder.body.0.conv_block", ops.concat_channels(up, bridge), hin=False)


def _conv_block(net: _Net, key: str, x: np.ndarray) -> np.ndarray:
    """ConvBlock (lines 344-358): conv with bias, then its own PReLU."""
    return ops.prelu(net.conv(f"{key}.conv", x, True), net[f"{key}.act.w"])


def _back_projection(net: _Net, key: str, x: np.ndarray, sign: float) -> np.ndarray:
    """LightenBlock (sign +1, lines 291-304) / DarkenBlock (sign -1, lines 306-319)."""
    code = _conv_block(net, f"{key}.conv_Encoder", x)
    offset = _conv_block(net, f"{key}.conv_Offset", code)
    return _conv_block(net, f"{key}.conv_Decoder", code + sign * offset)


def _lbp(net: _Net, img: np.ndarray) -> np.ndarray:
    """LBP.construct (lines 281-289): only the residual branch is returned; local_weight2_1 is never called."""
    n, c = img.shape[:2]
    weights = ops.global_avg_pool(img).reshape(n, c)  # FusionLayer, lines 333-342
    weights = ops.relu(ops.dense(weights, net["lbp.fusion.fc.0.weight"]))
    weights = ops.sigmoid(ops.dense(weights, net["lbp.fusion.fc.2.weight"])).reshape(n, c, 1, 1)
    fused = _conv_block(net, "lbp.fusion.outlayer", img * weights + img)
    low = _back_projection(net, "lbp.conv2", _back_projection(net, "lbp.conv1_1", fused, +1.0), -1.0)
    residue = _conv_block(net, "lbp.local_weight1_1", fused) - low
    return _back_projection(net, "lbp.conv3", residue, +1.0)


def _sft_layer(net: _Net, key: str, x: np.ndarray, cond: np.ndarray) -> np.ndarray:
    """SFTLayer.construct (lines 372-377)."""
    scale = net.conv(f"{key}.SFT_scale_conv0", cond, None)
    scale = net.conv(f"{key}.SFT_scale_conv1", ops.leaky_relu(scale, SFT_CONDITION_SLOPE), None)
    merged = ops.leaky_relu(net.conv(f"{key}.SFT2", ops.concat_channels(x, scale), None), net.variant.sft_slope)
    shift = net.conv(f"{key}.SFT_shift_conv0", cond, None)
    shift = net.conv(f"{key}.SFT_shift_conv1", ops.leaky_relu(shift, SFT_CONDITION_SLOPE), None)
    return merged + shift


def _conv_bn(net: _Net, index: str, x: np.ndarray) -> np.ndarray:
    y = net.conv(f"illum.conv{index}", x, None)
    bn = f"illum.bn{index}"
    return ops.batch_norm_eval(y, net[f"{bn}.gamma"], net[f"{bn}.beta"], net[f"{bn}.moving_mean"],
                               net[f"{bn}.moving_variance"], NORM_EPS)


def _illumination(net: _Net, x: np.ndarray) -> np.ndarray:
    """illuminationNet.construct (lines 451-491); conv1, bn1 and bn26 are never called."""
    edge = x
    for name in ("conv11", "conv12", "conv13", "conv14", "conv15"):
        edge = ops.relu(net.conv(f"illum.{name}", edge, None))
    features = net.conv("illum.conv0", x, None)
    cond = ops.relu(net.conv("illum.CondNet.0", edge, None))
    cond = ops.relu(net.conv("illum.CondNet.2", cond, None))
    cond = net.conv("illum.CondNet.4", cond, None)
    fea = ops.relu(net.conv("illum.sft.conv0", _sft_layer(net, "illum.sft.sft0", features, cond), None))
    y = features + net.conv("illum.sft.conv1", _sft_layer(net, "illum.sft.sft1", fea, cond), None)
    y = ops.relu(_conv_bn(net, "3", y))
    res1 = y
    y = ops.relu(_conv_bn(net, "4", y))
    y = ops.relu(_conv_bn(net, "5", y) + res1)
    y = ops.relu(_conv_bn(net, "8", y))
    y = ops.relu(_conv_bn(net, "9", y))
    res7 = y
    y = ops.relu(_conv_bn(net, "25", y) + res7)
    return ops.sigmoid(net.conv("illum.conv26", y, None))  # the attribute "tanh" is an nn.Sigmoid (line 449)


def check_images(images) -> np.ndarray:
    img = np.asarray(images, dtype=np.float64)
    if img.ndim != 4 or img.shape[1] != 3 or img.shape[2] % 2 or img.shape[3] % 2 or min(img.shape) == 0:
        raise ValueError(f"images must be N x 3 x H x W with even H and W, got shape {img.shape}")
    return img


def forward(params: Mapping[str, np.ndarray], images, variant="published") -> Dict[str, np.ndarray]:
    """DGUNet.construct (lines 535-577) in float64.

    Returns ``enhanced`` and ``stage1`` (the two model outputs, in the authors' order) and the intermediates
    ``x1_img`` (first gradient step), ``sam_feats`` (SAM features), ``illum`` (the illumination net's output s),
    ``x7_img`` (second gradient step) and ``lbp`` (the LBP residual branch).
    """
    v = get_variant(variant)
    net = _Net(check_params(params, v), v)
    img = check_images(images)
    r0, r6 = v.fixed_steps if v.fixed_steps is not None else (float(net["r0"][0]), float(net["r6"][0]))
    x1_img = _gradient_step(net, "phi_0", "phit_0", img, img, r0)
    decoded = _stage1_unet(net, _shallow_feat(net, "shallow_feat1", x1_img))
    sam_feats = net.conv("sam12.conv1", decoded, False) + decoded  # SAM.construct, lines 104-108
    stage1 = net.conv("sam12.conv2", decoded, False) + x1_img
    illum = _illumination(net, stage1)
    x7_img = _gradient_step(net, "phi_6", "phit_6", illum, img, r6)
    x7 = _shallow_feat(net, "shallow_feat7", x7_img)
    fused = net.conv("concat67", ops.concat_channels(x7, sam_feats), False)
    lbp = _lbp(net, img)
    enhanced = net.conv("tail", fused, False) + img + lbp
    net.check_all_used()
    return {"enhanced": enhanced, "stage1": stage1, "x1_img": x1_img, "sam_feats": sam_feats, "illum": illum,
            "x7_img": x7_img, "lbp": lbp}
