"""``.pth`` / ``.pt``: torch state_dicts, read only through ``torch.load(weights_only=True)``.

A pickle can run code while it is read; the weights-only unpickler refuses every global it does not know (and
``os.system`` is not one), so a hostile file is rejected before anything in it runs. Files saved from a training
script are accepted when the state_dict is the whole file or nested under ``state_dict`` / ``model`` / ``params``,
with or without DataParallel's ``module.`` prefix.
"""

from __future__ import annotations

import re
import warnings
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Mapping, Tuple

import numpy as np

from convert.dtypes import from_torch, to_torch
from convert.errors import ConversionError
from convert.gate import check_torch_archive, check_torch_tensors
from convert.sniff import PICKLE_PROTO, ZIP_MAGIC, sniff
from jcrnet_spec.errors import first_line

#: Keys under which training scripts nest a state_dict, tried in this order.
NESTING_KEYS: Tuple[str, ...] = ("state_dict", "model", "params")
DATA_PARALLEL_PREFIX = "module."

_BLOCKED_GLOBAL = re.compile(r"GLOBAL ([\w.]+)")
_UNSUPPORTED_OPCODE = re.compile(r"Unsupported operand (\d+)")


def _refusal_reason(message: str) -> str:
    found = _BLOCKED_GLOBAL.search(message)
    if found:
        return f"it asks to import {found.group(1)}"
    found = _UNSUPPORTED_OPCODE.search(message)
    if found:
        return f"it uses pickle opcode {found.group(1)}, which the weights-only loader does not allow"
    return next((line.strip() for line in message.splitlines() if line.strip()), "no reason given")


def _load(path: Path):
    import pickle

    import torch

    with open(path, "rb") as f:
        head = f.read(4)
    if not (head.startswith(ZIP_MAGIC) or head[:1] == bytes([PICKLE_PROTO])):
        found = sniff(path)
        raise ConversionError(path, f"is not a torch file (it is {found or 'neither a zip archive nor a pickle'})")
    # A zip archive is checked by its declared sizes first, then memory-mapped where its entries are stored
    # uncompressed (always, for torch.save), so that nothing is read before each tensor's layout is checked.
    mmap = head.startswith(ZIP_MAGIC) and check_torch_archive(path)
    try:
        with warnings.catch_warnings():  # torch's deprecation notes on what a file holds are not the user's concern
            warnings.simplefilter("ignore")
            return torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as error:
        if "weights only" in str(error).lower():
            raise ConversionError(path, f"refused as unsafe: torch.load(weights_only=True) will not unpickle it "
                                        f"({_refusal_reason(str(error))}); nothing in it was executed (a state_dict "
                                        f"of tensors, model.state_dict(), loads safely)") from None
        raise ConversionError(path, f"is corrupt or truncated (unpickling failed: {error})") from None
    except Exception as error:  # whatever a damaged archive or pickle raises, it is reported in one line
        detail = first_line(error).split(". ")[0]
        raise ConversionError(path, f"is corrupt or truncated (torch.load: {detail})") from None


def _unwrap(obj, path: Path) -> Tuple[Mapping, List[str]]:
    """The state_dict inside ``obj`` and notes on how it was found."""
    import torch

    notes = []
    for _ in range(len(NESTING_KEYS) + 1):
        if not isinstance(obj, Mapping):
            raise ConversionError(path, f"holds a {type(obj).__name__}, not a state_dict")
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            break
        nested = [k for k in NESTING_KEYS if isinstance(obj.get(k), Mapping)]
        if len(nested) > 1:
            raise ConversionError(path, f"holds several candidate state_dicts ({', '.join(nested)}); keep only one")
        if not nested:
            break
        notes.append(f"read the state_dict nested under {nested[0]!r}")
        obj = obj[nested[0]]
    if obj and all(isinstance(k, str) and k.startswith(DATA_PARALLEL_PREFIX) for k in obj):
        obj = OrderedDict((k[len(DATA_PARALLEL_PREFIX):], v) for k, v in obj.items())
        notes.append(f"stripped the DataParallel prefix {DATA_PARALLEL_PREFIX!r}")
    return obj, notes


def read_pth(path: Path) -> Tuple[Dict[str, np.ndarray], List[str]]:
    """(torch-named arrays in file order, notes)."""
    import torch

    state, notes = _unwrap(_load(path), path)
    if not state:
        raise ConversionError(path, "holds an empty state_dict")
    not_tensors = [f"{k} ({type(v).__name__})" for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if not_tensors:
        raise ConversionError(path, f"is not a state_dict of tensors: {len(not_tensors)} entries are not tensors "
                                    f"({', '.join(not_tensors[:8])}{', ...' if len(not_tensors) > 8 else ''})")
    check_torch_tensors(state, path)
    allowed = {torch.float32, torch.float16, torch.bfloat16, torch.float64, torch.int64}
    odd = [f"{k} ({v.dtype})" for k, v in state.items() if v.dtype not in allowed]
    if odd:
        raise ConversionError(path, f"holds tensors of dtypes the converter does not handle: {', '.join(odd)}")
    return {str(k): from_torch(v) for k, v in state.items()}, notes


def write_pth(tensors: Mapping[str, np.ndarray], path: Path) -> None:
    """A plain state_dict that ``torch.load(path, weights_only=True)`` returns and ``load_state_dict`` accepts."""
    import torch

    try:
        torch.save(OrderedDict((k, to_torch(v)) for k, v in tensors.items()), path)
    except RuntimeError as error:  # torch reports a failed open or write (a full disk) as RuntimeError
        raise OSError(first_line(error).split("] ")[-1]) from None
