"""Measure what the conversion bars in ``jcrnet_kit/parity/tolerances.py`` are sized by (``NARROWED_WEIGHTS``,
``CONVERTED_WEIGHTS``, ``ONNX_EXPORT``), so the figures in their reasons and in docs/CONVERSION.md can be reproduced.

    python tools/measure_conversion_bars.py casts    # correct and buggy casts: output error / (eps x max |output|)
    python tools/measure_conversion_bars.py onnx     # both exporters vs both frameworks, several sizes and weights

Weight sets: seeded weights 0-4 of both presets and the shipped weights; casts by torch's ``Tensor.to``; inputs seeded
as ``convert --verify`` seeds them. Each line is one weight set; the last line the worst case.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

import torch  # before MindSpore

import ml_dtypes
import numpy as np

from convert import load_weights
from convert.dtypes import epsilon, from_torch, is_floating, to_torch
from convert.equivalence import model_runner, seeded_input
from convert.weights import Weights, rename
from jcrnet_kit.shipped import default_weights
from jcrnet_spec import PRESETS, architecture, seeded_weights

CAST_SHAPES = ((1, 3, 32, 48), (1, 3, 64, 96))
ONNX_SHAPES = ((1, 3, 16, 24), (1, 3, 32, 48), (1, 3, 40, 40), (1, 3, 64, 96), (1, 3, 128, 192))


def weight_sets(seeds: int) -> Iterator[Tuple[str, Weights]]:
    for preset in PRESETS:
        for seed in range(seeds):
            yield f"{preset} seed {seed}", Weights(seeded_weights(architecture(preset), seed), "torch", preset)
    yield "shipped (published)", load_weights(default_weights())


def torch_cast(weights: Weights, dtype: str) -> Weights:
    return Weights({k: from_torch(to_torch(v).to(getattr(torch, dtype))) if is_floating(v) else v
                    for k, v in weights.tensors.items()}, weights.naming, weights.preset)


def truncated(weights: Weights, dtype: str) -> Weights:
    return Weights({k: (v.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(ml_dtypes.bfloat16)
                    if is_floating(v) else v for k, v in weights.tensors.items()}, weights.naming, weights.preset)


def scaled(weights: Weights, dtype: str) -> Weights:
    cast = torch_cast(weights, dtype)
    return Weights({k: (v.astype(np.float32) * np.float32(1.01)).astype(v.dtype) if is_floating(v) else v
                    for k, v in cast.tensors.items()}, cast.naming, cast.preset)


CASTS: Dict[str, Tuple[str, Callable[[Weights, str], Weights]]] = {
    "float16": ("float16", torch_cast), "bfloat16": ("bfloat16", torch_cast),
    "bfloat16 truncated": ("bfloat16", truncated), "float16 x1.01": ("float16", scaled),
    "bfloat16 x1.01": ("bfloat16", scaled),
}


def casts() -> None:
    worst: Dict[str, Tuple[float, str]] = {}
    for name, weights in weight_sets(5):
        reference = model_runner(weights)
        cells: List[str] = []
        for label, (dtype, cast) in CASTS.items():
            if label not in ("float16", "bfloat16") and not name.startswith(("shipped", "published seed 0",
                                                                                "torch-defaults seed 0")):
                continue
            run = model_runner(cast(weights, dtype))
            share, error = 0.0, 0.0
            for shape in CAST_SHAPES:
                x = seeded_input(shape)
                for expected, actual in zip(reference(x), run(x)):
                    diff = float(np.abs(expected.astype(np.float64) - actual).max())
                    error = max(error, diff)
                    share = max(share, diff / (epsilon(dtype) * float(np.abs(expected).max())))
            cells.append(f"{label} {error:.2e} = {share:.3f} eps x scale")
            worst[label] = max(worst.get(label, (0.0, "")), (share, name))
        print(f"{name}: " + "; ".join(cells), flush=True)
    print("worst: " + "; ".join(f"{label} {share:.3f} ({name})" for label, (share, name) in worst.items()))


def onnx() -> None:
    import onnxruntime as ort

    from convert.onnx_file import export_onnx

    worst: Dict[Tuple[str, str], Tuple[float, str]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name, weights in weight_sets(3):
            runners = {fw: model_runner(rename(weights, fw)) for fw in ("torch", "mindspore")}
            cells = []
            for exporter in ("torch", "mindspore"):
                path = Path(scratch) / f"{exporter}.onnx"
                export_onnx(rename(weights, exporter).tensors, weights.preset, exporter, path, "measure")
                session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
                shapes = ONNX_SHAPES + (((2, 3, 32, 48),) if exporter == "torch" else ())
                for source, run in runners.items():
                    diff = 0.0
                    for shape in shapes:
                        x = seeded_input(shape)
                        diff = max(diff, max(float(np.abs(e.astype(np.float64) - a).max())
                                             for e, a in zip(run(x), session.run(None, {"image": x}))))
                    cells.append(f"{exporter} export vs {source} {diff:.2e}")
                    worst[(exporter, source)] = max(worst.get((exporter, source), (0.0, "")), (diff, name))
            print(f"{name}: " + "; ".join(cells), flush=True)
    print("worst: " + "; ".join(f"{e} export vs {s} {d:.2e} ({n})" for (e, s), (d, n) in worst.items()))


if __name__ == "__main__":
    {"casts": casts, "onnx": onnx}[sys.argv[1] if len(sys.argv) > 1 else "casts"]()
