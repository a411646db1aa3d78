"""Numeric flags, checked where they are parsed: ``type=`` functions for argparse that refuse a value with its reason
(the ``jcrnet`` parser prints it as one line naming the flag, exit 2), and the pixel-bounded ``HxW`` sizes.

A number that parses is not yet a sane one: ``float("nan")`` parses, ``--epochs -1`` parses, and ``--size
30000x30000`` parses into a 900-megapixel image. Each bound below says why it is where it is.
"""

from __future__ import annotations

import argparse
import math
from typing import Callable, Optional, Tuple

#: Seeds go to NumPy, torch and MindSpore; MindSpore's ``set_seed`` and NumPy's legacy seeding take 32-bit seeds.
MAX_SEED = 2 ** 32 - 1


def _integer(text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def whole(minimum: int, maximum: Optional[int] = None, why: str = "") -> Callable[[str], int]:
    """A ``type=`` for a whole number in [minimum, maximum]; ``why`` is said when the value is out of range."""

    def parse(text: str) -> int:
        value = _integer(text)
        if value < minimum or (maximum is not None and value > maximum):
            span = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
            raise argparse.ArgumentTypeError(f"must be a whole number {span}, not {text}{'; ' + why if why else ''}")
        return value

    parse.__name__ = "whole number"
    return parse


def even(minimum: int, maximum: Optional[int] = None, why: str = "") -> Callable[[str], int]:
    """A ``type=`` for an even whole number in [minimum, maximum] (JCRNet has one stride-2 level)."""
    inner = whole(minimum, maximum, why)

    def parse(text: str) -> int:
        value = inner(text)
        if value % 2:
            raise argparse.ArgumentTypeError(f"must be even, not {text} (JCRNet halves the image once)")
        return value

    parse.__name__ = "even number"
    return parse


def positive_real(maximum: Optional[float] = None, why: str = "") -> Callable[[str], float]:
    """A ``type=`` for a finite number > 0 (and <= maximum): ``nan``, ``inf``, 0 and negatives are refused."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value <= 0 or (maximum is not None and value > maximum):
            span = "a finite number > 0" + (f" and <= {maximum:g}" if maximum is not None else "")
            raise argparse.ArgumentTypeError(f"must be {span}, not {text}{'; ' + why if why else ''}")
        return value

    parse.__name__ = "number"
    return parse


def seed(text: str) -> int:
    """A ``type=`` for a seed: 0 .. 2**32 - 1."""
    return whole(0, MAX_SEED, "seeds are 32-bit (NumPy, MindSpore)")(text)


def parse_size(text: str, flag: str = "--size", max_pixels: Optional[int] = None) -> Tuple[int, int]:
    """``"HxW"`` -> (H, W), both positive and H * W <= ``max_pixels``; ``KitError`` naming the flag and the text."""
    from jcrnet_kit.errors import KitError

    parts = str(text).strip().lower().split("x")
    try:
        if len(parts) != 2:
            raise ValueError
        h, w = (int(p, 10) for p in parts)
    except ValueError:
        raise KitError(f"{flag} {text!r} is not HxW (e.g. 256x384)") from None
    if h <= 0 or w <= 0:
        raise KitError(f"{flag} {text!r} must be positive")
    if max_pixels is not None and h * w > max_pixels:
        raise KitError(f"{flag} {text}: {h * w:,} pixels is more than this command runs at once "
                       f"({max_pixels:,}, e.g. {math.isqrt(max_pixels)}x{math.isqrt(max_pixels)})")
    return h, w
