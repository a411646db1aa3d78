"""``jcrnet verify --sweep N``: N verification cases drawn (seeded) from the families of ``families`` and from every
other dimension a user varies (preset, image size including non-square sides that are not multiples of 8, batch,
MindSpore's execution mode), each judged by the full ``verification`` engine. The first cases walk every family of
every dimension; later ones are drawn at random. A budget measured on one seed is a guess; the sweep is the
measurement."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Callable, Dict, List, Optional, Tuple

import numpy as np

from jcrnet_kit.parity import families
from jcrnet_kit.parity.verification import PARTS, Case, Report, verify
from jcrnet_spec import PRESETS, architecture

#: Image sides (H, W), all even (one stride-2 level); several are not multiples of 8, and H != W.
SIZES: Tuple[Tuple[int, int], ...] = ((8, 8), (16, 16), (10, 14), (38, 54), (64, 96), (126, 190), (250, 378),
                                      (512, 768))
MODES = ("pynative", "graph")
#: Largest N x H x W of one case: the largest size at batch 1.
MAX_CASE_PIXELS = 512 * 768


@dataclass(frozen=True)
class SweepCase:
    index: int
    preset: str
    weights: str
    weights_seed: int
    inputs: str
    input_seed: int
    size: Tuple[int, int]
    batch: int
    ms_mode: str

    def describe(self) -> str:
        h, w = self.size
        return (f"#{self.index} {self.preset}, weights {self.weights}:{self.weights_seed}, input {self.inputs}:"
                f"{self.input_seed} {self.batch}x3x{h}x{w}, MindSpore {self.ms_mode}")


def draw(count: int, seed: int = 0, max_pixels: int = MAX_CASE_PIXELS) -> List[SweepCase]:
    """``count`` cases: case i takes weights family i, input family i, size i, ... (cycling, with steps coprime to
    each dimension's length so pairs vary), then seeded draws; ``max_pixels`` bounds N x H x W."""
    rng = np.random.default_rng(seed)
    weights, inputs = list(families.WEIGHTS), list(families.INPUTS)
    sizes = [s for s in SIZES if s[0] * s[1] <= max_pixels] or [SIZES[0]]
    cases = []
    for i in range(count):
        walk = i < max(len(weights), len(inputs), len(sizes))
        w = weights[i % len(weights)] if walk else str(rng.choice(weights))
        presets = families.WEIGHTS_PRESETS.get(w, tuple(PRESETS))
        preset = presets[i % len(presets)] if walk else str(rng.choice(presets))
        size = sizes[(3 * i) % len(sizes)] if walk else sizes[int(rng.integers(len(sizes)))]
        batch = max(1, min(1 + (5 * i) % 4 if walk else int(rng.integers(1, 5)),
                           max_pixels // (size[0] * size[1])))
        cases.append(SweepCase(i, preset, w, int(rng.integers(1000)), inputs[(5 * i + 1) % len(inputs)] if walk else
                               str(rng.choice(inputs)), int(rng.integers(1000)), size, batch, MODES[i % 2]))
    return cases


def build(case: SweepCase, training_steps: int = 10, parts: Tuple[str, ...] = PARTS) -> Case:
    arch = architecture(case.preset)
    state = families.WEIGHTS[case.weights](arch, case.weights_seed)
    x = families.INPUTS[case.inputs]((case.batch, 3, *case.size), case.input_seed)
    return Case(arch, state, x, case.ms_mode, training_steps, case.weights_seed, parts,
                f"{case.weights} weights (seed {case.weights_seed})", f"{case.inputs} input (seed {case.input_seed})")


@dataclass
class SweepResult:
    case: SweepCase
    passed: bool
    failed_parts: List[str]
    margins: Dict[str, float]
    closest: Dict[str, str]  # per part, the check that gave its margin
    exercised: Tuple[int, int]
    first_failing_layer: Optional[str]
    errors: Dict[str, str]
    seconds: float

    def as_dict(self) -> dict:
        return {**asdict(self), "case": {**asdict(self.case), "describe": self.case.describe()}}


def result_of(case: SweepCase, report: Report, seconds: float) -> SweepResult:
    return SweepResult(case, report.passed, report.failed_parts(), report.margins(), report.closest(),
                       report.exercised(),
                       report.first_failing_layer(), dict(report.errors), seconds)


def run(cases: List[SweepCase], training_steps: int = 10, parts: Tuple[str, ...] = PARTS,
        on_result: Callable[[SweepResult], None] = lambda _: None,
        progress: Callable[[str], None] = lambda _: None) -> List[SweepResult]:
    """Every case through ``verification.verify``; ``on_result`` sees each result as it comes."""
    results = []
    for case in cases:
        started = time.perf_counter()
        progress(case.describe())
        report = verify(build(case, training_steps, parts), progress)
        results.append(result_of(case, report, time.perf_counter() - started))
        on_result(results[-1])
    return results


def worst(results: List[SweepResult]) -> Dict[str, Tuple[float, str]]:
    """Per part, the worst margin over the sweep, the case it came from and the check that gave it."""
    out: Dict[str, Tuple[float, str]] = {}
    for result in results:
        for part, margin in result.margins.items():
            if part not in out or margin > out[part][0]:
                out[part] = (margin, f"{result.case.describe()}: {result.closest.get(part, '?')}")
    return out
