"""``--verify``: the converted file, read back from disk, checked tensor by tensor and then by running it.

**Tensors.** Every tensor of the converted file is compared, bit for bit, with what it must hold: the source's tensor
moved through the spec's table (``jcrnet_spec.param_table``: shared copies, torch-only counters, MindSpore-only
statistics) and cast independently, by torch's ``Tensor.to`` - never by ``cast_floating``, which wrote the file. A
NaN matches any NaN (torch writes one canonical NaN). Without ``--dtype`` that is the source's own bits.

**Outputs.** The float32 source model, in its own framework, against the converted model, in the framework of its
naming (or onnxruntime), on a seeded input; the source is never rounded to build the reference. Budgets, from
``jcrnet_kit.parity.tolerances``: no value changed, one framework: ``SAME_FRAMEWORK_CONVERSION`` (bit-exact); no
value changed, two frameworks: ``CONVERTED_WEIGHTS``; a cast that changed values: ``NARROWED_WEIGHTS`` x eps(dtype)
x max |source output| (plus ``CONVERTED_WEIGHTS`` across frameworks), what a correct cast measured to cost.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from convert.dtypes import epsilon, from_torch, is_floating, to_torch
from convert.weights import Weights
from jcrnet_kit.parity.tolerances import (
    CONVERTED_WEIGHTS, NARROWED_WEIGHTS, ONNX_EXPORT, SAME_FRAMEWORK_CONVERSION, AbsoluteBound,
)
from jcrnet_spec import OUTPUTS, architecture, param_table
from jcrnet_spec.layers import TORCH_ONLY_COUNTER

WEIGHTS_SHAPES: Tuple[Tuple[int, int, int, int], ...] = ((1, 3, 32, 48),)
ONNX_SHAPES: Tuple[Tuple[int, int, int, int], ...] = ((1, 3, 32, 48), (1, 3, 40, 40))
INPUT_SEED = 1
LISTED = 5


@dataclass(frozen=True)
class OutputCheck:
    """One output of one comparison, against its bound (``jcrnet_kit.parity.tolerances``)."""

    reference: str
    candidate: str
    shape: Tuple[int, ...]
    output: str
    max_abs: float
    bound: AbsoluteBound

    @property
    def passed(self) -> bool:
        return self.bound.holds(self.max_abs)

    def describe(self) -> str:
        size = "x".join(map(str, self.shape))
        verdict = "ok" if self.passed else "FAIL"
        budget = "0, bit-exact" if self.bound.atol == 0 else f"{self.bound.atol:.2e}"
        return (f"{self.candidate} vs {self.reference}, input {size}, {self.output}: max |diff| {self.max_abs:.3e} "
                f"(budget {budget}) {verdict}")


@dataclass(frozen=True)
class WrongTensor:
    key: str
    wrong: int  # values whose bits differ (all of them for a wrong dtype or shape)
    size: int
    max_abs: float  # largest |converted - expected| (nan where a NaN meets a number)
    note: str = ""


@dataclass(frozen=True)
class TensorCheck:
    """Every tensor of the converted file against the source mapped through the spec and cast by torch."""

    reference: str
    tensors: int
    values: int
    wrong: Tuple[WrongTensor, ...]  # most wrong values first

    @property
    def passed(self) -> bool:
        return not self.wrong

    @property
    def max_abs(self) -> float:
        return max((w.max_abs for w in self.wrong), default=0.0)

    def describe(self) -> str:
        if self.passed:
            return f"tensors vs {self.reference}: {self.tensors} tensors, {self.values:,} values bit-identical ok"
        listed = ", ".join(f"{w.key} ({w.note or f'{w.wrong:,} of {w.size:,} values'})" for w in self.wrong[:LISTED])
        more = f" and {len(self.wrong) - LISTED} more" if len(self.wrong) > LISTED else ""
        return (f"tensors vs {self.reference}: {len(self.wrong)} of {self.tensors} tensors differ: {listed}{more}; "
                f"max |diff| {self.max_abs:.3e} FAIL")


Check = Union[TensorCheck, OutputCheck]


def seeded_input(shape: Sequence[int], seed: int = INPUT_SEED) -> np.ndarray:
    return np.random.default_rng(seed).random(tuple(shape), dtype=np.float32)


def model_runner(weights: Weights) -> Callable[[np.ndarray], Tuple[np.ndarray, ...]]:
    """x -> outputs of the implementation of ``weights.naming`` holding ``weights`` (cast to float32), eval mode."""
    import torch

    if weights.naming == "torch":
        import torch_reference

        model = torch_reference.build_jcrnet(weights=weights).eval()

        def run_torch(x: np.ndarray) -> Tuple[np.ndarray, ...]:
            with torch.no_grad():
                return tuple(t.numpy() for t in model(torch.from_numpy(x)))

        return run_torch
    import mindspore as ms
    import mindspore_impl

    net = mindspore_impl.build_jcrnet(weights=weights)
    net.set_train(False)
    return lambda x: tuple(t.asnumpy() for t in net(ms.Tensor(x)))


def onnx_runner(path: Path) -> Callable[[np.ndarray], Tuple[np.ndarray, ...]]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    if names != list(OUTPUTS):
        raise ValueError(f"{path}: ONNX outputs are {names}, expected {list(OUTPUTS)}")
    input_name = session.get_inputs()[0].name
    return lambda x: tuple(session.run(None, {input_name: x}))


def torch_cast(value: np.ndarray, dtype: Optional[str]) -> np.ndarray:
    """``value`` cast by torch's ``Tensor.to`` (the independent cast); integer tensors and ``None`` unchanged."""
    import torch

    if dtype is None or not is_floating(value):
        return value
    return from_torch(to_torch(value).to(getattr(torch, dtype)))


