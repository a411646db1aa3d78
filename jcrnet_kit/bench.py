"""``jcrnet bench``: inference latency, peak memory and achieved GFLOP/s per backend, each backend in its own
process so that peak memory is its own; ratios to torch eager come from the same run.

``torch-train`` and ``mindspore-train`` time one training step of the recipe (forward of batch 1 at the size, the
loss on both outputs, backward, Adam); their GFLOP/s counts a step as 3 forward passes (the usual forward + 2x
backward estimate), and their ratio is to ``torch-train``."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

INFERENCE = ("torch-eager", "torch-compile", "mindspore-pynative", "mindspore-graph", "onnxruntime")
TRAINING = ("torch-train", "mindspore-train")
BACKENDS = INFERENCE + TRAINING
#: A training step's FLOPs as a multiple of one forward pass's.
TRAIN_STEP_FLOPS = 3.0
DEFAULT_SIZES = "256x256,400x600"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("bench", help="inference latency, peak memory and GFLOP/s per backend")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated HxW (default {DEFAULT_SIZES})")
    p.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated, from: " + ", ".join(BACKENDS))
    p.add_argument("--preset", default="published")
    p.add_argument("--repeats", type=int, default=3, help="timed runs after one warm-up (median reported)")
    p.add_argument("--device", default=None, help="MindSpore device: CPU, GPU or Ascend")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--worker", nargs=2, metavar=("BACKEND", "HxW"), help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def _runner(backend: str, preset: str, shape, device) -> Callable[[], None]:
    """A zero-argument function running one forward pass of ``backend`` on a seeded batch of ``shape`` and
    returning its output on the host (so asynchronous execution is included in the time)."""
    import numpy as np
    import torch

    from jcrnet_kit.sample import seeded_input

    if backend in TRAINING:
        return _train_step(backend, preset, shape, device)
    x = seeded_input(shape)  # torch and onnxruntime workers never import MindSpore (nor its oneDNN setting)
    if backend.startswith("torch") or backend == "onnxruntime":
        import torch_reference
        from jcrnet_spec import architecture, seeded_weights

        model = torch_reference.load_numpy_state(torch_reference.build_jcrnet(preset),
                                                 seeded_weights(architecture(preset), 0)).eval()
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
    from jcrnet_kit.pair import build_pair

    mindspore_impl.configure(device=device, mode=backend.split("-")[1])
    net = build_pair(preset).ms_net
    tensor = ms.Tensor(np.ascontiguousarray(x))
    return lambda: net(tensor)[0].asnumpy()


def _train_step(backend: str, preset: str, shape, device) -> Callable[[], float]:
    """One Adam step of the recipe on a seeded (input, target) batch; returns the loss (synchronised)."""
    from jcrnet_kit.sample import seeded_input
    from jcrnet_spec import architecture, seeded_weights
    from jcrnet_spec import training as recipe

    x, y = seeded_input(shape, seed=1), seeded_input(shape, seed=2)
    state = seeded_weights(architecture(preset), 0)
    if backend == "torch-train":  # plain torch: this worker must not import MindSpore
        import torch

        import torch_reference
        from torch_reference.loss import jcrnet_loss

        model = torch_reference.load_numpy_state(torch_reference.build_jcrnet(preset), state).train()
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

    from jcrnet_kit.train import MindSporeTrainer

    trainer = MindSporeTrainer(preset, state, device or "CPU", 1, "graph", [recipe.ADAM_LR] * 10_000)
    steps = itertools.count(1)
    return lambda: trainer.step(next(steps), recipe.ADAM_LR, [(x, y)])


def worker(args: argparse.Namespace) -> int:
    """Measure one backend at one size in this process; print one JSON line."""
    import resource

    import torch

    from jcrnet_kit.sample import parse_size

    backend, size = args.worker
    torch.set_grad_enabled(backend in TRAINING)
    h, w = parse_size(size)
    forward = _runner(backend, args.preset, (1, 3, h, w), args.device)
    started = time.perf_counter()
    forward()  # warm-up: compilation, allocation, kernel selection
    warmup = time.perf_counter() - started
    times = []
    for _ in range(args.repeats):
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


def run(args: argparse.Namespace) -> int:
    if args.worker:
        return worker(args)
    from jcrnet_kit.errors import KitError
    from jcrnet_kit.sample import parse_size
    from jcrnet_spec import architecture
    from jcrnet_spec.flops import forward_flops

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        raise KitError(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in sizes:
        parse_size(size)
    peak = matmul_peak_gflops()
    print(f"jcrnet bench: preset {args.preset}, batch 1, median of {args.repeats} after one warm-up; "
          f"machine peak (torch float32 2048^3 matmul) {peak:.1f} GFLOP/s")
    results: List[Dict] = []
    for size in sizes:
        h, w = parse_size(size)
        flops = forward_flops(architecture(args.preset), h, w)[0]
        for backend in backends:
            row = _measure(backend, size, args)
            if "median_s" in row:
                row["task"] = "train-step" if backend in TRAINING else "inference"
                row["gflops"] = flops * (TRAIN_STEP_FLOPS if backend in TRAINING else 1.0) / row["median_s"] / 1e9
                row["fraction_of_peak"] = row["gflops"] / peak
            results.append(row)
        baselines = {b: next((r for r in results if r["size"] == size and r["backend"] == b and "median_s" in r), None)
                     for b in ("torch-eager", "torch-train")}
        print(f"\n{size} ({flops / 1e9:.1f} GFLOP per forward)")
        print(f"{'backend':<20} {'median s':>9} {'warm-up s':>10} {'peak MB':>9} {'GFLOP/s':>8} {'vs torch':>9}")
        for r in (r for r in results if r["size"] == size):
            if "median_s" not in r:
                print(f"{r['backend']:<20} unavailable: {r['error']}")
                continue
            base = baselines["torch-train" if r["backend"] in TRAINING else "torch-eager"]
            key = "speedup_vs_torch_train" if r["backend"] in TRAINING else "speedup_vs_torch_eager"
            if base:
                r[key] = base["median_s"] / r["median_s"]
            ratio = f"{r[key]:>8.2f}x" if base else f"{'-':>9}"
            print(f"{r['backend']:<20} {r['median_s']:>9.3f} {r['warmup_s']:>10.2f} {r['peak_mb']:>9.0f} "
                  f"{r['gflops']:>8.1f} {ratio}")
    if args.json:
        report = {"preset": args.preset, "machine_peak_gflops": peak, "repeats": args.repeats, "results": results}
        from convert.atomic import write_text

        write_text(args.json, json.dumps(report, indent=2))
        print(f"\nwrote {args.json}")
    return 0


def _measure(backend: str, size: str, args: argparse.Namespace) -> Dict:
    command = [sys.executable, "-m", "jcrnet_kit.cli", "bench", "--worker", backend, size, "--preset", args.preset,
               "--repeats", str(args.repeats)] + (["--device", args.device] if args.device else [])
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"backend": backend, "size": size, "error": _failure(done.returncode, done.stderr)}
    return json.loads(lines[-1])


def _failure(returncode: int, stderr: str) -> str:
    """One line on why a worker gave no result: the signal that killed it, else its last error line (MindSpore's
    ``[WARNING]`` log lines skipped)."""
    if returncode < 0:
        why = " (the kernel's out-of-memory killer, most likely)" if returncode == -9 else ""
        return f"worker killed by signal {-returncode}{why}"
    lines = [line for line in stderr.strip().splitlines() if line.strip() and not line.startswith("[WARNING]")]
    return (lines or [f"worker exited {returncode} with no output"])[-1][:200]
