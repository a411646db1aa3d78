"""Paired low/normal-light images from a folder: the LOL layout (``our485/{low,high}`` for training,
``eval15/{low,high}`` for testing) or the ``input/`` + ``target/`` layout of the authors' scripts. The seeded
synthetic set is in ``synthetic``; random training patches in ``patches``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Tuple

import numpy as np

from jcrnet_kit.errors import KitError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
LAYOUTS = {
    "train": (("our485", "low", "high"), ("input", "target")),
    "eval": (("eval15", "low", "high"), ("input", "target")),
}


@dataclass(frozen=True)
class Pair:
    name: str
    low: np.ndarray  # H x W x 3 float32 in [0, 1]
    high: np.ndarray


def read_rgb(path: Path) -> np.ndarray:
    """An image file as H x W x 3 float32 in [0, 1], upright (grayscale repeated, alpha dropped, 16-bit at full
    depth); ``KitError`` naming the file if it cannot be read."""
    from jcrnet_kit.images.picture import read_picture

    return read_picture(path).rgb


def _images(folder: Path) -> dict:
    return {p.stem: p for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}


def find_pairs(root: Path, split: str = "train") -> List[Tuple[str, Path, Path]]:
    """(name, low path, high path) for every pair under ``root``; refuses a missing folder or unpaired files."""
    root = Path(root)
    if not root.is_dir():
        raise KitError(f"{root}: no such data folder")
    for layout in LAYOUTS[split]:
        low_dir, high_dir = (root.joinpath(*layout[:-2], layout[-2]), root.joinpath(*layout[:-2], layout[-1]))
        if low_dir.is_dir() and high_dir.is_dir():
            break
    else:
        expected = " or ".join("/".join((*layout[:-2], "{" + ",".join(layout[-2:]) + "}")) for layout in LAYOUTS[split])
        raise KitError(f"{root}: expected {expected} for the {split} split")
    low, high = _images(low_dir), _images(high_dir)
    unpaired = sorted(set(low) ^ set(high))
    if unpaired:
        raise KitError(f"{root}: {len(unpaired)} unpaired image(s) between {low_dir.name}/ and {high_dir.name}/: "
                       f"{', '.join(unpaired[:5])}{' ...' if len(unpaired) > 5 else ''}")
    if not low:
        raise KitError(f"{low_dir}: no images")
    return [(name, low[name], high[name]) for name in sorted(low)]


def load_pairs(root: Path, split: str = "train") -> List[Pair]:
    pairs = []
    for name, low_path, high_path in find_pairs(root, split):
        low, high = read_rgb(low_path), read_rgb(high_path)
        if low.shape != high.shape:
            raise KitError(f"{low_path}: size {low.shape[:2]} differs from its target {high_path} {high.shape[:2]}")
        pairs.append(Pair(name, low, high))
    return pairs
