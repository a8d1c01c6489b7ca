"""``painscope extract PROJECT --ray ADDRESS``: the per-video work as Ray tasks and actors.

* One **CPU task per video** (``num_cpus=1``) runs the same
  :func:`~painscope.features.pipeline.extract_one` as a serial run — lock, re-check, decode,
  background, clip pass, frame observers, atomic writes into the shared project folder. It
  receives a :class:`~painscope.features.jobs.VideoJob` (paths and strings), never decoded
  frames; only its compact clip batches (B, C, T, h, w) float32 go to the backbone.
* One **backbone actor per GPU** (``num_gpus=1, num_cpus=0``) builds the model *inside* the
  actor (never on the driver) and runs the batches. ``num_cpus=0`` keeps the actors from
  holding CPUs that the video tasks need, so neither side is left pending.
* On a cluster **without GPUs** (or ``extract.device: cpu``) there is no actor: each video
  task runs the backbone itself on its own CPU, with a model built once per Ray worker
  process and reused for the later videos it gets. One shared CPU actor would serialise
  every task's backbone work on one core and add a round trip per batch (measured: Ray
  0.80x of serial on 2 CPUs with it).
* The driver collects the results as they finish (``ray.wait``); a task that raised or whose
  worker died is reported as that video's failure and the others go on. It keeps at most
  one video task per cluster CPU in flight: Ray lends a task's CPU to the queue while the
  task blocks in ``ray.get``, and without the window every video of the project started at
  once (measured: 4 tasks and 2 extra worker processes on 2 CPUs).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from painscope.config import ExtractConfig, to_dict
from painscope.distributed.ray_runtime import connect
from painscope.features.jobs import ExtractProgress, VideoJob, VideoResult, VideoStatus
from painscope.features.parallel import BackboneInfo, ProxyBackbone
from painscope.features.pipeline import RunPaths, VideoHooks
from painscope.features.runner import write_run_config
from painscope.features.weights import WeightsInfo


class BackboneActor:
    """Owns one loaded backbone (built in the actor's own process)."""

    def __init__(self, config: ExtractConfig) -> None:
        from painscope.features.extractor import Extractor

        self.extractor = Extractor(config)

    def info(self) -> BackboneInfo:
        e = self.extractor
        return BackboneInfo(e.weights, e.device_label, e.precision_label)

    def run_batch(
        self, clips: np.ndarray, background: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.extractor.run_batch(clips, background)


class ActorBackbone(ProxyBackbone):
    """A :class:`~painscope.features.extractor.Backbone` that runs batches on an actor."""

    def __init__(self, actor: Any, info: BackboneInfo) -> None:
        super().__init__(info)
        self.actor = actor

    def run_batch(
        self, clips: np.ndarray, background: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        import ray

        return ray.get(self.actor.run_batch.remote(clips, background))  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)  # one model per process, kept while the settings stay
def _local_backbone(config: ExtractConfig) -> Any:
    """The backbone of a CPU-only cluster's task, built in the worker process (never on the
    driver) on first use and kept for the next video this process gets."""
    from painscope.features.extractor import Extractor

    return Extractor(config)


def video_task(
    job: VideoJob,
    config: ExtractConfig,
    paths: RunPaths,
    info: BackboneInfo,
    actor: Any,
    hooks: VideoHooks,
) -> VideoResult:
    """One video on a Ray worker (one CPU): the serial pipeline with the actor's backbone,
    or, with ``actor`` None (no GPUs), with this process's own CPU backbone."""
    import torch

    torch.set_num_threads(1)  # the task holds one CPU: one decoder thread, counting inline
    backbone = _local_backbone(config) if actor is None else ActorBackbone(actor, info)
    return hooks.extract(job, config, backbone, paths,
                         background_device=torch.device("cpu"), threads=1)  # fmt: skip


def _backbone_info(config: ExtractConfig) -> BackboneInfo:
    """(Ray task) the weights, device and precision of the CPU backbone the tasks will use."""
    e = _local_backbone(config)
    return BackboneInfo(e.weights, e.device_label, e.precision_label)


_ACTORS: dict[tuple[str, str], list[Any]] = {}


def _start_actors(ray: Any, config: ExtractConfig) -> list[Any]:
    """One backbone actor per GPU of the cluster (``num_cpus=0`` each); none without GPUs."""
    n_gpus = int(ray.cluster_resources().get("GPU", 0))
    if not n_gpus or config.device == "cpu":
        return []
    actor_class = ray.remote(BackboneActor)
    gpu_config = dataclasses.replace(config, device="cuda")
    return [actor_class.options(num_gpus=1, num_cpus=0).remote(gpu_config) for _ in range(n_gpus)]


def run_ray(
    todo: Sequence[VideoJob],
    config: ExtractConfig,
    paths: RunPaths,
    *,
    address: str,
    hooks: VideoHooks,
    progress: ExtractProgress | None = None,
) -> tuple[list[VideoResult], WeightsInfo]:
    """Extract ``todo`` on Ray: ``address`` = ``local`` (start a cluster here; an already
    initialised one is used as it is), ``auto`` or ``HOST:PORT``."""
    ray, started_here = connect(address)
    try:
        # a cluster this call did not start outlives it: keep its actors for the next call
        key = (ray.get_runtime_context().get_job_id(), json.dumps(to_dict(config), default=str))
        actors = _ACTORS.get(key) if not started_here else None
        if actors is None:
            actors = _start_actors(ray, config)
            if not started_here:
                _ACTORS[key] = actors
        if actors:
            info: BackboneInfo = ray.get(actors[0].info.remote())
        else:  # CPU cluster: the tasks' own backbones (a task's process, not the driver)
            config = dataclasses.replace(config, device="cpu")
            info = ray.get(ray.remote(num_cpus=1, max_retries=0)(_backbone_info).remote(config))
        write_run_config(paths.features_dir, config, info.weights)
        task = ray.remote(num_cpus=1, max_retries=0)(video_task)
        # A task blocked in ray.get (waiting for the actor's batch) lends its CPU back to
        # Ray, which would start every queued video at once, each in a newly started worker
        # process (imports, numba load, its own frame buffers): keep at most one task per
        # cluster CPU in flight instead.
        window = max(1, int(ray.cluster_resources().get("CPU", 1)))
        queue = list(enumerate(todo))
        pending: dict[Any, VideoJob] = {}

        def submit() -> None:
            while queue and len(pending) < window:
                i, job = queue.pop(0)
                actor = actors[i % len(actors)] if actors else None
                pending[task.remote(job, config, paths, info, actor, hooks)] = job

        submit()
        results = []
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                job = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as err:  # the task raised, or its worker died
                    result = VideoResult(
                        job.video_id,
                        job.video,
                        VideoStatus.FAILED,
                        f"Ray task failed: {type(err).__name__}: {str(err)[:300]}",
                    )
                results.append(result)
                if progress:
                    progress.video_finished(result)
            submit()
        return results, info.weights
    finally:
        if started_here:
            ray.shutdown()
