"""Compiled (numba) inner loops of the exact median histogram.

Imported lazily by :class:`~painscope.background.median.MedianAccumulator`: importing numba
costs ~0.5 s and compiling these loops ~1 s the first time (then cached on disk beside this
file, or in numba's user cache when the package folder is read-only).

Why this layout (measured on 1280 × 1024 frames, BENCHMARKS.md "Exact median"): a chunk of
frames is buffered as ``(n_frames, n_pixels)`` uint8 and added pixel tile by pixel tile, so a
tile's counters (``tile × 256`` counts, 16 KiB for 32 uint16 pixels) stay in L1 while every
frame of the chunk is added, and consecutive increments go to different pixels (no
store-to-load dependency chain on one bin). The loops release the GIL, so a chunk can be
added in a worker thread while the decoder fills the next one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TILE = 32  # pixels per tile (16–64 were fastest, within noise; 4–8 and ≥ 4096 slower)


@njit(nogil=True, cache=True)
def add_chunk(chunk: np.ndarray, n: int, counts: np.ndarray) -> None:  # pragma: no cover
    """Add the first ``n`` rows of ``chunk`` (N, P) uint8 to ``counts`` (P, 256) in place.

    Both arrays C-contiguous. The indices are unsigned 64-bit on purpose: numba then emits no
    negative-index wrap-around test per access (measured 1.4× faster than plain
    ``counts[p, chunk[f, p]] += 1`` with ``range`` indices).
    """
    flat = counts.reshape(-1)  # (P · 256,)
    values = chunk.reshape(-1)  # (N · P,)
    n_pixels = np.uint64(chunk.shape[1])
    tile = np.uint64(TILE)
    one = counts.dtype.type(1)
    start = np.uint64(0)
    while start < n_pixels:
        stop = min(start + tile, n_pixels)
        for f in range(n):
            row = np.uint64(f) * n_pixels
            p = start
            while p < stop:
                flat[p * np.uint64(256) + np.uint64(values[row + p])] += one
                p += np.uint64(1)
        start += tile


@njit(nogil=True, cache=True)
def read_median(
    counts: np.ndarray, k_lo: int, k_hi: int, out: np.ndarray
) -> None:  # pragma: no cover
    """Mean of the bins holding ranks ``k_lo`` and ``k_hi`` (1-based) of every pixel.

    ``counts`` (P, 256) with at least ``k_hi`` counts per row; ``out`` (P,) float32.
    """
    for p in range(counts.shape[0]):
        below = 0  # counts in the bins before ``b``
        b = 0
        while below + counts[p, b] < k_lo:
            below += counts[p, b]
            b += 1
        lo = b
        while below + counts[p, b] < k_hi:
            below += counts[p, b]
            b += 1
        out[p] = (lo + b) / 2.0


def warm_up(dtype: type[np.unsignedinteger]) -> None:
    """Compile (or load from the disk cache) both loops for ``dtype`` counters now.

    Called when an accumulator is built, so the ~0.5–1.5 s this takes once per process is not
    charged to the first chunk of frames.
    """
    counts = np.zeros((1, 256), dtype=dtype)
    add_chunk(np.zeros((1, 1), dtype=np.uint8), 1, counts)  # one frame of value 0
    read_median(counts, 1, 1, np.empty(1, dtype=np.float32))
