"""Fault campaign, processes: kill -9 mid-run and two runs at once lose or corrupt nothing.

Each test starts real ``painscope`` processes on a small project (tiny backbone, seeded
random weights, CPU) and compares every output with a clean run bit for bit.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import painscope
from painscope.errors import FeatureStoreError
from painscope.features.extract import extract
from painscope.features.store import read_features
from painscope.io.atomic import TMP_PREFIX
from painscope.project import init_project
from tests.fixtures.videos import blob_frames, write_video

SRC = str(Path(painscope.__file__).resolve().parents[1])
TINY_EXTRACT = (
    "extract:\n  backbone: tiny\n  weights: none\n  frames_per_clip: 4\n  clip_seconds: 0.5\n"
    "  input_size: 64\n  batch_size: 4\n  device: cpu\n  prefetch: 0\n"
)
N_VIDEOS = 6


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["OMP_NUM_THREADS"] = "1"
    env["PYTHONWARNINGS"] = "ignore"
    return env


def _painscope(*args: str) -> subprocess.Popen:
    code = "import sys; from painscope.cli import main; sys.argv[0] = 'painscope'; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _extract_project(root: Path, videos: Path) -> Path:
    init_project(root)
    shutil.copytree(videos, root / "videos", dirs_exist_ok=True)
    names = sorted(p.name for p in videos.iterdir())
    rows = "".join(f"videos/{n},m{i},SNI,D3,,bottom\n" for i, n in enumerate(names))
    (root / "manifest.csv").write_text("video,mouse_id,condition,timepoint,group,view\n" + rows)
    (root / "painscope.yaml").write_text(TINY_EXTRACT)
    return root


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("kill_videos")
    for i in range(N_VIDEOS):
        frames, _ = blob_frames(60, 64, 128, seed=i)
        write_video(folder / f"v{i}.mkv", frames, fps=20)
    return folder


@pytest.fixture(scope="module")
def clean(tmp_path_factory, videos) -> dict[str, tuple[np.ndarray, ...]]:
    """Token maps of a clean, uninterrupted run, by video id."""
    from painscope.config.project import load_config

    root = _extract_project(tmp_path_factory.mktemp("clean"), videos)
    summary = extract(root, load_config(root / "painscope.yaml").extract)
    assert summary.count("done") == N_VIDEOS
    return {p.stem: _arrays(p) for p in _stored(summary.features_dir)}


def _arrays(path: Path) -> tuple[np.ndarray, ...]:
    f = read_features(path)
    return f.tokens, f.response, f.clips


def _stored(folder: Path) -> list[Path]:
    """Token files under their final names; a killed writer's ``.tmp-*`` file is not one
    (the store never reads it; later runs remove it once it is stale)."""
    return [p for p in folder.glob("*.safetensors") if not p.name.startswith(TMP_PREFIX)]


def _features_dir(root: Path) -> Path:
    (folder,) = (root / "cache" / "features").iterdir()
    return folder


def _assert_identical(root: Path, clean: dict) -> None:
    folder = _features_dir(root)
    got = {p.stem: _arrays(p) for p in _stored(folder)}
    assert sorted(got) == sorted(clean)
    for video_id, arrays in clean.items():
        for a, b in zip(arrays, got[video_id], strict=True):
            np.testing.assert_array_equal(a, b, err_msg=video_id)


def _wait_for(predicate, timeout_s: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def _state(pid: int) -> tuple[str, int] | None:
    """(state letter, parent pid) of a live process from /proc, None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1])


def _children(pid: int) -> list[int]:
    """Pids of ``pid``'s live children (Linux /proc; empty elsewhere)."""
    kids = []
    for entry in Path("/proc").glob("[0-9]*"):
        st = _state(int(entry.name))
        if st is not None and st[1] == pid and st[0] != "Z":
            kids.append(int(entry.name))
    return kids


