"""``jcrnet train``'s run: the recipe (``jcrnet_spec.recipe``) in PyTorch or MindSpore, one process or data parallel
(``torchrun`` / ``msrun``), from the shared NumPy pipeline so that both frameworks see the same batches.
``--resume`` continues from a checkpoint exactly: same batches, schedule and optimiser state.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from convert.atomic import new_folders, remove_empty
from jcrnet_kit.devices import check_device
from jcrnet_kit.train.checkpoints import (
    MODEL_SUFFIX, check_run_outputs, checkpoint_stem, existing_checkpoints, initial_weights, previous_log,
    read_checkpoint, write_json,
)
from jcrnet_kit.train.config import DEFAULTS, WARMUP_EPOCHS, RunConfig, check, resolve
from jcrnet_kit.train.data import DataSets, even_crop, load_data, shards, skip
from jcrnet_kit.train.distributed import world_and_rank
from jcrnet_kit.train.optim import recipe_schedule
from jcrnet_spec import recipe


def validate(trainer, pairs) -> Tuple[float, float]:
    """Mean PSNR / SSIM of the model's output, clamped to [0, 1], over the validation pairs."""
    from jcrnet_kit.images.metrics import psnr_ssim

    scores = [psnr_ssim(np.clip(trainer.predict(even_crop(p.low)), 0.0, 1.0), even_crop(p.high)) for p in pairs]
    return float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores]))


def baseline(pairs) -> Tuple[float, float]:
    """Mean PSNR / SSIM of the unenhanced input against its target."""
    from jcrnet_kit.images.metrics import psnr_ssim

    scores = [psnr_ssim(even_crop(p.low), even_crop(p.high)) for p in pairs]
    return float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores]))


def _conv_backward(choice) -> str:
    """The MindSpore convolution backward the run built (``lowmem`` or ``stock``)."""
    from mindspore_impl.layers import conv_backward_for

    with conv_backward_for(choice, training=True) as kind:
        return kind


