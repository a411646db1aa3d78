"""The benchmark's pieces that can be checked without timing anything: FLOP counting and argument errors."""

from __future__ import annotations

import json

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import torch_reference
from jcrnet_kit.cli import main
from jcrnet_spec import architecture
from jcrnet_spec.flops import forward_flops


@pytest.mark.parametrize("preset", ["published", "torch-defaults"])
def test_spec_flop_count_agrees_with_torch_counter(preset):
    model = torch_reference.build_jcrnet(preset).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.rand(1, 3, 32, 48))
    ours, _ = forward_flops(architecture(preset), 32, 48)
    assert ours == counter.get_total_flops()


def test_bench_measures_one_backend_and_writes_json(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--sizes", "16x24", "--backends", "torch-eager", "--repeats", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    (row,) = report["results"]
    assert row["backend"] == "torch-eager" and row["size"] == "16x24" and row["median_s"] > 0 and row["peak_mb"] > 0


def test_bench_refuses_unknown_backends(capsys):
    assert main(["bench", "--backends", "torch-eager,tensorflow"]) == 2
    assert "unknown backend(s) tensorflow" in capsys.readouterr().err


def test_bench_times_a_training_step_in_each_framework(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["bench", "--sizes", "16x16", "--backends", "torch-train,mindspore-train", "--repeats", "1", "--json",
            str(out)]
    assert main(argv) == 0
    rows = {row["backend"]: row for row in json.loads(out.read_text())["results"]}
    assert sorted(rows) == ["mindspore-train", "torch-train"], rows
    assert all(row["task"] == "train-step" and row["median_s"] > 0 and row["gflops"] > 0 for row in rows.values())
    assert rows["torch-train"]["speedup_vs_torch_train"] == 1.0


def test_a_killed_worker_is_reported_as_such():
    from jcrnet_kit.perf.runs import failure as _failure

    assert _failure(-9, "[WARNING] ME(1) something") == \
        "worker killed by signal 9 (the kernel's out-of-memory killer, most likely)"
    assert _failure(1, "Traceback\nRuntimeError: boom\n[WARNING] ME(1) late log line") == "RuntimeError: boom"
