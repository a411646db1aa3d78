"""``jcrnet enhance``: low-light images (files or folders) in, enhanced PNGs out, in either framework.

Every image Pillow reads is accepted (see ``jcrnet_kit.images.picture``); the output keeps the input's kind: grayscale
stays grayscale, alpha is re-attached, 16-bit stays 16-bit, EXIF orientation is applied. Odd sides are
reflect-padded and cropped back; images above the pixel budget are tiled (``jcrnet_kit.images.tiling``). Outputs are
written atomically and never over an existing file without ``--force``. A file that cannot be read is reported in
one line and the batch goes on; the exit status is then 1. Problems found before any image runs (missing input,
bad weights, outputs that exist) exit 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import List

from jcrnet_kit.commands.options import add_device_argument, add_tiling_arguments, check_tiling_arguments, plan_for
from jcrnet_kit.errors import KitError
from jcrnet_kit.models import FRAMEWORKS

#: What a folder given as input is searched for (not recursively); a file named explicitly may be any format.
FOLDER_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm", ".pnm",
                   ".tga")


def add_parser(subparsers) -> None:
    from jcrnet_spec import PRESETS

    p = subparsers.add_parser("enhance", help="enhance low-light images (files or folders) into PNG files",
                              description="Enhance low-light images with JCRNet. Output is PNG: 8-bit, or 16-bit "
                                          "for a 16-bit input; grayscale and alpha are kept.")
    p.add_argument("inputs", nargs="+", type=Path, metavar="IN", help="image files or folders of images")
    p.add_argument("-o", "--output", type=Path, required=True, metavar="OUT",
                   help="output folder (created if missing; each image becomes OUT/<name>.png), or a .png file "
                        "when there is one input image")
    p.add_argument("--weights", type=Path, default=None,
                   help="weights file (.pth/.pt, .ckpt, .safetensors, either naming); default: the shipped "
                        "jcrnet-synthetic.safetensors")
    p.add_argument("--framework", choices=FRAMEWORKS, default="torch",
                   help="run PyTorch or MindSpore (device and mode from $JCRNET_DEVICE, $JCRNET_MS_MODE)")
    p.add_argument("--preset", choices=sorted(PRESETS), default=None,
                   help="assert the weights' preset (default: whatever the file holds)")
    add_device_argument(p)
    add_tiling_arguments(p)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    p.set_defaults(func=run)


def collect_inputs(paths: List[Path]) -> List[Path]:
    """Image files named directly or found in the named folders, each once, in the order given."""
    files: List[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in FOLDER_SUFFIXES)
            if not found:
                raise KitError(f"{path}: no images ({', '.join(FOLDER_SUFFIXES)}) in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise KitError(f"{path}: no such file or folder")
    unique = {file.resolve(): file for file in reversed(files)}
    return [file for file in files if unique.get(file.resolve()) is file]


def destinations(files: List[Path], output: Path, force: bool) -> List[Path]:
    """Where each input's result goes; refuses clashing names and existing files (without ``force``) up front."""
    if output.suffix.lower() == ".png" and not output.is_dir():
        if len(files) != 1:
            raise KitError(f"{output}: a .png output takes one input image, not {len(files)}; give a folder")
        targets = [output]
    else:
        if output.exists() and not output.is_dir():
            raise KitError(f"{output}: exists and is not a folder")
        targets = [output / f"{file.stem}.png" for file in files]
    seen = {}
    for file, target in zip(files, targets):
        if target in seen:
            raise KitError(f"{seen[target]} and {file} would both be written to {target}")
        seen[target] = file
        if target.exists() and os.path.samefile(file, target):
            raise KitError(f"{target}: is the input {file} itself; enhanced images never replace their input")
    existing = [str(t) for t in targets if t.exists()]
    if existing and not force:
        listed = ", ".join(existing[:3]) + (", ..." if len(existing) > 3 else "")
        raise KitError(f"{len(existing)} output file(s) already exist ({listed}); pass --force to overwrite")
    return targets


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from convert import load_weights
    from convert.atomic import atomic_output, new_folders, remove_empty
    from jcrnet_kit.devices import check_device
    from jcrnet_kit.gates import check_folder_writable
    from jcrnet_kit.images.picture import read_picture, write_picture
    from jcrnet_kit.images.tiling import enhance_array
    from jcrnet_kit.models import build_forward
    from jcrnet_kit.shipped import default_weights
    from jcrnet_spec.errors import UserError

    check_tiling_arguments(args)
    device = check_device(args.device, args.framework)
    files = collect_inputs(args.inputs)
    targets = destinations(files, args.output, args.force)
    folders = sorted({target.parent for target in targets})
    for folder in folders:
        check_folder_writable(folder, "-o")
    weights_path = args.weights or default_weights()
    weights = load_weights(weights_path, args.preset or "auto")
    forward = build_forward(weights, args.framework, device)
    print(f"jcrnet enhance: {len(files)} image(s), {args.framework} on {device}, {weights_path.name} "
          f"({weights.describe()})")
    created = [made for folder in folders for made in new_folders(folder)]
    failed = 0
    try:
        for source, target in zip(tqdm(files, desc="images", unit="image", disable=None), targets):
            started = time.perf_counter()
            try:
                picture = read_picture(source)
                plan = plan_for(args, *picture.rgb.shape[:2])
                with tqdm(total=len(plan), desc=source.name, unit="tile", leave=False,
                          disable=True if plan.whole else None) as bar:
                    enhanced = enhance_array(forward, picture.rgb, plan, on_tile=bar.update)
                with atomic_output(target, args.force) as tmp:
                    write_picture(tmp, enhanced, picture)
            except UserError as error:  # this image only (unreadable, too large, cannot be written); the batch goes on
                failed += 1
                tqdm.write(f"jcrnet enhance: error: {' '.join(str(error).split())}", file=sys.stderr)
                continue
            kind = f"{'gray' if picture.gray else 'RGB'}{'A' if picture.alpha is not None else ''} {picture.bits}-bit"
            tqdm.write(f"{source} -> {target} ({picture.size} {kind}, {plan.describe()}, "
                       f"{time.perf_counter() - started:.1f} s)")
    finally:
        remove_empty(created)  # folders made for outputs that none of the images reached
    if failed:
        print(f"jcrnet enhance: {failed} of {len(files)} image(s) failed", file=sys.stderr)
        return 1
    return 0
