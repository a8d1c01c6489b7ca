from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from painscope.cli import app
from painscope.config import config_hash
from painscope.features.extract import extract, video_lock
from painscope.features.store import read_features
from painscope.project import init_project
from tests.fixtures.videos import HEADER, blob_frames, make_project, write_video


def test_blob_lies_in_the_masked_block(tmp_path, tiny_config):
    frames, corners = blob_frames(60, 64, 128, size=20)  # 3 s at 20 fps, 2:1 like the cage
    project = make_project(tmp_path, {"blob.mkv": frames})
    config = dataclasses.replace(tiny_config, input_size=224)
    summary = extract(project, config)
    assert [r.status for r in summary.results] == ["done"]
    features = read_features(summary.features_dir / "videos__blob.safetensors")
    assert features.tokens.shape == (6, 7, 7, 128) and features.tokens.dtype == np.float16
    from painscope.features.views import block_positions

    positions = block_positions(features.response, 3)
    scale, top = 224 / 128, (224 - 112) // 2  # pad: 128 → 224 wide, 64 → 112 tall, centred
    for clip, (row, col) in enumerate(positions):
        sampled = features.meta["clip_frame_indices"][clip]
        centre_row = (corners[sampled, 0].mean() + 10) * scale + top
        centre_col = (corners[sampled, 1].mean() + 10) * scale
        assert row * 32 <= centre_row < (row + 3) * 32, f"clip {clip}"
        assert col * 32 <= centre_col < (col + 3) * 32, f"clip {clip}"


def test_metadata_background_png_and_rerun_skips(tmp_path, tiny_config):
    frames, _ = blob_frames(30, 32, 64)
    project = make_project(tmp_path, {"a.mkv": frames, "b.mkv": frames[::-1].copy()})
    first = extract(project, tiny_config)
    assert [r.status for r in first.results] == ["done", "done"]
    assert first.features_dir.name == config_hash(tiny_config)
    meta = read_features(first.features_dir / "videos__a.safetensors").meta
    assert meta["n_clips"] == 3 and meta["fps"] == pytest.approx(20)
    assert meta["weights_random"] is True and meta["weights_id"] == "none@seed0"
    assert meta["config_hash"] == config_hash(tiny_config) and meta["backbone"] == "tiny"
    clips = read_features(first.features_dir / "videos__a.safetensors").clips
    assert clips[:, 0].tolist() == [0, 10, 20] and clips[:, 3].tolist() == [0.5, 1.0, 1.5]
    png = project / "cache" / "background" / "videos__a.png"
    from PIL import Image

    assert np.asarray(Image.open(png)).shape == (32, 64)
    assert (first.features_dir / "config.yaml").exists()
    assert (first.features_dir / "summary.csv").read_text().count("done") == 2

    second = extract(project, tiny_config)
    assert [r.status for r in second.results] == ["skipped", "skipped"]
    # a changed video is extracted again; a different setting gets its own folder
    write_video(project / "videos" / "a.mkv", frames[:20])
    third = extract(project, tiny_config)
    assert [r.status for r in third.results] == ["done", "skipped"]
    raw = extract(project, dataclasses.replace(tiny_config, background="none"))
    assert raw.features_dir != first.features_dir and raw.count("done") == 2


def test_bad_videos_are_reported_and_the_rest_go_on(tmp_path, tiny_config, rng):
    frames, _ = blob_frames(30, 32, 64)
    project = make_project(tmp_path, {"good.mkv": frames, "short.mkv": frames[:6]})
    (project / "videos" / "noise.mp4").write_bytes(rng.bytes(3000))
    full = write_video(tmp_path / "full.mkv", np.repeat(frames, 4, axis=0))
    (project / "videos" / "cut.mkv").write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with open(project / "manifest.csv", "a") as handle:
        handle.write("videos/noise.mp4,m8,SNI,D3,,bottom\nvideos/cut.mkv,m9,SNI,D3,,bottom\n")
    summary = extract(project, tiny_config)
    status = {r.video_id: (r.status, r.reason) for r in summary.results}
    assert {r.video for r in summary.results if r.status == "failed"} == {
        "videos/short.mkv",
        "videos/noise.mp4",
        "videos/cut.mkv",
    }
    assert status["videos__good"][0] == "done"
    assert (
        status["videos__short"][0] == "failed" and "too short: 0.30 s" in status["videos__short"][1]
    )
    assert status["videos__noise"][1].startswith("not a readable video")
    assert "fix: check that the file plays" in status["videos__noise"][1]
    assert status["videos__cut"][1].startswith("truncated or damaged")
    assert summary.n_failed == 3


