"""Random training patches with the 8 flips/rotations, from one seeded generator: given a seed, the batches are the
same in every framework."""

from __future__ import annotations

from typing import Iterator, Sequence, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.images.pairs import Pair


def dihedral(image: np.ndarray, index: int) -> np.ndarray:
    """One of the 8 flips/rotations of an H x W x C image (index 0 is the identity)."""
    rotated = np.rot90(image, k=index % 4, axes=(0, 1))
    return rotated[:, ::-1] if index >= 4 else rotated


def patch_batches(pairs: Sequence[Pair], patch: int, batch: int, seed: int) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """Endless (low, high) batches, N x 3 x patch x patch float32: random pair, crop and dihedral transform per
    sample, drawn from one generator so the sequence depends only on ``seed``. A patch larger than an image is
    refused here, before the run starts, not at its first step."""
    too_small = [p.name for p in pairs if min(p.low.shape[:2]) < patch]
    if too_small:
        raise KitError(f"--patch {patch} is larger than the shorter side of training image(s) "
                       f"{', '.join(too_small[:5])}{' ...' if len(too_small) > 5 else ''}")
    return _batches(pairs, patch, batch, seed)


def _batches(pairs: Sequence[Pair], patch: int, batch: int, seed: int) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
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
