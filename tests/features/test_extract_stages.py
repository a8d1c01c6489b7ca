"""The extraction stages: clip stream stats, background stage, one-video function, observers,
worker processes (bit-identical to one process), locks, busy/exit codes, escaped tables."""

from __future__ import annotations

import dataclasses
import os
import socket
import time

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from painscope.cli import app
from painscope.clips.windows import StreamStats, iter_clips
from painscope.config import config_hash
from painscope.devices import resolve_device
from painscope.errors import ConfigError
from painscope.features.extractor import Extractor
from painscope.features.jobs import VideoJob, VideoStatus
from painscope.features.pipeline import RunPaths, extract_one
from painscope.features.runner import Shard, check_project, extract
from painscope.features.store import read_features
from painscope.io.lock import lock_is_stale, video_lock
from painscope.io.video import iter_frames
from tests.fixtures.videos import blob_frames, make_project, write_video


class CountFrames:
    """A dummy frame observer: counts frames and clips."""

    def __init__(self) -> None:
        self.n = 0

    def push(self, frame) -> None:  # type: ignore[no-untyped-def]
        assert frame.index == self.n  # decode order
        self.n += 1

    def finish(self, records):  # type: ignore[no-untyped-def]
        return {"frame_count": np.array([self.n, len(records)])}


def save_counts(job, folder, arrays):  # type: ignore[no-untyped-def]
    np.save(folder / f"{job.video_id}.count.npy", arrays["frame_count"])


def test_clip_stream_returns_its_frame_count_and_duration(tmp_path):
    frames, _ = blob_frames(23, 16, 16)
    video = write_video(tmp_path / "a.mkv", frames, fps=20)
    stream = iter_clips(iter_frames(video), 0.5, 4)
    clips = []
    while True:
        try:
            clips.append(next(stream))
        except StopIteration as end:
            stats = end.value
            break
    assert stats == StreamStats(n_frames=23, duration_s=pytest.approx(23 / 20))
    assert [r.index for r, _ in clips] == [0, 1]  # 1.15 s → two whole 0.5 s clips


def test_resolve_device_names_the_setting():
    assert resolve_device("cpu") == torch.device("cpu")
    with pytest.raises(ConfigError, match=r"extract\.device: unknown device 'banana'"):
        resolve_device("banana", setting="extract.device")


def test_observers_see_every_frame_and_a_finished_video_is_rechecked(tmp_path, tiny_config):
    frames, _ = blob_frames(31, 32, 64)
    project = make_project(tmp_path, {"a.mkv": frames})
    config = dataclasses.replace(tiny_config, workers=1)
    extractor = Extractor(config)
    folder = project / "cache" / "features" / config_hash(config)
    folder.mkdir(parents=True)
    paths = RunPaths(folder, project / "cache" / "background", config_hash(config))
    job = VideoJob("videos__a", "videos/a.mkv", project / "videos" / "a.mkv")
    counter = CountFrames()
    result = extract_one(
        job, config, extractor, paths, observers=[counter], save_extras=save_counts
    )
    assert result.status is VideoStatus.DONE and result.n_clips == 3
    assert np.load(folder / "videos__a.count.npy").tolist() == [31, 3]
    # another run finished it while this one waited for the lock: skipped, not redone
    again = extract_one(job, config, extractor, paths, observers=[CountFrames()])
    assert again.status is VideoStatus.SKIPPED and again.reason == "finished by another run"


def test_workers_give_bit_identical_outputs_and_a_bad_video_does_not_stop_them(
    tmp_path, tiny_config
):
    videos = {f"v{i}.mkv": blob_frames(24 + 5 * i, 32, 48, seed=i)[0] for i in range(3)}
    outputs = {}
    for workers in (1, 2):
        project = make_project(tmp_path / f"w{workers}", videos)
        (project / "videos" / "bad.mp4").write_bytes(b"\x00" * 4000)
        with open(project / "manifest.csv", "a") as handle:
            handle.write("videos/bad.mp4,m9,SNI,D3,,bottom\n")
        config = dataclasses.replace(tiny_config, workers=workers, batch_size=2)
        torch.manual_seed(0)  # weights: none draws a random network
        summary = extract(
            project, config, observers=lambda job: [CountFrames()], save_extras=save_counts
        )
        assert [r.status for r in summary.results] == ["done", "done", "done", "failed"]
        assert "not a readable video" in summary.results[3].reason
        outputs[workers] = {
            r.video_id: read_features(summary.features_dir / f"{r.video_id}.safetensors")
            for r in summary.results[:3]
        }
        counts = [np.load(summary.features_dir / f"videos__v{i}.count.npy")[0] for i in range(3)]
        assert counts == [24, 29, 34]  # observers ran in the workers, saw every frame
    for video_id, one in outputs[1].items():
        two = outputs[2][video_id]
        assert np.array_equal(one.tokens, two.tokens) and np.array_equal(one.response, two.response)
        assert np.array_equal(one.clips, two.clips)


