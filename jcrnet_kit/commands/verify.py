"""``jcrnet verify``: both implementations, one set of weights, one image; how far apart are the outputs, layer by
layer, how far is each from the fp64 oracle, and do 10 training steps stay together?"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Optional, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.parity.tolerances import FORWARD
from jcrnet_spec import DEFAULT_PRESET, OUTPUTS, PRESETS, recipe

DEFAULT_SIZE = "256x384"


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("verify", help="run both implementations on one image and compare every layer")
    p.add_argument("--weights", type=Path, default=None,
                   help="weights file (.pth/.pt, .ckpt, .safetensors; any file `jcrnet convert` reads); default: "
                        "the shipped weights (jcrnet_kit/assets/jcrnet-synthetic.safetensors, preset published), "
                        "else seeded weights")
    p.add_argument("--preset", choices=sorted(PRESETS), default=None,
                   help=f"preset (default: the weights file's, else {DEFAULT_PRESET})")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--input", type=Path, default=None,
                        help="image file to run (an odd side loses its last row/column)")
    source.add_argument("--size", default=None,
                        help=f"HxW of the built-in sample image (even sides; default {DEFAULT_SIZE})")
    p.add_argument("--seeded", action="store_true",
                   help="use seeded random weights (seed --seed) instead of the shipped ones")
    p.add_argument("--seed", type=int, default=0, help="seed of seeded weights and of the training-parity batches "
                                                       "(default 0)")
    p.add_argument("--ms-mode", choices=["pynative", "graph"], default="graph",
                   help="MindSpore execution mode of the whole-model comparison (layer hooks always run PyNative)")
    p.add_argument("--device", default=None, help="CPU, GPU or Ascend (default $JCRNET_DEVICE or CPU)")
    p.add_argument("--training-steps", type=int, default=10,
                   help="Adam steps of the training-parity run (default 10; 0 skips it)")
    p.add_argument("--json", type=Path, default=None, help="write the report as JSON here")
    p.add_argument("--html", type=Path, default=None, help="write a self-contained HTML report here")
    p.add_argument("--out", type=Path, default=None, help="folder for the images and verify.json")
    p.set_defaults(func=run)


def _input_image(args) -> Tuple[np.ndarray, str]:
    from jcrnet_kit.images.sample import low_light_sample, parse_size

    if args.input is None:
        size = parse_size(args.size or DEFAULT_SIZE)
        return low_light_sample(size), f"sample image {size[0]}x{size[1]}"
    from jcrnet_kit.images.pairs import read_rgb

    image = read_rgb(args.input)
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    if h == 0 or w == 0:
        raise KitError(f"{args.input}: image of {image.shape[0]}x{image.shape[1]} is too small")
    return np.ascontiguousarray(image[:h, :w].transpose(2, 0, 1)[None]), f"{args.input.name} {h}x{w}"


def run(args: argparse.Namespace) -> int:
    from jcrnet_kit.images.sample import parse_size

    if args.size is not None:
        h, w = parse_size(args.size)
        if h % 2 or w % 2:
            raise KitError(f"--size {args.size}: JCRNet needs even H and W (one stride-2 level)")
    import torch  # noqa: F401  (before MindSpore)

    import mindspore_impl
    from convert.weights import load_weights, weights_for_model
    from jcrnet_kit.shipped import DEFAULT_WEIGHTS
    from jcrnet_spec import architecture, seeded_weights

    shipped = (args.weights is None and not args.seeded and args.preset in (None, DEFAULT_PRESET)
               and DEFAULT_WEIGHTS.is_file())
    if args.weights is not None or shipped:
        path = args.weights or DEFAULT_WEIGHTS
        weights = load_weights(path, args.preset or "auto")
        state, preset = weights_for_model(weights, "torch").tensors, weights.preset
        weights_text = f"{path.name} ({weights.describe()})"
    else:
        preset = args.preset or DEFAULT_PRESET
        state, weights_text = seeded_weights(architecture(preset), args.seed), f"seeded weights (seed {args.seed})"
    previous_mode = mindspore_impl.get_mode()
    device = mindspore_impl.configure(device=args.device, mode=args.ms_mode)
    try:
        return _verify(args, preset, state, weights_text, device)
    finally:
        mindspore_impl.set_mode(previous_mode)


def _verify(args: argparse.Namespace, preset: str, state: dict, weights_text: str, device: str) -> int:
    from jcrnet_kit.parity import tolerances
    from jcrnet_kit.parity.compare import diff
    from jcrnet_kit.parity.in_model import compare_in_model
    from jcrnet_kit.parity.pair import build_pair
    from jcrnet_spec import architecture

    x, input_text = _input_image(args)
    print(f"jcrnet verify: preset {preset}, {weights_text}, {input_text}, MindSpore {args.ms_mode} on {device}")
    pair = build_pair(preset, weights=state)
    expected, actual = pair.run_torch(x), pair.run_mindspore(x, mode=args.ms_mode)
    rows = [(name, diff(a, b)) for name, a, b in zip(OUTPUTS, expected, actual)]
    outputs_pass = all(FORWARD.holds(d.max_abs) for _, d in rows)

    print(f"{'output':<10} {'shape':<18} {'max |diff|':>11} {'mean |diff|':>12} {'cosine':>10}")
    for name, d in rows:
        print(f"{name:<10} {str(d.shape):<18} {d.max_abs:>11.3e} {d.mean_abs:>12.3e} {d.cosine:>10.7f}")

    arch = architecture(preset)
    layers = compare_in_model(arch, state, pair.ms_net, x)
    first = next((row.path for row in layers if not row.passed), None)
    print()
    print_layer_table(layers, first)

    training = []
    if args.training_steps > 0:
        from jcrnet_kit.parity.trajectories import training_parity

        for train in (False, True):
            training.append(training_parity(preset, state, steps=args.training_steps, seed=args.seed, train=train))
            print()
            print_training(training[-1])

    training_pass = all(run.passed for run in training)
    passed = outputs_pass and first is None and training_pass
    checked = [f"outputs max |diff| <= {FORWARD.atol:.0e}", f"{len(layers)} layers within their budgets"]
    if training:
        checked.append(f"{args.training_steps} training steps in eval and train mode within bounds")
    failed = [what for what, ok in (("outputs", outputs_pass), (f"layer {first} first past its budget", first is None),
                                    ("training", training_pass)) if not ok]
    print(f"verdict: PASS ({'; '.join(checked)})" if passed else f"verdict: FAIL ({'; '.join(failed)})")

    report = {"verdict": "pass" if passed else "fail", "preset": preset, "weights": weights_text,
              "input": input_text, "size": f"{x.shape[2]}x{x.shape[3]}", "ms_mode": args.ms_mode, "device": device,
              "seed": args.seed, "budget_max_abs": FORWARD.atol,
              "outputs": [{"name": name, **d.as_dict()} for name, d in rows],
              "layers": [row.as_dict() for row in layers], "first_failing_layer": first,
              "not_called": list(arch.unused_modules),
              "tolerances": {"in_model": {k: b.as_dict() for k, b in tolerances.IN_MODEL.items()}},
              "training": {run.mode: run.as_dict() for run in training}}
    if args.out is not None:
        write_outputs(args.out, x, expected[0], actual[0], report)
    if args.json is not None:
        _write_text(args.json, json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    if args.html is not None:
        from jcrnet_kit.parity.report_html import render_html

        _write_text(args.html, render_html(report))
        print(f"wrote {args.html}")
    return 0 if passed else 1


def _shape_text(shapes) -> str:
    return ", ".join("x".join(str(d) for d in s) for s in shapes)


def print_layer_table(layers, first: Optional[str]) -> None:
    """One line per spec layer, in attribute order; the first layer past its budget is marked."""
    width = max(len(row.path) for row in layers)
    print(f"{'layer':<{width}}  {'shape':<24} {'max |diff|':>10} {'rel':>9} {'cosine':>10} "
          f"{'torch-fp64':>10} {'ms-fp64':>10}  status")
    for row in layers:
        status = "ok" if row.passed else ("FAIL  <-- first past its budget" if row.path == first else "FAIL")
        print(f"{row.path:<{width}}  {_shape_text(row.shapes):<24} {row.vs_torch.max_abs:>10.3e} "
              f"{row.vs_torch.rel:>9.2e} {row.vs_torch.cosine:>10.7f} {row.torch_vs_oracle:>10.3e} "
              f"{row.mindspore_vs_oracle:>10.3e}  {status}")
    worst = max(layers, key=lambda r: r.vs_torch.rel)
    print(f"{len(layers)} layers, {sum(not r.passed for r in layers)} past budget; largest relative difference "
          f"{worst.vs_torch.rel:.2e} at {worst.path}")


def print_training(training) -> None:
    batchnorm = "batch statistics" if training.mode == "train" else "running statistics"
    print(f"training parity, {training.mode} mode (BatchNorm on {batchnorm}): {training.steps} Adam steps "
          f"(lr {recipe.ADAM_LR:g}, Charbonnier + {recipe.EDGE_WEIGHT:g} x edge loss), batch 2x3x16x16, identical "
          f"weights and batches")
    print(f"{'step':>4} {'torch loss':>12} {'MindSpore':>12} {'fp64':>12} {'|ms - torch|':>13}")
    for i, (t, m, o) in enumerate(zip(training.losses["torch"], training.losses["mindspore"],
                                      training.losses["fp64"]), start=1):
        print(f"{i:>4} {t:>12.8f} {m:>12.8f} {o:>12.8f} {abs(m - t):>13.3e}")
    for name, bound in training.bounds.items():
        print(f"  {name:<10} |MindSpore - torch| {training.measured[name]:.3e} (bound {bound.limit:.0e})  "
              f"|torch - fp64| {training.torch_vs_oracle[name]:.3e}  "
              f"{'ok' if training.measured[name] <= bound.limit else 'FAIL'}")


def _write_text(path: Path, text: str) -> None:
    from convert.atomic import write_text

    path.parent.mkdir(parents=True, exist_ok=True)
    write_text(path, text)


def write_outputs(out: Path, low, torch_enhanced, ms_enhanced, report: dict) -> None:
    from jcrnet_kit.images.sample import save_image

    out.mkdir(parents=True, exist_ok=True)
    for name, batch in (("input_low.png", low), ("enhanced_torch.png", torch_enhanced),
                        ("enhanced_mindspore.png", ms_enhanced)):
        save_image(batch, out / name)
    _write_text(out / "verify.json", json.dumps(report, indent=2))
    print(f"wrote {out}/input_low.png, enhanced_torch.png, enhanced_mindspore.png, verify.json")
