"""Cross-validation fits as Ray tasks (``painscope cv --ray``).

Each (method, round) fit of :func:`painscope.train.cv.run_cv` is an independent job:
it reads its videos' sequences from the project folder, trains, writes its own
checkpoint and returns its predictions. :func:`ray_map_jobs` runs such jobs as Ray
tasks and returns their outcomes in job order, so the run folder is assembled
exactly as in the serial run.

Ray's known pitfalls, and what is done about them:

- *Large objects through the object store*: a job carries paths and settings, never
  sequences or decoded frames; each task loads its own videos from the shared
  project folder.
- *Thread oversubscription*: Ray sets ``OMP_NUM_THREADS`` to a task's ``num_cpus``;
  each task asks for ``cpus_per_job`` CPUs and the fit sets torch's thread count to
  match, so results do not depend on how many tasks share a node. The serial path
  runs with the same thread count, which is what makes the two bit-identical.
- *GPU tasks left pending*: a task asks for ``gpus_per_job`` (a fraction, e.g. 0.25
  for four fits per GPU) only when the cluster has GPUs, and never more CPUs than one
  node has.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from painscope.distributed.ray_runtime import connect
from painscope.errors import PainscopeError

J = TypeVar("J")
R = TypeVar("R")


def ray_map_jobs(
    fn: Callable[[J], R],
    jobs: Sequence[J],
    *,
    address: str | None = None,
    cpus_per_job: int = 1,
    gpus_per_job: float | None = None,
) -> Iterator[R]:
    """``fn(job) for job in jobs``, each call a Ray task; outcomes yielded in job order.

    Every task is submitted at once; outcomes are yielded as soon as they and all
    earlier ones are done (so the caller can record progress).

    Parameters
    ----------
    fn : a module-level function (Ray ships it by reference)
    jobs : small picklable job descriptions (paths and settings, not data)
    address : ``local`` (start a cluster here; also None), ``auto`` or ``HOST:PORT``
    cpus_per_job : CPUs each task reserves (and torch threads it uses)
    gpus_per_job : GPU share per task; default 0.25 when the cluster has GPUs, else 0
    """
    ray, started_here = connect(address)
    if gpus_per_job is None:
        gpus_per_job = 0.25 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
    task = ray.remote(num_cpus=cpus_per_job, num_gpus=gpus_per_job, max_retries=0)(_call)
    fn_ref = ray.put(fn)  # shipped once (a partial carrying the run's shared context)
    refs = [task.remote(fn_ref, job, cpus_per_job) for job in jobs]
    try:
        for ref in refs:
            try:
                yield ray.get(ref)
            except ray.exceptions.RayTaskError as err:
                cause = err.as_instanceof_cause()
                if isinstance(cause, PainscopeError):
                    raise PainscopeError(cause.message, fix=cause.fix) from None
                raise
    finally:
        for ref in refs:  # a failed or abandoned run leaves no tasks behind
            ray.cancel(ref)
        if started_here:
            ray.shutdown()


def _call(fn: Callable[[J], R], job: J, threads: int) -> R:
    """A Ray task: one job with the CPU threads the task reserved (torch's and BLAS's)."""
    import torch

    from painscope.distributed.local_cv import blas_limits

    torch.set_num_threads(threads)
    with blas_limits(threads):
        return fn(job)
