"""``--verify``: run the source weights and the converted file on one seeded input and compare every output.

The source runs in its own framework (torch naming: the torch reference; MindSpore naming: the MindSpore
implementation), the converted file, read back from disk, in the framework of its naming, or in onnxruntime. Both
models run in float32. When ``--dtype`` narrows the weights, the reference is the source rounded to that dtype: the
rounding is what was asked for, the check is that nothing else changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from convert.dtypes import cast_floating
from convert.weights import Weights
from jcrnet_kit.parity.tolerances import CONVERTED_WEIGHTS, ONNX_EXPORT, AbsoluteBound
from jcrnet_spec import OUTPUTS

WEIGHTS_SHAPES: Tuple[Tuple[int, int, int, int], ...] = ((1, 3, 32, 48),)
ONNX_SHAPES: Tuple[Tuple[int, int, int, int], ...] = ((1, 3, 32, 48), (1, 3, 40, 40))
INPUT_SEED = 1


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
        return (f"{self.candidate} vs {self.reference}, input {size}, {self.output}: max |diff| {self.max_abs:.3e} "
                f"(budget {self.bound.atol:.0e}) {verdict}")


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


def _label(weights: Weights, what: str) -> str:
    return f"{what} ({'torch' if weights.naming == 'torch' else 'MindSpore'})"


def _compare(reference: str, candidate: str, expected, actual, bound: AbsoluteBound, shape) -> List[OutputCheck]:
    return [OutputCheck(reference, candidate, tuple(shape), name,
                        float(np.max(np.abs(np.asarray(e, np.float64) - a))), bound)
            for name, e, a in zip(OUTPUTS, expected, actual)]


def verify_weights(source: Weights, converted: Weights, dtype: Optional[str] = None,
                   shapes: Optional[Sequence[Tuple[int, ...]]] = None) -> List[OutputCheck]:
    """Source weights (rounded to ``dtype`` if given) vs the converted weights read back from the destination."""
    expected = model_runner(Weights(cast_floating(source.tensors, dtype), source.naming, source.preset))
    actual = model_runner(converted)
    checks = []
    for shape in shapes or WEIGHTS_SHAPES:
        x = seeded_input(shape)
        checks += _compare(_label(source, "source"), _label(converted, "converted"), expected(x), actual(x),
                           CONVERTED_WEIGHTS, shape)
    return checks


def verify_onnx(source: Weights, onnx_path: Path, exporter: str,
                shapes: Optional[Sequence[Tuple[int, ...]]] = None) -> List[OutputCheck]:
    """Source weights in their own framework vs the ONNX export run in onnxruntime, at every shape."""
    expected, actual = model_runner(source), onnx_runner(onnx_path)
    checks = []
    for shape in shapes or ONNX_SHAPES:
        x = seeded_input(shape)
        checks += _compare(_label(source, "source"), f"ONNX from {exporter} (onnxruntime)", expected(x), actual(x),
                           ONNX_EXPORT, shape)
    return checks
