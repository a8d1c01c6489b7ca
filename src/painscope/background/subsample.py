"""The fast, approximate option: the median of N evenly spaced frames (``background_frames``).

The exact median counts every frame (the default, ``background_frames: 0``). With
``background_frames: N`` only N frames spread evenly over the video are counted: every frame
is still decoded (H.264 cannot skip frames cheaply), but the counting work falls by
``n_frames / N`` and the median is the exact median *of those N frames*, which differs from
the full median by a gray level or so on real videos (BENCHMARKS.md, "Exact median").

How a caller uses it::

    keep = sample_mask(info.n_frames, config.background_frames)  # None = every frame
    acc = MedianAccumulator(shape, expected_frames=n_sampled(info.n_frames, N))
    for frame in iter_frames(path):
        if keep is None or (frame.index < len(keep) and keep[frame.index]):
            acc.update(frame.image)

When the container does not state its frame count (``n_frames`` 0) every frame is used.
"""

from __future__ import annotations

import numpy as np


def sample_indices(n_frames: int, background_frames: int) -> np.ndarray:
    """Indices of ``background_frames`` frames spread evenly over ``n_frames``.

    Frame ``i`` of the sample is the one at the middle of the ``i``-th of N equal stretches
    of the video: ``floor((i + 0.5) · n_frames / N)``, so the indices are distinct, increasing
    and symmetric about the video's middle. ``background_frames`` 0 or ≥ ``n_frames``
    (or ``n_frames`` 0, unknown) selects every frame.

    Returns
    -------
    int64 array of shape (min(N, n_frames),), or (n_frames,) for every frame
    """
    if n_frames < 0 or background_frames < 0:
        raise ValueError(
            f"n_frames and background_frames must be >= 0: {n_frames}, {background_frames}"
        )
    if background_frames == 0 or background_frames >= n_frames:
        return np.arange(n_frames, dtype=np.int64)
    i = np.arange(background_frames, dtype=np.int64)
    return (2 * i + 1) * n_frames // (2 * background_frames)


def sample_mask(n_frames: int, background_frames: int) -> np.ndarray | None:
    """Boolean (n_frames,) mask of the frames to count, or None for every frame (exact)."""
    if background_frames == 0 or n_frames == 0 or background_frames >= n_frames:
        return None
    mask = np.zeros(n_frames, dtype=bool)
    mask[sample_indices(n_frames, background_frames)] = True
    return mask


def n_sampled(n_frames: int, background_frames: int) -> int:
    """How many frames :func:`sample_mask` keeps (the accumulator's ``expected_frames``)."""
    if background_frames == 0 or n_frames == 0:
        return n_frames
    return min(background_frames, n_frames)
