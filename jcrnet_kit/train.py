"""``jcrnet train``: the training recipe (``jcrnet_spec.training``) in PyTorch or MindSpore, one process or data
parallel (``torchrun`` / ``msrun``), from the shared NumPy pipeline so that both frameworks see the same batches.

Checkpoints: ``OUT/step_NNNNNN.{pth|ckpt}`` (the framework's own file, through ``convert``), ``.safetensors`` (torch
naming), ``.state.{pth|ckpt}`` (optimiser state) and ``.json`` (step and run settings; written last, so a checkpoint
without it is incomplete). ``--resume`` continues from one exactly: same batches, schedule and optimiser state.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
from contextlib import nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from jcrnet_kit.errors import KitError
from jcrnet_spec import DEFAULT_PRESET, PRESETS, training

FRAMEWORKS = ("torch", "mindspore")
SYNTHETIC = "synthetic"
#: CPU-sized defaults (the recipe: patch 256, batch 16); ``--patch 256 --batch 16`` gives the recipe's.
DEFAULTS = {"preset": DEFAULT_PRESET, "seed": 0, "batch": 4, "patch": 64, "lr": training.ADAM_LR, "steps": 1000}
#: The recipe warms up for 3 epochs; one epoch is one patch per training image.
WARMUP_EPOCHS = 3
#: synthetic_pairs draws its photos in SYNTHETIC_SOURCES order; training uses the first four (astronaut, coffee,
#: chelsea, rocket): the set the shipped weights and the curves in docs/TRAINING.md were made from.
SYNTHETIC_PHOTOS = 4
#: The synthetic set trains on the top two thirds of each photo and validates on the bottom third, darkened with
#: another seed: held-out pixels and held-out noise.
SYNTHETIC_TRAIN_FRACTION = 2 / 3
VAL_SEED_OFFSET = 1
#: Settings that define a run; a resumed run takes them from its checkpoint and refuses a different value.
RUN_FIELDS = ("framework", "preset", "data", "seed", "batch", "patch", "lr", "warmup_steps", "steps")
CHECKPOINT = re.compile(r"^step_(\d{6})\.")
MODEL_SUFFIX = {"torch": ".pth", "mindspore": ".ckpt"}


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
    length.add_argument("--steps", type=int, default=None, help=f"optimiser steps (default {DEFAULTS['steps']})")
    length.add_argument("--epochs", type=float, default=None,
                        help="epochs of one random patch per training image (steps = ceil(epochs x images / batch))")
    p.add_argument("--batch", type=int, default=None, help=f"global batch (default {DEFAULTS['batch']}; recipe 16)")
    p.add_argument("--patch", type=int, default=None, help=f"patch side (default {DEFAULTS['patch']}; recipe 256)")
    p.add_argument("--lr", type=float, default=None, help=f"peak learning rate (default {training.ADAM_LR:g})")
    p.add_argument("--warmup-steps", type=int, default=None,
                   help=f"linear warm-up steps (default {WARMUP_EPOCHS} epochs, at most a tenth of the run)")
    p.add_argument("--accumulate", type=int, default=1,
                   help="split each rank's batch into this many micro-batches and average their gradients; "
                        "BatchNorm then sees each micro-batch alone, exactly as that many data-parallel ranks would")
    p.add_argument("--val-every", type=int, default=100, help="validate every N steps, at the start and end (0: never)")
    p.add_argument("--save-every", type=int, default=500, help="checkpoint every N steps; always at the end")
    p.add_argument("--out", type=Path, default=Path("out/train"), help="checkpoint folder (default out/train)")
    p.add_argument("--init", type=Path, default=None,
                   help="initial weights: any file `jcrnet convert` reads (default: seeded weights of --seed)")
    p.add_argument("--resume", type=Path, default=None, help="continue a run from its checkpoint (step_NNNNNN.*)")
    p.add_argument("--seed", type=int, default=None, help="seed of the batches and of the default weights (0)")
    p.add_argument("--force", action="store_true", help="overwrite checkpoints already in --out")
    p.add_argument("--json", type=Path, default=None, help="also write the training log (JSON) here")
    p.set_defaults(func=run)


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


# ---------------------------------------------------------------- data


@dataclass(frozen=True)
class DataSets:
    train: list
    val: list
    description: str


def _rows(pair, start: int, stop: int):
    from jcrnet_kit.data import Pair

    return Pair(pair.name, pair.low[start:stop], pair.high[start:stop])


def load_data(data: str, seed: int, val_data: Optional[Path] = None) -> DataSets:
    """Training and validation pairs; every image is read (and checked) before anything is written."""
    from jcrnet_kit.data import find_pairs, load_pairs, synthetic_pairs

    if data == SYNTHETIC:
        train, val = [], []
        for pair, held_out in zip(synthetic_pairs(seed, count=SYNTHETIC_PHOTOS),
                                  synthetic_pairs(seed + VAL_SEED_OFFSET, count=SYNTHETIC_PHOTOS)):
            cut = int(pair.low.shape[0] * SYNTHETIC_TRAIN_FRACTION) // 2 * 2
            train.append(_rows(pair, 0, cut))
            val.append(_rows(held_out, cut, held_out.low.shape[0]))
        val = val if val_data is None else load_pairs(val_data, "eval")
        return DataSets(train, val, f"synthetic seed {seed}: top {SYNTHETIC_TRAIN_FRACTION:.0%} of "
                                    f"{SYNTHETIC_PHOTOS} photos; validation: the other rows, darkened with seed "
                                    f"{seed + VAL_SEED_OFFSET}")
    root = Path(data)
    train = load_pairs(root, "train")
    val_root = val_data or root
    val = load_pairs(val_root, "eval")
    same = find_pairs(val_root, "eval")[0][1].parent == find_pairs(root, "train")[0][1].parent
    note = " (the training images: no eval15/ and no --val-data)" if same else ""
    return DataSets(train, val, f"{root}: {len(train)} training pairs; validation {val_root}: {len(val)} pairs{note}")


def skip(batches: Iterator, count: int) -> Iterator:
    for _ in range(count):
        next(batches)
    return batches


def shards(x: np.ndarray, y: np.ndarray, world: int, rank: int, accumulate: int) -> List[Tuple[np.ndarray, ...]]:
    """This rank's micro-batches of a global batch: rank r takes the r-th of ``world`` equal slices, split into
    ``accumulate`` equal parts."""
    per_rank = len(x) // world
    x, y = x[rank * per_rank:(rank + 1) * per_rank], y[rank * per_rank:(rank + 1) * per_rank]
    size = per_rank // accumulate
    return [(x[i * size:(i + 1) * size], y[i * size:(i + 1) * size]) for i in range(accumulate)]


def even_crop(image: np.ndarray) -> np.ndarray:
    return image[:image.shape[0] // 2 * 2, :image.shape[1] // 2 * 2]


# ---------------------------------------------------------------- weights and checkpoints


def initial_weights(init: Optional[Path], preset: Optional[str], seed: int) -> Tuple[Dict[str, np.ndarray], str, str]:
    """(torch-named float state, preset, description) from ``--init`` (any file the converter reads) or the seed."""
    from jcrnet_kit.runner import load_torch_state
    from jcrnet_spec import architecture, seeded_weights

    if init is None:
        preset = preset or DEFAULTS["preset"]
        return seeded_weights(architecture(preset), seed), preset, f"seeded weights (seed {seed})"
    return load_torch_state(init, preset)


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


# ---------------------------------------------------------------- framework back-ends


class TorchTrainer:
    """The recipe in PyTorch; ``torch.optim.Adam`` runs with MindSpore's eps convention (``jcrnet_kit.training``):
    eps at step t is ``eps / sqrt(1 - b2^t)``, so both frameworks run the same algorithm."""

    framework = "torch"

    def __init__(self, preset: str, state: Dict[str, np.ndarray], device: str, world: int, rank: int):
        import torch

        from jcrnet_kit.training import build_torch

        self.torch, self.preset, self.world = torch, preset, world
        self.device = torch.device("cuda", rank % max(1, torch.cuda.device_count())) if device == "GPU" else \
            torch.device("cpu")
        if self.device.type == "cuda":
            # torch_reference/loss.py builds its blur kernel and mask without a device argument.
            torch.set_default_device(self.device)
        self.model = build_torch(preset, state, train=True).to(self.device)
        self.ddp = None
        if world > 1:
            from torch.nn.parallel import DistributedDataParallel

            # JCRNet has parameters that reach no output (the spec's unused modules).
            self.ddp = DistributedDataParallel(self.model, find_unused_parameters=True)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=training.ADAM_LR, betas=training.ADAM_BETAS,
                                    eps=training.ADAM_EPS, foreach=False)

    def step(self, step: int, lr: float, micro: Sequence[Tuple[np.ndarray, np.ndarray]]) -> float:
        from torch_reference.loss import jcrnet_loss

        torch = self.torch
        for group in self.opt.param_groups:
            group["lr"] = lr
            group["eps"] = training.ADAM_EPS / math.sqrt(1.0 - training.ADAM_BETAS[1] ** step)
        self.opt.zero_grad(set_to_none=True)
        net = self.ddp or self.model
        total = torch.zeros((), dtype=torch.float64)
        for i, (x, y) in enumerate(micro):
            sync = nullcontext() if self.ddp is None or i == len(micro) - 1 else self.ddp.no_sync()
            with sync:
                loss = jcrnet_loss(net(torch.from_numpy(x).to(self.device)), torch.from_numpy(y).to(self.device))
                (loss / len(micro)).backward()
            total += loss.detach().cpu().double() / len(micro)
        self.opt.step()
        if self.world > 1:
            torch.distributed.all_reduce(total)
            total /= self.world
        return float(total)

    def finish(self) -> None:
        """Leave the process group together (a no-op in one process)."""
        if self.world > 1:
            self.torch.distributed.barrier()
            self.torch.distributed.destroy_process_group()

    def predict(self, low: np.ndarray) -> np.ndarray:
        torch = self.torch
        self.model.eval()
        with torch.no_grad():
            out = self.model(torch.from_numpy(np.ascontiguousarray(low.transpose(2, 0, 1)[None])).to(self.device))[0]
        self.model.train()
        return out[0].cpu().numpy().transpose(1, 2, 0)

    def weights(self) -> Dict[str, np.ndarray]:
        from torch_reference import numpy_state

        return numpy_state(self.model)

    def save(self, stem: Path, force: bool) -> None:
        import convert
        from convert.atomic import atomic_output

        weights = convert.Weights(self.weights(), "torch", self.preset)
        convert.save_weights(weights, str(stem) + ".pth", force=force)
        convert.save_weights(weights, str(stem) + ".safetensors", force=force)
        with atomic_output(Path(str(stem) + ".state.pth"), force) as tmp:
            self.torch.save({"optimizer": self.opt.state_dict()}, tmp)

    def load_state(self, stem: Path) -> None:
        path = Path(str(stem) + ".state.pth")
        try:
            state = self.torch.load(path, weights_only=True, map_location=self.device)
            self.opt.load_state_dict(state["optimizer"])
        except Exception as error:  # torch raises many kinds for a damaged or foreign file; report one line
            raise KitError(f"{path}: not a readable optimiser state ({type(error).__name__}: "
                           f"{str(error).splitlines()[0] if str(error) else ''})") from None


class MindSporeTrainer:
    """The recipe in MindSpore: ``value_and_grad`` of the shared loss, stock ``nn.Adam`` (its eps convention) with the
    schedule as its dynamic learning rate; data parallel through ``DistributedGradReducer`` (mean)."""

    framework = "mindspore"

    def __init__(self, preset: str, state: Dict[str, np.ndarray], device: str, world: int, mode: str,
                 schedule: Sequence[float]):
        import mindspore as ms
        from mindspore import nn

        import mindspore_impl
        from jcrnet_kit.training import build_mindspore, mindspore_loss_fn

        mindspore_impl.configure(device=device, mode=mode)
        self.ms, self.preset, self.world = ms, preset, world
        self.net = build_mindspore(preset, state, train=True)
        b1, b2 = training.ADAM_BETAS
        # The whole schedule as nn.Adam's dynamic learning rate, indexed by its global_step (saved with the state).
        # Setting a learning-rate Parameter before each step works in Graph mode only: PyNative kept the first value.
        self.schedule = list(schedule)
        self.opt = nn.Adam(self.net.trainable_params(), learning_rate=self.schedule, beta1=b1, beta2=b2,
                           eps=training.ADAM_EPS)
        grad_fn = mindspore_loss_fn(self.net)
        self.grad_fn = ms.jit(grad_fn) if mode == "graph" else grad_fn
        self.reducer = nn.DistributedGradReducer(self.opt.parameters, mean=True, degree=world) if world > 1 else None

    def _optimizer_params(self) -> list:
        opt = self.opt
        return [*opt.moment1, *opt.moment2, opt.beta1_power, opt.beta2_power, opt.global_step]

    def step(self, step: int, lr: float, micro: Sequence[Tuple[np.ndarray, np.ndarray]]) -> float:
        ms = self.ms
        if abs(self.schedule[step - 1] - lr) > 1e-12 * lr:
            raise RuntimeError(f"step {step}: learning rate {lr} is not the schedule's {self.schedule[step - 1]}")
        total, grads = 0.0, None
        for x, y in micro:
            loss, g = self.grad_fn(ms.Tensor(x), ms.Tensor(y))
            grads = g if grads is None else tuple(a + b for a, b in zip(grads, g))
            total += float(loss) / len(micro)
        if len(micro) > 1:
            grads = tuple(g / len(micro) for g in grads)
        if self.reducer is not None:
            grads = self.reducer(grads)
            total = float(ms.ops.AllReduce()(ms.Tensor([total], ms.float32)).asnumpy()[0]) / self.world
        self.opt(grads)
        return total

    def finish(self) -> None:
        """Leave the cluster together: an all-reduce as a barrier, then ``release()`` (without them a worker that
        exited first sometimes crashed with SIGSEGV in MindSpore's teardown, failing the msrun job)."""
        if self.world > 1:
            from mindspore.communication import release

            self.ms.ops.AllReduce()(self.ms.Tensor([0.0], self.ms.float32)).asnumpy()
            release()

    def predict(self, low: np.ndarray) -> np.ndarray:
        from mindspore_impl.compat import mode

        self.net.set_train(False)
        with mode("pynative"):  # no graph compilation per validation image size
            out = self.net(self.ms.Tensor(np.ascontiguousarray(low.transpose(2, 0, 1)[None])))[0]
        self.net.set_train(True)
        return out.asnumpy()[0].transpose(1, 2, 0)

    def weights(self) -> Dict[str, np.ndarray]:
        from jcrnet_spec import architecture, mindspore_to_torch
        from mindspore_impl import numpy_params

        return mindspore_to_torch(numpy_params(self.net), architecture(self.preset))

    def save(self, stem: Path, force: bool) -> None:
        import convert
        from convert.atomic import atomic_output
        from mindspore_impl import numpy_params

        weights = convert.Weights(numpy_params(self.net), "mindspore", self.preset)
        convert.save_weights(weights, str(stem) + ".ckpt", force=force)
        convert.save_weights(weights, str(stem) + ".safetensors", naming="torch", force=force)
        with atomic_output(Path(str(stem) + ".state.ckpt"), force) as tmp:
            self.ms.save_checkpoint([{"name": p.name, "data": p} for p in self._optimizer_params()], str(tmp))

    def load_state(self, stem: Path) -> None:
        from mindspore_impl.compat import quiet_python_log

        path = Path(str(stem) + ".state.ckpt")
        try:
            with quiet_python_log():
                saved = self.ms.load_checkpoint(str(path))
        except (ValueError, RuntimeError) as error:
            raise KitError(f"{path}: not a readable optimiser state ({str(error).strip().splitlines()[0]})") from None
        params = self._optimizer_params()
        missing = [p.name for p in params if p.name not in saved]
        if missing or len(saved) != len(params):
            raise KitError(f"{path}: optimiser state does not match this model ({len(missing)} missing)")
        for p in params:
            p.set_data(saved[p.name].astype(p.dtype))


# ---------------------------------------------------------------- the run


def _distributed(framework: str, device: str) -> Tuple[int, int]:
    """(world size, rank): from torchrun's or msrun's environment; (1, 0) for a plain process."""
    torchrun = int(os.environ.get("WORLD_SIZE", "1")) > 1
    # msrun starts the script in its scheduler too (MS_ROLE=MS_SCHED): there init() serves the cluster and exits.
    msrun = os.environ.get("MS_ROLE") in ("MS_WORKER", "MS_SCHED")
    if framework == "torch" and msrun:
        raise KitError("--framework torch runs data parallel under torchrun, not msrun")
    if framework == "mindspore" and torchrun:
        raise KitError("--framework mindspore runs data parallel under msrun, not torchrun")
    if torchrun:
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("nccl" if device == "GPU" else "gloo")
        return dist.get_world_size(), dist.get_rank()
    if msrun:
        import mindspore as ms
        from mindspore.communication import get_group_size, get_rank, init

        import mindspore_impl

        mindspore_impl.configure(device=device)
        try:
            init()
        except RuntimeError as error:
            raise KitError(f"MindSpore distributed init failed on {device}: "
                           f"{str(error).strip().splitlines()[0]}") from None
        ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True)
        return get_group_size(), get_rank()
    return 1, 0


