"""Exact per-pixel temporal median of an 8-bit video in one streaming pass.

The paper removes the static cage by taking, for every pixel, the median
brightness over *all* frames of the 5-min video and subtracting it from every
frame. Holding all frames (5 min × 30 fps × 1280 × 1024 = 11.8 GB of luma) to
call ``np.median`` is out of the question, and sub-sampling frames would only
approximate it. Instead :class:`MedianAccumulator` keeps a 256-bin histogram per
pixel: one decode pass fills it, and the median is read off the cumulative
histogram. The result is bit-for-bit what ``np.median(frames, axis=0)`` gives
(for an even frame count, the mean of the two middle values, so it can end in .5).

Speed: the counting loop is compiled with numba (:mod:`painscope.background.kernels`:
pixel tiles whose counters stay in L1 over a chunk of frames) and runs in a worker thread
beside the decoder; a pure-numpy path (tiled ``np.bincount``, ~10× slower) is the reference
and the fallback when numba does not import. Both give the same counts, bit for bit.

Memory: ``height × width × 256`` counters — uint16 while the video has fewer
than 65,535 frames (36 min at 30 fps), uint32 beyond: 640 MiB (1.25 GiB) for
1280 × 1024, independent of the video's length — plus two 128-frame chunk buffers
(2 × 160 MiB at 1280 × 1024; one with ``overlap=False``): 960 MiB in all (800 MiB) for a
video of any length under 36 min.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Literal

import numpy as np

from painscope.io import pages

Difference = Literal["absolute", "positive", "negative"]


def middle_ranks(n_frames: int) -> tuple[int, int]:
    """1-based ranks of the two middle values of ``n_frames`` (equal when odd).

    Their mean is what ``np.median`` returns, so both accumulators read these two ranks
    off the cumulative histogram.
    """
    if n_frames == 0:
        raise ValueError("no frames were added")
    return (n_frames + 1) // 2, n_frames // 2 + 1


def check_frame(frame: np.ndarray, shape: tuple[int, int]) -> None:
    """Frames added to a median accumulator must all be (height, width) uint8."""
    if frame.shape != shape or frame.dtype != np.uint8:
        raise ValueError(f"expected a {shape} uint8 frame, got {frame.shape} {frame.dtype}")


Backend = Literal["auto", "numba", "numpy"]


def numba_available() -> bool:
    """True when the compiled histogram loops import (numba installed and working)."""
    try:
        import painscope.background.kernels  # noqa: F401
    except Exception:  # numba missing, or built for another numpy
        return False
    return True


class MedianAccumulator:
    """Streaming per-pixel histogram of 8-bit frames.

    Parameters
    ----------
    shape : (height, width) of the frames
    expected_frames : a hint to choose the counter width (uint16 below 65,535 frames);
        the counters are widened automatically if the hint was low.
    chunk_frames : frames buffered before they are added tile by tile (cache-friendly).
    backend : ``numba`` (compiled loops; counting measured 4–10× faster), ``numpy`` (tiled ``np.bincount``,
        the reference), or ``auto``: numba when it imports, else numpy. Same result, bit
        for bit.
    overlap : with numba, add a full chunk in a worker thread while :meth:`update` fills a
        second chunk buffer (the loop releases the GIL), so decoding and counting can run on
        two cores; costs a second chunk buffer. On by default: on the 2-core machine of
        BENCHMARKS.md it beat counting in the caller's thread in wall and CPU time (with
        128-frame strip buffers; with 64-frame frame-major buffers it had not).

    count_threads : with numba and ``overlap``, add each chunk in this many threads, each
        over its own strips of pixels (disjoint counters: the same counts). For a machine
        with idle cores; the default 1 is one counting thread.

    Memory: ``height × width × 256`` counters (uint16: 640 MiB at 1280 × 1024) plus one chunk
    (two with ``overlap``) of ``chunk_frames × height × width`` bytes (128 frames: 160 MiB).
    """

    def __init__(
        self,
        shape: tuple[int, int],
        *,
        expected_frames: int = 0,
        chunk_frames: int = 128,
        backend: Backend = "auto",
        overlap: bool = True,
        count_threads: int = 1,
    ) -> None:
        if backend not in ("auto", "numba", "numpy"):
            raise ValueError(f"unknown backend {backend!r}; use auto, numba or numpy")
        if chunk_frames < 1:
            raise ValueError(f"chunk_frames must be ≥ 1, got {chunk_frames}")
        self.shape = (int(shape[0]), int(shape[1]))
        self.n_pixels = self.shape[0] * self.shape[1]
        if backend == "auto":
            backend = "numba" if numba_available() else "numpy"
        self.backend: Backend = backend
        dtype = np.uint16 if expected_frames < np.iinfo(np.uint16).max else np.uint32
        if backend == "numba":
            from painscope.background import kernels

            self._kernels = kernels
            kernels.warm_up(dtype)
        self.n_frames_ = 0  # frames in counts_ once every chunk is added (see _flush)
        layout: tuple[int, ...] = (chunk_frames, self.n_pixels)  # numpy: (N, P)
        if backend == "numba":  # (strips, N, pixels per strip)
            layout = self._kernels.strips_shape(self.n_pixels, chunk_frames)
        self._buffers = [pages.zeros(layout, np.uint8)]  # the first chunk fills this one
        self._chunk_frames = chunk_frames
        self._chunk = self._buffers[0]
        self._count_threads = max(1, int(count_threads))
        self._filled = 0
        self._worker: threading.Thread | None = None
        self._worker_error: BaseException | None = None
        # numpy: pixels per tile, so a tile's counters (tile × 256 × itemsize) stay in L2
        self._tile = max(256, (1 << 20) // (256 * np.dtype(dtype).itemsize))
        self._offsets = np.arange(self._tile, dtype=np.int32) * 256
        # the counters (640 MiB at 1280 × 1024) and, with overlap, the second chunk buffer are
        # mapped in a thread while the first chunk's frames are decoded (mapping releases the
        # GIL); the first use of either waits for it (:meth:`_mapped`)
        second = layout if overlap and backend == "numba" else None
        self._mapper: threading.Thread | None = None
        self._map_error: BaseException | None = None
        if second is None:
            self._map(dtype, None)
            self._mapped()  # raise a mapping error here, in the constructor
        else:
            self._mapper = threading.Thread(target=self._map, args=(dtype, second), daemon=True)
            self._mapper.start()

    def _map(self, dtype: type[np.unsignedinteger], second: tuple[int, ...] | None) -> None:
        """Map the counters (and ``second``, the other chunk buffer); an error (no memory)
        is kept for :meth:`_mapped` to raise in the caller's thread."""
        try:
            self._counts = pages.zeros((self.n_pixels, 256), dtype)  # (P, 256), see io/pages.py
            if second is not None:
                self._buffers.append(pages.zeros(second, np.uint8))
        except BaseException as err:
            self._map_error = err

    def _mapped(self) -> None:
        """Block until :meth:`_map` (if run in a thread) has finished; raise its error."""
        if self._mapper is not None:
            self._mapper.join()
            self._mapper = None
        if self._map_error is not None:
            raise self._map_error

    @property
    def counts_(self) -> np.ndarray:
        """(P, 256) per-pixel histogram (uint16, or uint32 once a count could overflow)."""
        self._mapped()
        return self._counts

    @counts_.setter
    def counts_(self, value: np.ndarray) -> None:
        self._mapped()
        self._counts = value

    def update(self, frame: np.ndarray) -> None:
        """Add one (height, width) uint8 frame."""
        check_frame(frame, self.shape)
        if self.backend == "numba":
            self._kernels.store_frame(self._chunk, self._filled, frame.reshape(-1))
        else:
            self._chunk[self._filled] = frame.reshape(-1)
        self._filled += 1
        if self._filled == self._chunk_frames:
            self._submit()

    def _submit(self) -> None:
        """Start adding the filled chunk; the next frames go to the other buffer."""
        n = self._filled
        if n == 0:
            return
        self._wait()
        if self.counts_.dtype == np.uint16 and self.n_frames_ + n >= np.iinfo(np.uint16).max:
            self.counts_ = self.counts_.astype(np.uint32)
        chunk, self.n_frames_, self._filled = self._chunk, self.n_frames_ + n, 0
        if self.backend == "numpy":
            self._add_numpy(chunk[:n])
            return
        if len(self._buffers) == 1:  # (counts_ above waited for the mapping)
            self._kernels.add_chunk(chunk, n, self.n_pixels, self.counts_, 0, -1)
            return
        self._chunk = self._buffers[1] if chunk is self._buffers[0] else self._buffers[0]
        self._worker = threading.Thread(
            target=self._add_numba, args=(chunk, n, self.counts_), daemon=True
        )
        self._worker.start()

    def _add_numba(self, chunk: np.ndarray, n: int, counts: np.ndarray) -> None:
        try:
            self._in_threads(self._kernels.add_chunk, chunk.shape[0], chunk, n, self.n_pixels,
                             counts)  # fmt: skip
        except BaseException as err:  # re-raised by _wait in the caller's thread
            self._worker_error = err

    def _in_threads(self, loop: Callable[..., None], n_items: int, *args: object) -> None:
        """``loop(*args, lo, hi)`` over ``count_threads`` disjoint ranges of ``n_items``.

        The compiled loops release the GIL, so the ranges run in parallel; the first range
        runs in the calling thread. An error in any range is raised here.
        """
        k = min(self._count_threads, max(1, n_items))
        bounds = [n_items * i // k for i in range(k + 1)]
        errors: list[BaseException] = []

        def run(lo: int, hi: int) -> None:
            try:
                loop(*args, lo, hi)
            except BaseException as err:
                errors.append(err)

        helpers = [
            threading.Thread(target=run, args=(lo, hi), daemon=True)
            for lo, hi in itertools.pairwise(bounds[1:])
        ]
        for helper in helpers:
            helper.start()
        run(0, bounds[1])
        for helper in helpers:
            helper.join()
        if errors:
            raise errors[0]

    def _wait(self) -> None:
        """Block until the chunk being added in the worker thread is in ``counts_``."""
        if self._worker is not None:
            self._worker.join()
            self._worker = None
        if self._worker_error is not None:
            err, self._worker_error = self._worker_error, None
            raise err

    def _flush(self) -> None:
        """Add the frames buffered so far; ``counts_`` is complete afterwards."""
        self._submit()
        self._wait()

    def _add_numpy(self, chunk: np.ndarray) -> None:
        """Tiled ``np.bincount`` over a (n, P) uint8 chunk: the pure-numpy reference path."""
        for start in range(0, self.n_pixels, self._tile):
            stop = min(start + self._tile, self.n_pixels)
            width = stop - start
            # bin index of every (frame, pixel) inside this tile: pixel * 256 + value
            idx = chunk[:, start:stop] + self._offsets[None, :width]  # (n, width) int32
            hist = np.bincount(idx.reshape(-1), minlength=width * 256)
            self.counts_[start:stop] += hist.reshape(width, 256).astype(self.counts_.dtype)

    def median(self) -> np.ndarray:
        """The exact per-pixel median so far: float32 array of shape (height, width)."""
        self._flush()
        k_lo, k_hi = middle_ranks(self.n_frames_)
        out = np.empty(self.n_pixels, dtype=np.float32)
        if self.backend == "numba":
            self._in_threads(
                self._kernels.read_median, self.n_pixels, self.counts_, k_lo, k_hi, out
            )
            return out.reshape(self.shape)
        step = 1 << 14
        for start in range(0, self.n_pixels, step):
            cum = self.counts_[start : start + step].cumsum(axis=1, dtype=np.uint32)  # (p, 256)
            lo = (cum < k_lo).sum(axis=1)  # first bin whose cumulative count reaches k_lo
            hi = (cum < k_hi).sum(axis=1)
            out[start : start + step] = (lo + hi) / 2.0
        return out.reshape(self.shape)


def temporal_median(frames: np.ndarray) -> np.ndarray:
    """Exact per-pixel median of a (n_frames, height, width) uint8 stack, via the histogram."""
    acc = MedianAccumulator(frames.shape[1:3], expected_frames=len(frames))
    for frame in frames:
        acc.update(frame)
    return acc.median()


def foreground(
    frames: np.ndarray, background: np.ndarray, difference: Difference = "absolute"
) -> np.ndarray:
    """Remove the background from brightness frames.

    Parameters
    ----------
    frames : uint8 array of shape (..., height, width)
    background : float32 array of shape (height, width), from :meth:`MedianAccumulator.median`
    difference : ``absolute`` |frame − bg| (default: a mouse darker or brighter than the
        floor both survive); ``positive`` max(frame − bg, 0); ``negative`` max(bg − frame, 0)

    Returns
    -------
    float32 array, same shape as ``frames``, values in [0, 255]
    """
    diff = frames.astype(np.float32) - background
    if difference == "absolute":
        return np.abs(diff)
    if difference == "positive":
        return np.maximum(diff, 0.0)
    if difference == "negative":
        return np.maximum(-diff, 0.0)
    raise ValueError(f"unknown difference {difference!r}")
