"""Everything that depends on the MindSpore version or on process-wide MindSpore state, in one place."""

from __future__ import annotations

import os
from typing import Optional

import mindspore as ms

#: Environment variable that selects the MindSpore device: CPU (default), GPU or Ascend.
DEVICE_ENV = "JCRNET_DEVICE"
#: Environment variable that selects the execution mode: pynative (default) or graph.
MODE_ENV = "JCRNET_MS_MODE"

DEVICES = {"cpu": "CPU", "gpu": "GPU", "ascend": "Ascend"}
MODES = {"pynative": ms.PYNATIVE_MODE, "graph": ms.GRAPH_MODE}

_configured_device: Optional[str] = None


def configure(device: Optional[str] = None, mode: Optional[str] = None) -> str:
    """Select MindSpore's device and execution mode (defaults: $JCRNET_DEVICE or CPU, $JCRNET_MS_MODE or pynative).

    MindSpore fixes the device once per process; asking for another device later raises ``RuntimeError``.
    Returns the device name in use.
    """
    global _configured_device
    name = (device or os.environ.get(DEVICE_ENV) or "cpu").lower()
    if name not in DEVICES:
        raise ValueError(f"unknown MindSpore device {name!r}; choose one of {', '.join(DEVICES.values())}")
    target = DEVICES[name]
    if _configured_device is None:
        ms.set_device(target)
        _configured_device = target
    elif _configured_device != target:
        raise RuntimeError(f"MindSpore already runs on {_configured_device} in this process; cannot switch to {target}")
    set_mode(mode or os.environ.get(MODE_ENV) or "pynative")
    return target


def set_mode(mode: str) -> None:
    """Switch between PyNative and Graph execution (process-wide; MindSpore allows switching at any time)."""
    if mode.lower() not in MODES:
        raise ValueError(f"unknown MindSpore mode {mode!r}; choose pynative or graph")
    ms.set_context(mode=MODES[mode.lower()])


def get_mode() -> str:
    return "graph" if ms.get_context("mode") == ms.GRAPH_MODE else "pynative"
