"""The budget tables of docs/VERIFICATION.md, rendered from ``jcrnet_kit.parity.tolerances`` (``make docs``), so the
page never disagrees with the numbers the checks use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Tuple

from jcrnet_kit.docs.links import DOCS
from jcrnet_kit.parity import tolerances as tol


def _ulp(value: float) -> str:
    return f"{value / tol.ULP:g} ulp" if value < 1e4 * tol.ULP else f"{value:g} (absolute share of scale)"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def _budget_row(applies: str, budget: tol.Budget) -> str:
    return (f"| {applies} | {budget.rtol:g} | {budget.oracle_ratio:g} | {_ulp(budget.oracle_floor)} | "
            f"{_cell(budget.reason)} |")


def budget_table() -> str:
    """Every two-bar budget: per layer alone (defaults, kind and block overrides), inside the model, whole model."""
    lines = ["| applies to | rtol | oracle ratio | oracle floor | reason |", "| --- | --- | --- | --- | --- |"]
    for quantity, budget in tol.DEFAULTS.items():
        lines.append(_budget_row(f"one layer alone: {quantity.replace('_', ' ')} (default)", budget))
    for (kind, quantity), budget in tol.BY_KIND.items():
        lines.append(_budget_row(f"one layer alone: {quantity.replace('_', ' ')} of a {kind}", budget))
    for kind, budget in tol.IN_MODEL.items():
        where = "a layer inside the whole model (`jcrnet verify`)" + ("" if kind == "*" else f": {kind}")
        lines.append(_budget_row(where, budget))
    for (kind, quantity), budget in tol.WHOLE_MODEL.items():
        what = quantity.replace("_", " ") + ("" if kind == "*" else f" of a {kind}")
        lines.append(_budget_row(f"whole model: {what}", budget))
    for name, budget in named_budgets():
        lines.append(_budget_row(f"`{name}`", budget))
    return "\n".join(lines)


def named_budgets() -> Iterator[Tuple[str, tol.Budget]]:
    """Module-level two-bar ``Budget`` objects of the tolerance module (outside its tables)."""
    for name, value in vars(tol).items():
        if isinstance(value, tol.Budget):
            yield name, value


def training_table() -> str:
    lines = ["| mode | figure | ratio to torch's fp64 distance | floor (of the figure's scale) | reason |",
             "| --- | --- | --- | --- | --- |"]
    for mode, bars in tol.TRAINING.items():
        for name, bar in bars.items():
            floor = _ulp(bar.floor) if bar.floor < 1e3 * tol.ULP else f"{bar.floor:g}"
            lines.append(f"| {mode} | {name} | {bar.ratio:g} | {floor} | {_cell(bar.reason)} |")
    return "\n".join(lines)


def named_bounds() -> Iterator[Tuple[str, object]]:
    """Module-level ``AbsoluteBound`` and ``Limit`` objects of the tolerance module, in definition order."""
    for name, value in vars(tol).items():
        if isinstance(value, (tol.AbsoluteBound, tol.Limit)):
            yield name, value


def other_table() -> str:
    lines = ["| name | bound | reason |", "| --- | --- | --- |"]
    for name, bound in named_bounds():
        text = (f"max abs <= {bound.atol:g}" if isinstance(bound, tol.AbsoluteBound)
                else f"{bound.value:g} {_cell(bound.unit)}")
        lines.append(f"| `{name}` | {text} | {_cell(bound.reason)} |")
    return "\n".join(lines)


def every_reason() -> List[str]:
    """The reason of every bound the tolerance module defines (for the test that all of them are tabled)."""
    reasons = [b.reason for b in (*tol.DEFAULTS.values(), *tol.BY_KIND.values(),
                                  *tol.IN_MODEL.values(), *tol.WHOLE_MODEL.values())]
    reasons += [b.reason for bounds in tol.TRAINING.values() for b in bounds.values()]
    reasons += [b.reason for _, b in named_bounds()] + [b.reason for _, b in named_budgets()]
    return reasons


def mutant_table() -> str:
    """The mutant catalogue: name, the bug, where numbers can show it, and the verification parts that can."""
    from jcrnet_kit.mutants.catalogue import CATALOGUE
    from jcrnet_kit.mutants.sweep import family_names

    pairs = family_names()
    rows = ["| mutant | the porting bug | shows on (preset:family pairs of the sweep) | parts that can show it |",
            "| --- | --- | --- | --- |"]
    for m in CATALOGUE.values():
        shown = [f"{p}:{f}" for p, f in pairs if m.applies(p, f)]
        where = "all " + str(len(pairs)) if len(shown) == len(pairs) else f"{len(shown)} of {len(pairs)}: {m.why}"
        if m.shows.__name__ != "<lambda>":
            test = " ".join(m.shows.__doc__.split()).split(" Returns")[0]
            where += f"; and only where the case's torch run shows it (`{m.shows.__name__}`: {test})"
        kind = ", ".join(m.parts) if m.numeric else "none (structural: conformance only)"
        if m.size is not None:
            kind += f" (on a 2x3x{m.size[0]}x{m.size[1]} image, each layer alone on the whole of it)"
        rows.append(f"| `{m.name}` | {m.bug.replace('|', '/')} | {where.replace('|', '/')} | {kind} |")
    return "\n".join(rows)


#: The recorded full mutant sweep (``jcrnet mutants --sweep --json``) the page's table is rendered from.
MUTANT_SWEEP = DOCS / "measured" / "mutants_sweep.json"


def _missed(outcome: dict) -> str:
    """Why one numeric mutant was not caught numerically on one pair, shortly."""
    detail = outcome["detail"]
    if outcome["result"] == "survived" and "(closest: " in detail:
        closest = detail.split("(closest: ", 1)[1]
        return "survived, closest " + (closest[:-1] if closest.endswith(")") else closest)
    return f"{outcome['result']}: {detail if len(detail) <= 120 else detail[:117] + '...'}"


def mutant_sweep_table(path: Path = MUTANT_SWEEP) -> str:
    """Per mutant, the recorded sweep's outcomes by kind and, for a numeric mutant, every pair where it was not caught
    numerically with the reason the run gave; a mutant the catalogue gained since the run says so."""
    from jcrnet_kit.mutants import sweep
    from jcrnet_kit.mutants.catalogue import CATALOGUE

    run = json.loads(path.read_text())
    counts = sweep.summary([sweep.Outcome(**o) for o in run["outcomes"]])
    kinds = (sweep.NUMERIC, sweep.ERROR, sweep.SURVIVED, sweep.NOT_APPLICABLE, sweep.UNCLEAN)
    cut = "" if run["complete"] else " (cut short: incomplete)"
    rows = [f"Recorded run (source revision {run.get('revision', 'not recorded')}): {len(run['outcomes'])} outcomes, "
            f"{len(run['mutants'])} mutants x {len(run['families'])} preset:family pairs{cut}.", "",
            "| mutant | numeric | load/run error | survived | n/a | clean fails | where it is not caught numerically |",
            "| --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for name, mutant in CATALOGUE.items():
        label = f"`{name}`" + ("" if mutant.numeric else " (structural)")
        if name not in counts:
            rows.append(f"| {label} | | | | | | not in the recorded run (added to the catalogue since) |")
            continue
        missed = [] if not mutant.numeric else [f"{o['preset']}:{o['family']} ({_missed(o)})" for o in run["outcomes"]
                                                if o["mutant"] == name and o["result"] in (sweep.SURVIVED, sweep.ERROR,
                                                                                           sweep.UNCLEAN)]
        rows.append(f"| {label} | " + " | ".join(str(counts[name][k]) for k in kinds) +
                    f" | {_cell('; '.join(missed)) or '-'} |")
    return "\n".join(rows)


GENERATED: Dict[str, Callable[[], str]] = {
    "mutants": mutant_table,
    "mutant-sweep": mutant_sweep_table,
    "budgets": budget_table,
    "training-bounds": training_table,
    "other-bounds": other_table,
}
