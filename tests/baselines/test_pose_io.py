"""Pose files in: DeepLabCut and SLEAP via movement, likelihood filtering, keypoint checks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from painscope.baselines.pose_io import (
    PoseData,
    PoseError,
    adaptive_threshold,
    clean_pose,
    load_pose,
    select_keypoints,
)
from tests.conftest import SHARED_DATA
from tests.fixtures.pose import KEYPOINTS, write_dlc

DATA = SHARED_DATA


def shared(relative: str) -> Path:
    path = DATA / relative
    if not path.exists():
        pytest.skip(f"shared data not available: {path}")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1)


def pose_of(position: np.ndarray, likelihood: np.ndarray) -> PoseData:
    names = tuple(f"k{i}" for i in range(position.shape[1]))
    return PoseData(position, likelihood, names, Path("mouse.h5"))


@pytest.mark.parametrize("suffix", [".csv", ".h5"])
def test_dlc_file_round_trip(tmp_path: Path, rng: np.random.Generator, suffix: str) -> None:
    position = rng.uniform(0, 400, (20, 4, 2))
    likelihood = rng.uniform(0, 1, (20, 4))
    path = write_dlc(tmp_path / f"mouseDLC_sim{suffix}", position, likelihood)
    pose = load_pose(path)
    assert pose.keypoints == KEYPOINTS
    np.testing.assert_allclose(pose.position, position)
    np.testing.assert_allclose(pose.likelihood, likelihood)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(PoseError, match="not found") as info:
        load_pose(tmp_path / "gone.csv")
    assert "gone.csv" in str(info.value)
    assert "pose" in (info.value.fix or "")


def test_missing_keypoint_names_file_and_keypoint(tmp_path: Path, rng: np.random.Generator) -> None:
    path = write_dlc(tmp_path / "m1DLC_sim.csv", rng.uniform(0, 9, (5, 4, 2)))
    with pytest.raises(PoseError) as info:
        select_keypoints(load_pose(path), ["snout", "left_hindpaw"])
    message = str(info.value)
    assert "m1DLC_sim.csv" in message
    assert "'left_hindpaw'" in message
    assert "snout, neck, centre, tailbase" in message  # what the file does have
    assert info.value.fix and "pose.keypoints" in info.value.fix


def test_select_keypoints_reorders(tmp_path: Path, rng: np.random.Generator) -> None:
    position = rng.uniform(0, 9, (5, 4, 2))
    pose = select_keypoints(
        load_pose(write_dlc(tmp_path / "a.csv", position)), ["tailbase", "snout"]
    )
    assert pose.keypoints == ("tailbase", "snout")
    np.testing.assert_allclose(pose.position, position[:, [3, 0]])


def test_short_gaps_are_interpolated_long_gaps_held() -> None:
    x = np.arange(12, dtype=float)
    position = np.stack([x, 2 * x], axis=1)[:, None, :]  # (12, 1, 2)
    likelihood = np.ones((12, 1))
    likelihood[[2, 3], 0] = 0.1  # short gap (2 frames)
    likelihood[6:10, 0] = 0.1  # long gap (4 frames)
    cleaned = clean_pose(pose_of(position, likelihood), threshold=0.6, max_gap_frames=2)
    np.testing.assert_allclose(cleaned.position[2:4, 0, 0], [2.0, 3.0])  # linear
    np.testing.assert_allclose(cleaned.position[6:10, 0, 0], [5.0] * 4)  # forward fill
    np.testing.assert_allclose(cleaned.position[:, 0, 1], 2 * cleaned.position[:, 0, 0])


def test_leading_gap_and_nan_take_first_good_frame() -> None:
    position = np.arange(10, dtype=float)[:, None, None].repeat(2, axis=2)
    position[4, 0] = np.nan
    likelihood = np.ones((10, 1))
    likelihood[:3, 0] = 0.0
    cleaned = clean_pose(pose_of(position, likelihood), max_gap_frames=1)
    np.testing.assert_allclose(cleaned.position[:, 0, 0], [3, 3, 3, 3, 4, 5, 6, 7, 8, 9])
    assert np.isfinite(cleaned.position).all()


def test_keypoint_never_tracked_is_an_error() -> None:
    position = np.zeros((5, 2, 2))
    likelihood = np.ones((5, 2))
    likelihood[:, 1] = 0.01
    with pytest.raises(PoseError, match="'k1'") as info:
        clean_pose(pose_of(position, likelihood))
    assert "mouse.h5" in str(info.value)


def test_adaptive_threshold_falls_between_failures_and_good_points(
    rng: np.random.Generator,
) -> None:
    failures = rng.beta(1, 12, 400)  # piled up near 0
    good = rng.beta(30, 1, 4000)  # piled up near 1
    cut = adaptive_threshold(np.r_[failures, good])
    assert 0.05 < cut < 0.8
    assert (good >= cut).mean() > 0.99
    assert adaptive_threshold(np.full(100, np.nan)) == 0.0


def test_adaptive_cleaning_runs(rng: np.random.Generator) -> None:
    position = rng.uniform(0, 9, (200, 2, 2))
    likelihood = np.r_[rng.beta(1, 12, (20, 2)), rng.beta(30, 1, (180, 2))]
    cleaned = clean_pose(pose_of(position, likelihood), threshold="adaptive")
    assert np.isfinite(cleaned.position).all()


@pytest.mark.data
@pytest.mark.parametrize(
    ("relative", "n_frames", "n_keypoints"),
    [
        (
            "bsoid_bottomup/pose/raw_clip1DLC_resnet50_OpenFieldHighResApr8shuffle1_1030000.h5",
            7200,
            6,
        ),
        (
            "bsoid_bottomup/pose/raw_clip2DLC_resnet50_OpenFieldHighResApr8shuffle1_1030000.csv",
            7200,
            6,
        ),
        ("vame_bottomup/cropped_video.csv", 750, 6),
        ("deeplabcut_openfield/poses_from_ethome/openfield_dlc_inference_example.csv", 2330, 4),
        ("behaviordepot_freezing/demo1_tracking.csv", 6000, 8),
        ("deepof_single_topview/testDLC_h5_table.h5", 100, 14),
    ],
)
def test_real_deeplabcut_files_load(relative: str, n_frames: int, n_keypoints: int) -> None:
    pose = load_pose(shared(relative))
    assert pose.position.shape == (n_frames, n_keypoints, 2)
    assert pose.likelihood.shape == (n_frames, n_keypoints)
    assert np.nanmax(pose.likelihood) <= 1.0 + 1e-6
    cleaned = clean_pose(pose, threshold="adaptive")
    assert np.isfinite(cleaned.position).all()


@pytest.mark.data
@pytest.mark.parametrize("name", ["testDLC_sleap.slp", "testDLC_sleap.analysis.h5"])
def test_real_sleap_files_load(name: str) -> None:
    pose = load_pose(shared(f"deepof_single_topview/{name}"))
    assert pose.position.shape == (101, 14, 2)
    assert pose.keypoints[0] == "Nose"
    assert np.isfinite(pose.position).any()


@pytest.mark.data
def test_real_bsoid_csv_and_h5_agree() -> None:
    stem = "bsoid_bottomup/pose/raw_clip1DLC_resnet50_OpenFieldHighResApr8shuffle1_1030000"
    from_h5 = load_pose(shared(stem + ".h5"))
    from_csv = load_pose(shared(stem + ".csv"))
    assert from_h5.keypoints == from_csv.keypoints
    np.testing.assert_allclose(from_h5.position, from_csv.position, atol=1e-4)
