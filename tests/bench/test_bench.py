"""painscope bench's new sub-benchmarks run on the CPU and report sane rows."""

from __future__ import annotations

import pytest
import torch

from painscope.bench.levers import (
    Lever,
    bench_backbone_levers,
    bench_train_step,
    default_levers,
    flops_per_clip,
)


def test_levers_are_timed_against_eager_fp32_in_the_same_run():
    rows = bench_backbone_levers(
        [("tiny", 4)],
        device=torch.device("cpu"),
        batch_size=1,
        input_size=64,
        repeats=1,
        levers=[Lever(), Lever(attention="sdpa")],
    )
    assert [r["variant"].split(": ")[1] for r in rows] == ["torchvision eager fp32", "sdpa fp32"]
    assert rows[0]["speedup_vs_eager_fp32"] == 1.0
    assert all(r["value"] > 0 and r["tflop_per_clip"] > 0 for r in rows)


def test_cpu_ablation_has_no_gpu_only_levers():
    labels = [lever.label for lever in default_levers(torch.device("cpu"), compile=False)]
    assert labels == ["torchvision eager fp32", "sdpa fp32"]


def test_flop_count_grows_with_frames():
    assert flops_per_clip("tiny", 8, 64) > 1.9 * flops_per_clip("tiny", 4, 64)


def test_classifier_step_is_timed():
    (row,) = bench_train_step(
        seq_len=32, batch_size=1, device=torch.device("cpu"), repeats=1, d_model=64
    )
    assert row["unit"] == "s/step" and row["value"] > 0


def test_micro_batch_bench_times_both_ways_on_the_same_weights():
    from painscope.bench.micro_batch import bench_micro_batch, markdown

    (row,) = bench_micro_batch([("tiny", 4)], batch=2, repeats=1)
    assert row["bench"] == "micro-batch" and row["device"] == "cpu"
    assert row["cpu_ms_per_clip_whole"] > 0 and row["cpu_ms_per_clip_single"] > 0
    assert row["value"] == pytest.approx(
        row["cpu_ms_per_clip_whole"] / row["cpu_ms_per_clip_single"]
    )
    assert row["max_abs_token_difference"] < 1e-2  # float rounding only
    assert "tiny T4 224² batch 2" in markdown([row])
