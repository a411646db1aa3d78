"""Gates a command calls before it starts work: output files and folders, and ``jcrnet verify``'s input.

Each refuses in one line naming the flag and the file (a ``KitError``, exit 2), so that a run of minutes never ends in
"cannot write" or "already exists", and nothing is created on the way: a probe file is removed at once, a folder that
does not exist yet is only checked to be creatable. The weights gate is ``convert.load_weights`` (``convert.gate``),
the image gate ``jcrnet_kit.images.picture.read_picture``, the device gate ``jcrnet_kit.devices.check_device``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.numbers import parse_size

#: The largest image ``jcrnet verify`` runs: it hooks all 165 layers in torch, MindSpore and float64 and keeps every
#: layer's output of each; at the default 256x384 (98 k pixels) it takes about a minute on 2 CPU cores.
VERIFY_MAX_PIXELS = 1024 * 1024
#: The files ``jcrnet verify --out`` writes (``check_output_folder(args.out, "--out", VERIFY_OUT_FILES, args.force)``).
VERIFY_OUT_FILES = ("input_low.png", "enhanced_torch.png", "enhanced_mindspore.png", "verify.json")
#: The smallest even side JCRNet runs on: the half-instance-norm after its stride-2 level needs more than 1 pixel.
MIN_RUN_SIDE = 4


def _nearest_existing(folder: Path) -> Path:
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    return probe


def check_folder_writable(folder: Path, flag: str) -> None:
    """Refuse a folder that is not a folder or refuses new files (a probe file is created and removed at once); a
    folder still to be created is checked at its nearest existing parent."""
    existing = _nearest_existing(Path(folder))
    if not existing.is_dir():
        raise KitError(f"{flag} {folder}: {existing} is not a folder")
    probe = existing / f".jcrnet-probe.{secrets.token_hex(4)}"
    try:
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError as error:
        raise KitError(f"{flag} {folder}: cannot write in {existing} ({error.strerror or error})") from None
    with contextlib.suppress(OSError):
        os.unlink(probe)


def check_output_file(path: Optional[Path], flag: str, force: bool, create_parent: bool = False) -> None:
    """Refuse an output file that could not be written at the end: a folder, a missing parent (unless
    ``create_parent``), an existing file without ``--force``, or a folder that refuses new files."""
    if path is None:
        return
    path = Path(path)
    if path.is_dir():
        raise KitError(f"{flag} {path}: is a folder; give a file name")
    if not create_parent and not path.parent.is_dir():
        raise KitError(f"{flag} {path}: the folder {path.parent} does not exist")
    if (path.exists() or path.is_symlink()) and not force:
        raise KitError(f"{flag} {path}: already exists; pass --force to overwrite it")
    check_folder_writable(path.parent, flag)


def check_output_folder(folder: Optional[Path], flag: str, names: Sequence[str] = (), force: bool = False) -> None:
    """Refuse an output folder that is a file or cannot be written, or that already holds one of ``names`` (without
    ``--force``)."""
    if folder is None:
        return
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise KitError(f"{flag} {folder}: exists and is not a folder")
    existing = [name for name in names if (folder / name).exists()]
    if existing and not force:
        raise KitError(f"{flag} {folder}: already holds {', '.join(existing)}; pass --force to overwrite")
    check_folder_writable(folder, flag)


def verify_size(text: str, flag: str = "--size") -> Tuple[int, int]:
    """``jcrnet verify --size``: HxW, both even and at least ``MIN_RUN_SIDE``, at most ``VERIFY_MAX_PIXELS``."""
    h, w = parse_size(text, flag, VERIFY_MAX_PIXELS)
    if h % 2 or w % 2 or min(h, w) < MIN_RUN_SIDE:
        raise KitError(f"{flag} {text}: JCRNet needs even H and W of at least {MIN_RUN_SIDE} (one stride-2 level)")
    return h, w


def verify_input(path: Path, flag: str = "--input") -> np.ndarray:
    """``jcrnet verify --input``: the image as a 1 x 3 x H x W batch, an odd side losing its last row or column;
    refused in one line naming the file when unreadable, too small to run or larger than ``VERIFY_MAX_PIXELS``."""
    from jcrnet_kit.images.picture import read_picture

    image = read_picture(path, max_pixels=VERIFY_MAX_PIXELS).rgb
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2
    if min(h, w) < MIN_RUN_SIDE:
        raise KitError(f"{flag} {path}: {image.shape[0]}x{image.shape[1]} is too small; JCRNet needs at least "
                       f"{MIN_RUN_SIDE}x{MIN_RUN_SIDE}")
    return np.ascontiguousarray(image[:h, :w].transpose(2, 0, 1)[None])
