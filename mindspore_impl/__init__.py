"""MindSpore 2.x implementation of JCRNet, built from ``jcrnet_spec``; runs on CPU, GPU and Ascend.

>>> from mindspore_impl import build_jcrnet, configure
>>> configure(device="CPU", mode="graph")  # or $JCRNET_DEVICE / $JCRNET_MS_MODE
>>> net = build_jcrnet(weights="jcrnet.pth")  # any file `jcrnet convert` reads; preset from the file
>>> net.set_train(False)
>>> enhanced, stage1 = net(images)  # N x 3 x H x W in [0, 1], even H and W
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Mapping, Optional, Union

import mindspore as ms
import numpy as np

from convert.weights import build_model
from jcrnet_spec import Architecture, check_keys, mindspore_keys
from mindspore_impl.blocks import JCRNet, make_block
from mindspore_impl.compat import DEVICE_ENV, MODE_ENV, configure, configure_once, get_mode, set_mode
from mindspore_impl.layers import make_leaf

if TYPE_CHECKING:
    from convert.weights import WeightsSource

__all__ = [
    "DEVICE_ENV", "MODE_ENV", "JCRNet", "build_jcrnet", "configure", "configure_once", "get_mode",
    "load_numpy_params", "numpy_params", "set_mode",
]


def build_jcrnet(preset: Union[str, Architecture, None] = None, weights: Optional[WeightsSource] = None) -> JCRNet:
    """The MindSpore ``nn.Cell`` of JCRNet, in inference mode like every new Cell (``set_train(True)`` to train).

    Arguments as ``torch_reference.build_jcrnet`` takes them (``convert.weights.build_model`` builds both). Configures
    MindSpore's device and mode from the environment first if ``configure`` was not called."""
    configure_once()
    return build_model(preset, weights, "mindspore", make_leaf, make_block, load_numpy_params)


def load_numpy_params(net: JCRNet, params: Mapping[str, np.ndarray]) -> JCRNet:
    """Load MindSpore-named arrays into ``net`` strictly (every key and shape of the net's preset); returns it."""
    check_keys(params, mindspore_keys(net.spec), f"MindSpore weights for preset {net.preset!r}")
    not_loaded, unused = ms.load_param_into_net(
        net, {k: ms.Parameter(ms.Tensor(np.ascontiguousarray(v)), name=k) for k, v in params.items()},
        strict_load=True,
    )
    if not_loaded or unused:
        raise RuntimeError(f"strict load left parameters unset {not_loaded} or unused {unused}")
    return net


def numpy_params(net: JCRNet) -> Dict[str, np.ndarray]:
    """The net's parameters as NumPy arrays (copies), keyed and ordered as ``save_checkpoint`` writes them."""
    return {p.name: p.asnumpy().copy() for p in net.get_parameters()}
