"""Both implementations holding one set of weights, and running them on one input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Optional, Tuple

import numpy as np
import torch  # noqa: F401  (torch is imported before MindSpore in every process)

import mindspore as ms
import mindspore_impl
import torch_reference
from jcrnet_kit.sample import seeded_input  # noqa: F401  (re-exported)
from jcrnet_spec import architecture, seeded_weights, torch_to_mindspore


@dataclass
class ModelPair:
    preset: str
    torch_model: torch.nn.Module
    ms_net: mindspore_impl.JCRNet
    torch_state: Dict[str, np.ndarray]

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


def build_pair(preset: str = "published", torch_state: Optional[Mapping[str, np.ndarray]] = None,
               seed: int = 0) -> ModelPair:
    """Both models in eval mode with the same weights: ``torch_state`` (torch naming) or seeded ones."""
    arch = architecture(preset)
    state = dict(torch_state) if torch_state is not None else seeded_weights(arch, seed)
    torch_model = torch_reference.load_numpy_state(torch_reference.build_jcrnet(preset), state, preset).eval()
    ms_net = mindspore_impl.load_numpy_params(mindspore_impl.build_jcrnet(preset), torch_to_mindspore(state, arch),
                                              preset)
    ms_net.set_train(False)
    return ModelPair(preset, torch_model, ms_net, state)
