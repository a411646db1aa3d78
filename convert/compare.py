"""Two weight files compared tensor by tensor through the spec: the library behind ``jcrnet compare A B``.

Each file is read in any supported format (``.pth`` / ``.pt``, ``.ckpt`` - the published layout included -,
``.safetensors`` in either naming) and matched with its closest spec layout, without requiring an exact one: a file
with missing or extra tensors, or of the other preset, is compared as far as it goes and what does not match is
listed by name. Tensors are then paired by the spec's parameter table (``jcrnet_spec.param_table``), never by
guessing from names: BatchNorm ``weight/bias/running_*`` <-> ``gamma/beta/moving_*``, PReLU ``weight`` <-> ``w``, a
shared layer's torch copies <-> its one MindSpore key (copies that differ inside one file are reported). Values that
one naming has no key for (torch's ``num_batches_tracked``, MindSpore's InstanceNorm moving statistics) are compared
where both files hold them and otherwise listed as not comparable; no output reads them.

Values are compared widened to float64: max and mean |diff|, cosine, and the fraction of values within ``atol``; a NaN
matches a NaN at the same place. Files match when every paired tensor has the same shape and all its values within
``atol`` (default ``tolerances.COMPARE_WEIGHTS``, 0: bit-identical after widening) and nothing is missing, unexpected
or of another preset. A dtype difference alone is reported, not counted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from convert.dtypes import describe_dtypes, unsupported_dtypes
from convert.errors import ConversionError
from convert.weights import FORMAT_NAMINGS, PathLike, file_format
from jcrnet_kit.parity.tolerances import COMPARE_WEIGHTS
from jcrnet_spec import NAMINGS, PRESETS, architecture, layout_keys, match_layouts, param_table
from jcrnet_spec.layers import MINDSPORE_ONLY_STAT, TORCH_ONLY_COUNTER

LISTED = 5
SHOWN = 20  # differing tensors printed without --all
NAMING_ONLY = {TORCH_ONLY_COUNTER: "num_batches_tracked", MINDSPORE_ONLY_STAT: "InstanceNorm moving statistics"}


@dataclass(frozen=True)
class Side:
    """One file as read: its closest layout and how it departs from it."""

    path: str
    naming: str
    preset: str
    tensors: int
    dtypes: str
    missing: Tuple[str, ...]  # keys of the layout the file lacks
    unexpected: Tuple[str, ...]  # the file's keys the layout does not have
    misshaped: Tuple[str, ...]  # "key expected (..) found (..)"
    diverged: Tuple[str, ...]  # shared parameters whose copies differ inside the file

    def describe(self) -> str:
        exact = "" if not (self.missing or self.unexpected or self.misshaped) else " (closest layout)"
        return (f"{self.path}: {self.naming} naming, preset {self.preset!r}{exact}, {self.tensors} tensors, "
                f"{self.dtypes}")


@dataclass(frozen=True)
class Row:
    """One parameter held by both files."""

    name: str  # A's key, then B's where B's naming differs
    shape_a: Tuple[int, ...]
    shape_b: Tuple[int, ...]
    dtype_a: str
    dtype_b: str
    max_abs: float  # nan where a NaN meets a number; nan for different shapes
    mean_abs: float
    cosine: float  # over the values finite in both
    close: float  # fraction of values within atol (a NaN matches a NaN); 0 for different shapes

    @property
    def equal(self) -> bool:
        return self.shape_a == self.shape_b and self.close == 1.0


@dataclass
class Comparison:
    a: Side
    b: Side
    atol: float
    rows: List[Row]
    only_a: List[str] = field(default_factory=list)  # parameters of A's preset that B's preset lacks
    only_b: List[str] = field(default_factory=list)
    not_comparable: List[str] = field(default_factory=list)  # values one naming has no key for

    @property
    def differing(self) -> List[Row]:
        """Rows beyond atol, worst first (NaN and shape mismatches first, then by max |diff|)."""
        worst = [r for r in self.rows if not r.equal]
        return sorted(worst, key=lambda r: (-(np.inf if np.isnan(r.max_abs) else r.max_abs), r.close))

    def problems(self) -> List[str]:
        """Everything that makes the files differ, one phrase each (empty: they match)."""
        out = []
        if self.a.preset != self.b.preset:
            out.append(f"presets differ: A {self.a.preset!r}, B {self.b.preset!r}")
        for label, side in (("A", self.a), ("B", self.b)):
            for what, keys in (("missing from", side.missing), ("unexpected in", side.unexpected),
                               ("wrong shape in", side.misshaped), ("shared copies differ in", side.diverged)):
                if keys:
                    out.append(f"{len(keys)} {what} {label} ({_listing(keys)})")
        for label, names in (("A", self.only_a), ("B", self.only_b)):
            if names:
                out.append(f"{len(names)} only in {label}'s preset ({_listing(names)})")
        if self.differing:
            out.append(f"{len(self.differing)} of {len(self.rows)} tensors differ beyond atol {self.atol:g} "
                       f"({_listing([r.name for r in self.differing])})")
        return out

    @property
    def matched(self) -> bool:
        return not self.problems()

    def as_dict(self) -> dict:
        """Plain JSON types; a NaN or infinite figure as the string "nan" / "inf"."""
        rows = [{k: str(v) if isinstance(v, float) and not np.isfinite(v) else v for k, v in asdict(r).items()}
                for r in self.rows]
        return {"a": asdict(self.a), "b": asdict(self.b), "atol": self.atol, "match": self.matched,
                "problems": self.problems(), "only_a": self.only_a, "only_b": self.only_b,
                "not_comparable": self.not_comparable, "tensors": rows}


def _listing(items) -> str:
    items = list(items)
    return ", ".join(items[:LISTED]) + (f" and {len(items) - LISTED} more" if len(items) > LISTED else "")


def _read(path: Path) -> Tuple[Dict[str, np.ndarray], Tuple[str, ...], Optional[str]]:
    """(arrays, namings the file may hold, declared preset) of any supported weights file."""
    from convert.gate import check_file_size

    fmt = file_format(path, "source")
    if not path.is_file():
        raise ConversionError(path, "does not exist" if not path.exists() else "is not a file")
    try:
        check_file_size(path)
        if fmt == "pth":
            from convert.torch_file import read_pth

            return read_pth(path)[0], FORMAT_NAMINGS[fmt], None
        if fmt == "ckpt":
            from convert.mindspore_file import read_ckpt

            return read_ckpt(path)[0], FORMAT_NAMINGS[fmt], None
        from convert.safetensors_file import declared_layout, read_safetensors

        tensors, metadata, _ = read_safetensors(path)
    except OSError as error:
        raise ConversionError(path, f"cannot be read: {error.strerror or error}") from None
    naming, preset = declared_layout(metadata, path)
    return tensors, (naming,) if naming else NAMINGS, preset


def _keys(entry, naming: str) -> Tuple[str, ...]:
    if naming == "torch":
        return entry.torch_keys
    return (entry.mindspore_key,) if entry.mindspore_key else ()


def _identity(entry) -> str:
    return entry.mindspore_key or entry.torch_keys[0]


def read_side(path: PathLike) -> Tuple[Side, Dict[str, Tuple[str, np.ndarray]], Dict[str, object]]:
    """(the file, its values by parameter identity as (key, array), the spec entries of its preset by identity)."""
    path = Path(path)
    tensors, namings, declared = _read(path)
    odd = unsupported_dtypes(tensors)
    if odd:
        raise ConversionError(path, f"holds {len(odd)} tensors of dtypes the converter does not handle: "
                                    f"{_listing(f'{k} ({d})' for k, d in odd.items())}")
    match = match_layouts(tensors, namings, (declared,) if declared else tuple(PRESETS))[0]
    if len(match.missing) == len(layout_keys(architecture(match.preset), match.naming)):
        raise ConversionError(path, f"holds no tensor of any JCRNet layout ({len(tensors)} tensors: "
                                    f"{_listing(tensors)}); is it a JCRNet weights file?")
    entries = {_identity(e): e for e in param_table(architecture(match.preset))}
    values, diverged = {}, []
    for identity, entry in entries.items():
        held = [k for k in _keys(entry, match.naming) if k in tensors]
        if held:
            values[identity] = (held[0], tensors[held[0]])
            if any(tensors[k].shape != tensors[held[0]].shape or not np.array_equal(tensors[k], tensors[held[0]],
                                                                                    equal_nan=True) for k in held[1:]):
                diverged.append(" = ".join(held))
    misshaped = tuple(f"{k} expected {e} found {f}" for k, e, f in match.mismatched)
    side = Side(str(path), match.naming, match.preset, len(tensors), describe_dtypes(tensors), match.missing,
                match.unexpected, misshaped, tuple(diverged))
    return side, values, entries


def _stats(a: np.ndarray, b: np.ndarray, atol: float) -> Tuple[float, float, float, float]:
    """(max |diff|, mean |diff|, cosine, fraction within atol) of two same-shaped arrays, in float64."""
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.size == 0:
        return 0.0, 0.0, 1.0, 1.0
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore"):
        delta = np.where(same, 0.0, np.abs(a - b))
    close = float(np.mean(same | (delta <= atol)))
    finite = np.isfinite(a) & np.isfinite(b)
    fa, fb = a[finite], b[finite]
    norm = float(np.linalg.norm(fa) * np.linalg.norm(fb))
    cosine = float(np.dot(fa, fb) / norm) if norm > 0 else float(np.array_equal(fa, fb))
    if np.isnan(delta).any():
        return float("nan"), float("nan"), cosine, close
    return float(delta.max()), float(delta.mean()), cosine, close


def _note_naming_only(entry, side: Side, value: Optional[Tuple[str, np.ndarray]], other: Side) -> str:
    what = NAMING_ONLY[entry.role]
    if value is not None and not np.all(np.asarray(value[1], np.float64) == entry.rule.fill):
        return f"{what}: {value[0]} in {side.path} is not {entry.rule.fill:g}; {other.path} has no key for it"
    return what


def compare_files(a: PathLike, b: PathLike, atol: Optional[float] = None) -> Comparison:
    """Compare two weights files through the spec; ``ConversionError`` (one line naming the file) for a file that is
    not readable JCRNet weights or a negative / NaN ``atol``."""
    atol = COMPARE_WEIGHTS.atol if atol is None else float(atol)
    if not atol >= 0:
        raise ConversionError(None, f"--atol {atol:g} must be a number >= 0")
    side_a, values_a, entries_a = read_side(a)
    side_b, values_b, entries_b = read_side(b)
    result = Comparison(side_a, side_b, atol, [])
    naming_only: Dict[str, int] = {}
    for identity in [*entries_a, *(i for i in entries_b if i not in entries_a)]:
        entry_a, entry_b = entries_a.get(identity), entries_b.get(identity)
        if entry_a is None or entry_b is None:
            (result.only_b if entry_a is None else result.only_a).append(identity)
            continue
        va, vb = values_a.get(identity), values_b.get(identity)
        held = (bool(_keys(entry_a, side_a.naming)), bool(_keys(entry_b, side_b.naming)))
        if not any(held):
            continue
        if not all(held):
            note = _note_naming_only(entry_a, *((side_a, va, side_b) if va is not None else (side_b, vb, side_a)))
            naming_only[note] = naming_only.get(note, 0) + 1
            continue
        if va is None or vb is None:
            continue  # listed among the missing keys of its file
        name = va[0] if va[0] == vb[0] else f"{va[0]} <-> {vb[0]}"
        shapes = (tuple(va[1].shape), tuple(vb[1].shape))
        stats = _stats(va[1], vb[1], atol) if shapes[0] == shapes[1] else (np.nan, np.nan, np.nan, 0.0)
        result.rows.append(Row(name, *shapes, str(va[1].dtype), str(vb[1].dtype), *stats))
    result.not_comparable = [f"{n} {note}" for note, n in naming_only.items()]
    return result


def lines(result: Comparison, every_row: bool = False) -> List[str]:
    """The report ``jcrnet compare`` prints: both files, the tensors that differ (every tensor with ``every_row``),
    what could not be compared, and the verdict."""
    out = [f"A: {result.a.describe()}", f"B: {result.b.describe()}"]
    out.append(f"compared {len(result.rows)} parameters through the spec")
    if result.not_comparable:
        out.append(f"not compared (held in one naming only; no output reads them): {', '.join(result.not_comparable)}")
    shown = result.rows if every_row else result.differing[:SHOWN]
    if shown:
        width = max(len(r.name) for r in shown)
        out.append(f"{'tensor':<{width}}  {'shape':<16} {'dtype A / B':<19} {'max |diff|':>11} {'mean |diff|':>11} "
                   f"{'cosine':>10} {'within atol':>11}")
        for r in shown:
            shape = "x".join(map(str, r.shape_a)) + ("" if r.shape_a == r.shape_b else
                                                      " vs " + "x".join(map(str, r.shape_b)))
            out.append(f"{r.name:<{width}}  {shape:<16} {r.dtype_a + ' / ' + r.dtype_b:<19} {r.max_abs:>11.3e} "
                       f"{r.mean_abs:>11.3e} {r.cosine:>10.7f} {r.close:>11.6f}")
        if len(shown) < len(result.differing):
            out.append(f"... and {len(result.differing) - len(shown)} more that differ (--all lists every tensor)")
    retyped = sum(r.dtype_a != r.dtype_b for r in result.rows)
    if retyped:
        out.append(f"note: {retyped} tensors differ in dtype; values are compared widened to float64")
    problems = result.problems()
    if problems:
        out.append(f"verdict: DIFFER: {'; '.join(problems)}")
    else:
        exact = "bit-identical after widening to float64" if result.atol == 0 else f"within atol {result.atol:g}"
        out.append(f"verdict: MATCH: all {len(result.rows)} parameters {exact}")
    return out
