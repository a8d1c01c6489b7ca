"""Sequence sources: where a video's input sequence comes from.

Every method that cross-validation compares is a :class:`SequenceSource`. CV calls
``source.fit(train_entries)`` once per round with only that round's training videos
(a source that learns something — e.g. the pose baseline's clustering — must never
see validation or test videos), then ``source.sequence(entry)`` for every video it needs.

Every source declares ``name``, ``tokens_per_clip`` (int: how many consecutive rows of
the sequence belong to one clip; resampling keeps clips whole; valid after the first
``sequence`` call for token stores) and ``spec`` (a dict of plain values saved in
checkpoints, so :func:`source_from_spec` can rebuild the source at predict time).

Bring-your-own rows need no video: a manifest with a ``features`` column and no
``video`` column (or empty cells) is valid; the row's video id is the features file's stem.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from painscope.errors import FeatureStoreError, PainscopeError
from painscope.features.store import feature_path, read_features
from painscope.features.views import TokenMode, token_view, tokens_per_clip
from painscope.io.arrays import load_array_file
from painscope.manifest import VideoEntry

TOKEN_SOURCE_NAMES = {"all": "ours", "block": "ours_mask", "mean": "pooled"}


@runtime_checkable
class SequenceSource(Protocol):
    """A feature source the classifier can train on."""

    name: str
    #: consecutive rows of a sequence that form one clip
    tokens_per_clip: int

    @property
    def spec(self) -> dict[str, Any]:
        """Plain values that rebuild the source (``kind`` plus its settings)."""
        ...

    def fit(self, train_entries: Sequence[VideoEntry]) -> None:
        """Learn whatever the source needs from the training videos only (may be a no-op)."""

    def sequence(self, entry: VideoEntry) -> np.ndarray:
        """The video's sequence, float array of shape (n_tokens, D)."""
        ...


class TokenStoreSource:
    """Token views (all / block / mean) of the token store written by ``painscope extract``.

    Parameters
    ----------
    features_dir : ``project.features_dir(config_hash(extract_config))``
    mode : ``all`` ("Ours"), ``block`` ("Ours+Mask") or ``mean`` (pooled)
    k : block side for ``block``
    name : method name in outputs (default ours / ours_mask / pooled)
    lazy : read each batch's clips from disk when it is built
        (:class:`~painscope.features.lazy.LazyTokenSequence`) instead of holding every
        video's tokens in memory — for projects larger than RAM
    """

    def __init__(
        self,
        features_dir: Path,
        mode: TokenMode = "block",
        k: int = 3,
        name: str | None = None,
        *,
        lazy: bool = False,
    ) -> None:
        self.lazy = lazy
        self.features_dir = Path(features_dir)
        self.mode: TokenMode = mode
        self.k = k
        self.name = name or TOKEN_SOURCE_NAMES[mode]
        self.tokens_per_clip = 1
        self._cache: dict[str, np.ndarray] = {}

    @property
    def spec(self) -> dict[str, Any]:
        return {
            "kind": "tokens",
            "feature_key": self.features_dir.name,
            "mode": self.mode,
            "k": self.k,
            "name": self.name,
        }

    def fit(self, train_entries: Sequence[VideoEntry]) -> None:
        """Nothing to learn."""

    def sequence(self, entry: VideoEntry) -> np.ndarray:
        if entry.video_id in self._cache:
            return self._cache[entry.video_id]
        path = feature_path(self.features_dir, entry.video_id)
        if not path.exists():
            raise FeatureStoreError(
                f"{path}: no features for row {entry.row} ({entry.video})",
                fix="run `painscope extract` on the project (with the same extract settings)",
            )
        if self.lazy:
            from painscope.features.lazy import LazyTokenSequence

            lazy_seq = LazyTokenSequence(path, self.mode, self.k)
            self.tokens_per_clip = lazy_seq.tokens_per_clip
            return lazy_seq  # type: ignore[return-value]  # array-like, read per batch
        feats = read_features(path)
        self.tokens_per_clip = tokens_per_clip(feats.grid, self.mode, self.k)
        seq = token_view(feats.tokens, feats.response, self.mode, self.k)  # (n_tokens, C)
        self._cache[entry.video_id] = seq
        return seq


class ArrayFileSource:
    """Bring-your-own sequences: the manifest column ``features`` names a per-video array file.

    Relative paths start at ``base_dir`` (the project folder).
    """

    def __init__(self, base_dir: Path, column: str = "features", name: str = "features") -> None:
        self.base_dir = Path(base_dir)
        self.column = column
        self.name = name
        self.tokens_per_clip = 1
        self._cache: dict[str, np.ndarray] = {}

    @property
    def spec(self) -> dict[str, Any]:
        return {"kind": "features", "column": self.column, "name": self.name}

    def fit(self, train_entries: Sequence[VideoEntry]) -> None:
        """Nothing to learn."""

    def sequence(self, entry: VideoEntry) -> np.ndarray:
        if entry.video_id in self._cache:
            return self._cache[entry.video_id]
        value = entry.extra.get(self.column, "")
        if not value:
            raise PainscopeError(
                f"row {entry.row} ({entry.video}): column {self.column!r} is empty",
                fix=f"give every row a feature file in column {self.column!r}",
            )
        path = Path(value) if Path(value).is_absolute() else self.base_dir / value
        arr = load_array_file(path)
        self._cache[entry.video_id] = arr
        return arr


def source_from_spec(
    spec: dict[str, Any], project_root: Path, run_dir: Path | None = None
) -> SequenceSource:
    """Rebuild the source a checkpoint was trained on from its ``spec``.

    Token stores, motion descriptors and array files are found from ``project_root``; a
    fitted pose baseline is read from ``run_dir / spec["fitted"]`` (baselines/fitted.py)
    and reads the pose files of ``project_root``'s manifest.
    """
    kind = spec.get("kind")
    if kind == "pose" and spec.get("fitted") and run_dir is not None:
        from painscope.baselines.fitted import read_fitted_pose

        return read_fitted_pose(Path(run_dir) / str(spec["fitted"]), Path(project_root))
    if kind == "tokens":
        folder = Path(project_root) / "cache" / "features" / str(spec["feature_key"])
        return TokenStoreSource(folder, spec["mode"], int(spec["k"]), name=spec.get("name"))
    if kind == "motion":
        from painscope.motion.source import MotionSource

        folder = Path(project_root) / "cache" / "features" / str(spec["feature_key"])
        return MotionSource(folder, name=str(spec.get("name", "motion")))
    if kind == "features":
        return ArrayFileSource(
            project_root, spec.get("column", "features"), spec.get("name", "features")
        )
    if kind == "pose":
        raise PainscopeError(
            "the run has no fitted pose motifs (made by a painscope version before they were "
            "saved)",
            fix="re-run painscope cv / train, then predict with the new run folder",
        )
    raise PainscopeError(
        f"cannot rebuild feature source of kind {kind!r} for prediction",
        fix="predict with the Python API, passing the fitted source yourself",
    )
