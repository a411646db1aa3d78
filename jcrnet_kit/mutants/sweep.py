"""``jcrnet mutants --sweep``: every mutant of the catalogue against every weights family (and preset) of
``jcrnet_kit.parity.families``, judged by ``jcrnet verify``'s engine, to show on how many families each is caught and
how. A mutant caught on seed 0 only is a weak test; one that a family cannot show (``Mutant.applies``) is marked so,
with the reason.

The torch side of each family is computed once (mutants never touch the torch reference); each mutant then runs the
MindSpore side inside ``applied(name)``. Outcomes: ``numeric`` (a parity check failed), ``error`` (MindSpore raised:
the model did not load, build or run), ``survived``, or ``n/a`` (the family cannot show this bug).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Sequence, Tuple

from jcrnet_kit.mutants.catalogue import CATALOGUE, Mutant, applied
from jcrnet_kit.parity import families
from jcrnet_kit.parity.verification import Case, Reference, mindspore_side, torch_reference
from jcrnet_spec import PRESETS, architecture

#: Each family's case: batch 2 (BatchNorm's train-mode statistics), H != W; layers alone on a smaller crop.
SHAPE = (2, 3, 16, 24)
CROP = (8, 12)
TRAINING_STEPS = 3
INPUT = "photo"
NUMERIC, ERROR, SURVIVED, NOT_APPLICABLE = "numeric", "error", "survived", "n/a"


def family_names(presets: Sequence[str] = tuple(PRESETS)) -> List[Tuple[str, str]]:
    """(preset, weights family) pairs, every family in every preset it exists for."""
    return [(preset, family) for preset in presets for family in families.WEIGHTS
            if preset in families.WEIGHTS_PRESETS.get(family, tuple(PRESETS))]


def family_case(preset: str, family: str) -> Case:
    arch = architecture(preset)
    return Case(arch, families.WEIGHTS[family](arch, 11), families.INPUTS[INPUT](SHAPE, 11), "pynative",
                TRAINING_STEPS, 11, ("outputs", "in_model", "layers", "gradients", "training"),
                f"{family} weights", f"{INPUT} {'x'.join(map(str, SHAPE))}", CROP, blocks_only=True)


@dataclass
class Outcome:
    mutant: str
    preset: str
    family: str
    result: str
    detail: str
    seconds: float

    def as_dict(self) -> dict:
        return dict(vars(self))


def outcome_of(mutant: Mutant, preset: str, family: str, case: Case, ref: Reference) -> Outcome:
    started = time.perf_counter()
    with applied(mutant.name):
        report = mindspore_side(replace(case, parts=mutant.parts), ref)
    failed = [part for part in report.failed_parts() if part not in report.errors]
    if failed:
        first = report.first_failing_layer()
        result, detail = NUMERIC, ", ".join(failed) + (f" (first failing layer {first})" if first else "")
    elif report.errors:
        result, detail = ERROR, "; ".join(f"{part}: {error}" for part, error in report.errors.items())
    else:
        result, detail = SURVIVED, "every part within budget"
    return Outcome(mutant.name, preset, family, result, detail, time.perf_counter() - started)


def run(names: Sequence[str], pairs: Sequence[Tuple[str, str]], on_outcome: Callable[[Outcome], None] = lambda _: None,
        progress: Callable[[str], None] = lambda _: None) -> List[Outcome]:
    """Every mutant in ``names`` on every (preset, family) in ``pairs``."""
    from jcrnet_kit.parity.store import ArrayStore

    outcomes = []
    for preset, family in pairs:
        case = family_case(preset, family)
        progress(f"torch reference: {preset}, {family} weights")
        ref = torch_reference(case, ArrayStore(), progress)
        for name in names:
            mutant = CATALOGUE[name]
            if not mutant.parts or not mutant.applies(preset, family):
                outcomes.append(Outcome(name, preset, family, NOT_APPLICABLE, mutant.why, 0.0))
            else:
                progress(f"{name} on {preset}, {family} weights")
                outcomes.append(outcome_of(mutant, preset, family, case, ref))
            on_outcome(outcomes[-1])
    return outcomes


def summary(outcomes: Sequence[Outcome]) -> Dict[str, Dict[str, int]]:
    """Per mutant, how many (preset, family) pairs gave each result."""
    out: Dict[str, Dict[str, int]] = {}
    for o in outcomes:
        counts = out.setdefault(o.mutant, {NUMERIC: 0, ERROR: 0, SURVIVED: 0, NOT_APPLICABLE: 0})
        counts[o.result] += 1
    return out
