"""Pose files in: DeepLabCut (.h5 / .csv) and SLEAP (.slp / analysis .h5), read with ``movement``.

One pose file becomes a :class:`PoseData`: positions ``(n_frames, n_keypoints, 2)`` in pixels,
likelihood ``(n_frames, n_keypoints)`` and the keypoint names. :func:`clean_pose` then replaces
low-likelihood points the way B-SOiD does (Hsu & Yttri 2021) — with short gaps interpolated
instead of held — so that the feature stage never sees NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np

from painscope.errors import PainscopeError

PoseSource = Literal["auto", "DeepLabCut", "SLEAP"]
POSE_SUFFIXES = (".h5", ".hdf5", ".csv", ".slp")


class PoseError(PainscopeError):
    """A pose file is missing, unreadable, or lacks the keypoints the baseline needs."""

    def __init__(self, path: Path | str, problem: str, *, fix: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}", fix=fix)


@dataclass(frozen=True)
class PoseData:
    """Keypoints of one animal in one video.

    Attributes
    ----------
    position : array of shape (n_frames, n_keypoints, 2)
        x, y in pixels; NaN where the tracker gave nothing.
    likelihood : array of shape (n_frames, n_keypoints)
        tracker confidence (DeepLabCut likelihood, SLEAP point score); NaN when unknown.
    keypoints : names, in the order of the keypoint axis.
    path : the file it came from (used in error messages).
    """

    position: np.ndarray
    likelihood: np.ndarray
    keypoints: tuple[str, ...]
    path: Path

    @property
    def n_frames(self) -> int:
        return int(self.position.shape[0])


def detect_source(path: Path) -> Literal["DeepLabCut", "SLEAP"]:
    """Which software wrote ``path``: .slp → SLEAP; .csv → DeepLabCut; .h5 by its content.

    A DeepLabCut .h5 is a pandas table (``df_with_missing``, or any table with a
    ``bodyparts`` level); a SLEAP analysis .h5 holds ``tracks`` and ``node_names``.
    """
    suffix = path.suffix.lower()
    if suffix == ".slp":
        return "SLEAP"
    if suffix == ".csv":
        return "DeepLabCut"
    if suffix in (".h5", ".hdf5"):
        import h5py

        try:
            with h5py.File(path, "r") as handle:
                if "tracks" in handle and "node_names" in handle:
                    return "SLEAP"
        except OSError as err:
            raise PoseError(path, f"not a readable HDF5 file ({err})") from None
        return "DeepLabCut"
    raise PoseError(
        path,
        f"unknown pose file type {suffix!r}",
        fix=f"use a DeepLabCut or SLEAP file ({', '.join(POSE_SUFFIXES)})",
    )


def _read_dlc_h5_any_key(path: Path) -> object:
    """A DeepLabCut-style table stored under a key other than ``df_with_missing``."""
    import pandas as pd

    with pd.HDFStore(path, mode="r") as store:
        keys = store.keys()
        if not keys:
            raise PoseError(path, "the HDF5 file holds no table")
        return store[keys[0]]


def _refuse_pickles(path: Path) -> None:
    """Refuse an HDF5 pose file that pandas would unpickle code from (see io/hdf5_safe)."""
    from painscope.io.hdf5_safe import pickled_objects

    try:
        problems = pickled_objects(path)
    except OSError as err:
        raise PoseError(path, f"not a readable HDF5 file ({err})") from None
    if problems:
        raise PoseError(
            path,
            "refused: the file holds pickled Python objects, and reading them could run "
            f"code ({'; '.join(problems[:3])})",
            fix="export the poses again from DeepLabCut (numeric columns only), or save them "
            "as a DeepLabCut .csv",
        )


def load_pose(
    path: Path | str,
    *,
    source: PoseSource = "auto",
    individual: str | int = 0,
) -> PoseData:
    """Read one pose file (DeepLabCut .h5/.csv or SLEAP .slp/analysis .h5) with ``movement``.

    Parameters
    ----------
    path : the pose file.
    source : "DeepLabCut", "SLEAP", or "auto" (from the suffix and, for .h5, the content).
    individual : which animal of a multi-animal file (index or name); painscope's pose
        baseline analyses one mouse per video.

    Raises
    ------
    PoseError
        when the file is missing, unreadable or empty, or (.h5) holds pickled Python
        objects: those are refused before pandas could unpickle them.
    """
    path = Path(path)
    if not path.exists():
        raise PoseError(
            path,
            "pose file not found",
            fix="check the manifest's 'pose' column (paths are relative to the project folder)",
        )
    software = detect_source(path) if source == "auto" else source
    if path.suffix.lower() in (".h5", ".hdf5"):
        _refuse_pickles(path)
    from movement.io import load_poses

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load_poses.from_file(path, source_software=software)
    except (ValueError, OSError, KeyError) as err:
        if software != "DeepLabCut" or path.suffix.lower() not in (".h5", ".hdf5"):
            raise PoseError(
                path,
                f"cannot read it as a {software} pose file ({err})",
                fix="export the poses again from DeepLabCut/SLEAP, or set pose.source",
            ) from None
        # DeepLabCut tables saved under another key: read with pandas, hand to movement.
        try:
            table = _read_dlc_h5_any_key(path)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ds = load_poses.from_dlc_style_df(table)  # type: ignore[arg-type]
        except (ValueError, OSError, KeyError, TypeError) as err2:
            raise PoseError(
                path,
                f"cannot read it as a DeepLabCut pose file ({err2})",
                fix="export the poses again from DeepLabCut (analyze_videos, save_as_csv)",
            ) from None

    individuals = [str(v) for v in ds.individuals.values]
    if isinstance(individual, int):
        if not 0 <= individual < len(individuals):
            raise PoseError(path, f"has {len(individuals)} animal(s); no animal #{individual}")
        name = individuals[individual]
    else:
        if individual not in individuals:
            raise PoseError(
                path,
                f"no animal named {individual!r}",
                fix=f"use one of: {', '.join(individuals)}",
            )
        name = individual
    position = ds.position.sel(individuals=name).transpose("time", "keypoints", "space").values
    confidence = ds.confidence.sel(individuals=name).transpose("time", "keypoints").values
    if position.shape[0] < 2:
        raise PoseError(path, f"has {position.shape[0]} frame(s); at least 2 are needed")
    return PoseData(
        position=np.asarray(position, dtype=np.float64),  # (n_frames, n_keypoints, 2)
        likelihood=np.asarray(confidence, dtype=np.float64),  # (n_frames, n_keypoints)
        keypoints=tuple(str(k) for k in ds.keypoints.values),
        path=path,
    )


def select_keypoints(pose: PoseData, names: Sequence[str]) -> PoseData:
    """The keypoints ``names``, in that order; a missing one is an error naming it.

    Features are built from keypoint pairs, so every video must offer the same
    keypoints in the same order.
    """
    index = {k: i for i, k in enumerate(pose.keypoints)}
    missing = [n for n in names if n not in index]
    if missing:
        raise PoseError(
            pose.path,
            f"keypoint(s) {', '.join(map(repr, missing))} not found "
            f"(the file has: {', '.join(pose.keypoints)})",
            fix="track the same keypoints in every video, or list only shared ones in "
            "pose.keypoints in painscope.yaml",
        )
    order = [index[n] for n in names]
    return replace(
        pose,
        position=pose.position[:, order],
        likelihood=pose.likelihood[:, order],
        keypoints=tuple(names),
    )


def adaptive_threshold(likelihood: np.ndarray, *, n_bins: int = 50) -> float:
    """B-SOiD-style likelihood threshold for one keypoint, chosen from its histogram.

    Notes
    -----
    Tracker likelihoods are bimodal: a mass of confident points near 1 and a tail of
    failures near 0. Walking the 50-bin histogram up from 0, the threshold is the left
    edge of the first bin after which the counts stop falling (the valley after the
    failure mode). A "rise" straight away at the first bin is histogram noise (or an
    empty failure mode) and is skipped, as B-SOiD does. The threshold never exceeds
    the left edge of the bin holding the median, so at least half of the frames stay.
    """
    values = likelihood[np.isfinite(likelihood)]
    if values.size == 0:
        return 0.0
    counts, edges = np.histogram(np.clip(values, 0.0, 1.0), bins=n_bins, range=(0.0, 1.0))
    rises = np.flatnonzero(np.diff(counts) >= 0)
    if rises.size == 0:
        return 0.0
    first = int(rises[1]) if rises[0] <= 1 and rises.size > 1 else int(rises[0])
    median_bin = int(
        np.clip(np.searchsorted(edges, np.median(values), side="right") - 1, 0, n_bins - 1)
    )
    return float(edges[min(first, median_bin)])


def clean_pose(
    pose: PoseData,
    *,
    threshold: float | Literal["adaptive"] = 0.6,
    max_gap_frames: int = 5,
) -> PoseData:
    """Replace low-likelihood and missing points so that no NaN is left.

    Parameters
    ----------
    threshold : a fixed likelihood cut (DeepLabCut's default p-cutoff is 0.6), or
        "adaptive": B-SOiD's per-file, per-keypoint cut (:func:`adaptive_threshold`).
    max_gap_frames : runs of up to this many bad frames are linearly interpolated
        between the good frames on either side; longer runs hold the last good
        position (B-SOiD's forward fill). Bad frames before the first good one take
        the first good position.

    Raises
    ------
    PoseError
        when a keypoint has no frame at or above the threshold.
    """
    position = pose.position.copy()  # (n_frames, n_keypoints, 2)
    n_frames, n_keypoints, _ = position.shape
    frames = np.arange(n_frames)
    for k in range(n_keypoints):
        lik = pose.likelihood[:, k]
        cut = adaptive_threshold(lik) if threshold == "adaptive" else float(threshold)
        finite = np.isfinite(position[:, k]).all(axis=1)
        # Unknown likelihood (NaN) with a finite position counts as good.
        good = finite & ~(np.isfinite(lik) & (lik < cut))
        if not good.any():
            raise PoseError(
                pose.path,
                f"keypoint {pose.keypoints[k]!r} has no frame with likelihood >= {cut:.3g}",
                fix="drop it from pose.keypoints in painscope.yaml, or lower "
                "pose.likelihood_threshold",
            )
        if good.all():
            continue
        good_idx = frames[good]
        # Index of the last good frame at or before t (first good frame for a leading gap).
        prev = np.maximum.accumulate(np.where(good, frames, -1))
        prev = np.where(prev < 0, good_idx[0], prev)
        # Index of the next good frame at or after t (the last good one for a trailing gap).
        nxt = np.minimum.accumulate(np.where(good, frames, n_frames)[::-1])[::-1]
        filled = position[prev, k].copy()  # forward fill
        gap = nxt - prev - 1
        short = ~good & (nxt < n_frames) & (prev < frames) & (gap <= max_gap_frames)
        if short.any():
            w = ((frames - prev) / (nxt - prev).clip(min=1))[short, None]
            filled[short] = (1 - w) * position[prev[short], k] + w * position[nxt[short], k]
        position[~good, k] = filled[~good]
    return replace(pose, position=position)
