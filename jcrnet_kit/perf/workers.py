"""One backend at one size, measured in its own long-lived process (so its peak RSS is its own): it builds the model,
then runs one pass per ``run`` line read from stdin and answers each with one JSON line on stdout (wall and CPU
seconds, peak RSS), until stdin closes. The bench sends every worker of a group one ``run`` in turn, so the
backends' repeats interleave and load that comes and goes on a shared machine lands on all of them.

``torch-train``, ``mindspore-train`` and ``mindspore-train-stock`` time one training step of the recipe (forward of
batch 1 at the size, the loss on both outputs, backward, Adam); ``mindspore-train`` builds the convolutions the way
``jcrnet train`` does by default (``mindspore_impl.layers.conv_backward``), ``mindspore-train-stock`` with MindSpore's
own convolution backward (``JCRNET_MS_CONV=stock``)."""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from typing import Callable, Optional

INFERENCE = ("torch-eager", "torch-compile", "mindspore-pynative", "mindspore-graph", "onnxruntime")
TRAINING = ("torch-train", "mindspore-train", "mindspore-train-stock")
BACKENDS = INFERENCE + TRAINING
#: What a plain ``jcrnet bench`` runs: every backend but the stock-backward MindSpore step (12.7 GB at 256x256).
DEFAULT_BACKENDS = tuple(b for b in BACKENDS if b != "mindspore-train-stock")
#: The backend each task's ratios are taken against.
BASELINES = {"inference": "torch-eager", "train-step": "torch-train"}
#: A training step's FLOPs as a multiple of one forward pass's.
TRAIN_STEP_FLOPS = 3.0
DEFAULT_SIZES = "256x256,400x600"


def task(backend: str) -> str:
    return "train-step" if backend in TRAINING else "inference"


def _torch_device(device: Optional[str]) -> str:
    return "cuda" if (device or "CPU").upper() == "GPU" else "cpu"


def _runner(backend: str, preset: str, shape, device) -> Callable[[], None]:
    """A zero-argument function running one forward pass of ``backend`` on a seeded batch of ``shape`` and
    returning its output on the host (so asynchronous execution is included in the time)."""
    import numpy as np

    from jcrnet_kit.images.sample import seeded_input

    if backend in TRAINING:
        return _train_step(backend, preset, shape, device)
    x = seeded_input(shape)  # torch and onnxruntime workers never import MindSpore (nor its oneDNN setting)
    if backend.startswith("torch") or backend == "onnxruntime":
        import torch

        import torch_reference

        torch.set_grad_enabled(False)
        from jcrnet_spec import architecture, seeded_weights

        model = torch_reference.build_jcrnet(preset, weights=seeded_weights(architecture(preset), 0)).eval()
        if backend in ("torch-eager", "torch-compile"):
            on = _torch_device(device)
            model = model.to(on)
            module, tx = (model if backend == "torch-eager" else torch.compile(model)), torch.from_numpy(x).to(on)
            return lambda: module(tx)[0].detach().cpu().numpy()
        import onnxruntime

        path = os.path.join(tempfile.mkdtemp(), "jcrnet.onnx")
        torch.onnx.export(model, (torch.from_numpy(x),), path, input_names=["image"], dynamo=False, opset_version=17)
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
        return lambda: session.run(None, {"image": x})
    import mindspore as ms

    import mindspore_impl
    from jcrnet_spec import architecture, seeded_weights

    mindspore_impl.configure(device=device, mode=backend.split("-")[1])
    net = mindspore_impl.build_jcrnet(preset, weights=seeded_weights(architecture(preset), 0))
    net.set_train(False)
    tensor = ms.Tensor(np.ascontiguousarray(x))
    return lambda: net(tensor)[0].asnumpy()


def _train_step(backend: str, preset: str, shape, device) -> Callable[[], float]:
    """One Adam step of the recipe (``jcrnet_kit.train.optim``: the optimiser and its per-step learning rate) on a
    seeded (input, target) batch; returns the loss (synchronised)."""
    from jcrnet_kit.images.sample import seeded_input
    from jcrnet_kit.train.optim import constant, torch_adam
    from jcrnet_spec import architecture, seeded_weights
    from jcrnet_spec import recipe

    x, y = seeded_input(shape, seed=1), seeded_input(shape, seed=2)
    state = seeded_weights(architecture(preset), 0)
    if backend == "torch-train":  # plain torch: this worker must not import MindSpore
        import torch

        import torch_reference
        from torch_reference.loss import jcrnet_loss

        on = _torch_device(device)
        model = torch_reference.build_jcrnet(preset, weights=state).to(on).train()
        opt, scheduler = torch_adam(model.parameters(), constant())
        tx, ty = torch.from_numpy(x).to(on), torch.from_numpy(y).to(on)

        def step() -> float:
            opt.zero_grad(set_to_none=True)
            loss = jcrnet_loss(model(tx), ty)
            loss.backward()
            opt.step()
            scheduler.step()
            return float(loss)

        return step
    import itertools

    from jcrnet_kit.train.mindspore_trainer import MindSporeTrainer

    conv = "stock" if backend == "mindspore-train-stock" else None
    trainer = MindSporeTrainer(preset, state, device or "CPU", 1, "graph", constant(), conv=conv)
    steps = itertools.count(1)
    return lambda: trainer.step(next(steps), recipe.ADAM_LR, [(x, y)])


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process, all its threads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(backend: str, size: str, preset: str, device) -> int:
    """Serve ``backend`` at ``size``: one JSON line when built, then one per ``run`` line on stdin, until EOF. A
    worker imports only its own framework (a MindSpore worker never imports torch, whose libraries would add ~200 MB
    to its peak RSS), and says which it imported."""
    from jcrnet_kit.images.sample import parse_size

    out = os.fdopen(os.dup(1), "w")  # only this module's JSON lines reach the bench: anything else printed to
    os.dup2(2, 1)  # stdout, by Python or by a framework's C++ code, goes to stderr
    h, w = parse_size(size)
    started = time.perf_counter()
    forward = _runner(backend, preset, (1, 3, h, w), device)
    _answer(out, {"ready": True, "setup_s": time.perf_counter() - started, "peak_mb": _peak_mb(),
                  "frameworks": [name for name in ("torch", "mindspore", "onnxruntime") if name in sys.modules]})
    for line in sys.stdin:
        if line.strip() != "run":
            continue
        wall, cpu = time.perf_counter(), _cpu_seconds()
        forward()
        _answer(out, {"seconds": time.perf_counter() - wall, "cpu_s": _cpu_seconds() - cpu, "peak_mb": _peak_mb()})
    return 0


def _answer(out, message: dict) -> None:
    out.write(json.dumps(message) + "\n")
    out.flush()


def matmul_peak_gflops(n: int = 2048, repeats: int = 5) -> float:
    """The machine's measured peak: best of ``repeats`` float32 n x n matmuls in torch."""
    import torch

    a, b = torch.rand(n, n), torch.rand(n, n)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2.0 * n ** 3 / best / 1e9


def _timed(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
