"""Streaming video decoding with PyAV (FFmpeg).

Frames are yielded one at a time, so a 5-min full-resolution video is never held
in memory. Times come from each frame's presentation timestamp, so variable
frame rate video is handled by time, not by frame counting.

Arrays are (height, width) uint8 for brightness (the luma plane) or
(height, width, 3) uint8 RGB.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np

from painscope.errors import VideoError

ColorMode = Literal["gray", "rgb"]
_FIX_UNREADABLE = (
    "check that the file plays in a video player; re-encode it with "
    "`ffmpeg -i IN -c:v libx264 -crf 18 OUT.mp4`"
)


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video's first video stream.

    ``fps`` is the stream's average rate; ``n_frames`` is the container's count
    (0 when the container does not say; the decoder's count is authoritative).
    """

    path: Path
    width: int
    height: int
    fps: float
    n_frames: int
    duration_s: float
    codec: str
    pix_fmt: str


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in display order, time in seconds from the first frame."""

    index: int
    time_s: float
    image: np.ndarray


def _open(path: Path):  # type: ignore[no-untyped-def]
    import av

    path = Path(path)
    if not path.exists():
        raise VideoError(path, "file not found", fix="check the path in the manifest")
    if path.stat().st_size == 0:
        raise VideoError(path, "the file is empty (0 bytes)", fix="copy the video again")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise VideoError(path, f"not a readable video ({err})", fix=_FIX_UNREADABLE) from None
    if not container.streams.video:
        container.close()
        raise VideoError(path, "the file has no video stream", fix=_FIX_UNREADABLE)
    return container


def probe(path: Path | str) -> VideoInfo:
    """Read the stream's size, rate and frame count without decoding."""
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.base_rate or stream.guessed_rate
        fps = float(rate) if rate else 0.0
        duration = 0.0
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / 1_000_000
        ctx = stream.codec_context
        return VideoInfo(
            path=path,
            width=int(ctx.width),
            height=int(ctx.height),
            fps=fps,
            n_frames=int(stream.frames or 0),
            duration_s=duration,
            codec=str(ctx.name),
            pix_fmt=str(ctx.pix_fmt or ""),
        )
    finally:
        container.close()


def _to_array(frame, color: ColorMode) -> np.ndarray:  # type: ignore[no-untyped-def]
    if color == "rgb":
        return frame.to_ndarray(format="rgb24")
    fmt = frame.format.name
    if fmt.startswith(("yuv", "yuvj", "nv12", "nv21")) and not fmt.startswith("yuva"):
        # the luma plane is the brightness; copy it out without a colour conversion
        plane = frame.planes[0]
        rows = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
        return np.ascontiguousarray(rows[:, : frame.width])
    return frame.to_ndarray(format="gray")


def iter_frames(
    path: Path | str, *, color: ColorMode = "gray", threads: int = 0
) -> Iterator[Frame]:
    """Yield every frame of the first video stream, in display order.

    Parameters
    ----------
    path : video file
    color : ``gray`` → (H, W) uint8 brightness; ``rgb`` → (H, W, 3) uint8
    threads : decoder threads (0 = FFmpeg's choice)

    Raises
    ------
    VideoError
        unreadable file or no frames at all. A file truncated mid-stream yields
        the frames before the damage (callers compare with the expected count).
    """
    import av

    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if threads:
            stream.codec_context.thread_count = threads
        rate = stream.average_rate or stream.guessed_rate or Fraction(30)
        time_base = stream.time_base
        first_pts: int | None = None
        index = 0
        try:
            for frame in container.decode(stream):
                pts = frame.pts
                if pts is not None and time_base is not None:
                    if first_pts is None:
                        first_pts = pts
                    time_s = float((pts - first_pts) * time_base)
                else:
                    time_s = index / float(rate)
                yield Frame(index=index, time_s=time_s, image=_to_array(frame, color))
                index += 1
        except av.error.FFmpegError as err:
            if index == 0:
                raise VideoError(
                    path, f"no frame could be decoded ({err})", fix=_FIX_UNREADABLE
                ) from None
            # truncated or damaged after `index` frames: stop here, keep what decoded
            return
        if index == 0:
            raise VideoError(path, "the video has no frames", fix=_FIX_UNREADABLE)
    finally:
        container.close()


def frame_times(path: Path | str) -> np.ndarray:
    """Presentation times (s, from the first frame) of every frame, by decoding.

    Returns
    -------
    float64 array of shape (n_frames,), increasing.
    """
    return np.array([f.time_s for f in iter_frames(path)], dtype=np.float64)


def file_hash(path: Path | str, *, chunk_bytes: int = 1 << 20) -> str:
    """blake2b content hash of a file (hex, 32 chars)."""
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        while block := handle.read(chunk_bytes):
            digest.update(block)
    return digest.hexdigest()
