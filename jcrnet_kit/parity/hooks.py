"""Record what every spec layer of a whole model takes and returns, in either framework, keyed by spec path.

A shared layer is one module reachable from several paths; each call is attributed to the path whose parent is the
innermost layer being called at that moment, so ``phi_0.body.1`` and ``phit_6.body.1`` get their own calls although
they are one module. Hooks are framework calls (torch ``register_forward_pre_hook`` / ``register_forward_hook``,
MindSpore's methods of the same names, PyNative only); everything else here is plain Python.
"""

from __future__ import annotations

from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from jcrnet_spec import Architecture
from jcrnet_spec.dataflow import layers

ToNumpy = Callable[[object], np.ndarray]
#: What one record holds for a path: ("inputs" | "outputs") -> tensors as arrays (first call of the path only).
Record = Dict[str, Tuple[np.ndarray, ...]]


class LayerRecorder:
    """Attach with ``attach(model, module_at, to_numpy)``, run the model, read ``records``, then ``detach()``.

    ``on_output(path, arrays)``, if given, is called for each path's first output instead of storing it (so a caller
    can reduce large activations at once); inputs are stored only with ``keep_inputs``.
    """

    def __init__(self, arch: Architecture, keep_inputs: bool = False, keep_outputs: bool = True,
                 on_output: Optional[Callable[[str, Tuple[np.ndarray, ...]], None]] = None):
        self.paths = [path for path, _ in layers(arch)]
        self.keep_inputs, self.keep_outputs, self.on_output = keep_inputs, keep_outputs, on_output
        self.records: Dict[str, Record] = {}
        self.order: List[str] = []  # paths in the order their calls began
        self.completed: List[str] = []  # paths in the order their first calls returned (execution order of outputs)
        self._stack: List[str] = []
        self._returned: set = set()
        self._handles: List[object] = []

    def attach(self, model, module_at: Callable[[object, str], object], to_numpy: ToNumpy) -> LayerRecorder:
        paths_of: Dict[int, List[str]] = {}
        modules = {}
        for path in self.paths:
            module = module_at(model, path)
            paths_of.setdefault(id(module), []).append(path)
            modules[id(module)] = module
        for key, module in modules.items():
            candidates = paths_of[key]
            self._handles.append(module.register_forward_pre_hook(self._pre_hook(candidates, to_numpy)))
            self._handles.append(module.register_forward_hook(self._post_hook(to_numpy)))
        return self

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _resolve(self, candidates: Sequence[str]) -> str:
        if len(candidates) == 1:
            return candidates[0]
        parent = self._stack[-1] if self._stack else ""
        inside = [p for p in candidates if p.startswith(parent + ".")] if parent else list(candidates)
        if len(inside) != 1:
            raise RuntimeError(f"cannot tell which of {candidates} is called inside {parent!r}")
        return inside[0]

    def _pre_hook(self, candidates: Sequence[str], to_numpy: ToNumpy):
        def hook(module, args):
            path = self._resolve(candidates)
            self._stack.append(path)
            if path not in self.records:
                self.order.append(path)
                self.records[path] = {}
                if self.keep_inputs:
                    self.records[path]["inputs"] = tuple(to_numpy(a) for a in args)
        return hook

    def _post_hook(self, to_numpy: ToNumpy):
        def hook(module, args, output):
            path = self._stack.pop()
            if path in self._returned:
                return None
            self._returned.add(path)
            self.completed.append(path)
            outputs = tuple(to_numpy(o) for o in (output if isinstance(output, (tuple, list)) else (output,)))
            if self.on_output is not None:
                self.on_output(path, outputs)
            if self.keep_outputs:
                self.records[path]["outputs"] = outputs
            return None
        return hook


def torch_to_numpy(tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy().copy()


def mindspore_to_numpy(tensor) -> np.ndarray:
    return tensor.asnumpy().copy()


def record_torch(arch: Architecture, model, x: np.ndarray, **options) -> LayerRecorder:
    """Run the torch ``model`` once on ``x`` (no grad) with every spec layer recorded."""
    import torch

    from torch_reference.introspect import module_at

    recorder = LayerRecorder(arch, **options).attach(model, module_at, torch_to_numpy)
    try:
        with torch.no_grad():
            model(torch.from_numpy(x))
    finally:
        recorder.detach()
    return recorder


def record_mindspore(arch: Architecture, net, x: np.ndarray, **options) -> LayerRecorder:
    """Run the MindSpore ``net`` once on ``x`` in PyNative mode (hooks need it) with every spec layer recorded."""
    import mindspore as ms

    from mindspore_impl.compat import mode
    from mindspore_impl.introspect import module_at

    recorder = LayerRecorder(arch, **options).attach(net, module_at, mindspore_to_numpy)
    try:
        with mode("pynative"):
            net(ms.Tensor(x))
    finally:
        recorder.detach()
    return recorder
