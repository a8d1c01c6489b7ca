"""``painscope extract --ray`` on a local 2-CPU Ray cluster (skipped without ray)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from painscope.features.runner import extract
from painscope.features.store import read_features
from tests.fixtures.videos import blob_frames, make_project

ray = pytest.importorskip("ray")


@pytest.fixture
def fixed_weights(tmp_path, tiny_config):
    """A weights file, so every process (driver, actor) builds the same network."""
    from painscope.features.backbones import build_backbone

    torch.manual_seed(0)
    path = tmp_path / "tiny.pt"
    torch.save(build_backbone("tiny").state_dict(), path)
    return dataclasses.replace(tiny_config, weights=str(path), batch_size=2)


def test_ray_matches_serial_skips_reruns_and_reports_a_corrupt_video(
    local_ray, tmp_path, fixed_weights
):
    videos = {f"v{i}.mkv": blob_frames(20 + 4 * i, 32, 48, seed=i)[0] for i in range(3)}
    serial = make_project(tmp_path / "serial", videos)
    on_ray = make_project(tmp_path / "ray", videos)
    (on_ray / "videos" / "bad.mkv").write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 3000)
    with open(on_ray / "manifest.csv", "a") as handle:
        handle.write("videos/bad.mkv,m9,SNI,D3,,bottom\n")
    one = extract(serial, dataclasses.replace(fixed_weights, workers=1))
    got = extract(on_ray, fixed_weights, ray="local")
    assert [r.status for r in got.results] == ["done", "done", "done", "failed"]
    assert "readable" in got.results[3].reason
    for r in one.results:
        a = read_features(one.features_dir / f"{r.video_id}.safetensors")
        b = read_features(got.features_dir / f"{r.video_id}.safetensors")
        assert np.array_equal(a.tokens, b.tokens) and np.array_equal(a.response, b.response)
    again = extract(on_ray, fixed_weights, ray="local")
    assert [r.status for r in again.results] == ["skipped", "skipped", "skipped", "failed"]


def test_ray_shards_cover_the_manifest_once(local_ray, tmp_path, fixed_weights):
    frames, _ = blob_frames(12, 16, 32)
    project = make_project(tmp_path, {f"v{i}.mkv": frames for i in range(3)})
    first = extract(project, fixed_weights, ray="local", shard="1/2")
    second = extract(project, fixed_weights, ray="local", shard="2/2")
    ids = [r.video_id for r in first.results] + [r.video_id for r in second.results]
    assert sorted(ids) == ["videos__v0", "videos__v1", "videos__v2"]
    assert all(r.status == "done" for r in first.results + second.results)


def test_cli_ray_prints_the_same_summary_and_exit_status(local_ray, tmp_path):
    from typer.testing import CliRunner

    from painscope.cli import app

    frames, _ = blob_frames(12, 16, 32)
    project = make_project(tmp_path, {"a.mkv": frames})
    (project / "painscope.yaml").write_text(
        "extract:\n  backbone: tiny\n  weights: none\n  frames_per_clip: 4\n"
        "  clip_seconds: 0.5\n  input_size: 64\n"
    )
    with open(project / "manifest.csv", "a") as handle:
        handle.write("videos/missing.mkv,m5,SNI,D3,,bottom\n")
    result = CliRunner().invoke(app, ["extract", str(project), "--ray", "local"])
    assert result.exit_code == 1, result.output
    assert "done: 1" in result.output and "failed: 1" in result.output


def test_one_gpu_actor_per_gpu_and_none_on_a_cpu_cluster(tiny_config):
    from unittest import mock

    from painscope.distributed.ray_extract import _start_actors

    def fake_ray(resources: dict[str, float]) -> mock.Mock:  # stands in for the ray module
        fake = mock.Mock()
        fake.cluster_resources.return_value = resources
        return fake

    gpus = fake_ray({"CPU": 32, "GPU": 2})
    assert len(_start_actors(gpus, tiny_config)) == 2
    options = gpus.remote.return_value.options
    assert options.call_args_list == [mock.call(num_gpus=1, num_cpus=0)] * 2
    assert [c.args[0].device for c in options.return_value.remote.call_args_list] == ["cuda"] * 2
    # no GPUs, or device: cpu -> the video tasks run the backbone themselves
    assert _start_actors(fake_ray({"CPU": 32}), tiny_config) == []
    cpu_only = dataclasses.replace(tiny_config, device="cpu")
    assert _start_actors(fake_ray({"CPU": 32, "GPU": 2}), cpu_only) == []


def test_a_cpu_task_builds_its_backbone_once_per_process(fixed_weights):
    from painscope.distributed import ray_extract

    ray_extract._local_backbone.cache_clear()
    first = ray_extract._local_backbone(fixed_weights)
    assert ray_extract._local_backbone(fixed_weights) is first
    other = dataclasses.replace(fixed_weights, batch_size=3)
    assert ray_extract._local_backbone(other) is not first
    assert ray_extract._local_backbone.cache_info().currsize == 1  # one model per process
    ray_extract._local_backbone.cache_clear()
