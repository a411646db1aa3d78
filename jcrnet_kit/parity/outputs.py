"""The whole model's outputs in ``jcrnet verify``: each output of MindSpore against torch fp32 and both against the fp64
oracle (the two-bar budget ``WHOLE_OUTPUT``), beside an absolute bar (``FORWARD``) that scales with the output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

import numpy as np

from jcrnet_kit.parity.checks import Check
from jcrnet_kit.parity.compare import diff
from jcrnet_kit.parity.tolerances import FORWARD, WHOLE_OUTPUT
from jcrnet_spec import OUTPUTS


@dataclass(frozen=True)
class OutputRow:
    name: str
    check: Check
    absolute_ok: bool

    @property
    def status(self) -> str:
        return "FAIL" if not self.absolute_ok else self.check.status

    @property
    def failures(self) -> List[str]:
        extra = [] if self.absolute_ok else [f"max |ms-torch| {self.check.vs_torch.max_abs:.3e} > {FORWARD.atol:g} x "
                                             f"max(1, scale {self.check.scale:.3e})"]
        return extra + self.check.failures


def judge_outputs(outputs32: Tuple[np.ndarray, ...], outputs64: Tuple[np.ndarray, ...],
                  ported: Tuple[np.ndarray, ...]) -> List[OutputRow]:
    """The whole model's outputs: MindSpore against torch fp32, each against the fp64 oracle."""
    rows = []
    for name, t, f, m in zip(OUTPUTS, outputs32, outputs64, ported):
        check = Check(name, "output", name, diff(t, m), diff(f, t), diff(f, m), WHOLE_OUTPUT,
                      float(np.abs(f[np.isfinite(f)]).max(initial=0.0)))
        # the Hugging Face bar is for outputs of order 1; scaled weights give outputs of order 100 and beyond, where
        # float32 itself is 100x coarser: the bar scales with the output past 1
        rows.append(OutputRow(name, check, FORWARD.holds(check.vs_torch.max_abs / max(1.0, check.scale))))
    return rows
