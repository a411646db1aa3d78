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
from jcrnet_spec.errors import first_line
from convert.sniff import sniff

NAMING_KEY = "jcrnet.naming"
PRESET_KEY = "jcrnet.preset"
VERSION_KEY = "jcrnet.kit_version"
FORMAT_NAMES = {"torch": "pt", "mindspore": "mindspore"}


def kit_version() -> str:
    from jcrnet_kit import __version__

    return __version__


def read_safetensors(path: Path) -> Tuple[Dict[str, np.ndarray], Dict[str, str], List[str]]:
    """(arrays, metadata, notes); arrays in the file's (sorted) order."""
    import torch  # noqa: F401  (the "pt" reader keeps bfloat16)
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            metadata = dict(f.metadata() or {})
            tensors = {key: from_torch(f.get_tensor(key)) for key in f.keys()}
    except (SafetensorError, ValueError, TypeError, RuntimeError) as error:
        found = sniff(path)
        hint = f"; the file is {found}" if found and found != "a safetensors file" else ""
        raise ConversionError(path, f"is not a readable safetensors file, it may be corrupt or truncated "
                                    f"({first_line(error)}){hint}") from None
    if not tensors:
        raise ConversionError(path, "holds no tensors")
    return tensors, metadata, []


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
    from safetensors.torch import save_file

    metadata = {"format": FORMAT_NAMES[naming], NAMING_KEY: naming, PRESET_KEY: preset, VERSION_KEY: kit_version()}
    save_file({k: to_torch(v) for k, v in tensors.items()}, str(path), metadata=metadata)
