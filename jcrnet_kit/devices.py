"""The device gate: ``--device`` checked against what this install and machine have, before any work starts.

Without it a GPU asked of a CPU-only torch fails deep inside the first ``.to("cuda")``, and MindSpore accepts the
name and fails at its first operation with a multi-page error. Here it is one line naming what is missing and how to
get it. MindSpore's side is ``mindspore_impl.compat.check_available`` (also called by ``configure``).
"""

from __future__ import annotations

import os
from typing import Optional

from jcrnet_kit.errors import KitError

DEVICES = {"cpu": "CPU", "gpu": "GPU", "ascend": "Ascend"}
#: The environment variable that picks the device when no ``--device`` is given.
DEVICE_ENV = "JCRNET_DEVICE"
TORCH_INSTALL_GUIDE = "https://pytorch.org/get-started/locally/"


def device_name(device: Optional[str], flag: str = "--device") -> str:
    """``device`` (else ``$JCRNET_DEVICE``, else CPU) as CPU, GPU or Ascend; refuses any other name."""
    given = device or os.environ.get(DEVICE_ENV) or "cpu"
    name = DEVICES.get(given.strip().lower())
    if name is None:
        where = flag if device else f"${DEVICE_ENV}"
        raise KitError(f"{where} {given!r}: choose one of {', '.join(DEVICES.values())}")
    return name


def check_torch_device(name: str) -> None:
    """Refuse a device torch cannot run on here."""
    import torch

    if name == "Ascend":
        raise KitError("device Ascend: the torch side runs on CPU or GPU; Ascend needs --framework mindspore")
    if name == "GPU" and not torch.cuda.is_available():
        if torch.version.cuda is None:
            raise KitError(f"device GPU: this torch ({torch.__version__}) is a CPU-only build; install a CUDA build "
                           f"of torch (see {TORCH_INSTALL_GUIDE}) or choose CPU")
        raise KitError(f"device GPU: torch {torch.__version__} (CUDA {torch.version.cuda}) finds no usable GPU on this "
                       f"machine; check the NVIDIA driver (nvidia-smi) and CUDA_VISIBLE_DEVICES, or choose CPU")


def check_device(device: Optional[str], framework: str, flag: str = "--device") -> str:
    """The device ``framework`` ("torch" or "mindspore") will run on, refused in one line if this install or machine
    lacks it. Imports only the framework asked about."""
    name = device_name(device, flag)
    if framework == "torch":
        check_torch_device(name)
    elif name != "CPU":
        import torch  # noqa: F401  (torch before MindSpore in every process)

        isa = os.environ.get("ONEDNN_MAX_CPU_ISA")
        from mindspore_impl.compat import check_available

        if isa is None:  # MindSpore's CPU setting must not reach processes this one starts (bench's torch workers)
            os.environ.pop("ONEDNN_MAX_CPU_ISA", None)
        check_available(name)
    return name
