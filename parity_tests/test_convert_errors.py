"""Every bad input to ``jcrnet convert``: one clear line on stderr naming the file, a non-zero exit, no output file
(and no temporary file left beside it)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import model_pair
from convert.cli import main
from jcrnet_spec import architecture, seeded_weights, torch_to_mindspore

SOURCE_FORMATS = ("pth", "ckpt", "safetensors")


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict:
    """A valid file of each format (preset published), written by the converter from a torch state_dict."""
    folder = tmp_path_factory.mktemp("good")
    torch.save(model_pair("published").torch_model.state_dict(), folder / "w.pth")
    for fmt in ("ckpt", "safetensors"):
        assert main([str(folder / "w.pth"), str(folder / f"w.{fmt}")]) == 0
    return {fmt: folder / f"w.{fmt}" for fmt in SOURCE_FORMATS}


def state(**changes) -> dict:
    """The seeded torch state of preset published as torch tensors, with entries replaced (None: removed)."""
    tensors = {k: torch.from_numpy(v) for k, v in seeded_weights(architecture("published"), 0).items()}
    for key, value in changes.items():
        key = key.replace("__", ".")
        if value is None:
            del tensors[key]
        else:
            tensors[key] = value
    return tensors


def expect_refusal(capsys, src: Path, dst: Path, *fragments: str, args=(), named: Path = None,
                   watch: Path = None) -> str:
    """Run the CLI; assert exit 2, one error line naming the file and holding ``fragments``, and nothing written
    (in ``watch``, by default the destination's folder)."""
    watch = watch or dst.parent
    before = set(watch.iterdir())
    code = main([str(src), str(dst), *args])
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert code == 2, captured
    assert len(lines) == 1, lines
    assert lines[0].startswith("jcrnet convert: error: "), lines[0]
    assert str(named or src) in lines[0], lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert "Traceback" not in captured.err
    assert set(watch.iterdir()) == before, "a file was left behind"
    return lines[0]


@pytest.mark.parametrize("fmt", SOURCE_FORMATS)
def test_truncated_file(capsys, tmp_path, good, fmt):
    data = good[fmt].read_bytes()
    src = tmp_path / f"truncated.{fmt}"
    src.write_bytes(data[: len(data) // 2])
    expect_refusal(capsys, src, tmp_path / "out.pth" if fmt != "pth" else tmp_path / "out.ckpt", "corrupt or truncated")


@pytest.mark.parametrize("fmt", SOURCE_FORMATS)
def test_empty_file(capsys, tmp_path, fmt):
    src = tmp_path / f"empty.{fmt}"
    src.write_bytes(b"")
    expect_refusal(capsys, src, tmp_path / "out.safetensors" if fmt != "safetensors" else tmp_path / "out.pth")


@pytest.mark.parametrize("content, extension, fragment", [
    ("safetensors", "pth", "is not a torch file (it is a safetensors file)"),
    ("pth", "ckpt", "the file is a zip archive (torch .pth)"),
    ("pth", "safetensors", "not a readable safetensors file"),
    ("text", "pth", "is not a torch file"),
])
def test_wrong_content_for_extension(capsys, tmp_path, good, content, extension, fragment):
    src = tmp_path / f"mislabelled.{extension}"
    src.write_bytes(b"these are not weights\n" if content == "text" else good[content].read_bytes())
    expect_refusal(capsys, src, tmp_path / "out.onnx", fragment)


@pytest.mark.parametrize("src_name, dst_name, fragment, named", [
    ("w.bin", "out.pth", "unsupported source extension '.bin'", "src"),
    ("w.pth", "out.txt", "unsupported destination extension '.txt'", "dst"),
    ("w.onnx", "out.pth", "destination only", "src"),
])
def test_wrong_extension(capsys, tmp_path, good, src_name, dst_name, fragment, named):
    src, dst = tmp_path / src_name, tmp_path / dst_name
    src.write_bytes(good["pth"].read_bytes())
    expect_refusal(capsys, src, dst, fragment, named=src if named == "src" else dst)


def test_missing_source(capsys, tmp_path):
    expect_refusal(capsys, tmp_path / "absent.pth", tmp_path / "out.ckpt", "does not exist")


def test_missing_extra_and_misshaped_keys_in_one_error(capsys, tmp_path):
    src = tmp_path / "bad.pth"
    torch.save(state(tail__weight=None, tail__bias=torch.zeros(3), concat67__weight=torch.zeros(56, 80, 1, 1)), src)
    expect_refusal(capsys, src, tmp_path / "out.ckpt", "torch naming, preset 'published'", "1 missing (tail.weight)",
                   "1 unexpected (tail.bias)", "concat67.weight expected (56, 80, 3, 3) found (56, 80, 1, 1)")


@pytest.mark.parametrize("case", ["missing", "extra", "shape"])
def test_each_key_problem_alone(capsys, tmp_path, case):
    changes = {
        "missing": {"lbp__conv3__conv_Decoder__act__weight": None},
        "extra": {"illum__bn3__extra": torch.zeros(1)},
        "shape": {"illum__bn3__running_var": torch.ones(64)},
    }[case]
    src = tmp_path / f"{case}.pth"
    torch.save(state(**changes), src)
    fragment = {"missing": "1 missing (lbp.conv3.conv_Decoder.act.weight)", "extra": "1 unexpected (illum.bn3.extra)",
                "shape": "illum.bn3.running_var expected (128,) found (64,)"}[case]
    expect_refusal(capsys, src, tmp_path / "out.safetensors", fragment)


def test_missing_key_in_a_mindspore_checkpoint(capsys, tmp_path):
    import mindspore as ms

    arch = architecture("published")
    params = torch_to_mindspore(seeded_weights(arch, 0), arch)
    del params["illum.bn25.gamma"]
    src = tmp_path / "partial.ckpt"
    ms.save_checkpoint([{"name": k, "data": ms.Tensor(v)} for k, v in params.items()], str(src))
    expect_refusal(capsys, src, tmp_path / "out.pth", "mindspore naming, preset 'published'",
                   "1 missing (illum.bn25.gamma)")


def test_diverged_copies_of_a_shared_slope_are_refused(capsys, tmp_path):
    src = tmp_path / "diverged.pth"
    torch.save(state(phi_6__body__1__weight=torch.tensor([0.5])), src)
    expect_refusal(capsys, src, tmp_path / "out.ckpt", "shared parameters differ between their copies",
                   "phi_0.body.1.weight = phit_0.body.1.weight = phi_6.body.1.weight = phit_6.body.1.weight")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")], ids=["nan", "inf", "-inf"])
def test_non_finite_values_are_refused(capsys, tmp_path, value):
    weight = torch.from_numpy(seeded_weights(architecture("published"), 0)["tail.weight"]).clone()
    weight[0, 0, 0, 0] = value
    src = tmp_path / "nonfinite.pth"
    torch.save(state(tail__weight=weight), src)
    kind = "NaN" if value != value else "Inf"
    expect_refusal(capsys, src, tmp_path / "out.ckpt", f"tail.weight (1 {kind})", "--allow-nonfinite")


def test_non_finite_values_convert_when_allowed(capsys, tmp_path):
    weight = torch.from_numpy(seeded_weights(architecture("published"), 0)["tail.weight"]).clone()
    weight[0, 0, 0, 0] = float("nan")
    src, dst = tmp_path / "nonfinite.pth", tmp_path / "out.safetensors"
    torch.save(state(tail__weight=weight), src)
    assert main([str(src), str(dst), "--allow-nonfinite"]) == 0
    assert "note: converting 1 tensors that hold NaN or Inf: tail.weight (1 NaN)" in capsys.readouterr().out
    assert dst.is_file()


def test_float16_overflow_is_refused(capsys, tmp_path):
    weight = torch.from_numpy(seeded_weights(architecture("published"), 0)["tail.weight"]).clone()
    weight[0, 0, 0, 0] = 1e6
    src = tmp_path / "large.pth"
    torch.save(state(tail__weight=weight), src)
    expect_refusal(capsys, src, tmp_path / "out.ckpt", "casting to float16", "tail.weight (1 Inf)",
                   args=["--dtype", "float16"])


class CreatesMarker:
    """Unpickling this runs ``os.system("touch MARKER")``, unless the unpickler refuses to."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_malicious_pickle_is_refused_and_never_executed(capsys, tmp_path, writer):
    marker = tmp_path / "MARKER"
    src = tmp_path / "malicious.pth"
    if writer == "torch.save":
        torch.save({**state(), "tail.weight": CreatesMarker(marker)}, src)
    else:
        with open(src, "wb") as f:
            pickle.dump({"tail.weight": CreatesMarker(marker)}, f, protocol=2)
    expect_refusal(capsys, src, tmp_path / "out.ckpt", "refused as unsafe", "posix.system",
                   "nothing in it was executed")
    assert not marker.exists()


def test_existing_destination_is_not_overwritten_without_force(capsys, tmp_path, good):
    dst = tmp_path / "taken.ckpt"
    dst.write_bytes(b"precious")
    expect_refusal(capsys, good["pth"], dst, "already exists", "--force", named=dst)
    assert dst.read_bytes() == b"precious"
    assert main([str(good["pth"]), str(dst), "--force"]) == 0
    assert dst.read_bytes() == good["ckpt"].read_bytes()


def test_destination_folder_must_exist(capsys, tmp_path, good):
    dst = tmp_path / "no" / "such" / "out.ckpt"
    expect_refusal(capsys, good["pth"], dst, "does not exist", named=dst.parent, watch=tmp_path)
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("naming, preset, fragment", [
    ("torch", "torch-defaults", "metadata records preset 'torch-defaults', but the keys are those of preset "
                                "'published'"),
    ("mindspore", "published", "holds torch-named weights (preset 'published'), but its metadata records mindspore "
                               "naming"),
])
def test_safetensors_metadata_must_agree_with_the_keys(capsys, tmp_path, good, naming, preset, fragment):
    from safetensors.torch import load_file, save_file

    src = tmp_path / "lying.safetensors"
    metadata = {"jcrnet.naming": naming, "jcrnet.preset": preset}
    save_file(load_file(str(good["safetensors"])), str(src), metadata=metadata)
    expect_refusal(capsys, src, tmp_path / "out.pth", fragment)


def test_one_line_on_the_real_stderr(tmp_path):
    """In a fresh process: MindSpore's own logging and Python's traceback stay out of the way."""
    src = tmp_path / "garbage.ckpt"
    src.write_bytes(np.random.default_rng(0).bytes(4096))
    result = subprocess.run([sys.executable, "-m", "convert", str(src), str(tmp_path / "out.pth")],
                            capture_output=True, text=True, cwd=Path(__file__).parents[1],
                            env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()], result.stderr
    assert result.stderr.startswith(f"jcrnet convert: error: {src}: is not a readable MindSpore checkpoint")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["garbage.ckpt"]
