"""The benchmark's pieces that can be checked without judging a time: FLOP counting, argument errors, the interleaved
rounds and what they record, and workers that die or are stopped."""

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
    # each worker imports its own framework only: torch's libraries are no part of MindSpore's peak memory
    assert rows["torch-train"]["frameworks"] == ["torch"] and rows["mindspore-train"]["frameworks"] == ["mindspore"]


def test_a_killed_worker_is_reported_as_such():
    from jcrnet_kit.perf.runs import failure as _failure

    assert _failure(-9, "[WARNING] ME(1) something") == \
        "worker killed by signal 9 (the kernel's out-of-memory killer, most likely)"
    assert _failure(1, "Traceback\nRuntimeError: boom\n[WARNING] ME(1) late log line") == "RuntimeError: boom"


def test_backends_interleave_and_each_round_records_the_load(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["bench", "--sizes", "16x24", "--backends", "torch-eager,onnxruntime", "--repeats", "2", "--json", str(out)]
    assert main(argv) == 0
    report = json.loads(out.read_text())
    assert report["load_average_start"] >= 0 and report["load_average_end"] >= 0
    rows = {row["backend"]: row for row in report["results"]}
    for row in rows.values():
        assert len(row["seconds"]) == len(row["cpu_s"]) == len(row["round_load"]) == 2, row
        assert row["min_s"] <= row["median_s"] <= row["max_s"] and row["warmup_s"] > 0
    versus = rows["onnxruntime"]["vs_torch-eager"]
    assert len(versus["rounds"]) == 2 and versus["min"] <= versus["median"] <= versus["max"]
    assert versus["rounds"] == [a / b for a, b in zip(rows["onnxruntime"]["seconds"], rows["torch-eager"]["seconds"])]
    assert "load average before each round" in capsys.readouterr().out


def test_a_worker_past_the_memory_limit_is_stopped_and_reported(tmp_path, capsys):
    out = tmp_path / "bench.json"
    argv = ["bench", "--sizes", "16x24", "--backends", "torch-eager", "--repeats", "1", "--max-rss-gb", "0.05",
            "--json", str(out)]
    assert main(argv) == 0
    (row,) = json.loads(out.read_text())["results"]
    assert "median_s" not in row and row["error"].startswith("worker stopped by the bench at "), row
    assert "unavailable: worker stopped by the bench" in capsys.readouterr().out
