"""PSNR and SSIM the way the JCRNet authors computed them: scikit-image on 8-bit images.

Both images are clamped to [0, 1], rounded to 8 bits (``round(x * 255)``), then compared with
``skimage.metrics.peak_signal_noise_ratio(data_range=255)`` and ``structural_similarity(channel_axis=-1,
data_range=255)`` (scikit-image defaults otherwise: 7x7 uniform window, no Gaussian weighting), on RGB.
"""

from __future__ import annotations

from typing import Tuple

import numpy as np


def to_uint8(image: np.ndarray) -> np.ndarray:
    """H x W x 3 float in [0, 1] (values outside are clamped) -> uint8."""
    return np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)


def psnr_ssim(output: np.ndarray, target: np.ndarray) -> Tuple[float, float]:
    """(PSNR in dB, SSIM) of H x W x 3 float images in [0, 1]."""
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity

    if output.shape != target.shape:
        raise ValueError(f"output {output.shape} and target {target.shape} differ in shape")
    a, b = to_uint8(output), to_uint8(target)
    return (float(peak_signal_noise_ratio(b, a, data_range=255)),
            float(structural_similarity(b, a, channel_axis=-1, data_range=255)))
