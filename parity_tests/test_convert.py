"""Weight conversion between PyTorch, MindSpore and safetensors: bit-identical round trips for both presets and every
dtype, the published MindSpore layout, nested state_dicts, metadata, presets, verification and the CLI."""

from __future__ import annotations

import argparse
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
import torch

import convert
import mindspore as ms
import torch_reference
from conftest import MS_LAYOUT, model_pair, read_key_list
from convert.cli import add_parser, main
from jcrnet_kit.images.sample import seeded_input
from jcrnet_spec import architecture, layout_keys, torch_keys

SMALL = (1, 3, 16, 24)


def write_pth(preset: str, path: Path, dtype: torch.dtype = torch.float32) -> Path:
    """The torch model's own state_dict (shared slopes included), floating tensors cast to ``dtype``."""
    state = model_pair(preset).torch_model.state_dict()
    torch.save(OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()), path)
    return path


def assert_same_state(expected: dict, actual: dict) -> None:
    """Same keys in the same order, same dtypes, same bits."""
    assert list(actual) == list(expected)
    for key, value in expected.items():
        assert (actual[key].dtype, actual[key].shape) == (value.dtype, value.shape), key
        assert actual[key].reshape(-1).view(torch.uint8).equal(value.reshape(-1).view(torch.uint8)), key


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16], ids=str)
def test_round_trip_pth_ckpt_safetensors_pth_is_bit_identical(tmp_path, preset, dtype):
    chain = [tmp_path / "a.pth", tmp_path / "b.ckpt", tmp_path / "c.safetensors", tmp_path / "d.pth"]
    write_pth(preset, chain[0], dtype)
    for src, dst in zip(chain, chain[1:]):
        report = convert.convert(src, dst)
        assert report.notes == []
    assert_same_state(torch.load(chain[0], weights_only=True), torch.load(chain[-1], weights_only=True))
    assert sorted(tmp_path.iterdir()) == sorted(chain), "a temporary file was left behind"
    ckpt = ms.load_checkpoint(str(chain[1]))
    assert [(k, tuple(v.shape)) for k, v in ckpt.items()] == layout_keys(architecture(preset), "mindspore")
    assert {str(v.dtype) for v in ckpt.values()} == {{torch.float32: "Float32", torch.float16: "Float16",
                                                      torch.bfloat16: "BFloat16"}[dtype]}


def test_round_trip_through_mindspore_naming_in_safetensors(tmp_path, preset):
    src = write_pth(preset, tmp_path / "a.pth")
    convert.convert(src, tmp_path / "b.safetensors", naming="mindspore")
    convert.convert(tmp_path / "b.safetensors", tmp_path / "c.pth")
    assert_same_state(torch.load(src, weights_only=True), torch.load(tmp_path / "c.pth", weights_only=True))


def test_written_pth_is_a_plain_state_dict_that_loads_strictly(tmp_path, preset):
    convert.convert(write_pth(preset, tmp_path / "a.pth"), tmp_path / "b.ckpt")
    convert.convert(tmp_path / "b.ckpt", tmp_path / "c.pth")
    state = torch.load(tmp_path / "c.pth", weights_only=True)
    assert type(state) is OrderedDict
    assert [(k, tuple(v.shape)) for k, v in state.items()] == torch_keys(architecture(preset))
    torch_reference.build_jcrnet(preset).load_state_dict(state, strict=True)


@pytest.fixture(scope="module")
def published_ckpt(tmp_path_factory) -> Path:
    """A checkpoint in the published MindSpore layout (``save_checkpoint`` of the Cell), with trained-looking
    InstanceNorm moving statistics, as the authors' training would leave them."""
    folder = tmp_path_factory.mktemp("published")
    plain = folder / "saved_by_mindspore.ckpt"
    ms.save_checkpoint(model_pair("published").ms_net, str(plain))
    params = ms.load_checkpoint(str(plain))
    assert [(k, tuple(v.shape)) for k, v in params.items()] == read_key_list(MS_LAYOUT)
    rng = np.random.default_rng(5)
    entries = []
    for name, param in params.items():
        value = param.asnumpy()
        if name.endswith(("norm.moving_mean", "norm.moving_variance")):
            value = rng.uniform(0.5, 1.5, value.shape).astype(np.float32)
        entries.append({"name": name, "data": ms.Tensor(value)})
    path = folder / "published.ckpt"
    ms.save_checkpoint(entries, str(path))
    return path


