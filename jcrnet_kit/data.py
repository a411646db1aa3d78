"""Paired low/normal-light data for both frameworks, from one NumPy pipeline.

Two sources: a folder in the LOL layout (``our485/{low,high}`` for training, ``eval15/{low,high}`` for testing) or
the ``input/`` + ``target/`` layout of the authors' scripts; and a seeded synthetic set made offline from colour
photos that scikit-image ships (exposure scaling, gamma, Poisson-Gaussian sensor noise). Given a seed, patches,
augmentations (the 8 flips/rotations) and order are the same in every framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Sequence, Tuple

import numpy as np

from jcrnet_kit.errors import KitError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
LAYOUTS = {
    "train": (("our485", "low", "high"), ("input", "target")),
    "eval": (("eval15", "low", "high"), ("input", "target")),
}
#: Colour photos bundled inside scikit-image (no download): the synthetic set is made from these.
SYNTHETIC_SOURCES = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "motorcycle_right", "retina")


@dataclass(frozen=True)
class Pair:
    name: str
    low: np.ndarray  # H x W x 3 float32 in [0, 1]
    high: np.ndarray


def read_rgb(path: Path) -> np.ndarray:
    """An image file as H x W x 3 float32 in [0, 1], upright (grayscale repeated, alpha dropped, 16-bit at full
    depth); ``KitError`` naming the file if it cannot be read."""
    from jcrnet_kit.imageio import read_picture

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


def darken(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Synthetic low light: exposure in [0.05, 0.35], gamma in [1.4, 2.2], Poisson-Gaussian noise, 8-bit rounding."""
    exposure, gamma = rng.uniform(0.05, 0.35), rng.uniform(1.4, 2.2)
    dark = (image ** gamma) * exposure
    photons = rng.uniform(300.0, 1500.0)  # full-well scale of the shot noise
    noisy = rng.poisson(dark * photons) / photons + rng.normal(0.0, rng.uniform(0.002, 0.01), dark.shape)
    return (np.round(np.clip(noisy, 0.0, 1.0) * 255.0) / 255.0).astype(np.float32)


def _photo(data, name: str) -> np.ndarray:
    """One of ``SYNTHETIC_SOURCES`` from ``skimage.data`` (the motorcycle pair comes from ``stereo_motorcycle``)."""
    if name.startswith("motorcycle_"):
        left, right, _ = data.stereo_motorcycle()
        return left if name.endswith("left") else right
    return getattr(data, name)()


def synthetic_pairs(seed: int = 0, count: int = len(SYNTHETIC_SOURCES), max_side: int = 384) -> List[Pair]:
    """Seeded low/normal pairs from the photos scikit-image ships; the same for the same seed everywhere."""
    from PIL import Image
    from skimage import data

    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(count):
        name = SYNTHETIC_SOURCES[i % len(SYNTHETIC_SOURCES)]
        photo = Image.fromarray(_photo(data, name)[..., :3])
        scale = min(1.0, max_side / max(photo.size))
        w, h = (max(2, int(photo.size[0] * scale) // 2 * 2), max(2, int(photo.size[1] * scale) // 2 * 2))
        high = np.asarray(photo.resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32) / 255.0
        pairs.append(Pair(f"{name}_{i}", darken(high, rng), high))
    return pairs


def dihedral(image: np.ndarray, index: int) -> np.ndarray:
    """One of the 8 flips/rotations of an H x W x C image (index 0 is the identity)."""
    rotated = np.rot90(image, k=index % 4, axes=(0, 1))
    return rotated[:, ::-1] if index >= 4 else rotated


def patch_batches(pairs: Sequence[Pair], patch: int, batch: int, seed: int) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Endless (low, high) batches, N x 3 x patch x patch float32: random pair, crop and dihedral transform per
    sample, drawn from one generator so the sequence depends only on ``seed``."""
    too_small = [p.name for p in pairs if min(p.low.shape[:2]) < patch]
    if too_small:
        raise KitError(f"patch {patch} is larger than image(s) {', '.join(too_small)}")
    rng = np.random.default_rng(seed)
    while True:
        lows, highs = [], []
        for _ in range(batch):
            pair = pairs[rng.integers(len(pairs))]
            top = rng.integers(pair.low.shape[0] - patch + 1)
            left = rng.integers(pair.low.shape[1] - patch + 1)
            flip = int(rng.integers(8))
            for out, image in ((lows, pair.low), (highs, pair.high)):
                out.append(dihedral(image[top:top + patch, left:left + patch], flip).transpose(2, 0, 1))
        yield np.ascontiguousarray(np.stack(lows)), np.ascontiguousarray(np.stack(highs))
