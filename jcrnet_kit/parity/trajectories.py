"""Training parity: a short Adam run from identical weights and batches in torch fp32, MindSpore fp32 and torch fp64
(the oracle), compared step by step.

Adam: MindSpore's ``nn.Adam`` adds ``eps`` to sqrt(v) before the bias correction (``lr * sqrt(1 - b2^t) / (1 - b1^t)
* m / (sqrt(v) + eps)``), torch after it (``lr * m_hat / (sqrt(v_hat) + eps)``). They are the same algorithm when
torch's eps at step t is ``eps / sqrt(1 - b2^t)``; torch's ``param_groups`` eps is set to that before every step, so
MindSpore runs the stock ``nn.Adam`` with the recipe's eps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

import mindspore as ms
from jcrnet_kit.parity.gradients import (
    running_keys, trainable_keys, batches, build_mindspore, build_torch, mindspore_loss_fn,
)
from jcrnet_kit.parity.tolerances import TRAINING, TrainingBound
from jcrnet_spec import architecture, recipe

#: Adam steps of a training-parity run.
STEPS = 10


@dataclass
class TrainingRun:
    losses: List[float]
    weights: Dict[str, np.ndarray]  # trainable parameters, torch names
    running: Dict[str, np.ndarray] = field(default_factory=dict)  # BatchNorm running statistics, torch names


def train_torch(preset: str, state: Mapping[str, np.ndarray], data: Sequence[Tuple[np.ndarray, np.ndarray]],
                train: bool = True, dtype=torch.float32, eps_like_mindspore: bool = True) -> TrainingRun:
    from torch_reference.loss import jcrnet_loss

    model = build_torch(preset, state, train, dtype)
    b1, b2 = recipe.ADAM_BETAS
    opt = torch.optim.Adam(model.parameters(), lr=recipe.ADAM_LR, betas=(b1, b2), eps=recipe.ADAM_EPS,
                           foreach=False)
    losses = []
    for step, (x, y) in enumerate(data, start=1):
        if eps_like_mindspore:
            for group in opt.param_groups:
                group["eps"] = recipe.ADAM_EPS / math.sqrt(1.0 - b2 ** step)
        opt.zero_grad(set_to_none=True)
        loss = jcrnet_loss(model(torch.from_numpy(x).to(dtype)), torch.from_numpy(y).to(dtype))
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    buffers = dict(model.named_buffers())
    return TrainingRun(losses, {k: p.detach().numpy().copy() for k, p in model.named_parameters()},
                       {k: buffers[k].numpy().copy() for k in running_keys(preset).values()})


def train_mindspore(preset: str, state: Mapping[str, np.ndarray], data: Sequence[Tuple[np.ndarray, np.ndarray]],
                    train: bool = True) -> TrainingRun:
    from mindspore import nn

    net = build_mindspore(preset, state, train)
    b1, b2 = recipe.ADAM_BETAS
    opt = nn.Adam(net.trainable_params(), learning_rate=recipe.ADAM_LR, beta1=b1, beta2=b2, eps=recipe.ADAM_EPS)
    grad_fn = mindspore_loss_fn(net)
    losses = []
    for x, y in data:
        loss, grads = grad_fn(ms.Tensor(x), ms.Tensor(y))
        opt(grads)
        losses.append(float(loss))
    names, running = trainable_keys(preset), running_keys(preset)
    params = {p.name: p for p in net.get_parameters()}
    return TrainingRun(losses, {names[p.name]: p.asnumpy().copy() for p in net.trainable_params()},
                       {running[k]: params[k].asnumpy().copy() for k in running})


def _flat(weights: Mapping[str, np.ndarray], start: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([(np.asarray(weights[k], np.float64) - start[k]).ravel() for k in sorted(weights)])


def _rel_l2(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


def _max_abs(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> Tuple[float, str]:
    diffs = {k: float(np.abs(np.asarray(a[k], np.float64) - b[k]).max(initial=0.0)) for k in a}
    worst = max(diffs, key=diffs.get)
    return diffs[worst], worst


@dataclass
class TrainingParity:
    """Figures of one training-parity run; ``measured[name]`` is MindSpore vs torch fp32 for ``TRAINING[mode][name]``
    and ``torch_vs_oracle[name]`` torch fp32 vs the fp64 run on the same figure."""

    preset: str
    mode: str  # "train" or "eval"
    steps: int
    losses: Dict[str, List[float]]  # "torch", "mindspore", "fp64"
    measured: Dict[str, float]
    torch_vs_oracle: Dict[str, float]
    worst_weight: str
    max_update: float

    @property
    def bounds(self) -> Dict[str, TrainingBound]:
        return TRAINING[self.mode]

    @property
    def loss_diffs(self) -> List[float]:
        return [abs(a - b) for a, b in zip(self.losses["mindspore"], self.losses["torch"])]

    @property
    def failures(self) -> List[str]:
        return [f"{self.mode} {name}: {self.measured[name]:.3e} > {bound.limit:.0e}"
                for name, bound in self.bounds.items() if self.measured[name] > bound.limit]

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict:
        return {"preset": self.preset, "mode": self.mode, "steps": self.steps, "losses": self.losses,
                "loss_diffs": self.loss_diffs, "measured": self.measured, "torch_vs_fp64": self.torch_vs_oracle,
                "bounds": {name: bound.as_dict() for name, bound in self.bounds.items()},
                "worst_weight": self.worst_weight, "max_update": self.max_update, "passed": self.passed,
                "failures": self.failures}


def training_parity(preset: str, state: Optional[Mapping[str, np.ndarray]] = None, steps: int = STEPS,
                    seed: int = 0, train: bool = True) -> TrainingParity:
    """``steps`` Adam steps (the recipe's loss and hyper-parameters; BatchNorm in ``train`` mode or on its running
    statistics) from identical weights and batches, in torch fp32, MindSpore (PyNative, whatever the process's mode)
    and torch fp64 (the oracle)."""
    from mindspore_impl.compat import mode

    with mode("pynative"):
        return _training_parity(preset, state, steps, seed, train)


def _training_parity(preset: str, state: Optional[Mapping[str, np.ndarray]], steps: int, seed: int,
                     train: bool) -> TrainingParity:
    from jcrnet_spec import seeded_weights

    state = dict(state) if state is not None else seeded_weights(architecture(preset), seed)
    start = {k: np.asarray(v, np.float64) for k, v in state.items()}
    data = batches(steps, seed)
    ref, ported, oracle = (train_torch(preset, state, data, train), train_mindspore(preset, state, data, train),
                           train_torch(preset, state, data, train, torch.float64))
    up_ref, up_ms, up_oracle = (_flat(r.weights, start) for r in (ref, ported, oracle))
    weights, worst = _max_abs(ported.weights, ref.weights)
    measured = {
        "first_loss": abs(ported.losses[0] - ref.losses[0]),
        "loss": max(abs(a - b) for a, b in zip(ported.losses, ref.losses)),
        "weights": weights,
        "update": _rel_l2(up_ms, up_ref),
    }
    torch_vs_oracle = {
        "first_loss": abs(ref.losses[0] - oracle.losses[0]),
        "loss": max(abs(a - b) for a, b in zip(ref.losses, oracle.losses)),
        "weights": _max_abs(ref.weights, oracle.weights)[0],
        "update": _rel_l2(up_ref, up_oracle),
    }
    if train:
        measured["running"] = _max_abs(ported.running, ref.running)[0]
        torch_vs_oracle["running"] = _max_abs(ref.running, oracle.running)[0]
    return TrainingParity(preset, "train" if train else "eval", steps,
                          {"torch": ref.losses, "mindspore": ported.losses, "fp64": oracle.losses}, measured,
                          torch_vs_oracle, worst, float(np.abs(up_ref).max()))