def test_heartbeat_keeps_a_lock_and_a_silent_one_is_stale(tmp_path):
    lock = tmp_path / "v.lock"
    with video_lock(lock, heartbeat_s=0.05) as mine:
        assert mine
        os.utime(lock, (time.time() - 100, time.time() - 100))
        time.sleep(0.3)
        assert time.time() - lock.stat().st_mtime < 5  # touched again by the holder
        assert not lock_is_stale(lock, max_age_s=1.0)
    assert not lock.exists()
    # a live PID on this host (PID reuse) whose heartbeat stopped is stale
    lock.write_text(f"{os.getpid()} {socket.gethostname()} 0\n")
    assert not lock_is_stale(lock, max_age_s=60)
    os.utime(lock, (time.time() - 61, time.time() - 61))
    assert lock_is_stale(lock, max_age_s=60)
    # another host: fresh = busy, silent = stale
    lock.write_text("1 some-other-node 0\n")
    assert not lock_is_stale(lock, max_age_s=60)
    os.utime(lock, (time.time() - 61, time.time() - 61))
    assert lock_is_stale(lock, max_age_s=60)
    os.utime(lock, (time.time() - 200, time.time() - 200))  # older than 8 x 15 s heartbeats
    with video_lock(lock) as mine:
        assert mine  # reclaimed


def _write_yaml(root):  # type: ignore[no-untyped-def]
    (root / "painscope.yaml").write_text(
        "extract:\n  backbone: tiny\n  weights: none\n  frames_per_clip: 4\n"
        "  clip_seconds: 0.5\n  input_size: 64\n  workers: 1\n"
    )


def test_busy_video_exits_3_and_markup_in_names_prints_literally(tmp_path, tiny_config):
    frames, _ = blob_frames(20, 32, 64)
    (tmp_path / "videos" / "[").mkdir(parents=True)  # a manifest path "videos/[/]c.mkv"
    project = make_project(tmp_path, {"a[red]b.mkv": frames, "[/]c.mkv": frames, "d.mkv": frames})
    _write_yaml(project)
    config = dataclasses.replace(tiny_config, workers=1, batch_size=8)
    folder = project / "cache" / "features" / config_hash(config)
    folder.mkdir(parents=True)
    runner = CliRunner()
    with video_lock(folder / "videos__d.lock") as mine:
        assert mine
        result = runner.invoke(app, ["extract", str(project)], terminal_width=200)
    assert result.exit_code == 3, result.output
    assert "a[red]b.mkv" in result.output and "videos/[/]c.mkv" in result.output
    assert "busy: 1" in result.output
    check = runner.invoke(app, ["extract", str(project), "--check"], terminal_width=200)
    assert check.exit_code == 1 and "videos/d.mkv" in check.output and "busy" in check.output
    result = runner.invoke(app, ["extract", str(project)], terminal_width=200)
    assert result.exit_code == 0 and "done: 1" in result.output
    assert check_project(project, config).complete
    check = runner.invoke(app, ["extract", str(project), "--check"])
    assert check.exit_code == 0 and "complete: all 3 videos" in check.output


def test_shards_cover_the_manifest_exactly_once(tmp_path, tiny_config):
    frames, _ = blob_frames(12, 16, 32)
    project = make_project(tmp_path, {f"v{i}.mkv": frames for i in range(5)})
    config = dataclasses.replace(tiny_config, workers=1)
    ids = [[r.video_id for r in extract(project, config, shard=f"{i}/2").results] for i in (1, 2)]
    assert ids == [["videos__v0", "videos__v2", "videos__v4"], ["videos__v1", "videos__v3"]]
    assert check_project(project, config).complete
    with pytest.raises(ConfigError, match=r"I must lie in 1\.\.N"):
        Shard.parse("3/2")


@pytest.mark.parametrize("difference", ["absolute", "positive", "negative"])
@pytest.mark.parametrize("resize", ["pad", "fit"])
def test_torch_preprocessing_is_bit_identical_to_prepare_clip(tiny_config, rng, difference, resize):
    from painscope.clips.transforms import prepare_clip
    from painscope.features.extractor import compact_clip, device_clips

    config = dataclasses.replace(
        tiny_config, difference=difference, resize=resize, preprocess="torch"
    )
    frames = rng.integers(0, 256, (2, 4, 40, 72), dtype=np.uint8)  # (B, T, H, W)
    background = rng.uniform(0, 255, (40, 72)).astype(np.float32)
    common = dict(resize=resize, input_size=64, mean=(0, 0, 0), std=(1, 1, 1), normalize=False)
    reference = np.stack(
        [
            prepare_clip(list(clip), background=background, difference=difference, **common)[:1]
            for clip in frames
        ]
    )  # (B, 1, T, h, w): the numpy foreground of b708fef
    batch = device_clips(torch.from_numpy(frames), torch.from_numpy(background), config).numpy()
    assert np.array_equal(batch, reference)  # CUDA: float rounding of its resize kernel
    assert np.array_equal(compact_clip(list(frames[0]), background, config), reference[0])
    rgb = rng.integers(0, 256, (1, 4, 40, 72, 3), dtype=np.uint8)
    reference = prepare_clip(list(rgb[0]), background=None, difference=difference, **common)
    assert np.array_equal(compact_clip(list(rgb[0]), None, config), reference)


