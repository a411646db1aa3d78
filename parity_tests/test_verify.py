"""``jcrnet verify``'s verdicts: as strong as the suite (gradient-only bugs fail it), the first failing layer named in
execution order, non-finite values and layers that never run are failures, rows that compare 0 with 0 say so, a
reference file lets a process without torch verify, and a small sweep of cases nobody tuned a budget on passes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import replace
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from jcrnet_kit.cli import main
from jcrnet_kit.mutants.catalogue import applied
from jcrnet_kit.parity import families, sweep
from jcrnet_kit.parity.store import ArrayStore
from jcrnet_kit.parity.verification import Case, mindspore_side, torch_reference
from jcrnet_spec import OUTPUTS, architecture

ROOT = Path(__file__).resolve().parents[1]
#: A process in which torch (and the torch reference) cannot be imported: the MindSpore-only machine.
NO_TORCH = """
import sys, importlib.abc
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("torch", "torch_reference"):
            raise ImportError(f"{name} is not installed here")
sys.meta_path.insert(0, Block())
if sys.argv[1] != "-":
    from jcrnet_kit.mutants.catalogue import activate
    activate(sys.argv[1])
from jcrnet_kit.cli import main
sys.exit(main(sys.argv[2:]))
"""


@cache
def shipped_case() -> Case:
    """The shipped weights (published: the edge branch is dead) on a photo, small, every part but training."""
    arch = architecture("published")
    return Case(arch, families.shipped(arch, 0), families.photo((2, 3, 16, 24), 0), "pynative", 0, 0,
                ("outputs", "in_model", "layers"), crop=(8, 12), blocks_only=True)


@cache
def shipped_reference():
    return torch_reference(shipped_case(), ArrayStore())


@pytest.mark.parametrize("mutant", ["leaky_relu_native_gradient", "leaky_relu_ge_zero", "sft_condition_slope_as_fused"])
def test_gradient_only_bugs_fail_verify(mutant):
    """Each bug leaves every forward value as it is with these weights; verify's per-layer gradients catch it."""
    clean = mindspore_side(shipped_case(), shipped_reference())
    assert clean.passed, clean.failed_parts()
    with applied(mutant):
        report = mindspore_side(shipped_case(), shipped_reference())
    assert "layers" in report.failed_parts() and "outputs" not in report.failed_parts()
    assert report.first_failing_layer().startswith("illum.sft")


@pytest.mark.parametrize("mutant,where", [("batchnorm_eps", "illum.bn"), ("sigmoid_vs_tanh", "illum.tanh"),
                                          ("hin_wrong_half", "stage1_encoder.body.0")])
def test_the_first_failing_layer_is_where_the_bug_is_in_execution_order(mutant, where):
    with applied(mutant):
        report = mindspore_side(shipped_case(), shipped_reference())
    assert not report.passed and report.first_failing_layer().startswith(where)


def test_the_mutant_sweep_stops_at_the_first_failing_part_and_says_how_it_caught():
    """``jcrnet mutants --sweep`` runs a mutant's parts only up to its catch and tells a numeric catch from a
    survivor, whose closest margin it names."""
    from jcrnet_kit.mutants import sweep as mutant_sweep
    from jcrnet_kit.mutants.catalogue import CATALOGUE

    with applied("hin_wrong_half"):
        report = mindspore_side(shipped_case(), shipped_reference(), stop_at_failure=True)
    assert report.failed_parts() == ["outputs"] and not report.rows and not report.layer_checks  # stopped there
    caught = mutant_sweep.outcome_of(CATALOGUE["leaky_relu_ge_zero"], "published", "shipped", shipped_case(),
                                     shipped_reference())  # a gradient-only bug: caught by the layers alone
    assert caught.result == mutant_sweep.NUMERIC and "illum.sft" in caught.detail
    spared = mutant_sweep.outcome_of(replace(CATALOGUE["leaky_relu_ge_zero"], patch=lambda stack: None), "published",
                                     "shipped", shipped_case(), shipped_reference())
    assert spared.result == mutant_sweep.SURVIVED and re.search(r"margin \d+\.\d{3}, \S", spared.detail)  # + check
    assert mutant_sweep.family_case("published", "seeded", (64, 96)).x.shape == (2, 3, 64, 96)


def test_a_layer_that_never_runs_is_a_verdict_not_a_traceback():
    with applied("construct_named_forward"):
        report = mindspore_side(replace(shipped_case(), parts=("outputs", "in_model")), shipped_reference())
    assert not report.passed and "outputs" in report.errors  # LBP's LightenBlock returns nothing
    assert report.errors["outputs"].startswith(("TypeError", "ValueError", "RuntimeError", "AttributeError"))