def test_published_mindspore_checkpoint_converts_to_pth(tmp_path, published_ckpt):
    dst = tmp_path / "converted.pth"
    report = convert.convert(published_ckpt, dst)
    assert any("InstanceNorm moving statistics" in note and "read back as 0 (mean) and 1 (variance)" in note
               for note in report.notes)
    model = torch_reference.build_jcrnet("published")
    model.load_state_dict(torch.load(dst, weights_only=True), strict=True)
    model.eval()
    x = seeded_input(SMALL)
    with torch.no_grad():
        converted = [t.numpy() for t in model(torch.from_numpy(x))]
    net = model_pair("published").ms_net
    net_params = {p.name: p.asnumpy() for p in net.get_parameters()}
    original = ms.load_checkpoint(str(published_ckpt))
    trainable = [k for k in original if "norm.moving_" not in k]
    assert all(np.array_equal(original[k].asnumpy(), net_params[k]) for k in trainable)
    for name, expected, actual in zip(("enhanced", "stage1"), model_pair("published").run_mindspore(x), converted):
        assert np.abs(expected - actual).max() <= 1e-5, name


def test_load_weights_returns_tensors_naming_and_preset(published_ckpt):
    tensors, naming, preset = convert.load_weights(published_ckpt)
    assert (naming, preset) == ("mindspore", "published")
    assert list(tensors) == [k for k, _ in read_key_list(MS_LAYOUT)]


@pytest.mark.parametrize("nesting", ["state_dict", "model", "params"])
@pytest.mark.parametrize("data_parallel", [False, True], ids=["plain", "module-prefix"])
def test_nested_and_data_parallel_state_dicts_are_read(tmp_path, nesting, data_parallel):
    state = model_pair("published").torch_model.state_dict()
    if data_parallel:
        state = OrderedDict((f"module.{k}", v) for k, v in state.items())
    src = tmp_path / "checkpoint.pt"
    torch.save({"epoch": 7, nesting: state, "optimizer": {"lr": 2e-4}}, src)
    report = convert.convert(src, tmp_path / "out.pth")
    assert f"read the state_dict nested under {nesting!r}" in report.notes
    assert ("stripped the DataParallel prefix 'module.'" in report.notes) == data_parallel
    assert_same_state(model_pair("published").torch_model.state_dict(), torch.load(tmp_path / "out.pth",
                                                                                   weights_only=True))


def test_safetensors_metadata_records_naming_preset_and_version(tmp_path):
    from safetensors import safe_open

    from jcrnet_kit import __version__

    src = write_pth("torch-defaults", tmp_path / "a.pth")
    for naming in ("torch", "mindspore"):
        dst = tmp_path / f"{naming}.safetensors"
        convert.convert(src, dst, naming=naming)
        with safe_open(str(dst), framework="np") as f:
            metadata = f.metadata()
        assert metadata["jcrnet.naming"] == naming
        assert metadata["jcrnet.preset"] == "torch-defaults"
        assert metadata["jcrnet.kit_version"] == __version__
        assert convert.load_weights(dst)[1:] == (naming, "torch-defaults")


def test_foreign_safetensors_without_metadata_are_identified_by_their_keys(tmp_path):
    from safetensors.torch import save_file

    state = model_pair("torch-defaults").torch_model.state_dict()
    src = tmp_path / "foreign.safetensors"
    save_file({k: v.clone() for k, v in state.items()}, str(src))
    tensors, naming, preset = convert.load_weights(src)
    assert (naming, preset) == ("torch", "torch-defaults")
    assert list(tensors) == list(state)


def test_preset_is_detected_and_never_changed(tmp_path):
    src = write_pth("published", tmp_path / "a.pth")
    assert convert.convert(src, tmp_path / "b.ckpt", preset="published").destination.startswith(
        "mindspore naming, preset 'published'")
    with pytest.raises(convert.ConversionError, match="converting them to preset 'torch-defaults' is refused") as error:
        convert.convert(src, tmp_path / "c.ckpt", preset="torch-defaults")
    assert "SFT LeakyReLU slope 0.2 vs 0.01" in str(error.value)
    assert not (tmp_path / "c.ckpt").exists()


def test_dtype_cast_keeps_counters_integer(tmp_path):
    src = write_pth("published", tmp_path / "a.pth")
    convert.convert(src, tmp_path / "half.pth", dtype="float16")
    state = torch.load(tmp_path / "half.pth", weights_only=True)
    assert {v.dtype for k, v in state.items() if not k.endswith("num_batches_tracked")} == {torch.float16}
    assert {v.dtype for k, v in state.items() if k.endswith("num_batches_tracked")} == {torch.int64}


