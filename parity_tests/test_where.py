"""``jcrnet where``: it answers for every spec path and every key of both namings, points at the code that really builds
each layer, and names only tests that exist."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from jcrnet_kit.cli import main
from jcrnet_kit.docs.where import builder, describe, lookup, checked_by
from jcrnet_spec import PRESETS, Block, architecture, mindspore_keys, torch_keys

ROOT = Path(__file__).resolve().parents[1]


@cache
def collected() -> frozenset:
    """Every test id of the suite, as pytest collects it."""
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "parity_tests"], cwd=ROOT, capture_output=True, text=True, check=True)
    return frozenset(line.strip() for line in done.stdout.splitlines() if "::" in line)


@pytest.mark.parametrize("preset", PRESETS)
def test_every_spec_path_is_answered_with_real_code_and_real_tests(preset):
    arch = architecture(preset)
    for path, node in arch.walk():
        (answer,) = lookup(path, (preset,))
        assert answer.path == path and answer.node == node
        text = "\n".join(describe(answer))
        assert path in text and node.kind in text
        for framework in ("torch", "mindspore"):
            location = builder(framework, node)
            line = (ROOT / location.file).read_text().splitlines()[location.line - 1]
            expected = (f"def {location.name}(", f"class {location.name}(", f'"{node.kind}":')
            assert any(e in line for e in expected), (path, framework, line)
        missing = set(checked_by(answer)) - collected()
        assert not missing, (path, sorted(missing))


@pytest.mark.parametrize("preset", PRESETS)
def test_every_key_of_both_namings_is_answered(preset):
    arch = architecture(preset)
    for naming, keys in (("torch", torch_keys(arch)), ("MindSpore", mindspore_keys(arch))):
        for key, _ in keys:
            (answer,) = lookup(key, (preset,))
            assert naming in answer.matched or answer.matched == "spec path", key  # a step size's key is its path
            names = [n for e in answer.entries for n in (e.mindspore_key if naming == "MindSpore" else e.torch_keys)]
            assert key in names if naming == "torch" else [key] == [e.mindspore_key for e in answer.entries]


def test_a_block_lists_the_keys_below_it_and_its_own_tests():
    (answer,) = lookup("stage1_encoder.body.0", ("published",))
    assert isinstance(answer.node, Block)
    assert len(answer.entries) == 10  # identity, conv_1 and conv_2 (+ bias), norm (4), downsample
    assert "parity_tests/test_layer_parity.py::test_layer_parity[published-stage1_encoder.body.0-eval]" in \
        checked_by(answer)


def test_cli_prints_the_answer_and_refuses_an_unknown_path_in_one_line(capsys):
    assert main(["where", "lbp.conv2.conv_Encoder.act.w", "--preset", "published"]) == 0
    out = capsys.readouterr().out
    assert "mindspore_impl/layers.py" in out and "lbp.conv2.conv_Encoder.act.weight  <->  " in out
    assert main(["where", "no.such.layer"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("jcrnet where: error: 'no.such.layer'") and err.count("\n") == 1
