"""``painscope extract``: every video of a project → one token file.

Per video: probe → (background) one decode pass fills the exact per-pixel median
histogram → second decode pass cuts clips by time, removes the background,
resizes/normalises, and runs the backbone in batches → token store file.

Robustness: each video is independent — a bad one is recorded with its reason
and the rest go on; finished files are skipped on re-runs (same settings and
same video content); writes are atomic, and a per-video lock keeps two runs on
one cache from doing the same video twice.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from painscope import __version__
from painscope.background.median import MedianAccumulator
from painscope.background.median_torch import TorchMedianAccumulator
from painscope.clips.transforms import prepare_clip
from painscope.clips.windows import ClipRecord, ClipSampler
from painscope.config import ExtractConfig, config_hash, to_dict, write_resolved
from painscope.errors import PainscopeError, VideoError
from painscope.features.backbones import TokenMapper
from painscope.features.fast_swin import apply_speedups
from painscope.features.store import VideoFeatures, feature_path, read_meta, write_features
from painscope.features.tokens import response_map
from painscope.features.weights import WeightsInfo, load_backbone
from painscope.io.atomic import atomic_path, clean_stale_temporaries
from painscope.io.prefetch import prefetch
from painscope.io.video import VideoInfo, file_hash, iter_frames, probe
from painscope.motion import DESCRIPTOR_COLUMNS, MOTION_VERSION, MotionTracker
from painscope.motion.store import save_video_motion

ProgressFn = Callable[[int, int | None], None]  # (clips done, clips expected)


@dataclass
class VideoResult:
    """Outcome for one video: status is done, skipped, busy or failed."""

    video_id: str
    video: str
    status: str
    reason: str = ""
    n_clips: int = 0
    seconds: float = 0.0
    output: str = ""


@dataclass
class ExtractSummary:
    features_dir: Path
    key: str
    weights: WeightsInfo | None
    results: list[VideoResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def n_failed(self) -> int:
        return self.count("failed")


def resolve_device(config: ExtractConfig) -> tuple[torch.device, torch.dtype]:
    """(device, compute dtype): bf16 on CUDA unless fp32 is asked for."""
    name = config.device
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise PainscopeError(
            f"extract.device is {config.device!r} but no CUDA GPU is visible",
            fix="set extract.device: auto (or cpu)",
        )
    bf16 = config.precision in ("bf16", "bf16-model") or (
        config.precision == "auto" and device.type == "cuda"
    )
    return device, torch.bfloat16 if bf16 else torch.float32


class Extractor:
    """A loaded backbone plus the settings to turn one video into :class:`VideoFeatures`."""

    def __init__(self, config: ExtractConfig) -> None:
        self.config = config
        self.key = config_hash(config)
        self.device, self.dtype = resolve_device(config)
        self.cast_bf16 = config.precision == "bf16-model"
        self.last_motion_track: np.ndarray | None = None  # per-frame track of the last video
        model, self.weights = load_backbone(config.backbone, config.weights)
        self.mapper = apply_speedups(
            TokenMapper(model).to(self.device).eval(),
            attention=config.attention,
            cast_bf16=self.cast_bf16,
            compile=config.compile,
        )

    # -- background ---------------------------------------------------------------

    def background(
        self, path: Path, info: VideoInfo, video_hash: str, cache_dir: Path | None, video_id: str
    ) -> tuple[np.ndarray, int]:
        """Exact temporal median of the video's brightness, (H, W) float32, and its frame count.

        Cached as ``<video_id>.npz`` (exact) and ``.png`` (rounded, to look at).
        """
        cached = cache_dir / f"{video_id}.npz" if cache_dir else None
        if cached is not None and cached.exists():
            with contextlib.suppress(Exception), np.load(cached) as data:
                if str(data["video_hash"]) == video_hash:
                    return data["median"].astype(np.float32), int(data["n_frames"])
        acc: MedianAccumulator | TorchMedianAccumulator | None = None
        n, last_s = 0, 0.0
        for frame in prefetch(iter_frames(path, color="gray"), 2 * self.config.prefetch):
            if acc is None:
                shape = frame.image.shape[:2]
                if self.device.type == "cuda":  # same exact median, histogram on the GPU
                    acc = TorchMedianAccumulator(shape, device=self.device)
                else:
                    acc = MedianAccumulator(shape, expected_frames=info.n_frames)
            acc.update(frame.image)
            n, last_s = n + 1, frame.time_s
        assert acc is not None  # iter_frames raises when there is no frame
        _check_complete(path, info, n, last_s + (1.0 / info.fps if info.fps > 0 else 0.0))
        median = acc.median()
        if cached is not None:
            from PIL import Image

            with atomic_path(cached) as tmp, open(tmp, "wb") as handle:
                np.savez(handle, median=median, video_hash=video_hash, n_frames=n)
            png = np.clip(np.floor(median + 0.5), 0, 255).astype(np.uint8)
            with atomic_path(cached.with_suffix(".png")) as tmp:
                Image.fromarray(png).save(tmp, format="PNG")
        return median, n

    # -- clips → tokens -------------------------------------------------------------

    def clips(
        self, path: Path, background: np.ndarray | None, observers: tuple = ()
    ) -> Iterator[tuple[ClipRecord, torch.Tensor]]:
        """Every complete clip of the video, prepared for the backbone: (3, T, h, w)."""
        cfg = self.config
        sampler = ClipSampler(cfg.clip_seconds, cfg.frames_per_clip)
        color = "gray" if background is not None else "rgb"

        def prepared(done: list[tuple[ClipRecord, list[np.ndarray]]]) -> Iterator:
            for record, frames in done:
                yield record, prepare_for_backbone(frames, background, cfg, self.weights)

        for frame in iter_frames(path, color=color):  # type: ignore[arg-type]
            for observer in observers:  # e.g. the motion tracker: every decoded frame
                observer.push(frame)
            yield from prepared(sampler.push(frame))
        yield from prepared(sampler.finish())
        self.last_n_frames = sampler.n_frames
        self.last_duration_s = sampler.duration_s()

    @torch.inference_mode()
    def run_batch(self, batch: list[torch.Tensor]) -> tuple[np.ndarray, np.ndarray]:
        """Backbone on a list of (3, T, h, w) clips → tokens (n, h', w', C) f16, response (n, h', w')."""
        x = torch.stack(batch)  # (B, 3, T, h, w)
        if self.device.type == "cuda":
            x = x.pin_memory()  # lets the copy below run asynchronously
        x = x.to(self.device, self.dtype if self.cast_bf16 else None, non_blocking=True)
        autocast = self.dtype != torch.float32 and not self.cast_bf16
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=autocast):
            tokens, prenorm = self.mapper(x)
        response = response_map(tokens, prenorm, self.config.response)
        return (
            tokens.float().cpu().numpy().astype(np.float16),
            response.float().cpu().numpy(),
        )

    def video_features(
        self,
        path: Path,
        *,
        video_id: str,
        video_label: str | None = None,
        background_dir: Path | None = None,
        on_progress: ProgressFn | None = None,
    ) -> VideoFeatures:
        """Extract one video. Raises :class:`VideoError` for unusable videos."""
        cfg = self.config
        path = Path(path)
        info = probe(path)
        stat = path.stat()
        video_hash = file_hash(path)
        background = None
        if cfg.background == "median":
            background, _ = self.background(path, info, video_hash, background_dir, video_id)
        tracker = MotionTracker(background) if cfg.motion and background is not None else None
        expected = None
        if info.fps > 0 and info.n_frames > 0:
            expected = int(info.n_frames / info.fps / cfg.clip_seconds + 1e-9)
        self.last_motion_track = None
        records: list[ClipRecord] = []
        tokens: list[np.ndarray] = []
        responses: list[np.ndarray] = []
        batch: list[torch.Tensor] = []

        def flush() -> None:
            if batch:
                t, r = self.run_batch(batch)
                tokens.append(t)
                responses.append(r)
                batch.clear()
                if on_progress:
                    on_progress(len(records), expected)

        observers = (tracker,) if tracker else ()
        for record, clip in prefetch(self.clips(path, background, observers), cfg.prefetch):
            records.append(record)
            batch.append(clip)
            if len(batch) == cfg.batch_size:
                flush()
        flush()
        _check_complete(path, info, self.last_n_frames, self.last_duration_s)
        if not records:
            raise VideoError(
                path,
                f"too short: {self.last_duration_s:.2f} s, but one clip needs {cfg.clip_seconds} s",
                fix="use longer recordings (the paper uses 5 min) or lower extract.clip_seconds",
            )
        clips = np.array(
            [[r.start_frame, r.end_frame, r.start_s, r.end_s] for r in records], dtype=np.float64
        )
        token_array = np.concatenate(tokens)
        motion = tracker.finish(records) if tracker else {}
        self.last_motion_track = motion.get("motion_track")
        meta = {
            "painscope_version": __version__,
            "video": video_label or str(path),
            "video_id": video_id,
            "video_hash": video_hash,
            "video_size": stat.st_size,
            "video_mtime": stat.st_mtime,
            "width": info.width,
            "height": info.height,
            "fps": info.fps,
            "n_frames": self.last_n_frames,
            "duration_s": self.last_duration_s,
            "codec": info.codec,
            "n_clips": len(records),
            "grid": list(token_array.shape[1:3]),
            "channels": int(token_array.shape[3]),
            "config_hash": self.key,
            "config": to_dict(cfg),
            "backbone": cfg.backbone,
            "weights_id": self.weights.id,
            "weights_source": self.weights.source,
            "weights_random": self.weights.random,
            "device": str(self.device),
            "precision": str(self.dtype).removeprefix("torch.")
            + (" (weights cast)" if self.cast_bf16 else ""),
            "clip_frame_indices": [list(r.frame_indices) for r in records],
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        if tracker:
            meta.update(motion_columns=list(DESCRIPTOR_COLUMNS), motion_version=MOTION_VERSION)
        return VideoFeatures(
            tokens=token_array, response=np.concatenate(responses), clips=clips, meta=meta,
            motion=motion.get("motion"),
        )  # fmt: skip


def prepare_for_backbone(
    frames: list[np.ndarray],
    background: np.ndarray | None,
    config: ExtractConfig,
    weights: WeightsInfo,
) -> torch.Tensor:
    """One clip's frames → the backbone's input (3, T, h, w), per the extract settings."""
    return prepare_clip(
        frames,
        background=background,
        difference=config.difference,
        resize=config.resize,
        input_size=config.input_size,
        mean=weights.mean,
        std=weights.std,
        normalize=config.normalize,
    )


def _check_complete(path: Path, info: VideoInfo, decoded: int, decoded_s: float) -> None:
    """A video that decodes to fewer frames (or seconds) than its container declares is
    truncated or damaged."""
    short_frames = info.n_frames > 0 and decoded < info.n_frames - max(2, info.n_frames // 100)
    short_time = info.duration_s > 0 and decoded_s < info.duration_s - max(
        0.5, info.duration_s / 50
    )
    if short_frames or short_time:
        declared = f"{info.n_frames} frames" if short_frames else f"{info.duration_s:.1f} s"
        got = f"{decoded} frames" if short_frames else f"{decoded_s:.1f} s"
        raise VideoError(
            path,
            f"truncated or damaged: decoded {got} of the {declared} the file declares",
            fix="copy the file again from the recording machine, or re-encode what is left with "
            "`ffmpeg -i IN -c:v libx264 -crf 18 OUT.mp4`",
        )


# ---------------------------------------------------------------- per-video lock


@contextlib.contextmanager
def video_lock(lock: Path) -> Iterator[bool]:
    """Yield True if this process holds ``lock`` (False: another live run has it)."""
    host = socket.gethostname()
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            if _lock_is_stale(lock, host):
                with contextlib.suppress(FileNotFoundError):
                    lock.unlink()
                continue
            yield False
            return
        with os.fdopen(fd, "w") as handle:
            handle.write(f"{os.getpid()} {host} {time.time():.0f}\n")
        try:
            yield True
        finally:
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
        return
    yield False


def _lock_is_stale(lock: Path, host: str, max_age_s: float = 24 * 3600) -> bool:
    try:
        pid_text, lock_host, started = lock.read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return True
    if lock_host == host:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False
    return time.time() - float(started) > max_age_s


def is_done(path: Path, key: str, video: Path) -> bool:
    """True if ``path`` holds features made with settings ``key`` from this very video."""
    if not path.exists():
        return False
    try:
        meta = read_meta(path)
    except PainscopeError:
        return False
    if meta.get("config_hash") != key:
        return False
    stat = video.stat()
    if meta.get("video_size") == stat.st_size and meta.get("video_mtime") == stat.st_mtime:
        return True
    return meta.get("video_hash") == file_hash(video)


def write_summary(folder: Path, results: list[VideoResult]) -> Path:
    """Merge this run's outcomes into ``summary.csv`` (one row per video, latest wins)."""
    import pandas as pd

    path = folder / "summary.csv"
    rows = {r.video_id: asdict(r) for r in results}
    if path.exists():
        with contextlib.suppress(Exception):
            old = pd.read_csv(path, dtype=str, keep_default_na=False)
            for record in old.to_dict("records"):
                rows.setdefault(str(record["video_id"]), record)
    table = pd.DataFrame(list(rows.values()), columns=list(VideoResult.__dataclass_fields__))
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=False)
    return path


