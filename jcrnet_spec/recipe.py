"""The training recipe's numbers (DGUNet's, which JCRNet inherits), read by both frameworks' loss and optimiser.

Loss = sum over both outputs of Charbonnier(output, target) + EDGE_WEIGHT x Charbonnier(laplacian(output),
laplacian(target)); Charbonnier(a, b) = mean(sqrt((a - b)^2 + eps^2)). The Laplacian is DGUNet's one-level
pyramid residual: x - blur(up(down(blur(x)))), where blur is the separable 5-tap Gaussian below applied per
channel with replicate padding, down keeps every second row and column, and up puts those back in place times 4
with zeros between.
"""

from __future__ import annotations

from typing import Tuple

CHARBONNIER_EPS = 1e-3
EDGE_WEIGHT = 0.05
GAUSSIAN_TAPS: Tuple[float, ...] = (0.05, 0.25, 0.4, 0.25, 0.05)
EDGE_PADDING = "replicate"
EDGE_UPSAMPLE_GAIN = 4.0

ADAM_LR = 2e-4
ADAM_BETAS: Tuple[float, float] = (0.9, 0.999)
ADAM_EPS = 1e-8


def gaussian_kernel() -> Tuple[Tuple[float, ...], ...]:
    """The 5 x 5 blur kernel: the outer product of ``GAUSSIAN_TAPS`` with itself."""
    return tuple(tuple(a * b for b in GAUSSIAN_TAPS) for a in GAUSSIAN_TAPS)


LR_MIN = 1e-6


def learning_rate(step: int, total_steps: int, warmup_steps: int, peak: float = ADAM_LR,
                  minimum: float = LR_MIN) -> float:
    """The learning rate of optimiser step ``step`` (1-based): a linear warm-up to ``peak`` over ``warmup_steps``,
    then a cosine decay that reaches ``minimum`` at ``total_steps`` (DGUNet's GradualWarmupScheduler + cosine)."""
    import math

    if step <= warmup_steps:
        return peak * step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return minimum + 0.5 * (peak - minimum) * (1.0 + math.cos(math.pi * progress))
