"""Sequences in memory and ViS4mer's clip resampling (SPEC §1).

Every video is brought to the same number of clips ``n_clips`` so a batch is one
tensor and the S4 kernels have one length:

- fewer clips than ``n_clips``: clips are repeated by even index stepping
  (index ``floor(i · n / n_clips)``), so a 150-clip video plays at 3/4 speed;
- more clips: evaluation takes evenly spaced clips; training draws a random sorted
  subset each time (a cheap augmentation the original code uses).

Resampling keeps clips whole: a clip's ``tokens_per_clip`` rows move together.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from painscope.errors import FeatureStoreError
from painscope.features.lazy import LazyTokenSequence, take_clips
from painscope.manifest import VideoEntry
from painscope.train.sources import SequenceSource


def resample_indices(n: int, target: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Clip indices (target,) into a video of ``n`` clips (see module docstring)."""
    if n <= 0:
        raise ValueError("a video needs at least one clip")
    if n > target and rng is not None:
        return np.sort(rng.choice(n, size=target, replace=False))
    return np.floor(np.arange(target) * n / target).astype(np.int64)


def resample(
    seq: np.ndarray,
    tokens_per_clip: int,
    n_clips: int,
    rng: np.random.Generator | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Resample a (n_tokens, D) sequence to (n_clips · tokens_per_clip, D).

    Returns the new sequence and the source clip of each new clip (n_clips,).
    """
    n = seq.shape[0] // tokens_per_clip
    idx = resample_indices(n, n_clips, rng)
    return take_clips(seq, idx, tokens_per_clip), idx


def load_sequences(
    source: SequenceSource, entries: Sequence[VideoEntry], *, progress: bool = False
) -> list[np.ndarray]:
    """``source.sequence`` of every entry, checked for a common width and finite values."""
    from rich.progress import track

    out: list = []  # ndarrays, or LazyTokenSequence rows read per batch
    width: int | None = None
    items = track(entries, description=f"loading {source.name}") if progress else entries
    for e in items:
        raw = source.sequence(e)
        # lazy token views stay on disk (their values were checked finite when written)
        seq = raw if isinstance(raw, LazyTokenSequence) else np.asarray(raw)
        if seq.ndim != 2 or seq.shape[0] == 0:
            raise FeatureStoreError(
                f"row {e.row} ({e.video}): sequence of shape {seq.shape}, expected (n_tokens, D)"
            )
        if width is None:
            width = seq.shape[1]
        elif seq.shape[1] != width:
            raise FeatureStoreError(
                f"row {e.row} ({e.video}): {seq.shape[1]} features per token, others have {width}",
                fix="make every video's features with the same settings",
            )
        if not isinstance(seq, LazyTokenSequence) and not np.isfinite(seq).all():
            raise FeatureStoreError(f"row {e.row} ({e.video}): features contain NaN or inf")
        out.append(seq)
    return out


def batch_tensor(
    seqs: Sequence[np.ndarray],
    tokens_per_clip: int,
    n_clips: int,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Stack resampled sequences: (B, n_clips · tokens_per_clip, D) float32."""
    return np.stack([resample(s, tokens_per_clip, n_clips, rng)[0] for s in seqs]).astype(
        np.float32
    )
