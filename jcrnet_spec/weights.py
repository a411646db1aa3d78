"""Seeded weights in torch naming, drawn with NumPy so that both frameworks start from the same numbers."""

from __future__ import annotations

from typing import Dict

import numpy as np

from jcrnet_spec.architecture import Architecture
from jcrnet_spec.layers import MINDSPORE_ONLY_STAT, RUNNING_STAT, TORCH_ONLY_COUNTER
from jcrnet_spec.naming import param_table, torch_keys


def _fan_in(kind: str, shape) -> int:
    if kind == "ConvTranspose2d":  # torch computes fan-in from dim 1 of (in, out, kH, kW)
        return int(shape[1] * np.prod(shape[2:]))
    return int(np.prod(shape[1:]))


def seeded_weights(arch: Architecture, seed: int = 0) -> Dict[str, np.ndarray]:
    """A full torch-named state of float32 weights for ``arch``, the same for the same seed on every machine.

    Convolution and linear weights follow torch's default init (uniform, bound 1/sqrt(fan_in)); biases use the
    fan-in of their weight; norms, running statistics and PReLU slopes are drawn near their defaults, so eval-mode
    BatchNorm and shared slopes are exercised rather than left at identity values.
    """
    rng = np.random.default_rng(seed)
    state: Dict[str, np.ndarray] = {}
    weight_shapes = {}
    for entry in param_table(arch):
        name, shape, kind = entry.rule.torch, entry.shape, entry.kind
        if entry.role == MINDSPORE_ONLY_STAT:
            continue
        if entry.role == TORCH_ONLY_COUNTER:
            value = np.zeros(shape, dtype=np.int64)
        elif entry.role == RUNNING_STAT:
            value = rng.uniform(-0.1, 0.1, shape) if name == "running_mean" else rng.uniform(0.5, 1.5, shape)
        elif kind in ("Conv2d", "ConvTranspose2d", "Linear"):
            if name == "weight":
                weight_shapes[entry.layer] = shape
            bound = 1.0 / np.sqrt(_fan_in(kind, weight_shapes[entry.layer]))
            value = rng.uniform(-bound, bound, shape)
        elif kind in ("BatchNorm2d", "InstanceNorm2d"):
            value = rng.uniform(0.5, 1.5, shape) if name == "weight" else rng.uniform(-0.1, 0.1, shape)
        elif kind == "PReLU":
            value = arch.node(entry.layer).init + rng.uniform(-0.1, 0.1, shape)
        elif kind == "StepSize":
            value = np.full(shape, arch.node(entry.layer).value)
        else:
            raise TypeError(f"no initialiser for {kind}")
        if entry.role != TORCH_ONLY_COUNTER:
            value = value.astype(np.float32)
        for key in entry.torch_keys:
            state[key] = value
    return {key: state[key] for key, _ in torch_keys(arch)}
