"""Extract one video: the one function that serial runs, worker processes, SLURM shards and
Ray tasks all call.

:func:`extract_one` takes the video's lock, re-checks that the video is not done meanwhile,
runs :func:`extract_video` (probe → background stage → clip pass → backbone) and writes only
that video's outputs, atomically; it returns a :class:`VideoResult` and never raises for a
bad video. The backbone is anything that implements
:class:`~painscope.features.extractor.Backbone`: a loaded :class:`Extractor`, or a proxy that
sends the compact clips to the process (or Ray actor) that owns the model.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from painscope.background.stage import check_complete, video_background
from painscope.clips.windows import ClipRecord, StreamStats, iter_clips
from painscope.config import ExtractConfig, to_dict
from painscope.errors import PainscopeError, VideoError
from painscope.features.extractor import Backbone, compact_clip
from painscope.features.jobs import FrameObserver, VideoJob, VideoResult, VideoStatus
from painscope.features.store import VideoFeatures, feature_path, read_meta, write_features
from painscope.io.lock import video_lock
from painscope.io.memory import check_extract_memory
from painscope.io.pages import release_free_memory
from painscope.io.prefetch import prefetch
from painscope.io.video import Frame, file_hash, iter_frames, probe
from painscope.motion import DESCRIPTOR_COLUMNS, MOTION_VERSION, MotionTracker
from painscope.motion.store import save_video_motion
from painscope.version import __version__

ClipsFn = Callable[[int, int | None], None]  # (clips done, clips expected)
ExtrasSink = Callable[[VideoJob, Path, dict[str, np.ndarray]], None]
ObserverFactory = Callable[[VideoJob], Sequence[FrameObserver]]


@dataclass(frozen=True)
class RunPaths:
    """Where a run writes: the token store folder of settings ``key``, the background cache."""

    features_dir: Path
    background_dir: Path | None
    key: str
    project_root: Path | None = None  # where cache/motion/ goes (None: no motion files)


@dataclass(frozen=True)
class VideoOutput:
    """One video's token store entry plus the arrays its frame observers returned."""

    features: VideoFeatures
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    motion_track: np.ndarray | None = None  # (n_frames, n_columns): cache/motion/<id>.csv


def _observed(frames: Iterator[Frame], observers: Sequence[FrameObserver]) -> Iterator[Frame]:
    for frame in frames:
        for observer in observers:
            observer.push(frame)
        yield frame


def _prepared(
    path: Path,
    background: np.ndarray | None,
    config: ExtractConfig,
    observers: Sequence[FrameObserver],
    raw: bool = False,
    threads: int = 0,
) -> Iterator[tuple[ClipRecord, np.ndarray] | StreamStats]:
    """Compact clips (C, T, h, w) in order — or with ``raw`` the sampled frames
    (T, H, W[, 3]) uint8 — then the stream's :class:`StreamStats` last."""
    color = "gray" if background is not None else "rgb"
    frames: Iterator[Frame] = iter_frames(path, color=color, threads=threads)  # type: ignore[arg-type]
    if observers:
        frames = _observed(frames, observers)
    stream = iter_clips(frames, config.clip_seconds, config.frames_per_clip)
    while True:
        try:
            record, images = next(stream)
        except StopIteration as end:
            yield end.value
            return
        yield record, np.stack(images) if raw else compact_clip(images, background, config)