def train(args: argparse.Namespace) -> int:
    import torch  # noqa: F401  (torch before MindSpore in every process)

    from jcrnet_kit.images.patches import patch_batches

    record, stem = None, None
    if args.resume is not None:
        stem, record = read_checkpoint(args.resume)
        if args.init is not None:
            raise KitError("--init and --resume exclude each other (a resumed run starts from its checkpoint)")
    if args.framework is None and record is None:
        raise KitError("--framework torch|mindspore is required")
    if args.data is None and record is None:
        raise KitError("--data DIR|synthetic is required")
    framework = args.framework or record["run"]["framework"]
    device = check_device(args.device, framework)
    check_run_outputs(args.out, args.json, args.force, stem)
    world, rank = world_and_rank(framework, device)

    data_spec = args.data if args.data is not None else record["run"]["data"]
    seed = args.seed if args.seed is not None else (record["run"]["seed"] if record else DEFAULTS["seed"])
    data = load_data(data_spec, seed, args.val_data)
    if record is not None:
        state, preset, init = (*initial_weights(Path(str(stem) + MODEL_SUFFIX[framework]), None, seed)[:2],
                               f"resumed from {stem.name}")
    else:
        state, preset, init = initial_weights(args.init, args.preset, seed)
        if args.steps is None and args.epochs is not None:
            args.steps = max(1, math.ceil(args.epochs * len(data.train) / (args.batch or DEFAULTS["batch"])))
        if args.warmup_steps is None:
            steps = args.steps or DEFAULTS["steps"]
            epoch = math.ceil(len(data.train) / (args.batch or DEFAULTS["batch"]))
            args.warmup_steps = min(WARMUP_EPOCHS * epoch, steps // 10)
        args.preset, args.seed, args.data = preset, seed, data_spec
    config = resolve(args, record)
    start = record["step"] if record else 0

    check(config, world, args.accumulate, args.val_every, args.save_every)
    batches = skip(patch_batches(data.train, config.patch, config.batch, config.seed), start)
    later = existing_checkpoints(args.out, start)
    if later and not args.force:
        listed = ", ".join(later[:3]) + (" ..." if len(later) > 3 else "")
        raise KitError(f"{args.out}: already holds checkpoints ({listed}); pass --force to overwrite them or choose "
                       f"another --out")
    if start >= config.steps:
        raise KitError(f"{args.resume}: the run already reached step {start} of {config.steps}")

    schedule = recipe_schedule(config.steps, config.warmup_steps, config.lr)
    if framework == "torch":
        from jcrnet_kit.train.torch_trainer import TorchTrainer

        trainer = TorchTrainer(preset, state, device, world, rank, schedule)
    else:
        from jcrnet_kit.train.mindspore_trainer import MindSporeTrainer

        trainer = MindSporeTrainer(preset, state, device, world, args.ms_mode, schedule, conv=args.ms_conv)
    if record is not None:
        trainer.load_state(stem)
    lead = rank == 0
    created = new_folders(args.out) if lead else []
    command = " ".join(["jcrnet", *sys.argv[1:]]) if sys.argv[1:2] == ["train"] else None  # None: called in-process
    log = {"command": command, "run": asdict(config),
           "device": device, "ms_mode": args.ms_mode if framework == "mindspore" else None,
           "ms_conv": _conv_backward(args.ms_conv) if framework == "mindspore" else None, "world_size": world,
           "accumulate": args.accumulate, "init": init, "data": data.description, "train_pairs": len(data.train),
           "val_pairs": len(data.val), "schedule": f"linear warm-up {config.warmup_steps} steps, cosine to "
                                                   f"{recipe.LR_MIN:g}", "resumed_from": stem.name if stem else None,
           "steps": [], "validation": [], "checkpoints": []}
    if lead and stem is not None:
        log.update(previous_log(args.out, stem, start) or {})
    try:
        if lead:
            psnr, ssim = baseline(data.val)
            log["baseline"] = {"psnr": psnr, "ssim": ssim}
        return _loop(args, config, trainer, data, batches, start, world, rank, log)
    except BaseException:
        remove_empty(created)  # a run that failed before its first checkpoint leaves no folder behind
        raise


def _loop(args, config: RunConfig, trainer, data: DataSets, batches, start: int, world: int, rank: int,
          log: dict) -> int:
    from tqdm import tqdm

    lead = rank == 0
    started = time.perf_counter()

    def validation(step: int) -> None:
        if not lead or args.val_every == 0:
            return
        psnr, ssim = validate(trainer, data.val)
        log["validation"].append({"step": step, "psnr": psnr, "ssim": ssim})
        base = log["baseline"]
        bar.write(f"step {step}: val PSNR {psnr:.2f} dB, SSIM {ssim:.4f} (input {base['psnr']:.2f} dB, "
                  f"{base['ssim']:.4f})")

    def checkpoint(step: int, loss: float) -> None:
        if not lead:
            return
        stem = checkpoint_stem(args.out, step)
        trainer.save(stem, args.force)
        log["checkpoints"].append(stem.name)
        write_json(stem.with_suffix(".json"), {"step": step, "loss": loss, "run": asdict(config)},
                   force=args.force)
        write_json(args.out / "train_log.json", log)

    bar = tqdm(total=config.steps, initial=start, desc=f"train {trainer.framework}", disable=not lead,
               dynamic_ncols=True, file=sys.stderr)
    if start == 0:
        validation(0)
    loss = float("nan")
    for step in range(start + 1, config.steps + 1):
        x, y = next(batches)
        lr = recipe.learning_rate(step, config.steps, config.warmup_steps, config.lr)
        tick = time.perf_counter()
        loss = trainer.step(step, lr, shards(x, y, world, rank, args.accumulate))
        if not math.isfinite(loss):
            raise KitError(f"step {step}: the loss is {loss}; training diverged (try a lower --lr)")
        log["steps"].append({"step": step, "loss": loss, "lr": lr, "seconds": time.perf_counter() - tick})
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.4f}", lr=f"{lr:.2e}")
        if args.val_every and (step % args.val_every == 0 or step == config.steps):
            validation(step)
        if step % args.save_every == 0 or step == config.steps:
            checkpoint(step, loss)
    bar.close()
    trainer.finish()
    log["seconds_total"] = time.perf_counter() - started
    if lead:
        write_json(args.out / "train_log.json", log)
        if args.json is not None:
            write_json(args.json, log, force=args.force)
        last = log["validation"][-1] if log["validation"] else None
        summary = f", val PSNR {last['psnr']:.2f} dB (input {log['baseline']['psnr']:.2f} dB)" if last else ""
        print(f"jcrnet train: {trainer.framework} {config.steps - start} steps in {log['seconds_total']:.1f} s, "
              f"last loss {loss:.4f}{summary}; checkpoints in {args.out}")
    return 0
