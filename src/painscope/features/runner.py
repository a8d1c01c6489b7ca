"""The project job runner of ``painscope extract``: which videos, skip, dispatch, summary.

:func:`extract` reads the manifest, keeps this shard's rows, skips videos already done for
the current settings, hands the rest to one of three executors — serial in this process
(``workers: 1``), :mod:`painscope.features.parallel` (N decode/preprocess processes, one
backbone), or :mod:`painscope.distributed.ray_extract` (Ray tasks + backbone actors) — each of
which calls :func:`painscope.features.pipeline.extract_one` per video, and merges the outcomes
into ``summary.csv``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from painscope.config import ExtractConfig, config_hash, write_resolved
from painscope.errors import ConfigError
from painscope.features.jobs import (
    SUMMARY_COLUMNS,
    ExtractProgress,
    ExtractSummary,
    VideoJob,
    VideoResult,
    VideoStatus,
)
from painscope.features.pipeline import (
    ExtrasSink,
    ObserverFactory,
    RunPaths,
    VideoHooks,
    is_done,
)
from painscope.features.store import feature_path
from painscope.features.weights import WeightsInfo
from painscope.io.atomic import atomic_path, clean_stale_temporaries
from painscope.io.lock import clear_stale_locks
from painscope.version import __version__

if TYPE_CHECKING:
    from painscope.features.extractor import Extractor


@dataclass(frozen=True)
class Shard:
    """Array task ``index`` (1-based) of ``count``: the manifest rows at 0-based positions
    ``p`` with ``p % count == index - 1`` (manifest order, so shards differ by at most one)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"I/N"`` → Shard(I, N); e.g. ``$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT``."""
        try:
            left, right = text.split("/")
            shard = cls(int(left), int(right))
        except ValueError:
            raise ConfigError(
                f"--shard {text!r} is not I/N", fix="give e.g. --shard 1/4 (task 1 of 4)"
            ) from None
        if not 1 <= shard.index <= shard.count:
            raise ConfigError(
                f"--shard {text}: I must lie in 1..N", fix="tasks count from 1, as 1/4 ... 4/4"
            )
        return shard

    def select(self, items: Sequence[VideoJob]) -> list[VideoJob]:
        return [item for i, item in enumerate(items) if i % self.count == self.index - 1]


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask; ``os.cpu_count()`` where unknown)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def effective_workers(config: ExtractConfig, n_videos: int) -> int:
    """``extract.workers`` (0 = one per available CPU), never more than the videos to do."""
    wanted = config.workers or available_cpus()
    return max(1, min(wanted, n_videos))


def manifest_jobs(project: Path | str, only: Sequence[str] | None = None) -> list[VideoJob]:
    """The project's videos as jobs, in manifest order (``only``: ids or manifest paths)."""
    from painscope.project import open_project

    manifest = open_project(project).manifest(check_files=False)
    return [
        VideoJob(e.video_id, e.video, e.path)
        for e in manifest
        if not only or e.video_id in only or e.video in only
    ]


def write_summary(folder: Path, results: list[VideoResult]) -> Path:
    """Merge this run's outcomes into ``summary.csv`` (one row per video, latest wins)."""
    import pandas as pd

    path = folder / "summary.csv"
    rows: dict[str, dict[str, Any]] = {r.video_id: dict(r.row()) for r in results}
    if path.exists():
        with contextlib.suppress(Exception):
            old = pd.read_csv(path, dtype=str, keep_default_na=False)
            for record in old.to_dict("records"):
                rows.setdefault(str(record["video_id"]), record)
    table = pd.DataFrame(list(rows.values()), columns=list(SUMMARY_COLUMNS))
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return path


def read_summary(folder: Path) -> dict[str, tuple[str, str]]:
    """``summary.csv`` as {video_id: (status, reason)} (empty when there is none)."""
    import pandas as pd

    path = folder / "summary.csv"
    if not path.exists():
        return {}
    with contextlib.suppress(Exception):
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        return {str(r["video_id"]): (r["status"], r["reason"]) for r in table.to_dict("records")}
    return {}


def write_run_config(out_dir: Path, config: ExtractConfig, weights: WeightsInfo) -> None:
    write_resolved(
        config,
        out_dir / "config.yaml",
        extra={
            "painscope_version": __version__,
            "config_hash": config_hash(config),
            "weights_id": weights.id,
            "weights_random": weights.random,
        },
    )


def features_dir_for(project_root: Path, config: ExtractConfig) -> Path:
    from painscope.project import Project

    return Project(Path(project_root)).features_dir(config_hash(config))


def load_extractor(config: ExtractConfig, paths: RunPaths) -> Extractor:
    """The backbone of a run (loaded in this process) and the store's ``config.yaml``."""
    from painscope.features.extractor import Extractor

    extractor = Extractor(config)
    write_run_config(paths.features_dir, config, extractor.weights)
    return extractor


