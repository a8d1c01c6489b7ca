"""B-SOiD features: exact values on hand-made trajectories, smoothing and time binning."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from painscope.baselines.bsoid_features import (
    bin_features,
    feature_names,
    frame_features,
    legacy_frame_features,
    pose_features,
    smooth_features,
    smoothing_window,
    summed_columns,
)


def three_keypoint_trajectory() -> np.ndarray:
    """3 frames of keypoints a, b, c (x, y in px), chosen so every value is known by hand.

    frame 0: a=(0,0)  b=(3,4)  c=(0,2)
    frame 1: a=(1,0)  b=(-3,3) c=(1,2)    (a, c moved +1 in x; a→b rotated +90° about a)
    frame 2: a=(1,0)  b=(-3,3) c=(1,2)    (still)
    """
    return np.array(
        [
            [[0.0, 0.0], [3.0, 4.0], [0.0, 2.0]],
            [[1.0, 0.0], [-3.0, 3.0], [1.0, 2.0]],
            [[1.0, 0.0], [-3.0, 3.0], [1.0, 2.0]],
        ]
    )


def test_feature_layout_and_names() -> None:
    names = feature_names(["a", "b", "c"])
    assert names == [
        "dist:a-b", "dist:a-c", "dist:b-c",
        "angle:a-b", "angle:a-c", "angle:b-c",
        "disp:a", "disp:b", "disp:c",
    ]  # fmt: skip
    assert summed_columns(3).tolist() == [False] * 3 + [True] * 6
    assert frame_features(three_keypoint_trajectory()).shape == (2, 9)


def test_distances_on_hand_made_trajectory() -> None:
    features = frame_features(three_keypoint_trajectory())
    # Distances drop frame 0: row t holds frame t + 1.
    # frame 1: a-b = |(-4,3)| = 5, a-c = |(0,2)| = 2, b-c = |(4,-1)| = sqrt(17)
    expected = [5.0, 2.0, math.sqrt(17.0)]
    np.testing.assert_allclose(features[0, :3], expected)
    np.testing.assert_allclose(features[1, :3], expected)


def test_angle_changes_on_hand_made_trajectory() -> None:
    features = frame_features(three_keypoint_trajectory())
    # a→b: (3,4) → (-4,3) is +90° counter-clockwise in x-right/y-up axes;
    # cross(v1, v0)_z = (-4)(4) - (3)(3) = -25 < 0, so B-SOiD's sign gives -90.
    # a→c: (0,2) → (0,2): 0.  b→c: (-3,-2) → (4,-1): cross(v1,v0) = 4(-2) - (-1)(-3) = -11,
    # dot = -12 + 2 = -10, angle = -atan2(11, -10).
    expected_b_c = -math.degrees(math.atan2(11.0, -10.0))
    np.testing.assert_allclose(features[0, 3:6], [-90.0, 0.0, expected_b_c], atol=1e-12)
    np.testing.assert_allclose(features[1, 3:6], [0.0, 0.0, 0.0], atol=1e-12)


def test_displacements_on_hand_made_trajectory() -> None:
    features = frame_features(three_keypoint_trajectory())
    # a: (0,0)→(1,0) = 1; b: (3,4)→(-3,3) = sqrt(37); c: (0,2)→(1,2) = 1; then still.
    np.testing.assert_allclose(features[0, 6:], [1.0, math.sqrt(37.0), 1.0])
    np.testing.assert_allclose(features[1, 6:], [0.0, 0.0, 0.0])


def test_half_turn_counts_as_180_degrees() -> None:
    position = np.array([[[0.0, 0.0], [1.0, 0.0]], [[0.0, 0.0], [-1.0, 0.0]]])
    assert frame_features(position)[0, 1] == pytest.approx(180.0)


@pytest.mark.parametrize(("fps", "window"), [(30, 3), (60, 5), (25, 1), (120, 11), (10, 1)])
def test_smoothing_window_is_about_100_ms(fps: float, window: int) -> None:
    assert smoothing_window(fps) == window


def test_smoothing_is_a_centred_mean_with_short_edges() -> None:
    x = np.array([[0.0], [3.0], [6.0], [0.0], [3.0]])
    smoothed = smooth_features(x, fps=30)  # window 3
    np.testing.assert_allclose(smoothed[:, 0], [1.5, 3.0, 3.0, 3.0, 1.5])


def test_binning_averages_distances_and_sums_motion_at_30_fps() -> None:
    # 6 rows, 30 fps, 0.1 s bins → 2 bins of 3 rows (identical to B-SOiD's grouping).
    rows = np.arange(6, dtype=float)
    features = np.stack([rows, rows], axis=1)
    binned, bins = bin_features(features, 30.0, 0.1, np.array([False, True]))
    assert bins.tolist() == [0, 1]
    np.testing.assert_allclose(binned[:, 0], [1.0, 4.0])  # means
    np.testing.assert_allclose(binned[:, 1], [3.0, 12.0])  # sums


def test_binning_by_time_at_25_fps() -> None:
    # 0.1 s = 2.5 frames: bins hold rows {0,1,2}, {3,4}, {5,6,7}, {8,9}.
    binned, bins = bin_features(np.ones((10, 1)), 25.0, 0.1, np.array([True]))
    assert bins.tolist() == [0, 1, 2, 3]
    # A constant 1 px/frame speed gives 2.5 px per 0.1 s in every bin.
    np.testing.assert_allclose(binned[:, 0], 2.5)


@settings(max_examples=40, deadline=None)
@given(
    fps=st.floats(min_value=10.0, max_value=120.0, allow_nan=False),
    speed=st.floats(min_value=0.1, max_value=20.0),
)
def test_constant_speed_gives_speed_times_bin_length(fps: float, speed: float) -> None:
    n_frames = int(fps * 3)
    position = np.zeros((n_frames, 2, 2))
    position[:, :, 0] = np.arange(n_frames)[:, None] * speed
    position[:, 1, 1] = 10.0  # second keypoint 10 px away
    feats = pose_features(position, fps)
    displacement = feats.values[:, -2:]
    np.testing.assert_allclose(displacement, speed * fps * 0.1, rtol=1e-9)
    np.testing.assert_allclose(feats.values[:, 0], 10.0)  # distance
    np.testing.assert_allclose(feats.values[:, 1], 0.0, atol=1e-9)  # no rotation
    assert feats.n_bins == math.floor((n_frames - 2) / fps / 0.1 + 1e-9) + 1
    np.testing.assert_array_equal(feats.bin_number, np.arange(feats.n_bins))


def test_pose_features_refuses_nan() -> None:
    position = np.zeros((10, 2, 2))
    position[3, 0, 0] = np.nan
    with pytest.raises(ValueError, match="clean_pose"):
        pose_features(position, 30.0)


def test_legacy_seven_features_with_quirks_fixed() -> None:
    # snout, forepaw R, forepaw L, hindpaw R, hindpaw L, tailbase; frame 1 moves snout +3 in y.
    frame0 = np.array([[0, 10], [-2, 6], [2, 4], [-2, -4], [2, -6], [0, -10]], dtype=float)
    frame1 = frame0.copy()
    frame1[0] = [0, 13]
    features = legacy_frame_features(np.stack([frame0, frame1]))
    assert features.shape == (1, 7)
    # frame 1: snout-tail = 23; forepaw centre (0, 5) (both paws' y) → 15; hindpaw centre (0,-5) → 5
    np.testing.assert_allclose(features[0, :4], [23 - 15, 23 - 5, math.hypot(4, 2), 23])
    assert features[0, 4] == pytest.approx(0.0)  # snout→tail axis did not turn
    # Snout moved only in y: the original (x only) would say 0; the fix gives 3.
    np.testing.assert_allclose(features[0, 5:], [3.0, 0.0])


def test_legacy_set_bins_like_the_original() -> None:
    rng = np.random.default_rng(0)
    feats = pose_features(rng.uniform(0, 50, (61, 6, 2)), 60.0, feature_set="legacy7")
    assert feats.values.shape == (10, 7)
