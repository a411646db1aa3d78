"""Per-layer parity: one spec layer built alone in torch fp32, torch fp64 (the oracle) and MindSpore fp32, fed one
input, checked on its outputs, the gradients of its inputs and of every parameter, and (train mode) its running
statistics after the step.

Inputs are what the layer receives inside the whole torch model on a seeded batch (recorded by ``hooks``), so every
layer sees realistic shapes and statistics; gradients are of ``sum(output * cotangent)`` with a seeded cotangent
per output. Names of gradients are torch's, relative to the layer; MindSpore's are mapped through the spec.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from jcrnet_kit.parity.checks import Check
from jcrnet_kit.parity import kinks
from jcrnet_kit.parity.compare import diff, with_sensitivity
from jcrnet_kit.parity.tolerances import budget_for
from jcrnet_spec import Architecture, assemble_at, local_names, torch_to_mindspore_at
from jcrnet_spec.dataflow import io_arity, layers
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
              cots: Cotangents, train: bool, dtype: str = "float32",
              around: Optional[Callable] = None) -> Dict[str, np.ndarray]:
    """Outputs, gradients and (train mode) running statistics of the torch layer at ``path``, built alone, in
    ``dtype`` ("float32" or "float64"); ``around(module)``, if given, is a context manager the run happens in (hooks
    on the layers inside the block)."""
    import contextlib

    import torch

    import torch_reference.blocks
    import torch_reference.layers

    dtype = getattr(torch, dtype)
    module = assemble_at(arch, path, torch_reference.layers.make_leaf, torch_reference.blocks.make_block)
    module.load_state_dict({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state_at.items()}, strict=True)
    module = module.to(dtype).train(train)
    xs = [torch.from_numpy(x).to(dtype).requires_grad_(True) for x in inputs]
    with around(module) if around else contextlib.nullcontext():
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


@dataclass
class Quantity:
    """One checked quantity of a layer on the torch side: fp32 value, fp64 value and the scale it is judged at (max
    |fp64| of the leaf that holds it, for parameters), all flattened; ``index``, when set, says which elements a
    reference file kept (the rest were sampled away)."""

    torch32: np.ndarray
    fp64: np.ndarray
    scale: float
    shape: Tuple[int, ...]
    index: Optional[np.ndarray] = None
    sensitivity: float = 0.0  # kink sensitivity of the fp64 value (``jcrnet_kit.parity.kinks``)

    def pick(self, full: np.ndarray) -> np.ndarray:
        """The elements of a full-size value (MindSpore's) that this quantity holds."""
        flat = np.asarray(full).reshape(-1)
        return flat if self.index is None else flat[self.index]


@dataclass
class LayerReference:
    """The torch side of one per-layer check: the layer's inputs (as the whole model feeds it) and every quantity."""

    path: str
    train: bool
    inputs: Tuple[np.ndarray, ...]
    quantities: Dict[str, Quantity]


def sublayers(arch: Architecture, path: str, module) -> Dict[str, object]:
    """The torch modules of the layers a block at ``path`` calls, built alone as ``module``, by spec path."""
    from torch_reference.introspect import module_at

    return {p: module_at(module, p[len(path) + 1:]) for p, _ in layers(arch) if p.startswith(path + ".")}


def _state32(arch: Architecture, path: str, state: Mapping[str, np.ndarray]) -> Dict[str, np.ndarray]:
    from jcrnet_spec import torch_state_at

    return {k: (v.astype(np.float32) if v.dtype.kind == "f" else v)
            for k, v in torch_state_at(state, arch, path).items()}


def torch_layer_reference(arch: Architecture, path: str, state: Mapping[str, np.ndarray],
                          inputs: Sequence[np.ndarray], train: bool) -> LayerReference:
    """Run the layer at ``path`` alone in torch fp32 and fp64 on ``inputs`` (what it receives in the whole model).

    ``state`` is the whole model's torch-named state."""
    node = arch.node(path)
    n_in, n_out = io_arity(node)
    if len(inputs) != n_in:
        raise ValueError(f"{path}: {node.kind} takes {n_in} inputs by the spec, got {len(inputs)}")
    state32, cots = _state32(arch, path, state), Cotangents(path)
    inner32: Dict[str, list] = {}
    inner64: Dict[str, list] = {}
    reference = run_torch(arch, path, state32, inputs, cots, train,
                          around=lambda m: kinks.recorded(sublayers(arch, path, m), inner32))
    oracle = run_torch(arch, path, state32, inputs, cots, train, dtype="float64",
                       around=lambda m: kinks.recorded(sublayers(arch, path, m), inner64))
    sensitivity = kinks.sensitivity(
        lambda elements: run_torch(arch, path, state32, inputs, cots, train, dtype="float64",
                                   around=lambda m: kinks.flipped(sublayers(arch, path, m), elements)),
        oracle, kinks.near_elements(inner32, inner64))
    n_outputs = sum(name.startswith("output") for name in reference)
    if n_outputs != n_out:
        raise ValueError(f"{path}: {node.kind} returns {n_out} outputs by the spec, torch gave {n_outputs}")
    quantities = {}
    for name in reference:
        scale = float(np.abs(oracle[name]).max(initial=0.0))
        if quantity_of(name) in (PARAM_GRAD, RUNNING):
            # Judged at the size of the gradients of the leaf that holds it (a bias whose exact gradient vanishes,
            # before a train-mode BatchNorm, keeps the round-off of its layer's).
            leaf_path, prefix = _holder(path, name), name.split(":")[0]
            scale = max(float(np.abs(oracle[k]).max(initial=0.0)) for k in oracle
                        if k.startswith(prefix + ":") and _holder(path, k) == leaf_path)
        quantities[name] = Quantity(reference[name].reshape(-1), oracle[name].reshape(-1), scale,
                                    tuple(reference[name].shape), sensitivity=sensitivity[name])
    return LayerReference(path, train, tuple(inputs), quantities)


def mindspore_layer_values(arch: Architecture, path: str, state: Mapping[str, np.ndarray], ref: LayerReference
                           ) -> Dict[str, np.ndarray]:
    """The MindSpore layer at ``path`` alone on the reference's inputs: the same quantities, named as torch names."""
    return run_mindspore(arch, path, _state32(arch, path, state), ref.inputs, Cotangents(path), ref.train)


def judge_layer(arch: Architecture, ref: LayerReference, ported: Mapping[str, np.ndarray]) -> List[Check]:
    """One ``Check`` per quantity of the layer, in the torch order."""
    node = arch.node(ref.path)
    if sorted(ported) != sorted(ref.quantities):
        raise ValueError(f"{ref.path}: MindSpore gives {sorted(ported)}, torch {sorted(ref.quantities)}")
    checks = []
    for name, q in ref.quantities.items():
        quantity = quantity_of(name)
        kind = arch.node(_holder(ref.path, name)).kind if quantity in (PARAM_GRAD, RUNNING) else node.kind
        if tuple(np.shape(ported[name])) != q.shape:
            raise ValueError(f"{ref.path} {name}: MindSpore shape {np.shape(ported[name])}, torch {q.shape}")
        mine = q.pick(ported[name])
        checks.append(Check(ref.path, kind, name, diff(q.torch32, mine),
                            with_sensitivity(diff(q.fp64, q.torch32), q.sensitivity), diff(q.fp64, mine),
                            budget_for(kind, quantity), q.scale))
    return checks


def check_layer(arch: Architecture, path: str, state: Mapping[str, np.ndarray], inputs: Sequence[np.ndarray],
                train: bool) -> List[Check]:
    """Run the layer at ``path`` alone in all three (torch fp32, torch fp64, MindSpore) and compare every quantity.

    ``state`` is the whole model's torch-named state; ``inputs`` what the layer receives in the whole model.
    """
    ref = torch_layer_reference(arch, path, state, inputs, train)
    return judge_layer(arch, ref, mindspore_layer_values(arch, path, state, ref))


def _holder(path: str, name: str) -> str:
    """Spec path of the leaf that holds parameter ``grad:<local name>`` / ``running:<local name>`` of ``path``."""
    local = name.split(":", 1)[1].rsplit(".", 1)
    return ".".join(p for p in (path, local[0] if len(local) == 2 else "") if p)
