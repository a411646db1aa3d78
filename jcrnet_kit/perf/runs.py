"""Running the bench's workers: one long-lived process per backend of a group, repeats interleaved (A B C A B C ...),
the machine's load recorded around every round, and a watch on the workers' memory."""

from __future__ import annotations

import json
import os
import select
import signal
import statistics
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence

#: How often a waiting bench samples its workers' RSS (seconds).
POLL_S = 0.2


class WorkerFailed(Exception):
    """A worker gave no answer: it exited, was killed, or was stopped for memory; the message says which."""


def load() -> float:
    """The machine's 1-minute load average (runnable threads, all users)."""
    return os.getloadavg()[0]


def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Worker:
    """One backend at one size in its own process (``jcrnet bench --worker``), answering one ``run`` at a time."""

    def __init__(self, backend: str, size: str, preset: str, device: Optional[str]):
        self.backend, self.size, self.error = backend, size, None
        command = [sys.executable, "-m", "jcrnet_kit.cli", "bench", "--worker", backend, size, "--preset", preset]
        command += ["--device", device] if device else []
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr,
                                        text=True, bufsize=1)

    def rss_mb(self) -> float:
        return _rss_mb(self.process.pid) if self.process.poll() is None else 0.0

    def read(self, pool: Pool) -> Dict:
        """The worker's next JSON line; ``WorkerFailed`` if it exits first or the pool stops it for memory."""
        stream = self.process.stdout
        while True:
            ready, _, _ = select.select([stream], [], [], POLL_S)
            if ready:
                line = stream.readline()
                if not line:
                    raise WorkerFailed(self.failure())
                if line.startswith("{"):
                    return json.loads(line)
                continue
            pool.check_memory()
            if self.error:
                raise WorkerFailed(self.error)

    def request(self, pool: Pool) -> Dict:
        try:
            self.process.stdin.write("run\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerFailed(self.failure()) from None
        return self.read(pool)

    def kill(self, why: str) -> None:
        self.error = why
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def failure(self) -> str:
        if self.error:
            return self.error
        self.process.wait()
        self.stderr.seek(0)
        return failure(self.process.returncode, self.stderr.read())

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=60)
            except (BrokenPipeError, OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.stderr.close()


class Pool:
    """The live workers of one group, whose RSS together may not pass ``max_rss_mb``: past it, the largest is
    killed and reported as such (a shared machine must not reach its out-of-memory killer)."""

    def __init__(self, max_rss_mb: float):
        self.max_rss_mb, self.workers = max_rss_mb, []

    def check_memory(self) -> None:
        live = [(w.rss_mb(), w) for w in self.workers if w.process.poll() is None]
        total = sum(rss for rss, _ in live)
        if live and total > self.max_rss_mb:
            rss, largest = max(live, key=lambda pair: pair[0])
            largest.kill(f"worker stopped by the bench at {rss / 1024:.1f} GB RSS (its group's workers together "
                         f"passed --max-rss-gb {self.max_rss_mb / 1024:g})")


def interleaved(backends: Sequence[str], size: str, preset: str, repeats: int, device: Optional[str],
                max_rss_mb: float) -> List[Dict]:
    """Measure ``backends`` at ``size``: start one worker each (one after another, each built and warmed up before
    the next starts), then ``repeats`` rounds of one timed run per live worker, in the order given. One row per
    backend: its runs (``seconds``, ``cpu_s``), peak RSS and the load average before each round, or ``error``."""
    pool = Pool(max_rss_mb)
    rows = {b: {"backend": b, "size": size} for b in backends}
    try:
        for backend in backends:
            worker = Worker(backend, size, preset, device)
            pool.workers.append(worker)
            row = rows[backend]
            try:
                ready = worker.read(pool)
                row.update(setup_s=ready["setup_s"], frameworks=ready["frameworks"])
                row["load_before_warmup"] = load()
                warm = worker.request(pool)
                row.update(warmup_s=warm["seconds"], warmup_cpu_s=warm["cpu_s"], peak_mb=warm["peak_mb"],
                           seconds=[], cpu_s=[], round_load=[])
            except WorkerFailed as error:
                row["error"] = str(error)
                worker.kill(str(error))
        for _ in range(repeats):
            round_load = load()
            for worker in pool.workers:
                row = rows[worker.backend]
                if "error" in row:
                    continue
                try:
                    answer = worker.request(pool)
                except WorkerFailed as error:
                    row["error"] = str(error)
                    worker.kill(str(error))
                    continue
                row["seconds"].append(answer["seconds"])
                row["cpu_s"].append(answer["cpu_s"])
                row["round_load"].append(round_load)
                row["peak_mb"] = answer["peak_mb"]
    finally:
        for worker in pool.workers:
            worker.close()
    return [summarise(rows[b]) for b in backends]


def summarise(row: Dict) -> Dict:
    """Median, min and max of the timed runs (and the CPU seconds' median); a failed row keeps only its error."""
    if "error" in row:
        return {k: row[k] for k in ("backend", "size", "error")}
    times = row["seconds"]
    row.update(median_s=statistics.median(times), min_s=min(times), max_s=max(times),
               cpu_median_s=statistics.median(row["cpu_s"]))
    return row


def ratios(row: Dict, base: Dict) -> Optional[Dict]:
    """Per-round time ratios ``row / base`` (wall and CPU): each round's runs were adjacent in time, so a ratio is
    taken within a round and its spread over the rounds is reported; None where either row failed."""
    if "error" in row or "error" in base:
        return None
    wall = [a / b for a, b in zip(row["seconds"], base["seconds"])]
    cpu = [a / b for a, b in zip(row["cpu_s"], base["cpu_s"]) if b > 0]
    return {"median": statistics.median(wall), "min": min(wall), "max": max(wall), "rounds": wall,
            "cpu_median": statistics.median(cpu) if cpu else None, "peak_ratio": row["peak_mb"] / base["peak_mb"]}


def annotate(rows: List[Dict], size: str, preset: str, peak: float) -> List[Dict]:
    """Each row with its task, GFLOP/s (against the machine's ``peak``) and, beside its group's baseline, its
    per-round ratios (``vs_<baseline>``) and the median speed-up (``speedup_vs_<baseline>``)."""
    from jcrnet_kit.images.sample import parse_size
    from jcrnet_kit.perf.workers import BASELINES, TRAIN_STEP_FLOPS, task
    from jcrnet_spec import architecture
    from jcrnet_spec.flops import forward_flops

    flops = forward_flops(architecture(preset), *parse_size(size))[0]
    by_backend = {r["backend"]: r for r in rows}
    for row in rows:
        row["task"] = task(row["backend"])
        if "error" in row:
            continue
        row["gflops"] = flops * (TRAIN_STEP_FLOPS if row["task"] == "train-step" else 1.0) / row["median_s"] / 1e9
        row["fraction_of_peak"] = row["gflops"] / peak
        base = by_backend.get(BASELINES[row["task"]])
        versus = ratios(row, base) if base else None
        if versus:
            row["vs_" + base["backend"]] = versus
            row["speedup_vs_" + base["backend"].replace("-", "_")] = base["median_s"] / row["median_s"]
    return rows


def failure(returncode: int, stderr: str) -> str:
    """One line on why a worker gave no result: the signal that killed it, else its last error line (MindSpore's
    ``[WARNING]`` log lines skipped)."""
    if returncode < 0:
        why = " (the kernel's out-of-memory killer, most likely)" if returncode == -9 else ""
        return f"worker killed by signal {-returncode}{why}"
    lines = [line for line in stderr.strip().splitlines() if line.strip() and not line.startswith("[WARNING]")]
    return (lines or [f"worker exited {returncode} with no output"])[-1][:200]


def default_max_rss_mb() -> float:
    """Three quarters of the machine's memory."""
    with open("/proc/meminfo") as meminfo:
        total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    return 0.75 * total_kb / 1024
