"""The ``jcrnet`` command line: the main job runs and reports a verdict; bad arguments get one-line errors."""

from __future__ import annotations

import json

import pytest

from jcrnet_kit.cli import main


def test_verify_prints_a_passing_verdict_and_writes_images(tmp_path, capsys):
    """Every part of verify on the shipped weights, small."""
    assert main(["verify", "--size", "16x24", "--layer-crop", "8x12", "--training-steps", "2", "--ms-mode",
                 "pynative", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "verdict: PASS" in printed
    report = json.loads((tmp_path / "verify.json").read_text())
    assert report["verdict"] == "pass"
    assert report["weights"].startswith("jcrnet-synthetic.safetensors")  # the shipped weights are the default
    assert [row["name"] for row in report["outputs"]] == ["enhanced", "stage1"]
    assert report["failed_parts"] == [] and set(report["margins"]) == {"outputs", "in_model", "layers", "gradients",
                                                                      "training"}
    assert len(report["layer_checks"]) > 800 and sorted(report["gradients"]) == ["eval", "train"]
    for name in ("input_low.png", "enhanced_torch.png", "enhanced_mindspore.png"):
        assert (tmp_path / name).stat().st_size > 0


@pytest.mark.parametrize("size", ["15x24", "abc", "0x8"])
def test_verify_refuses_bad_sizes_in_one_line(size, capsys):
    assert main(["verify", "--size", size]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jcrnet verify: error:") and "\n" not in err


def _layer_paths(preset):
    from jcrnet_spec import architecture
    from jcrnet_spec.dataflow import layers

    return [path for path, _ in layers(architecture(preset))]


def _assert_layer_report(report, preset):
    """Every called spec layer once, in execution order (a layer's output comes before its parent's)."""
    assert report["verdict"] == "pass"
    paths = [row["path"] for row in report["layers"]]
    assert sorted(paths) == sorted(_layer_paths(preset))
    assert all(paths.index(p) < paths.index(p.rsplit(".", 1)[0]) for p in paths
               if "." in p and p.rsplit(".", 1)[0] in paths)
    assert paths.index("illum") < paths.index("shallow_feat7") < paths.index("lbp")
    assert all(row["status"] != "FAIL" for row in report["layers"])
    assert report["first_failing_layer"] is None
    for row in report["layers"]:
        assert {"path", "shape", "max_abs", "rel", "cosine", "status", "torch_vs_fp64", "mindspore_vs_fp64"} <= set(row)


def test_verify_reports_every_layer_as_json_and_html(tmp_path, capsys):
    out_json, out_html = tmp_path / "verify.json", tmp_path / "verify.html"
    argv = ["verify", "--seeded", "--size", "16x24", "--training-steps", "3", "--checks", "outputs,in_model,training",
            "--json", str(out_json), "--html", str(out_html)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "stage1_encoder.body.0.norm" in printed and "training parity" in printed
    report = json.loads(out_json.read_text())
    assert report["weights"] == "seeded weights (seed 0)"
    _assert_layer_report(report, "published")
    assert sorted(report["training"]) == ["eval", "train"]
    assert all(len(run["losses"]["mindspore"]) == 3 and run["passed"] for run in report["training"].values())
    page = out_html.read_text()
    assert page.count("data:image/png;base64,") == 2 and "illum.sft.sft0.SFT2" in page


def test_verify_reads_a_published_layout_checkpoint(tmp_path, capsys):
    import convert
    from jcrnet_spec import architecture, seeded_weights, torch_to_mindspore

    arch = architecture("published")
    ckpt = tmp_path / "authors.ckpt"
    convert.save_weights(convert.Weights(torch_to_mindspore(seeded_weights(arch, 3), arch), "mindspore", "published"),
                         ckpt)
    out_json = tmp_path / "verify.json"
    assert main(["verify", "--weights", str(ckpt), "--size", "16x24", "--checks", "outputs,in_model",
                 "--json", str(out_json)]) == 0
    report = json.loads(out_json.read_text())
    _assert_layer_report(report, "published")
    assert "authors.ckpt" in report["weights"] and "mindspore naming" in report["weights"]


def test_verify_refuses_weights_of_another_preset_in_one_line(tmp_path, capsys):
    import convert
    from jcrnet_spec import architecture, seeded_weights

    pth = tmp_path / "defaults.pth"
    convert.save_weights(convert.Weights(seeded_weights(architecture("torch-defaults"), 0), "torch", "torch-defaults"),
                         pth)
    assert main(["verify", "--weights", str(pth), "--preset", "published", "--size", "16x24"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("jcrnet verify: error:") and "\n" not in err