def test_rows_that_compare_zero_with_zero_are_not_exercised_never_ok():
    report = mindspore_side(replace(shipped_case(), parts=("outputs", "in_model")), shipped_reference())
    quiet = [row for row in report.rows if row.status == "not exercised"]
    # the edge branch is dead with these weights: conv15's output is negative everywhere, so the ReLU after it feeds
    # CondNet zeros, and every CondNet row compares 0 with 0
    assert {"illum.CondNet", *(f"illum.CondNet.{i}" for i in range(5))} <= {row.path for row in quiet}
    assert all(row.scale == 0 for row in quiet)
    assert not [row for row in report.rows if row.scale == 0 and row.status == "ok"]
    assert report.exercised() == (len(report.rows) - len(quiet), 165)


def test_edge_on_weights_exercise_the_edge_branch():
    arch = architecture("published")
    case = replace(shipped_case(), state=families.edge_on(arch, 0), parts=("outputs", "in_model"))
    report = mindspore_side(case, torch_reference(case, ArrayStore()))
    assert report.passed and report.exercised() == (165, 165)


def test_nonfinite_weights_are_refused_or_fail_naming_the_first_layer(tmp_path, capsys):
    import convert

    arch = architecture("published")
    state = families.seeded(arch, 0)
    state["illum.conv3.weight"] = state["illum.conv3.weight"].copy()
    state["illum.conv3.weight"][0, 0, 0, 0] = np.nan
    weights = tmp_path / "nan.safetensors"
    convert.save_weights(convert.Weights(state, "torch", "published"), weights)
    args = ["verify", "--weights", str(weights), "--size", "16x24", "--checks", "outputs,in_model",
            "--json", str(tmp_path / "v.json")]
    assert main(args) == 2
    assert "NaN" in capsys.readouterr().err
    assert main([*args, "--allow-nonfinite"]) == 1
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "v.json").read_text())
    assert report["first_nonfinite_layer"] == "illum.conv3" and "first non-finite layer: illum.conv3" in out
    assert all(row["status"] == "FAIL" for row in report["layers"] if row["path"] == "illum.conv3")


def test_a_reference_file_verifies_without_torch_and_catches_a_mutant(tmp_path):
    """The shipped reference (every part) passes with torch blocked; a reference saved here (outputs and in-model
    rows, to keep the suite short) fails with a catalogue mutant applied, naming the layer."""
    ref = tmp_path / "ref.safetensors"
    assert main(["verify", "--size", "16x24", "--checks", "outputs,in_model", "--ms-mode", "pynative",
                 "--save-reference", str(ref), "--reference-sample", "256"]) == 0

    def no_torch(mutant: str, *reference: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", NO_TORCH, mutant, "verify", "--reference", *reference,
                               "--ms-mode", "pynative"], cwd=ROOT, capture_output=True, text=True, timeout=900)

    clean = no_torch("-")  # no REF: the shipped one
    assert clean.returncode == 0, clean.stdout[-2000:] + clean.stderr[-2000:]
    assert "verdict: PASS" in clean.stdout and "outputs, in_model, layers, gradients, training" in clean.stdout
    broken = no_torch("batchnorm_eps", str(ref))
    assert broken.returncode == 1 and "verdict: FAIL" in broken.stdout and "illum.bn" in broken.stdout


def test_a_small_sweep_of_untuned_cases_passes(capsys):
    """Two cases of the sweep (the CI slice; the full sweep's results are in docs/VERIFICATION.md)."""
    cases = sweep.draw(2, seed=1, max_pixels=40 * 60)
    assert {c.preset for c in cases} == {"published", "torch-defaults"} and {c.ms_mode for c in cases} == \
        {"pynative", "graph"}
    # every part but each layer alone (the sweep's slowest; the per-layer suite and the sweep in the docs run it)
    results = sweep.run(cases, training_steps=2, parts=("outputs", "in_model", "gradients", "training"))
    assert [r.failed_parts for r in results] == [[], []]
    assert all(0 <= m <= 1 for r in results for m in r.margins.values())
    # each part's margin names the check it came from (a sweep's worst margin must be traceable)
    assert all(r.closest.keys() == r.margins.keys() for r in results)
    assert all(" mode" in r.closest[p] for r in results for p in ("gradients", "training"))
    assert all(r.closest["outputs"] in OUTPUTS for r in results)


def test_the_shipped_reference_belongs_to_the_shipped_weights_and_is_small():
    from convert.weights import load_weights, weights_for_model
    from jcrnet_kit.parity import reference
    from jcrnet_kit.shipped import DEFAULT_REFERENCE, DEFAULT_WEIGHTS

    assert DEFAULT_REFERENCE.stat().st_size < 10 * 2 ** 20
    meta, tensors = reference.load(DEFAULT_REFERENCE)
    reference.check_case(meta, weights_for_model(load_weights(DEFAULT_WEIGHTS), "torch").tensors, DEFAULT_REFERENCE)
    ref = reference.reference_of(meta, tensors)
    assert meta["parts"] == ["outputs", "in_model", "layers", "gradients", "training"]
    assert len(ref.in_model.order) == 165 and ref.layers and sorted(ref.trajectories) == ["eval", "train"]
