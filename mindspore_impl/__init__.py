"""MindSpore 2.x implementation of JCRNet, built from ``jcrnet_spec``; runs on CPU, GPU and Ascend.

>>> from mindspore_impl import build_jcrnet, configure
>>> configure(device="CPU", mode="graph")  # or $JCRNET_DEVICE / $JCRNET_MS_MODE
>>> net = build_jcrnet(preset="published")
>>> net.set_train(False)
>>> enhanced, stage1 = net(images)  # N x 3 x H x W in [0, 1], even H and W
"""

from __future__ import annotations

from typing import Dict, Mapping, Optional

import mindspore as ms
import numpy as np

from jcrnet_spec import DEFAULT_PRESET, architecture, assemble, check_keys, mindspore_keys
from mindspore_impl.blocks import JCRNet, make_block
from mindspore_impl.compat import DEVICE_ENV, MODE_ENV, configure, get_mode, set_mode
from mindspore_impl.layers import make_leaf

__all__ = [
    "DEVICE_ENV", "MODE_ENV", "JCRNet", "build_jcrnet", "configure", "get_mode", "load_numpy_params",
    "numpy_params", "set_mode",
]


def build_jcrnet(preset: str = DEFAULT_PRESET) -> JCRNet:
    """A new JCRNet (``mindspore.nn.Cell``) of the named preset, with MindSpore's default initialisation.

    Configures MindSpore's device and mode from the environment first if ``configure`` was not called.
    """
    configure_once()
    net = assemble(architecture(preset), make_leaf, make_block)
    net.preset = preset
    return net


def configure_once() -> None:
    from mindspore_impl import compat

    if compat._configured_device is None:
        configure()


def load_numpy_params(net: JCRNet, params: Mapping[str, np.ndarray], preset: Optional[str] = None) -> JCRNet:
    """Load MindSpore-named arrays into ``net`` strictly (every key, every shape; the preset
    defaults to the one the model was built with); returns the net."""
    preset = preset or net.preset
    check_keys(params, mindspore_keys(architecture(preset)), f"MindSpore weights for preset {preset!r}")
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
