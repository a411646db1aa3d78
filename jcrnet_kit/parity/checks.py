"""One checked quantity (a layer's output, an input or parameter gradient, a running statistic, the loss): MindSpore
fp32 against torch fp32 and each framework's fp32 error against the fp64 oracle, judged by its tolerance budget.

A quantity whose fp64 value is exactly 0 everywhere, and which both frameworks also give as exactly 0, compares 0 with
0: it is reported as "not exercised", never as "ok" (the weights or input never reach it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from jcrnet_kit.parity.compare import Diff
from jcrnet_kit.parity.tolerances import Budget

OK, FAIL, NOT_EXERCISED = "ok", "FAIL", "not exercised"


@dataclass(frozen=True)
class Check:
    """One quantity of one layer: MindSpore vs torch fp32, and each framework's fp32 error against the fp64 oracle."""

    layer: str
    kind: str
    name: str
    vs_torch: Diff
    torch_vs_oracle: Diff
    mindspore_vs_oracle: Diff
    budget: Budget

    scale: float  # max |fp64 value|

    @property
    def failures(self) -> List[str]:
        return self.budget.failures(self.vs_torch, self.torch_vs_oracle, self.mindspore_vs_oracle, self.scale)

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def exercised(self) -> bool:
        return not (self.scale == 0 and self.vs_torch.max_abs == 0 and self.mindspore_vs_oracle.max_abs == 0)

    @property
    def status(self) -> str:
        return FAIL if self.failures else (OK if self.exercised else NOT_EXERCISED)

    @property
    def margin(self) -> float:
        return self.budget.margin(self.vs_torch, self.torch_vs_oracle, self.mindspore_vs_oracle, self.scale)

    def describe(self) -> str:
        return (f"{self.layer} {self.name}: |ms-torch| {self.vs_torch.max_abs:.3e}, |torch-fp64| "
                f"{self.torch_vs_oracle.max_abs:.3e}, |ms-fp64| {self.mindspore_vs_oracle.max_abs:.3e}; "
                + "; ".join(self.failures))

    def as_dict(self) -> dict:
        return {"layer": self.layer, "kind": self.kind, "name": self.name, "status": self.status,
                "max_abs": self.vs_torch.max_abs, "torch_vs_fp64": self.torch_vs_oracle.max_abs,
                "mindspore_vs_fp64": self.mindspore_vs_oracle.max_abs, "scale": self.scale, "margin": self.margin,
                "failures": self.failures}
