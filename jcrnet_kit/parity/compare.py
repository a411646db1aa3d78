"""Compare two arrays the way the kit reports parity: structure first, then max/mean |diff|, relative error, cosine,
and how many values are not finite (a NaN or an infinity is a failure wherever it appears, never "ok")."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Diff:
    shape: tuple
    max_abs: float  # inf when either side holds a non-finite value
    mean_abs: float
    rel: float  # max |a - b| / max(|a|, tiny)
    cosine: float
    nonfinite_expected: int = 0
    nonfinite_actual: int = 0

    @property
    def finite(self) -> bool:
        return not (self.nonfinite_expected or self.nonfinite_actual)

    def as_dict(self) -> dict:
        return {**asdict(self), "shape": list(self.shape)}


def nonfinite_count(array) -> int:
    a = np.asarray(array)
    return int(a.size - np.count_nonzero(np.isfinite(a))) if a.dtype.kind in "fc" else 0


def diff(expected, actual) -> Diff:
    """Differences of ``actual`` against ``expected``; raises ``ValueError`` if shapes differ. Non-finite values are
    counted on each side and make ``max_abs`` infinite, so no bar can pass them."""
    a = np.asarray(expected, dtype=np.float64)
    b = np.asarray(actual, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: expected {a.shape}, found {b.shape}")
    bad_a, bad_b = nonfinite_count(a), nonfinite_count(b)
    if bad_a or bad_b:
        return Diff(a.shape, float("inf"), float("inf"), float("inf"), float("nan"), bad_a, bad_b)
    delta = np.abs(a - b)
    norm = np.linalg.norm(a) * np.linalg.norm(b)
    cosine = float(np.dot(a.ravel(), b.ravel()) / norm) if norm > 0 else float(np.array_equal(a, b))
    return Diff(a.shape, float(delta.max(initial=0.0)), float(delta.mean()) if delta.size else 0.0,
                float(delta.max(initial=0.0) / max(np.abs(a).max(initial=0.0), 1e-30)), cosine)


def max_only(value: float) -> Diff:
    """A ``Diff`` that knows only its max |difference| (for figures reduced before comparison)."""
    return Diff((), value, value, 0.0, 1.0, 0, 0 if np.isfinite(value) else 1)


def with_sensitivity(torch_vs_oracle: Diff, sensitivity: float) -> Diff:
    """torch's distance from fp64 widened to the fp64 result's kink sensitivity (``jcrnet_kit.parity.kinks``), where
    that is larger: the fp32 uncertainty a result behind a ReLU kink carries in any framework."""
    if sensitivity <= torch_vs_oracle.max_abs or not torch_vs_oracle.finite:
        return torch_vs_oracle
    return Diff(torch_vs_oracle.shape, sensitivity, torch_vs_oracle.mean_abs, torch_vs_oracle.rel,
                torch_vs_oracle.cosine, torch_vs_oracle.nonfinite_expected, torch_vs_oracle.nonfinite_actual)
