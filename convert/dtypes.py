"""Dtypes the converter handles, and moving arrays between NumPy and torch without changing a bit.

NumPy has no bfloat16; ``ml_dtypes`` (a MindSpore dependency) provides it, and MindSpore 2.10 reads and writes it
directly. torch tensors of bfloat16 cross over as their raw 16-bit patterns.
"""

from __future__ import annotations

from collections import Counter
from typing import Dict, Mapping, Optional

import ml_dtypes
import numpy as np

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)

#: The floating dtypes ``--dtype`` may ask for.
TARGET_DTYPES: Dict[str, np.dtype] = {
    "float32": np.dtype(np.float32),
    "float16": np.dtype(np.float16),
    "bfloat16": BFLOAT16,
}

#: Every dtype a weights file may hold for the converter to accept it.
SUPPORTED_DTYPES = frozenset({*TARGET_DTYPES.values(), np.dtype(np.float64), np.dtype(np.int64)})


def as_ml_dtypes(array: np.ndarray) -> np.ndarray:
    """``array`` with MindSpore's own NumPy bfloat16 type (``asnumpy`` returns it) relabelled as ``ml_dtypes``'s."""
    if array.dtype != BFLOAT16 and str(array.dtype) == "bfloat16" and array.dtype.itemsize == 2:
        return array.view(np.uint16).view(BFLOAT16)
    return array


def is_floating(array: np.ndarray) -> bool:
    return array.dtype.kind == "f" or array.dtype == BFLOAT16


def unsupported_dtypes(tensors: Mapping[str, np.ndarray]) -> Dict[str, str]:
    """Key -> dtype name of every tensor whose dtype the converter does not handle."""
    return {key: str(value.dtype) for key, value in tensors.items() if value.dtype not in SUPPORTED_DTYPES}


def cast_floating(tensors: Mapping[str, np.ndarray], dtype: Optional[str]) -> Dict[str, np.ndarray]:
    """Floating tensors cast to ``dtype`` (a ``TARGET_DTYPES`` name); integer tensors and ``None`` leave all as is.

    The bits are those of torch's ``Tensor.to``: round to nearest, ties to even; beyond the range to +-inf; subnormals
    and -0.0 kept; NaN stays NaN (its payload may differ: torch writes one canonical NaN). float64 is narrowed to a
    16-bit type through float32, as torch and ``ml_dtypes`` do; NumPy's direct float64 -> float16 rounding differs
    from torch's in about 35 of 10^6 random values (one unit in the last place, at near-ties).
    ``parity_tests/test_casts.py`` checks all of this against torch, ``ml_dtypes`` and CPython's own float16 packing.
    """
    if dtype is None:
        return dict(tensors)
    target = TARGET_DTYPES[dtype]
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow shows as Inf, which the caller reports by name
        return {key: _narrowed(value, target) if is_floating(value) else value for key, value in tensors.items()}


def _narrowed(value: np.ndarray, target: np.dtype) -> np.ndarray:
    if value.dtype == np.float64 and target.itemsize < 4:
        value = value.astype(np.float32)
    return value.astype(target)


def epsilon(dtype: str) -> float:
    """The machine epsilon of a ``TARGET_DTYPES`` name (2^-10 for float16, 2^-7 for bfloat16, 2^-23 for float32)."""
    return float(ml_dtypes.finfo(TARGET_DTYPES[dtype]).eps)


def describe_dtypes(tensors: Mapping[str, np.ndarray]) -> str:
    """``float32`` or ``float16 x 160, int64 x 8``: the dtypes held, most common first."""
    counts = Counter(str(value.dtype) for value in tensors.values())
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{name} x {count}" for name, count in counts.most_common())


def to_torch(array: np.ndarray):
    """A torch tensor with the same dtype and bits (own memory, so shared keys never alias)."""
    import torch

    if array.dtype == BFLOAT16:
        return torch.from_numpy(np.array(array.view(np.int16), copy=True)).view(torch.bfloat16)
    return torch.from_numpy(np.array(array, copy=True))


def from_torch(tensor) -> np.ndarray:
    """A NumPy copy of a torch tensor with the same dtype and bits."""
    import torch

    tensor = tensor.detach().cpu().contiguous()
    if tensor.dtype == torch.bfloat16:
        return tensor.view(torch.int16).numpy().view(BFLOAT16).copy()
    return tensor.numpy().copy()
