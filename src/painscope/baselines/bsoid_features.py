"""B-SOiD pose features (Hsu & Yttri 2021): distances, angle changes, displacements, in ~100 ms bins.

For n keypoints, frame-to-frame features are built from every keypoint pair i < j
and every keypoint::

    distance      ‖p_j − p_i‖ at frame t + 1                       C(n, 2) columns
    angle change  signed angle from v_t to v_{t+1}, v = p_j − p_i,  C(n, 2) columns
                  in degrees: sign((v_{t+1} × v_t)_z) · atan2(|v_{t+1} × v_t|, v_t · v_{t+1})
    displacement  ‖p_{t+1} − p_t‖ in pixels per frame             n columns

Row t of the frame features describes the step from frame t to frame t + 1, so a
video of T frames has T − 1 rows. Each column is smoothed with a centred moving
average of about 100 ms, then rows are grouped into bins of ``bin_seconds`` by
*time* (row t belongs to bin ⌊t / fps / bin_seconds⌋): distances are averaged;
angle changes and displacements are summed and rescaled to the bin's nominal
length (sum × fps · bin_seconds / rows in the bin), so bins stay comparable when
fps · bin_seconds is not a whole number (original B-SOiD needs fps divisible by 10).

``feature_set="legacy7"`` gives the 7 features of the original bsoid_py instead
(6 bottom-up keypoints), with two quirks of that code fixed: the forepaw centre uses
both forepaws in y as well as x, and displacements use x and y (not x alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np

from painscope.errors import PainscopeError

FeatureSet = Literal["pairwise", "legacy7"]

#: keypoint order the legacy 7-feature set expects (B-SOiD's bottom-up model)
LEGACY_KEYPOINTS = ("snout", "forepaw_r", "forepaw_l", "hindpaw_r", "hindpaw_l", "tailbase")
LEGACY_NAMES = (
    "snout-tailbase minus forepaws-tailbase",
    "snout-tailbase minus hindpaws-tailbase",
    "forepaw-forepaw distance",
    "snout-tailbase distance",
    "snout-tailbase angle change",
    "snout displacement",
    "tailbase displacement",
)
#: bins sum these legacy columns (angle change, displacements), average the others
LEGACY_SUMMED = np.array([False, False, False, False, True, True, True])

#: guards floor() against float error when a row sits exactly on a bin edge
_EDGE_EPS = 1e-9


@dataclass(frozen=True)
class BinnedFeatures:
    """B-SOiD features of one video, one row per time bin.

    Attributes
    ----------
    values : array of shape (n_bins, n_features)
        unscaled features (distances in px, angles in degrees, displacements in px per bin).
    bin_number : array of shape (n_bins,)
        which time bin each row is: bin b covers [b·bin_seconds, (b+1)·bin_seconds) s,
        i.e. the steps starting at frames [b·fps·bin_seconds, (b+1)·fps·bin_seconds).
    fps, bin_seconds, n_frames : the time base (n_frames of the pose file).
    """

    values: np.ndarray
    bin_number: np.ndarray
    fps: float
    bin_seconds: float
    n_frames: int

    @property
    def n_bins(self) -> int:
        return int(self.values.shape[0])

    @property
    def bin_start_s(self) -> np.ndarray:
        return self.bin_number * self.bin_seconds

    @property
    def bin_start_frame(self) -> np.ndarray:
        """First frame of each bin, shape (n_bins,)."""
        return np.ceil(self.bin_number * self.fps * self.bin_seconds - _EDGE_EPS).astype(np.int64)


def keypoint_pairs(n_keypoints: int) -> list[tuple[int, int]]:
    """Every pair i < j, in the order the feature columns use."""
    return list(combinations(range(n_keypoints), 2))


def feature_names(keypoints: Sequence[str]) -> list[str]:
    """Column names: ``dist:a-b``, ``angle:a-b``, ``disp:a``."""
    pairs = keypoint_pairs(len(keypoints))
    return (
        [f"dist:{keypoints[i]}-{keypoints[j]}" for i, j in pairs]
        + [f"angle:{keypoints[i]}-{keypoints[j]}" for i, j in pairs]
        + [f"disp:{k}" for k in keypoints]
    )


def summed_columns(n_keypoints: int) -> np.ndarray:
    """Boolean mask of shape (n_features,): True where bins sum (angles, displacements)."""
    n_pairs = n_keypoints * (n_keypoints - 1) // 2
    return np.r_[np.zeros(n_pairs, bool), np.ones(n_pairs + n_keypoints, bool)]


def frame_features(position: np.ndarray) -> np.ndarray:
    """Per-frame B-SOiD features.

    Parameters
    ----------
    position : array of shape (n_frames, n_keypoints, 2), no NaN (see ``clean_pose``).

    Returns
    -------
    features : array of shape (n_frames - 1, C(n,2) + C(n,2) + n)
        distances at frames 1..T-1, then signed angle changes (degrees) and
        displacements (px) of the steps t → t + 1.
    """
    position = np.asarray(position, dtype=np.float64)
    if position.ndim != 3 or position.shape[2] != 2:
        raise ValueError(f"position must be (n_frames, n_keypoints, 2), got {position.shape}")
    n_keypoints = position.shape[1]
    pairs = keypoint_pairs(n_keypoints)
    i_idx = np.array([p[0] for p in pairs], dtype=int)
    j_idx = np.array([p[1] for p in pairs], dtype=int)
    vectors = position[:, j_idx] - position[:, i_idx]  # (T, n_pairs, 2)
    distance = np.linalg.norm(vectors[1:], axis=-1)  # (T-1, n_pairs)
    angle = _signed_angle_change(vectors)  # (T-1, n_pairs)
    displacement = np.linalg.norm(np.diff(position, axis=0), axis=-1)  # (T-1, n_keypoints)
    return np.concatenate([distance, angle, displacement], axis=1)


def _signed_angle_change(vectors: np.ndarray) -> np.ndarray:
    """B-SOiD's signed angle (degrees) from v_t to v_{t+1}; vectors (T, ..., 2) → (T-1, ...)."""
    v_t, v_next = vectors[:-1], vectors[1:]
    cross = v_next[..., 0] * v_t[..., 1] - v_next[..., 1] * v_t[..., 0]  # (v_{t+1} × v_t)_z
    dot = (v_t * v_next).sum(-1)
    # sign(0) would zero an exact 180° flip; count exactly collinear steps as positive.
    sign = np.where(cross < 0, -1.0, 1.0)
    return sign * np.degrees(np.arctan2(np.abs(cross), dot))


