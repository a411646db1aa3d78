"""Starting the bench workers, one process per backend and size, and reading back what each measured."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Dict


def measure(backend: str, size: str, preset: str, repeats: int, device=None) -> Dict:
    """Run ``backend`` at ``size`` in a worker process; its JSON result, or ``{"error": ...}`` saying why none."""
    command = [sys.executable, "-m", "jcrnet_kit.cli", "bench", "--worker", backend, size, "--preset", preset,
               "--repeats", str(repeats)] + (["--device", device] if device else [])
    done = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        return {"backend": backend, "size": size, "error": failure(done.returncode, done.stderr)}
    return json.loads(lines[-1])


def failure(returncode: int, stderr: str) -> str:
    """One line on why a worker gave no result: the signal that killed it, else its last error line (MindSpore's
    ``[WARNING]`` log lines skipped)."""
    if returncode < 0:
        why = " (the kernel's out-of-memory killer, most likely)" if returncode == -9 else ""
        return f"worker killed by signal {-returncode}{why}"
    lines = [line for line in stderr.strip().splitlines() if line.strip() and not line.startswith("[WARNING]")]
    return (lines or [f"worker exited {returncode} with no output"])[-1][:200]
