"""``convert --verify`` against bugs it used to pass: every converted tensor is checked bit for bit against the source
cast by torch (not by the ``cast_floating`` that wrote the file), and the narrowed model against the float32 source
model within what a correct cast costs (``tolerances.NARROWED_WEIGHTS``). On the shipped weights, as in issue 12: a
bfloat16 cast by truncation, every narrowed weight scaled by 1.01, and the illumination net's edge branch zeroed (a
branch that outputs exactly 0 with these weights, so no output shows it)."""

from __future__ import annotations

import re
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest

import convert
from convert.dtypes import cast_floating, is_floating
from convert.equivalence import OutputCheck, TensorCheck, check_tensors, verify_weights
from convert.weights import Weights
from jcrnet_spec import architecture, param_table

SHIPPED = Path(__file__).resolve().parents[1] / "jcrnet_kit" / "assets" / "jcrnet-synthetic.safetensors"
EDGE_BRANCH = re.compile(r"illum\.(CondNet\.|sft\.sft\d\.SFT_(scale|shift)_conv)")


def checks_of(report_or_error) -> str:
    return str(report_or_error) if isinstance(report_or_error, Exception) else "\n".join(report_or_error.lines())


def truncating_cast(tensors, dtype):
    """bfloat16 by dropping the low 16 bits instead of rounding."""
    if dtype != "bfloat16":
        return cast_floating(tensors, dtype)
    return {k: (v.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).view(ml_dtypes.bfloat16)
            if v.dtype.kind == "f" else v for k, v in tensors.items()}


def scaling_cast(tensors, dtype):
    """Every narrowed weight 1.01 times too large."""
    cast = cast_floating(tensors, dtype)
    return {k: (v.astype(np.float32) * np.float32(1.01)).astype(v.dtype) if is_floating(v) else v
            for k, v in cast.items()}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_a_correct_cast_passes_both_checks(tmp_path, dtype):
    report = convert.convert(SHIPPED, tmp_path / "narrow.pth", dtype=dtype, verify=True)
    text = checks_of(report)
    assert f"tensors vs the source cast by torch (Tensor.to(torch.{dtype})): 168 tensors" in text
    assert [c.passed for c in report.checks] == [True, True, True]


def test_bfloat16_by_truncation_is_caught_by_each_check(tmp_path, monkeypatch):
    monkeypatch.setattr("convert.core.cast_floating", truncating_cast)
    convert.convert(SHIPPED, tmp_path / "truncated.pth", dtype="bfloat16")
    checks = verify_weights(convert.load_weights(SHIPPED), convert.load_weights(tmp_path / "truncated.pth"),
                            "bfloat16")
    wrong = {w.key: (w.wrong, w.size) for w in checks[0].wrong}
    assert wrong["tail.weight"] == (762, 1512)
    assert [c.passed for c in checks[1:]] == [False, False]  # 3.2e-2 at the output, budget 1.0e-2
    assert max(c.max_abs for c in checks[1:]) > 3 * max(c.bound.atol for c in checks[1:])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_weights_scaled_by_one_percent_are_caught(tmp_path, monkeypatch, dtype):
    monkeypatch.setattr("convert.core.cast_floating", scaling_cast)
    with pytest.raises(convert.VerificationError) as error:
        convert.convert(SHIPPED, tmp_path / "narrow.pth", dtype=dtype, verify=True)
    text = checks_of(error.value)
    assert list(tmp_path.iterdir()) == []
    assert f"tensors vs the source cast by torch (Tensor.to(torch.{dtype})): 160 of 168 tensors differ" in text
    assert "2 of 2 outputs over budget" in text
    worst = float(re.search(r"max \|diff\| (\S+) \(budget", text.split("outputs over budget")[1]).group(1))
    assert worst > 0.1


def test_a_zeroed_edge_branch_is_caught_by_the_tensor_check_alone():
    """With the shipped weights the published preset's edge branch outputs exactly 0, so zeroing all of its weights
    changes no output bit; only the tensors show it."""
    source = convert.load_weights(SHIPPED)
    edge = {key for entry in param_table(architecture(source.preset)) if EDGE_BRANCH.match(entry.layer)
            for key in entry.torch_keys}
    assert sum(source.tensors[k].size for k in edge) == 68_160
    zeroed = Weights({k: np.zeros_like(v) if k in edge else v for k, v in source.tensors.items()}, "torch",
                     source.preset)
    checks = verify_weights(source, zeroed)
    tensors, outputs = checks[0], checks[1:]
    assert isinstance(tensors, TensorCheck) and not tensors.passed
    assert {w.key for w in tensors.wrong} == edge
    assert all(isinstance(c, OutputCheck) and c.passed and c.max_abs == 0 for c in outputs)


def test_same_framework_conversion_is_held_to_bit_exact_outputs(tmp_path):
    report = convert.convert(SHIPPED, tmp_path / "copy.pth", verify=True)
    assert [c.bound.atol for c in report.checks[1:]] == [0.0, 0.0]
    assert "(budget 0, bit-exact) ok" in checks_of(report)


def test_one_ulp_in_one_tensor_fails_the_tensor_check():
    source = convert.load_weights(SHIPPED)
    nudged = dict(source.tensors)
    nudged["tail.weight"] = source.tensors["tail.weight"].copy()
    nudged["tail.weight"].flat[7] = np.nextafter(nudged["tail.weight"].flat[7], np.float32(1))
    tensors, changed = check_tensors(source, Weights(nudged, "torch", source.preset), None)
    assert [(w.key, w.wrong, w.size) for w in tensors.wrong] == [("tail.weight", 1, 1512)] and not changed
