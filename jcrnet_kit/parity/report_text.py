"""``jcrnet verify``'s report as text (what the command prints) and as a JSON-ready dict."""

from __future__ import annotations

from typing import List, Optional

import numpy as np

from jcrnet_kit.parity.tolerances import FORWARD
from jcrnet_spec import recipe


class _Lines:
    """``print``'s call shape, collecting lines instead (a blank ``print()`` is an empty line)."""

    def __init__(self, out: List[str]):
        self.out = out

    def __call__(self, text: str = "") -> None:
        self.out.extend(text.split("\n"))


def _fmt(value: float) -> str:
    return f"{value:.3e}" if np.isfinite(value) else str(value)


def report_lines(report) -> List[str]:
    """The whole report as text: outputs, layer table, layer checks, gradients, training, verdict."""
    out: List[str] = []
    print = _Lines(out)  # noqa: A001  (the report is written as it would be printed)
    print(f"\n{'output':<10} {'shape':<18} {'max |diff|':>11} {'torch-fp64':>11} {'ms-fp64':>11}  status")
    for row in report.outputs:
        c = row.check
        print(f"{row.name:<10} {str(c.vs_torch.shape):<18} {_fmt(c.vs_torch.max_abs):>11} "
              f"{_fmt(c.torch_vs_oracle.max_abs):>11} {_fmt(c.mindspore_vs_oracle.max_abs):>11}  {row.status}")
    if report.rows:
        print()
        out += layer_table(report.rows, report.first_failing_layer())
    if report.layer_checks:
        failed = [c for c in report.layer_checks if c.status == "FAIL"]
        layers = len({(c.layer, m) for c, m in zip(report.layer_checks, report.layer_modes)})
        print(f"\nevery layer alone on a crop of the image (outputs, input and parameter gradients, running "
              f"statistics; eval and train mode): {len(report.layer_checks)} checks of {layers} layer runs, "
              f"{len(failed)} failed, {sum(c.status == 'not exercised' for c in report.layer_checks)} not exercised")
        for check in failed[:10]:
            print(f"  FAIL {check.describe()}")
    for mode, checks in report.gradients.items():
        failed = [c for c in checks if c.status == "FAIL"]
        print(f"whole-model backward, {mode} mode: loss and {len(checks) - 1} parameter gradients, {len(failed)} "
              f"failed, worst margin {max(c.margin for c in checks):.3f}")
        for check in failed[:10]:
            print(f"  FAIL {check.describe()}")
    for training in report.training:
        print()
        out += training_lines(training)
    for part, error in report.errors.items():
        print(f"\n{part}: MindSpore raised {error}")
    print()
    print(verdict_line(report))
    return out


def verdict_line(report) -> str:
    exercised, total = report.exercised()
    counts = f"{exercised} of {total} layers exercised" if total else "no layer table"
    if report.passed:
        return f"verdict: PASS ({', '.join(p for p in report.margins())} within budget; {counts})"
    first, nonfinite = report.first_failing_layer(), report.first_nonfinite_layer()
    where = f"; first failing layer (execution order): {first}" if first else ""
    where += f"; first non-finite layer: {nonfinite}" if nonfinite else ""
    return f"verdict: FAIL ({', '.join(report.failed_parts())}{where}; {counts})"


def layer_table(rows, first: Optional[str]) -> List[str]:
    """One line per spec layer in execution order; the first failing one is marked."""
    out: List[str] = []
    print = _Lines(out)  # noqa: A001
    width = max(len(row.path) for row in rows)
    print(f"{'layer (execution order)':<{width}}  {'shape':<24} {'max |diff|':>10} {'rel':>9} {'cosine':>10} "
          f"{'torch-fp64':>10} {'ms-fp64':>10}  status")
    for row in rows:
        status = row.status + ("  <-- first failing" if row.path == first else "")
        shape = ", ".join("x".join(str(d) for d in s) for s in row.shapes)
        print(f"{row.path:<{width}}  {shape:<24} {_fmt(row.vs_torch.max_abs):>10} {row.vs_torch.rel:>9.2e} "
              f"{row.vs_torch.cosine:>10.7f} {_fmt(row.torch_vs_oracle):>10} {_fmt(row.mindspore_vs_oracle):>10}  "
              f"{status}")
    quiet = [row.path for row in rows if row.status == "not exercised"]
    print(f"{len(rows)} layers: {sum(r.status == 'ok' for r in rows)} ok, {sum(r.status == 'FAIL' for r in rows)} "
          f"failed, {len(quiet)} not exercised (fp64 output exactly 0: these weights and this input never reach them)"
          + (f": {', '.join(quiet[:6])}{' ...' if len(quiet) > 6 else ''}" if quiet else ""))
    return out


def training_lines(training) -> List[str]:
    out: List[str] = []
    print = _Lines(out)  # noqa: A001
    batchnorm = "batch statistics" if training.mode == "train" else "running statistics"
    print(f"training parity, {training.mode} mode (BatchNorm on {batchnorm}): {training.steps} steps of stock Adam in "
          f"both (lr {recipe.ADAM_LR:g}, Charbonnier + {recipe.EDGE_WEIGHT:g} x edge loss), identical weights and "
          f"batches")
    print(f"{'step':>4} {'torch loss':>12} {'MindSpore':>12} {'fp64':>12} {'|ms - torch|':>13}")
    for i, (t, m, o) in enumerate(zip(training.losses["torch"], training.losses["mindspore"],
                                      training.losses["fp64"]), start=1):
        print(f"{i:>4} {t:>12.8f} {m:>12.8f} {o:>12.8f} {abs(m - t):>13.3e}")
    for figure in training.figures:
        print(f"  {'ok  ' if figure.passed else 'FAIL'} {figure.describe()}")
    return out


def report_dict(report, device: str) -> dict:
    case = report.case
    return {"verdict": "pass" if report.passed else "fail", "preset": case.arch.preset.name,
            "weights": case.weights_text, "input": case.input_text, "size": "x".join(map(str, case.x.shape)),
            "ms_mode": case.ms_mode, "device": device, "failed_parts": report.failed_parts(),
            "first_failing_layer": report.first_failing_layer(),
            "first_nonfinite_layer": report.first_nonfinite_layer(),
            "exercised": dict(zip(("exercised", "layers"), report.exercised())), "margins": report.margins(),
            "errors": report.errors, "budget_max_abs": FORWARD.atol,
            "outputs": [{"name": r.name, "status": r.status, **r.check.as_dict()} for r in report.outputs],
            "layers": [row.as_dict() for row in report.rows],
            "layer_checks": [{**c.as_dict(), "mode": m} for c, m in zip(report.layer_checks, report.layer_modes)],
            "gradients": {mode: [c.as_dict() for c in checks] for mode, checks in report.gradients.items()},
            "training": {t.mode: t.as_dict() for t in report.training}}
