"""ONNX exports from each implementation and preset run in onnxruntime within ``ONNX_EXPORT`` (5e-6) of their
source, at two input sizes (and batch 2 for torch's); graph contract: input ``image`` with dynamic H and W, outputs
``enhanced`` then ``stage1``, opset stated in the metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

import convert
import mindspore as ms
from conftest import model_pair
from jcrnet_kit.images.sample import seeded_input
from jcrnet_kit.parity.tolerances import ONNX_EXPORT

SIZES = [(1, 3, 16, 24), (1, 3, 32, 16)]


def write_source(preset: str, framework: str, folder: Path) -> Path:
    pair = model_pair(preset)
    if framework == "torch":
        path = folder / "weights.pth"
        torch.save(pair.torch_model.state_dict(), path)
    else:
        path = folder / "weights.ckpt"
        ms.save_checkpoint(pair.ms_net, str(path))
    return path


@pytest.mark.parametrize("exporter", ["torch", "mindspore"])
def test_onnx_export_runs_in_onnxruntime_like_its_source(tmp_path, preset, exporter):
    src = write_source(preset, exporter, tmp_path)
    dst = tmp_path / "jcrnet.onnx"
    report = convert.convert(src, dst)
    assert f"exported by {exporter}" in report.destination

    model = onnx.load(str(dst))
    onnx.checker.check_model(model)
    props = {p.key: p.value for p in model.metadata_props}
    assert props["jcrnet.preset"] == preset
    assert props["jcrnet.opset"] == {"torch": "17", "mindspore": "11"}[exporter]
    assert [o.name for o in model.graph.output] == ["enhanced", "stage1"]
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert dims[1:] == [3, "H", "W"]

    session = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    pair = model_pair(preset)
    run_source = pair.run_torch if exporter == "torch" else pair.run_mindspore
    batch = [(2, 3, 16, 16)] if exporter == "torch" else []  # MindSpore bakes the traced batch size into a Reshape
    assert dims[0] == ("N" if exporter == "torch" else 1)
    for shape in SIZES + batch:
        x = seeded_input(shape)
        for name, expected, actual in zip(("enhanced", "stage1"), run_source(x), session.run(None, {"image": x})):
            diff = np.abs(expected - actual).max()
            assert ONNX_EXPORT.holds(diff), f"{name} at {shape}: max |diff| {diff:.3e}"


def test_export_from_the_other_implementation_and_verify(capsys, tmp_path, monkeypatch):
    """MindSpore weights exported through torch, checked by ``--verify`` against the MindSpore source."""
    from convert.cli import main

    monkeypatch.setattr("convert.equivalence.ONNX_SHAPES", ((1, 3, 16, 16),))
    src = write_source("published", "mindspore", tmp_path)
    assert main([str(src), str(tmp_path / "x.onnx"), "--onnx-from", "torch", "--verify"]) == 0
    out = capsys.readouterr().out
    assert "verify: ONNX from torch (onnxruntime) vs source (MindSpore), input 1x3x16x16, enhanced" in out
    assert "ONNX opset 17 exported by torch" in out


def test_onnx_export_refuses_a_narrow_dtype(tmp_path):
    with pytest.raises(convert.ConversionError, match="an ONNX export runs in float32"):
        convert.convert(tmp_path / "w.pth", tmp_path / "x.onnx", dtype="float16")
