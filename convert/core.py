"""``convert(src, dst, ...)``: read, check, rename, cast, write atomically, and optionally verify by running."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional

from convert.atomic import atomic_output, check_destination, check_distinct
from convert.gate import refuse_diverged_copies
from convert.dtypes import TARGET_DTYPES, cast_floating, describe_dtypes, is_floating
from convert.errors import ConversionError, VerificationError
from convert.equivalence import Check, failure
from convert.weights import (
    AUTO, FORMAT_NAMINGS, PathLike, Weights, file_format, framework_only_values, load, load_weights,
    nonfinite_tensors, rename,
)
from jcrnet_spec import NAMINGS, PRESETS, KeyMismatchError, architecture, check_keys, layout_keys

ONNX_EXPORTERS = ("torch", "mindspore")
LISTED = 5


@dataclass
class Report:
    """What a conversion did: both ends described, notes, verification checks and timings (seconds)."""

    src: Path
    dst: Path
    source: str
    destination: str
    notes: List[str] = field(default_factory=list)
    checks: List[Check] = field(default_factory=list)
    seconds: Dict[str, float] = field(default_factory=dict)

    def lines(self) -> List[str]:
        timing = ", ".join(f"{step} {s:.2f} s" for step, s in self.seconds.items())
        return [
            f"read {self.src}: {self.source}",
            *(f"note: {note}" for note in self.notes),
            *(f"verify: {check.describe()}" for check in self.checks),
            f"wrote {self.dst}: {self.destination} ({timing})",
        ]


def _listing(items: List[str]) -> str:
    more = f" and {len(items) - LISTED} more" if len(items) > LISTED else ""
    return ", ".join(items[:LISTED]) + more


def _check_options(dst: Path, dst_fmt: str, preset: str, dtype: Optional[str], naming: str,
                   onnx_from: str) -> None:
    if preset != AUTO and preset not in PRESETS:
        raise ConversionError(None, f"unknown preset {preset!r}; choose auto or one of {', '.join(PRESETS)}")
    if dtype is not None and dtype not in TARGET_DTYPES:
        raise ConversionError(None, f"unknown dtype {dtype!r}; choose one of {', '.join(TARGET_DTYPES)}")
    if naming != AUTO and naming not in NAMINGS:
        raise ConversionError(None, f"unknown naming {naming!r}; choose auto or one of {', '.join(NAMINGS)}")
    if onnx_from != AUTO and onnx_from not in ONNX_EXPORTERS:
        raise ConversionError(None, f"unknown ONNX exporter {onnx_from!r}; choose auto or one of "
                                    f"{', '.join(ONNX_EXPORTERS)}")
    if dst_fmt == "onnx":
        if dtype not in (None, "float32"):
            raise ConversionError(dst, f"an ONNX export runs in float32; --dtype {dtype} applies to weight files")
        if naming != AUTO:
            raise ConversionError(dst, "--naming applies to .safetensors destinations; for ONNX use --onnx-from")
        return
    if onnx_from != AUTO:
        raise ConversionError(dst, "--onnx-from applies to .onnx destinations only")
    if naming != AUTO and naming not in FORMAT_NAMINGS[dst_fmt]:
        raise ConversionError(dst, f"a {dst.suffix} file holds {FORMAT_NAMINGS[dst_fmt][0]} naming; --naming "
                                   f"{naming} needs a .safetensors destination")


def _write(weights: Weights, dst_fmt: str, path: Path) -> None:
    if dst_fmt == "pth":
        from convert.torch_file import write_pth

        write_pth(weights.tensors, path)
    elif dst_fmt == "ckpt":
        from convert.mindspore_file import write_ckpt

        write_ckpt(weights.tensors, path)
    else:
        from convert.safetensors_file import write_safetensors

        write_safetensors(weights.tensors, path, weights.naming, weights.preset)


def _read_back(written: Weights, path: Path, dst: Path) -> Weights:
    """The file just written (at ``path``, to become ``dst``), which must hold exactly the tensors handed over."""
    import numpy as np

    try:
        back = load_weights(path, preset=written.preset, allow_nonfinite=True)
    except ConversionError as error:
        raise VerificationError(dst, f"the written file does not read back: {error}") from None
    differ = [k for k, v in written.tensors.items()
              if back.tensors[k].dtype != v.dtype or back.tensors[k].tobytes() != np.ascontiguousarray(v).tobytes()]
    if back.naming != written.naming or differ:
        raise VerificationError(dst, f"the written file does not read back bit for bit ({_listing(differ)})")
    return back


def _finish_verification(checks: List[Check], dst: Path) -> None:
    failed = failure(checks)
    if failed:
        raise VerificationError(dst, f"verification failed: {failed}; nothing written")


def _prepare(source: Weights, src: Optional[Path], dst_fmt: str, naming: str, dtype: Optional[str],
             notes: List[str]) -> Weights:
    """The weights to write: renamed for the destination and cast; appends notes on what changed."""
    target_naming = naming if naming != AUTO else (source.naming if dst_fmt == "safetensors"
                                                   else FORMAT_NAMINGS[dst_fmt][0])
    notes += framework_only_values(source, target_naming)
    renamed = rename(source, target_naming, src)
    result = Weights(cast_floating(renamed.tensors, dtype), renamed.naming, renamed.preset)
    overflowed = sorted(set(nonfinite_tensors(result.tensors)) - set(nonfinite_tensors(renamed.tensors)))
    if overflowed:
        raise ConversionError(src, f"casting to {dtype} turns {len(overflowed)} tensors non-finite (values beyond "
                                   f"its range): {_listing(overflowed)}")
    if dtype is not None and describe_dtypes(renamed.tensors) != describe_dtypes(result.tensors):
        notes.append(f"cast floating tensors from {describe_dtypes(renamed.tensors)} to {dtype}")
    return result


def save_weights(weights: Weights, dst: PathLike, *, dtype: Optional[str] = None, naming: str = AUTO,
                 force: bool = False) -> List[str]:
    """Write in-memory ``weights`` to a ``.pth`` / ``.pt``, ``.ckpt`` or ``.safetensors`` file, atomically.

    The same checks and renaming as ``convert``; returns the notes. ``ConversionError`` on any failure.
    """
    dst = Path(dst)
    dst_fmt = file_format(dst, "destination")
    if dst_fmt == "onnx":
        raise ConversionError(dst, "weights are exported to ONNX from a file: use convert(src, dst)")
    _check_options(dst, dst_fmt, AUTO, dtype, naming, AUTO)
    check_destination(dst, force)
    if weights.naming not in NAMINGS or weights.preset not in PRESETS:
        raise ConversionError(dst, f"weights name an unknown naming {weights.naming!r} or preset {weights.preset!r}")
    try:
        check_keys(weights.tensors, layout_keys(architecture(weights.preset), weights.naming),
                   f"{weights.naming} weights for preset {weights.preset!r}")
    except KeyMismatchError as error:
        raise ConversionError(dst, str(error)) from None
    notes: List[str] = []
    result = _prepare(weights, None, dst_fmt, naming, dtype, notes)
    with atomic_output(dst, force) as tmp:
        _write(result, dst_fmt, tmp)
    return notes


def convert(src: PathLike, dst: PathLike, *, preset: str = AUTO, dtype: Optional[str] = None, naming: str = AUTO,
            onnx_from: str = AUTO, verify: bool = False, force: bool = False,
            allow_nonfinite: bool = False) -> Report:
    """Convert the weights file ``src`` into ``dst``, the formats given by the extensions.

    ``preset``: "auto" (detected from the keys and metadata) or a preset the source must hold; weights are never
    moved across presets. ``dtype``: cast floating tensors ("float32", "float16", "bfloat16"); None keeps them.
    ``naming``: torch or mindspore keys in a ``.safetensors`` destination ("auto": the source's). ``onnx_from``:
    which implementation exports an ``.onnx`` destination ("auto": the source's framework). ``verify``: check every
    written tensor bit for bit against the source (cast by torch when ``dtype`` is given), then run source and result
    on a seeded input, before the destination is kept (``convert.equivalence``). ``force``: replace an existing ``dst``.
    ``allow_nonfinite``: convert tensors holding NaN or Inf instead of refusing them.

    Raises ``ConversionError`` (one line naming the file) and writes nothing on any failure.
    """
    src, dst = Path(src), Path(dst)
    file_format(src, "source")
    dst_fmt = file_format(dst, "destination")
    _check_options(dst, dst_fmt, preset, dtype, naming, onnx_from)
    check_distinct(src, dst)
    check_destination(dst, force)
    seconds: Dict[str, float] = {}

    start = time.perf_counter()
    source, notes = load(src, preset)
    seconds["read"] = time.perf_counter() - start
    refuse_diverged_copies(source.tensors, source.naming, source.preset, src)
    bad = nonfinite_tensors(source.tensors)
    if bad and not allow_nonfinite:
        raise ConversionError(src, f"{len(bad)} tensors hold NaN or Inf: {_listing(bad)}; refusing to convert them "
                                   f"(--allow-nonfinite converts them anyway)")
    if bad:
        notes.append(f"converting {len(bad)} tensors that hold NaN or Inf: {_listing(bad)}")

    if dst_fmt == "onnx":
        return _convert_to_onnx(src, dst, source, notes, seconds, onnx_from, verify, force)

    start = time.perf_counter()
    result = _prepare(source, src, dst_fmt, naming, dtype, notes)
    seconds["convert"] = time.perf_counter() - start

    checks: List[Check] = []
    with atomic_output(dst, force) as tmp:
        start = time.perf_counter()
        _write(result, dst_fmt, tmp)
        seconds["write"] = time.perf_counter() - start
        if verify:
            from convert.equivalence import verify_weights

            start = time.perf_counter()
            checks = verify_weights(source, _read_back(result, tmp, dst), dtype)
            seconds["verify"] = time.perf_counter() - start
            _finish_verification(checks, dst)
    return Report(src, dst, source.describe(), result.describe(), notes, checks, seconds)


def _convert_to_onnx(src: Path, dst: Path, source: Weights, notes: List[str], seconds: Dict[str, float],
                     onnx_from: str, verify: bool, force: bool) -> Report:
    from convert.onnx_file import export_onnx
    from convert.safetensors_file import kit_version

    exporter = onnx_from if onnx_from != AUTO else source.naming
    start = time.perf_counter()
    renamed = rename(source, "torch" if exporter == "torch" else "mindspore", src)
    narrow = sorted({str(v.dtype) for v in source.tensors.values() if is_floating(v) and str(v.dtype) != "float32"})
    if narrow:
        notes.append(f"the ONNX graph runs in float32; weights cast from {', '.join(narrow)}")
    tensors = cast_floating(renamed.tensors, "float32")
    checks: List[Check] = []
    with atomic_output(dst, force) as tmp:
        metadata = export_onnx(tensors, source.preset, exporter, tmp, kit_version())
        seconds["export"] = time.perf_counter() - start
        if verify:
            from convert.equivalence import verify_onnx

            start = time.perf_counter()
            checks = verify_onnx(source, tmp, exporter)
            seconds["verify"] = time.perf_counter() - start
            _finish_verification(checks, dst)
    destination = (f"ONNX opset {metadata['jcrnet.opset']} exported by {metadata['jcrnet.exporter']}, preset "
                   f"{source.preset!r}, input {metadata['jcrnet.input']}, outputs {metadata['jcrnet.outputs']}")
    return Report(src, dst, source.describe(), destination, notes, checks, seconds)
