"""Parallel video workers: N processes decode and prepare whole videos, one owns the backbone.

Each worker process takes the next video from a shared task queue and runs the very same
:func:`~painscope.features.pipeline.extract_one` as a serial run — lock, re-check, probe,
background (numpy histogram, one CPU thread), clip pass with the frame observers, compact
clips, writing that video's outputs — except that its backbone is a :class:`RemoteBackbone`:
each batch of compact clips (B, C, T, h, w) float32 goes to this (the main) process over a
bounded queue (as a torch tensor in shared memory: only a handle is pickled), the loaded :class:`~painscope.features.extractor.Extractor` runs it, and the
tokens come back. Batches never mix videos and have the serial run's composition, so the token
files are bit-for-bit those of ``workers: 1``.

Bounds: at most ``2 × workers`` batches wait for the backbone; a worker holds one video's
histogram (``H × W × 256 × 2`` bytes: 671 MB at 1280 × 1024), its prefetch queue and one
batch of compact clips. A video that fails is reported and its worker goes on; a worker that
dies (killed, out of memory) fails its current video and the others go on.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.multiprocessing as mp

from painscope.config import ExtractConfig
from painscope.features.jobs import ExtractProgress, VideoJob, VideoResult, VideoStatus
from painscope.features.pipeline import RunPaths, VideoHooks, failure_reason
from painscope.features.runner import available_cpus, load_extractor
from painscope.features.weights import WeightsInfo

POLL_S = 1.0


@dataclass(frozen=True)
class BackboneInfo:
    """What a worker records about the backbone it never loads."""

    weights: WeightsInfo
    device_label: str
    precision_label: str


class RemoteBackboneError(Exception):
    """The backbone process could not run a batch; the message says why."""


class ProxyBackbone:
    """A :class:`~painscope.features.extractor.Backbone` whose model lives elsewhere (another
    process, a Ray actor): it knows what ``info`` says of the model; subclasses send batches."""

    def __init__(self, info: BackboneInfo) -> None:
        self.weights = info.weights
        self.device_label = info.device_label
        self.precision_label = info.precision_label


class RemoteBackbone(ProxyBackbone):
    """The backbone of the process that started this worker, reached through queues."""

    def __init__(self, wid: int, to_main: Any, reply: Any, info: BackboneInfo) -> None:
        super().__init__(info)
        self.wid, self.to_main, self.reply = wid, to_main, reply

    def run_batch(
        self, clips: np.ndarray, background: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        # torch tensors travel through shared memory (a handle is pickled, not the data):
        # 8x the throughput of pickling numpy arrays through the pipe, measured
        bg = None if background is None else torch.from_numpy(background)
        self.to_main.put(("batch", self.wid, (torch.from_numpy(clips), bg)))
        answer = self.reply.get()
        if isinstance(answer, str):
            raise RemoteBackboneError(answer)
        return answer  # type: ignore[no-any-return]


def _die_with_parent(parent_pid: int) -> None:
    """A worker must not outlive the backbone process: its heartbeat would keep the lock of
    its video fresh forever. Linux: the kernel sends SIGKILL when the parent dies."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _worker(
    parent_pid: int,
    wid: int,
    tasks: Any,
    to_main: Any,
    reply: Any,
    config: ExtractConfig,
    paths: RunPaths,
    info: BackboneInfo,
    hooks: VideoHooks,
    threads: int,
) -> None:
    _die_with_parent(parent_pid)
    torch.set_num_threads(threads)  # the processes are the parallelism: no oversubscription
    backbone = RemoteBackbone(wid, to_main, reply, info)
    while (job := tasks.get()) is not None:
        to_main.put(("start", wid, job))

        def on_clips(done: int, expected: int | None) -> None:
            to_main.put(("clips", wid, (done, expected)))

        result = hooks.extract(job, config, backbone, paths, background_device=torch.device("cpu"),
                               on_clips=on_clips, threads=threads)  # fmt: skip
        to_main.put(("result", wid, result))
    to_main.put(("exit", wid, None))


def run_parallel(
    todo: Sequence[VideoJob],
    config: ExtractConfig,
    paths: RunPaths,
    *,
    workers: int,
    hooks: VideoHooks,
    progress: ExtractProgress | None = None,
) -> tuple[list[VideoResult], WeightsInfo]:
    """Extract ``todo`` with ``workers`` processes feeding this process's backbone."""
    extractor = load_extractor(config, paths)
    info = BackboneInfo(extractor.weights, extractor.device_label, extractor.precision_label)
    # fork is cheap, but not after CUDA is initialised: then spawn (workers never touch CUDA)
    methods = mp.get_all_start_methods()
    method = "fork" if "fork" in methods and extractor.device.type == "cpu" else "spawn"
    ctx: Any = mp.get_context(method)
    tasks = ctx.Queue()
    for job in todo:
        tasks.put(job)
    for _ in range(workers):
        tasks.put(None)
    threads = max(1, available_cpus() // workers)  # cores per worker (decoder, median, torch)
    to_main = ctx.Queue(maxsize=2 * workers)
    replies = [ctx.Queue(maxsize=1) for _ in range(workers)]
    procs = [
        ctx.Process(
            target=_worker,
            args=(
                os.getpid(),
                wid,
                tasks,
                to_main,
                replies[wid],
                config,
                paths,
                info,
                hooks,
                threads,
            ),
            name=f"painscope-extract-{wid}",
            daemon=True,
        )
        for wid in range(workers)
    ]
    for proc in procs:
        proc.start()
    results: list[VideoResult] = []
    current: dict[int, VideoJob] = {}
    alive = set(range(workers))

    def finished(result: VideoResult) -> None:
        results.append(result)
        if progress:
            progress.video_finished(result)

    def reap() -> None:
        """Workers that died (killed, out of memory): fail the video each was on."""
        for wid in sorted(alive):
            if procs[wid].is_alive() or procs[wid].exitcode == 0:
                continue  # a clean exit's messages are still in the queue
            alive.discard(wid)
            if wid in current:
                job = current.pop(wid)
                finished(
                    VideoResult(
                        job.video_id,
                        job.video,
                        VideoStatus.FAILED,
                        f"its worker process died (exit code {procs[wid].exitcode}; killed or "
                        "out of memory?) — fix: lower extract.workers, or run it again",
                    )
                )

    last_reap = time.monotonic()
    try:
        while alive:
            if time.monotonic() - last_reap > POLL_S:
                reap()
                last_reap = time.monotonic()
            try:
                kind, wid, payload = to_main.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if kind == "batch":
                try:
                    answer: object = extractor.run_batch(*payload)
                except Exception as err:  # reported as that video's failure
                    answer = failure_reason(err)
                replies[wid].put(answer)
            elif kind == "start":
                current[wid] = payload
                if progress:
                    progress.video_started(payload)
            elif kind == "clips":
                if progress and wid in current:
                    progress.clips_done(current[wid], *payload)
            elif kind == "result":
                current.pop(wid, None)
                finished(payload)
            elif kind == "exit":
                alive.discard(wid)
    finally:
        for proc in procs:
            proc.join(timeout=5 if not alive else 0.1)
            if proc.is_alive():
                proc.terminate()
                proc.join()
    done = {r.video_id for r in results}
    for job in todo:  # every worker died before reaching these
        if job.video_id not in done:
            results.append(
                VideoResult(
                    job.video_id,
                    job.video,
                    VideoStatus.FAILED,
                    "not run: every worker process died — fix: lower extract.workers",
                )
            )
    return results, extractor.weights
