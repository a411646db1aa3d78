"""FLOPs of one forward pass, from the spec: 2 per multiply-accumulate of every used conv, transposed conv and dense
layer, at the resolution the dataflow runs it."""

from __future__ import annotations

from typing import Dict, Tuple

from jcrnet_spec.architecture import Architecture
from jcrnet_spec.layers import Conv2d, ConvTranspose2d, Linear

#: Paths that run at half resolution (after the encoder's stride-2 downsample) and the transposed conv that reads it.
HALF_RESOLUTION = ("stage1_encoder.body.1", "stage1_encoder.body.0.downsample", "stage1_decoder.body.0.up")
#: Blocks whose convolutions run on a globally pooled 1 x 1 map (channel attention).
POOLED_BLOCK = "CA.conv_du"


def _pixels(path: str, height: int, width: int) -> float:
    if f".{POOLED_BLOCK}." in f".{path}":
        return 1.0
    if any(path == p or path.startswith(p + ".") for p in HALF_RESOLUTION):
        return (height // 2) * (width // 2)
    return float(height * width)


def forward_flops(arch: Architecture, height: int, width: int, batch: int = 1) -> Tuple[float, Dict[str, float]]:
    """(total FLOPs, FLOPs per layer path) of one forward pass; unused modules count nothing."""
    per_layer: Dict[str, float] = {}
    for path, leaf in arch.leaves():
        if not arch.is_used(path):
            continue
        if isinstance(leaf, (Conv2d, ConvTranspose2d)):
            macs = leaf.in_channels * leaf.out_channels * leaf.kernel_size ** 2 * _pixels(path, height, width)
            per_layer[path] = 2.0 * batch * macs
        elif isinstance(leaf, Linear):
            per_layer[path] = 2.0 * batch * leaf.in_features * leaf.out_features
    return sum(per_layer.values()), per_layer
