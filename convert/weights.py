"""Weights in memory: reading any supported file, identifying its naming and preset, and renaming it.

All naming and layout knowledge comes from ``jcrnet_spec``: the key set of a file is compared exactly with the
spec's layouts (torch and MindSpore naming, each preset), and names are mapped by the spec's rule table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple, Union

import numpy as np

from convert.dtypes import describe_dtypes, unsupported_dtypes
from convert.errors import ConversionError
from convert.gate import check_file_size, refuse_diverged_copies, refuse_nonfinite
from convert.gate import nonfinite_tensors  # noqa: F401  (re-exported: convert.core reports NaN / Inf with it)
from jcrnet_spec import (
    DEFAULT_PRESET, NAMINGS, PRESETS, Architecture, KeyMismatchError, LayoutMatch, architecture, assemble, layout_keys,
    match_layouts, mindspore_to_torch, param_table, preset_differences, torch_to_mindspore,
)
from jcrnet_spec.layers import MINDSPORE_ONLY_STAT, TORCH_ONLY_COUNTER

PathLike = Union[str, Path]
AUTO = "auto"

#: Extension -> file format. ``.onnx`` is a destination only.
FORMATS: Dict[str, str] = {".pth": "pth", ".pt": "pth", ".ckpt": "ckpt", ".safetensors": "safetensors", ".onnx": "onnx"}
SOURCE_FORMATS = ("pth", "ckpt", "safetensors")
#: The namings a weights format can hold (safetensors holds either).
FORMAT_NAMINGS: Dict[str, Tuple[str, ...]] = {"pth": ("torch",), "ckpt": ("mindspore",), "safetensors": NAMINGS}


class Weights(NamedTuple):
    """One set of JCRNet weights: arrays keyed in ``naming`` ("torch" or "mindspore"), of spec preset ``preset``."""

    tensors: Dict[str, np.ndarray]
    naming: str
    preset: str

    def describe(self) -> str:
        return (f"{self.naming} naming, preset {self.preset!r}, {len(self.tensors)} tensors, "
                f"{describe_dtypes(self.tensors)}")


def file_format(path: Path, role: str) -> str:
    """The format of ``path`` from its extension; ``role`` is "source" or "destination"."""
    fmt = FORMATS.get(path.suffix.lower())
    allowed = [ext for ext, f in FORMATS.items() if role == "destination" or f in SOURCE_FORMATS]
    if fmt is None:
        raise ConversionError(path, f"unsupported {role} extension {path.suffix or '(none)'!r}; "
                                    f"use one of {', '.join(allowed)}")
    if role == "source" and fmt not in SOURCE_FORMATS:
        raise ConversionError(path, "an .onnx file is a destination only; weights are not read back from ONNX")
    return fmt


def _read(path: Path, fmt: str) -> Tuple[Dict[str, np.ndarray], Optional[str], Optional[str], List[str]]:
    """(arrays, declared naming, declared preset, notes) of a source file."""
    if fmt == "pth":
        from convert.torch_file import read_pth

        tensors, notes = read_pth(path)
        return tensors, None, None, notes
    if fmt == "ckpt":
        from convert.mindspore_file import read_ckpt

        tensors, notes = read_ckpt(path)
        return tensors, None, None, notes
    from convert.safetensors_file import declared_layout, read_safetensors

    tensors, metadata, notes = read_safetensors(path)
    naming, preset = declared_layout(metadata, path)
    return tensors, naming, preset, notes


def _refuse_cross_preset(path: Path, held: str, wanted: str, naming: str) -> ConversionError:
    changes = "; ".join(preset_differences(held, wanted))
    return ConversionError(path, f"holds weights of preset {held!r} ({naming} naming); converting them to preset "
                                 f"{wanted!r} is refused, since the same weights would compute different numbers "
                                 f"({changes})")


def resolve_layout(tensors: Mapping[str, np.ndarray], path: Optional[Path], fmt: Optional[str],
                   declared_naming: Optional[str] = None,
                   declared_preset: Optional[str] = None, requested_preset: str = AUTO) -> LayoutMatch:
    """The (naming, preset) whose exact key layout ``tensors`` has, or one ``ConversionError`` saying why none fits.

    ``fmt`` limits the namings (a ``.pth`` holds torch naming; None: any naming); ``declared_*`` is what a file's
    metadata records; ``requested_preset`` is what the caller asks for ("auto": whatever the file holds). Weights never
    change preset.
    """
    if requested_preset != AUTO and requested_preset not in PRESETS:
        raise ConversionError(None, f"unknown preset {requested_preset!r}; choose auto or one of {', '.join(PRESETS)}")
    namings = (declared_naming,) if declared_naming else (FORMAT_NAMINGS[fmt] if fmt else NAMINGS)
    every = match_layouts(tensors, NAMINGS)
    exact = next((m for m in every if m.exact), None)
    if exact is not None and exact.naming not in namings:
        where = "its metadata records" if declared_naming else "this format holds"
        raise ConversionError(path, f"holds {exact.naming}-named weights (preset {exact.preset!r}), but {where} "
                                    f"{' or '.join(namings)} naming")
    if declared_preset and exact is not None and exact.preset != declared_preset:
        raise ConversionError(path, f"metadata records preset {declared_preset!r}, but the keys are those of preset "
                                    f"{exact.preset!r}")
    held = declared_preset or (exact.preset if exact is not None else None)
    if requested_preset != AUTO and held is not None and held != requested_preset:
        raise _refuse_cross_preset(path, held, requested_preset, exact.naming if exact else namings[0])
    wanted = requested_preset if requested_preset != AUTO else declared_preset
    best = next(m for m in every if m.naming in namings and (wanted is None or m.preset == wanted))
    if not best.exact:
        raise ConversionError(path, str(best.error("the tensors do not match the closest JCRNet layout")))
    return best


def load(path: PathLike, preset: str = AUTO) -> Tuple[Weights, List[str]]:
    """(weights, notes) of a ``.pth`` / ``.pt``, ``.ckpt`` or ``.safetensors`` file, keys in the spec's order."""
    path = Path(path)
    fmt = file_format(path, "source")
    if not path.is_file():
        raise ConversionError(path, "does not exist" if not path.exists() else "is not a file")
    try:
        check_file_size(path)
        tensors, declared_naming, declared_preset, notes = _read(path, fmt)
    except OSError as error:
        raise ConversionError(path, f"cannot be read: {error.strerror or error}") from None
    match = resolve_layout(tensors, path, fmt, declared_naming, declared_preset, preset)
    odd = unsupported_dtypes(tensors)
    if odd:
        listed = ", ".join(f"{k} ({d})" for k, d in list(odd.items())[:5]) + (", ..." if len(odd) > 5 else "")
        raise ConversionError(path, f"holds {len(odd)} tensors of dtypes the converter does not handle: {listed}")
    ordered = {key: tensors[key] for key, _ in layout_keys(architecture(match.preset), match.naming)}
    return Weights(ordered, match.naming, match.preset), notes


