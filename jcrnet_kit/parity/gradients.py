"""Whole-model backward: the training loss and its gradient w.r.t. every parameter, in torch fp32, torch fp64 (the
oracle) and MindSpore fp32, on one batch of the shared data pipeline."""

from __future__ import annotations

from typing import Dict, List, Mapping, Tuple

import numpy as np
import torch

import mindspore as ms
import mindspore_impl
import torch_reference
from jcrnet_kit.parity.checks import Check
from jcrnet_kit.parity.compare import diff
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


def build_torch(preset: str, state: Mapping[str, np.ndarray], train: bool, dtype=torch.float32) -> torch.nn.Module:
    return torch_reference.build_jcrnet(preset, weights=state).to(dtype).train(train)


def build_mindspore(preset: str, state: Mapping[str, np.ndarray], train: bool):
    net = mindspore_impl.build_jcrnet(preset, weights=state)
    net.set_train(train)
    return net


def torch_loss_and_grads(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> Tuple[float, Dict[str, np.ndarray]]:
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
    from mindspore_impl.loss import jcrnet_loss

    def forward(x, y):
        return jcrnet_loss(net(x), y)

    return ms.value_and_grad(forward, None, net.trainable_params())


def mindspore_loss_and_grads(net, x: np.ndarray, y: np.ndarray) -> Tuple[float, Dict[str, np.ndarray]]:
    loss, grads = mindspore_loss_fn(net)(ms.Tensor(x), ms.Tensor(y))
    names = trainable_keys(net.preset)
    return float(loss), {names[p.name]: g.asnumpy().copy() for p, g in zip(net.trainable_params(), grads)}


def gradient_checks(preset: str, state: Mapping[str, np.ndarray], x: np.ndarray, y: np.ndarray,
                    train: bool) -> List[Check]:
    """One check of the loss, then one per trainable parameter (torch names), torch fp32 / fp64 / MindSpore."""
    loss_t, grads_t = torch_loss_and_grads(build_torch(preset, state, train), x, y)
    loss_o, grads_o = torch_loss_and_grads(build_torch(preset, state, train, torch.float64), x, y)
    loss_m, grads_m = mindspore_loss_and_grads(build_mindspore(preset, state, train), x, y)
    if sorted(grads_m) != sorted(grads_t):
        raise ValueError(f"MindSpore has gradients for {sorted(set(grads_m) ^ set(grads_t))} that torch has not")
    arch = architecture(preset)
    checks = []
    for name in grads_t:
        layer = name.rsplit(".", 1)[0] if "." in name else name
        kind = arch.node(layer).kind
        scale = max(float(np.abs(grads_o[k]).max(initial=0.0)) for k in grads_o
                    if (k.rsplit(".", 1)[0] if "." in k else k) == layer)
        budget = whole_model_budget(kind, "param_grad")
        checks.append(Check(layer, kind, f"grad:{name}", diff(grads_t[name], grads_m[name]),
                            diff(grads_o[name], grads_t[name]), diff(grads_o[name], grads_m[name]), budget, scale))
    loss = Check("", "JCRNet", "loss", diff(loss_t, loss_m), diff(loss_o, loss_t), diff(loss_o, loss_m),
                 whole_model_budget("JCRNet", "loss"), abs(loss_o))
    return [loss, *checks]
