"""``--method motion``: the per-clip silhouette descriptors as a sequence source.

Reads the ``motion`` array that ``painscope extract`` (with ``extract.motion: true``
and ``background: median``) writes into the token store. Heavy-tailed columns
(:data:`~painscope.motion.descriptors.LOG_OFFSETS`: speeds, turning, displacement)
are fed as ``log(value + offset)``; the classifier standardises every column on the
training videos. Nothing is learned here, so ``fit`` is a no-op and the source is
rebuilt from its ``spec`` alone at predict time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from painscope.errors import FeatureStoreError
from painscope.manifest import VideoEntry
from painscope.motion.descriptors import DESCRIPTOR_COLUMNS, LOG_OFFSETS


def model_input(motion: np.ndarray, columns: Sequence[str]) -> np.ndarray:
    """(n_clips, D) stored descriptors → (n_clips, D) float32 classifier input.

    Columns of :data:`~painscope.motion.descriptors.LOG_OFFSETS` become
    ``log(value + offset)`` (negative for a still mouse): the rows are then ordinary
    real-valued features, not counts or shares, and the logistic baseline summarises
    them as such (``mean``, ``mean+sd``) instead of as row-normalised compositions.
    """
    out = np.asarray(motion, dtype=np.float32).copy()
    for j, name in enumerate(columns):
        if name in LOG_OFFSETS:
            out[:, j] = np.log(np.maximum(out[:, j], 0.0) + LOG_OFFSETS[name])
    return out


def read_motion(path: Path) -> tuple[np.ndarray, list[str]]:
    """The ``motion`` array (n_clips, D) of one token-store file and its column names."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="np") as f:
            import json

            meta = json.loads((f.metadata() or {}).get("painscope", "{}"))
            if "motion" not in f.keys():  # noqa: SIM118
                raise FeatureStoreError(
                    f"{path}: the token store has no motion descriptors",
                    fix="extract again with extract.motion: true (and background: median)",
                )
            motion = f.get_tensor("motion")
    except FileNotFoundError:
        raise FeatureStoreError(
            f"{path}: feature file not found", fix="run `painscope extract` on the project first"
        ) from None
    return motion, list(meta.get("motion_columns", DESCRIPTOR_COLUMNS))


class MotionSource:
    """Per-clip silhouette descriptors from the token store (one row per clip).

    Parameters
    ----------
    features_dir : the token store of the project's extract settings (background median)
    name : method name in outputs
    """

    def __init__(self, features_dir: Path, name: str = "motion") -> None:
        self.features_dir = Path(features_dir)
        self.name = name
        self.tokens_per_clip = 1
        self._cache: dict[str, np.ndarray] = {}

    @property
    def spec(self) -> dict[str, Any]:
        return {"kind": "motion", "feature_key": self.features_dir.name, "name": self.name}

    def fit(self, train_entries: Sequence[VideoEntry]) -> None:
        """Nothing to learn."""

    def sequence(self, entry: VideoEntry) -> np.ndarray:
        """(n_clips, D) float32 model input of one video."""
        from painscope.features.store import feature_path

        if entry.video_id not in self._cache:
            path = feature_path(self.features_dir, entry.video_id)
            if not path.exists():
                raise FeatureStoreError(
                    f"{path}: no features for row {entry.row} ({entry.video})",
                    fix="run `painscope extract` on the project (with the same extract settings)",
                )
            motion, columns = read_motion(path)
            self._cache[entry.video_id] = model_input(motion, columns)
        return self._cache[entry.video_id]
