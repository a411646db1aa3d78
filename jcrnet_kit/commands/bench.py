"""``jcrnet bench``: inference latency, peak memory and achieved GFLOP/s per backend, each backend in its own
process so that peak memory is its own; ratios to torch eager come from the same run.

``torch-train`` and ``mindspore-train`` time one training step of the recipe (forward of batch 1 at the size, the
loss on both outputs, backward, Adam); their GFLOP/s counts a step as 3 forward passes (the usual forward + 2x
backward estimate), and their ratio is to ``torch-train``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List

from jcrnet_kit.perf.workers import BACKENDS, DEFAULT_SIZES, TRAIN_STEP_FLOPS, TRAINING


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


def run(args: argparse.Namespace) -> int:
    if args.worker:
        from jcrnet_kit.perf.workers import worker

        return worker(*args.worker, args.preset, args.repeats, args.device)
    from jcrnet_kit.perf.runs import measure
    from jcrnet_kit.perf.workers import matmul_peak_gflops
    from jcrnet_kit.errors import KitError
    from jcrnet_kit.images.sample import parse_size
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
            row = measure(backend, size, args.preset, args.repeats, args.device)
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