def extract_video(
    job: VideoJob,
    config: ExtractConfig,
    backbone: Backbone,
    *,
    key: str,
    background_dir: Path | None = None,
    background_device: torch.device | None = None,
    observers: Sequence[FrameObserver] = (),
    on_clips: ClipsFn | None = None,
    preprocess_on_device: bool = False,
    threads: int = 0,
) -> VideoOutput:
    """One video → its features (nothing written but the background cache).

    ``preprocess_on_device`` sends the sampled uint8 frames and the background to the
    backbone, which removes the background and resizes there (the GPU option).
    ``threads``: CPU cores this video may use (0 = all; a worker of N on C cores gets C // N),
    which sizes the decoder's threads and the median's counting thread; outputs do not
    depend on it. Raises :class:`VideoError` for unusable videos.
    """
    path = Path(job.path)
    info = probe(path)
    check_extract_memory(info, config)  # refuse (or warn) before decoding a huge video
    stat = path.stat()
    video_hash = file_hash(path)
    background = None
    if config.background == "median":
        background = video_background(
            path,
            info,
            video_hash,
            cache_dir=background_dir,
            video_id=job.video_id,
            device=background_device or torch.device("cpu"),
            prefetch_depth=2 * config.prefetch,
            background_frames=config.background_frames,
            threads=threads,
        ).median
    expected = None
    if info.fps > 0 and info.n_frames > 0:
        expected = int(info.n_frames / info.fps / config.clip_seconds + 1e-9)
    records: list[ClipRecord] = []
    tokens: list[np.ndarray] = []
    responses: list[np.ndarray] = []
    batch: list[np.ndarray] = []
    stats = StreamStats(0, 0.0)

    def flush() -> None:
        if batch:
            clips = np.stack(batch)  # (B, C, T, h, w) float32 or (B, T, H, W[, 3]) uint8
            t, r = backbone.run_batch(clips, background if preprocess_on_device else None)
            tokens.append(t)
            responses.append(r)
            batch.clear()
            if on_clips:
                on_clips(len(records), expected)

    tracker = MotionTracker(background) if config.motion and background is not None else None
    watchers = (*observers, tracker) if tracker is not None else observers  # same decode pass
    stream = _prepared(path, background, config, watchers, raw=preprocess_on_device,
                       threads=threads)  # fmt: skip
    for item in prefetch(stream, config.prefetch):
        if isinstance(item, StreamStats):
            stats = item
            break
        records.append(item[0])
        batch.append(item[1])
        if len(batch) == config.batch_size:
            flush()
    flush()
    check_complete(path, info, stats.n_frames, stats.duration_s)
    if not records:
        raise VideoError(
            path,
            f"too short: {stats.duration_s:.2f} s, but one clip needs {config.clip_seconds} s",
            fix="use longer recordings (the paper uses 5 min) or lower extract.clip_seconds",
        )
    extras: dict[str, np.ndarray] = {}
    for observer in observers:
        extras.update(observer.finish(records))
    motion = tracker.finish(records) if tracker is not None else {}  # "motion", "motion_track"
    clips = np.array(
        [[r.start_frame, r.end_frame, r.start_s, r.end_s] for r in records], dtype=np.float64
    )
    token_array = np.concatenate(tokens)
    weights = backbone.weights
    meta = {
        "painscope_version": __version__,
        "video": job.video or str(path),
        "video_id": job.video_id,
        "video_hash": video_hash,
        "video_size": stat.st_size,
        "video_mtime": stat.st_mtime,
        "width": info.width,
        "height": info.height,
        "fps": info.fps,
        "n_frames": stats.n_frames,
        "duration_s": stats.duration_s,
        "codec": info.codec,
        "n_clips": len(records),
        "grid": list(token_array.shape[1:3]),
        "channels": int(token_array.shape[3]),
        "config_hash": key,
        "config": to_dict(config),
        "backbone": config.backbone,
        "weights_id": weights.id,
        "weights_source": weights.source,
        "weights_random": weights.random,
        "device": backbone.device_label,
        "precision": backbone.precision_label,
        "clip_frame_indices": [list(r.frame_indices) for r in records],
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    if tracker is not None:
        meta.update(motion_columns=list(DESCRIPTOR_COLUMNS), motion_version=MOTION_VERSION)
    features = VideoFeatures(
        tokens=token_array, response=np.concatenate(responses), clips=clips, meta=meta,
        motion=motion.get("motion"),
    )  # fmt: skip
    return VideoOutput(features, extras, motion.get("motion_track"))


def is_done(path: Path, key: str, video: Path) -> bool:
    """True if ``path`` holds features made with settings ``key`` from this very video."""
    if not path.exists() or not video.exists():
        return False
    try:
        meta = read_meta(path)
    except PainscopeError:
        return False
    if meta.get("config_hash") != key:
        return False
    if "motion_version" in meta and meta["motion_version"] != MOTION_VERSION:
        return False  # motion descriptors of an older design: extract again
    stat = video.stat()
    if meta.get("video_size") == stat.st_size and meta.get("video_mtime") == stat.st_mtime:
        return True
    return meta.get("video_hash") == file_hash(video)


def failure_reason(err: BaseException) -> str:
    """One line for the summary: the problem and its fix (the video is named by the row)."""
    if isinstance(err, PainscopeError):
        problem = err.problem if isinstance(err, VideoError) else err.message
        return f"{problem} — fix: {err.fix}" if err.fix else problem
    return f"{type(err).__name__}: {err}"


def extract_one(
    job: VideoJob,
    config: ExtractConfig,
    backbone: Backbone,
    paths: RunPaths,
    *,
    background_device: torch.device | None = None,
    observers: Sequence[FrameObserver] = (),
    save_extras: ExtrasSink | None = None,
    on_clips: ClipsFn | None = None,
    preprocess_on_device: bool = False,
    threads: int = 0,
) -> VideoResult:
    """Lock, re-check, extract and write one video; never raises for a bad video.

    Returns a :class:`VideoResult`: ``done`` (written), ``skipped`` (finished by another run
    while this one waited), ``busy`` (another live run holds the lock) or ``failed``
    (with the reason and its fix).
    """
    started = time.perf_counter()
    target = feature_path(paths.features_dir, job.video_id)
    with video_lock(paths.features_dir / f"{job.video_id}.lock") as mine:
        if not mine:
            result = VideoResult(
                job.video_id, job.video, VideoStatus.BUSY, "another painscope run is extracting it"
            )
        elif is_done(target, paths.key, Path(job.path)):
            result = VideoResult(
                job.video_id,
                job.video,
                VideoStatus.SKIPPED,
                "finished by another run",
                output=str(target),
            )
        else:
            try:
                output = extract_video(
                    job,
                    config,
                    backbone,
                    key=paths.key,
                    background_dir=paths.background_dir,
                    background_device=background_device,
                    observers=observers,
                    on_clips=on_clips,
                    preprocess_on_device=preprocess_on_device,
                    threads=threads,
                )
                if output.motion_track is not None and paths.project_root is not None:
                    save_video_motion(paths.project_root, job.video_id, output.motion_track,
                                      config.pixels_per_cm)  # fmt: skip  # before the tokens
                if output.extras and save_extras is not None:
                    save_extras(job, paths.features_dir, output.extras)  # before the token file
                write_features(target, output.features)
                result = VideoResult(
                    job.video_id,
                    job.video,
                    VideoStatus.DONE,
                    n_clips=output.features.n_clips,
                    output=str(target),
                )
            except Exception as err:  # one bad video never stops the batch
                result = VideoResult(
                    job.video_id, job.video, VideoStatus.FAILED, failure_reason(err)
                )
    result.seconds = round(time.perf_counter() - started, 2)
    release_free_memory()  # the clip pass's freed frames, so the next video starts lean
    return result


@dataclass(frozen=True)
class VideoHooks:
    """The per-video extras every executor (serial, worker processes, Ray tasks) passes to
    :func:`extract_one`; picklable when the factory and the sink are module-level functions.

    Attributes
    ----------
    observers : per-video factory of frame observers (see :class:`FrameObserver`)
    save_extras : where the observers' arrays go (called before the token file is written)
    device_preprocess : remove the background and resize on the backbone's device
    """

    observers: ObserverFactory | None = None
    save_extras: ExtrasSink | None = None
    device_preprocess: bool = False

    def extract(
        self,
        job: VideoJob,
        config: ExtractConfig,
        backbone: Backbone,
        paths: RunPaths,
        *,
        background_device: torch.device,
        on_clips: ClipsFn | None = None,
        threads: int = 0,
    ) -> VideoResult:
        """:func:`extract_one` of ``job`` with these hooks (``threads``: cores it may use)."""
        return extract_one(
            job,
            config,
            backbone,
            paths,
            background_device=background_device,
            observers=self.observers(job) if self.observers else (),
            save_extras=self.save_extras,
            on_clips=on_clips,
            preprocess_on_device=self.device_preprocess,
            threads=threads,
        )
