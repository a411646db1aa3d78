"""``jcrnet eval``: per-image and mean PSNR/SSIM in the authors' convention, the input as baseline, both data
layouts and the synthetic set; bad data and bad weights are one-line errors. Seeded weights, tiny images."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import convert
from jcrnet_kit.cli import main
from jcrnet_kit.images.pairs import read_rgb
from jcrnet_kit.images.metrics import psnr_ssim
from jcrnet_spec import architecture, seeded_weights


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "seeded.pth"
    convert.save_weights(convert.Weights(seeded_weights(architecture("published"), 0), "torch", "published"), path)
    return path


def _write_pairs(root, low_dir, high_dir, sizes):
    """Low/high pairs under ``root/low_dir`` and ``root/high_dir``; the low image is the high one darkened."""
    rng = np.random.default_rng(0)
    (root / low_dir).mkdir(parents=True)
    (root / high_dir).mkdir(parents=True)
    for i, (h, w) in enumerate(sizes):
        high = rng.integers(40, 220, (h, w, 3)).astype(np.uint8)
        Image.fromarray(high).save(root / high_dir / f"{i}.png")
        Image.fromarray((high * 0.2).astype(np.uint8)).save(root / low_dir / f"{i}.png")


def _eval(args, capsys):
    code = main(["eval", *map(str, args)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip()


@pytest.mark.parametrize("layout", [("eval15/low", "eval15/high"), ("input", "target")])
def test_eval_reports_every_image_the_mean_and_the_input_baseline(layout, tmp_path, weights, capsys):
    data = tmp_path / "data"
    _write_pairs(data, *layout, sizes=[(16, 20), (17, 21)])
    code, printed, err = _eval(["--weights", weights, "--data", data, "--json", tmp_path / "eval.json"], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "eval.json").read_text())
    assert {"data", "framework", "preset", "weights", "convention", "count", "mean", "images"} <= set(report)
    assert report["count"] == 2 and [row["name"] for row in report["images"]] == ["0", "1"]
    assert report["images"][1]["size"] == "17x21"
    for key in ("psnr", "ssim", "input_psnr", "input_ssim"):
        assert report["mean"][key] == pytest.approx(np.mean([row[key] for row in report["images"]]))
    for i, row in enumerate(report["images"]):
        low, high = read_rgb(data / layout[0] / f"{i}.png"), read_rgb(data / layout[1] / f"{i}.png")
        assert (row["input_psnr"], row["input_ssim"]) == pytest.approx(psnr_ssim(low, high))
        assert np.isfinite(row["psnr"]) and -1 <= row["ssim"] <= 1 and row["tiling"] == "whole"
    assert "input PSNR" in printed and printed.strip().splitlines()[-1].startswith("mean")


def test_eval_runs_offline_on_the_synthetic_set(tmp_path, weights, capsys, monkeypatch):
    import jcrnet_kit.images.synthetic

    full = jcrnet_kit.images.synthetic.synthetic_pairs
    seeds = []

    def small(seed=0, count=7, max_side=384):
        seeds.append(seed)
        return full(seed, count=min(count, 2), max_side=48)  # bottom thirds >= 7 rows (SSIM window)

    monkeypatch.setattr(jcrnet_kit.images.synthetic, "synthetic_pairs", small)
    code, _, err = _eval(["--weights", weights, "--data", "synthetic", "--framework", "mindspore",
                          "--json", tmp_path / "eval.json"], capsys)
    assert code == 0, err
    report = json.loads((tmp_path / "eval.json").read_text())
    assert report["count"] == 2 and report["framework"] == "mindspore" and "synthetic" in report["data"]
    assert seeds == [0, 1]  # jcrnet train's validation pairs: the held-out rows, darkened with seed 0 + 1


@pytest.mark.parametrize("case", ["missing folder", "no layout", "unpaired files", "wrong weights file",
                                  "weights with a missing tensor"])
def test_eval_errors_are_one_line(case, tmp_path, weights, capsys):
    data = tmp_path / "data"
    _write_pairs(data, "eval15/low", "eval15/high", sizes=[(16, 16)])
    (tmp_path / "flat").mkdir()
    weights_file = weights
    if case == "unpaired files":
        Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(data / "eval15" / "low" / "extra.png")
    elif case == "wrong weights file":
        weights_file = tmp_path / "notes.safetensors"
        weights_file.write_text("these are not weights")
    elif case == "weights with a missing tensor":
        tensors = dict(seeded_weights(architecture("published"), 0))
        tensors.pop("tail.weight")
        weights_file = tmp_path / "short.safetensors"
        from safetensors.numpy import save_file

        save_file(tensors, str(weights_file))
    folder = {"missing folder": tmp_path / "nowhere", "no layout": tmp_path / "flat"}.get(case, data)
    code, _, err = _eval(["--weights", weights_file, "--data", folder], capsys)
    assert code == 2
    assert err.startswith("jcrnet eval: error:") and "\n" not in err
    expected = {"missing folder": "nowhere", "no layout": "eval15/{low,high}", "unpaired files": "extra",
                "wrong weights file": "notes.safetensors", "weights with a missing tensor": "tail.weight"}[case]
    assert expected in err


def test_eval_help_states_the_metric_convention(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["eval", "--help"])
    assert exit_info.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "clamped to [0, 1]" in text and "8 bits" in text and "data_range=255" in text and "channel_axis=-1" in text
