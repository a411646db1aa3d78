"""One checked quantity (a layer's output, an input or parameter gradient, a running statistic, the loss): MindSpore
fp32 against torch fp32 and each framework's fp32 error against the fp64 oracle, judged by its tolerance budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List

from jcrnet_kit.parity.compare import Diff
from jcrnet_kit.parity.tolerances import Budget


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

    def describe(self) -> str:
        return (f"{self.layer} {self.name}: |ms-torch| {self.vs_torch.max_abs:.3e}, |torch-fp64| "
                f"{self.torch_vs_oracle.max_abs:.3e}, |ms-fp64| {self.mindspore_vs_oracle.max_abs:.3e}; "
                + "; ".join(self.failures))
