"""Simulated data sets: files, determinism, read-back by PyAV, movement and the manifest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from painscope.labels import CLASSES_15, label_3, label_15
from painscope.manifest import read_manifest
from painscope.simulate import LANDMARKS, PRESETS, simulate_dataset
from painscope.simulate.dataset import plan_videos, scale_cohorts

N_FRAMES = 24
SIZE = (128, 64)


def small(out: Path, **kwargs):
    """Two mice (formalin + SNI, 10 videos) of 24 frames at 128 x 64, no treated groups."""
    return simulate_dataset(
        out, preset="demo", n_mice=2, minutes=N_FRAMES / 30 / 60, size=SIZE, treated=False, **kwargs
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    return small(tmp_path_factory.mktemp("sim") / "a")


def decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


def test_layout(project):
    out = project.out_dir
    assert (out / "painscope.yaml").exists() and (out / "simulation.json").exists()
    assert len(project.videos) == 10
    for v in project.videos:
        for path in (v.video, v.pose_h5, v.pose_csv, v.labels):
            assert path.exists() and path.is_relative_to(out)
        assert v.pose_h5.name == f"{v.spec.stem}DLC_sim.h5"


def test_video_decodes_to_expected_frames(project):
    frames = decode(project.videos[0].video)
    assert frames.shape == (N_FRAMES, SIZE[1], SIZE[0], 3)


def test_same_seed_same_files(project, tmp_path):
    again = small(tmp_path / "b")
    for a, b in zip(project.videos, again.videos, strict=True):
        assert a.pose_h5.read_bytes() == b.pose_h5.read_bytes()
        assert a.pose_csv.read_bytes() == b.pose_csv.read_bytes()
        assert a.labels.read_bytes() == b.labels.read_bytes()
        np.testing.assert_array_equal(decode(a.video), decode(b.video))
    other = small(tmp_path / "c", seed=1)
    assert other.videos[0].pose_h5.read_bytes() != project.videos[0].pose_h5.read_bytes()


def test_manifest_reads_back(project):
    manifest = read_manifest(project.manifest)
    assert len(manifest) == len(project.videos)
    assert {e.view for e in manifest} == {"bottom"}
    assert set(manifest.column("condition")) == {"formalin", "SNI"}
    for entry in manifest:
        assert entry.path.exists()
        assert (project.out_dir / entry.extra["pose"]).exists()
        assert label_15(entry.condition, entry.timepoint) in CLASSES_15


def test_pose_file_layout(project):
    df = pd.read_hdf(project.videos[0].pose_h5)
    assert df.columns.names == ["scorer", "bodyparts", "coords"]
    assert list(df.columns.get_level_values("bodyparts").unique()) == list(LANDMARKS)
    assert len(df) == N_FRAMES
    x = df.xs("x", level="coords", axis=1).to_numpy()
    y = df.xs("y", level="coords", axis=1).to_numpy()
    assert x.min() >= 0 and x.max() <= SIZE[0] and y.min() >= 0 and y.max() <= SIZE[1]


def test_pose_files_load_with_movement(project):
    load_poses = pytest.importorskip("movement.io.load_poses")
    video = project.videos[0]
    expected = pd.read_hdf(video.pose_h5).to_numpy().reshape(N_FRAMES, 12, 3)
    for path in (video.pose_h5, video.pose_csv):
        ds = load_poses.from_dlc_file(path, fps=30)
        assert list(ds.keypoints.values) == list(LANDMARKS)
        position = ds.position.values  # (time, space, keypoints, individuals)
        assert position.shape == (N_FRAMES, 2, 12, 1)
        np.testing.assert_allclose(position[:, :, :, 0], expected[:, :, :2].transpose(0, 2, 1))


def test_labels_file(project):
    labels = pd.read_csv(project.videos[0].labels)
    assert list(labels.columns) == ["frame", "time_s", "behaviour", "speed_cm_s"]
    assert len(labels) == N_FRAMES


def test_existing_project_is_not_overwritten(project):
    from painscope.errors import PainscopeError

    with pytest.raises(PainscopeError, match="already holds"):
        small(project.out_dir)


def test_paper_preset_has_table2_class_sizes():
    specs = plan_videos(PRESETS["paper"].cohorts)
    untreated = Counter(label_15(s.condition, s.timepoint) for s in specs if not s.group)
    assert untreated["D0"] == 147
    assert untreated["formalin 1min"] == untreated["formalin 2h"] == 56
    assert all(untreated[f"formalin {d}"] == 28 for d in ("D3", "D5", "D7", "D14"))
    assert untreated["SNI D3"] == 60
    assert all(untreated[f"SNI {d}"] == 31 for d in ("D7", "D14", "D21"))
    assert all(untreated[f"control {d}"] == 30 for d in ("D3", "D7", "D14"))
    assert untreated["control D21"] == 18
    assert Counter(s.group for s in specs if s.group) == {"GBA": 23, "saline": 8}


def test_demo_preset_supports_8_fold_cv():
    specs = plan_videos(PRESETS["demo"].cohorts)
    classes = Counter(label_3(s.condition, s.timepoint) for s in specs if not s.group)
    assert min(classes.values()) >= 16
    assert {s.group for s in specs} == {"", "GBA", "saline"}


@pytest.mark.parametrize("n_mice", [1, 3, 7, 30])
def test_scaled_preset_has_requested_mice(n_mice):
    cohorts = scale_cohorts(PRESETS["paper"].cohorts, n_mice)
    assert sum(c.n_mice for c in cohorts if not c.group) == n_mice
    assert all(k <= c.n_mice for c in cohorts for _, k in c.timepoints)


def test_cli(tmp_path):
    from painscope.cli import app

    out = tmp_path / "cli"
    args = ["simulate", str(out), "--mice", "1", "--minutes", "0.01", "--width", "64"]
    args += ["--height", "32", "--no-treated", "--view", "side"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "manifest" in result.output
    assert {e.view for e in read_manifest(out / "manifest.csv")} == {"side"}
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2 and "--overwrite" in again.output