def run_serial(
    todo: list[VideoJob],
    config: ExtractConfig,
    paths: RunPaths,
    *,
    hooks: VideoHooks,
    progress: ExtractProgress | None = None,
) -> tuple[list[VideoResult], WeightsInfo]:
    """Every job in this process, one after another, with one loaded backbone."""
    extractor = load_extractor(config, paths)
    results = []
    for job in todo:
        if progress:
            progress.video_started(job)

        def on_clips(done: int, expected: int | None, job: VideoJob = job) -> None:
            if progress:
                progress.clips_done(job, done, expected)

        result = hooks.extract(
            job, config, extractor, paths, background_device=extractor.device, on_clips=on_clips
        )
        results.append(result)
        if progress:
            progress.video_finished(result)
    return results, extractor.weights


def extract(
    project: Path | str,
    config: ExtractConfig | None = None,
    *,
    only: list[str] | None = None,
    progress: ExtractProgress | None = None,
    shard: Shard | str | None = None,
    ray: str | None = None,
    observers: ObserverFactory | None = None,
    save_extras: ExtrasSink | None = None,
    device_preprocess: bool = False,
) -> ExtractSummary:
    """Extract token maps for every video in a project's manifest.

    Parameters
    ----------
    project : project folder (with ``manifest.csv``; settings from ``painscope.yaml``)
    config : extract settings (default: the project's); ``config.workers`` sets the
        decode/preprocess processes (0 = one per available CPU, 1 = all in this process)
    only : video ids or manifest paths to restrict to
    progress : progress events (the CLI's bars)
    shard : ``Shard`` or ``"I/N"``: only this array task's share of the manifest
    ray : run on Ray: ``"local"`` (start one here), ``"auto"`` or a cluster address
    observers : per-video factory of frame observers (see :class:`FrameObserver`)
    save_extras : where the observers' arrays go (called before the token file is written)
    device_preprocess : remove the background and resize on the backbone's device (the GPU
        option: raw uint8 frames travel instead of compact clips; see docs/design.md)

    Returns
    -------
    ExtractSummary — one :class:`VideoResult` per video; nothing is raised for a bad video.
    """
    from painscope.project import open_project

    proj = open_project(project)
    config = config or proj.config().extract
    jobs = manifest_jobs(proj.root, only)
    if shard is not None:
        jobs = (Shard.parse(shard) if isinstance(shard, str) else shard).select(jobs)
    key = config_hash(config)
    out_dir = proj.features_dir(key)
    out_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(out_dir)
    clear_stale_locks(out_dir)
    summary = ExtractSummary(features_dir=out_dir, key=key, weights=None)
    paths = RunPaths(out_dir, proj.background_dir, key, project_root=proj.root)

    todo = []
    for job in jobs:
        target = feature_path(out_dir, job.video_id)
        if is_done(target, key, job.path):
            summary.results.append(
                VideoResult(
                    job.video_id,
                    job.video,
                    VideoStatus.SKIPPED,
                    "already extracted",
                    output=str(target),
                )
            )
        else:
            todo.append(job)
    if todo:
        n_workers = effective_workers(config, len(todo))
        hooks = VideoHooks(observers, save_extras, device_preprocess)
        if ray is not None:
            from painscope.distributed.ray_extract import run_ray

            results, weights = run_ray(
                todo, config, paths, address=ray, hooks=hooks, progress=progress
            )
        elif n_workers > 1:
            from painscope.features.parallel import run_parallel

            results, weights = run_parallel(
                todo, config, paths, workers=n_workers, hooks=hooks, progress=progress
            )
        else:
            results, weights = run_serial(todo, config, paths, hooks=hooks, progress=progress)
        summary.weights = weights
        summary.results += results
    order = {j.video_id: i for i, j in enumerate(jobs)}
    summary.results.sort(key=lambda r: order[r.video_id])  # manifest order
    write_summary(out_dir, summary.results)
    return summary


@dataclass(frozen=True)
class Completeness:
    """``painscope extract --check``: which manifest videos have complete features."""

    features_dir: Path
    done: list[VideoJob]
    missing: list[tuple[VideoJob, str]]  # (job, last status and reason from summary.csv)

    @property
    def complete(self) -> bool:
        return not self.missing


def check_project(project: Path | str, config: ExtractConfig | None = None) -> Completeness:
    """Every manifest video checked for a token file of the current settings (nothing runs)."""
    from painscope.project import open_project

    proj = open_project(project)
    config = config or proj.config().extract
    out_dir = proj.features_dir(config_hash(config))
    last = read_summary(out_dir)
    done, missing = [], []
    for job in manifest_jobs(proj.root):
        if is_done(feature_path(out_dir, job.video_id), config_hash(config), job.path):
            done.append(job)
        else:
            status, reason = last.get(job.video_id, ("not run", ""))
            if status in ("done", "skipped"):
                status, reason = "stale", "the video changed since it was extracted"
            missing.append((job, f"{status}: {reason}" if reason else status))
    return Completeness(out_dir, done, missing)
