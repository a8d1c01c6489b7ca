"""Motif sequences for the classifier: one motif histogram per 1.5 s clip.

The video method cuts each video into consecutive clips (clip i covers
[i·clip_seconds, (i+1)·clip_seconds)); the pose baseline uses the same windows, so
its sequence has the same length as the video features. Each row is the share of
the clip's ~100 ms bins that the motif model assigns to each motif (sums to 1).

:class:`PoseMotifSource` matches painscope's sequence-source protocol: ``fit`` once
per cross-validation round with the training videos only, then ``sequence`` for any
video.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from painscope.baselines.body_parts import bsoid_body_parts
from painscope.baselines.bsoid_features import BinnedFeatures, pose_features
from painscope.baselines.motifs import MotifModel
from painscope.baselines.pose_io import PoseError, clean_pose, load_pose, select_keypoints
from painscope.config.pose import PoseConfig
from painscope.manifest import VideoEntry

#: tolerance so that 450 frames at 30 fps make exactly 10 clips of 1.5 s
_TIME_EPS = 1e-9


def n_clips_for(n_frames: int, fps: float, clip_seconds: float) -> int:
    """Whole clips in a video: ⌊duration / clip_seconds⌋, duration = n_frames / fps.

    The same count as the video method (``painscope.clips.windows.n_clips_for``): a
    trailing partial clip is dropped, so 5 min give 200 clips of 1.5 s.
    """
    from painscope.clips.windows import n_clips_for as clips_in_duration

    return max(0, clips_in_duration(n_frames / fps, clip_seconds))


def clip_histograms(
    bin_motifs: np.ndarray,
    bin_number: np.ndarray,
    *,
    bin_seconds: float,
    clip_seconds: float,
    n_clips: int,
    n_motifs: int,
    bin_weights: np.ndarray | None = None,
) -> np.ndarray:
    """Per-clip motif histograms.

    Parameters
    ----------
    bin_motifs : array of shape (n_bins,), motif of each time bin.
    bin_number : array of shape (n_bins,), the time bin (bin b covers
        [b·bin_seconds, (b+1)·bin_seconds)); a bin belongs to the clip holding its centre.
    n_clips : clips of the video (:func:`n_clips_for`); bins past the last whole clip
        are dropped, like the video method drops the tail.
    bin_weights : optional array (n_bins, n_motifs): soft motif membership of each bin
        (the forest's vote shares); the histogram is then their mean over the clip's bins.

    Returns
    -------
    histograms : array of shape (n_clips, n_motifs), float32, rows sum to 1
        (a clip without any bin, possible only below 1 / bin_seconds fps, is uniform).
    """
    clip = np.floor((bin_number + 0.5) * bin_seconds / clip_seconds + _TIME_EPS).astype(np.int64)
    inside = clip < n_clips
    counts = np.zeros((n_clips, n_motifs), dtype=np.float64)
    if bin_weights is not None:
        np.add.at(counts, clip[inside], np.asarray(bin_weights, dtype=np.float64)[inside])
    else:
        np.add.at(counts, (clip[inside], bin_motifs[inside]), 1.0)
    totals = counts.sum(axis=1, keepdims=True)
    hist = np.where(totals > 0, counts / np.maximum(totals, 1.0), 1.0 / n_motifs)
    return hist.astype(np.float32)


def video_fps(path: Path) -> float | None:
    """Average frame rate of a video file, None when it cannot be read."""
    from painscope.errors import VideoError
    from painscope.io.video import probe

    try:
        fps = probe(path).fps
    except VideoError:
        return None
    return fps if fps > 0 else None


@dataclass
class _Cached:
    features: BinnedFeatures
    key: tuple[object, ...]


class PoseMotifSource:
    """Pose baseline as a sequence source: ``fit(train_entries)``, then ``sequence(entry)``.

    Parameters
    ----------
    project_dir : folder that the manifest's ``pose`` paths start from.
    config : pose settings (``painscope.yaml`` section ``pose``); defaults when None.
    clip_seconds : clip length of the video method (``extract.clip_seconds``).

    Notes
    -----
    Per-file steps (likelihood filtering, features, binning) use only that file, so
    their results are cached across folds. Everything learned across files — scaler,
    UMAP, HDBSCAN, random forest — is refitted in :meth:`fit` from the training
    entries alone; test videos are only ever passed through the fitted forest.
    """

    name = "pose"

    def __init__(
        self,
        project_dir: Path | str,
        config: PoseConfig | None = None,
        *,
        clip_seconds: float = 1.5,
    ) -> None:
        self.project_dir = Path(project_dir)
        self.config = config if config is not None else PoseConfig()
        self.clip_seconds = clip_seconds
        self.model_: MotifModel | None = None
        self.keypoints_: tuple[str, ...] = tuple(self.config.keypoints)
        self._cache: dict[str, _Cached] = {}

    # --- per-file steps ----------------------------------------------------------------------

    def pose_path(self, entry: VideoEntry) -> Path:
        """The pose file of ``entry`` (manifest column ``pose``)."""
        value = entry.extra.get("pose", "").strip()
        if not value:
            raise PoseError(
                entry.path,
                f"manifest row {entry.row} has no pose file",
                fix="add a 'pose' column to manifest.csv naming each video's DeepLabCut/SLEAP file",
            )
        path = Path(value)
        return path if path.is_absolute() else self.project_dir / path

    def fps_for(self, entry: VideoEntry) -> float:
        """Frame rate: pose.fps, else the manifest's ``fps`` column, else the video file's."""
        if self.config.fps is not None:
            return float(self.config.fps)
        column = entry.extra.get("fps", "").strip()
        if column:
            try:
                value = float(column)
            except ValueError:
                value = -1.0
            if value > 0:
                return value
            raise PoseError(
                entry.path, f"manifest row {entry.row}: fps {column!r} is not a positive number"
            )
        rate = video_fps(entry.path) if entry.path.exists() else None
        if rate is None:
            raise PoseError(
                self.pose_path(entry),
                "frame rate unknown (no pose.fps, no 'fps' column, video not readable)",
                fix="set pose.fps in painscope.yaml or add an 'fps' column to manifest.csv",
            )
        return rate

    def features(self, entry: VideoEntry) -> BinnedFeatures:
        """Cleaned, binned B-SOiD features of one video (cached)."""
        path = self.pose_path(entry)
        if not self.keypoints_:
            raise PoseError(path, "keypoints not chosen yet", fix="call fit() first")
        fps = self.fps_for(entry)
        stat = path.stat() if path.exists() else None
        key = (
            str(path.resolve()) if stat else str(path),  # no resolve(): a link loop raises
            stat.st_mtime_ns if stat else None,
            stat.st_size if stat else None,
            self.keypoints_,
            fps,
        )
        cached = self._cache.get(entry.video_id)
        if cached is not None and cached.key == key:
            return cached.features
        cfg = self.config
        pose = select_keypoints(load_pose(path, source=cfg.source), self.keypoints_)
        pose = clean_pose(
            pose,
            threshold="adaptive" if cfg.adaptive_threshold else cfg.likelihood_threshold,
            max_gap_frames=round(cfg.max_gap_seconds * fps),
        )
        feats = pose_features(
            pose.position,
            fps,
            smooth_seconds=cfg.smooth_seconds,
            bin_seconds=cfg.bin_seconds,
            feature_set=cfg.feature_set,
        )
        self._cache[entry.video_id] = _Cached(feats, key)
        return feats

    # --- the protocol ------------------------------------------------------------------------

    #: one motif histogram per clip
    tokens_per_clip = 1

    @property
    def spec(self) -> dict[str, Any]:
        """How the source was set up (a fitted motif model is not rebuilt from it)."""
        return {"kind": "pose", "name": self.name, "clip_seconds": self.clip_seconds}

    def fit(self, train_entries: Sequence[VideoEntry]) -> None:
        """Learn motifs from the training videos only (scaler, UMAP, HDBSCAN, forest)."""
        if not train_entries:
            raise PoseError(self.project_dir, "no training videos for the pose baseline")
        if not self.config.keypoints:
            first = load_pose(self.pose_path(train_entries[0]), source=self.config.source)
            chosen = (
                bsoid_body_parts(first.keypoints) if self.config.body_parts == "bsoid" else None
            )
            self.keypoints_ = chosen or first.keypoints
        if len(self.keypoints_) < 2:
            raise PoseError(
                self.pose_path(train_entries[0]),
                f"needs at least 2 keypoints, has {len(self.keypoints_)}",
            )
        stacked = np.concatenate([self.features(e).values for e in train_entries])
        cfg = self.config
        self.model_ = MotifModel(
            embedding=cfg.embedding,
            n_neighbors=cfg.n_neighbors,
            min_dist=cfg.min_dist,
            variance_target=cfg.variance_target,
            cluster_fraction=(cfg.cluster_fraction_min, cfg.cluster_fraction_max),
            max_fit_samples=cfg.max_fit_samples,
            n_jobs=cfg.n_jobs,
            random_state=cfg.random_state,
        ).fit(stacked)

    def save_fitted(self, path: Path) -> None:
        """Write the fitted motifs for ``painscope predict`` / ``drugtest`` (baselines/fitted.py)."""
        from painscope.baselines.fitted import write_fitted_pose

        write_fitted_pose(Path(path), self)

    @property
    def n_motifs(self) -> int:
        """Width D of the sequences (set by :meth:`fit`)."""
        return self._model().n_motifs_

    def _model(self) -> MotifModel:
        if self.model_ is None:
            raise PoseError(self.project_dir, "the pose baseline is not fitted", fix="call fit()")
        return self.model_

    def motifs(self, entry: VideoEntry) -> tuple[np.ndarray, BinnedFeatures]:
        """Motif of every time bin of one video, and its features."""
        model = self._model()
        feats = self.features(entry)
        return model.predict(feats.values), feats

    def sequence(self, entry: VideoEntry) -> np.ndarray:
        """Per-clip motif histograms, array of shape (n_clips, n_motifs) float32."""
        labels, feats = self.motifs(entry)
        n_clips = n_clips_for(feats.n_frames, feats.fps, self.clip_seconds)
        if n_clips == 0:
            raise PoseError(
                self.pose_path(entry),
                f"shorter than one {self.clip_seconds} s clip "
                f"({feats.n_frames} frames at {feats.fps:g} fps)",
            )
        soft = self.config.assignment == "soft"
        weights = self._model().predict_proba(feats.values) if soft else None
        return self.histograms(feats, labels, weights)

    def histograms(
        self, feats: BinnedFeatures, labels: np.ndarray, weights: np.ndarray | None = None
    ) -> np.ndarray:
        """Per-clip motif histograms (n_clips, n_motifs) of one video's bins.

        ``labels`` (n_bins,) are the bins' motifs; ``weights`` (n_bins, n_motifs), when
        given, the soft assignment's vote shares instead of one-hot counts.
        """
        return clip_histograms(
            labels,
            feats.bin_number,
            bin_seconds=feats.bin_seconds,
            clip_seconds=self.clip_seconds,
            n_clips=n_clips_for(feats.n_frames, feats.fps, self.clip_seconds),
            n_motifs=self.n_motifs,
            bin_weights=weights,
        )
