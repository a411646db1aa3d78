"""``.safetensors``: either naming, with metadata that records it.

Metadata written (all strings, as safetensors requires): ``format`` (``pt`` for torch naming, ``mindspore``
otherwise), ``jcrnet.naming``, ``jcrnet.preset`` and ``jcrnet.kit_version``. A file without the ``jcrnet.*``
entries (written by another tool) is read too; its naming and preset then come from the key set alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from convert.dtypes import from_torch, to_torch
from convert.errors import ConversionError
from convert.sniff import sniff
from jcrnet_spec.errors import first_line

NAMING_KEY = "jcrnet.naming"
PRESET_KEY = "jcrnet.preset"
VERSION_KEY = "jcrnet.kit_version"
FORMAT_NAMES = {"torch": "pt", "mindspore": "mindspore"}


def kit_version() -> str:
    from jcrnet_kit import __version__

    return __version__


def read_safetensors(path: Path) -> Tuple[Dict[str, np.ndarray], Dict[str, str], List[str]]:
    """(arrays, metadata, notes); arrays in the file's (sorted) order. Read through torch where it is installed;
    without torch (a MindSpore-only machine) through NumPy, bfloat16 taken from the file's declared offsets."""
    from safetensors import SafetensorError, safe_open

    try:
        import torch  # noqa: F401  (the "pt" reader keeps bfloat16)
    except ImportError:
        framework = "numpy"
    else:
        framework = "pt"
    try:
        with safe_open(str(path), framework=framework) as f:
            metadata = dict(f.metadata() or {})
            if framework == "pt":
                tensors = {key: from_torch(f.get_tensor(key)) for key in f.keys()}
            else:
                tensors = _numpy_tensors(f, path)
    except (SafetensorError, ValueError, TypeError, RuntimeError) as error:
        found = sniff(path)
        hint = f"; the file is {found}" if found and found != "a safetensors file" else ""
        raise ConversionError(path, f"is not a readable safetensors file, it may be corrupt or truncated "
                                    f"({first_line(error)}){hint}") from None
    if not tensors:
        raise ConversionError(path, "holds no tensors")
    return tensors, metadata, []


def _numpy_tensors(f, path: Path) -> Dict[str, np.ndarray]:
    """Every tensor of an open ``safe_open(..., framework="numpy")``; NumPy has no bfloat16, so those come from the
    header's offsets as ``ml_dtypes.bfloat16``."""
    import json
    import struct

    from convert.dtypes import BFLOAT16

    with open(path, "rb") as raw:
        (size,) = struct.unpack("<Q", raw.read(8))
        header = json.loads(raw.read(size))
        start = 8 + size
        tensors = {}
        for key in f.keys():
            info = header[key]
            if info["dtype"] != "BF16":
                tensors[key] = f.get_tensor(key)
                continue
            begin, end = info["data_offsets"]
            raw.seek(start + begin)
            data = np.frombuffer(raw.read(end - begin), dtype="<u2")
            tensors[key] = data.view(BFLOAT16).reshape(info["shape"]).copy()
    return tensors


def declared_layout(metadata: Mapping[str, str], path: Path) -> Tuple[Optional[str], Optional[str]]:
    """(naming, preset) recorded by the kit, or None where the file does not say; refuses values it cannot know."""
    from jcrnet_spec import NAMINGS, PRESETS

    naming, preset = metadata.get(NAMING_KEY), metadata.get(PRESET_KEY)
    if naming is not None and naming not in NAMINGS:
        raise ConversionError(path, f"metadata names an unknown naming {naming!r} (expected one of "
                                    f"{', '.join(NAMINGS)})")
    if preset is not None and preset not in PRESETS:
        raise ConversionError(path, f"metadata names an unknown preset {preset!r} (expected one of "
                                    f"{', '.join(PRESETS)})")
    return naming, preset


def write_safetensors(tensors: Mapping[str, np.ndarray], path: Path, naming: str, preset: str) -> None:
    """Serialised in memory and written to ``path`` by the caller's atomic writer: ``save_file`` would write its own
    ``.tmpXXXXXX`` beside it first, which an interrupted or failed write leaves behind."""
    from safetensors.torch import save

    metadata = {"format": FORMAT_NAMES[naming], NAMING_KEY: naming, PRESET_KEY: preset, VERSION_KEY: kit_version()}
    data = save({k: to_torch(v) for k, v in tensors.items()}, metadata=metadata)
    with open(path, "wb") as f:
        f.write(data)
