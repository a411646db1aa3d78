"""Checkpoints of ``jcrnet train``: ``OUT/step_NNNNNN.{pth|ckpt}`` (the framework's own file, through ``convert``),
``.safetensors`` (torch naming), ``.state.{pth|ckpt}`` (optimiser state) and ``.json`` (step and run settings;
written last, so a checkpoint without it is incomplete)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_kit.numbers import MAX_SEED
from jcrnet_spec import DEFAULT_PRESET
from jcrnet_spec.errors import first_line

CHECKPOINT = re.compile(r"^step_(\d{6})\.")
MODEL_SUFFIX = {"torch": ".pth", "mindspore": ".ckpt"}
#: A checkpoint record is a few hundred bytes of JSON.
MAX_RECORD_BYTES = 2 ** 20
#: A training log holds a few hundred bytes per step.
MAX_LOG_BYTES = 2 ** 30


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
    if record_path.stat().st_size > MAX_RECORD_BYTES:
        raise KitError(f"{record_path}: {record_path.stat().st_size} bytes is not a checkpoint record (a few hundred)")
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as error:
        raise KitError(f"{record_path}: not a `jcrnet train` checkpoint record (not JSON: "
                       f"{first_line(error)})") from None
    except OSError as error:
        raise KitError(f"{record_path}: cannot be read ({error.strerror or error})") from None
    check_record(record, record_path)
    framework = record["run"]["framework"]
    for suffix in (MODEL_SUFFIX[framework], ".state" + MODEL_SUFFIX[framework]):
        if not Path(str(stem) + suffix).is_file():
            raise KitError(f"{path}: incomplete checkpoint (step_{record['step']:06d}{suffix} is missing)")
    return stem, record


def _field_problem(name: str, value: object) -> Optional[str]:
    """Why ``value`` cannot be the run setting ``name`` of a checkpoint record (None: it can)."""
    from jcrnet_kit.train.config import FRAMEWORKS, MAX_BATCH, MAX_LR, MAX_PATCH, MAX_STEPS, MIN_PATCH
    from jcrnet_spec import PRESETS

    whole = isinstance(value, int) and not isinstance(value, bool)
    rules = {
        "framework": (isinstance(value, str) and value in FRAMEWORKS, f"one of {', '.join(FRAMEWORKS)}"),
        "preset": (isinstance(value, str) and value in PRESETS, f"one of {', '.join(PRESETS)}"),
        "data": (isinstance(value, str) and bool(value), "a folder or 'synthetic'"),
        "seed": (whole and 0 <= value <= MAX_SEED, f"a whole number 0..{MAX_SEED}"),
        "batch": (whole and 1 <= value <= MAX_BATCH, f"a whole number 1..{MAX_BATCH}"),
        "patch": (whole and MIN_PATCH <= value <= MAX_PATCH and value % 2 == 0,
                  f"an even number {MIN_PATCH}..{MAX_PATCH}"),
        "lr": (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
               and 0 < value <= MAX_LR, f"a finite number in (0, {MAX_LR:g}]"),
        "warmup_steps": (whole and 0 <= value <= MAX_STEPS, "a whole number >= 0"),
        "steps": (whole and 1 <= value <= MAX_STEPS, "a whole number >= 1"),
    }
    ok, expected = rules[name]
    return None if ok else f"run.{name} is {json.dumps(value)[:40]}, expected {expected}"


def check_record(record: object, path: Path) -> None:
    """Refuse a checkpoint record (``step_NNNNNN.json``) with a missing or wrong field, naming the first ones: every
    value of it becomes a setting of the resumed run."""
    from jcrnet_kit.train.config import RUN_FIELDS

    if not isinstance(record, dict) or not isinstance(record.get("run"), dict):
        raise KitError(f"{path}: not a `jcrnet train` checkpoint record (no \"run\" settings)")
    run = record["run"]
    problems = [f"run.{name} is missing" for name in RUN_FIELDS if name not in run]
    problems += [p for p in (_field_problem(name, run[name]) for name in RUN_FIELDS if name in run) if p]
    step = record.get("step")
    if not (isinstance(step, int) and not isinstance(step, bool) and step >= 1):
        problems.append(f"step is {json.dumps(step)[:40]}, expected a whole number >= 1")
    elif isinstance(run.get("steps"), int) and step > run["steps"]:
        problems.append(f"step {step} is past the run's {run['steps']} steps")
    if problems:
        raise KitError(f"{path}: damaged checkpoint record: {'; '.join(problems[:4])}"
                       f"{' ...' if len(problems) > 4 else ''}")


def existing_checkpoints(out: Path, after: int) -> List[str]:
    """Checkpoint files in ``out`` of steps after ``after`` (those this run would write or contradict)."""
    if not out.is_dir():
        return []
    found = ((p.name, CHECKPOINT.match(p.name)) for p in out.iterdir())
    return sorted(name for name, match in found if match and int(match.group(1)) > after)


def write_json(path: Path, payload: dict, force: bool = True) -> None:
    from convert.atomic import write_text

    write_text(path, json.dumps(payload, indent=1) + "\n", force)


LOG_NAME = "train_log.json"


def previous_log(out: Path, stem: Path, start: int) -> Optional[dict]:
    """The entries up to step ``start`` of ``out``'s training log when it is the log of the run that wrote the
    checkpoint ``stem`` (a resumed run continues it); None for any other file."""
    path = out / LOG_NAME
    try:
        log = json.loads(path.read_text(encoding="utf-8")) if path.stat().st_size <= MAX_LOG_BYTES else None
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(log, dict) or stem.name not in (log.get("checkpoints") or []):
        return None
    try:
        kept = {key: [row for row in log[key] if row["step"] <= start] for key in ("steps", "validation")}
        kept["checkpoints"] = [name for name in log["checkpoints"]
                               if int(CHECKPOINT.match(name + ".").group(1)) <= start]
    except (KeyError, TypeError, AttributeError, ValueError):
        return None
    return kept


def check_run_outputs(out: Path, json_path: Optional[Path], force: bool, resumed: Optional[Path]) -> None:
    """Before a run starts: ``--out`` must be a writable folder (or creatable), ``--json`` writable and new (or
    ``--force``), and ``--out`` must not hold another run's training log (a resumed run continues its own)."""
    from jcrnet_kit.gates import check_output_file, check_output_folder

    check_output_folder(out, "--out")
    check_output_file(json_path, "--json", force)
    log = out / LOG_NAME
    if (log.exists() or log.is_symlink()) and not force and (resumed is None or previous_log(out, resumed, 0) is None):
        raise KitError(f"--out {out}: already holds {LOG_NAME} of another run; pass --force to overwrite it or choose "
                       f"another --out")
