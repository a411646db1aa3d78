"""``jcrnet verify``: both implementations, one set of weights, one image, checked as the test suite checks the port
(``jcrnet_kit.parity.verification``): outputs, every layer inside the model and alone (forward and gradients), the
whole-model backward and training parity. ``--sweep N`` runs N cases nobody tuned a budget on; ``--save-reference`` /
``--reference`` split the torch side into a file for machines without torch."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.numbers import seed
from jcrnet_kit.parity.report_text import report_dict, report_lines
from jcrnet_kit.parity.verification import LAYER_CROP, PARTS
from jcrnet_kit.shipped import DEFAULT_REFERENCE
from jcrnet_spec import DEFAULT_PRESET, PRESETS

DEFAULT_SIZE = "256x384"
def add_parser(subparsers) -> None:
    p = subparsers.add_parser("verify", help="check the MindSpore port against PyTorch on one image, layer by layer")
    p.add_argument("--weights", type=Path, default=None,
                   help="weights file (any file `jcrnet convert` reads); default: the shipped weights "
                        "(jcrnet_kit/assets/jcrnet-synthetic.safetensors, preset published)")
    p.add_argument("--preset", choices=sorted(PRESETS), default=None,
                   help=f"preset (default: the weights file's, else {DEFAULT_PRESET})")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--input", type=Path, default=None, help="image file (an odd side loses its last row/column)")
    source.add_argument("--size", default=None, help=f"HxW of the built-in sample image (even; default {DEFAULT_SIZE})")
    p.add_argument("--seeded", action="store_true", help="seeded random weights (seed --seed), not the shipped ones")
    p.add_argument("--seed", type=seed, default=0, help="seed of seeded weights and of the training batches (0)")
    p.add_argument("--ms-mode", choices=["pynative", "graph"], default="graph",
                   help="MindSpore mode of the whole-model run (layer hooks and gradients run PyNative)")
    p.add_argument("--device", default=None, help="CPU, GPU or Ascend (default $JCRNET_DEVICE or CPU)")
    p.add_argument("--training-steps", type=int, default=10, help="Adam steps of training parity (default 10; 0: "
                                                                  "skip)")
    p.add_argument("--checks", default=",".join(PARTS),
                   help=f"comma-separated parts to run (default all: {', '.join(PARTS)})")
    p.add_argument("--layer-crop", default="x".join(map(str, LAYER_CROP)), metavar="HxW",
                   help="each layer alone runs on two crops of this size (default %(default)s)")
    p.add_argument("--allow-nonfinite", action="store_true",
                   help="run weights holding NaN or Inf (refused by default) to see the first layer they reach")
    p.add_argument("--sweep", type=int, default=None, metavar="N",
                   help="instead of one image: N cases drawn from weight, input, size, batch, preset and mode families")
    p.add_argument("--sweep-seed", type=int, default=0, help="seed of the sweep's draw (default 0)")
    p.add_argument("--sweep-max-pixels", type=int, default=None, metavar="N",
                   help="largest batch x H x W a sweep case may have (default 512x768)")
    p.add_argument("--save-reference", type=Path, default=None, metavar="REF",
                   help="also write the torch side of this run to REF (.safetensors) for `--reference`")
    p.add_argument("--reference-sample", type=int, default=None, metavar="N",
                   help="with --save-reference: keep at most N elements of each large tensor (default: all)")
    p.add_argument("--reference", type=Path, nargs="?", const=DEFAULT_REFERENCE, default=None, metavar="REF",
                   help="check MindSpore against a reference file instead of running torch (torch not needed); "
                        "without REF: the reference shipped for the shipped weights")
    p.add_argument("--json", type=Path, default=None, help="write the report as JSON here")
    p.add_argument("--html", type=Path, default=None, help="write a self-contained HTML report here")
    p.add_argument("--out", type=Path, default=None, help="folder for the images and verify.json")
    p.add_argument("--force", action="store_true", help="overwrite existing --json/--html/--out/--save-reference files")
    p.set_defaults(func=run)


def _check_args(args) -> None:
    from jcrnet_kit.gates import VERIFY_OUT_FILES, check_output_file, check_output_folder, verify_size
    from jcrnet_kit.images.sample import parse_size

    if args.size is not None:
        verify_size(args.size)
    args.parts = tuple(p.strip() for p in args.checks.split(",") if p.strip())
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown or not args.parts:
        raise KitError(f"--checks {args.checks}: choose among {', '.join(PARTS)}")
    args.crop = parse_size(args.layer_crop, "--layer-crop")
    if args.crop[0] % 2 or args.crop[1] % 2 or min(args.crop) < 4:
        raise KitError(f"--layer-crop {args.layer_crop}: needs even sides of at least 4")
    if args.training_steps < 0:
        raise KitError(f"--training-steps {args.training_steps}: must be 0 or more")
    if args.sweep is not None and args.sweep < 1:
        raise KitError(f"--sweep {args.sweep}: must be at least 1")
    if args.reference and (args.sweep or args.save_reference or args.seeded):
        raise KitError("--reference checks against a file: it excludes --sweep, --save-reference and --seeded")
    for flag in ("json", "html", "save_reference"):
        check_output_file(getattr(args, flag), f"--{flag.replace('_', '-')}", args.force)
    check_output_folder(args.out, "--out", VERIFY_OUT_FILES, args.force)


def _input_image(args) -> Tuple[np.ndarray, str]:
    from jcrnet_kit.gates import verify_input, verify_size
    from jcrnet_kit.images.sample import low_light_sample

    if args.input is None:
        size = verify_size(args.size or DEFAULT_SIZE)
        return low_light_sample(size), f"sample image {size[0]}x{size[1]}"
    x = verify_input(args.input)
    return x, f"{args.input.name} {x.shape[2]}x{x.shape[3]}"


def _weights(args):
    """(torch-named float32 state, preset, description)."""
    from convert.weights import load_weights, weights_for_model
    from jcrnet_kit.shipped import DEFAULT_WEIGHTS
    from jcrnet_spec import architecture, seeded_weights

    if args.weights is not None or (not args.seeded and args.preset in (None, DEFAULT_PRESET)
                                    and DEFAULT_WEIGHTS.is_file()):
        path = args.weights or DEFAULT_WEIGHTS
        weights = load_weights(path, args.preset or "auto", allow_nonfinite=args.allow_nonfinite)
        return weights_for_model(weights, "torch").tensors, weights.preset, f"{path.name} ({weights.describe()})"
    preset = args.preset or DEFAULT_PRESET
    return seeded_weights(architecture(preset), args.seed), preset, f"seeded weights (seed {args.seed})"


def run(args: argparse.Namespace) -> int:
    _check_args(args)
    try:
        import torch  # noqa: F401  (before MindSpore, where torch is installed)
    except ImportError:
        if not args.reference:
            raise KitError("torch is not installed: verify against a reference file made where it is "
                           "(`jcrnet verify --reference REF`)") from None
    import mindspore_impl

    device = mindspore_impl.configure(device=args.device, mode="pynative")
    if args.sweep:
        return _sweep(args)
    from jcrnet_kit.parity.verification import Case
    from jcrnet_spec import architecture

    state, preset, weights_text = _weights(args)
    reference = None
    if args.reference:
        from jcrnet_kit.parity import reference as ref_file

        meta, tensors = ref_file.load(args.reference)
        ref_file.check_case(meta, state, args.reference)
        reference = ref_file.reference_of(meta, tensors)
        x, input_text = tensors["x"], f"{meta['input']} (from {args.reference.name})"
        case = Case(architecture(meta["preset"]), state, x, args.ms_mode, meta["training_steps"], meta["seed"],
                    tuple(meta["parts"]), weights_text, input_text, tuple(meta["crop"]))
    else:
        x, input_text = _input_image(args)
        case = Case(architecture(preset), state, x, args.ms_mode, args.training_steps, args.seed, args.parts,
                    weights_text, input_text, args.crop)
    print(f"jcrnet verify: preset {case.arch.preset.name}, {weights_text}, {case.input_text}, MindSpore "
          f"{args.ms_mode} on {device}")
    report = _verify(args, case, reference)
    print("\n".join(report_lines(report)))
    payload = report_dict(report, device)
    _write(args, case, report, payload)
    return 0 if report.passed else 1


def _verify(args, case, reference=None):
    from jcrnet_kit.parity import reference as ref_file
    from jcrnet_kit.parity.store import scratch_store
    from jcrnet_kit.parity.verification import mindspore_side, torch_reference

    with _progress() as progress:
        if reference is not None:
            return mindspore_side(case, reference, progress)
        with scratch_store() as store:
            reference = torch_reference(case, store, progress)
            if args.save_reference:
                size = ref_file.save(args.save_reference, case, reference, args.reference_sample, args.force)
                progress(f"wrote {args.save_reference} ({size / 1e6:.1f} MB)")
            return mindspore_side(case, reference, progress)


class _progress:
    """A tqdm bar on stderr that shows the step being run (off when stderr is not a terminal)."""

    def __enter__(self):
        from tqdm import tqdm

        self.bar = tqdm(total=0, bar_format="{desc} [{elapsed}]", file=sys.stderr, disable=None, leave=False)
        return lambda text: self.bar.set_description_str(text[:100], refresh=True)

    def __exit__(self, *exc):
        self.bar.close()
        return False


def _write(args, case, report, payload: dict) -> None:
    from convert.atomic import write_text

    if args.out is not None:
        from jcrnet_kit.images.sample import save_image

        args.out.mkdir(parents=True, exist_ok=True)
        images = {"input_low.png": case.x, **{f"enhanced_{k}.png": v for k, v in report.enhanced.items()}}
        for name, batch in images.items():
            save_image(batch, args.out / name, force=args.force)
        write_text(args.out / "verify.json", json.dumps(payload, indent=2), force=args.force)
        print(f"wrote {args.out}/{', '.join([*images, 'verify.json'])}")
    if args.json is not None:
        write_text(args.json, json.dumps(payload, indent=2), force=args.force)
        print(f"wrote {args.json}")
    if args.html is not None:
        from jcrnet_kit.parity.report_html import render_html

        write_text(args.html, render_html(payload), force=args.force)
        print(f"wrote {args.html}")


def _sweep(args) -> int:
    from jcrnet_kit.parity import sweep

    cases = sweep.draw(args.sweep, args.sweep_seed, args.sweep_max_pixels or sweep.MAX_CASE_PIXELS)
    print(f"jcrnet verify --sweep {args.sweep}: {len(cases)} cases (seed {args.sweep_seed}), each checked in full "
          f"(parts: {', '.join(sweep.PARTS)}); margin = observed / allowed, <= 1 passes")
    header = f"{'case':<78} {'verdict':<7} " + " ".join(f"{p:>9}" for p in sweep.PARTS) + f" {'seconds':>8}"
    print(header)

    from jcrnet_kit.provenance import revision as source_revision

    revision, done = source_revision(), []

    def save(complete: bool) -> None:
        """The JSON after every case (``complete`` false until the last), so a long sweep cut short keeps its cases."""
        if args.json is not None:
            from convert.atomic import write_text

            failed = sum(not r.passed for r in done)
            write_text(args.json, json.dumps({"revision": revision, "seed": args.sweep_seed, "planned": len(cases),
                                              "complete": complete,
                                              "cases": [r.as_dict() for r in done], "fail_verdicts": failed},
                                             indent=2, default=str))

    def show(result) -> None:
        done.append(result)
        save(len(done) == len(cases))
        margins = " ".join(f"{result.margins.get(p, float('nan')):>9.3f}" for p in sweep.PARTS)
        print(f"{result.case.describe():<78} {'PASS' if result.passed else 'FAIL':<7} {margins} "
              f"{result.seconds:>8.0f}", flush=True)
        if not result.passed:
            print(f"    failed: {', '.join(result.failed_parts)}; first failing layer: {result.first_failing_layer}"
                  + "".join(f"; {p}: {e}" for p, e in result.errors.items()))

    with _progress() as progress:
        results = sweep.run(cases, args.training_steps, args.parts, on_result=show, progress=progress)
    failed: List = [r for r in results if not r.passed]
    for part, (margin, where) in sweep.worst(results).items():
        print(f"worst {part}: {margin:.3f} ({where})")
    print(f"{len(results)} cases, {len(failed)} FAIL verdicts")
    if args.json is not None:
        print(f"wrote {args.json}")
    return 1 if failed else 0

