"""Families of weights and inputs nobody tuned a budget on, for ``jcrnet verify --sweep`` and ``jcrnet mutants
--sweep``: a verdict must hold on all of them, and a porting bug must show on every family it can show on.

Weights (torch naming, float32, drawn from a seed):
- ``seeded``: ``jcrnet_spec.seeded_weights`` (torch's default init, norms and slopes near their defaults);
- ``scaled``: seeded, every conv / linear weight and bias scaled by 0.25 to 4;
- ``shipped``: the trained weights shipped with the kit (preset ``published`` only);
- ``bn_stats``: seeded with BatchNorm running means far from 0 and variances far from 1;
- ``prelu_slopes``: seeded with PReLU slopes negative or above 1;
- ``edge_on``: seeded with the illumination net's ``conv15`` made positive, so the edge map, ``CondNet`` and the SFT
  condition convs are exercised (with the other families ``conv15`` is mostly negative and that branch outputs 0).

Inputs (N x 3 x H x W in [0, 1]): ``dark``, ``bright``, ``noise``, ``flat``, ``saturated`` (clipped at 0 and 1) and
``photo`` (a photo scikit-image ships, darkened).
"""

from __future__ import annotations

from typing import Callable, Dict, Tuple

import numpy as np

from jcrnet_spec import Architecture, param_table, seeded_weights
from jcrnet_spec.layers import RUNNING_STAT, TRAINABLE

WeightsMaker = Callable[[Architecture, int], Dict[str, np.ndarray]]
InputMaker = Callable[[Tuple[int, int, int, int], int], np.ndarray]


def _entries(arch: Architecture, kinds: Tuple[str, ...], role: str):
    return [e for e in param_table(arch) if e.kind in kinds and e.role == role]


def _set(state: Dict[str, np.ndarray], entry, value: np.ndarray) -> None:
    for key in entry.torch_keys:  # a shared layer: every copy
        state[key] = value.astype(np.float32)


def seeded(arch: Architecture, seed: int) -> Dict[str, np.ndarray]:
    return seeded_weights(arch, seed)


def scaled(arch: Architecture, seed: int) -> Dict[str, np.ndarray]:
    state = seeded_weights(arch, seed)
    factor = float(np.random.default_rng(seed).choice([0.25, 0.5, 2.0, 4.0]))
    for entry in _entries(arch, ("Conv2d", "ConvTranspose2d", "Linear"), TRAINABLE):
        _set(state, entry, state[entry.torch_keys[0]] * factor)
    return state


def shipped(arch: Architecture, seed: int) -> Dict[str, np.ndarray]:
    from convert.weights import weights_for_model
    from jcrnet_kit.shipped import default_weights

    return weights_for_model(default_weights(), "torch", arch.preset.name).tensors


def bn_stats(arch: Architecture, seed: int) -> Dict[str, np.ndarray]:
    state = seeded_weights(arch, seed)
    rng = np.random.default_rng(seed + 1000)
    for entry in _entries(arch, ("BatchNorm2d",), RUNNING_STAT):
        if entry.rule.torch == "running_mean":
            _set(state, entry, rng.normal(0.0, 1.0, entry.shape))
        else:
            _set(state, entry, np.exp(rng.uniform(np.log(0.05), np.log(20.0), entry.shape)))
    return state


def prelu_slopes(arch: Architecture, seed: int) -> Dict[str, np.ndarray]:
    state = seeded_weights(arch, seed)
    rng = np.random.default_rng(seed + 2000)
    for entry in _entries(arch, ("PReLU",), TRAINABLE):
        side = rng.choice([-1.0, 1.0])
        value = rng.uniform(-0.8, -0.1, entry.shape) if side < 0 else rng.uniform(1.2, 3.0, entry.shape)
        _set(state, entry, value)
    return state


def edge_on(arch: Architecture, seed: int) -> Dict[str, np.ndarray]:
    state = seeded_weights(arch, seed)
    (entry,) = [e for e in param_table(arch) if e.layer == "illum.conv15" and e.rule.torch == "weight"]
    _set(state, entry, np.abs(state[entry.torch_keys[0]]))
    return state


WEIGHTS: Dict[str, WeightsMaker] = {
    "seeded": seeded, "scaled": scaled, "shipped": shipped, "bn_stats": bn_stats, "prelu_slopes": prelu_slopes,
    "edge_on": edge_on,
}
#: Families that exist for one preset only.
WEIGHTS_PRESETS = {"shipped": ("published",)}


def dark(shape, seed: int) -> np.ndarray:
    return (np.random.default_rng(seed).random(shape) * 0.12).astype(np.float32)


def bright(shape, seed: int) -> np.ndarray:
    return (0.75 + np.random.default_rng(seed).random(shape) * 0.25).astype(np.float32)


def noise(shape, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def flat(shape, seed: int) -> np.ndarray:
    return np.full(shape, np.float32(np.random.default_rng(seed).uniform(0.05, 0.9)), np.float32)


def saturated(shape, seed: int) -> np.ndarray:
    return np.clip(np.random.default_rng(seed).normal(0.5, 0.6, shape), 0.0, 1.0).astype(np.float32)


def photo(shape, seed: int) -> np.ndarray:
    from jcrnet_kit.images.sample import low_light_sample

    n, _, h, w = shape
    gains = np.linspace(1.0, 0.6, n, dtype=np.float32)  # the batch's images differ
    return np.ascontiguousarray(low_light_sample((h, w))[0][None] * gains[:, None, None, None])


INPUTS: Dict[str, InputMaker] = {
    "dark": dark, "bright": bright, "noise": noise, "flat": flat, "saturated": saturated, "photo": photo,
}
