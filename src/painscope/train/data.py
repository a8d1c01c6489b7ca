"""Sequences in memory and ViS4mer's clip resampling (SPEC §1).

Every video is brought to the same number of clips ``n_clips`` so a batch is one
tensor and the S4 kernels have one length:

- fewer clips than ``n_clips``: clips are repeated by even index stepping
  (index ``floor(i · n / n_clips)``), so a 150-clip video plays at 3/4 speed;
- more clips, ``long_videos: pool`` (painscope's default): the video is cut into
  ``n_clips`` consecutive chunks and each chunk is averaged, so every window counts
  (a 1,249-window recording becomes 200 means of 6-7 windows). Evaluation cuts evenly;
  training draws random cut points each time (chunk lengths vary, an augmentation that
  still uses every window);
- more clips, ``long_videos: subsample`` (ViS4mer's rule): evaluation takes evenly
  spaced clips; training draws a random sorted subset each time — with 1,249 windows
  and 200 clips 84 % of the recording is unseen at every step.

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


def pool_chunks(
    seq: np.ndarray,
    tokens_per_clip: int,
    n_clips: int,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Mean of ``n_clips`` consecutive chunks of a long (n_tokens, D) sequence.

    Returns (n_clips · tokens_per_clip, D); token j of chunk c is the mean of token j of
    the chunk's clips. Needs more clips than ``n_clips`` (shorter ones: :func:`resample`).
    """
    t = tokens_per_clip
    n = seq.shape[0] // t
    if n <= n_clips:
        return resample(seq, t, n_clips)[0]
    if isinstance(seq, LazyTokenSequence):
        seq = np.asarray(seq)  # every clip is averaged in: read this one video whole
    if rng is not None:
        cuts = np.sort(rng.choice(np.arange(1, n), size=n_clips - 1, replace=False))
    else:
        cuts = np.floor(np.arange(1, n_clips) * n / n_clips).astype(np.int64)
    starts = np.concatenate([[0], cuts]).astype(np.int64)  # (n_clips,)
    lengths = np.diff(np.concatenate([starts, [n]]))  # (n_clips,)
    clips = seq[: n * t].reshape(n, t * seq.shape[1]).astype(np.float64)  # (n, t·D)
    sums = np.add.reduceat(clips, starts, axis=0)  # (n_clips, t·D)
    means = sums / lengths[:, None]
    return means.reshape(n_clips * t, seq.shape[1])


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
    long_videos: str = "pool",
) -> np.ndarray:
    """Stack resampled sequences: (B, n_clips · tokens_per_clip, D) float32.

    ``long_videos`` (pool or subsample) says how videos longer than ``n_clips`` shrink.
    """
    if long_videos == "pool":
        out = [pool_chunks(s, tokens_per_clip, n_clips, rng) for s in seqs]
    else:
        out = [resample(s, tokens_per_clip, n_clips, rng)[0] for s in seqs]
    return np.stack(out).astype(np.float32)