def test_device_preprocess_extraction_on_cpu_matches(tmp_path, tiny_config):
    frames, _ = blob_frames(24, 32, 64)
    project = make_project(tmp_path, {"a.mkv": frames})
    config = dataclasses.replace(tiny_config, workers=1, preprocess="torch")  # the same torch code
    torch.manual_seed(0)
    one = read_features(extract(project, config).results[0].output)
    (tmp_path / "cache" / "features" / config_hash(config) / "videos__a.safetensors").unlink()
    torch.manual_seed(0)
    two = read_features(extract(project, config, device_preprocess=True).results[0].output)
    assert np.abs(two.tokens.astype(np.float32) - one.tokens).max() == 0.0


class DieOnFrame:
    """An observer that kills its worker process at the 5th frame (like the OOM killer)."""

    def __init__(self) -> None:
        self.n = 0

    def push(self, frame) -> None:  # type: ignore[no-untyped-def]
        self.n += 1
        if self.n == 5:
            os._exit(9)

    def finish(self, records):  # type: ignore[no-untyped-def]
        return {}


def test_a_worker_that_dies_fails_its_video_and_the_others_finish(tmp_path, tiny_config):
    videos = {f"v{i}.mkv": blob_frames(16, 16, 32, seed=i)[0] for i in range(3)}
    project = make_project(tmp_path, videos)
    config = dataclasses.replace(tiny_config, workers=2)

    def observers(job):  # type: ignore[no-untyped-def]
        return [DieOnFrame()] if job.video_id == "videos__v1" else []

    summary = extract(project, config, observers=observers)
    status = {r.video_id: r.status for r in summary.results}
    assert status == {"videos__v0": "done", "videos__v1": "failed", "videos__v2": "done"}
    assert "worker process died (exit code 9" in summary.results[1].reason


@pytest.mark.slow
def test_kill_9_of_a_parallel_run_leaves_no_worker_and_the_next_run_finishes(tmp_path):
    import signal
    import subprocess
    import sys

    frames, _ = blob_frames(400, 64, 128)
    project = make_project(tmp_path, {f"v{i}.mkv": frames for i in range(4)})
    (project / "painscope.yaml").write_text(
        "extract:\n  backbone: tiny\n  weights: none\n  frames_per_clip: 4\n"
        "  clip_seconds: 0.5\n  input_size: 64\n  workers: 2\n"
    )
    cli = [sys.executable, "-c", "from painscope.cli import main; main()", "extract"]
    run = subprocess.Popen([*cli, str(project)], stdout=subprocess.DEVNULL)
    kids: list[str] = []
    for _ in range(240):
        time.sleep(0.5)
        out = subprocess.run(["pgrep", "-P", str(run.pid)], capture_output=True, text=True)
        kids = out.stdout.split()
        if len(kids) >= 2 and list(project.glob("cache/features/*/*.lock")):
            break
    assert len(kids) >= 2, "the workers never started"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    time.sleep(2)
    assert not [k for k in kids if os.path.exists(f"/proc/{k}")]  # died with their parent
    done = subprocess.run([*cli, str(project)], capture_output=True, text=True)
    text = done.stdout + done.stderr
    assert done.returncode == 0 and "busy: 0" in text and "failed: 0" in text, text


def test_lock_of_a_zombie_worker_is_stale(tmp_path):
    """A worker killed with its parent stays a zombie where init does not reap it: its lock
    must be reclaimed at once, not after the heartbeat age."""
    import os
    import socket
    import time

    from painscope.io.lock import lock_is_stale

    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        time.sleep(0.2)  # exited, not reaped: a zombie
        lock = tmp_path / "v.lock"
        lock.write_text(f"{pid} {socket.gethostname()} {time.time():.0f}\n")
        assert lock_is_stale(lock, max_age_s=3600)
        lock.write_text(f"{os.getpid()} {socket.gethostname()} {time.time():.0f}\n")
        assert not lock_is_stale(lock, max_age_s=3600)  # a live holder keeps it
    finally:
        os.waitpid(pid, 0)


def test_a_cpu_extractor_runs_one_clip_per_pass_and_gives_the_whole_batchs_tokens(tiny_config):
    extractor = Extractor(dataclasses.replace(tiny_config, device="cpu"))
    assert extractor.micro_batch == 1  # CPU default: caches hold one clip's activations
    clips = np.random.default_rng(1).random((3, 1, 4, 32, 32), dtype=np.float32)
    tokens, response = extractor.run_batch(clips)
    extractor.micro_batch = 0  # the whole batch in one pass
    whole_tokens, whole_response = extractor.run_batch(clips)
    assert tokens.shape == whole_tokens.shape and tokens.dtype == np.float16
    assert response.shape == whole_response.shape == tokens.shape[:3]
    np.testing.assert_allclose(tokens, whole_tokens, atol=1e-3)
    np.testing.assert_allclose(response, whole_response, rtol=1e-4, atol=1e-5)
    # one clip alone gives what it gives inside a batch, bit for bit
    extractor.micro_batch = 1
    np.testing.assert_array_equal(extractor.run_batch(clips[1:2])[0], tokens[1:2])
