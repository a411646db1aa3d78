"""Whole-model backward: the training loss and its gradient w.r.t. every parameter, in torch fp32, torch fp64 (the
oracle) and MindSpore fp32, on one batch of the shared data pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

import numpy as np

from jcrnet_kit.parity.checks import Check
from jcrnet_kit.parity.compare import diff, with_sensitivity
from jcrnet_kit.parity.tolerances import whole_model_budget
from jcrnet_spec import architecture, param_table
from jcrnet_spec.layers import RUNNING_STAT, TRAINABLE

#: Batch of the whole-model checks: two 16 x 16 patches (BatchNorm needs N*H*W > 1; MindSpore CPU is slow).
BATCH, PATCH = 2, 16


def batches(count: int, seed: int = 0) -> List[Tuple[np.ndarray, np.ndarray]]:
    """``count`` seeded (low, high) batches of the shared NumPy pipeline (synthetic pairs, random crops, dihedral)."""
    from itertools import islice

    from jcrnet_kit.images.patches import patch_batches
    from jcrnet_kit.images.synthetic import synthetic_pairs

    return list(islice(patch_batches(synthetic_pairs(seed, count=2, max_side=64), PATCH, BATCH, seed), count))


def trainable_keys(preset: str) -> Dict[str, str]:
    """MindSpore parameter name -> torch name (the first path of a shared layer) of every trainable parameter."""
    return {e.mindspore_key: e.torch_keys[0] for e in param_table(architecture(preset)) if e.role == TRAINABLE}


def running_keys(preset: str) -> Dict[str, str]:
    return {e.mindspore_key: e.torch_keys[0] for e in param_table(architecture(preset)) if e.role == RUNNING_STAT}


def checked(preset: str, state: Mapping[str, np.ndarray]):
    """A torch-named state the parity engine runs, as ``convert.Weights``: the command that loaded it applied the
    value policies already (NaN / Inf may be let through on purpose, to see the first layer they reach)."""
    from convert.weights import Weights

    return Weights(dict(state), "torch", preset)


def build_torch(preset: str, state: Mapping[str, np.ndarray], train: bool, dtype: str = "float32"):
    """The torch model (``dtype`` "float32" or "float64") holding ``state``, in train mode or not."""
    import torch

    import torch_reference

    return torch_reference.build_jcrnet(preset, weights=checked(preset, state)).to(getattr(torch, dtype)).train(train)


def build_mindspore(preset: str, state: Mapping[str, np.ndarray], train: bool, conv: Optional[str] = None):
    """A MindSpore net to differentiate, with the convolution backward ``jcrnet train`` uses (``conv``: None is the
    current choice; ``auto`` resolves to the low-memory backward on CPU: ``mindspore_impl.layers.conv_backward``)."""
    import mindspore_impl
    from mindspore_impl.layers import conv_backward_for

    with conv_backward_for(conv, training=True):
        net = mindspore_impl.build_jcrnet(preset, weights=checked(preset, state))
    net.set_train(train)
    return net


def torch_loss_and_grads(model, x: np.ndarray, y: np.ndarray) -> Tuple[float, Dict[str, np.ndarray]]:
    import torch

    from torch_reference.loss import jcrnet_loss

    dtype = next(model.parameters()).dtype
    model.zero_grad(set_to_none=True)
    loss = jcrnet_loss(model(torch.from_numpy(x).to(dtype)), torch.from_numpy(y).to(dtype))
    loss.backward()
    loss = loss.detach()
    grads = {name: (np.zeros(tuple(p.shape)) if p.grad is None else p.grad.numpy().copy())
             for name, p in model.named_parameters()}
    return float(loss), grads


def mindspore_loss_fn(net):
    import mindspore as ms

    from mindspore_impl.loss import jcrnet_loss

    def forward(x, y):
        return jcrnet_loss(net(x), y)

    return ms.value_and_grad(forward, None, net.trainable_params())


def mindspore_loss_and_grads(net, x: np.ndarray, y: np.ndarray) -> Tuple[float, Dict[str, np.ndarray]]:
    import mindspore as ms

    loss, grads = mindspore_loss_fn(net)(ms.Tensor(x), ms.Tensor(y))
    names = trainable_keys(net.preset)
    return float(loss), {names[p.name]: g.asnumpy().copy() for p, g in zip(net.trainable_params(), grads)}


@dataclass
class GradientReference:
    """The torch side of the whole-model backward check on one batch: loss and every parameter's gradient in fp32 and
    fp64, and each gradient's kink sensitivity (``jcrnet_kit.parity.kinks``)."""

    train: bool
    loss32: float
    loss64: float
    grads32: Dict[str, np.ndarray]
    grads64: Dict[str, np.ndarray]
    sensitivity: Dict[str, float]
    index: Dict[str, np.ndarray] = field(default_factory=dict)  # elements a reference file kept, by parameter
    scales: Dict[str, float] = field(default_factory=dict)  # max |fp64 gradient| per parameter, when sampled

    def scale_of(self, name: str) -> float:
        return self.scales[name] if name in self.scales else float(np.abs(self.grads64[name]).max(initial=0.0))


