"""JCRNet's training loss in PyTorch (constants from ``jcrnet_spec.recipe``).

Read this file beside ``mindspore_impl/loss.py``: same functions, same order.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from jcrnet_spec import recipe


def charbonnier(x: torch.Tensor, y: torch.Tensor, eps: float = recipe.CHARBONNIER_EPS) -> torch.Tensor:
    diff = x - y
    return torch.mean(torch.sqrt(diff * diff + eps * eps))


def _blur(x: torch.Tensor) -> torch.Tensor:
    channels = x.shape[1]
    kernel = torch.tensor(recipe.gaussian_kernel(), dtype=x.dtype, device=x.device).expand(channels, 1, 5, 5)
    return F.conv2d(F.pad(x, (2, 2, 2, 2), mode=recipe.EDGE_PADDING), kernel, groups=channels)


def _even_pixels(x: torch.Tensor) -> torch.Tensor:
    """1 where row and column are both even, else 0: DGUNet's ``new[:, :, ::2, ::2] = down`` as a mask."""
    mask = torch.zeros(x.shape[2], x.shape[3], dtype=x.dtype, device=x.device)
    mask[::2, ::2] = 1.0
    return mask


def laplacian(x: torch.Tensor) -> torch.Tensor:
    filtered = _blur(x)
    return x - _blur(filtered * _even_pixels(x) * recipe.EDGE_UPSAMPLE_GAIN)


def edge_loss(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return charbonnier(laplacian(x), laplacian(y))


def jcrnet_loss(outputs: Sequence[torch.Tensor], target: torch.Tensor) -> torch.Tensor:
    """Sum over the model's outputs of Charbonnier + ``EDGE_WEIGHT`` x edge loss against one target."""
    total = 0.0
    for out in outputs:
        total = total + charbonnier(out, target) + recipe.EDGE_WEIGHT * edge_loss(out, target)
    return total
