"""Sequence sources: where a video's input sequence comes from.

Every method that cross-validation compares is a :class:`SequenceSource`. CV calls
``source.fit(train_entries)`` once per round with only that round's training videos
(a source that learns something — e.g. the pose baseline's clustering — must never
see validation or test videos), then ``source.sequence(entry)`` for every video it needs.

Optional attributes read with ``getattr``: ``tokens_per_clip`` (int, default 1: how
many consecutive rows of the sequence belong to one clip; resampling keeps clips
whole) and ``spec`` (a dict of plain values saved in checkpoints, so
:func:`source_from_spec` can rebuild the source at predict time).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from painscope.errors import FeatureStoreError, PainscopeError
from painscope.features.store import feature_path, read_features
from painscope.features.views import TokenMode, token_view, tokens_per_clip
from painscope.manifest import VideoEntry

TOKEN_SOURCE_NAMES = {"all": "ours", "block": "ours_mask", "mean": "pooled"}


@runtime_checkable
class SequenceSource(Protocol):
    """A feature source the classifier can train on."""

    name: str

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
    """

    def __init__(
        self, features_dir: Path, mode: TokenMode = "block", k: int = 3, name: str | None = None
    ) -> None:
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
        feats = read_features(path)
        self.tokens_per_clip = tokens_per_clip(feats.grid, self.mode, self.k)
        seq = token_view(feats.tokens, feats.response, self.mode, self.k)  # (n_tokens, C)
        self._cache[entry.video_id] = seq
        return seq


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_array_file(path: Path) -> np.ndarray:
    """A per-video array (n_clips, D) from .npy, .npz (key ``features`` or the first) or .csv."""
    path = Path(path)
    if not path.exists():
        raise FeatureStoreError(f"{path}: feature array file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            arr = np.load(path, allow_pickle=False)
        elif suffix == ".npz":
            with np.load(path, allow_pickle=False) as z:
                key = "features" if "features" in z.files else z.files[0]
                arr = z[key]
        elif suffix == ".csv":
            import pandas as pd

            table = pd.read_csv(path)
            if all(_is_number(str(c)) for c in table.columns):  # no header: row 1 was data
                table = pd.read_csv(path, header=None)
            arr = table.select_dtypes("number").to_numpy()
        else:
            raise FeatureStoreError(
                f"{path}: unknown feature file type {suffix!r}", fix="use .npy, .npz or .csv"
            )
    except (ValueError, OSError) as err:
        raise FeatureStoreError(f"{path}: unreadable feature array ({err})") from None
    arr = np.asarray(arr)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise FeatureStoreError(
            f"{path}: expected an array of shape (n_clips, D), got {arr.shape}",
            fix="save one row per clip and one column per feature",
        )
    if not np.issubdtype(arr.dtype, np.number):
        raise FeatureStoreError(f"{path}: feature array is not numeric ({arr.dtype})")
    arr = arr.astype(np.float32)
    if not np.isfinite(arr).all():
        bad = int(np.flatnonzero(~np.isfinite(arr).all(axis=1))[0])
        raise FeatureStoreError(
            f"{path}: non-finite values (first in clip {bad})", fix="fill or drop those clips"
        )
    return arr


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


def source_from_spec(spec: dict[str, Any], project_root: Path) -> SequenceSource:
    """Rebuild a token-store or array-file source from a checkpoint's ``spec``."""
    kind = spec.get("kind")
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
    raise PainscopeError(
        f"cannot rebuild feature source of kind {kind!r} for prediction",
        fix="predict with the Python API, passing the fitted source yourself",
    )