def legacy_frame_features(position: np.ndarray) -> np.ndarray:
    """The original bsoid_py's 7 per-frame features (quirks fixed, see module notes).

    Parameters
    ----------
    position : array of shape (n_frames, 6, 2), keypoints in :data:`LEGACY_KEYPOINTS` order.

    Returns
    -------
    features : array of shape (n_frames - 1, 7), columns :data:`LEGACY_NAMES`.
    """
    position = np.asarray(position, dtype=np.float64)
    if position.ndim != 3 or position.shape[1:] != (6, 2):
        raise ValueError(
            f"legacy7 needs (n_frames, 6, 2) in the order {LEGACY_KEYPOINTS}, got {position.shape}"
        )
    snout, fp_r, fp_l, hp_r, hp_l, tail = (position[:, k] for k in range(6))
    forepaws = (fp_r + fp_l) / 2  # the original took y from one forepaw twice
    hindpaws = (hp_r + hp_l) / 2
    snout_tail = np.linalg.norm(snout - tail, axis=-1)
    distances = np.stack(
        [
            snout_tail - np.linalg.norm(forepaws - tail, axis=-1),
            snout_tail - np.linalg.norm(hindpaws - tail, axis=-1),
            np.linalg.norm(fp_r - fp_l, axis=-1),
            snout_tail,
        ],
        axis=1,
    )[1:]  # (T-1, 4), frames 1..T-1 like the pairwise set
    angle = _signed_angle_change(tail - snout)  # (T-1,)
    # The original measured displacement along x only; use the Euclidean step.
    snout_step = np.linalg.norm(np.diff(snout, axis=0), axis=-1)
    tail_step = np.linalg.norm(np.diff(tail, axis=0), axis=-1)
    return np.column_stack([distances, angle, snout_step, tail_step])


