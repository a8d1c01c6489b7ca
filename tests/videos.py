"""Synthetic test videos with known content (lossless FFV1 unless a codec is asked for)."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from painscope.io.video import encode_frames


def write_video(
    path: Path,
    frames: np.ndarray,
    *,
    fps: float = 30,
    codec: str = "ffv1",
    times_s: np.ndarray | None = None,
) -> Path:
    """Write (n, H, W) gray or (n, H, W, 3) RGB uint8 frames.

    ``times_s`` gives explicit presentation times (variable frame rate), in ms precision.
    """
    path = Path(path)
    container = av.open(str(path), "w")
    gray = frames.ndim == 3
    rate = Fraction(fps).limit_denominator(1000)
    stream = container.add_stream(codec, rate=rate)
    stream.width, stream.height = frames.shape[2], frames.shape[1]
    if codec == "ffv1":
        stream.pix_fmt = "gray" if gray else "bgr0"
    else:
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "0", "preset": "ultrafast"} if codec == "libx264" else {}
    if times_s is not None:
        stream.codec_context.time_base = Fraction(1, 1000)

    def timed() -> Iterator[av.VideoFrame]:
        for i, image in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(image, format="gray" if gray else "rgb24")
            if times_s is not None:
                frame.pts = round(times_s[i] * 1000)
                frame.time_base = Fraction(1, 1000)
            yield frame

    encode_frames(container, stream, timed())
    container.close()
    return path


def blob_frames(
    n: int, height: int = 64, width: int = 128, *, seed: int = 0, size: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """A textured static background with one bright square moving left to right.

    Returns (frames (n, H, W) uint8, blob top-left corners (n, 2) as row, col).
    """
    rng = np.random.default_rng(seed)
    background = rng.integers(20, 120, (height, width), dtype=np.uint8)
    frames = np.repeat(background[None], n, axis=0)
    corners = np.zeros((n, 2), dtype=int)
    for i in range(n):
        row = height // 2 - size // 2
        col = int((width - size) * i / max(1, n - 1))
        frames[i, row : row + size, col : col + size] = 250
        corners[i] = row, col
    return frames, corners
