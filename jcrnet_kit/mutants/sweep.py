"""``jcrnet mutants --sweep``: every mutant of the catalogue against every weights family (and preset) of
``jcrnet_kit.parity.families``, judged by ``jcrnet verify``'s engine, to show on how many families each is caught and
how. A mutant caught on seed 0 only is a weak test; one that a family cannot show (``Mutant.applies``) is marked so,
with the reason.

The torch side of each family is computed once (mutants never touch the torch reference); each mutant then runs the
MindSpore side inside ``applied(name)``. Outcomes: ``numeric`` (a parity check failed), ``error`` (MindSpore raised:
the model did not load, build or run), ``survived``, or ``n/a`` (the family cannot show this bug).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, replace
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from jcrnet_kit.mutants.catalogue import CATALOGUE, Mutant
from jcrnet_kit.parity import families
from jcrnet_kit.parity.verification import Case, Reference, mindspore_side, torch_reference
from jcrnet_spec import PRESETS, architecture

#: Each family's case: batch 2 (BatchNorm's train-mode statistics), H != W; layers alone on a smaller crop.
SHAPE = (2, 3, 16, 24)
CROP = (8, 12)
TRAINING_STEPS = 3
INPUT = "photo"
NUMERIC, ERROR, SURVIVED, NOT_APPLICABLE = "numeric", "error", "survived", "n/a"
#: The unmutated port fails this family's case: no mutant can be caught there (a catch would be the port's own).
UNCLEAN = "clean fails"


def family_names(presets: Sequence[str] = tuple(PRESETS)) -> List[Tuple[str, str]]:
    """(preset, weights family) pairs, every family in every preset it exists for."""
    return [(preset, family) for preset in presets for family in families.WEIGHTS
            if preset in families.WEIGHTS_PRESETS.get(family, tuple(PRESETS))]


def family_case(preset: str, family: str, size: Optional[Tuple[int, int]] = None) -> Case:
    """The family's case; ``size`` (a mutant's ``size``) replaces the image side, and only the whole-model outputs and
    the layers alone (on the whole image) are run."""
    arch = architecture(preset)
    shape = SHAPE if size is None else (*SHAPE[:2], *size)
    parts = ("outputs", "in_model", "layers", "gradients", "training") if size is None else ("outputs", "layers")
    return Case(arch, families.WEIGHTS[family](arch, 11), families.INPUTS[INPUT](shape, 11), "pynative",
                TRAINING_STEPS, 11, parts,
                f"{family} weights", f"{INPUT} {'x'.join(map(str, shape))}", CROP if size is None else size,
                blocks_only=True)


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
    with contextlib.ExitStack() as undo:
        mutant.patch(undo)  # one failing part is the catch: the parts after it are skipped
        report = mindspore_side(replace(case, parts=mutant.parts), ref, stop_at_failure=True)
    failed = [part for part in report.failed_parts() if part not in report.errors]
    if failed:
        first = report.first_failing_layer()
        result, detail = NUMERIC, ", ".join(failed) + (f" (first failing layer {first})" if first else "")
    elif report.errors:
        result, detail = ERROR, "; ".join(f"{part}: {error}" for part, error in report.errors.items())
    else:
        margins = report.margins()
        worst = max(margins, key=margins.get)
        result, detail = SURVIVED, (f"every part within budget (closest: {worst}, margin {margins[worst]:.3f}, "
                                    f"{report.closest()[worst]})")
    return Outcome(mutant.name, preset, family, result, detail, time.perf_counter() - started)


def clean_failure(report) -> str:
    """"" when the unmutated port passes the case, else what fails (the mutants are then not judged there)."""
    if report.passed:
        return ""
    first = report.first_failing_layer()
    return "the unmutated port fails: " + ", ".join(report.failed_parts()) + (f" (first failing layer {first})"
                                                                           if first else "")


def run(names: Sequence[str], pairs: Sequence[Tuple[str, str]], on_outcome: Callable[[Outcome], None] = lambda _: None,
        progress: Callable[[str], None] = lambda _: None) -> List[Outcome]:
    """Every mutant in ``names`` on every (preset, family) in ``pairs``; the torch side and the unmutated port once
    per family and image size (where the unmutated port fails, every mutant there is ``UNCLEAN``)."""
    from jcrnet_kit.parity.store import ArrayStore

    outcomes = []
    for preset, family in pairs:
        cases: Dict[Optional[Tuple[int, int]], Tuple[Case, Reference, str]] = {}
        for name in names:
            mutant = CATALOGUE[name]
            if not mutant.parts or not mutant.applies(preset, family):
                outcomes.append(Outcome(name, preset, family, NOT_APPLICABLE, mutant.why, 0.0))
            else:
                if mutant.size not in cases:
                    case = family_case(preset, family, mutant.size)
                    progress(f"torch reference: {preset}, {family} weights, {case.input_text}")
                    ref = torch_reference(case, ArrayStore(), progress)
                    progress(f"the unmutated port on {preset}, {family} weights")
                    cases[mutant.size] = case, ref, clean_failure(mindspore_side(case, ref))
                reason = mutant.shows(cases[mutant.size][1])
                if cases[mutant.size][2]:
                    outcomes.append(Outcome(name, preset, family, UNCLEAN, cases[mutant.size][2], 0.0))
                elif reason:
                    outcomes.append(Outcome(name, preset, family, NOT_APPLICABLE, reason, 0.0))
                else:
                    progress(f"{name} on {preset}, {family} weights")
                    # a structural bug (no number shows it) runs the whole model only: it loads, builds and runs, or not
                    run_as = mutant if mutant.numeric else replace(mutant, parts=("outputs",))
                    outcomes.append(outcome_of(run_as, preset, family, *cases[mutant.size][:2]))
            on_outcome(outcomes[-1])
    return outcomes


def summary(outcomes: Sequence[Outcome]) -> Dict[str, Dict[str, int]]:
    """Per mutant, how many (preset, family) pairs gave each result."""
    out: Dict[str, Dict[str, int]] = {}
    for o in outcomes:
        counts = out.setdefault(o.mutant, {NUMERIC: 0, ERROR: 0, SURVIVED: 0, NOT_APPLICABLE: 0, UNCLEAN: 0})
        counts[o.result] += 1
    return out
