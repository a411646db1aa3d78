"""Per-layer parity: one spec layer built alone in torch fp32, torch fp64 (the oracle) and MindSpore fp32, fed one
input, checked on its outputs, the gradients of its inputs and of every parameter, and (train mode) its running
statistics after the step.

Inputs are what the layer receives inside the whole torch model on a seeded batch (recorded by ``hooks``), so every
layer sees realistic shapes and statistics; gradients are of ``sum(output * cotangent)`` with a seeded cotangent
per output. Names of gradients are torch's, relative to the layer; MindSpore's are mapped through the spec.
"""

from __future__ import annotations

import zlib
from typing import Dict, List, Mapping, Sequence, Tuple

import numpy as np
import torch  # noqa: F401  (before MindSpore)

from jcrnet_kit.parity.checks import Check
from jcrnet_kit.parity.compare import diff
from jcrnet_kit.parity.tolerances import budget_for
from jcrnet_spec import Architecture, assemble_at, local_names, torch_to_mindspore_at
from jcrnet_spec.dataflow import io_arity
from jcrnet_spec.layers import RUNNING_STAT

#: Quantities checked per layer (the tolerance policy is keyed by them).
OUTPUT, INPUT_GRAD, PARAM_GRAD, RUNNING = "output", "input_grad", "param_grad", "running_stat"


def quantity_of(name: str) -> str:
    """``output.0`` -> output, ``grad:input.1`` -> input_grad, ``grad:conv.weight`` -> param_grad,
    ``running:bn.running_var`` -> running_stat."""
    if name.startswith("output"):
        return OUTPUT
    if name.startswith("grad:input"):
        return INPUT_GRAD
    if name.startswith("grad:"):
        return PARAM_GRAD
    return RUNNING


class Cotangents:
    """Seeded cotangents in [-1, 1], one per output, the same for the same path and output shapes."""

    def __init__(self, path: str):
        self.seed = zlib.crc32(path.encode())

    def __call__(self, shapes: Sequence[Tuple[int, ...]]) -> List[np.ndarray]:
        rng = np.random.default_rng(self.seed)
        return [rng.uniform(-1.0, 1.0, tuple(shape)).astype(np.float32) for shape in shapes]


def _as_tuple(out) -> tuple:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def run_torch(arch: Architecture, path: str, state_at: Mapping[str, np.ndarray], inputs: Sequence[np.ndarray],
              cots: Cotangents, train: bool, dtype=None) -> Dict[str, np.ndarray]:
    """Outputs, gradients and (train mode) running statistics of the torch layer at ``path``, built alone."""
    import torch_reference.blocks
    import torch_reference.layers

    dtype = dtype or torch.float32
    module = assemble_at(arch, path, torch_reference.layers.make_leaf, torch_reference.blocks.make_block)
    module.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state_at.items()}, strict=True)
    module = module.to(dtype).train(train)
    xs = [torch.from_numpy(x).to(dtype).requires_grad_(True) for x in inputs]
    outs = _as_tuple(module(*xs))
    cot = cots([o.shape for o in outs])
    loss = sum((o * torch.from_numpy(c).to(dtype)).sum() for o, c in zip(outs, cot))
    params = dict(module.named_parameters())
    grads = torch.autograd.grad(loss, [*xs, *params.values()], allow_unused=True)
    values = {f"output.{i}": o.detach().numpy().copy() for i, o in enumerate(outs)}
    for i, g in enumerate(grads[:len(xs)]):
        values[f"grad:input.{i}"] = g.numpy().copy()
    for name, g in zip(params, grads[len(xs):]):
        values[f"grad:{name}"] = np.zeros(tuple(params[name].shape)) if g is None else g.numpy().copy()
    if train:
        for name, buffer in module.named_buffers():
            if buffer.is_floating_point():
                values[f"running:{name}"] = buffer.numpy().copy()
    return values


def run_mindspore(arch: Architecture, path: str, state_at: Mapping[str, np.ndarray], inputs: Sequence[np.ndarray],
                  cots: Cotangents, train: bool) -> Dict[str, np.ndarray]:
    """The same as ``run_torch`` for the MindSpore layer at ``path`` (PyNative), named as torch names them."""
    from mindspore_impl.compat import mode

    with mode("pynative"):
        return _run_mindspore(arch, path, state_at, inputs, cots, train)


