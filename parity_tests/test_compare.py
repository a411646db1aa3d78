"""``jcrnet compare A B``: the same weights in every format and naming match (exit 0) with no name reported missing or
unexpected (TroubleShooter's ``compare_pth_and_ckpt`` reports 52 false alarms on JCRNet); a change in one tensor, a
different preset, missing, extra and misshaped tensors and diverged shared copies are reported by name (exit 1); a
file that is not JCRNet weights is one line (exit 2)."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

import convert
from conftest import MS_LAYOUT, read_key_list
from convert.compare import compare_files
from convert.weights import Weights
from jcrnet_kit.cli import main
from jcrnet_spec import architecture, seeded_weights


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    """Seeded published weights as .pth, and converted from it: .ckpt (the authors' layout), .safetensors in both
    namings, and a .pth read back from the .ckpt."""
    folder = tmp_path_factory.mktemp("compare")
    paths = {"pth": folder / "w.pth"}
    convert.save_weights(Weights(seeded_weights(architecture("published"), 0), "torch", "published"), paths["pth"])
    for name, src, dst, naming in (("ckpt", "pth", "w.ckpt", "auto"), ("st-torch", "pth", "t.safetensors", "auto"),
                                   ("st-ms", "ckpt", "m.safetensors", "auto"), ("back", "ckpt", "back.pth", "auto")):
        paths[name] = folder / dst
        convert.convert(paths[src], paths[name], naming=naming)
    return paths


def run(capsys, *args) -> tuple:
    code = main(["compare", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def state(path: Path) -> OrderedDict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)


@pytest.mark.parametrize("other, compared", [("ckpt", 156), ("st-torch", 164), ("st-ms", 156), ("back", 164)])
def test_the_same_weights_in_any_format_and_naming_match(capsys, files, other, compared):
    """156 parameters both namings hold; two torch-named files also compare their 8 num_batches_tracked."""
    code, out, _ = run(capsys, files["pth"], files[other])
    assert code == 0, out
    assert out.splitlines()[-1] == f"verdict: MATCH: all {compared} parameters bit-identical after widening to float64"
    assert "missing" not in out and "unexpected" not in out


def test_a_pth_and_its_ckpt_pair_every_tensor_through_the_spec(files):
    """The .ckpt is the authors' published layout; every tensor pairs up, no name is a false alarm."""
    assert [(k, tuple(v.shape)) for k, v in convert.load_weights(files["ckpt"]).tensors.items()] == \
        read_key_list(MS_LAYOUT)
    result = compare_files(files["pth"], files["ckpt"])
    assert result.problems() == [] and result.matched
    assert (result.a.missing, result.a.unexpected, result.b.missing, result.b.unexpected) == ((), (), (), ())
    names = {row.name for row in result.rows}
    assert "illum.bn1.weight <-> illum.bn1.gamma" in names and "lbp.conv2.conv_Encoder.act.weight <-> " \
        "lbp.conv2.conv_Encoder.act.w" in names
    assert result.not_comparable == ["4 InstanceNorm moving statistics", "8 num_batches_tracked"]


def test_one_changed_tensor_is_named_and_atol_admits_it(capsys, files, tmp_path):
    changed = state(files["pth"])
    changed["tail.weight"] = changed["tail.weight"] + 1e-3
    torch.save(changed, tmp_path / "changed.pth")
    code, out, _ = run(capsys, files["ckpt"], tmp_path / "changed.pth", "--json", tmp_path / "report.json")
    assert code == 1
    assert out.splitlines()[-1] == "verdict: DIFFER: 1 of 156 tensors differ beyond atol 0 (tail.weight)"
    row = next(line for line in out.splitlines() if line.startswith("tail.weight"))
    assert "3x56x3x3" in row and "0.000000" in row
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["match"] is False and len(report["tensors"]) == 156
    assert [t["name"] for t in report["tensors"] if t["close"] < 1] == ["tail.weight"]
    assert run(capsys, files["ckpt"], tmp_path / "changed.pth", "--atol", "2e-3")[0] == 0


def test_different_presets_are_reported_by_name(capsys, files, tmp_path):
    other = tmp_path / "defaults.pth"
    convert.save_weights(Weights(seeded_weights(architecture("torch-defaults"), 0), "torch", "torch-defaults"), other)
    code, out, _ = run(capsys, files["pth"], other)
    assert code == 1
    verdict = out.splitlines()[-1]
    assert "presets differ: A 'published', B 'torch-defaults'" in verdict
    assert "37 only in B's preset (r0, r6, stage1_encoder.body.0.identity.bias" in verdict
    result = compare_files(files["pth"], other)
    assert "illum.conv11.bias" in result.only_b and not result.only_a


def test_missing_extra_misshaped_and_diverged_tensors_are_named(capsys, files, tmp_path):
    damaged = state(files["pth"])
    del damaged["tail.weight"]
    damaged["extra.weight"] = torch.zeros(3)
    damaged["sam12.conv1.weight"] = torch.zeros(40, 40, 3, 3)
    damaged["phit_6.body.1.weight"] = damaged["phit_6.body.1.weight"] + 1  # one copy of a shared PReLU slope
    torch.save(damaged, tmp_path / "damaged.pth")
    code, out, err = run(capsys, files["pth"], tmp_path / "damaged.pth")
    assert (code, err) == (1, "")
    verdict = out.splitlines()[-1]
    for phrase in ("1 missing from B (tail.weight)", "1 unexpected in B (extra.weight)",
                   "1 wrong shape in B (sam12.conv1.weight expected (40, 40, 1, 1) found (40, 40, 3, 3))",
                   "1 shared copies differ in B (phi_0.body.1.weight = phit_0.body.1.weight = phi_6.body.1.weight = "
                   "phit_6.body.1.weight)"):
        assert phrase in verdict
    assert "closest layout" in out


@pytest.mark.parametrize("content, message", [
    (b"not weights at all\n", "is not a torch file"),
    (None, "holds no tensor of any JCRNet layout"),
])
def test_a_file_that_is_not_jcrnet_weights_is_one_line(capsys, files, tmp_path, content, message):
    if content is None:
        bad = tmp_path / "other.pth"
        torch.save({"encoder.weight": torch.zeros(2, 2), "decoder.bias": torch.zeros(2)}, bad)
    else:
        bad = tmp_path / "notes.pth"
        bad.write_bytes(content)
    code, out, err = run(capsys, files["pth"], bad)
    assert (code, out) == (2, "")
    assert err.startswith(f"jcrnet compare: error: {bad}: ") and message in err and err.count("\n") == 1


def test_a_negative_atol_is_refused(capsys, files):
    code, _, err = run(capsys, files["pth"], files["ckpt"], "--atol", "-1")
    assert code == 2 and err == "jcrnet compare: error: --atol -1 must be a number >= 0\n"


def test_trained_counters_are_noted_not_counted(files, tmp_path):
    trained = state(files["pth"])
    trained["illum.bn3.num_batches_tracked"] = torch.tensor(1200)
    torch.save(trained, tmp_path / "trained.pth")
    result = compare_files(tmp_path / "trained.pth", files["ckpt"])
    assert result.matched
    assert any("illum.bn3.num_batches_tracked" in note and "is not 0" in note for note in result.not_comparable)
    assert not compare_files(tmp_path / "trained.pth", files["pth"]).matched  # both hold it: compared


def test_nan_matches_nan_at_the_same_place_only(tmp_path, files):
    weights = convert.load_weights(files["pth"])
    for name, where in (("a", 0), ("b", 0), ("c", 5)):
        tensors = dict(weights.tensors)
        tensors["tail.weight"] = tensors["tail.weight"].copy()
        tensors["tail.weight"].flat[where] = np.nan
        torch.save(OrderedDict((k, torch.from_numpy(v)) for k, v in tensors.items()), tmp_path / f"{name}.pth")
    assert compare_files(tmp_path / "a.pth", tmp_path / "b.pth").matched
    result = compare_files(tmp_path / "a.pth", tmp_path / "c.pth")
    assert [r.name for r in result.differing] == ["tail.weight"] and np.isnan(result.differing[0].max_abs)
    rows = json.loads(json.dumps(result.as_dict(), allow_nan=False))["tensors"]
    assert [r["max_abs"] for r in rows if r["name"] == "tail.weight"] == ["nan"]
