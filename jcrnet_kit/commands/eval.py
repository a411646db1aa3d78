"""``jcrnet eval``: PSNR and SSIM of JCRNet on a paired low/normal-light set, the way the JCRNet authors computed
them, with the unenhanced input's scores as the baseline.

Convention (``jcrnet_kit.images.metrics``): output clamped to [0, 1], both images quantised to 8 bits
(``round(x * 255)``), then scikit-image ``peak_signal_noise_ratio(data_range=255)`` and
``structural_similarity(channel_axis=-1, data_range=255)`` on RGB, defaults otherwise (7x7 uniform window). Means are
plain means over images.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import numpy as np

from jcrnet_kit.commands.options import add_device_argument, add_tiling_arguments, check_tiling_arguments, plan_for
from jcrnet_kit.models import FRAMEWORKS

SYNTHETIC = "synthetic"
#: scikit-image's SSIM window (7 x 7): smaller images have no SSIM.
SSIM_WINDOW = 7
CONVENTION = ("output clamped to [0, 1] and quantised to 8 bits (round(x*255)); scikit-image "
              "peak_signal_noise_ratio(data_range=255) and structural_similarity(channel_axis=-1, data_range=255), "
              "RGB, 7x7 uniform window")


def add_parser(subparsers) -> None:
    from jcrnet_spec import PRESETS

    p = subparsers.add_parser(
        "eval", help="PSNR/SSIM on a paired low/normal-light set, with the unenhanced input as baseline",
        description=f"PSNR and SSIM the way the JCRNet authors computed them: {CONVENTION}. Per image and mean, "
                    f"for the enhanced output and for the unenhanced input (baseline).")
    p.add_argument("--weights", type=Path, default=None,
                   help="weights file (.pth/.pt, .ckpt, .safetensors, either naming); default: the shipped "
                        "jcrnet-synthetic.safetensors")
    p.add_argument("--data", required=True,
                   help=f"folder in the LOL layout (eval15/{{low,high}}, our485/{{low,high}}) or input/ + target/; "
                        f"or '{SYNTHETIC}': the held-out rows of the seeded synthetic set that `jcrnet train` "
                        f"validates on (offline)")
    p.add_argument("--split", choices=["eval", "train"], default="eval",
                   help="which LOL split to read (default eval: eval15/)")
    p.add_argument("--framework", choices=FRAMEWORKS, default="torch", help="run PyTorch or MindSpore")
    p.add_argument("--preset", choices=sorted(PRESETS), default=None,
                   help="assert the weights' preset (default: whatever the file holds)")
    p.add_argument("--json", type=Path, default=None, help="write the per-image and mean scores here")
    p.add_argument("--force", action="store_true", help="overwrite an existing --json file")
    add_device_argument(p)
    add_tiling_arguments(p)
    p.set_defaults(func=run)


def _pairs(data: str, split: str) -> Tuple[str, Iterator[Tuple[str, np.ndarray, np.ndarray]], int]:
    """(description, lazily read (name, low, high) pairs, count); unpaired or missing data refused up front."""
    from jcrnet_kit.errors import KitError
    from jcrnet_kit.images.pairs import find_pairs, read_rgb
    from jcrnet_kit.images.picture import image_size

    if data == SYNTHETIC:
        from jcrnet_kit.train.config import DEFAULTS
        from jcrnet_kit.train.data import load_data

        sets = load_data(SYNTHETIC, DEFAULTS["seed"])
        return f"{sets.description} (the validation pairs)", ((p.name, p.low, p.high) for p in sets.val), len(sets.val)
    found = find_pairs(Path(data), split)
    for _, low_path, high_path in found:  # every header before any image runs: unreadable, too small, unequal
        low_size, high_size = image_size(low_path), image_size(high_path)
        if min(low_size) < SSIM_WINDOW:
            raise KitError(f"{low_path}: {low_size[0]}x{low_size[1]} is smaller than SSIM's window "
                           f"({SSIM_WINDOW}x{SSIM_WINDOW}); eval needs images of at least that size")
        if low_size != high_size:
            raise KitError(f"{low_path}: size {low_size[0]}x{low_size[1]} differs from its target {high_path} "
                           f"({high_size[0]}x{high_size[1]})")

    def read() -> Iterator[Tuple[str, np.ndarray, np.ndarray]]:
        for name, low_path, high_path in found:
            low, high = read_rgb(low_path), read_rgb(high_path)
            if low.shape != high.shape:
                raise KitError(f"{low_path}: size {low.shape[0]}x{low.shape[1]} differs from its target "
                               f"{high_path} ({high.shape[0]}x{high.shape[1]})")
            yield name, low, high

    return f"{data} ({split} split)", read(), len(found)


def _mean(rows: List[Dict], key: str) -> float:
    return float(np.mean([row[key] for row in rows]))


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from convert import load_weights
    from jcrnet_kit.devices import check_device
    from jcrnet_kit.gates import check_output_file
    from jcrnet_kit.images.metrics import psnr_ssim
    from jcrnet_kit.images.tiling import enhance_array
    from jcrnet_kit.models import build_forward
    from jcrnet_kit.shipped import default_weights

    check_tiling_arguments(args)
    check_output_file(args.json, "--json", args.force)
    device = check_device(args.device, args.framework)
    weights_path = args.weights or default_weights()
    weights = load_weights(weights_path, args.preset or "auto")
    data_text, pairs, count = _pairs(args.data, args.split)
    preset, weights_text = weights.preset, f"{weights_path.name} ({weights.describe()})"
    forward = build_forward(weights, args.framework, device)
    print(f"jcrnet eval: {count} pair(s) from {data_text}, {args.framework}, {weights_text}")

    rows = []
    for name, low, high in tqdm(pairs, total=count, desc="eval", unit="image", disable=None):
        started = time.perf_counter()
        plan = plan_for(args, *low.shape[:2])
        enhanced = enhance_array(forward, low, plan)
        psnr, ssim = psnr_ssim(enhanced, high)
        input_psnr, input_ssim = psnr_ssim(low, high)
        rows.append({"name": name, "size": f"{low.shape[0]}x{low.shape[1]}", "tiling": plan.describe(),
                     "psnr": psnr, "ssim": ssim, "input_psnr": input_psnr, "input_ssim": input_ssim,
                     "seconds": time.perf_counter() - started})

    mean = {key: _mean(rows, key) for key in ("psnr", "ssim", "input_psnr", "input_ssim")}
    width = max(8, *(len(row["name"]) for row in rows))
    print(f"{'image':<{width}} {'size':>9} {'PSNR':>7} {'SSIM':>7} {'input PSNR':>11} {'input SSIM':>11}")
    for row in rows + [{"name": "mean", "size": "", **mean}]:
        print(f"{row['name']:<{width}} {row['size']:>9} {row['psnr']:>7.2f} {row['ssim']:>7.4f} "
              f"{row['input_psnr']:>11.2f} {row['input_ssim']:>11.4f}")
    if args.json is not None:
        report = {"data": data_text, "framework": args.framework, "preset": preset, "weights": weights_text,
                  "convention": CONVENTION, "count": len(rows), "mean": mean, "images": rows}
        from convert.atomic import write_text

        write_text(args.json, json.dumps(report, indent=2) + "\n", force=args.force)
    return 0
