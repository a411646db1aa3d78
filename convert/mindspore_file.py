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
from convert.gate import check_ckpt_records, check_file_size, text_note
from convert.sniff import sniff
from jcrnet_spec.errors import first_line


def _mindspore():
    import torch  # noqa: F401  (torch is imported before MindSpore in every process)

    import mindspore

    return mindspore


def _mindspore_keys() -> frozenset:
    from jcrnet_spec import PRESETS, architecture, layout_keys

    return frozenset(key for preset in PRESETS for key, _ in layout_keys(architecture(preset), "mindspore"))


def read_ckpt(path: Path) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """(MindSpore-named arrays in file order, notes).

    The file's declarations are checked before MindSpore reads it (``convert.gate``). Values saved with
    ``save_checkpoint(..., append_dict=...)`` that are not weights (strings, and scalars under names no JCRNet layout
    has, such as ``epoch_num``) are left out with a note: ordinary checkpoints carry them."""
    ms = _mindspore()
    check_file_size(path)
    texts = check_ckpt_records(path, path.read_bytes())
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
    known = _mindspore_keys()
    appended = [name for name, value in params.items()
                if name in texts or not hasattr(value, "asnumpy") or (name not in known and not value.shape)]
    params = {name: value for name, value in params.items() if name not in appended}
    if not params:
        raise ConversionError(path, "holds no tensors")
    notes = [text_note(appended)] if appended else []
    try:
        return {name: as_ml_dtypes(np.array(param.asnumpy(), copy=True)) for name, param in params.items()}, notes
    except (TypeError, RuntimeError) as error:
        raise ConversionError(path, f"holds a tensor MindSpore cannot hand to NumPy ({error})") from None


def write_ckpt(tensors: Mapping[str, np.ndarray], path: Path) -> None:
    """A checkpoint in the order given (the spec's ``save_checkpoint`` order), loadable with ``load_checkpoint``."""
    ms = _mindspore()
    from mindspore_impl.compat import quiet_python_log

    with quiet_python_log():  # a failed write is reported by the caller, in one line
        ms.save_checkpoint([{"name": k, "data": ms.Tensor(np.ascontiguousarray(v))} for k, v in tensors.items()],
                           str(path))