def torch_gradients(preset: str, state: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                    train: bool) -> GradientReference:
    """torch fp32 and fp64 loss and gradients, and each gradient's kink sensitivity: how far the fp64 gradient moves
    when every element within round-off of a kink takes the other side (``jcrnet_kit.parity.kinks``); the checks
    widen torch's distance from fp64 to it (``compare.with_sensitivity``)."""
    from jcrnet_kit.parity import kinks

    arch = architecture(preset)
    outputs32: Dict[str, list] = {}
    outputs64: Dict[str, list] = {}
    model = build_torch(preset, state, train)
    with kinks.recorded(layer_modules(arch, model), outputs32):
        loss_t, grads_t = torch_loss_and_grads(model, x, y)
    model = build_torch(preset, state, train, "float64")
    with kinks.recorded(layer_modules(arch, model), outputs64):
        loss_o, grads_o = torch_loss_and_grads(model, x, y)

    def flipped_grads(elements):
        model = build_torch(preset, state, train, "float64")
        with kinks.flipped(layer_modules(arch, model), elements):
            return torch_loss_and_grads(model, x, y)[1]

    sensitivity = kinks.sensitivity(flipped_grads, grads_o, kinks.near_elements(outputs32, outputs64))
    return GradientReference(train, loss_t, loss_o, grads_t, grads_o, sensitivity)


def layer_modules(arch, model) -> Dict[str, object]:
    """Path -> torch module of every layer the forward pass calls."""
    from jcrnet_spec.dataflow import layers
    from torch_reference.introspect import module_at

    return {path: module_at(model, path) for path, _ in layers(arch)}


def mindspore_gradients(preset: str, state: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                        train: bool) -> Tuple[float, Dict[str, np.ndarray]]:
    from mindspore_impl.compat import mode

    with mode("pynative"):
        return mindspore_loss_and_grads(build_mindspore(preset, state, train), x, y)


def judge_gradients(preset: str, ref: GradientReference, loss_m: float, grads_m: Mapping[str, np.ndarray]
                    ) -> List[Check]:
    """One check of the loss, then one per trainable parameter (torch names)."""
    if sorted(grads_m) != sorted(ref.grads32):
        raise ValueError(f"MindSpore has gradients for {sorted(set(grads_m) ^ set(ref.grads32))} that torch has not")
    arch = architecture(preset)
    grads_m = {k: np.asarray(g).reshape(-1)[ref.index[k]] if k in ref.index else np.asarray(g).reshape(-1)
               for k, g in grads_m.items()}

    def layer_of(name: str) -> str:
        return name.rsplit(".", 1)[0] if "." in name else name

    checks = []
    for name, grad_t in ref.grads32.items():
        layer = layer_of(name)
        kind = arch.node(layer).kind
        scale = max(ref.scale_of(k) for k in ref.grads64 if layer_of(k) == layer)
        grad_t, grad_o = np.asarray(grad_t).reshape(-1), np.asarray(ref.grads64[name]).reshape(-1)
        checks.append(Check(layer, kind, f"grad:{name}", diff(grad_t, grads_m[name]),
                            with_sensitivity(diff(grad_o, grad_t), ref.sensitivity[name]), diff(grad_o, grads_m[name]),
                            whole_model_budget(kind, "param_grad"), scale))
    loss = Check("", "JCRNet", "loss", diff(ref.loss32, loss_m), diff(ref.loss64, ref.loss32),
                 diff(ref.loss64, loss_m), whole_model_budget("JCRNet", "loss"), abs(ref.loss64))
    return [loss, *checks]


def gradient_checks(preset: str, state: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                    train: bool) -> List[Check]:
    """The whole-model backward check: torch fp32 / fp64 / MindSpore on one batch."""
    return judge_gradients(preset, torch_gradients(preset, state, x, y, train),
                           *mindspore_gradients(preset, state, x, y, train))
