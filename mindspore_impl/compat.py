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
    from jcrnet_spec.errors import UnknownChoiceError

    name = (device or os.environ.get(DEVICE_ENV) or "cpu").lower()
    if name not in DEVICES:
        given = device or os.environ.get(DEVICE_ENV)
        raise UnknownChoiceError(f"unknown MindSpore device {given!r}; choose one of {', '.join(DEVICES.values())}")
    target = DEVICES[name]
    if target != _configured_device:
        check_available(target)  # a device this machine lacks is the user's to hear of, before any other error
    if _configured_device is None:
        ms.set_device(target)
        _configured_device = target
    elif _configured_device != target:
        raise RuntimeError(f"MindSpore already runs on {_configured_device} in this process; cannot switch to {target}")
    set_mode(mode or os.environ.get(MODE_ENV) or "pynative")
    return target


#: What each device needs beyond MindSpore's own wheel (which carries every device's plugin), and where to read how.
DEVICE_NEEDS = {
    "GPU": ("libcuda.so", "an NVIDIA driver and the CUDA toolkit this MindSpore release was built with"),
    "Ascend": ("libge_runner.so", "the Ascend CANN toolkit, with its set_env.sh sourced"),
}
INSTALL_GUIDE = "https://www.mindspore.cn/install"


def check_available(target: str) -> None:
    """Refuse a device MindSpore cannot run on here, in one line that says what is missing and how to get it.

    ``mindspore.set_device`` accepts any known name and fails at the first operation with a multi-line error;
    ``mindspore.hal.is_available`` loads the device plugin up front (its own log of why not is silenced)."""
    if target == "CPU":
        return
    from jcrnet_spec.errors import UnavailableError

    with quiet_python_log():
        available = bool(ms.hal.is_available(target))
    if not available:
        library, needs = DEVICE_NEEDS[target]
        raise UnavailableError(f"device {target}: MindSpore {ms.__version__} cannot run on {target} here (its {target} "
                               f"plugin does not load: {library} and {needs} are needed); install them (see "
                               f"{INSTALL_GUIDE}) or choose CPU")


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


def prelu(x, w):
    """PReLU as ``where(x > 0, x, w * x)`` (``w``: one slope, or one per channel of NCHW ``x``).

    The same forward values as ``ops.prelu`` and torch's gradient at 0, but MindSpore differentiates it through
    ``ReduceSum``: MindSpore 2.10's CPU ``PReLUGrad`` sums a single slope's gradient over all N*C*H*W elements in a
    way that loses accuracy as they grow (measured against float64, relative to the result: 8e-7 at 2x40x16x24, 4e-6
    at 1x40x38x54, 4e-4 at 1x40x256x384, where torch's own is 1e-5..2e-6), this formulation 1e-8..1e-6.
    """
    if w.shape[0] > 1:
        w = w.reshape((1, -1, 1, 1))
    return ms.ops.where(x > 0, x, x * w)


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


def configured_device() -> Optional[str]:
    """The device ``configure`` chose in this process (``CPU``, ``GPU``, ``Ascend``), or None before it ran."""
    return _configured_device


#: What MindSpore 2.10's Graph compiler raises, now and then, for a call it compiled correctly before in the same
#: process (seen on the whole model and in the ONNX exporter after many nets were built; a fresh net in a fresh call
#: runs). The arity of ``JCRNet.construct`` is 1, so the message is never about the kit's code.
SPURIOUS_COMPILE_ERROR = "The parameters number of the function is 0"


def retry_spurious_compile_error(run):
    """``run()``, and once more if MindSpore raised its spurious Graph-compile ``TypeError``
    (``SPURIOUS_COMPILE_ERROR``); any other error, or the same one twice, propagates."""
    try:
        return run()
    except TypeError as error:
        if SPURIOUS_COMPILE_ERROR not in str(error):
            raise
        from jcrnet_spec.errors import first_line

        logging.getLogger(__name__).warning("MindSpore raised %r; building the net again", first_line(error))
        return run()
