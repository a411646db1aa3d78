"""Every spec layer's output inside the whole model (``jcrnet verify``'s table): torch fp32 vs MindSpore on one image,
each against torch fp64, differences accumulating from the input as a user sees them.

The torch side runs first (fp32, then fp64) and leaves, per layer, its fp32 output and its error against fp64 in an
``ArrayStore`` (a temporary folder, so memory holds one layer at a time whatever the image size, or a reference file);
the MindSpore side then compares each layer as it returns. Rows come in execution order (the order the layers'
outputs were produced in torch), so the first failing row is where the numbers first part.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from jcrnet_kit.parity.checks import FAIL, NOT_EXERCISED, OK
from jcrnet_kit.parity.compare import Diff, diff, max_only, nonfinite_count
from jcrnet_kit.parity.store import ArrayStore
from jcrnet_kit.parity.tolerances import Budget, in_model_budget
from jcrnet_spec import Architecture
from jcrnet_spec.dataflow import layers


def _flat(arrays: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a).ravel() for a in arrays])


@dataclass
class InModelReference:
    """The torch side of the in-model table: per layer (execution order) its output shapes, scale (max |fp64|), torch
    fp32's distance from fp64 and non-finite counts; the fp32 values (``<path>.t``) and fp32 - fp64 (``<path>.e``) live
    in ``store`` (with ``<path>.idx`` where a reference file kept a sample of the elements)."""

    order: List[str]
    shapes: Dict[str, Tuple[Tuple[int, ...], ...]]
    scales: Dict[str, float]
    torch_error: Dict[str, float]
    nonfinite: Dict[str, Tuple[int, int]]  # (torch fp32, torch fp64)
    store: ArrayStore = field(repr=False)

    def meta(self) -> dict:
        return {"order": self.order, "shapes": {p: [list(s) for s in v] for p, v in self.shapes.items()},
                "scales": self.scales, "torch_error": self.torch_error,
                "nonfinite": {p: list(v) for p, v in self.nonfinite.items()}}

    @classmethod
    def from_meta(cls, meta: dict, store: ArrayStore) -> InModelReference:
        return cls(list(meta["order"]), {p: tuple(tuple(s) for s in v) for p, v in meta["shapes"].items()},
                   dict(meta["scales"]), dict(meta["torch_error"]),
                   {p: tuple(v) for p, v in meta["nonfinite"].items()}, store)


def torch_in_model(arch: Architecture, state, x: np.ndarray, store: ArrayStore) -> InModelReference:
    """Run the torch model in fp32 then fp64 on ``x`` with every spec layer hooked; see ``InModelReference``."""
    import torch_reference
    from jcrnet_kit.parity.hooks import record_torch

    from jcrnet_kit.parity.gradients import checked

    model = torch_reference.build_jcrnet(arch, weights=checked(arch.preset.name, state)).eval()
    shapes: Dict[str, Tuple[Tuple[int, ...], ...]] = {}

    def keep_fp32(path, outputs):
        shapes[path] = tuple(tuple(o.shape) for o in outputs)
        store.put(f"{path}.t", _flat(outputs).astype(np.float32))

    order = record_torch(arch, model, x, keep_outputs=False, on_output=keep_fp32).completed
    scales: Dict[str, float] = {}
    torch_error: Dict[str, float] = {}
    nonfinite: Dict[str, Tuple[int, int]] = {}

    def against_fp64(path, outputs):
        exact = _flat(outputs)
        t = store.get(f"{path}.t").astype(np.float64)
        nonfinite[path] = (nonfinite_count(t), nonfinite_count(exact))
        with np.errstate(invalid="ignore", over="ignore"):
            error = t - exact
            store.put(f"{path}.e", error.astype(np.float32))
            finite = np.isfinite(exact)
            scales[path] = float(np.abs(exact[finite]).max(initial=0.0))
            torch_error[path] = float(np.abs(error[np.isfinite(error)]).max(initial=0.0))

    record_torch(arch, model.double(), x.astype(np.float64), keep_outputs=False, on_output=against_fp64)
    return InModelReference(order, shapes, scales, torch_error, nonfinite, store)


@dataclass(frozen=True)
class LayerRow:
    """One spec layer inside the whole model: MindSpore vs torch fp32 on the same image, and each framework's
    distance from the fp64 oracle."""

    path: str
    kind: str
    shapes: Tuple[Tuple[int, ...], ...]
    vs_torch: Diff
    torch_vs_oracle: float
    mindspore_vs_oracle: float
    scale: float
    budget: Budget
    nonfinite_torch: Tuple[int, int] = (0, 0)  # torch fp32, torch fp64
    never_ran: bool = False

    @property
    def failures(self) -> List[str]:
        if self.never_ran:
            return ["never ran in MindSpore (the layer's cell was not called: a forward named `forward`, or a dataflow "
                    "that skips it)"]
        fp32, fp64 = self.nonfinite_torch
        ms_vs_torch = Diff(self.vs_torch.shape, self.vs_torch.max_abs, self.vs_torch.mean_abs, self.vs_torch.rel,
                           self.vs_torch.cosine, fp32, self.vs_torch.nonfinite_actual)
        return self.budget.failures(ms_vs_torch, Diff((), self.torch_vs_oracle, 0, 0, 1, fp64, 0),
                                    max_only(self.mindspore_vs_oracle), self.scale)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def exercised(self) -> bool:
        return not (self.scale == 0 and self.vs_torch.max_abs == 0 and self.mindspore_vs_oracle == 0)

    @property
    def status(self) -> str:
        return FAIL if self.failures else (OK if self.exercised else NOT_EXERCISED)

    @property
    def nonfinite(self) -> bool:
        return bool(sum(self.nonfinite_torch) or self.vs_torch.nonfinite_actual)

    @property
    def margin(self) -> float:
        if self.never_ran or self.nonfinite:
            return float("inf")
        return self.budget.margin(self.vs_torch, max_only(self.torch_vs_oracle), max_only(self.mindspore_vs_oracle),
                                  self.scale)

    def as_dict(self) -> dict:
        shape = list(self.shapes[0]) if len(self.shapes) == 1 else [list(s) for s in self.shapes]
        return {"path": self.path, "kind": self.kind, "shape": shape, "max_abs": self.vs_torch.max_abs,
                "mean_abs": self.vs_torch.mean_abs, "rel": self.vs_torch.rel, "cosine": self.vs_torch.cosine,
                "torch_vs_fp64": self.torch_vs_oracle, "mindspore_vs_fp64": self.mindspore_vs_oracle,
                "scale": self.scale, "budget": self.budget.as_dict(), "status": self.status, "passed": self.passed,
                "margin": self.margin, "failures": self.failures}


def mindspore_in_model(arch: Architecture, ms_net, x: np.ndarray, ref: InModelReference) -> List[LayerRow]:
    """Run the MindSpore ``ms_net`` (PyNative, hooks) on ``x`` and compare every layer with the torch reference;
    rows in the reference's execution order, a layer MindSpore never called as a failing row."""
    from jcrnet_kit.parity.hooks import record_mindspore

    rows: Dict[str, LayerRow] = {}

    def against_torch(path, outputs):
        if path not in ref.shapes:
            return
        index: Optional[np.ndarray] = ref.store.get(f"{path}.idx") if ref.store.has(f"{path}.idx") else None
        ported = _flat(outputs).astype(np.float64)
        ported = ported if index is None else ported[index]
        t, e = ref.store.get(f"{path}.t").astype(np.float64), ref.store.get(f"{path}.e").astype(np.float64)
        node = arch.node(path)
        shapes = tuple(tuple(o.shape) for o in outputs)
        if shapes != ref.shapes[path]:
            raise ValueError(f"{path}: MindSpore output shapes {shapes}, torch {ref.shapes[path]}")
        with np.errstate(invalid="ignore", over="ignore"):
            vs_fp64 = np.abs(ported - t + e)
        rows[path] = LayerRow(path, node.kind, shapes, diff(t, ported), ref.torch_error[path],
                              float(vs_fp64[np.isfinite(vs_fp64)].max(initial=0.0)), ref.scales[path],
                              in_model_budget(node.kind), ref.nonfinite[path])

    record_mindspore(arch, ms_net, x, keep_outputs=False, on_output=against_torch)
    for path in ref.order:
        if path not in rows:
            node = arch.node(path)
            rows[path] = LayerRow(path, node.kind, ref.shapes[path], max_only(0.0), 0.0, 0.0, ref.scales[path],
                                  in_model_budget(node.kind), never_ran=True)
    return [rows[path] for path in ref.order]


def called_layers(arch: Architecture) -> List[str]:
    """Every layer the forward pass calls, in attribute order (the rows a full table has)."""
    return [path for path, _ in layers(arch)]
