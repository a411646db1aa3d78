"""Options that more than one command takes (not a command itself): tiling, device, ``--force``."""

from __future__ import annotations

from jcrnet_kit.images.tiling import DEFAULT_MAX_PIXELS, DEFAULT_OVERLAP, MIN_TILE, Tiling, padded_side, plan_tiles
from jcrnet_kit.numbers import whole


def add_tiling_arguments(parser) -> None:
    """``--max-pixels``, ``--tile`` and ``--overlap``, shared by ``jcrnet enhance`` and ``jcrnet eval``."""
    parser.add_argument("--max-pixels", default=DEFAULT_MAX_PIXELS,
                        type=whole(MIN_TILE * MIN_TILE, why=f"tiles are at least {MIN_TILE}x{MIN_TILE}"), metavar="N",
                        help=f"largest H*W run in one forward pass; larger images are tiled (default "
                             f"{DEFAULT_MAX_PIXELS}: a 4000x3000 photo stays below 4 GB peak RSS on CPU)")
    parser.add_argument("--tile", type=whole(MIN_TILE, why=f"the smallest tile side is {MIN_TILE}"), default=None,
                        metavar="N", help="tile side in pixels (even): tile every image with a side above N, whatever "
                                          "--max-pixels says")
    parser.add_argument("--overlap", type=whole(0), default=DEFAULT_OVERLAP, metavar="N",
                        help=f"least overlap of neighbouring tiles, blended with a raised-cosine feather "
                             f"(default {DEFAULT_OVERLAP})")


def check_tiling_arguments(args) -> None:
    """Refuse tiling options no image could use, before any image runs."""
    plan_tiles(max(args.max_pixels, 0) + 2, 2, args.max_pixels, args.tile, args.overlap)  # an image above budget


def plan_for(args, h: int, w: int) -> Tiling:
    """The tiling the parsed tiling options give an H x W image (padded first)."""
    return plan_tiles(padded_side(h), padded_side(w), args.max_pixels, args.tile, args.overlap)


def add_device_argument(parser) -> None:
    """``--device``, checked against this install and machine before any work (``jcrnet_kit.devices``)."""
    parser.add_argument("--device", default=None,
                        help="CPU, GPU or Ascend (Ascend: MindSpore only); default $JCRNET_DEVICE or CPU")
