"""Cross-validation fits in local worker processes (``painscope cv --jobs N``).

The one-machine counterpart of :mod:`painscope.distributed.ray_cv`, with no extra
dependency: each (method, round) fit of :func:`painscope.train.cv.run_cv` runs in one
of ``N`` worker processes with one torch thread each, and the outcomes come back in job
order, so the run folder is assembled exactly as in the serial run.

Why processes with one thread each: the demo-size and ``d_model: auto`` models are
small, and torch's intra-op threads gain little on them (measured: a 2-thread fit uses
~1.2 cores), while two single-thread fits use both cores fully. The BLAS libraries that
numpy and scipy load (the logistic regressions' solver) are held to one thread as well:
with their default of one thread per core, two workers on two cores oversubscribe, and
OpenBLAS's spinning threads then made the same regression 10-50x slower (measured).

The workers are started with ``spawn`` (not ``fork``): the parent may already hold
torch's OpenMP pool or numba's threads from extraction, which a forked child inherits
in a broken state. Each worker imports torch once (~2 s) and then runs many fits.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

J = TypeVar("J")
R = TypeVar("R")


def default_jobs() -> int:
    """The CPUs this process may use (affinity-aware), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS / Windows
        return max(1, os.cpu_count() or 1)


def blas_limits(threads: int) -> Any:
    """``threadpoolctl.threadpool_limits`` for the BLAS libraries of numpy *and* scipy:
    scipy's own OpenBLAS is loaded first (via scikit-learn's solvers), because a limit
    only reaches the libraries already loaded. Use as a context manager, or keep it."""
    import sklearn.linear_model  # noqa: F401  (loads scipy's BLAS)
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads, user_api="blas")


def _init_worker() -> None:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"  # for a BLAS loaded later in this worker
    import torch

    torch.set_num_threads(1)
    blas_limits(1)  # kept for the worker's life


def process_map_jobs(fn: Callable[[J], R], jobs: Sequence[J], *, workers: int) -> Iterator[R]:
    """``fn(job) for job in jobs`` in ``workers`` spawned processes; outcomes in job order.

    ``fn`` and the jobs must pickle (a module-level function or a partial of one).
    ``workers <= 1`` runs in this process, one torch thread, the same arithmetic.
    A failing fit raises here, with its own exception, and the pool is shut down
    without starting the remaining jobs.
    """
    if workers <= 1 or len(jobs) <= 1:
        import torch

        before = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            with blas_limits(1):
                yield from map(fn, jobs)
        finally:
            torch.set_num_threads(before)
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)), mp_context=context, initializer=_init_worker
    )
    futures = [pool.submit(fn, job) for job in jobs]
    try:
        for future in futures:
            yield future.result()
    finally:
        for future in futures:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