def _all_gone(pids: list[int]) -> bool:
    """The kernel kills a SIGKILLed run's extract workers (PR_SET_PDEATHSIG)
    asynchronously; until they are gone their video locks name live processes, and a
    re-run rightly reports those videos as busy (exit status 3)."""
    return all((st := _state(p)) is None or st[0] == "Z" for p in pids)


def test_kill_9_during_extract_then_rerun_matches_a_clean_run(tmp_path, videos, clean):
    root = _extract_project(tmp_path / "p", videos)
    proc = _painscope("extract", str(root))
    started = _wait_for(lambda: any((root / "cache" / "features").glob("*/*.safetensors")))
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert started, proc.stdout.read() if proc.stdout else ""
    _wait_for(lambda: _all_gone(workers), 30.0)  # then the re-run finds no live lock owner
    folder = _features_dir(root)
    finished = _stored(folder)
    assert 1 <= len(finished) < N_VIDEOS, "the kill should land mid-batch"
    # nothing partial is read as valid: every file with a final name is a whole one
    for path in finished:
        try:
            arrays = _arrays(path)
        except FeatureStoreError:
            continue
        for a, b in zip(arrays, clean[path.stem], strict=True):
            np.testing.assert_array_equal(a, b)
    from typer.testing import CliRunner

    from painscope.cli import app

    rerun = CliRunner().invoke(app, ["extract", str(root)])
    assert rerun.exit_code == 0, rerun.output
    _assert_identical(root, clean)
    assert not list(folder.glob("*.lock"))


_RUN_EXTRACT = (
    "import json, sys, warnings; warnings.simplefilter('ignore');"
    "from painscope.features.extract import extract;"
    "from painscope.config.project import load_config;"
    "root = sys.argv[1]; s = extract(root, load_config(root + '/painscope.yaml').extract);"
    "print(json.dumps({r.video_id: r.status for r in s.results}))"
)


def _two_runs_at_once(root: Path) -> list[dict[str, str]]:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RUN_EXTRACT, str(root)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    statuses = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err
        statuses.append(json.loads(out.strip().splitlines()[-1]))
    return statuses


@pytest.fixture(scope="module")
def concurrent(tmp_path_factory, videos) -> tuple[Path, list[dict[str, str]]]:
    root = _extract_project(tmp_path_factory.mktemp("concurrent"), videos)
    return root, _two_runs_at_once(root)


def test_two_extracts_at_once_give_complete_identical_outputs(concurrent, clean):
    root, statuses = concurrent
    _assert_identical(root, clean)
    for video_id in clean:
        assert {s[video_id] for s in statuses} <= {"done", "busy", "skipped"}
        assert "done" in {s[video_id] for s in statuses} or all(
            s[video_id] == "skipped" for s in statuses
        )
    assert not list(_features_dir(root).glob("*.lock"))


def test_two_extracts_at_once_do_every_video_exactly_once(concurrent):
    _, statuses = concurrent
    done = [sum(s[v] == "done" for s in statuses) for v in statuses[0]]
    assert done == [1] * N_VIDEOS


# ---------------------------------------------------------------- cv


def test_kill_9_during_cv_leaves_no_complete_looking_run(tmp_path):
    from tests.fixtures.tokens import make_token_project

    project = make_token_project(
        tmp_path, np.random.default_rng(0), per_class=8, train={"epochs": 30, "n_folds": 4}
    )
    proc = _painscope("cv", str(project.root))
    runs = project.root / "runs"
    started = _wait_for(lambda: any(runs.glob("*/checkpoints/*.pt")), timeout_s=120)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert started
    (run,) = runs.iterdir()
    assert not (run / "metrics.json").exists()
    assert not (run / "predictions.csv").exists()
    from painscope.evaluate.results import IncompleteRunError, Status, read_results, read_status

    assert read_status(run).status is not Status.COMPLETE
    with pytest.raises(IncompleteRunError):
        read_results(run).require_complete("report")
