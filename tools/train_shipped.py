"""Evidence and shipping for ``jcrnet train`` (maintainer tool, not part of the package).

    python tools/train_shipped.py curves TORCH_LOG MINDSPORE_LOG  # docs/training_curves.png, docs/training_log.json
    python tools/train_shipped.py ship RUN_DIR [--step N]         # jcrnet_kit/assets/jcrnet-synthetic.*

``ship`` re-reads the checkpoint through ``convert`` (strict, torch naming, float32) and scores the shipped file again
in PyTorch on the run's validation set, so the recorded PSNR/SSIM are those of the file users get.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch  # noqa: F401  (before MindSpore)

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
ASSET = ROOT / "jcrnet_kit" / "assets" / "jcrnet-synthetic.safetensors"


def curves(torch_log: Path, ms_log: Path, png: Path, summary: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    logs = {"torch": json.loads(torch_log.read_text()), "mindspore": json.loads(ms_log.read_text())}
    losses = {k: np.array([r["loss"] for r in v["steps"]]) for k, v in logs.items()}
    diff = np.abs(losses["torch"] - losses["mindspore"])
    fig, (ax_loss, ax_diff, ax_val) = plt.subplots(1, 3, figsize=(15, 4.2))
    for name, style in (("torch", "-"), ("mindspore", "--")):
        steps = [r["step"] for r in logs[name]["steps"]]
        ax_loss.plot(steps, losses[name], style, label=name, linewidth=1.2)
        val = logs[name]["validation"]
        ax_val.plot([r["step"] for r in val], [r["psnr"] for r in val], style + "o", label=f"{name} output")
    base = logs["torch"]["baseline"]
    ax_val.axhline(base["psnr"], color="grey", linestyle=":", label="unenhanced input")
    ax_loss.set(title="training loss (same weights, same batches)", xlabel="step", ylabel="loss")
    ax_diff.semilogy(range(1, len(diff) + 1), np.maximum(diff, 1e-12), linewidth=1)
    ax_diff.set(title="|loss torch - loss MindSpore|", xlabel="step")
    ax_val.set(title="validation PSNR (dB)", xlabel="step")
    for ax in (ax_loss, ax_val):
        ax.legend()
    run = logs["torch"]["run"]
    fig.suptitle(f"jcrnet train, preset {run['preset']}, synthetic seed {run['seed']}, patch {run['patch']}, "
                 f"batch {run['batch']}, {run['steps']} steps")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    payload = {
        "run": logs["torch"]["run"],
        "baseline": base,
        "max_abs_loss_diff": float(diff.max()),
        "max_abs_loss_diff_step": int(diff.argmax()) + 1,
        "mean_abs_loss_diff": float(diff.mean()),
        "frameworks": {name: {"command": log["command"], "ms_mode": log.get("ms_mode"),
                              "seconds_total": log["seconds_total"],
                              "median_step_seconds": float(np.median([r["seconds"] for r in log["steps"]])),
                              "validation": log["validation"], "losses": losses[name].tolist()}
                       for name, log in logs.items()},
    }
    summary.write_text(json.dumps(payload, indent=1) + "\n")
    print(json.dumps({k: v for k, v in payload.items() if k != "frameworks"}, indent=1))
    for name, info in payload["frameworks"].items():
        print(name, "median s/step", round(info["median_step_seconds"], 3), "total s", round(info["seconds_total"], 1),
              "val", [(r["step"], round(r["psnr"], 2), round(r["ssim"], 4)) for r in info["validation"]])


def ship(run_dir: Path, step: int | None, force: bool, wall_seconds: float | None) -> None:
    import convert
    from jcrnet_kit.train.checkpoints import read_checkpoint
    from jcrnet_kit.train.data import load_data
    from jcrnet_kit.train.loop import baseline, validate

    log = json.loads((run_dir / "train_log.json").read_text())
    stems = sorted(run_dir.glob("step_*.json"))
    record_path = run_dir / f"step_{step:06d}.json" if step is not None else stems[-1]
    stem, record = read_checkpoint(record_path)
    weights = convert.load_weights(str(stem) + ".safetensors")
    if weights.naming != "torch":
        raise SystemExit(f"{stem}.safetensors: expected torch naming")
    tensors = {k: v.astype(np.float32) if v.dtype.kind == "f" else v for k, v in weights.tensors.items()}
    ASSET.parent.mkdir(exist_ok=True)
    convert.save_weights(convert.Weights(tensors, "torch", weights.preset), ASSET, force=force)

    class Shipped:  # scores the shipped file in PyTorch, eval mode
        from jcrnet_kit.train.torch_trainer import TorchTrainer

        trainer = TorchTrainer(weights.preset, convert.load_weights(ASSET).tensors, "CPU", 1, 0)

    data = load_data(record["run"]["data"], record["run"]["seed"])
    psnr, ssim = validate(Shipped.trainer, data.val)
    base_psnr, base_ssim = baseline(data.val)
    provenance = {
        "file": ASSET.name,
        "naming": "torch",
        "preset": weights.preset,
        "bytes": ASSET.stat().st_size,
        "command": log["command"],
        "framework": record["run"]["framework"],
        "ms_mode": log.get("ms_mode"),
        "steps": record["step"],
        "planned_steps": record["run"]["steps"],
        "run": record["run"],
        "init": log["init"],
        "data": log["data"],
        "validation_pairs": len(data.val),
        "val": {"psnr": psnr, "ssim": ssim, "scored_in": "PyTorch, eval mode, output clamped to [0, 1], 8-bit"},
        "input_baseline": {"psnr": base_psnr, "ssim": base_ssim},
        "validation_during_training": log["validation"],
        "train_seconds": float(sum(r["seconds"] for r in log["steps"] if r["step"] <= record["step"])),
        "wall_seconds": wall_seconds,
        "median_step_seconds": float(np.median([r["seconds"] for r in log["steps"]])),
        "stopped_early": record["step"] < record["run"]["steps"],
        "final_loss": record["loss"],
        "machine": "2-core x86_64 CPU, shared with other jobs",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "note": "toy weights: a few hundred small-patch steps on 4 darkened scikit-image photos; they show the "
                "pipeline works end to end, not the paper's quality",
    }
    ASSET.with_suffix(".json").write_text(json.dumps(provenance, indent=1) + "\n")
    print(json.dumps({k: provenance[k] for k in ("steps", "val", "input_baseline", "bytes")}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("curves")
    c.add_argument("torch_log", type=Path)
    c.add_argument("mindspore_log", type=Path)
    c.add_argument("--png", type=Path, default=ROOT / "docs" / "training_curves.png")
    c.add_argument("--summary", type=Path, default=ROOT / "docs" / "training_log.json")
    s = sub.add_parser("ship")
    s.add_argument("run_dir", type=Path)
    s.add_argument("--step", type=int, default=None, help="checkpoint step (default: the latest complete one)")
    s.add_argument("--force", action="store_true")
    s.add_argument("--wall-seconds", type=float, default=None, help="wall time from start to that checkpoint")
    args = parser.parse_args()
    if args.command == "curves":
        curves(args.torch_log, args.mindspore_log, args.png, args.summary)
    else:
        ship(args.run_dir, args.step, args.force, args.wall_seconds)


if __name__ == "__main__":
    main()
