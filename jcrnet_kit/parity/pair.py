"""Both implementations holding one set of weights, and running them on one input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import numpy as np
import torch  # noqa: F401  (torch is imported before MindSpore in every process)

import mindspore as ms
import mindspore_impl
import torch_reference
from convert.weights import WeightsSource, weights_for_model
from jcrnet_spec import Architecture, architecture, seeded_weights


@dataclass
class ModelPair:
    arch: Architecture
    torch_model: torch.nn.Module
    ms_net: mindspore_impl.JCRNet
    torch_state: Dict[str, np.ndarray]  # torch naming, float32

    @property
    def preset(self) -> str:
        return self.arch.preset.name

    def run_torch(self, x: np.ndarray) -> Tuple[np.ndarray, ...]:
        with torch.no_grad():
            return tuple(t.numpy() for t in self.torch_model(torch.from_numpy(x)))

    def run_mindspore(self, x: np.ndarray, mode: Optional[str] = None) -> Tuple[np.ndarray, ...]:
        previous = mindspore_impl.get_mode()
        mindspore_impl.set_mode(mode or previous)
        try:
            return tuple(t.asnumpy() for t in self.ms_net(ms.Tensor(x)))
        finally:
            mindspore_impl.set_mode(previous)


def build_pair(preset: Optional[str] = None, weights: Optional[WeightsSource] = None, seed: int = 0) -> ModelPair:
    """Both models in eval mode holding the same weights: ``weights`` (a path, ``convert.Weights`` or a mapping in
    either naming; preset from the weights) or seeded ones of ``preset`` (default ``published``)."""
    if weights is None:
        weights = seeded_weights(architecture(preset or "published"), seed)
    state = weights_for_model(weights, "torch", preset)
    arch = architecture(state.preset)
    torch_model = torch_reference.build_jcrnet(arch, weights=state).eval()
    ms_net = mindspore_impl.build_jcrnet(arch, weights=state)
    ms_net.set_train(False)
    return ModelPair(arch, torch_model, ms_net, state.tensors)
