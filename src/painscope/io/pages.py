"""Large host arrays that do not wait for the kernel to assemble huge pages.

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
"""

from __future__ import annotations

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