def _resolve(args: argparse.Namespace, record: Optional[dict]) -> RunConfig:
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


def _check(config: RunConfig, world: int, accumulate: int, val_every: int, save_every: int) -> None:
    for name in ("batch", "patch", "steps"):
        if getattr(config, name) < 1:
            raise KitError(f"--{name} must be at least 1")
    if config.patch % 2:
        raise KitError(f"--patch {config.patch}: JCRNet needs an even patch side")
    if accumulate < 1 or val_every < 0 or save_every < 1 or config.warmup_steps < 0 or config.lr <= 0:
        raise KitError("--accumulate and --save-every must be at least 1, --val-every and --warmup-steps at least 0, "
                       "--lr positive")
    if config.batch % (world * accumulate):
        raise KitError(f"--batch {config.batch} does not split into {world} rank(s) x {accumulate} micro-batch(es)")


def validate(trainer, pairs) -> Tuple[float, float]:
    """Mean PSNR / SSIM of the model's output, clamped to [0, 1], over the validation pairs."""
    from jcrnet_kit.metrics import psnr_ssim

    scores = [psnr_ssim(np.clip(trainer.predict(even_crop(p.low)), 0.0, 1.0), even_crop(p.high)) for p in pairs]
    return float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores]))


def baseline(pairs) -> Tuple[float, float]:
    """Mean PSNR / SSIM of the unenhanced input against its target."""
    from jcrnet_kit.metrics import psnr_ssim

    scores = [psnr_ssim(even_crop(p.low), even_crop(p.high)) for p in pairs]
    return float(np.mean([s[0] for s in scores])), float(np.mean([s[1] for s in scores]))


