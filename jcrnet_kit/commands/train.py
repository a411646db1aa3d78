"""``jcrnet train``: the training recipe in PyTorch or MindSpore (``jcrnet_kit.train``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from jcrnet_kit.numbers import even, positive_real, seed, whole
from jcrnet_kit.train.config import (
    DEFAULTS, FRAMEWORKS, MAX_BATCH, MAX_LR, MAX_PATCH, MAX_STEPS, MIN_PATCH, WARMUP_EPOCHS,
)
from jcrnet_spec import DEFAULT_PRESET, PRESETS, recipe


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "train", help="train JCRNet (PyTorch or MindSpore; torchrun / msrun for data parallel)",
        description="Train JCRNet with the recipe (Charbonnier + 0.05 edge loss on both outputs, Adam (0.9, 0.999, "
                    "1e-8), linear warm-up then cosine decay to 1e-6, random patches with the 8 flips/rotations). "
                    f"Defaults are sized for a CPU (patch {DEFAULTS['patch']}, batch {DEFAULTS['batch']}, "
                    f"{DEFAULTS['steps']} steps); the recipe is --patch 256 --batch 16. Data parallel: run under "
                    "`torchrun --nproc_per_node N` (torch) or `msrun --worker_num N --local_worker_num N` (MindSpore); "
                    "--batch is the global batch, each rank takes its shard.")
    p.add_argument("--framework", choices=FRAMEWORKS, default=None, help="torch or mindspore (a resumed run: its own)")
    p.add_argument("--data", default=None,
                   help="LOL folder (our485/ + eval15/), an input/ + target/ folder, or 'synthetic' (seeded darkened "
                        "scikit-image photos; validation on held-out rows darkened with another seed)")
    p.add_argument("--val-data", type=Path, default=None,
                   help="validation folder (default: the eval split of --data: eval15/, or input/ + target/)")
    p.add_argument("--preset", choices=sorted(PRESETS), default=None, help=f"default {DEFAULT_PRESET} (or --init's)")
    p.add_argument("--device", default=None, help="CPU (default), GPU or Ascend (Ascend: MindSpore only)")
    p.add_argument("--ms-mode", choices=["pynative", "graph"], default="graph",
                   help="MindSpore execution mode of the training step (default graph: faster here)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--steps", type=whole(1, MAX_STEPS), default=None,
                        help=f"optimiser steps (default {DEFAULTS['steps']})")
    length.add_argument("--epochs", type=positive_real(MAX_STEPS), default=None,
                        help="epochs of one random patch per training image (steps = ceil(epochs x images / batch))")
    p.add_argument("--batch", type=whole(1, MAX_BATCH), default=None,
                   help=f"global batch (default {DEFAULTS['batch']}; recipe 16)")
    p.add_argument("--patch", type=even(MIN_PATCH, MAX_PATCH), default=None,
                   help=f"patch side (default {DEFAULTS['patch']}; recipe 256)")
    p.add_argument("--lr", type=positive_real(MAX_LR, "Adam diverges far below that"), default=None,
                   help=f"peak learning rate (default {recipe.ADAM_LR:g})")
    p.add_argument("--warmup-steps", type=whole(0, MAX_STEPS), default=None,
                   help=f"linear warm-up steps (default {WARMUP_EPOCHS} epochs, at most a tenth of the run)")
    p.add_argument("--ms-conv", choices=["auto", "lowmem", "stock"], default=None,
                   help="MindSpore's convolution backward: lowmem (forward convolutions only: a quarter of the "
                        "memory on CPU, slower step), stock (MindSpore's own), auto (default, or $JCRNET_MS_CONV: "
                        "lowmem on CPU, stock on GPU and Ascend); docs/PERFORMANCE.md")
    p.add_argument("--accumulate", type=whole(1, MAX_BATCH), default=1,
                   help="split each rank's batch into this many micro-batches and average their gradients; "
                        "BatchNorm then sees each micro-batch alone, exactly as that many data-parallel ranks would "
                        "(the recipe's --batch 16 fits this CPU with --accumulate 16 in MindSpore, 4 in torch)")
    p.add_argument("--val-every", type=whole(0), default=100,
                   help="validate every N steps, at the start and end (0: never)")
    p.add_argument("--save-every", type=whole(1), default=500, help="checkpoint every N steps; always at the end")
    p.add_argument("--out", type=Path, default=Path("out/train"), help="checkpoint folder (default out/train)")
    p.add_argument("--init", type=Path, default=None,
                   help="initial weights: any file `jcrnet convert` reads (default: seeded weights of --seed)")
    p.add_argument("--resume", type=Path, default=None, help="continue a run from its checkpoint (step_NNNNNN.*)")
    p.add_argument("--seed", type=seed, default=None, help="seed of the batches and of the default weights (0)")
    p.add_argument("--force", action="store_true",
                   help="overwrite checkpoints, train_log.json and --json files that already exist")
    p.add_argument("--json", type=Path, default=None, help="also write the training log (JSON) here")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jcrnet_kit.train.loop import train

    return train(args)
