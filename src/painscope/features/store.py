"""The token store: one safetensors file per video.

File ``cache/features/<key>/<video_id>.safetensors`` holds

``tokens``
    float16, shape (n_clips, h, w, C): the backbone's last-stage token map of each
    clip after its final LayerNorm, averaged over time (7 × 7 × 1024 for Swin-B
    at 224²). About 20 MB for a 5-min video.
``response``
    float32, shape (n_clips, h, w): the per-token response the feature-space
    mask ranks blocks by (see ``ExtractConfig.response``).
``clips``
    float64, shape (n_clips, 4): start frame, end frame (exclusive), start and end
    time in seconds of each clip.
``motion`` (optional; written when ``extract.motion`` is on)
    float32, shape (n_clips, D): per-clip silhouette descriptors of
    :mod:`painscope.motion`; their names are the metadata's ``motion_columns``.

and, in the safetensors header, a JSON string under ``"painscope"`` with the
metadata (video path and content hash, config hash and settings, backbone, weights
id, fps, frame count, painscope version, ...). A ``<video_id>.json`` copy of the
metadata sits beside it for people. Files are written atomically; the
``.safetensors`` file appearing is what marks a video done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from painscope.errors import FeatureStoreError
from painscope.io.atomic import atomic_path, atomic_write_text

SUFFIX = ".safetensors"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class VideoFeatures:
    """Everything stored for one video.

    Attributes
    ----------
    tokens : float16 array of shape (n_clips, h, w, C)
    response : float32 array of shape (n_clips, h, w)
    clips : float64 array of shape (n_clips, 4) — start_frame, end_frame, start_s, end_s
    meta : metadata dict (see module docstring)
    motion : optional float32 array of shape (n_clips, D) — silhouette descriptors
        (names in ``meta["motion_columns"]``); None in files written without motion
    """

    tokens: np.ndarray
    response: np.ndarray
    clips: np.ndarray
    meta: dict[str, Any]
    motion: np.ndarray | None = None

    @property
    def n_clips(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def grid(self) -> tuple[int, int]:
        return int(self.tokens.shape[1]), int(self.tokens.shape[2])


def feature_path(folder: Path, video_id: str) -> Path:
    return Path(folder) / f"{video_id}{SUFFIX}"


def write_features(path: Path, features: VideoFeatures) -> None:
    """Write one video's features atomically (JSON sidecar first, tokens file last)."""
    from safetensors.numpy import save_file

    if features.tokens.ndim != 4:
        raise ValueError(f"tokens must be (n_clips, h, w, C), got {features.tokens.shape}")
    n = features.tokens.shape[0]
    if features.response.shape != features.tokens.shape[:3] or features.clips.shape != (n, 4):
        raise ValueError("response must be (n_clips, h, w) and clips (n_clips, 4)")
    if features.motion is not None and (features.motion.ndim != 2 or len(features.motion) != n):
        raise ValueError(f"motion must be (n_clips, D), got {features.motion.shape}")
    if not np.isfinite(features.tokens).all():
        raise FeatureStoreError(
            f"{path}: refusing to store non-finite token values",
            fix="check the weights file; try precision: fp32",
        )
    meta = {**features.meta, "format_version": FORMAT_VERSION}
    text = json.dumps(meta, indent=1, sort_keys=True, default=str)
    atomic_write_text(Path(path).with_suffix(".json"), text)
    tensors = {
        "tokens": np.ascontiguousarray(features.tokens, dtype=np.float16),
        "response": np.ascontiguousarray(features.response, dtype=np.float32),
        "clips": np.ascontiguousarray(features.clips, dtype=np.float64),
    }
    if features.motion is not None:
        tensors["motion"] = np.ascontiguousarray(features.motion, dtype=np.float32)
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata={"painscope": json.dumps(meta, default=str)})


def read_meta(path: Path) -> dict[str, Any]:
    """Only the metadata (cheap: reads the header)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="np") as f:
            header = f.metadata() or {}
    except FileNotFoundError:
        raise FeatureStoreError(
            f"{path}: feature file not found", fix="run `painscope extract` on the project first"
        ) from None
    except Exception as err:  # safetensors raises its own error types
        raise FeatureStoreError(
            f"{path}: unreadable feature file ({err})",
            fix="delete it and run `painscope extract` again",
        ) from None
    return dict(json.loads(header.get("painscope", "{}")))


def read_features(path: Path) -> VideoFeatures:
    """Load one video's features (the file is memory-mapped; arrays are copied out)."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="np") as f:
            meta = json.loads((f.metadata() or {}).get("painscope", "{}"))
            tokens = f.get_tensor("tokens")
            response = f.get_tensor("response")
            clips = f.get_tensor("clips")
            motion = f.get_tensor("motion") if "motion" in f.keys() else None  # noqa: SIM118
    except FileNotFoundError:
        raise FeatureStoreError(
            f"{path}: feature file not found", fix="run `painscope extract` on the project first"
        ) from None
    except Exception as err:
        raise FeatureStoreError(
            f"{path}: unreadable feature file ({err})",
            fix="delete it and run `painscope extract` again",
        ) from None
    return VideoFeatures(tokens=tokens, response=response, clips=clips, meta=meta, motion=motion)
