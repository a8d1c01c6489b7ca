"""Large zeroed arrays in their own memory map (io/pages.py)."""

from __future__ import annotations

import mmap

import numpy as np
import pytest

from painscope.io import pages


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32])
def test_large_arrays_are_zeroed_writable_maps(dtype: type) -> None:
    shape = (3 * 2**20 // np.dtype(dtype).itemsize + 7, 3)  # > 4 MiB, not a page multiple
    out = pages.zeros(shape, dtype)
    assert out.shape == shape and out.dtype == dtype and out.flags.c_contiguous
    assert out.flags.writeable and not out.any()
    base = out
    while isinstance(base, np.ndarray):  # reshape view -> frombuffer array -> the map
        base = base.base
    assert isinstance(base, memoryview | mmap.mmap)  # not numpy's own (huge-page) allocation
    out[-1, -1] = 5
    out.reshape(-1)[0] += 1
    assert out[-1, -1] == 5 and out[0, 0] == 1 and int(out.sum()) == 6


def test_small_arrays_are_plain_numpy() -> None:
    out = pages.zeros((16, 256), np.uint16)
    assert out.base is None and out.flags.owndata and not out.any()


def test_no_memory_is_a_memory_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOMEM, "Cannot allocate memory")

    monkeypatch.setattr(pages.mmap, "mmap", refuse)
    with pytest.raises(MemoryError, match=r"cannot map 8 MiB .*Cannot allocate memory"):
        pages.zeros((2**22,), np.uint16)


def test_release_free_memory_is_safe_to_call() -> None:
    import platform

    freed = [np.ones(2**18) for _ in range(8)]  # 16 MiB of heap blocks, then freed
    del freed
    got = pages.release_free_memory()
    assert isinstance(got, bool)
    if platform.libc_ver()[0] == "glibc":  # the real malloc_trim is found and called
        assert callable(pages._malloc_trim())