def run(args: argparse.Namespace) -> int:
    import torch  # noqa: F401  (torch before MindSpore in every process)

    from jcrnet_kit.data import patch_batches

    record, stem = None, None
    if args.resume is not None:
        stem, record = read_checkpoint(args.resume)
        if args.init is not None:
            raise KitError("--init and --resume exclude each other (a resumed run starts from its checkpoint)")
    if args.framework is None and record is None:
        raise KitError("--framework torch|mindspore is required")
    if args.data is None and record is None:
        raise KitError("--data DIR|synthetic is required")
    device = (args.device or os.environ.get("JCRNET_DEVICE") or "CPU").upper().replace("ASCEND", "Ascend")
    if device not in ("CPU", "GPU", "Ascend"):
        raise KitError(f"--device {args.device}: choose CPU, GPU or Ascend")
    framework = args.framework or record["run"]["framework"]
    if framework == "torch" and device == "Ascend":
        raise KitError("--device Ascend needs --framework mindspore")
    world, rank = _distributed(framework, device)

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
    config = _resolve(args, record)
    start = record["step"] if record else 0

    _check(config, world, args.accumulate, args.val_every, args.save_every)
    batches = skip(patch_batches(data.train, config.patch, config.batch, config.seed), start)
    later = existing_checkpoints(args.out, start)
    if later and not args.force:
        listed = ", ".join(later[:3]) + (" ..." if len(later) > 3 else "")
        raise KitError(f"{args.out}: already holds checkpoints ({listed}); pass --force to overwrite them or choose "
                       f"another --out")
    if start >= config.steps:
        raise KitError(f"{args.resume}: the run already reached step {start} of {config.steps}")

    if framework == "torch":
        trainer = TorchTrainer(preset, state, device, world, rank)
    else:
        schedule = [training.learning_rate(s, config.steps, config.warmup_steps, config.lr)
                    for s in range(1, config.steps + 1)]
        trainer = MindSporeTrainer(preset, state, device, world, args.ms_mode, schedule)
    if record is not None:
        trainer.load_state(stem)
    lead = rank == 0
    if lead:
        args.out.mkdir(parents=True, exist_ok=True)
    command = " ".join(["jcrnet", *sys.argv[1:]]) if sys.argv[1:2] == ["train"] else None  # None: called in-process
    log = {"command": command, "run": asdict(config),
           "device": device, "ms_mode": args.ms_mode if framework == "mindspore" else None, "world_size": world,
           "accumulate": args.accumulate, "init": init, "data": data.description, "train_pairs": len(data.train),
           "val_pairs": len(data.val), "schedule": f"linear warm-up {config.warmup_steps} steps, cosine to "
                                                   f"{training.LR_MIN:g}", "resumed_from": stem.name if stem else None,
           "steps": [], "validation": [], "checkpoints": []}
    if lead:
        psnr, ssim = baseline(data.val)
        log["baseline"] = {"psnr": psnr, "ssim": ssim}
    return _loop(args, config, trainer, data, batches, start, world, rank, log)


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
        lr = training.learning_rate(step, config.steps, config.warmup_steps, config.lr)
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
            write_json(args.json, log)
        last = log["validation"][-1] if log["validation"] else None
        summary = f", val PSNR {last['psnr']:.2f} dB (input {log['baseline']['psnr']:.2f} dB)" if last else ""
        print(f"jcrnet train: {trainer.framework} {config.steps - start} steps in {log['seconds_total']:.1f} s, "
              f"last loss {loss:.4f}{summary}; checkpoints in {args.out}")
    return 0
