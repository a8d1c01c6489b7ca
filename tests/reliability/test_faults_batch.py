"""Fault campaign, one batch: good, broken and unusual videos mixed; the batch goes on."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from painscope.cli import app
from painscope.features.extract import extract
from painscope.project import init_project
from tests.fixtures.faults import (
    BROKEN_VIDEO_CASES,
    VALID_VIDEO_CASES,
    bad_videos,
    textured_rgb,
    write_depth_video,
)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    init_project(root)
    cases = bad_videos(root / "videos")
    shutil.copy(root / "videos" / "good.mkv", root / "videos" / "good2.mkv")
    rows = ["video,mouse_id", "videos/good.mkv,m0", "videos/good2.mkv,m1"]
    rows += [f"videos/{cases[name].name},m{i + 2}" for i, name in enumerate(cases)]
    (root / "manifest.csv").write_text("\n".join(rows) + "\n")
    return root, cases


def test_one_batch_names_every_bad_video_and_extracts_the_rest(batch, tiny_config):
    root, cases = batch
    summary = extract(root, tiny_config)
    status = {r.video: r for r in summary.results}
    assert len(summary.results) == 2 + len(cases)
    for name in ("videos/good.mkv", "videos/good2.mkv"):
        assert status[name].status == "done"
    for name in VALID_VIDEO_CASES:
        assert status[f"videos/{cases[name].name}"].status == "done", name
    for name in BROKEN_VIDEO_CASES:
        result = status[f"videos/{cases[name].name}"]
        assert result.status == "failed", name
        assert "fix:" in result.reason, (name, result.reason)
        assert "Error:" not in result.reason.split("—")[0], (name, result.reason)


def test_cli_batch_exits_without_a_traceback(batch, tiny_config):
    root, _ = batch
    (root / "painscope.yaml").write_text(
        "extract:\n  backbone: tiny\n  weights: none\n  frames_per_clip: 4\n"
        "  clip_seconds: 0.5\n  input_size: 64\n  batch_size: 4\n  device: cpu\n"
    )
    result = CliRunner().invoke(app, ["extract", str(root)])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_ten_bit_twin_gets_the_same_background_through_extract(tmp_path, tiny_config):
    root = tmp_path / "twins"
    init_project(root)
    rgb = textured_rgb(12)
    write_depth_video(root / "videos" / "eight.mkv", rgb, pix_fmt="yuv420p", codec="libx264")
    write_depth_video(root / "videos" / "ten.mkv", rgb, pix_fmt="yuv420p10le", codec="libx264")
    (root / "manifest.csv").write_text("video,mouse_id\nvideos/eight.mkv,m0\nvideos/ten.mkv,m1\n")
    summary = extract(root, tiny_config)
    assert [r.status for r in summary.results] == ["done", "done"]
    with (
        np.load(root / "cache" / "background" / "videos__eight.npz") as a,
        np.load(root / "cache" / "background" / "videos__ten.npz") as b,
    ):
        assert abs(float(a["median"].mean()) - float(b["median"].mean())) < 1.0
        assert float(np.abs(a["median"] - b["median"]).max()) <= 1.0
