"""Every spec layer's output inside the whole model (``jcrnet verify``'s table): torch fp32 vs MindSpore on one image,
each against torch fp64, differences accumulating from the input as a user sees them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np

from jcrnet_kit.parity.compare import Diff, diff
from jcrnet_kit.parity.tolerances import Budget
from jcrnet_spec import Architecture
from jcrnet_spec.dataflow import layers


@dataclass(frozen=True)
class LayerRow:
    """One spec layer inside the whole model: MindSpore vs torch fp32 on the same image, and each framework's
    distance from the fp64 oracle (differences accumulate from the input, as a user sees them)."""

    path: str
    kind: str
    shapes: Tuple[Tuple[int, ...], ...]
    vs_torch: Diff
    torch_vs_oracle: float
    mindspore_vs_oracle: float
    scale: float
    budget: Budget

    @property
    def failures(self) -> List[str]:
        return self.budget.failures(self.vs_torch, _max_only(self.torch_vs_oracle),
                                    _max_only(self.mindspore_vs_oracle), self.scale)

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict:
        shape = list(self.shapes[0]) if len(self.shapes) == 1 else [list(s) for s in self.shapes]
        return {"path": self.path, "kind": self.kind, "shape": shape, "max_abs": self.vs_torch.max_abs,
                "mean_abs": self.vs_torch.mean_abs, "rel": self.vs_torch.rel, "cosine": self.vs_torch.cosine,
                "torch_vs_fp64": self.torch_vs_oracle, "mindspore_vs_fp64": self.mindspore_vs_oracle,
                "scale": self.scale, "budget": self.budget.as_dict(), "passed": self.passed,
                "failures": self.failures}


def _max_only(value: float) -> Diff:
    return Diff((), value, value, 0.0, 1.0)


def _flat(arrays: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a).ravel() for a in arrays])


def compare_in_model(arch: Architecture, state: Mapping[str, np.ndarray], ms_net, x: np.ndarray) -> List[LayerRow]:
    """Every called spec layer's output inside the whole model, torch fp32 vs MindSpore (PyNative, hooks), and each
    against torch fp64. Keeps two float32 copies of all layer outputs at most (torch's, and torch's distance from
    fp64), so memory is about 2 x 4 bytes x the model's activations."""
    import torch_reference
    from jcrnet_kit.parity.hooks import record_mindspore, record_torch
    from jcrnet_kit.parity.tolerances import in_model_budget

    model = torch_reference.build_jcrnet(arch, weights=state).eval()
    reference = record_torch(arch, model, x).records
    oracle_error: Dict[str, np.ndarray] = {}
    scales: Dict[str, float] = {}

    def against_oracle(path, outputs):
        exact = _flat(outputs)
        oracle_error[path] = (_flat(reference[path]["outputs"]).astype(np.float64) - exact).astype(np.float32)
        scales[path] = float(np.abs(exact).max(initial=0.0))

    record_torch(arch, model.double(), x.astype(np.float64), keep_outputs=False, on_output=against_oracle)
    del model
    rows: Dict[str, LayerRow] = {}

    def against_torch(path, outputs):
        ported = _flat(outputs).astype(np.float64)
        ref = reference.pop(path)["outputs"]
        torch_flat = _flat(ref)
        error = oracle_error.pop(path)
        node = arch.node(path)
        rows[path] = LayerRow(path, node.kind, tuple(tuple(o.shape) for o in outputs), diff(torch_flat, ported),
                              float(np.abs(error).max(initial=0.0)),
                              float(np.abs(ported - torch_flat + error).max(initial=0.0)), scales[path],
                              in_model_budget(node.kind))

    record_mindspore(arch, ms_net, x, keep_outputs=False, on_output=against_torch)
    missing = [path for path, _ in layers(arch) if path not in rows]
    if missing:
        raise RuntimeError(f"MindSpore never called {', '.join(missing)}")
    return [rows[path] for path, _ in layers(arch)]
