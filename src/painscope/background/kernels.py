"""Compiled (numba) inner loops of the exact median histogram.

Imported lazily by :class:`~painscope.background.median.MedianAccumulator`: importing numba
costs ~0.5 s and compiling these loops ~1 s the first time (then cached on disk beside this
file, or in numba's user cache when the package folder is read-only).

Why this layout (measured on 1280 × 1024 frames, BENCHMARKS.md "Exact median"): a chunk of
frames is buffered in strips (:func:`strips_shape`) and added pixel tile by pixel tile, so a
tile's counters (``tile × 256`` counts, 16 KiB for 32 uint16 pixels) stay in L1 while every
frame of the chunk is added, and consecutive increments go to different pixels (no
store-to-load dependency chain on one bin). The loops release the GIL, so a chunk can be
added in a worker thread while the decoder fills the next one.
"""

from __future__ import annotations

import numpy as np
from numba import njit

TILE = 32  # pixels per tile (16–64 were fastest, within noise; 4–8 and ≥ 4096 slower)
STRIP = (
    8192  # pixels per strip of the chunk buffer (2,048–16,384 alike; a whole frame: 2.4× slower)
)


def strips_shape(n_pixels: int, chunk_frames: int) -> tuple[int, int, int]:
    """Shape of the chunk buffer: (strips, frames, pixels per strip), the last strip padded.

    A frame is stored as consecutive strips of ``STRIP`` pixels, and each strip keeps its
    ``chunk_frames`` rows together, so the counting loop reads a tile of every frame within
    a few pages (a frame-major (frames, pixels) buffer puts 1.3 MB between two frames' tiles:
    measured 2.4× slower at 1280 × 1024, for TLB and prefetch misses).
    """
    strip = min(STRIP, max(1, n_pixels))
    return -(-n_pixels // strip), chunk_frames, strip


def store_frame(buffer: np.ndarray, f: int, frame: np.ndarray) -> None:
    """Copy a flat (P,) uint8 frame into row ``f`` of a :func:`strips_shape` buffer."""
    n_strips, _, strip = buffer.shape
    full = (len(frame) // strip) * strip
    if full:
        buffer[: full // strip, f, :] = frame[:full].reshape(-1, strip)
    if full < len(frame):
        buffer[n_strips - 1, f, : len(frame) - full] = frame[full:]


@njit(nogil=True, cache=True)
def add_chunk(
    buffer: np.ndarray, n: int, n_pixels: int, counts: np.ndarray, g0: int = 0, g1: int = -1
) -> None:  # pragma: no cover
    """Add frames ``0..n-1`` of a :func:`strips_shape` buffer to ``counts`` (P, 256) in place.

    Only strips ``g0 .. g1 - 1`` (``g1`` = -1: to the last), so that threads given disjoint
    strip ranges touch disjoint counters. Both arrays C-contiguous. The indices are unsigned
    64-bit on purpose: numba then emits no negative-index wrap-around test per access
    (measured 1.4× faster than plain ``counts[p, chunk[f, p]] += 1`` with ``range`` indices).
    """
    flat = counts.reshape(-1)  # (P · 256,)
    values = buffer.reshape(-1)  # (strips · N · S,)
    frames = np.uint64(buffer.shape[1])
    strip = np.uint64(buffer.shape[2])
    tile = np.uint64(TILE)
    one = counts.dtype.type(1)
    total = np.uint64(n_pixels)
    for g in range(g0, buffer.shape[0] if g1 < 0 else g1):
        first = np.uint64(g) * strip  # first pixel of this strip
        width = min(strip, total - first)
        block = np.uint64(g) * frames * strip  # where this strip's rows start in ``values``
        start = np.uint64(0)
        while start < width:
            stop = min(start + tile, width)
            for f in range(n):
                row = block + np.uint64(f) * strip
                p = start
                while p < stop:
                    flat[(first + p) * np.uint64(256) + np.uint64(values[row + p])] += one
                    p += np.uint64(1)
            start = stop


@njit(nogil=True, cache=True)
def read_median(
    counts: np.ndarray, k_lo: int, k_hi: int, out: np.ndarray, p0: int = 0, p1: int = -1
) -> None:  # pragma: no cover
    """Mean of the bins holding ranks ``k_lo`` and ``k_hi`` (1-based) of every pixel.

    ``counts`` (P, 256) with at least ``k_hi`` counts per row; ``out`` (P,) float32. Only
    pixels ``p0 .. p1 - 1`` (``p1`` = -1: to the last), so threads can share the read-out.
    """
    for p in range(p0, counts.shape[0] if p1 < 0 else p1):
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
    add_chunk(np.zeros(strips_shape(1, 1), dtype=np.uint8), 1, 1, counts, 0, -1)  # a frame of 0
    read_median(counts, 1, 1, np.empty(1, dtype=np.float32), 0, -1)