def _keys(entry, naming: str) -> Tuple[str, ...]:
    if naming == "torch":
        return entry.torch_keys
    return (entry.mindspore_key,) if entry.mindspore_key else ()


def expected_tensors(source: Weights, naming: str, dtype: Optional[str]) -> Tuple[Dict[str, np.ndarray], bool]:
    """(what a conversion of ``source`` to ``naming`` and ``dtype`` must hold, key for key; whether the cast changes any
    value). Names move by the spec's table; a value the source's naming has no key for is the spec's fill, in the
    dtype of its layer's other tensors (an int64 counter for torch's ``num_batches_tracked``)."""
    expected: Dict[str, np.ndarray] = {}
    layer_dtype: Dict[str, np.dtype] = {}
    changed = False
    for entry in param_table(architecture(source.preset)):
        targets, held = _keys(entry, naming), _keys(entry, source.naming)
        if held:
            layer_dtype.setdefault(entry.layer, source.tensors[held[0]].dtype)
        if not targets:
            continue
        if not held:
            dtype_of_fill = np.int64 if entry.role == TORCH_ONLY_COUNTER else layer_dtype.get(entry.layer, np.float32)
            values = [np.full(entry.shape, entry.rule.fill, dtype=dtype_of_fill)] * len(targets)
        elif naming == source.naming:
            values = [source.tensors[key] for key in held]
        else:
            values = [source.tensors[held[0]]] * len(targets)
        for key, value in zip(targets, values):
            expected[key] = torch_cast(value, dtype)
            changed = changed or (held and not _same_values(value, expected[key]))
    return expected, bool(changed)


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.array_equal(np.asarray(a, np.float64), np.asarray(b, np.float64), equal_nan=True))


def _wrong(key: str, expected: np.ndarray, actual: np.ndarray) -> Optional[WrongTensor]:
    if actual.dtype != expected.dtype or actual.shape != expected.shape:
        note = f"{actual.dtype} {tuple(actual.shape)}, expected {expected.dtype} {tuple(expected.shape)}"
        return WrongTensor(key, expected.size, expected.size, float("inf"), note)
    raw = np.dtype(f"u{expected.dtype.itemsize}")
    expected, actual = np.ascontiguousarray(expected).reshape(-1), np.ascontiguousarray(actual).reshape(-1)
    differ = expected.view(raw) != actual.view(raw)
    if is_floating(expected):
        differ &= ~(np.isnan(expected.astype(np.float64)) & np.isnan(actual.astype(np.float64)))
    if not differ.any():
        return None
    with np.errstate(invalid="ignore"):
        delta = np.abs(expected[differ].astype(np.float64) - actual[differ].astype(np.float64))
    return WrongTensor(key, int(differ.sum()), expected.size, float(np.nan if np.isnan(delta).any() else delta.max()))


