"""``painscope cv --jobs N``: the same fits in local worker processes, same results."""

from __future__ import annotations

import functools

import pytest

from painscope.distributed.local_cv import default_jobs, process_map_jobs
from tests.distributed.cv_case import assert_parallel_cv_equals_serial


def _square(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative job {x}")
    return x * x


def test_outcomes_come_back_in_job_order():
    assert list(process_map_jobs(_square, [3, 1, 2, 0], workers=2)) == [9, 1, 4, 0]
    assert list(process_map_jobs(_square, [3, 1], workers=1)) == [9, 1]
    assert default_jobs() >= 1


def test_a_failing_job_raises_its_own_error():
    with pytest.raises(ValueError, match="negative job -1"):
        list(process_map_jobs(_square, [1, -1, 2], workers=2))


def test_local_jobs_cv_equals_serial(tmp_path):
    assert_parallel_cv_equals_serial(
        tmp_path,
        functools.partial(process_map_jobs, workers=2),
        serial=functools.partial(process_map_jobs, workers=1),
        name="jobs",
    )


def _blas_threads(_: int) -> list[int]:
    import scipy.linalg  # noqa: F401
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_info

    return [d["num_threads"] for d in threadpool_info() if d["user_api"] == "blas"]


def test_workers_hold_blas_to_one_thread():
    """Two workers on two cores with two BLAS threads each oversubscribe the machine."""
    for threads in process_map_jobs(_blas_threads, [0, 1], workers=2):
        assert threads and set(threads) == {1}
    assert set(next(process_map_jobs(_blas_threads, [0], workers=1))) == {1}
