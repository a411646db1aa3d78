"""The settings that define a training run: defaults sized for a CPU, resolution against a resumed run's checkpoint,
and validation of every number."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Optional

from jcrnet_kit.errors import KitError
from jcrnet_spec import DEFAULT_PRESET, recipe

FRAMEWORKS = ("torch", "mindspore")
#: CPU-sized defaults (the recipe: patch 256, batch 16); ``--patch 256 --batch 16`` gives the recipe's.
DEFAULTS = {"preset": DEFAULT_PRESET, "seed": 0, "batch": 4, "patch": 64, "lr": recipe.ADAM_LR, "steps": 1000}
#: The recipe warms up for 3 epochs; one epoch is one patch per training image.
WARMUP_EPOCHS = 3
#: Bounds of the numeric flags, each with its reason. Steps: a run is counted, logged and scheduled per step, so the
#: bound only keeps a typo from meaning centuries (10^9 steps). Batch x patch^2 is one batch's pixels: 256 x 256 x 16
#: is the recipe; the bounds keep one batch's arrays under a few GB. Learning rate: Adam with the recipe's 2e-4 already
#: diverges well below 1.
MAX_STEPS = 10 ** 9
MAX_BATCH = 1024
MIN_PATCH = 16
MAX_PATCH = 2048
MAX_LR = 1.0
#: Pixels of one global batch (batch x patch^2): 16 times the recipe's 16 x 256^2, about 400 MB of input arrays.
MAX_BATCH_PIXELS = 2 ** 24
#: Settings that define a run; a resumed run takes them from its checkpoint and refuses a different value.
RUN_FIELDS = ("framework", "preset", "data", "seed", "batch", "patch", "lr", "warmup_steps", "steps")


@dataclass(frozen=True)
class RunConfig:
    framework: str
    preset: str
    data: str
    seed: int
    batch: int
    patch: int
    lr: float
    warmup_steps: int
    steps: int


def resolve(args: argparse.Namespace, record: Optional[dict]) -> RunConfig:
    """The run's settings: a resumed run's checkpoint, else the arguments, else the defaults."""
    given = {"framework": args.framework, "preset": args.preset, "data": args.data, "seed": args.seed,
             "batch": args.batch, "patch": args.patch, "lr": args.lr, "warmup_steps": args.warmup_steps,
             "steps": args.steps}
    if record is not None:
        saved = record["run"]
        differ = [f"--{k.replace('_', '-')} {given[k]} (checkpoint: {saved[k]})" for k in RUN_FIELDS
                  if given[k] is not None and given[k] != saved[k]]
        if args.epochs is not None:
            differ.append("--epochs (a resumed run keeps its --steps)")
        if differ:
            raise KitError(f"{args.resume}: the run it continues differs in {'; '.join(differ)}")
        return RunConfig(**{k: saved[k] for k in RUN_FIELDS})
    values = {k: given[k] if given[k] is not None else DEFAULTS.get(k) for k in given}
    return RunConfig(**values)


def check(config: RunConfig, world: int, accumulate: int, val_every: int, save_every: int) -> None:
    for name in ("batch", "patch", "steps"):
        if getattr(config, name) < 1:
            raise KitError(f"--{name} must be at least 1")
    if config.steps > MAX_STEPS:
        raise KitError(f"the run would take {config.steps} steps (from --epochs), more than {MAX_STEPS}")
    if config.batch * config.patch ** 2 > MAX_BATCH_PIXELS:
        pixels = config.batch * config.patch ** 2
        raise KitError(f"--batch {config.batch} x --patch {config.patch} is {pixels:,} pixels per step, more than "
                       f"{MAX_BATCH_PIXELS:,} (16 x the recipe's 16 x 256^2)")
    if config.patch % 2:
        raise KitError(f"--patch {config.patch}: JCRNet needs an even patch side")
    if accumulate < 1 or val_every < 0 or save_every < 1 or config.warmup_steps < 0 or config.lr <= 0:
        raise KitError("--accumulate and --save-every must be at least 1, --val-every and --warmup-steps at least 0, "
                       "--lr positive")
    if config.batch % (world * accumulate):
        raise KitError(f"--batch {config.batch} does not split into {world} rank(s) x {accumulate} micro-batch(es)")
