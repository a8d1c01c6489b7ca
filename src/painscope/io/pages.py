"""Host memory of long runs: large arrays without a huge-page stall; freed memory returned.

numpy asks Linux for transparent huge pages (``madvise(MADV_HUGEPAGE)``) on every array
of 4 MiB or more. Where the kernel honours that request by compacting memory on the
spot (``/sys/kernel/mm/transparent_hugepage/defrag`` = ``madvise``, the common default),
the first touch of a fresh array stalls while free 2 MiB blocks are assembled — worst on
a machine whose memory is full of page cache, i.e. one that has just read videos.
Measured on the 2-core VM of BENCHMARKS.md ("Huge pages", session 11): first touch of
the median's 640 MiB of counters 0.08–1.7 s with numpy's request (fast only while free
2 MiB blocks happen to exist), 0.30 s without it, 0.18 s mapped at once; counting afterwards
is equally fast either way (the counting tiles are L1-sized).

:func:`zeros` gives a zero-filled array in its own anonymous memory map, which numpy
does not advise, so the kernel's default page policy applies. The exact median's counters
and chunk buffers use it. Turning numpy's request off for the whole process
(``NUMPY_MADVISE_HUGEPAGE=0``) was measured too and gained nothing more (a whole one-video
extraction 6.6 s either way, against 7.9 s before).

:func:`release_free_memory` hands the C heap's free pages back to the operating system
(glibc's ``malloc_trim``). The clip pass allocates and frees thousands of frame-sized blocks
in several threads, each with its own glibc arena, and glibc keeps most of them: measured
(session 11) a serial extraction's peak RSS grew 1.85 → 2.34 → 2.43 → 2.54 → 2.66 GB for 1,
2, 4, 8 and 16 videos of 1280 × 1024. After each video, ``malloc_trim`` gave back 0.3–0.4 GB,
and the peak stayed at 1.9–2.15 GB (8–20 ms per call).
"""

from __future__ import annotations

import ctypes
import functools
import math
import mmap

import numpy as np

#: arrays smaller than this come from numpy (numpy only advises huge pages from 4 MiB)
MIN_MAPPED_BYTES = 4 * 2**20
# Linux: map every page at once (one call, measured 0.18 s for 640 MiB, against 0.30 s for
# faulting them in one by one while counting); elsewhere mmap's defaults
_MAP_FLAGS = (
    {"flags": mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE}
    if hasattr(mmap, "MAP_POPULATE")
    else {}
)


def zeros(shape: tuple[int, ...], dtype: np.dtype | type) -> np.ndarray:
    """``np.zeros(shape, dtype)`` in an anonymous memory map (no huge-page request).

    The map is released when the array (and every view of it) is garbage collected.
    Small arrays are plain ``np.zeros``. No memory for the map raises ``MemoryError``, as
    numpy does.
    """
    dt = np.dtype(dtype)
    nbytes = math.prod(shape) * dt.itemsize
    if nbytes < MIN_MAPPED_BYTES:
        return np.zeros(shape, dtype=dt)
    try:
        block = mmap.mmap(-1, nbytes, **_MAP_FLAGS)  # anonymous, private, zero-filled
    except OSError as err:  # ENOMEM and the like: the same error as numpy's for no memory
        raise MemoryError(f"cannot map {nbytes / 2**20:.0f} MiB for an array {shape} "
                          f"{dt}: {err.strerror or err}") from err  # fmt: skip
    return np.frombuffer(block, dtype=dt, count=math.prod(shape)).reshape(shape)


@functools.lru_cache(maxsize=1)
def _malloc_trim() -> object | None:
    """glibc's ``malloc_trim`` (None on other C libraries and systems)."""
    try:  # the symbols already loaded into this process, the C library's among them
        return getattr(ctypes.CDLL(None), "malloc_trim", None)
    except (OSError, TypeError):  # Windows: no handle for the process itself
        return None


def release_free_memory() -> bool:
    """Return the C heap's free memory to the operating system; True if glibc did.

    Called after every video, so a worker's resident memory goes back to what one video
    needs (a few ms). A no-op returning False where the C library has no ``malloc_trim``.
    """
    trim = _malloc_trim()
    return bool(trim(0)) if callable(trim) else False