def load_weights(path: PathLike, preset: str = AUTO, allow_nonfinite: bool = False) -> Weights:
    """Read a weights file strictly: ``(tensors, naming, preset)``; raises ``ConversionError`` (one line).

    The weights every command runs come through here, so the value policies are applied here, the same for all:
    NaN / Inf refused (unless ``allow_nonfinite``) and diverged copies of a shared parameter refused."""
    weights = load(path, preset)[0]
    check_values(weights, Path(path), allow_nonfinite)
    return weights


def check_values(weights: Weights, path: Optional[Path], allow_nonfinite: bool = False) -> None:
    """The value policies of ``load_weights`` for weights from anywhere (``path`` names them, if known)."""
    if not allow_nonfinite:
        refuse_nonfinite(weights.tensors, path, "" if path else "weights: ")
    refuse_diverged_copies(weights.tensors, weights.naming, weights.preset, path, "" if path else "weights: ")


#: What a model builder takes as weights: a file path, loaded ``Weights``, or a mapping of arrays in either naming.
WeightsSource = Union[str, Path, Weights, Mapping[str, np.ndarray]]


def resolve_weights(source: WeightsSource, preset: Optional[str] = None) -> Weights:
    """``source`` as ``Weights``: a path is read with ``load_weights``; a mapping's naming and preset are detected from
    its exact key set (``preset``, if given, is what it must hold). ``ConversionError`` (one line) otherwise."""
    if isinstance(source, Weights):
        if preset not in (None, AUTO) and source.preset != preset:
            raise _refuse_cross_preset(None, source.preset, preset, source.naming)
        return source
    if isinstance(source, (str, Path)):
        return load_weights(source, preset or AUTO)
    if not isinstance(source, Mapping):
        raise ConversionError(None, f"weights must be a file path or a mapping of arrays, not a "
                                    f"{type(source).__name__}")
    tensors = {str(k): np.asarray(v) for k, v in source.items()}
    match = resolve_layout(tensors, None, None, requested_preset=preset or AUTO)
    weights = Weights({key: tensors[key] for key, _ in layout_keys(architecture(match.preset), match.naming)},
                      match.naming, match.preset)
    check_values(weights, None)
    return weights


