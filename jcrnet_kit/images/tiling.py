"""Run JCRNet on H x W x 3 NumPy images of any size, whole or in tiles (the forward pass comes from
``jcrnet_kit.models``).

The network needs even H and W (and at least 4), so an odd or tiny side is reflect-padded at the bottom/right and
the output cropped back.
An image above the pixel budget is cut into overlapping tiles of equal size, each run on its own, and blended with
a raised-cosine feather across every overlap. JCRNet has image-global statistics (the channel attention's and LBP
fusion's average pools, the half-instance-norm), so tiles compute them per tile and the result departs from a
whole-image pass; docs/ENHANCE.md measures by how much.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional, Tuple

import numpy as np

from jcrnet_kit.errors import KitError

#: Largest H x W run in one forward pass: a 4000x3000 photo then peaks below 4 GB RSS on CPU in either framework
#: (MindSpore needs about 1.7x torch's memory per pixel; docs/ENHANCE.md). One budget for both, so that both
#: frameworks tile alike and give the same output.
DEFAULT_MAX_PIXELS = 512 * 768
DEFAULT_OVERLAP = 64
#: Smallest tile side accepted.
MIN_TILE = 32
#: Smallest side the network runs on: its second half-instance-norm, after the stride-2 level, needs > 1 pixel.
MIN_SIDE = 4

#: N x 3 x H x W float32 -> the ``enhanced`` output (same shape).
Forward = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Tiling:
    """Where the tiles of an (even) H x W image lie: per axis the start of each tile and the common tile length."""

    rows: Tuple[int, ...]
    cols: Tuple[int, ...]
    tile_h: int
    tile_w: int
    overlap: int

    def __len__(self) -> int:
        return len(self.rows) * len(self.cols)

    @property
    def whole(self) -> bool:
        return len(self) == 1

    def describe(self) -> str:
        if self.whole:
            return "whole"
        return f"{len(self.rows)}x{len(self.cols)} tiles of {self.tile_h}x{self.tile_w}, overlap >= {self.overlap}"


def _axis(length: int, tile: int, overlap: int) -> Tuple[Tuple[int, ...], int]:
    """Starts of the fewest equal tiles (each <= ``tile``, even) covering ``length`` with >= ``overlap`` shared."""
    if length <= tile:
        return (0,), length
    count = math.ceil((length - overlap) / (tile - overlap))
    size = min(tile, 2 * math.ceil((length + (count - 1) * overlap) / count / 2))
    return tuple(int(round(s)) for s in np.linspace(0, length - size, count)), size


def plan_tiles(h: int, w: int, max_pixels: int = DEFAULT_MAX_PIXELS, tile: Optional[int] = None,
               overlap: int = DEFAULT_OVERLAP) -> Tiling:
    """The tiling of an even H x W image: whole if ``h * w <= max_pixels`` (or both sides <= ``tile`` when a tile
    side is given), else square-bounded tiles of side ``tile`` (default: the largest even side within the budget)."""
    if tile is not None and (tile < MIN_TILE or overlap < 0 or 2 * overlap > tile):
        raise KitError(f"--tile {tile} with --overlap {overlap}: need a tile side >= {MIN_TILE} and "
                       f"0 <= overlap <= tile / 2")
    if tile is None:
        if h * w <= max_pixels:
            return Tiling((0,), (0,), h, w, overlap)
        tile = int(math.isqrt(max_pixels))
        if tile < MIN_TILE or overlap < 0 or 2 * overlap > tile:
            raise KitError(f"--max-pixels {max_pixels} gives tiles of side {tile}, too small for --overlap "
                           f"{overlap} (need side >= {MIN_TILE} and >= 2 x overlap)")
    tile -= tile % 2
    rows, tile_h = _axis(h, tile, overlap)
    cols, tile_w = _axis(w, tile, overlap)
    return Tiling(rows, cols, tile_h, tile_w, overlap)


def _feather(length: int, overlap: int, ramp_in: bool, ramp_out: bool) -> np.ndarray:
    """1-D blending weight of one tile: a raised-cosine ramp (0 < w < 1) over ``overlap`` pixels on each side
    shared with a neighbour, 1 elsewhere; weights are normalised by their sum afterwards."""
    weight = np.ones(length, np.float32)
    if overlap:
        ramp = (0.5 - 0.5 * np.cos(np.pi * (np.arange(overlap) + 0.5) / overlap)).astype(np.float32)
        if ramp_in:
            weight[:overlap] = ramp
        if ramp_out:
            weight[-overlap:] = np.minimum(weight[-overlap:], ramp[::-1])
    return weight


def padded_side(side: int) -> int:
    """The side an image side is reflect-padded to: even, and at least ``MIN_SIDE``."""
    return max(MIN_SIDE, side + side % 2)


def _pad(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    pad_h, pad_w = padded_side(h) - h, padded_side(w) - w
    if not pad_h and not pad_w:
        return image
    return np.pad(image, ((0, pad_h), (0, pad_w), (0, 0)), mode="reflect")


def enhance_array(forward: Forward, rgb: np.ndarray, plan: Optional[Tiling] = None,
                  on_tile: Optional[Callable[[], None]] = None) -> np.ndarray:
    """The enhanced H x W x 3 float32 image (unclamped) of an H x W x 3 float image in [0, 1], any H and W.

    ``plan`` is the tiling of the padded image (``padded_side``), default ``plan_tiles`` with the default budget.
    """
    h, w = rgb.shape[:2]
    padded = _pad(np.asarray(rgb, np.float32))
    ph, pw = padded.shape[:2]
    plan = plan or plan_tiles(ph, pw)
    if (plan.rows[-1] + plan.tile_h, plan.cols[-1] + plan.tile_w) != (ph, pw):
        raise ValueError(f"tiling {plan.describe()} does not cover the padded {ph}x{pw} image")
    if plan.whole:
        out = forward(padded.transpose(2, 0, 1)[None])[0].transpose(1, 2, 0)
        if on_tile:
            on_tile()
        return np.ascontiguousarray(out[:h, :w])
    total = np.zeros((ph, pw, 3), np.float32)
    weights = np.zeros((ph, pw, 1), np.float32)
    for i, top in enumerate(plan.rows):
        wy = _feather(plan.tile_h, plan.overlap, i > 0, i < len(plan.rows) - 1)
        for j, left in enumerate(plan.cols):
            wx = _feather(plan.tile_w, plan.overlap, j > 0, j < len(plan.cols) - 1)
            window = (slice(top, top + plan.tile_h), slice(left, left + plan.tile_w))
            tile = forward(np.ascontiguousarray(padded[window].transpose(2, 0, 1)[None]))[0].transpose(1, 2, 0)
            weight = (wy[:, None] * wx[None, :])[..., None]
            total[window] += tile * weight
            weights[window] += weight
            if on_tile:
                on_tile()
    total /= weights
    return np.ascontiguousarray(total[:h, :w])
