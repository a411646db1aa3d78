"""PyTorch reference implementation of JCRNet, built from ``jcrnet_spec``.

>>> from torch_reference import build_jcrnet
>>> model = build_jcrnet(weights="jcrnet.ckpt").eval()  # any file `jcrnet convert` reads; preset from the file
>>> enhanced, stage1 = model(images)  # N x 3 x H x W in [0, 1], even H and W
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Mapping, Optional, Union

import numpy as np
import torch

from convert.weights import build_model
from jcrnet_spec import Architecture, check_keys, torch_keys
from torch_reference.blocks import JCRNet, make_block
from torch_reference.layers import make_leaf

if TYPE_CHECKING:
    from convert.weights import WeightsSource

__all__ = ["JCRNet", "build_jcrnet", "load_numpy_state", "numpy_state"]


def build_jcrnet(preset: Union[str, Architecture, None] = None, weights: Optional[WeightsSource] = None) -> JCRNet:
    """A new JCRNet ``torch.nn.Module`` (in training mode, as every new Module), with torch's default initialisation
    or ``weights``: a path of any format ``convert`` reads, ``convert.Weights`` or a mapping in either naming, loaded
    strictly as float32. ``preset``: a name or an ``Architecture``; default the weights', else ``published``."""
    return build_model(preset, weights, "torch", make_leaf, make_block, load_numpy_state)


def load_numpy_state(model: JCRNet, state: Mapping[str, np.ndarray]) -> JCRNet:
    """Load torch-named arrays into ``model`` strictly (every key and shape of the model's preset); returns it."""
    check_keys(state, torch_keys(model.spec), f"torch weights for preset {model.preset!r}")
    model.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, strict=True)
    return model


def numpy_state(model: JCRNet) -> Dict[str, np.ndarray]:
    """The model's state_dict as NumPy arrays (copies), in state_dict order."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}
