"""The recipe's optimiser and per-step learning rate in each framework, from stock parts only.

PyTorch: ``torch.optim.Adam`` as it ships, its learning rate set per step by ``torch.optim.lr_scheduler.LambdaLR``.
MindSpore: ``mindspore.experimental.optim.AdamW`` with ``weight_decay=0.0``, which is torch's Adam (eps added after
the bias correction; ``param x (1 - lr x 0)`` is the parameter itself), its learning rate set per step by
``mindspore.experimental.optim.lr_scheduler.LambdaLR``. Not ``experimental.optim.Adam``: it runs the ``ops.Adam``
kernel, which places eps as ``nn.Adam`` does (before the bias correction), whatever its docstring's formula says;
not ``mint.optim.Adam``: on CPU in PyNative it changes nothing (its in-place updates are no-ops there). Both are
measured by ``jcrnet_kit/docs/claims.py`` (rows "Adam" and "Learning-rate schedule" of docs/API_MAPPING.md).

Both schedulers multiply the optimiser's base learning rate by the schedule's value; the base is 1.0, so the
learning rate of step t is ``schedule(t)`` exactly. The MindSpore scheduler writes it into the optimiser's learning-rate
``Parameter`` (an assignment), so the per-step value reaches the update in PyNative and in Graph mode alike, with no
list of every step's rate built in advance. Call ``scheduler.step()`` after every optimiser step.
"""

from __future__ import annotations

from functools import partial
from typing import Callable, Dict, Iterable, Tuple

import numpy as np

from jcrnet_spec import recipe

#: Optimiser step (1-based) -> learning rate.
Schedule = Callable[[int], float]

#: Both schedulers multiply this by ``schedule(t)``: 1.0 keeps the product exact.
BASE_LR = 1.0


def constant(lr: float = recipe.ADAM_LR) -> Schedule:
    """The same learning rate at every step (the training-parity runs)."""
    return partial(_constant, lr)


def _constant(lr: float, step: int) -> float:
    return lr


def recipe_schedule(total_steps: int, warmup_steps: int, peak: float = recipe.ADAM_LR,
                    minimum: float = recipe.LR_MIN) -> Schedule:
    """The recipe's warm-up and cosine decay (``jcrnet_spec.recipe.learning_rate``) over ``total_steps``."""
    return partial(_recipe, total_steps, warmup_steps, peak, minimum)


def _recipe(total_steps: int, warmup_steps: int, peak: float, minimum: float, step: int) -> float:
    return recipe.learning_rate(step, total_steps, warmup_steps, peak, minimum)


def torch_adam(params: Iterable, schedule: Schedule) -> Tuple[object, object]:
    """(``torch.optim.Adam``, ``LambdaLR``) with the recipe's betas and eps; step t runs at ``schedule(t)``."""
    import torch

    opt = torch.optim.Adam(params, lr=BASE_LR, betas=recipe.ADAM_BETAS, eps=recipe.ADAM_EPS)
    return opt, torch.optim.lr_scheduler.LambdaLR(opt, partial(_from_epoch, schedule))


def mindspore_adam(params: Iterable, schedule: Schedule) -> Tuple[object, object]:
    """(``mindspore.experimental.optim.AdamW(weight_decay=0.0)``, its ``LambdaLR``) with the recipe's betas and eps:
    torch's Adam; step t runs at ``schedule(t)``."""
    from mindspore.experimental.optim import AdamW
    from mindspore.experimental.optim.lr_scheduler import LambdaLR

    opt = AdamW(params, lr=BASE_LR, betas=tuple(map(float, recipe.ADAM_BETAS)), eps=float(recipe.ADAM_EPS),
                weight_decay=0.0)
    return opt, LambdaLR(opt, partial(_from_epoch, schedule))


def _from_epoch(schedule: Schedule, epoch) -> float:
    """A scheduler's epoch counts the ``scheduler.step()`` calls so far (0 for step 1); MindSpore's is a float32
    ``Parameter``."""
    return float(schedule(int(epoch) + 1))


def current_lr(scheduler) -> float:
    """The learning rate the next optimiser step will use (either framework's scheduler)."""
    value = scheduler.get_last_lr()[0]
    return float(value.asnumpy()) if hasattr(value, "asnumpy") else float(value)


def check_learning_rate(step: int, lr: float, scheduled: float) -> None:
    """Raise unless the scheduler is about to run step ``step`` at ``lr`` (MindSpore holds it in float32)."""
    if scheduled not in (lr, float(np.float32(lr))):
        raise RuntimeError(f"step {step}: the scheduler's learning rate {scheduled!r} is not the run's {lr!r}")


def mindspore_state(opt, scheduler) -> list:
    """Every ``Parameter`` that the next step of a ``mindspore_adam`` pair depends on: both moments of every
    parameter, the step counter, the learning rate and the scheduler's position (for ``save_checkpoint``)."""
    return [*opt.exp_avg, *opt.exp_avg_sq, opt.state_step, *opt.lrs, scheduler.last_epoch]


def load_mindspore_state(opt, scheduler, saved: Dict[str, np.ndarray]) -> None:
    """Put a ``mindspore_state`` back (name -> array); raises ``KeyError`` naming the first missing entry and
    ``ValueError`` on a shape mismatch or an entry this optimiser does not have."""
    import mindspore as ms
    from mindspore import ops

    params = mindspore_state(opt, scheduler)
    unexpected = sorted(set(saved) - {p.name for p in params})
    if unexpected:
        raise ValueError(f"{len(unexpected)} entries this optimiser does not have (first: {unexpected[0]})")
    for p in params:
        value = np.asarray(saved[p.name])
        if value.shape != tuple(p.shape):
            raise ValueError(f"{p.name}: shape {value.shape}, expected {tuple(p.shape)}")
        ops.assign(p, ms.Tensor(value).astype(p.dtype))  # an assignment: ``set_data`` can be lost once compiled