def test_killed_run_resumes_and_live_lock_is_respected(tmp_path, tiny_config):
    frames, _ = blob_frames(20, 32, 64)
    project = make_project(tmp_path, {"a.mkv": frames, "b.mkv": frames})
    folder = project / "cache" / "features" / config_hash(tiny_config)
    folder.mkdir(parents=True)
    # a killed run: its lock (dead pid) and a half-written temporary stay behind
    (folder / "videos__a.lock").write_text(f"999999999 {os.uname().nodename} 0\n")
    (folder / ".tmp-half.safetensors").write_bytes(b"partial")
    os.utime(folder / ".tmp-half.safetensors", (0, 0))
    # another live run holds b
    with video_lock(folder / "videos__b.lock") as mine:
        assert mine
        summary = extract(project, tiny_config)
    assert [r.status for r in summary.results] == ["done", "busy"]
    assert not (folder / ".tmp-half.safetensors").exists()
    assert [r.status for r in extract(project, tiny_config).results] == ["skipped", "done"]


def test_lock_left_beside_finished_tokens_is_cleared(tmp_path, tiny_config):
    """Killed between writing a video's tokens and dropping its lock: the video counts as
    done, so no later run locks it again; the next run sweeps the stale lock away."""
    frames, _ = blob_frames(20, 32, 64)
    project = make_project(tmp_path, {"a.mkv": frames})
    extract(project, tiny_config)
    folder = project / "cache" / "features" / config_hash(tiny_config)
    host = os.uname().nodename
    (folder / "videos__a.lock").write_text(f"999999999 {host} 0\n")  # dead pid, this host
    (folder / "live.lock").write_text(f"{os.getpid()} {host} 0\n")  # a live run's lock stays
    assert [r.status for r in extract(project, tiny_config).results] == ["skipped"]
    assert not (folder / "videos__a.lock").exists()
    assert (folder / "live.lock").exists()


def test_cli_init_extract_and_exit_codes(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["init", str(tmp_path / "p")])
    assert result.exit_code == 0 and (tmp_path / "p" / "painscope.yaml").exists()
    frames, _ = blob_frames(20, 32, 64)
    make_project(tmp_path / "p", {"a.mkv": frames})
    (tmp_path / "p" / "painscope.yaml").write_text(
        "extract:\n  backbone: tiny\n  weights: none\n  frames_per_clip: 4\n"
        "  clip_seconds: 0.5\n  input_size: 64\n"
    )
    result = runner.invoke(app, ["extract", str(tmp_path / "p")])
    assert result.exit_code == 0, result.output
    assert "done: 1" in result.output and "RANDOM weights" in result.output
    with open(tmp_path / "p" / "manifest.csv", "a") as handle:
        handle.write("videos/missing.mkv,m2,SNI,D7,,bottom\n")
    result = runner.invoke(app, ["extract", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "skipped: 1" in result.output and "failed: 1" in result.output
    result = runner.invoke(app, ["extract", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "painscope init" in result.output


@pytest.mark.data
def test_real_bottom_view_videos(shared_data, tmp_path):
    from painscope.config import ExtractConfig

    clips = sorted((shared_data / "lupe_formalin" / "behavior_clips").glob("*.mp4"))[:3]
    if not clips:
        pytest.skip("LUPE clips absent")
    init_project(tmp_path)
    rows = "".join(f"{c},m{i},formalin,1min,,bottom\n" for i, c in enumerate(clips))
    (tmp_path / "manifest.csv").write_text(HEADER + rows)
    config = ExtractConfig(backbone="tiny", weights="none", frames_per_clip=8, input_size=96)
    summary = extract(tmp_path, config)
    for result in summary.results:
        assert result.status in ("done", "failed")
        if result.status == "failed":
            assert "too short" in result.reason
    assert summary.count("done") >= 1
    assert len(list((tmp_path / "cache" / "background").glob("*.png"))) == len(clips)
    assert {r.status for r in extract(tmp_path, config).results} <= {"skipped", "failed"}