def smoothing_window(fps: float, smooth_seconds: float = 0.1) -> int:
    """Odd window length in frames: 2·round(smooth_seconds/2 · fps) − 1 (3 at 30 fps, 5 at 60)."""
    return max(1, 2 * round(smooth_seconds / 2 * fps) - 1)


def smooth_features(features: np.ndarray, fps: float, smooth_seconds: float = 0.1) -> np.ndarray:
    """Centred moving average per column; edges average over the frames that exist.

    Parameters
    ----------
    features : array of shape (n_rows, n_features)
    """
    window = smoothing_window(fps, smooth_seconds)
    if window <= 1 or len(features) == 0:
        return features.copy()
    half = window // 2
    padded = np.concatenate([np.zeros((1, features.shape[1])), np.cumsum(features, axis=0)])
    rows = np.arange(len(features))
    lo = np.clip(rows - half, 0, len(features))
    hi = np.clip(rows + half + 1, 0, len(features))
    return (padded[hi] - padded[lo]) / (hi - lo)[:, None]


def bin_index(n_rows: int, fps: float, bin_seconds: float) -> np.ndarray:
    """Bin of each feature row: row t (step t → t+1) falls in bin ⌊t / fps / bin_seconds⌋."""
    return np.floor(np.arange(n_rows) / (fps * bin_seconds) + _EDGE_EPS).astype(np.int64)


def bin_features(
    features: np.ndarray, fps: float, bin_seconds: float, summed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Group rows into time bins: mean for distances, rescaled sum for the ``summed`` columns.

    Returns
    -------
    binned : array of shape (n_bins, n_features)
    bins : array of shape (n_bins,), the bin number of each row of ``binned`` (bins with
        no row, possible only below 1 / bin_seconds fps, are left out).
    """
    index = bin_index(len(features), fps, bin_seconds)
    bins, inverse, counts = np.unique(index, return_inverse=True, return_counts=True)
    totals = np.zeros((len(bins), features.shape[1]))
    np.add.at(totals, inverse, features)
    means = totals / counts[:, None]
    binned = np.where(summed[None, :], means * (fps * bin_seconds), means)
    return binned, bins


def pose_features(
    position: np.ndarray,
    fps: float,
    *,
    smooth_seconds: float = 0.1,
    bin_seconds: float = 0.1,
    feature_set: FeatureSet = "pairwise",
) -> BinnedFeatures:
    """Frame features → smoothing → time bins, for one video.

    Parameters
    ----------
    position : array of shape (n_frames, n_keypoints, 2), cleaned (no NaN).
    fps : frames per second of the pose file (the video's frame rate).
    feature_set : "pairwise" (current B-SOiD: all pairs) or "legacy7" (bsoid_py, 6 keypoints
        in :data:`LEGACY_KEYPOINTS` order).
    """
    if not fps > 0:
        raise PainscopeError(f"fps must be positive, got {fps}", fix="set pose.fps")
    if not np.isfinite(position).all():
        raise ValueError("position has NaN/inf; run clean_pose first")
    if feature_set == "legacy7":
        raw, summed = legacy_frame_features(position), LEGACY_SUMMED
    else:
        raw, summed = frame_features(position), summed_columns(position.shape[1])
    per_frame = smooth_features(raw, fps, smooth_seconds)
    binned, bins = bin_features(per_frame, fps, bin_seconds, summed)
    return BinnedFeatures(
        values=binned,
        bin_number=bins,
        fps=float(fps),
        bin_seconds=float(bin_seconds),
        n_frames=int(position.shape[0]),
    )
