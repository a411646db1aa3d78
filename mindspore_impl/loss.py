"""JCRNet's training loss in MindSpore (constants from ``jcrnet_spec.recipe``).

Read this file beside ``torch_reference/loss.py``: same functions, same order.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from mindspore import Tensor, ops

from jcrnet_spec import recipe


def charbonnier(x: Tensor, y: Tensor, eps: float = recipe.CHARBONNIER_EPS) -> Tensor:
    diff = x - y
    return ops.mean(ops.sqrt(diff * diff + eps * eps))


def _blur(x: Tensor) -> Tensor:
    channels = x.shape[1]
    kernel = Tensor(np.broadcast_to(np.array(recipe.gaussian_kernel()), (channels, 1, 5, 5)).copy(), x.dtype)
    return ops.conv2d(ops.pad(x, (2, 2, 2, 2), mode=recipe.EDGE_PADDING), kernel, groups=channels)


def _even_pixels(x: Tensor) -> Tensor:
    """1 where row and column are both even, else 0: DGUNet's ``new[:, :, ::2, ::2] = down`` as a mask."""
    mask = np.zeros((x.shape[2], x.shape[3]))
    mask[::2, ::2] = 1.0
    return Tensor(mask, x.dtype)


def laplacian(x: Tensor) -> Tensor:
    filtered = _blur(x)
    return x - _blur(filtered * _even_pixels(x) * recipe.EDGE_UPSAMPLE_GAIN)


def edge_loss(x: Tensor, y: Tensor) -> Tensor:
    return charbonnier(laplacian(x), laplacian(y))


def jcrnet_loss(outputs: Sequence[Tensor], target: Tensor) -> Tensor:
    """Sum over the model's outputs of Charbonnier + ``EDGE_WEIGHT`` x edge loss against one target."""
    total = 0.0
    for out in outputs:
        total = total + charbonnier(out, target) + recipe.EDGE_WEIGHT * edge_loss(out, target)
    return total
