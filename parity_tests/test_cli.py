"""The ``jcrnet`` command line: the main job runs and reports a verdict; bad arguments get one-line errors."""

from __future__ import annotations

import json

import pytest

from jcrnet_kit.cli import main


def test_verify_prints_a_passing_verdict_and_writes_images(tmp_path, capsys):
    assert main(["verify", "--size", "16x24", "--ms-mode", "pynative", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "verdict: PASS" in printed
    report = json.loads((tmp_path / "verify.json").read_text())
    assert report["verdict"] == "pass"
    assert [row["name"] for row in report["outputs"]] == ["enhanced", "stage1"]
    for name in ("input_low.png", "enhanced_torch.png", "enhanced_mindspore.png"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.parametrize("size", ["15x24", "abc", "0x8"])
def test_verify_refuses_bad_sizes_in_one_line(size, capsys):
    assert main(["verify", "--size", size]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jcrnet verify: error:") and "\n" not in err
