"""Everything that depends on the MindSpore version or on process-wide MindSpore state, in one place."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator, Optional

#: MindSpore 2.10 creates its CPU convolutions with fixed NCHW/OIHW layouts; on AVX-512 machines its bundled
#: oneDNN 3.10 then routes them through ``jit_uni_ncsp`` into the reference loop (``ref:any``, ~0.5 GFLOP/s).
#: Capping the ISA at AVX2 makes oneDNN pick ``gemm:jit`` instead (~150x faster, same results). oneDNN reads the
#: variable at its first primitive, so it is set here, before MindSpore runs anything; a value set by the user wins.
ONEDNN_ISA_ENV = "ONEDNN_MAX_CPU_ISA"
os.environ.setdefault(ONEDNN_ISA_ENV, "AVX2")

import mindspore as ms  # noqa: E402

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


def configure_once() -> None:
    """``configure()`` from the environment, unless this process already chose a device."""
    if _configured_device is None:
        configure()


def leaky_relu(x, slope: float):
    """LeakyReLU with torch's gradient at exactly 0 (``slope``, the left side).

    MindSpore 2.10's ``ops.leaky_relu`` and ``nn.LeakyReLU`` give ``(1 + slope) / 2`` there (the mean of both
    sides); the forward values are the same. Exact zeros are common where convs have no bias (the published preset:
    the SFT condition is exactly 0 wherever the edge map is), and the per-layer gradient test caught the difference.
    """
    return ms.ops.where(x > 0, x, x * slope)


def set_mode(mode: str) -> None:
    """Switch between PyNative and Graph execution (process-wide; MindSpore allows switching at any time)."""
    if mode.lower() not in MODES:
        raise ValueError(f"unknown MindSpore mode {mode!r}; choose pynative or graph")
    ms.set_context(mode=MODES[mode.lower()])


def get_mode() -> str:
    return "graph" if ms.get_context("mode") == ms.GRAPH_MODE else "pynative"


@contextlib.contextmanager
def mode(name: str) -> Iterator[None]:
    """Run the block in execution mode ``name`` (``pynative`` or ``graph``), restoring the previous mode after."""
    previous = get_mode()
    set_mode(name)
    try:
        yield
    finally:
        set_mode(previous)


def export_onnx(net, sample, file_name: str) -> None:
    """Write ``net`` as ONNX to ``file_name`` (ending in ``.onnx``), traced with the input ``sample``.

    ``mindspore.onnx.export`` where it exists; older releases only have ``mindspore.export(file_format="ONNX")``
    (deprecated in 2.10).
    """
    import importlib

    try:
        exporter = importlib.import_module("mindspore.onnx").export
    except (ImportError, AttributeError):
        ms.export(net, sample, file_name=file_name, file_format="ONNX")
    else:
        exporter(net, sample, file_name=file_name)


@contextlib.contextmanager
def quiet_python_log() -> Iterator[None]:
    """Silence MindSpore's Python logger inside the block, for callers that report failures themselves.

    ``load_checkpoint`` logs an ERROR line (to stderr) before raising on a damaged file. The logger is reached through
    ``mindspore.log._get_logger`` (private, present since 1.x); where it is missing the block runs unchanged.
    """
    from mindspore import log

    get_logger = getattr(log, "_get_logger", None)
    if get_logger is None:
        yield
        return
    logger = get_logger()
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)
