"""How much round-off can move a result by picking the other side of a kink.

A ReLU (or LeakyReLU, PReLU) passes its gradient or not depending on the sign of its input. An element whose exact
(fp64) value lies within fp32 round-off of 0 takes either side in an fp32 run, in either framework, and that one
element changes every gradient behind it by its full contribution; train-mode BatchNorm centres channels at 0, so
there such elements are common. Measured: with one set of weights and one batch, MindSpore flipped one element of
``illum.bn3`` (|fp64| 3.9e-8 at scale 7) and torch one of ``illum.bn5``; the whole-model gradients then differed by
up to 0.5% of scale while each framework was otherwise within 1e-6 of fp64.

So the fp64 run is repeated with elements near a kink moved to the other side of 0 (value negated, gradient passed
through unchanged): an element is near when |fp64| < ``FLIP_REACH`` x the largest |torch fp32 - fp64| of its layer,
at any spec layer's output. Either framework may flip any subset of them, so a result's kink sensitivity is the sum
over near elements of what flipping each one alone does to it (one fp64 run each, up to ``MAX_SINGLE_FLIPS``; past
that, ``SPREAD`` times what flipping all of them does). A correct port may differ from torch by that much; a porting
bug differs by far more. Only the torch side is needed, so a reference file carries it.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

#: An element is within round-off of a kink when |fp64| < FLIP_REACH x its layer's max |torch fp32 - fp64|: MindSpore's
#: fp32 error at a layer measured up to ~2x torch's.
FLIP_REACH = 4.0
#: Near-kink elements flipped one at a time (one fp64 run each); above this, all at once.
MAX_SINGLE_FLIPS = 24
#: With all near elements flipped at once, effects of opposite sign cancel: the sensitivity is taken as this multiple.
SPREAD = 4.0

Element = Tuple[str, int]  # (layer path, index into its outputs flattened and concatenated)


def _flat(outputs: Sequence) -> np.ndarray:
    return np.concatenate([np.asarray(o).ravel() for o in outputs])


def near_elements(fp32: Dict[str, Sequence[np.ndarray]], fp64: Dict[str, Sequence[np.ndarray]]) -> List[Element]:
    """Every layer output element whose fp64 value is within round-off of 0 (see ``FLIP_REACH``)."""
    found = []
    for path, exact in fp64.items():
        f = _flat(exact)
        with np.errstate(invalid="ignore"):
            error = np.abs(_flat(fp32[path]).astype(np.float64) - f)
        reach = FLIP_REACH * float(error[np.isfinite(error)].max(initial=0.0))
        found += [(path, int(i)) for i in np.flatnonzero(np.abs(f) < reach)]
    return found


@contextlib.contextmanager
def flipped(modules: Dict[str, object], elements: Sequence[Element]) -> Iterator[None]:
    """Inside the block, the named output elements of the hooked torch modules are negated (value only: the gradient
    through them is unchanged). ``modules``: path -> module (a shared module: each of its paths, first call only)."""
    import torch

    wanted: Dict[str, List[int]] = {}
    for path, index in elements:
        wanted.setdefault(path, []).append(index)
    handles, done = [], set()

    def hook_for(paths):
        def hook(module, args, output):
            indices = [i for p in paths for i in wanted.get(p, [])]
            if not indices or id(module) in done:
                return None
            done.add(id(module))
            outputs = list(output) if isinstance(output, (tuple, list)) else [output]
            sizes = np.cumsum([0] + [o.numel() for o in outputs])
            for k, tensor in enumerate(outputs):
                local = [i - sizes[k] for i in indices if sizes[k] <= i < sizes[k + 1]]
                if local:
                    mask = torch.zeros(tensor.numel(), dtype=torch.bool, device=tensor.device)
                    mask[local] = True
                    shift = torch.where(mask.view(tensor.shape), -2.0 * tensor, torch.zeros_like(tensor)).detach()
                    outputs[k] = tensor + shift
            return type(output)(outputs) if isinstance(output, (tuple, list)) else outputs[0]
        return hook

    by_module: Dict[int, Tuple[object, List[str]]] = {}
    for path, module in modules.items():
        by_module.setdefault(id(module), (module, []))[1].append(path)
    for module, paths in by_module.values():
        if any(p in wanted for p in paths):
            handles.append(module.register_forward_hook(hook_for(paths)))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextlib.contextmanager
def recorded(modules: Dict[str, object], into: Dict[str, list]) -> Iterator[None]:
    """Inside the block, each hooked module's first output is copied into ``into[path]`` (NumPy) for each of its
    paths."""
    by_module: Dict[int, Tuple[object, List[str]]] = {}
    for path, module in modules.items():
        by_module.setdefault(id(module), (module, []))[1].append(path)

    def hook_for(paths):
        def hook(module, args, output):
            outputs = output if isinstance(output, (tuple, list)) else (output,)
            for path in paths:
                into.setdefault(path, [o.detach().cpu().numpy().copy() for o in outputs])
        return hook

    handles = [module.register_forward_hook(hook_for(paths)) for module, paths in by_module.values()]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def sensitivity(run: Callable[[Optional[Sequence[Element]]], Dict[str, np.ndarray]], exact: Dict[str, np.ndarray],
                elements: Sequence[Element]) -> Dict[str, float]:
    """Per result name, how far flipping near-kink ``elements`` can move it: ``run(elements)`` is the fp64 computation
    with those elements flipped (``flipped``), ``exact`` its result without."""
    total = {name: 0.0 for name in exact}
    if not elements:
        return total
    groups = [[e] for e in elements] if len(elements) <= MAX_SINGLE_FLIPS else [list(elements)]
    scale = 1.0 if len(elements) <= MAX_SINGLE_FLIPS else SPREAD
    for group in groups:
        moved = run(group)
        for name, value in exact.items():
            total[name] += scale * float(np.max(np.abs(np.asarray(moved[name]) - value), initial=0.0))
    return total
