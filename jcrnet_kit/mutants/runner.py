"""The runner behind ``jcrnet mutants``: a fast subset of the parity tests run once per mutant in a subprocess with
``$JCRNET_MUTANT`` set (``parity_tests/conftest.py`` applies it), recording which test ids fail."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

from jcrnet_kit.mutants.catalogue import MUTANT_ENV

ROOT = Path(__file__).resolve().parents[2]


#: The tests each mutant runs against, in this order: the per-layer test of every composite block (a leaf's bug shows
#: in the blocks around it; leaves are left out to keep the run short), conformance, whole-model backward and forward.
SUITE = (
    "parity_tests/test_layer_parity.py::test_layer_parity[<every block>]",
    "parity_tests/test_conformance.py",
    "parity_tests/test_training_parity.py::test_whole_model_gradients",
    "parity_tests/test_forward_parity.py::test_forward_parity_pynative",
    "parity_tests/test_families.py",
    "parity_tests/test_training_parity.py::test_training_parity_10_adam_steps[published-eval]",
    "parity_tests/test_casts.py",
    "parity_tests/test_convert_verify.py",
)


def suite_tests() -> List[str]:
    """``SUITE`` as pytest node ids."""
    from jcrnet_kit.parity.cases import LAYER_PARITY, layer_case_id, layer_cases

    blocks = [f"{LAYER_PARITY}[{layer_case_id(*case)}]" for case in layer_cases(blocks_only=True)]
    return blocks + list(SUITE[1:])


def failing_tests(output: str) -> List[str]:
    """Node ids of the FAILED / ERROR lines of pytest's short summary (``-rfE``)."""
    return list(failures(output))


#: Tests whose assertions compare numbers (a parity test's comparison); other assertions check structure.
NUMERIC_TESTS = ("test_layer_parity.py", "test_training_parity.py", "test_forward_parity.py", "test_oracle.py",
                 "test_families.py", "test_casts.py", "test_convert_verify.py")
NUMERIC, STRUCTURAL, ERROR, CRASH = "numeric", "structural", "load/build error", "crash"


def failures(output: str) -> Dict[str, str]:
    """Node id -> how it failed, from pytest's short summary (``-rfE``): ``numeric`` (an assertion of a parity
    comparison), ``structural`` (an assertion of another test: conformance, key layouts), or ``load/build error`` (the
    test raised: the model did not load, build or run)."""
    found: Dict[str, str] = {}
    for line in output.splitlines():
        tag = next((t for t in ("FAILED ", "ERROR ") if line.startswith(t)), None)
        if tag is None:
            continue
        node, _, reason = line[len(tag):].partition(" - ")
        node = node.strip()
        if node in found:
            continue
        if tag == "FAILED " and reason.startswith("AssertionError"):
            found[node] = NUMERIC if any(f"/{t}::" in node for t in NUMERIC_TESTS) else STRUCTURAL
        else:
            found[node] = ERROR
    return found


def how_caught(run: dict) -> str:
    """The strongest way a run caught its mutant: numeric > structural > load/build error; a crash (pytest exit other
    than 0 or 1) is reported as such, never as a catch; "" when it survived."""
    if run["returncode"] not in (0, 1):
        return CRASH
    kinds = set(run["how"].values())
    return next((kind for kind in (NUMERIC, STRUCTURAL, ERROR) if kind in kinds), "")


def run_suite(mutant: Optional[str], tests: Optional[Sequence[str]] = None, timeout: float = 900,
              threads: Optional[int] = None) -> dict:
    """Run ``tests`` (default ``suite_tests()``) in a subprocess with ``mutant`` applied (None: unmutated); returns
    the failing test ids and the time taken. ``threads`` caps the subprocess's math threads."""
    tests = suite_tests() if tests is None else tests
    env = {k: v for k, v in os.environ.items() if k != MUTANT_ENV}
    if threads:
        env.update(OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
    if mutant:
        env[MUTANT_ENV] = mutant
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(ROOT), env.get("PYTHONPATH"))))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           "-rfE", "--tb=no", *tests], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    how = failures(proc.stdout)
    crash = ""
    if proc.returncode not in (0, 1):
        crash = f"pytest exited {proc.returncode}: {(proc.stdout.strip().splitlines() or [proc.stderr[-200:]])[-1]}"
    return {"failed": list(how), "how": how, "crash": crash, "seconds": round(time.perf_counter() - start, 1),
            "returncode": proc.returncode}


def run_catalogue(names: Sequence[str], jobs: int) -> tuple:
    """(unmutated run, {name: run}) of ``run_suite`` for every mutant in ``names``, ``jobs`` at a time, each
    subprocess capped to its share of the CPUs."""
    from concurrent.futures import ThreadPoolExecutor

    jobs = max(1, jobs)
    threads = max(1, (os.cpu_count() or 1) // jobs)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        runs = list(pool.map(lambda name: run_suite(name, threads=threads), [None, *names]))
    return runs[0], dict(zip(names, runs[1:]))
