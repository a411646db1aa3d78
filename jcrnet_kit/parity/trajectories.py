"""Training parity: a short Adam run from identical weights and batches in torch fp32, MindSpore fp32 and torch fp64
(the oracle), judged against the fp64 run.

Both sides run the optimisers ``jcrnet train`` runs (``jcrnet_kit.train.optim``): stock ``torch.optim.Adam``, and
``mindspore.experimental.optim.AdamW`` with ``weight_decay=0``, which is torch's algorithm (eps after the bias
correction). Not ``mindspore.experimental.optim.Adam``: despite its documented formula it runs the ``ops.Adam`` kernel,
which adds eps before the bias correction like ``nn.Adam``; on JCRNet's tiny gradients (~1e-9 and below) the 10-step
update then differs from torch's by 24% (measured here; mutant ``adam_eps_before_bias_correction``).

A figure of the run passes when MindSpore is as accurate as torch against fp64:
``|ms - fp64| <= ratio x |torch - fp64| + floor x scale`` (``jcrnet_kit.parity.tolerances.TRAINING``). Two fp32 runs
drift apart by round-off, which Adam amplifies (BatchNorm on batch statistics puts activations at ReLU kinks, where
round-off picks a side); judging against fp64 with torch's own drift as the yardstick keeps a chaotic but correct run
from failing, while a wrong step (an optimiser with eps in another place) is far outside.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from jcrnet_kit.parity.gradients import batches, build_mindspore, build_torch, mindspore_loss_fn, running_keys, \
    trainable_keys
from jcrnet_kit.parity.tolerances import TRAINING, TRAINING_GRADIENT_SPREAD, TrainingBar
from jcrnet_spec import architecture, recipe

#: Adam steps of a training-parity run.
STEPS = 10

Batch = Tuple[np.ndarray, np.ndarray]


@dataclass
class Trajectory:
    """One framework's run: the loss of every step, then the final trainable weights and BatchNorm running statistics
    (torch names, float64)."""

    losses: List[float]
    weights: Dict[str, np.ndarray]
    running: Dict[str, np.ndarray] = field(default_factory=dict)
    index: Dict[str, np.ndarray] = field(default_factory=dict)  # weight elements a reference file kept, by name

    def picked(self, full: Mapping[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """``full`` (another run's weights, or the start), flattened and reduced to the elements this run holds."""
        return {k: np.asarray(v).reshape(-1)[self.index[k]] if k in self.index else np.asarray(v).reshape(-1)
                for k, v in full.items()}


def torch_trajectory(preset: str, state: Mapping[str, np.ndarray], data: Sequence[Batch], train: bool,
                     dtype: str = "float32", gradient_noise: float = 0.0, noise_seed: int = 0) -> Trajectory:
    """Stock ``torch.optim.Adam`` (the recipe's hyper-parameters) on ``data``, BatchNorm in ``train`` mode or not,
    in ``dtype`` ("float32" or "float64"). ``gradient_noise``: before each step, every gradient tensor gets uniform
    noise of up to this share of its largest element (seeded by ``noise_seed``)."""
    import torch

    from jcrnet_kit.train import optim
    from torch_reference.loss import jcrnet_loss

    model = build_torch(preset, state, train, dtype)
    opt, scheduler = optim.torch_adam(model.parameters(), optim.constant(recipe.ADAM_LR))
    generator = torch.Generator().manual_seed(noise_seed)
    losses = []
    for x, y in data:
        opt.zero_grad(set_to_none=True)
        loss = jcrnet_loss(model(torch.from_numpy(x).to(getattr(torch, dtype))),
                           torch.from_numpy(y).to(getattr(torch, dtype)))
        loss.backward()
        if gradient_noise:
            _add_noise(model, gradient_noise, generator)
        opt.step()
        scheduler.step()
        losses.append(float(loss.detach()))
    buffers = dict(model.named_buffers())
    return Trajectory(losses, {k: p.detach().double().numpy().copy() for k, p in model.named_parameters()},
                      {k: buffers[k].double().numpy().copy() for k in running_keys(preset).values()})


def _add_noise(model, share: float, generator) -> None:
    import torch

    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                noise = 2 * torch.rand(p.grad.shape, generator=generator, dtype=p.grad.dtype) - 1
                p.grad += share * p.grad.abs().max() * noise


def spread(preset: str, state: Mapping[str, np.ndarray], data: Sequence[Batch], train: bool,
           oracle: Trajectory) -> Dict[str, float]:
    """How far the fp64 run moves when every gradient is off by what the whole-model gradient budget accepts
    (``tolerances.TRAINING_GRADIENT_SPREAD``): per figure, that run's distance from ``oracle``. A training figure
    cannot be held to less than the gradients it is made of; in train mode Adam's per-element normalisation turns a
    gradient error within budget into a step of up to 2 x lr for every element whose gradient is that small."""
    noisy = torch_trajectory(preset, state, data, train, "float64", TRAINING_GRADIENT_SPREAD.value)
    judged = judge_training(preset, train, state, noisy, oracle, noisy)
    return {f.name: f.torch_vs_fp64 for f in judged.figures}


def mindspore_trajectory(preset: str, state: Mapping[str, np.ndarray], data: Sequence[Batch], train: bool
                         ) -> Trajectory:
    """``jcrnet train``'s MindSpore optimiser (torch's Adam algorithm) on ``data``, in PyNative whatever the process
    mode."""
    import mindspore as ms

    from jcrnet_kit.train import optim
    from mindspore_impl.compat import mode

    with mode("pynative"):
        net = build_mindspore(preset, state, train)
        opt, scheduler = optim.mindspore_adam(net.trainable_params(), optim.constant(recipe.ADAM_LR))
        grad_fn = mindspore_loss_fn(net)
        losses = []
        for x, y in data:
            loss, grads = grad_fn(ms.Tensor(x), ms.Tensor(y))
            opt(grads)
            scheduler.step()
            losses.append(float(loss))
        names, running = trainable_keys(preset), running_keys(preset)
        params = {p.name: p for p in net.get_parameters()}
        return Trajectory(losses, {names[p.name]: p.asnumpy().astype(np.float64) for p in net.trainable_params()},
                          {running[k]: params[k].asnumpy().astype(np.float64) for k in running})


@dataclass(frozen=True)
class Figure:
    """One figure of a training run: MindSpore's and torch fp32's distance from the fp64 run, and MindSpore's from
    torch, judged by its bar."""

    name: str
    ms_vs_fp64: float
    torch_vs_fp64: float
    ms_vs_torch: float
    scale: float
    bar: TrainingBar
    spread: float = 0.0  # the fp64 run's distance under the accepted gradient error (``spread``); 0 in eval mode

    @property
    def allowed(self) -> float:
        return self.bar.ratio * max(self.torch_vs_fp64, self.spread) + self.bar.floor * self.scale

    @property
    def margin(self) -> float:
        if not np.isfinite(self.ms_vs_fp64):
            return float("inf")
        return 0.0 if self.ms_vs_fp64 == 0 else self.ms_vs_fp64 / self.allowed if self.allowed > 0 else float("inf")

    @property
    def passed(self) -> bool:
        return bool(self.margin <= 1.0)

    def describe(self) -> str:
        base = f"|torch - fp64| {self.torch_vs_fp64:.3e}"
        base = f"max({base}, spread {self.spread:.3e})" if self.spread else base
        return (f"{self.name}: |ms - fp64| {self.ms_vs_fp64:.3e} vs allowed {self.allowed:.3e} ({self.bar.ratio:g} x "
                f"{base} + {self.bar.floor:.0e} x scale {self.scale:.3e}); |ms - torch| {self.ms_vs_torch:.3e}")

    def as_dict(self) -> dict:
        return {"name": self.name, "mindspore_vs_fp64": self.ms_vs_fp64, "torch_vs_fp64": self.torch_vs_fp64,
                "mindspore_vs_torch": self.ms_vs_torch, "spread": self.spread, "scale": self.scale,
                "allowed": self.allowed,
                "margin": self.margin, "passed": self.passed, "bar": self.bar.as_dict()}


def _max_abs(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
    with np.errstate(invalid="ignore"):
        values = [float(np.max(np.abs(np.asarray(a[k], np.float64) - b[k]), initial=0.0)) for k in b]
    return float("inf") if any(not np.isfinite(v) for v in values) else max(values, default=0.0)


def _update(weights: Mapping[str, np.ndarray], start: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([(np.asarray(weights[k], np.float64) - start[k]).ravel() for k in sorted(weights)])


@dataclass
class TrainingParity:
    """Figures of one training-parity run (mode "eval": BatchNorm on its running statistics; "train": the recipe)."""

    preset: str
    mode: str
    steps: int
    losses: Dict[str, List[float]]  # "torch", "mindspore", "fp64"
    figures: List[Figure]

    @property
    def failures(self) -> List[str]:
        return [f"{self.mode} {f.describe()}" for f in self.figures if not f.passed]

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def margin(self) -> float:
        return max(f.margin for f in self.figures)

    @property
    def loss_diffs(self) -> List[float]:
        return [abs(a - b) for a, b in zip(self.losses["mindspore"], self.losses["torch"])]

    def as_dict(self) -> dict:
        return {"preset": self.preset, "mode": self.mode, "steps": self.steps, "losses": self.losses,
                "loss_diffs": self.loss_diffs, "figures": [f.as_dict() for f in self.figures],
                "margin": self.margin, "passed": self.passed, "failures": self.failures}


def judge_training(preset: str, train: bool, start: Mapping[str, np.ndarray], reference: Trajectory,
                   oracle: Trajectory, ported: Trajectory, spreads: Optional[Mapping[str, float]] = None
                   ) -> TrainingParity:
    """Every figure of ``TRAINING[mode]`` for MindSpore's run against torch fp32's and the fp64 run (``spreads``:
    the fp64 run's spread per figure, ``spread``; none in eval mode, whose bars stay sharp)."""
    mode = "train" if train else "eval"
    bars = TRAINING[mode]
    # Weights flattened; a reference file keeps a sample of each large tensor (``reference.index``): the same elements
    # of MindSpore's weights and of the start are compared.
    start = reference.picked({k: np.asarray(start[k], np.float64) for k in reference.weights})
    ported = Trajectory(ported.losses, reference.picked(ported.weights), ported.running)
    reference, oracle = (Trajectory(r.losses, Trajectory([], {}).picked(r.weights), r.running)
                         for r in (reference, oracle))
    f_loss, t_loss, m_loss = (np.asarray(r.losses, np.float64) for r in (oracle, reference, ported))
    u_f, u_t, u_m = (_update(r.weights, start) for r in (oracle, reference, ported))
    norm = max(float(np.linalg.norm(u_f)), 1e-30)
    figures = [
        Figure("first_loss", abs(m_loss[0] - f_loss[0]), abs(t_loss[0] - f_loss[0]), abs(m_loss[0] - t_loss[0]),
               abs(f_loss[0]), bars["first_loss"]),
        Figure("loss", float(np.max(np.abs(m_loss - f_loss))), float(np.max(np.abs(t_loss - f_loss))),
               float(np.max(np.abs(m_loss - t_loss))), float(np.max(np.abs(f_loss))), bars["loss"]),
        Figure("weights", _max_abs(ported.weights, oracle.weights), _max_abs(reference.weights, oracle.weights),
               _max_abs(ported.weights, reference.weights), float(np.max(np.abs(u_f), initial=0.0)),
               bars["weights"]),
        Figure("update", float(np.linalg.norm(u_m - u_f)) / norm, float(np.linalg.norm(u_t - u_f)) / norm,
               float(np.linalg.norm(u_m - u_t)) / norm, 1.0, bars["update"]),
    ]
    if train:
        figures.append(Figure("running", _max_abs(ported.running, oracle.running),
                              _max_abs(reference.running, oracle.running), _max_abs(ported.running, reference.running),
                              max(float(np.max(np.abs(v), initial=0.0)) for v in oracle.running.values()),
                              bars["running"]))
    if spreads:
        figures = [replace(f, spread=float(spreads.get(f.name, 0.0))) for f in figures]
    losses = {"torch": reference.losses, "mindspore": ported.losses, "fp64": oracle.losses}
    return TrainingParity(preset, mode, len(reference.losses), losses, figures)


def training_parity(preset: str, state: Optional[Mapping[str, np.ndarray]] = None, steps: int = STEPS,
                    seed: int = 0, train: bool = True) -> TrainingParity:
    """``steps`` Adam steps (the recipe's loss and hyper-parameters; BatchNorm in ``train`` mode or on its running
    statistics) from identical weights and batches, in torch fp32, MindSpore and torch fp64 (the oracle)."""
    from jcrnet_spec import seeded_weights

    state = dict(state) if state is not None else seeded_weights(architecture(preset), seed)
    data = batches(steps, seed)
    reference = torch_trajectory(preset, state, data, train)
    oracle = torch_trajectory(preset, state, data, train, "float64")
    ported = mindspore_trajectory(preset, state, data, train)
    spreads = spread(preset, state, data, train, oracle) if train else None
    return judge_training(preset, train, state, reference, oracle, ported, spreads)
