"""PyTorch reference implementation of JCRNet, built from ``jcrnet_spec``.

>>> from torch_reference import build_jcrnet
>>> model = build_jcrnet(preset="published").eval()
>>> enhanced, stage1 = model(images)  # N x 3 x H x W in [0, 1], even H and W
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional

import numpy as np
import torch

from jcrnet_spec import DEFAULT_PRESET, architecture, assemble, check_keys, torch_keys
from torch_reference.blocks import JCRNet, make_block
from torch_reference.layers import make_leaf

__all__ = ["JCRNet", "build_jcrnet", "load_numpy_state", "numpy_state"]


def build_jcrnet(preset: str = DEFAULT_PRESET) -> JCRNet:
    """A new JCRNet (``torch.nn.Module``) of the named preset, with torch's default initialisation."""
    model = assemble(architecture(preset), make_leaf, make_block)
    model.preset = preset
    return model


def load_numpy_state(model: JCRNet, state: Mapping[str, np.ndarray], preset: Optional[str] = None) -> JCRNet:
    """Load torch-named arrays into ``model`` strictly (every key, every shape; the preset
    defaults to the one the model was built with); returns the model."""
    preset = preset or model.preset
    check_keys(state, torch_keys(architecture(preset)), f"torch weights for preset {preset!r}")
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=True)
    return model


def numpy_state(model: JCRNet) -> Dict[str, np.ndarray]:
    """The model's state_dict as NumPy arrays (copies), in state_dict order."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
