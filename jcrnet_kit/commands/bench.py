"""``jcrnet bench``: inference latency, training-step time, peak memory and achieved GFLOP/s per backend, each
backend in its own long-lived process (so that peak memory is its own), with the backends' repeats interleaved
(A B C A B C ...) so that load which comes and goes on a shared machine lands on all of them alike.

Inference backends form one group, training steps another; each size's groups run one after the other. Ratios are
taken within a round (each backend's run against the baseline's run of the same round: ``torch-eager`` for
inference, ``torch-train`` for training steps) and reported as the median and range over the rounds, with the CPU
seconds' ratio and the machine's load average before every round. A training step counts as 3 forward passes for
GFLOP/s (the usual forward + 2x backward estimate)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Dict, List

from jcrnet_kit.numbers import positive_real, whole
from jcrnet_kit.perf.workers import BACKENDS, DEFAULT_BACKENDS, DEFAULT_SIZES, INFERENCE, TRAINING

#: The largest size benchmarked: one whole-image pass per backend; 1080x1920 took 15.6 GB in onnxruntime.
BENCH_MAX_PIXELS = 2160 * 3840


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("bench", help="inference latency, training-step time, peak memory and GFLOP/s per "
                                            "backend, repeats interleaved")
    p.add_argument("--sizes", default=DEFAULT_SIZES, help=f"comma-separated HxW (default {DEFAULT_SIZES})")
    p.add_argument("--backends", default=",".join(DEFAULT_BACKENDS),
                   help="comma-separated, from: " + ", ".join(BACKENDS) + " (default: all but mindspore-train-stock)")
    p.add_argument("--preset", default="published")
    p.add_argument("--repeats", type=whole(1, 1000), default=3,
                   help="timed rounds after one warm-up per backend (median and range reported)")
    p.add_argument("--device", default=None, help="CPU (default), GPU (torch and MindSpore) or Ascend (MindSpore)")
    p.add_argument("--max-rss-gb", type=positive_real(1 << 20), default=None,
                   help="stop the largest worker when a group's workers together pass this RSS (default: 3/4 of the "
                        "machine's memory); it is reported as stopped")
    p.add_argument("--json", type=Path, default=None, help="write the results here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    p.add_argument("--worker", nargs=2, metavar=("BACKEND", "HxW"), help=argparse.SUPPRESS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.worker:
        from jcrnet_kit.perf.workers import worker

        return worker(*args.worker, args.preset, args.device)
    from jcrnet_kit.devices import check_device
    from jcrnet_kit.errors import KitError
    from jcrnet_kit.gates import check_output_file
    from jcrnet_kit.images.sample import parse_size
    from jcrnet_kit.perf.runs import annotate, default_max_rss_mb, interleaved, load
    from jcrnet_kit.perf.workers import matmul_peak_gflops

    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = sorted(set(backends) - set(BACKENDS))
    if unknown:
        raise KitError(f"unknown backend(s) {', '.join(unknown)}; choose from {', '.join(BACKENDS)}")
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if not sizes:
        raise KitError(f"--sizes {args.sizes!r}: give at least one HxW")
    for size in sizes:
        parse_size(size, "--sizes", BENCH_MAX_PIXELS)
    if not backends:
        raise KitError(f"--backends {args.backends!r}: give at least one of {', '.join(BACKENDS)}")
    if args.device is not None:
        if any(b.startswith("mindspore") for b in backends):
            check_device(args.device, "mindspore")
        if any(b.startswith("torch") for b in backends):
            check_device(args.device, "torch")
    check_output_file(args.json, "--json", args.force)
    max_rss_mb = args.max_rss_gb * 1024 if args.max_rss_gb else default_max_rss_mb()
    peak = matmul_peak_gflops()
    started_load = load()
    print(f"jcrnet bench: preset {args.preset}, batch 1, {args.repeats} interleaved rounds after one warm-up per "
          f"backend; machine peak (torch float32 2048^3 matmul) {peak:.1f} GFLOP/s; load average {started_load:.1f}")
    results: List[Dict] = []
    for size in sizes:
        for group in ([b for b in backends if b in INFERENCE], [b for b in backends if b in TRAINING]):
            if group:
                rows = interleaved(group, size, args.preset, args.repeats, args.device, max_rss_mb)
                results += annotate(rows, size, args.preset, peak)
                _print(size, rows)
    report = {"preset": args.preset, "machine_peak_gflops": peak, "repeats": args.repeats, "device": args.device,
              "load_average_start": started_load, "load_average_end": load(), "results": results}
    print(f"\nload average at the end: {report['load_average_end']:.1f}")
    if args.json:
        from convert.atomic import write_text

        write_text(args.json, json.dumps(report, indent=2), force=args.force)
        print(f"wrote {args.json}")
    return 0


def _print(size: str, rows: List[Dict]) -> None:
    print(f"\n{size}, {rows[0].get('task') or ''}")
    print(f"{'backend':<22} {'median s':>9} {'min-max s':>15} {'cpu s':>7} {'warm-up s':>9} {'peak MB':>8} "
          f"{'GFLOP/s':>8} {'time vs base':>22} {'cpu vs':>7} {'mem vs':>7}")
    for r in rows:
        if "error" in r:
            print(f"{r['backend']:<22} unavailable: {r['error']}")
            continue
        versus = next((v for k, v in r.items() if k.startswith("vs_")), None)
        ratio = f"{versus['median']:.2f}x ({versus['min']:.2f}-{versus['max']:.2f})" if versus else "-"
        cpu = f"{versus['cpu_median']:.2f}x" if versus and versus["cpu_median"] else "-"
        mem = f"{versus['peak_ratio']:.2f}x" if versus else "-"
        print(f"{r['backend']:<22} {r['median_s']:>9.3f} {r['min_s']:>7.2f}-{r['max_s']:<7.2f} "
              f"{r['cpu_median_s']:>7.2f} {r['warmup_s']:>9.2f} {r['peak_mb']:>8.0f} {r['gflops']:>8.1f} "
              f"{ratio:>22} {cpu:>7} {mem:>7}")
    timed = next((r for r in rows if "error" not in r), None)
    if timed:
        print("load average before each round: " + ", ".join(f"{x:.1f}" for x in timed["round_load"]))
