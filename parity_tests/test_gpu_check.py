"""``tools/gpu_check.sh`` where no GPU can be used: its arguments checked, a CPU-only machine told so (exit 0), and a
framework that cannot use the GPU reported in one line, not a traceback (exit 1, the JSON report written)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[1] / "tools" / "gpu_check.sh"


def _run(*args: str, nvidia_smi: str = "/nonexistent/nvidia-smi") -> subprocess.CompletedProcess:
    env = {**os.environ, "GPU_CHECK_NVIDIA_SMI": nvidia_smi}
    return subprocess.run(["bash", str(SCRIPT), *args], capture_output=True, text=True, env=env, timeout=600)


def test_without_a_gpu_it_says_so_and_exits_0(tmp_path):
    done = _run("--out", str(tmp_path / "report.json"), "--size", "64x96", "--steps", "2")
    assert done.returncode == 0, done.stderr
    assert "no NVIDIA GPU here" in done.stdout and not (tmp_path / "report.json").exists()


@pytest.mark.parametrize("args, says", [
    (["--bogus"], "unknown argument --bogus"),
    (["--size", "33x48"], "--size 33x48"),
    (["--size", "big"], "--size big"),
    (["--steps", "0"], "--steps 0"),
    (["--out"], "--out needs a file"),
])
def test_bad_arguments_are_refused_first_in_one_line(args, says):
    done = _run(*args)
    assert done.returncode == 2
    assert says in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


@pytest.mark.skipif(torch.cuda.is_available(), reason="this torch can use a GPU: the script would run the whole check")
def test_a_framework_that_cannot_use_the_gpu_fails_in_one_line(tmp_path):
    fake = tmp_path / "nvidia-smi"
    fake.write_text("#!/bin/sh\necho 'Fake GPU, 999.99, 81559 MiB'\n")
    fake.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    for env in ("torch", "mindspore"):  # this machine's environment stands in for both, with --no-install
        (work / env).symlink_to(Path(sys.prefix))
    report = tmp_path / "report.json"
    done = _run("--no-install", "--work", str(work), "--out", str(report), nvidia_smi=str(fake))
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if "FAILED" in line]
    assert len(failed) == 2 and "cannot use the GPU here" in failed[0] and "cannot run on GPU here" in failed[1]
    steps = json.loads(report.read_text())["steps"]
    assert [s["step"] for s in steps if s.get("exit") == 1] == ["torch-sees-gpu", "mindspore-sees-gpu"]
    assert all("skipped" in s for s in steps[2:]) and len(steps) == 8
