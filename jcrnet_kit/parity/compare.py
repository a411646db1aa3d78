"""Compare two arrays the way the kit reports parity: structure first, then max/mean |diff|, relative error, cosine."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Diff:
    shape: tuple
    max_abs: float
    mean_abs: float
    rel: float  # max |a - b| / max(|a|, tiny)
    cosine: float

    def as_dict(self) -> dict:
        return {**asdict(self), "shape": list(self.shape)}


def diff(expected, actual) -> Diff:
    """Differences of ``actual`` against ``expected``; raises ``ValueError`` if shapes differ."""
    a = np.asarray(expected, dtype=np.float64)
    b = np.asarray(actual, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: expected {a.shape}, found {b.shape}")
    delta = np.abs(a - b)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    cosine = float(np.dot(a.ravel(), b.ravel()) / norm) if norm > 0 else float(np.array_equal(a, b))
    return Diff(a.shape, float(delta.max(initial=0.0)), float(delta.mean()) if delta.size else 0.0,
                float(delta.max(initial=0.0) / max(np.abs(a).max(initial=0.0), 1e-30)), cosine)
