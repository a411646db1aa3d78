"""``jcrnet verify``: both implementations, one set of weights, one image; how far apart are the outputs?"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from jcrnet_spec import DEFAULT_PRESET, OUTPUTS, PRESETS

#: Whole-model forward budget in fp32 (the Hugging Face cross-framework bar).
FORWARD_ATOL = 1e-5


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("verify", help="run both implementations on one image and compare the outputs")
    p.add_argument("--preset", choices=sorted(PRESETS), default=DEFAULT_PRESET)
    p.add_argument("--size", default="256x384", help="HxW of the sample image (even sides; default 256x384)")
    p.add_argument("--seed", type=int, default=0, help="seed of the weights (default 0)")
    p.add_argument("--ms-mode", choices=["pynative", "graph"], default="graph", help="MindSpore execution mode")
    p.add_argument("--device", default=None, help="CPU, GPU or Ascend (default $JCRNET_DEVICE or CPU)")
    p.add_argument("--out", type=Path, default=None, help="folder for the images and verify.json")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jcrnet_kit.sample import parse_size

    size = parse_size(args.size)
    import torch  # noqa: F401  (before MindSpore)

    import mindspore_impl
    from jcrnet_kit.compare import diff
    from jcrnet_kit.pair import build_pair
    from jcrnet_kit.sample import low_light_sample

    device = mindspore_impl.configure(device=args.device, mode=args.ms_mode)
    x = low_light_sample(size)
    print(f"jcrnet verify: preset {args.preset}, seeded weights (seed {args.seed}), sample image {size[0]}x{size[1]}, "
          f"MindSpore {args.ms_mode} on {device}")
    pair = build_pair(args.preset, seed=args.seed)
    expected, actual = pair.run_torch(x), pair.run_mindspore(x, mode=args.ms_mode)
    rows = [(name, diff(a, b)) for name, a, b in zip(OUTPUTS, expected, actual)]
    passed = all(d.max_abs <= FORWARD_ATOL for _, d in rows)

    print(f"{'output':<10} {'shape':<18} {'max |diff|':>11} {'mean |diff|':>12} {'cosine':>10}")
    for name, d in rows:
        print(f"{name:<10} {str(d.shape):<18} {d.max_abs:>11.3e} {d.mean_abs:>12.3e} {d.cosine:>10.7f}")
    print(f"verdict: {'PASS' if passed else 'FAIL'} (budget max |diff| <= {FORWARD_ATOL:.0e} per output)")

    if args.out is not None:
        write_outputs(args.out, x, expected[0], actual[0],
                      {"verdict": "pass" if passed else "fail", "preset": args.preset, "seed": args.seed,
                       "size": f"{size[0]}x{size[1]}", "ms_mode": args.ms_mode, "device": device,
                       "budget_max_abs": FORWARD_ATOL,
                       "outputs": [{"name": name, **d.as_dict()} for name, d in rows]})
    return 0 if passed else 1


def write_outputs(out: Path, low, torch_enhanced, ms_enhanced, report: dict) -> None:
    from jcrnet_kit.sample import save_image

    out.mkdir(parents=True, exist_ok=True)
    for name, batch in (("input_low.png", low), ("enhanced_torch.png", torch_enhanced),
                        ("enhanced_mindspore.png", ms_enhanced)):
        save_image(batch, out / name)
    fd, tmp = tempfile.mkstemp(dir=out, suffix=".json.tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(report, f, indent=2)
    os.replace(tmp, out / "verify.json")
    print(f"wrote {out}/input_low.png, enhanced_torch.png, enhanced_mindspore.png, verify.json")
