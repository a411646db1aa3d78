"""The ``jcrnet verify`` report as one self-contained HTML file: the per-layer table and its errors as a plot (a PNG
embedded as base64), the whole-model outputs and the training-parity run."""

from __future__ import annotations

import base64
import html
import io
from typing import List


def _png(fig) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def layer_plot(layers: List[dict]) -> str:
    """Base64 PNG: each layer's max |diff| (MindSpore vs torch) and each framework's distance from fp64, log scale,
    in attribute order; layers past their budget in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    tiny = 1e-12
    index = list(range(len(layers)))
    fig, ax = plt.subplots(figsize=(14, 4.5))
    for key, label, style in (("max_abs", "|MindSpore - torch fp32|", "o-"),
                              ("torch_vs_fp64", "|torch fp32 - fp64|", "s--"),
                              ("mindspore_vs_fp64", "|MindSpore - fp64|", "^:")):
        values = [row[key] if row[key] == row[key] and row[key] != float("inf") else 1.0 for row in layers]
        ax.plot(index, [max(v, tiny) for v in values], style, markersize=3, linewidth=0.8, label=label)
    failing = [i for i, row in enumerate(layers) if row["status"] == "FAIL"]
    if failing:
        ax.scatter(failing, [max(layers[i]["max_abs"], tiny) for i in failing], s=60, facecolors="none",
                   edgecolors="red", label="past its budget", zorder=5)
    ax.set_yscale("log")
    ax.set_xlabel("spec layer (execution order; the number is the row of the table below)")
    ax.set_ylabel(f"max |difference| (0 drawn at {tiny:.0e})")
    ax.set_title("Per-layer differences inside the whole model")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def training_plot(runs: List[dict]) -> str:
    """Base64 PNG: per mode, the losses of the three runs, and per step |MindSpore - fp64| beside |torch - fp64|."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(runs), 2, figsize=(12, 3.3 * len(runs)), squeeze=False)
    for (left, right), run in zip(axes, runs):
        steps = list(range(1, run["steps"] + 1))
        for name, style in (("torch", "o-"), ("mindspore", "^--"), ("fp64", "s:")):
            left.plot(steps, run["losses"][name], style, markersize=4, label=name)
        left.set_title(f"{run['mode']} mode: training loss")
        left.set_xlabel("Adam step")
        left.legend(fontsize=8)
        fp64 = run["losses"]["fp64"]
        for name, style in (("mindspore", "o-"), ("torch", "s--")):
            right.semilogy(steps, [max(abs(a - b), 1e-12) for a, b in zip(run["losses"][name], fp64)], style,
                           markersize=4, label=f"|{name} - fp64| (0 drawn at 1e-12)")
        right.set_title(f"{run['mode']} mode: each fp32 run's distance from fp64")
        right.set_xlabel("Adam step")
        right.legend(fontsize=8)
    fig.tight_layout()
    try:
        return _png(fig)
    finally:
        plt.close(fig)


def render_html(report: dict) -> str:
    esc = html.escape
    verdict = report["verdict"].upper()
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>jcrnet verify</title><style>"
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:12px}"
        "td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child{text-align:left}"
        ".fail{background:#fdd}.first{background:#f88}.quiet{color:#888}.pass{color:#070}.bad{color:#b00}"
        "</style></head><body>",
        f"<h1>jcrnet verify: <span class='{'pass' if verdict == 'PASS' else 'bad'}'>{verdict}</span></h1>",
        f"<p>preset {esc(report['preset'])}; {esc(report['weights'])}; {esc(report['input'])}; MindSpore "
        f"{esc(report['ms_mode'])} on {esc(report['device'])}</p>",
        "<h2>Outputs</h2><table><tr><th>output</th><th>max |diff|</th><th>torch vs fp64</th><th>MindSpore vs fp64</th>"
        "<th>status</th></tr>",
    ]
    for row in report["outputs"]:
        parts.append(f"<tr><td>{esc(row['name'])}</td><td>{row['max_abs']:.3e}</td><td>{row['torch_vs_fp64']:.3e}</td>"
                     f"<td>{row['mindspore_vs_fp64']:.3e}</td><td>{esc(row['status'])}</td></tr>")
    parts.append(f"</table><p>budget: max |diff| &le; {report['budget_max_abs']:.0e} per output</p>")
    parts.append("<h2>Layer by layer, inside the whole model (execution order)</h2>")
    parts.append(f"<img alt='per-layer differences' src='data:image/png;base64,{layer_plot(report['layers'])}'>")
    first = report["first_failing_layer"]
    exercised = report["exercised"]
    parts.append(f"<p>{exercised['layers']} spec layers, {exercised['exercised']} exercised; first failing layer: "
                 f"{esc(first or 'none')}; failed parts: {esc(', '.join(report['failed_parts']) or 'none')}.</p>")
    parts.append("<table><tr><th>#</th><th>layer</th><th>kind</th><th>shape</th><th>max |diff|</th><th>rel</th>"
                 "<th>cosine</th><th>torch vs fp64</th><th>MindSpore vs fp64</th><th>status</th></tr>")
    for i, row in enumerate(report["layers"]):
        css = {"FAIL": " class='first'" if row["path"] == first else " class='fail'", "ok": ""}.get(row["status"],
                                                                                                   " class='quiet'")
        status = esc("; ".join(row["failures"])) if row["failures"] else row["status"]
        parts.append(f"<tr{css}><td>{i}</td><td style='text-align:left'>{esc(row['path'])}</td><td>{esc(row['kind'])}"
                     f"</td><td>{esc(str(row['shape']))}</td><td>{row['max_abs']:.3e}</td><td>{row['rel']:.2e}</td>"
                     f"<td>{row['cosine']:.7f}</td><td>{row['torch_vs_fp64']:.3e}</td>"
                     f"<td>{row['mindspore_vs_fp64']:.3e}</td><td>{status}</td></tr>")
    parts.append("</table>")
    failed = [c for c in report["layer_checks"] if c["status"] == "FAIL"]
    parts.append(f"<h2>Every layer alone (forward and gradients)</h2><p>{len(report['layer_checks'])} checks, "
                 f"{len(failed)} failed.</p>")
    if failed:
        parts.append("<ul>" + "".join(f"<li>{esc(c['layer'])} {esc(c['name'])} ({c['mode']}): "
                                      f"{esc('; '.join(c['failures']))}</li>" for c in failed[:50]) + "</ul>")
    runs = list((report.get("training") or {}).values())
    if runs:
        parts.append(f"<h2>Training parity ({runs[0]['steps']} Adam steps)</h2>")
        parts.append(f"<img alt='training losses' src='data:image/png;base64,{training_plot(runs)}'>")
        parts.append("<table><tr><th>mode</th><th>figure</th><th>|MindSpore - fp64|</th><th>allowed</th>"
                     "<th>|torch - fp64|</th><th>|MindSpore - torch|</th><th>reason</th></tr>")
        for run in runs:
            for f in run["figures"]:
                parts.append(f"<tr{'' if f['passed'] else ' class=fail'}><td>{esc(run['mode'])}</td>"
                             f"<td>{esc(f['name'])}</td><td>{f['mindspore_vs_fp64']:.3e}</td><td>{f['allowed']:.3e}</td>"
                             f"<td>{f['torch_vs_fp64']:.3e}</td><td>{f['mindspore_vs_torch']:.3e}</td>"
                             f"<td style='text-align:left'>{esc(f['bar']['reason'])}</td></tr>")
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts)
