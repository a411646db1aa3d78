"""A sample low-light image made offline from a photo that scikit-image ships."""

from __future__ import annotations

from pathlib import Path
from typing import Tuple

import numpy as np

from jcrnet_kit.numbers import parse_size  # noqa: F401  (verify and bench import it from here)


def seeded_input(shape: Tuple[int, int, int, int], seed: int = 1) -> np.ndarray:
    """A float32 batch in [0, 1], the same for the same seed."""
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def low_light_sample(size: Tuple[int, int], exposure: float = 0.25, gamma: float = 1.6) -> np.ndarray:
    """scikit-image's astronaut photo resized to H x W and darkened: (exposure * x) ** gamma; 1 x 3 x H x W float32."""
    from PIL import Image
    from skimage import data

    h, w = size
    photo = Image.fromarray(data.astronaut()).resize((w, h), Image.Resampling.BICUBIC)
    rgb = np.asarray(photo, dtype=np.float32) / 255.0
    dark = np.clip(exposure * rgb, 0.0, 1.0) ** gamma
    return dark.transpose(2, 0, 1)[None].astype(np.float32)


def save_image(batch_chw: np.ndarray, path, force: bool = True) -> None:
    """Write the first image of an N x 3 x H x W batch in [0, 1] as an 8-bit PNG (clipped), atomically: a reader
    never sees half a file and an interrupted write leaves none (an existing file is replaced unless ``force`` is
    False)."""
    from PIL import Image

    from convert.atomic import atomic_output

    hwc = np.clip(batch_chw[0].transpose(1, 2, 0), 0.0, 1.0)
    with atomic_output(Path(path), force) as tmp:
        Image.fromarray((hwc * 255.0 + 0.5).astype(np.uint8)).save(tmp, format="PNG")