def _run_mindspore(arch: Architecture, path: str, state_at: Mapping[str, np.ndarray], inputs: Sequence[np.ndarray],
                   cots: Cotangents, train: bool) -> Dict[str, np.ndarray]:
    import mindspore as ms

    import mindspore_impl.blocks
    import mindspore_impl.layers

    names = local_names(arch, path)
    to_torch = {n.mindspore: n.torch for n in names if n.mindspore is not None and n.torch is not None}
    cell = assemble_at(arch, path, mindspore_impl.layers.make_leaf, mindspore_impl.blocks.make_block)
    params = torch_to_mindspore_at(state_at, arch, path)
    # Attribute paths, not Parameter.name: a cell built alone keeps its own names (PReLU's slope is "a" until a
    # parent renames it "w").
    held = dict(cell.parameters_and_names())
    if sorted(held) != sorted(params):
        raise ValueError(f"{path}: MindSpore cell holds {sorted(held)}, the spec names {sorted(params)}")
    for name, param in held.items():
        if tuple(param.shape) != tuple(params[name].shape):
            raise ValueError(f"{path}: {name} has shape {tuple(param.shape)}, the weights {params[name].shape}")
        param.set_data(ms.Tensor(np.ascontiguousarray(params[name])))
    name_of = {id(param): name for name, param in held.items()}
    cell.set_train(train)
    weights = cell.trainable_params()

    def forward(*xs):
        outs = _as_tuple(cell(*xs))
        cot = cots([o.shape for o in outs])
        loss = (outs[0] * ms.Tensor(cot[0])).sum()
        for o, c in zip(outs[1:], cot[1:]):
            loss = loss + (o * ms.Tensor(c)).sum()
        return loss, outs

    positions = tuple(range(len(inputs)))
    grad_fn = ms.value_and_grad(forward, grad_position=positions, weights=weights or None, has_aux=True)
    (_, outs), grads = grad_fn(*[ms.Tensor(x) for x in inputs])
    input_grads, param_grads = (grads if weights else (grads, ()))
    input_grads = _as_tuple(input_grads)
    values = {f"output.{i}": o.asnumpy().copy() for i, o in enumerate(_as_tuple(outs))}
    for i, g in enumerate(input_grads):
        values[f"grad:input.{i}"] = g.asnumpy().copy()
    for p, g in zip(weights, param_grads):
        values[f"grad:{to_torch[name_of[id(p)]]}"] = g.asnumpy().copy()
    if train:
        running = {n.mindspore for n in names if n.rule.role == RUNNING_STAT}
        for name, p in held.items():
            if name in running:
                values[f"running:{to_torch[name]}"] = p.asnumpy().copy()
    return values


def check_layer(arch: Architecture, path: str, state: Mapping[str, np.ndarray], inputs: Sequence[np.ndarray],
                train: bool) -> List[Check]:
    """Run the layer at ``path`` alone in all three (torch fp32, torch fp64, MindSpore) and compare every quantity.

    ``state`` is the whole model's torch-named state; ``inputs`` what the layer receives in the whole model.
    """
    from jcrnet_spec import torch_state_at

    node = arch.node(path)
    n_in, n_out = io_arity(node)
    if len(inputs) != n_in:
        raise ValueError(f"{path}: {node.kind} takes {n_in} inputs by the spec, got {len(inputs)}")
    state_at = torch_state_at(state, arch, path)
    state32 = {k: (v.astype(np.float32) if v.dtype.kind == "f" else v) for k, v in state_at.items()}
    cots = Cotangents(path)
    reference = run_torch(arch, path, state32, inputs, cots, train)
    oracle = run_torch(arch, path, state32, inputs, cots, train, dtype=torch.float64)
    ported = run_mindspore(arch, path, state32, inputs, cots, train)
    if sorted(ported) != sorted(reference):
        raise ValueError(f"{path}: MindSpore gives {sorted(ported)}, torch {sorted(reference)}")
    n_outputs = sum(name.startswith("output") for name in reference)
    if n_outputs != n_out:
        raise ValueError(f"{path}: {node.kind} returns {n_out} outputs by the spec, torch gave {n_outputs}")
    checks = []
    for name in reference:
        quantity = quantity_of(name)
        kind, scale = node.kind, float(np.abs(oracle[name]).max(initial=0.0))
        if quantity in (PARAM_GRAD, RUNNING):
            # Judged as a quantity of the leaf layer that holds it, at the size of that layer's gradients (a bias whose
            # exact gradient vanishes, before a train-mode BatchNorm, keeps the round-off of its layer's).
            leaf_path, prefix = _holder(path, name), name.split(":")[0]
            kind = arch.node(leaf_path).kind
            siblings = [k for k in oracle if k.startswith(prefix + ":") and _holder(path, k) == leaf_path]
            scale = max(float(np.abs(oracle[k]).max(initial=0.0)) for k in siblings)
        checks.append(Check(path, kind, name, diff(reference[name], ported[name]), diff(oracle[name], reference[name]),
                            diff(oracle[name], ported[name]), budget_for(kind, quantity, (node.kind, train)), scale))
    return checks


def _holder(path: str, name: str) -> str:
    """Spec path of the leaf that holds parameter ``grad:<local name>`` / ``running:<local name>`` of ``path``."""
    local = name.split(":", 1)[1].rsplit(".", 1)
    return ".".join(p for p in (path, local[0] if len(local) == 2 else "") if p)