def weights_for_model(source: WeightsSource, naming: str, preset: Optional[str] = None) -> Weights:
    """The weights a model of ``naming``'s framework loads: resolved, renamed to ``naming``, floating tensors widened
    (or narrowed) to float32, the model's dtype."""
    from convert.dtypes import cast_floating

    weights = rename(resolve_weights(source, preset), naming)
    return Weights(cast_floating(weights.tensors, "float32"), weights.naming, weights.preset)


def build_model(preset: Union[str, Architecture, None], weights: Optional[WeightsSource], naming: str,
                make_leaf: Callable, make_block: Callable, load: Callable):
    """The one model builder behind both ``build_jcrnet``: the architecture (``preset`` as a name or an
    ``Architecture``, else the weights', else the default preset) assembled from ``naming``'s framework factories, then
    ``load(model, tensors)`` with the weights renamed to ``naming`` and cast to float32. A preset that contradicts the
    weights is refused; the model remembers its ``spec`` and ``preset``."""
    arch = preset if isinstance(preset, Architecture) else None
    loaded = None if weights is None else weights_for_model(weights, naming, arch.preset.name if arch else preset)
    arch = arch or architecture(loaded.preset if loaded else preset or DEFAULT_PRESET)
    model = assemble(arch, make_leaf, make_block)
    model.spec, model.preset = arch, arch.preset.name
    return model if loaded is None else load(model, loaded.tensors)


def framework_only_values(weights: Weights, naming: str) -> List[str]:
    """Notes on values held by ``weights`` that the ``naming`` has no key for and that differ from the spec's fill.

    torch's ``num_batches_tracked`` has no MindSpore key (it reads back as 0); MindSpore's InstanceNorm moving
    statistics have no torch key (they read back as 0 and 1). Neither reaches any output: JCRNet's BatchNorm momentum
    is fixed (torch reads the counter only when momentum is None) and InstanceNorm normalises each input by its own
    statistics.
    """
    if naming == weights.naming:
        return []
    role = TORCH_ONLY_COUNTER if weights.naming == "torch" else MINDSPORE_ONLY_STAT
    changed = []
    for entry in param_table(architecture(weights.preset)):
        if entry.role != role:
            continue
        key = entry.torch_keys[0] if weights.naming == "torch" else entry.mindspore_key
        if not np.all(weights.tensors[key] == entry.rule.fill):
            changed.append(key)
    if not changed:
        return []
    what = "num_batches_tracked counters" if role == TORCH_ONLY_COUNTER else "InstanceNorm moving statistics"
    resets = "0" if role == TORCH_ONLY_COUNTER else "0 (mean) and 1 (variance)"
    return [f"{len(changed)} {what} ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''}) have no key in "
            f"{naming} naming and will read back as {resets}; they do not affect any output"]


def rename(weights: Weights, naming: str, source: Optional[Path] = None) -> Weights:
    """The same weights keyed in ``naming`` and in its framework's order, mapped by the spec (shared layers expanded
    or collapsed)."""
    if naming == weights.naming:
        return weights
    arch = architecture(weights.preset)
    convert = torch_to_mindspore if weights.naming == "torch" else mindspore_to_torch
    try:
        tensors = convert(weights.tensors, arch)
    except KeyMismatchError as error:
        raise ConversionError(source, str(error)) from None
    return Weights({key: tensors[key] for key, _ in layout_keys(arch, naming)}, naming, weights.preset)
