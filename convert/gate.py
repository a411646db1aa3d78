"""The weights gate: what a weights file declares is checked before anything in it is materialised.

A small file can declare a large amount of memory: a zip entry that inflates to gigabytes, a tensor that is a
stride-0 view of one stored value, a sparse or sparse-on-disk file MindSpore would read whole. Every reader calls
this module first, so a file is refused by its declarations (sizes, layouts, strides, dims) and nothing larger than
``MAX_WEIGHTS_BYTES`` is ever built from it. After reading, the same two value policies hold whatever the command
(``convert``, ``--weights``, ``--init``, ``--resume``): NaN / Inf refused, and copies of a shared parameter must agree.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from convert.dtypes import is_floating
from convert.errors import ConversionError
from convert.sniff import sniff
from jcrnet_spec.errors import first_line

#: The largest weights file (and the most bytes one may declare) the kit accepts. JCRNet holds 1.6 M values: 6.4 MB
#: in float32, 12.8 MB in float64; a training checkpoint nesting Adam's two moments beside them stays under 40 MB.
MAX_WEIGHTS_BYTES = 128 * 2 ** 20
#: More entries than any torch.save archive of JCRNet (one per storage plus a handful of records) has.
MAX_ZIP_ENTRIES = 4096
LISTED = 5


def _mb(n: int) -> str:
    return f"{n / 2 ** 20:.1f} MB"


def listing(items: Sequence[str]) -> str:
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


def check_file_size(path: Path) -> int:
    """The size of ``path``; refuses an empty file or one larger than any JCRNet weights file (a sparse file reads
    back as its full apparent size, so the apparent size is what counts)."""
    size = path.stat().st_size
    if size == 0:
        raise ConversionError(path, "is empty")
    if size > MAX_WEIGHTS_BYTES:
        raise ConversionError(path, f"is {_mb(size)}, larger than any JCRNet weights file (limit "
                                    f"{_mb(MAX_WEIGHTS_BYTES)}); refusing to read it")
    return size


def check_torch_archive(path: Path) -> bool:
    """Refuse a ``torch.save`` zip archive whose entries declare more than ``MAX_WEIGHTS_BYTES`` uncompressed (a
    deflate bomb) or use an unknown compression; True when every entry is stored uncompressed (memory-mappable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as error:
        raise ConversionError(path, f"is corrupt or truncated (zip: {first_line(error)})") from None
    if len(entries) > MAX_ZIP_ENTRIES:
        raise ConversionError(path, f"is a zip archive of {len(entries)} entries, more than a JCRNet state_dict has "
                                    f"(limit {MAX_ZIP_ENTRIES})")
    declared = sum(entry.file_size for entry in entries)
    if declared > MAX_WEIGHTS_BYTES:
        raise ConversionError(path, f"declares {_mb(declared)} uncompressed in its zip entries, more than any JCRNet "
                                    f"weights file (limit {_mb(MAX_WEIGHTS_BYTES)}); refusing to inflate it")
    odd = sorted({entry.compress_type for entry in entries} - {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
    if odd:
        raise ConversionError(path, f"uses zip compression method {odd[0]}, which torch archives never use")
    return all(entry.compress_type == zipfile.ZIP_STORED for entry in entries)


def _overlaps(shape: Sequence[int], strides: Sequence[int]) -> bool:
    """Whether two indices of a strided view reach the same element (a stride-0 dimension of size > 1 included)."""
    reach = 0
    for stride, size in sorted((st, sz) for sz, st in zip(shape, strides) if sz > 1):
        if stride <= reach:
            return True
        reach += (size - 1) * stride
    return False


def _torch_layout_problem(key: str, tensor) -> Optional[str]:
    import torch

    if tensor.layout != torch.strided:
        return f"{key} is {str(tensor.layout).replace('torch.', '')} (weights are dense tensors)"
    if tensor.is_meta:
        return f"{key} is a meta tensor (it has a shape but no values)"
    if tensor.is_quantized:
        return f"{key} is quantized ({str(tensor.dtype).replace('torch.', '')})"
    shape, strides = tuple(tensor.shape), tuple(tensor.stride())
    if tensor.numel() and _overlaps(shape, strides):
        return (f"{key} is a view whose elements overlap (shape {shape}, strides {strides}): it would expand "
                f"{tensor.untyped_storage().nbytes()} stored bytes into {tensor.numel() * tensor.element_size()}")
    if tensor.numel():
        last = tensor.storage_offset() + sum((n - 1) * s for n, s in zip(shape, strides))
        if (last + 1) * tensor.element_size() > tensor.untyped_storage().nbytes():
            return f"{key} reaches past the end of its storage"
    return None


def check_torch_tensors(state: Mapping[str, object], path: Path) -> None:
    """Refuse sparse, meta, quantized, overlapping or out-of-storage tensors, and more than ``MAX_WEIGHTS_BYTES`` in
    all, before any of them is copied."""
    problems = [p for p in (_torch_layout_problem(str(k), v) for k, v in state.items()) if p]
    if problems:
        raise ConversionError(path, f"holds {len(problems)} tensor(s) that are not plain weights: "
                                    f"{listing(problems)}")
    total = sum(t.numel() * t.element_size() for t in state.values())
    if total > MAX_WEIGHTS_BYTES:
        raise ConversionError(path, f"its tensors hold {_mb(total)} in all, more than any JCRNet weights file "
                                    f"(limit {_mb(MAX_WEIGHTS_BYTES)})")


#: MindSpore checkpoint tensor types and their item sizes ("str" holds an ``append_dict`` string).
CKPT_ITEM_SIZES: Dict[str, int] = {
    "Float16": 2, "Float32": 4, "Float64": 8, "BFloat16": 2, "Int8": 1, "Int16": 2, "Int32": 4, "Int64": 8,
    "UInt8": 1, "UInt16": 2, "UInt32": 4, "UInt64": 8, "Bool": 1,
}
CKPT_TEXT = "str"


def check_ckpt_records(path: Path, data: bytes) -> List[str]:
    """Check a MindSpore checkpoint's declarations (``checkpoint.proto``): every tensor's dims non-negative, its type
    known and its declared size equal to the bytes stored. Returns the names of ``append_dict`` strings."""
    from google.protobuf.message import DecodeError
    from mindspore.train.checkpoint_pb2 import Checkpoint

    records = Checkpoint()
    try:
        records.ParseFromString(data)
    except (DecodeError, RuntimeError, ValueError) as error:
        found = sniff(path)
        raise ConversionError(path, f"is not a readable MindSpore checkpoint, it may be corrupt or truncated "
                                    f"({first_line(error)}){'; the file is ' + found if found else ''}") from None
    if not records.value:
        found = sniff(path)
        raise ConversionError(path, f"holds no tensors (or is not a MindSpore checkpoint)"
                                    f"{'; the file is ' + found if found else ''}")
    declared: Dict[str, Tuple[int, int]] = {}
    texts, problems = [], []
    for value in records.value:
        tag, tensor = value.tag, value.tensor
        if value.HasField("maptensor"):
            problems.append(f"{tag} is a map tensor")
            continue
        if tensor.tensor_type == CKPT_TEXT:
            texts.append(tag)
            continue
        dims = list(tensor.dims)
        if any(d < 0 for d in dims):
            problems.append(f"{tag} has negative dims {dims}")
        elif tensor.tensor_type not in CKPT_ITEM_SIZES:
            problems.append(f"{tag} has tensor type {tensor.tensor_type!r}")
        else:
            expected = int(np.prod(dims, dtype=np.float64)) * CKPT_ITEM_SIZES[tensor.tensor_type]
            stored = declared.get(tag, (expected, 0))[1] + len(tensor.tensor_content)
            declared[tag] = (expected, stored)  # MindSpore may split a large tensor over several records
    problems += [f"{tag} declares {want} bytes but stores {got}" for tag, (want, got) in declared.items()
                 if want != got]
    if problems:
        raise ConversionError(path, f"is a damaged MindSpore checkpoint: {listing(problems)}")
    total = sum(want for want, _ in declared.values())
    if total > MAX_WEIGHTS_BYTES:
        raise ConversionError(path, f"declares {_mb(total)} of tensors (limit {_mb(MAX_WEIGHTS_BYTES)})")
    return texts


def nonfinite_tensors(tensors: Mapping[str, np.ndarray]) -> List[str]:
    """``key (n NaN, m Inf)`` for every floating tensor holding a NaN or an infinity, in key order."""
    found = []
    for key, value in tensors.items():
        if not is_floating(value):
            continue
        as32 = value.astype(np.float32)
        if np.isfinite(as32).all():
            continue
        counts = {"NaN": int(np.isnan(as32).sum()), "Inf": int(np.isinf(as32).sum())}
        found.append(f"{key} ({', '.join(f'{n} {kind}' for kind, n in counts.items() if n)})")
    return found


def refuse_nonfinite(tensors: Mapping[str, np.ndarray], path: Optional[Path], what: str = "") -> None:
    """The NaN / Inf policy of every command that runs weights: refused, naming the tensors (``convert`` alone has
    ``--allow-nonfinite``). A network holding NaN gives an all-black image, never an error, so it is caught here."""
    bad = nonfinite_tensors(tensors)
    if bad:
        raise ConversionError(path, f"{what}{len(bad)} tensors hold NaN or Inf: {listing(bad)}; refusing to use them "
                                    f"(a network holding NaN outputs NaN)")


def diverged_copies(tensors: Mapping[str, np.ndarray], naming: str, preset: str) -> List[str]:
    """``a = b`` for each shared parameter whose copies differ in torch naming (MindSpore naming has one copy)."""
    from jcrnet_spec import architecture, param_table

    if naming != "torch":
        return []
    return [" = ".join(entry.torch_keys) for entry in param_table(architecture(preset))
            if len(entry.torch_keys) > 1 and any(not np.array_equal(tensors[entry.torch_keys[0]], tensors[k])
                                                 for k in entry.torch_keys[1:])]


def refuse_diverged_copies(tensors: Mapping[str, np.ndarray], naming: str, preset: str, path: Optional[Path],
                           what: str = "") -> None:
    """The shared-parameter policy: copies of one shared parameter must be equal. torch would load the last copy
    into its one module and MindSpore keeps one key, so diverged copies would compute different numbers."""
    diverged = diverged_copies(tensors, naming, preset)
    if diverged:
        raise ConversionError(path, f"{what}shared parameters differ between their copies ({listing(diverged)}); "
                                    f"one model would use one copy, the other another")


def text_note(names: Iterable[str]) -> str:
    names = list(names)
    return (f"ignored {len(names)} value(s) saved with append_dict that are not weights "
            f"({listing(names)})")
