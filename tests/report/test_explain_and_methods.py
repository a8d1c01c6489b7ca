from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from painscope.cli import app
from painscope.config import ExtractConfig
from painscope.config.train import TrainConfig
from painscope.errors import PainscopeError, VideoError
from painscope.project import init_project
from painscope.report.explain import explain_video
from painscope.train.methods import build_sources
from tests.fixtures.videos import blob_frames, write_video


def test_explain_draws_the_clip_with_its_mask_block(tmp_path):
    frames, _ = blob_frames(30, 64, 128, size=20)
    video = write_video(tmp_path / "blob.mkv", frames, fps=20)
    config = ExtractConfig(
        backbone="tiny", weights="none", frames_per_clip=4, clip_seconds=0.5, input_size=224
    )
    paths = explain_video(video, 1, tmp_path / "out", config=config)
    names = sorted(p.name for p in paths)
    assert names == ["blob_clip0001.png", "blob_clip0001.svg", "blob_clip0001_heatmap.npy"]
    heat = np.load(tmp_path / "out" / "blob_clip0001_heatmap.npy")
    assert heat.shape == (7, 7) and np.isfinite(heat).all() and heat.min() >= 0
    # the blob crosses rows 2–4 of the 7 × 7 grid (pad: 64 × 128 → 112 × 224, centred)
    assert 2 <= np.unravel_index(heat.argmax(), heat.shape)[0] <= 4
    with pytest.raises(VideoError, match="has no clip 99"):
        explain_video(video, 99, tmp_path / "out", config=config)


def test_explain_cli(tmp_path):
    frames, _ = blob_frames(20, 32, 64)
    video = write_video(tmp_path / "b.mkv", frames, fps=20)
    init_project(tmp_path / "p")
    (tmp_path / "p" / "painscope.yaml").write_text(
        "extract:\n  backbone: tiny\n  weights: none\n  frames_per_clip: 4\n"
        "  clip_seconds: 0.5\n  input_size: 64\n"
    )
    result = CliRunner().invoke(
        app, ["explain", str(video), "--clip", "0", "--project", str(tmp_path / "p"),
              "--out", str(tmp_path / "att")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert (tmp_path / "att" / "b_clip0000.png").stat().st_size > 1000


def test_methods_name_their_token_store(tmp_path):
    init_project(tmp_path)
    from painscope.config import ProjectConfig, config_hash

    config = ProjectConfig(extract=ExtractConfig(backbone="tiny"))
    (tmp_path / "cache" / "features" / config_hash(config.extract)).mkdir(parents=True)
    sources = build_sources(
        tmp_path, config, ["ours_mask", "ours", "pooled", "pose"], TrainConfig()
    )
    assert [s.name for s in sources] == ["ours_mask", "ours", "pooled", "pose"]
    assert [getattr(s, "mode", None) for s in sources[:3]] == ["block", "all", "mean"]
    with pytest.raises(PainscopeError, match="--background none"):
        build_sources(tmp_path, config, ["raw"], TrainConfig())
    with pytest.raises(PainscopeError, match=r"unknown method 'ours\+mask'"):
        build_sources(tmp_path, config, ["ours+mask"], TrainConfig())


def test_bench_cli_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        app, ["bench", "background", "backbone", "--variants", "tiny", "--frames-per-clip", "4",
              "--batch-size", "1", "--width", "64", "--height", "32", "--device", "cpu",
              "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["results"]
    assert {r["bench"] for r in rows} == {"background", "backbone"}
    assert all(r["value"] > 0 for r in rows)


def test_controlled_markdown_table():
    from painscope.bench.controlled import markdown_table

    row = {"effect": 0.5, "method": "ours_mask", "accuracy": 0.5, "accuracy_ci": [0.4, 0.6],
           "macro_f1": 0.3, "macro_f1_ci": [0.2, 0.4], "chance": 0.467, "n_videos": 60}  # fmt: skip
    table = markdown_table([row]).splitlines()
    assert table[2] == (
        "| 0.5 | ours_mask | 0.500 [0.400, 0.600] | 0.300 [0.200, 0.400] | 0.467 | 60 |"
    )
