"""Training and validation pairs of a run, and how a global batch is split over ranks and micro-batches."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import numpy as np

SYNTHETIC = "synthetic"
#: synthetic_pairs draws its photos in SYNTHETIC_SOURCES order; training uses the first four (astronaut, coffee,
#: chelsea, rocket): the set the shipped weights and the curves in docs/TRAINING.md were made from.
SYNTHETIC_PHOTOS = 4
#: The synthetic set trains on the top two thirds of each photo and validates on the bottom third, darkened with
#: another seed: held-out pixels and held-out noise.
SYNTHETIC_TRAIN_FRACTION = 2 / 3
VAL_SEED_OFFSET = 1


@dataclass(frozen=True)
class DataSets:
    train: list
    val: list
    description: str


def _rows(pair, start: int, stop: int):
    from jcrnet_kit.images.pairs import Pair

    return Pair(pair.name, pair.low[start:stop], pair.high[start:stop])


def load_data(data: str, seed: int, val_data: Optional[Path] = None) -> DataSets:
    """Training and validation pairs; every image is read (and checked) before anything is written."""
    from jcrnet_kit.images.pairs import find_pairs, load_pairs
    from jcrnet_kit.images.synthetic import synthetic_pairs

    if data == SYNTHETIC:
        train, val = [], []
        for pair, held_out in zip(synthetic_pairs(seed, count=SYNTHETIC_PHOTOS),
                                  synthetic_pairs(seed + VAL_SEED_OFFSET, count=SYNTHETIC_PHOTOS)):
            cut = int(pair.low.shape[0] * SYNTHETIC_TRAIN_FRACTION) // 2 * 2
            train.append(_rows(pair, 0, cut))
            val.append(_rows(held_out, cut, held_out.low.shape[0]))
        val = val if val_data is None else load_pairs(val_data, "eval")
        return DataSets(train, val, f"synthetic seed {seed}: top {SYNTHETIC_TRAIN_FRACTION:.0%} of "
                                    f"{SYNTHETIC_PHOTOS} photos; validation: the other rows, darkened with seed "
                                    f"{seed + VAL_SEED_OFFSET}")
    root = Path(data)
    train = load_pairs(root, "train")
    val_root = val_data or root
    val = load_pairs(val_root, "eval")
    same = find_pairs(val_root, "eval")[0][1].parent == find_pairs(root, "train")[0][1].parent
    note = " (the training images: no eval15/ and no --val-data)" if same else ""
    return DataSets(train, val, f"{root}: {len(train)} training pairs; validation {val_root}: {len(val)} pairs{note}")


def skip(batches: Iterator, count: int) -> Iterator:
    for _ in range(count):
        next(batches)
    return batches


def shards(x: np.ndarray, y: np.ndarray, world: int, rank: int, accumulate: int) -> List[Tuple[np.ndarray, ...]]:
    """This rank's micro-batches of a global batch: rank r takes the r-th of ``world`` equal slices, split into
    ``accumulate`` equal parts."""
    per_rank = len(x) // world
    x, y = x[rank * per_rank:(rank + 1) * per_rank], y[rank * per_rank:(rank + 1) * per_rank]
    size = per_rank // accumulate
    return [(x[i * size:(i + 1) * size], y[i * size:(i + 1) * size]) for i in range(accumulate)]


def even_crop(image: np.ndarray) -> np.ndarray:
    return image[:image.shape[0] // 2 * 2, :image.shape[1] // 2 * 2]
