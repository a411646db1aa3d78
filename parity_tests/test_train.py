"""``jcrnet train``: the schedule, exact resume, the same batches in both frameworks, data parallel equal to one
process, and one-line refusals that write nothing. Tiny runs (32 x 32 patches, a few steps) to stay quick."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jcrnet_kit.cli import main
from jcrnet_kit.parity.tolerances import FLOAT32_ROUNDING, RUN_PAIR_LOSS, RUN_PAIR_RUNNING, RUN_PAIR_WEIGHTS
from jcrnet_spec import recipe

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--data", "synthetic", "--patch", "32", "--batch", "2", "--val-every", "0"]
RUNNING = ("running_mean", "running_var")
COUNTER = ("num_batches_tracked",)


def _log(path: Path) -> dict:
    return json.loads(path.read_text())


def _losses(path: Path) -> list:
    return [row["loss"] for row in _log(path)["steps"]]


def _max_loss_diff(a: Path, b: Path) -> float:
    la, lb = _losses(a), _losses(b)
    assert len(la) == len(lb)
    return float(np.abs(np.subtract(la, lb)).max())


def _max_weight_diff(a: Path, b: Path, only=None, skip=()) -> float:
    """Max |diff| between two weight files over the tensors whose last name part is in ``only`` (default: all) and
    not in ``skip``."""
    from safetensors.numpy import load_file

    wa, wb = load_file(str(a)), load_file(str(b))
    assert sorted(wa) == sorted(wb)
    keys = [k for k in wa if (only is None or k.rsplit(".", 1)[-1] in only) and k.rsplit(".", 1)[-1] not in skip]
    return max(float(np.abs(wa[k].astype(np.float64) - wb[k]).max(initial=0.0)) for k in keys)


def _assert_same_training(a_log: Path, a_weights: Path, b_log: Path, b_weights: Path, running: bool) -> None:
    """Two fp32 runs of the same steps whose arithmetic differs in order only (the other framework, or DDP's all-reduce
    against one process), with no fp64 run to judge by: the run-pair bounds of ``jcrnet_kit.parity.tolerances``; the
    per-element weight bound is sized by the learning rates the steps actually used."""
    lr_sum = sum(row["lr"] for row in _log(a_log)["steps"])
    assert lr_sum == sum(row["lr"] for row in _log(b_log)["steps"])
    assert RUN_PAIR_LOSS.holds(_max_loss_diff(a_log, b_log))
    assert _max_weight_diff(a_weights, b_weights, skip=RUNNING + COUNTER) <= RUN_PAIR_WEIGHTS.value * lr_sum
    if running:
        assert RUN_PAIR_RUNNING.holds(_max_weight_diff(a_weights, b_weights, only=RUNNING))


def test_schedule_warms_up_linearly_then_decays_to_the_floor():
    lrs = [recipe.learning_rate(step, 100, 10) for step in range(1, 101)]
    assert lrs[0] == pytest.approx(recipe.ADAM_LR / 10)
    assert lrs[9] == pytest.approx(recipe.ADAM_LR)
    assert all(a >= b for a, b in zip(lrs[9:], lrs[10:]))
    assert lrs[-1] == pytest.approx(recipe.LR_MIN)


@pytest.fixture(scope="module")
def torch_run(tmp_path_factory) -> Path:
    """3 torch steps, checkpoints at steps 2 and 3."""
    out = tmp_path_factory.mktemp("torch_run")
    assert main(["train", "--framework", "torch", *TINY, "--steps", "3", "--save-every", "2",
                 "--out", str(out / "ckpt"), "--json", str(out / "log.json")]) == 0
    return out


def test_checkpoints_hold_every_file_and_read_back(torch_run):
    import torch

    import convert

    names = {p.name for p in (torch_run / "ckpt").iterdir()}
    for step in ("000002", "000003"):
        assert {f"step_{step}.{ext}" for ext in ("pth", "safetensors", "state.pth", "json")} <= names
    state = torch.load(torch_run / "ckpt" / "step_000003.pth", weights_only=True)
    weights = convert.load_weights(torch_run / "ckpt" / "step_000003.safetensors")
    assert weights.naming == "torch" and sorted(weights.tensors) == sorted(state)
    assert not [n for n in names if ".partial" in n]


def test_resume_continues_exactly(torch_run, tmp_path):
    assert main(["train", "--resume", str(torch_run / "ckpt" / "step_000002.pth"), "--out", str(tmp_path),
                 "--val-every", "0", "--json", str(tmp_path / "log.json")]) == 0
    straight, resumed = _losses(torch_run / "log.json"), _losses(tmp_path / "log.json")
    assert [row["step"] for row in _log(tmp_path / "log.json")["steps"]] == [3]
    assert np.abs(np.subtract(straight[2:], resumed)).max() <= FLOAT32_ROUNDING.atol
    last = "step_000003.safetensors"
    assert _max_weight_diff(torch_run / "ckpt" / last, tmp_path / last) <= FLOAT32_ROUNDING.atol


def test_mindspore_sees_the_same_batches(torch_run, tmp_path):
    assert main(["train", "--framework", "mindspore", "--ms-mode", "pynative", *TINY, "--steps", "3",
                 "--save-every", "3", "--out", str(tmp_path), "--json", str(tmp_path / "log.json")]) == 0
    assert abs(_losses(tmp_path / "log.json")[0] - _losses(torch_run / "log.json")[0]) <= FLOAT32_ROUNDING.atol
    last = "step_000003.safetensors"
    _assert_same_training(torch_run / "log.json", torch_run / "ckpt" / last, tmp_path / "log.json", tmp_path / last,
                          running=True)


def test_torch_ddp_equals_one_process_on_the_global_batch(tmp_path):
    """2 gloo ranks, one sample each, against one process doing both samples as 2 micro-batches (DDP has no CPU
    SyncBatchNorm, so each rank's BatchNorm sees its own shard; --accumulate reproduces exactly that)."""
    _assert_data_parallel_equals_one_process(tmp_path, "torch", [
        _tool("torchrun"), "--nproc_per_node", "2", "--master_port", "29531", "-m", "jcrnet_kit.cli"])


def test_mindspore_msrun_equals_one_process_on_the_global_batch(tmp_path):
    """msrun on CPU: 2 workers (mccl all-reduce through DistributedGradReducer); PyNative (no graph compilation)."""
    _assert_data_parallel_equals_one_process(tmp_path, "mindspore", [
        _tool("msrun"), "--worker_num", "2", "--local_worker_num", "2", "--master_port", "8119", "--join", "True",
        "--log_dir", str(tmp_path / "msrun_logs"), _tool("jcrnet")], ["--ms-mode", "pynative"])


def _tool(name: str) -> str:
    return shutil.which(name, path=str(Path(sys.executable).parent)) or name


def _assert_data_parallel_equals_one_process(tmp_path: Path, framework: str, launcher: list, extra=()) -> None:
    args = ["train", "--framework", framework, *TINY, "--steps", "2", "--save-every", "2", *extra]
    # msrun starts workers with the `python` on PATH
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run([*launcher, *args, "--out", str(tmp_path / "ddp"), "--json", str(tmp_path / "ddp.json")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    assert main([*args, "--accumulate", "2", "--out", str(tmp_path / "one"), "--json", str(tmp_path / "one.json")]) == 0
    assert _log(tmp_path / "ddp.json")["world_size"] == 2
    last = "step_000002.safetensors"
    _assert_same_training(tmp_path / "ddp.json", tmp_path / "ddp" / last, tmp_path / "one.json",
                          tmp_path / "one" / last, running=False)


def _lol(root: Path, names=("a", "b"), size=(40, 40)) -> Path:
    rng = np.random.default_rng(0)
    for split in ("our485", "eval15"):
        for side in ("low", "high"):
            (root / split / side).mkdir(parents=True, exist_ok=True)
            for name in names:
                pixels = rng.integers(0, 255, (*size, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(root / split / side / f"{name}.png")
    return root


def _refused(argv, capsys) -> str:
    assert main(["train", "--framework", "torch", "--patch", "32", "--batch", "2", "--steps", "1", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jcrnet train: error:") and "\n" not in err
    return err


def test_refuses_bad_data_and_weights_writing_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert "no such data folder" in _refused(["--data", str(tmp_path / "missing"), "--out", str(out)], capsys)
    lol = _lol(tmp_path / "lol")
    (lol / "our485" / "low" / "b.png").rename(lol / "our485" / "low" / "c.png")
    assert "unpaired" in _refused(["--data", str(lol), "--out", str(out)], capsys)
    (lol / "our485" / "low" / "c.png").write_bytes(b"not a png")
    (lol / "our485" / "high" / "c.png").write_bytes((lol / "our485" / "high" / "b.png").read_bytes())
    (lol / "our485" / "high" / "b.png").unlink()
    assert "not a readable image" in _refused(["--data", str(lol), "--out", str(out)], capsys)
    wrong = tmp_path / "wrong.safetensors"
    from safetensors.numpy import save_file

    save_file({"conv.weight": np.zeros((3, 3), np.float32)}, str(wrong))
    assert str(wrong) in _refused(["--data", "synthetic", "--init", str(wrong), "--out", str(out)], capsys)
    assert not out.exists()


def test_refuses_to_overwrite_checkpoints(torch_run, capsys):
    before = {p.name: p.stat().st_mtime_ns for p in (torch_run / "ckpt").iterdir()}
    assert "--force" in _refused(["--data", "synthetic", "--out", str(torch_run / "ckpt")], capsys)
    assert {p.name: p.stat().st_mtime_ns for p in (torch_run / "ckpt").iterdir()} == before