def features_dir_for(project_root: Path, config: ExtractConfig) -> Path:
    from painscope.project import Project

    return Project(Path(project_root)).features_dir(config_hash(config))


def extract(
    project: Path | str,
    config: ExtractConfig | None = None,
    *,
    only: list[str] | None = None,
    reporter: Callable[[str, VideoResult | None, ProgressFn | None], ProgressFn | None]
    | None = None,
) -> ExtractSummary:
    """Extract token maps for every video in a project's manifest.

    Parameters
    ----------
    project : project folder (with ``manifest.csv``; settings from ``painscope.yaml``)
    config : extract settings (default: the project's)
    only : video ids or manifest paths to restrict to
    reporter : progress callback used by the CLI (start/finish of each video)

    Returns
    -------
    ExtractSummary — one :class:`VideoResult` per video; nothing is raised for a bad video.
    """
    from painscope.project import open_project

    proj = open_project(project)
    config = config or proj.config().extract
    manifest = proj.manifest(check_files=False)
    entries = [e for e in manifest if not only or e.video_id in only or e.video in only]
    key = config_hash(config)
    out_dir = proj.features_dir(key)
    out_dir.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(out_dir)
    summary = ExtractSummary(features_dir=out_dir, key=key, weights=None)

    todo = []
    for entry in entries:
        target = feature_path(out_dir, entry.video_id)
        if entry.path.exists() and is_done(target, key, entry.path):
            summary.results.append(
                VideoResult(
                    entry.video_id, entry.video, "skipped", "already extracted", output=str(target)
                )
            )
        else:
            todo.append(entry)

    extractor: Extractor | None = None
    if todo:
        extractor = Extractor(config)
        summary.weights = extractor.weights
        write_resolved(
            config,
            out_dir / "config.yaml",
            extra={
                "painscope_version": __version__,
                "config_hash": key,
                "weights_id": extractor.weights.id,
                "weights_random": extractor.weights.random,
            },
        )
    for entry in todo:
        target = feature_path(out_dir, entry.video_id)
        started = time.perf_counter()
        progress = reporter("start", None, None) if reporter else None
        with video_lock(out_dir / f"{entry.video_id}.lock") as mine:
            if not mine:
                result = VideoResult(
                    entry.video_id, entry.video, "busy", "another painscope run is extracting it"
                )
            else:
                try:
                    assert extractor is not None
                    features = extractor.video_features(
                        entry.path,
                        video_id=entry.video_id,
                        video_label=entry.video,
                        background_dir=proj.background_dir,
                        on_progress=progress,
                    )
                    if extractor.last_motion_track is not None:  # before the .safetensors
                        save_video_motion(proj.root, entry.video_id,
                                          extractor.last_motion_track, config.pixels_per_cm)  # fmt: skip
                    write_features(target, features)
                    result = VideoResult(
                        entry.video_id,
                        entry.video,
                        "done",
                        n_clips=features.n_clips,
                        output=str(target),
                    )
                except PainscopeError as err:
                    # the table's first column names the video already
                    problem = err.problem if isinstance(err, VideoError) else err.message
                    reason = f"{problem} — fix: {err.fix}" if err.fix else problem
                    result = VideoResult(entry.video_id, entry.video, "failed", reason)
                except Exception as err:  # one bad video never stops the batch
                    result = VideoResult(
                        entry.video_id, entry.video, "failed", f"{type(err).__name__}: {err}"
                    )
        result.seconds = round(time.perf_counter() - started, 2)
        summary.results.append(result)
        if reporter:
            reporter("finish", result, None)
    order = {e.video_id: i for i, e in enumerate(entries)}
    summary.results.sort(key=lambda r: order[r.video_id])  # manifest order
    write_summary(out_dir, summary.results)
    return summary
