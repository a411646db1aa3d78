"""Checkpoints of ``jcrnet train``: ``OUT/step_NNNNNN.{pth|ckpt}`` (the framework's own file, through ``convert``),
``.safetensors`` (torch naming), ``.state.{pth|ckpt}`` (optimiser state) and ``.json`` (step and run settings;
written last, so a checkpoint without it is incomplete)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_spec import DEFAULT_PRESET

CHECKPOINT = re.compile(r"^step_(\d{6})\.")
MODEL_SUFFIX = {"torch": ".pth", "mindspore": ".ckpt"}


def initial_weights(init: Optional[Path], preset: Optional[str], seed: int) -> Tuple[Dict[str, np.ndarray], str, str]:
    """(torch-named float state, preset, description) from ``--init`` (any file the converter reads) or the seed."""
    from convert.weights import weights_for_model
    from jcrnet_spec import architecture, seeded_weights

    if init is None:
        preset = preset or DEFAULT_PRESET
        return seeded_weights(architecture(preset), seed), preset, f"seeded weights (seed {seed})"
    weights = weights_for_model(init, "torch", preset)
    return weights.tensors, weights.preset, f"{init.name} ({weights.describe()})"


def checkpoint_stem(out: Path, step: int) -> Path:
    return out / f"step_{step:06d}"


def _stem_of(path: Path) -> Path:
    name = path.name
    match = CHECKPOINT.match(name)
    if not match:
        raise KitError(f"{path}: not a checkpoint of `jcrnet train` (expected step_NNNNNN.pth/.ckpt/.json)")
    return path.with_name(f"step_{match.group(1)}")


def read_checkpoint(path: Path) -> Tuple[Path, dict]:
    """(stem, record) of the checkpoint that ``path`` (any of its files) belongs to; refuses an incomplete one."""
    stem = _stem_of(path)
    record_path = stem.with_suffix(".json")
    if not record_path.is_file():
        raise KitError(f"{path}: incomplete checkpoint ({record_path.name} is missing)")
    try:
        record = json.loads(record_path.read_text())
        framework = record["run"]["framework"]
    except (ValueError, KeyError, TypeError):
        raise KitError(f"{record_path}: not a `jcrnet train` checkpoint record") from None
    for suffix in (MODEL_SUFFIX[framework], ".state" + MODEL_SUFFIX[framework]):
        if not Path(str(stem) + suffix).is_file():
            raise KitError(f"{path}: incomplete checkpoint (step_{record['step']:06d}{suffix} is missing)")
    return stem, record


def existing_checkpoints(out: Path, after: int) -> List[str]:
    """Checkpoint files in ``out`` of steps after ``after`` (those this run would write or contradict)."""
    if not out.is_dir():
        return []
    found = ((p.name, CHECKPOINT.match(p.name)) for p in out.iterdir())
    return sorted(name for name, match in found if match and int(match.group(1)) > after)


def write_json(path: Path, payload: dict, force: bool = True) -> None:
    from convert.atomic import write_text

    write_text(path, json.dumps(payload, indent=1) + "\n", force)