def check_tensors(source: Weights, converted: Weights, dtype: Optional[str]) -> Tuple[TensorCheck, bool]:
    """(the converted tensors against the source mapped by the spec and cast by torch; whether the cast changes any
    value of the source)."""
    import torch  # noqa: F401  (before MindSpore, wherever this runs)

    expected, changed = expected_tensors(source, converted.naming, dtype)
    wrong = [w for key, value in expected.items() if (w := _wrong(key, value, converted.tensors[key])) is not None]
    wrong.sort(key=lambda w: -w.wrong)
    reference = f"the source cast by torch (Tensor.to(torch.{dtype}))" if dtype else "the source"
    return TensorCheck(reference, len(expected), sum(v.size for v in expected.values()), tuple(wrong)), changed


def _label(weights: Weights, what: str) -> str:
    return f"{what} ({'torch' if weights.naming == 'torch' else 'MindSpore'})"


def _compare(reference: str, candidate: str, expected, actual, bound: Callable[[np.ndarray], AbsoluteBound],
             shape) -> List[OutputCheck]:
    return [OutputCheck(reference, candidate, tuple(shape), name,
                        float(np.max(np.abs(np.asarray(e, np.float64) - a))), bound(np.asarray(e, np.float64)))
            for name, e, a in zip(OUTPUTS, expected, actual)]


def output_bound(changed: bool, cross_framework: bool, dtype: Optional[str]) -> Callable[[np.ndarray], AbsoluteBound]:
    """reference output -> the budget of the converted model's output (module docstring)."""
    base = CONVERTED_WEIGHTS if cross_framework else SAME_FRAMEWORK_CONVERSION
    if not changed:
        return lambda reference: base
    eps, k = epsilon(dtype), NARROWED_WEIGHTS.value

    def narrowed(reference: np.ndarray) -> AbsoluteBound:
        scale = float(np.max(np.abs(reference), initial=0.0))
        return AbsoluteBound(k * eps * scale + base.atol,
                             f"{k:g} x eps({dtype}) {eps:.3g} x max |source output| {scale:.3g} + {base.atol:g}")

    return narrowed


def verify_weights(source: Weights, converted: Weights, dtype: Optional[str] = None,
                   shapes: Optional[Sequence[Tuple[int, ...]]] = None) -> List[Check]:
    """The converted weights read back from the destination against the source: tensors first, then outputs."""
    tensors, changed = check_tensors(source, converted, dtype)
    bound = output_bound(changed, converted.naming != source.naming, dtype)
    expected, actual = model_runner(source), model_runner(converted)
    checks: List[Check] = [tensors]
    for shape in shapes or WEIGHTS_SHAPES:
        x = seeded_input(shape)
        checks += _compare(_label(source, "source"), _label(converted, "converted"), expected(x), actual(x),
                           bound, shape)
    return checks


def verify_onnx(source: Weights, onnx_path: Path, exporter: str,
                shapes: Optional[Sequence[Tuple[int, ...]]] = None) -> List[Check]:
    """Source weights in their own framework vs the ONNX export run in onnxruntime, at every shape."""
    expected, actual = model_runner(source), onnx_runner(onnx_path)
    checks: List[Check] = []
    for shape in shapes or ONNX_SHAPES:
        x = seeded_input(shape)
        checks += _compare(_label(source, "source"), f"ONNX from {exporter} (onnxruntime)", expected(x), actual(x),
                           lambda reference: ONNX_EXPORT, shape)
    return checks


def failure(checks: Sequence[Check]) -> Optional[str]:
    """One line on what failed (the tensors, naming them, then the worst output), or None when every check passed."""
    failed = [c for c in checks if not c.passed]
    if not failed:
        return None
    parts = [c.describe() for c in failed if isinstance(c, TensorCheck)]
    outputs = [c for c in failed if isinstance(c, OutputCheck)]
    if outputs:
        worst = max(outputs, key=lambda c: c.max_abs if np.isfinite(c.max_abs) else np.inf)
        total = sum(isinstance(c, OutputCheck) for c in checks)
        parts.append(f"{len(outputs)} of {total} outputs over budget (worst: {worst.describe()})")
    return "; ".join(parts)
