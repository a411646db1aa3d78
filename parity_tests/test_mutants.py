"""The mutant catalogue (``jcrnet mutants``): enough real porting bugs, each undone cleanly, and the suite catches
them. The full run (every mutant against the parity tests) is the CLI's job; here two mutants, in process and
through the subprocess runner that the CLI uses."""

from __future__ import annotations

import re

import pytest

from conftest import layer_inputs, model_pair
from jcrnet_kit.mutants import catalogue, runner
from jcrnet_kit.parity.per_layer import check_layer
from jcrnet_spec import architecture


def test_catalogue_has_at_least_15_distinct_porting_bugs():
    assert len(catalogue.CATALOGUE) >= 15
    assert all(name == m.name and m.bug for name, m in catalogue.CATALOGUE.items())


@pytest.mark.parametrize("name", sorted(catalogue.CATALOGUE))
def test_every_mutant_applies_and_is_undone(name):
    import jcrnet_spec
    import mindspore_impl.blocks
    import mindspore_impl.layers

    def state():
        return (dict(mindspore_impl.layers.LEAF_FACTORIES), dict(vars(mindspore_impl.blocks.UNetConvBlock)),
                dict(vars(mindspore_impl.blocks.IllumNet)), dict(vars(mindspore_impl.blocks.SFTLayer)),
                dict(vars(mindspore_impl.blocks.UNetUpBlock)), dict(vars(mindspore_impl.layers.InstanceNorm2d)),
                dict(vars(mindspore_impl.blocks.LightenBlock)), dict(vars(mindspore_impl.blocks.LBP)),
                mindspore_impl.build_model, mindspore_impl.blocks.leaky_relu, jcrnet_spec.torch_to_mindspore,
                jcrnet_spec.torch_to_mindspore_at)

    before = state()
    with catalogue.applied(name) as mutant:
        assert mutant.name == name
    assert state() == before


def test_concat_order_mutant_is_caught_by_the_decoder_layer_test():
    arch, path = architecture("published"), "stage1_decoder.body.0"
    inputs, state = layer_inputs("published")[path], model_pair("published").torch_state
    assert all(c.passed for c in check_layer(arch, path, state, inputs, train=False))
    with catalogue.applied("concat_order_swapped"):
        assert any(not c.passed for c in check_layer(arch, path, state, inputs, train=False))
    assert all(c.passed for c in check_layer(arch, path, state, inputs, train=False))


def test_runner_reports_the_test_that_catches_hin_on_the_wrong_half():
    caught = "parity_tests/test_layer_parity.py::test_layer_parity[published-stage1_encoder.body.1-eval]"
    spared = "parity_tests/test_layer_parity.py::test_layer_parity[published-sam12-eval]"
    result = runner.run_suite("hin_wrong_half", tests=[caught, spared])
    assert result["failed"] == [caught]


def test_the_mutant_sweep_keeps_its_json_when_cut_short(tmp_path, monkeypatch):
    """The sweep takes hours: its JSON is written after every outcome, marked incomplete until the end."""
    import json

    from jcrnet_kit.cli import main
    from jcrnet_kit.mutants import sweep

    def cut_short(names, pairs, on_outcome, progress):
        on_outcome(sweep.Outcome(names[0], *pairs[0], sweep.NUMERIC, "outputs", 1.0))
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "run", cut_short)
    out = tmp_path / "mutants.json"
    args = ["mutants", "--sweep", "--only", "batchnorm_eps", "--families", "published:seeded", "--json", str(out)]
    assert main(args) == 130
    data = json.loads(out.read_text())
    assert data["complete"] is False and [o["result"] for o in data["outcomes"]] == ["numeric"]
    assert re.fullmatch(r"[0-9a-f]{7,}(\+changes)?|unknown", data["revision"])  # the code it measured
    assert main(args) == 2  # and it is not overwritten without --force


def test_a_family_the_unmutated_port_fails_judges_no_mutant():
    """A catch on a case where the unmutated port already fails would be the port's own failure, not the mutant's."""
    from types import SimpleNamespace

    from jcrnet_kit.mutants import sweep

    failing = SimpleNamespace(passed=False, failed_parts=lambda: ["layers"],
                              first_failing_layer=lambda: "shallow_feat1.1.body")
    assert sweep.clean_failure(failing) == ("the unmutated port fails: layers (first failing layer "
                                            "shallow_feat1.1.body)")
    assert sweep.clean_failure(SimpleNamespace(passed=True)) == ""
    assert sweep.UNCLEAN in next(iter(sweep.summary([sweep.Outcome("m", "p", "f", sweep.UNCLEAN, "", 0)]).values()))
