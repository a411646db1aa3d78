"""One backend measured in its own process (so its peak RSS is its own): one warm-up, then the median of the timed
repeats, printed as one JSON line. ``torch-train`` and ``mindspore-train`` time one training step of the recipe
(forward of batch 1 at the size, the loss on both outputs, backward, Adam)."""

from __future__ import annotations

import json
import os
import tempfile
import time
from typing import Callable

INFERENCE = ("torch-eager", "torch-compile", "mindspore-pynative", "mindspore-graph", "onnxruntime")
TRAINING = ("torch-train", "mindspore-train")
BACKENDS = INFERENCE + TRAINING
#: A training step's FLOPs as a multiple of one forward pass's.
TRAIN_STEP_FLOPS = 3.0
DEFAULT_SIZES = "256x256,400x600"


def _runner(backend: str, preset: str, shape, device) -> Callable[[], None]:
    """A zero-argument function running one forward pass of ``backend`` on a seeded batch of ``shape`` and
    returning its output on the host (so asynchronous execution is included in the time)."""
    import numpy as np
    import torch

    from jcrnet_kit.images.sample import seeded_input

    if backend in TRAINING:
        return _train_step(backend, preset, shape, device)
    x = seeded_input(shape)  # torch and onnxruntime workers never import MindSpore (nor its oneDNN setting)
    if backend.startswith("torch") or backend == "onnxruntime":
        import torch_reference
        from jcrnet_spec import architecture, seeded_weights

        model = torch_reference.build_jcrnet(preset, weights=seeded_weights(architecture(preset), 0)).eval()
        if backend in ("torch-eager", "torch-compile"):
            module, tx = (model if backend == "torch-eager" else torch.compile(model)), torch.from_numpy(x)
            return lambda: module(tx)[0].detach().numpy()
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
    """One Adam step of the recipe on a seeded (input, target) batch; returns the loss (synchronised)."""
    from jcrnet_kit.images.sample import seeded_input
    from jcrnet_spec import architecture, seeded_weights
    from jcrnet_spec import recipe

    x, y = seeded_input(shape, seed=1), seeded_input(shape, seed=2)
    state = seeded_weights(architecture(preset), 0)
    if backend == "torch-train":  # plain torch: this worker must not import MindSpore
        import torch

        import torch_reference
        from torch_reference.loss import jcrnet_loss

        model = torch_reference.build_jcrnet(preset, weights=state).train()
        opt = torch.optim.Adam(model.parameters(), lr=recipe.ADAM_LR, betas=recipe.ADAM_BETAS, eps=recipe.ADAM_EPS)
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def step() -> float:
            opt.zero_grad(set_to_none=True)
            loss = jcrnet_loss(model(tx), ty)
            loss.backward()
            opt.step()
            return float(loss)

        return step
    import itertools

    from jcrnet_kit.train.mindspore_trainer import MindSporeTrainer

    trainer = MindSporeTrainer(preset, state, device or "CPU", 1, "graph", [recipe.ADAM_LR] * 10_000)
    steps = itertools.count(1)
    return lambda: trainer.step(next(steps), recipe.ADAM_LR, [(x, y)])


def worker(backend: str, size: str, preset: str, repeats: int, device) -> int:
    """Measure one backend at one size in this process; print one JSON line."""
    import resource

    import torch

    from jcrnet_kit.images.sample import parse_size

    torch.set_grad_enabled(backend in TRAINING)
    h, w = parse_size(size)
    forward = _runner(backend, preset, (1, 3, h, w), device)
    started = time.perf_counter()
    forward()  # warm-up: compilation, allocation, kernel selection
    warmup = time.perf_counter() - started
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        forward()
        times.append(time.perf_counter() - started)
    times.sort()
    print(json.dumps({"backend": backend, "size": size, "median_s": times[len(times) // 2], "min_s": times[0],
                      "warmup_s": warmup, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    return 0


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
