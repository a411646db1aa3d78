"""A seeded synthetic low-light set, made offline from colour photos that scikit-image ships: exposure scaling,
gamma, Poisson-Gaussian sensor noise and 8-bit rounding. The same pairs for the same seed on every machine."""

from __future__ import annotations

from typing import List

import numpy as np

from jcrnet_kit.images.pairs import Pair

#: Colour photos bundled inside scikit-image (no download): the synthetic set is made from these.
SYNTHETIC_SOURCES = ("astronaut", "coffee", "chelsea", "rocket", "motorcycle_left", "motorcycle_right", "retina")


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
