"""Streaming video decoding with PyAV (FFmpeg).

Frames are yielded one at a time, so a 5-min full-resolution video is never held
in memory. Times come from each frame's presentation timestamp, so variable
frame rate video is handled by time, not by frame counting.

Arrays are (height, width) uint8 for brightness (the luma plane) or
(height, width, 3) uint8 RGB, whatever the stored bit depth.

Notes
-----
Bit depth: every video is brought to 8 bits. An 8-bit YUV luma plane is copied as
stored (no range conversion). A 9- to 16-bit planar YUV luma plane (yuv420p10le,
yuv422p12le, ... as written by many lab cameras and HEVC encoders) is rounded to
8 bits by dropping the low bits (``(y + 2^(b-9)) >> (b-8)``), which keeps the same
studio range as the 8-bit path, so a 10-bit video and its 8-bit twin give
backgrounds within one gray level. Other formats (gray16, rgb48, p010, ...) go
through FFmpeg's own 8-bit conversion. The extra precision is dropped: the
backbone sees 8-bit input in any case.

Rotation: frames are decoded as stored. A rotation tag (display matrix, as phones
write it) is reported in :attr:`VideoInfo.rotation_deg` but not applied; all
clips of a video share it, so a project whose videos share one orientation is
unaffected. To normalise, re-encode with ``ffmpeg -i IN OUT.mp4`` (ffmpeg applies
the rotation by default).
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
_FIX_PERMISSION = (
    "fix the file's permissions (e.g. `chmod a+r FILE`) or run painscope as a user who can read it"
)


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video's first video stream.

    ``fps`` is the stream's average rate; ``n_frames`` is the container's count
    (0 when the container does not say; the decoder's count is authoritative).
    ``rotation_deg`` is the display rotation tag (counter-clockwise degrees; not
    applied when decoding, see the module notes).
    """

    path: Path
    width: int
    height: int
    fps: float
    n_frames: int
    duration_s: float
    codec: str
    pix_fmt: str
    rotation_deg: int = 0


@dataclass(frozen=True)
class Frame:
    """One decoded frame: its index in display order, time in seconds from the first frame."""

    index: int
    time_s: float
    image: np.ndarray


def _open(path: Path):  # type: ignore[no-untyped-def]
    import av

    path = Path(path)
    if not path.exists() and path.is_symlink():
        raise VideoError(
            path,
            "is a symbolic link that loops or points to nothing",
            fix="point the manifest at the real video file",
        )
    if not path.exists():
        raise VideoError(path, "file not found", fix="check the path in the manifest")
    if path.is_dir():
        raise VideoError(
            path, "is a directory, not a video file", fix="point the manifest at the video file"
        )
    if path.stat().st_size == 0:
        raise VideoError(path, "the file is empty (0 bytes)", fix="copy the video again")
    try:
        container = av.open(str(path))
    except PermissionError:
        raise VideoError(path, "permission denied", fix=_FIX_PERMISSION) from None
    except IsADirectoryError:
        raise VideoError(path, "is a directory, not a video file") from None
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
            rotation_deg=_first_frame_rotation(container, stream),
        )
    finally:
        container.close()


def _first_frame_rotation(container, stream) -> int:  # type: ignore[no-untyped-def]
    """Display rotation of the first frame (0 when there is none or nothing decodes)."""
    import av

    try:
        for frame in container.decode(stream):
            return round(float(getattr(frame, "rotation", 0) or 0))
    except (av.error.FFmpegError, ValueError):
        return 0
    return 0


def _luma_bits(frame) -> int:  # type: ignore[no-untyped-def]
    """Bits per sample of the first (luma) component; 8 when FFmpeg does not say."""
    try:
        return int(frame.format.components[0].bits)
    except (AttributeError, IndexError, TypeError):
        return 8


def _to_array(frame, color: ColorMode) -> np.ndarray:  # type: ignore[no-untyped-def]
    """(H, W) uint8 luma or (H, W, 3) uint8 RGB of one frame, any bit depth (module notes)."""
    if color == "rgb":
        return frame.to_ndarray(format="rgb24")
    fmt = frame.format.name
    if fmt.startswith(("yuv", "yuvj", "nv12", "nv21")) and not fmt.startswith("yuva"):
        # the luma plane is the brightness; copy it out without a colour conversion
        plane = frame.planes[0]
        bits = _luma_bits(frame)
        if bits == 8:
            rows = np.frombuffer(plane, np.uint8).reshape(frame.height, plane.line_size)
            return np.ascontiguousarray(rows[:, : frame.width])
        if 8 < bits <= 16 and fmt.startswith("yuv"):
            # planar high bit depth: little- or big-endian 16-bit words, value in the low bits
            dtype = ">u2" if fmt.endswith("be") else "<u2"
            words = np.frombuffer(plane, dtype).reshape(frame.height, plane.line_size // 2)
            shift = bits - 8
            luma = (words[:, : frame.width].astype(np.uint32) + (1 << (shift - 1))) >> shift
            return np.minimum(luma, 255).astype(np.uint8)
        # other layouts (semi-planar 10-bit, ...): FFmpeg converts to 8-bit YUV, range kept
        plane8 = frame.reformat(format="yuv420p").planes[0]
        rows = np.frombuffer(plane8, np.uint8).reshape(frame.height, plane8.line_size)
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


def encode_frames(container, stream, frames, *, fmt: str = "rgb24") -> None:  # type: ignore[no-untyped-def]
    """Encode ``frames`` — uint8 arrays (H, W, 3) for ``rgb24``, (H, W) for ``gray``, or
    ready ``av.VideoFrame``s — into ``stream``, mux the packets into ``container`` and flush
    the encoder. The one write loop of the simulator, the benchmarks and the tests' videos."""
    import av

    for image in frames:
        frame = (
            image
            if isinstance(image, av.VideoFrame)
            else av.VideoFrame.from_ndarray(image, format=fmt)
        )
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)
