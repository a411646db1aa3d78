"""``.ckpt``: MindSpore checkpoints, through ``mindspore.load_checkpoint`` / ``mindspore.save_checkpoint``.

A checkpoint is a protobuf of named tensors, so reading one runs no code. MindSpore 2.10 stores float16, float32,
float64 and bfloat16 (it takes ``ml_dtypes.bfloat16`` arrays and hands back its own NumPy bfloat16 type, relabelled
here), so every dtype ``--dtype`` offers fits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Tuple

import numpy as np

from convert.dtypes import as_ml_dtypes
from convert.errors import ConversionError
from jcrnet_spec.errors import first_line
from convert.sniff import sniff


def _mindspore():
    import torch  # noqa: F401  (torch is imported before MindSpore in every process)

    import mindspore

    return mindspore


def read_ckpt(path: Path) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """(MindSpore-named arrays in file order, notes)."""
    ms = _mindspore()
    if path.stat().st_size == 0:
        raise ConversionError(path, "is empty")
    from mindspore_impl.compat import quiet_python_log

    try:
        with quiet_python_log():
            params = ms.load_checkpoint(str(path))
    except Exception as error:  # MindSpore raises ValueError or RuntimeError for damaged files; report any in one line
        found = sniff(path)
        hint = f"; the file is {found}" if found else ""
        detail = first_line(error)
        detail = "" if detail.startswith("Failed to read the checkpoint file") else f" ({detail})"
        raise ConversionError(path, f"is not a readable MindSpore checkpoint, it may be corrupt or truncated"
                                    f"{detail}{hint}") from None
    if not params:
        raise ConversionError(path, "holds no tensors")
    try:
        return {name: as_ml_dtypes(np.array(param.asnumpy(), copy=True)) for name, param in params.items()}, []
    except (TypeError, RuntimeError) as error:
        raise ConversionError(path, f"holds a tensor MindSpore cannot hand to NumPy ({error})") from None


def write_ckpt(tensors: Mapping[str, np.ndarray], path: Path) -> None:
    """A checkpoint in the order given (the spec's ``save_checkpoint`` order), loadable with ``load_checkpoint``."""
    ms = _mindspore()
    ms.save_checkpoint([{"name": k, "data": ms.Tensor(np.ascontiguousarray(v))} for k, v in tensors.items()], str(path))
