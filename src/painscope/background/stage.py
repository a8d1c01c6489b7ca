"""The background stage of extraction: one decode pass → the exact per-pixel median.

Contract: :func:`video_background` returns the (H, W) float32 median of the video's
brightness, bit-for-bit ``np.median`` over every decoded frame, and caches it as
``<cache_dir>/<video_id>.npz`` (exact, with the video's content hash and frame count) plus a
rounded ``.png`` to look at. A cached file whose hash matches is reused. The accumulator is
the numpy histogram on a CPU and the torch histogram on a CUDA device (the same exact result).
:func:`check_complete` is the truncation check shared with the clip pass.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from painscope.background.median import MedianAccumulator
from painscope.background.median_torch import TorchMedianAccumulator
from painscope.background.subsample import n_sampled, sample_mask
from painscope.errors import VideoError
from painscope.io.atomic import atomic_path
from painscope.io.prefetch import prefetch
from painscope.io.video import VideoInfo, iter_frames


@dataclass(frozen=True)
class Background:
    """A video's background: ``median`` (H, W) float32 in [0, 255] over ``n_frames`` frames."""

    median: np.ndarray
    n_frames: int


def make_accumulator(
    shape: tuple[int, int], *, expected_frames: int, device: torch.device, threads: int = 0
) -> MedianAccumulator | TorchMedianAccumulator:
    """The exact median's histogram: on the GPU when extracting on CUDA, numpy otherwise.

    ``threads``: cores to use (0 = every core this process may run on). One core (a worker
    of N on N cores): count in the caller's thread, not beside it; k > 1 cores: count each
    chunk in k threads beside the decode (same counts, bit for bit).
    """
    if device.type == "cuda":
        return TorchMedianAccumulator(shape, device=device)
    cores = threads or _available_cores()
    return MedianAccumulator(shape, expected_frames=expected_frames, overlap=cores > 1,
                             count_threads=min(cores, MAX_COUNT_THREADS))  # fmt: skip


MAX_COUNT_THREADS = 8  # the counting streams 640 MiB per chunk: more threads only share it


def _available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def compute_background(
    path: Path,
    info: VideoInfo,
    *,
    device: torch.device,
    prefetch_depth: int = 8,
    background_frames: int = 0,
    threads: int = 0,
) -> Background:
    """One gray decode pass of ``path`` → its exact median. Raises :class:`VideoError`.

    ``background_frames`` N > 0 counts only N evenly spaced frames (the fast approximate
    option, :mod:`painscope.background.subsample`); every frame is still decoded, so the
    truncation check sees them all. ``n_frames`` of the result is the frames decoded.
    ``threads``: the cores this pass may use (0 = all: FFmpeg's choice of decoder threads
    and counting beside the decode; 1: one decoder thread, counting in the same thread).
    Same result whatever the threads.
    """
    keep = sample_mask(info.n_frames, background_frames)  # None: every frame (exact)
    expected = n_sampled(info.n_frames, background_frames)
    acc: MedianAccumulator | TorchMedianAccumulator | None = None
    n, last_s = 0, 0.0
    frames = iter_frames(path, color="gray", threads=threads)
    for frame in prefetch(frames, prefetch_depth):
        if acc is None:
            acc = make_accumulator(frame.image.shape[:2], expected_frames=expected, device=device,
                                   threads=threads)  # fmt: skip
        if keep is None or (frame.index < len(keep) and keep[frame.index]):
            acc.update(frame.image)
        n, last_s = n + 1, frame.time_s
    assert acc is not None  # iter_frames raises when there is no frame
    check_complete(path, info, n, last_s + (1.0 / info.fps if info.fps > 0 else 0.0))
    return Background(acc.median(), n)


def video_background(
    path: Path,
    info: VideoInfo,
    video_hash: str,
    *,
    cache_dir: Path | None,
    video_id: str,
    device: torch.device,
    prefetch_depth: int = 8,
    background_frames: int = 0,
    threads: int = 0,
) -> Background:
    """The cached background of ``path`` if its content hash (and ``background_frames``)
    match, else compute and cache. The exact and the subsampled median never mix:
    the cache records which one it holds (files without the field are exact)."""
    cached = Path(cache_dir) / f"{video_id}.npz" if cache_dir else None
    if cached is not None and cached.exists():
        with contextlib.suppress(Exception), np.load(cached) as data:
            sampled = int(data["background_frames"]) if "background_frames" in data else 0
            if str(data["video_hash"]) == video_hash and sampled == background_frames:
                return Background(data["median"].astype(np.float32), int(data["n_frames"]))
    background = compute_background(
        path, info, device=device, prefetch_depth=prefetch_depth,
        background_frames=background_frames, threads=threads,
    )  # fmt: skip
    if cached is not None:
        write_background(cached, background, video_hash, background_frames)
    return background


def write_background(
    cached: Path, background: Background, video_hash: str, background_frames: int = 0
) -> None:
    """``.npz`` (exact) and ``.png`` (rounded) beside each other, each written atomically."""
    from PIL import Image

    with atomic_path(cached) as tmp, open(tmp, "wb") as handle:
        np.savez(
            handle,
            median=background.median,
            video_hash=video_hash,
            n_frames=background.n_frames,
            background_frames=background_frames,
        )
    png = np.clip(np.floor(background.median + 0.5), 0, 255).astype(np.uint8)
    with atomic_path(cached.with_suffix(".png")) as tmp:
        Image.fromarray(png).save(tmp, format="PNG")


def check_complete(path: Path, info: VideoInfo, decoded: int, decoded_s: float) -> None:
    """A video that decodes to fewer frames (or seconds) than its container declares is
    truncated or damaged: raise :class:`VideoError`."""
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