def test_nonzero_num_batches_tracked_is_reported_when_mindspore_naming_drops_it(tmp_path):
    state = model_pair("published").torch_model.state_dict()
    state["illum.bn3.num_batches_tracked"] = torch.tensor(1200)
    torch.save(state, tmp_path / "trained.pth")
    report = convert.convert(tmp_path / "trained.pth", tmp_path / "trained.ckpt")
    assert report.notes == ["1 num_batches_tracked counters (illum.bn3.num_batches_tracked) have no key in mindspore "
                            "naming and will read back as 0; they do not affect any output"]
    convert.convert(tmp_path / "trained.pth", tmp_path / "kept.safetensors")
    kept = convert.load_weights(tmp_path / "kept.safetensors").tensors
    assert kept["illum.bn3.num_batches_tracked"] == 1200


def test_save_weights_writes_in_memory_weights(tmp_path):
    weights = convert.load_weights(write_pth("published", tmp_path / "a.pth"))
    assert convert.save_weights(weights, tmp_path / "b.ckpt") == []
    assert convert.load_weights(tmp_path / "b.ckpt").naming == "mindspore"
    del weights.tensors["tail.weight"]
    with pytest.raises(convert.ConversionError, match=r"1 missing \(tail.weight\)"):
        convert.save_weights(weights, tmp_path / "c.ckpt")


@pytest.fixture
def small_verification(monkeypatch):
    monkeypatch.setattr("convert.equivalence.WEIGHTS_SHAPES", (SMALL,))


def test_cli_verify_runs_both_implementations(capsys, tmp_path, small_verification):
    src = write_pth("published", tmp_path / "a.pth")
    assert main([str(src), str(tmp_path / "b.ckpt"), "--verify", "--dtype", "bfloat16"]) == 0
    out = capsys.readouterr().out
    assert "verify: converted (MindSpore) vs source (torch), input 1x3x16x24, enhanced: max |diff|" in out
    assert "note: cast floating tensors from float32 to bfloat16" in out
    assert "verify: tensors vs the source cast by torch (Tensor.to(torch.bfloat16)): 160 tensors" in out
    assert out.count(" ok\n") == 3


def test_cli_verify_failure_writes_nothing(capsys, tmp_path, small_verification, monkeypatch):
    from jcrnet_kit.parity.tolerances import AbsoluteBound

    monkeypatch.setattr("convert.equivalence.SAME_FRAMEWORK_CONVERSION", AbsoluteBound(-1.0, "an impossible budget"))
    src = write_pth("published", tmp_path / "a.pth")
    assert main([str(src), str(tmp_path / "b.safetensors"), "--verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"jcrnet convert: error: {tmp_path / 'b.safetensors'}: verification failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.pth"]


def test_add_parser_registers_the_convert_subcommand(tmp_path):
    parser = argparse.ArgumentParser(prog="jcrnet")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["convert", "a.pth", "b.ckpt", "--preset", "published", "--dtype", "float16",
                              "--verify", "--force"])
    assert (args.src, args.dst, args.preset, args.dtype, args.verify, args.force) == (
        Path("a.pth"), Path("b.ckpt"), "published", "float16", True, True)
    assert args.func(parser.parse_args(["convert", str(tmp_path / "a.pth"), str(tmp_path / "b.ckpt")])) == 2


def test_every_spec_key_survives_a_round_trip_in_memory(preset):
    from convert.weights import Weights, rename

    state = {k: v.numpy() for k, v in model_pair(preset).torch_model.state_dict().items()}
    back = rename(rename(Weights(state, "torch", preset), "mindspore"), "torch")
    assert list(back.tensors) == list(state)
    assert all(np.array_equal(back.tensors[k], v) for k, v in state.items())


@pytest.mark.parametrize("naming", ["torch", "mindspore"])
def test_every_layout_is_identified_exactly_and_only_by_its_own_keys(preset, naming):
    from jcrnet_spec import match_layouts, seeded_weights, torch_to_mindspore

    arch = architecture(preset)
    state = seeded_weights(arch, 0)
    tensors = state if naming == "torch" else torch_to_mindspore(state, arch)
    matches = match_layouts(tensors)
    assert (matches[0].naming, matches[0].preset, matches[0].exact) == (naming, preset, True)
    assert not any(m.exact for m in matches[1:])
