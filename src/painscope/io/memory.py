"""How much host memory ``painscope extract`` needs for one video, checked before it starts.

Memory grows with the frame size, not the video's length: the exact median keeps a
256-bin histogram per pixel. :func:`estimate_extract_memory` predicts the peak from
the probe and the settings; :func:`check_extract_memory` warns when that is a large
share of the free memory and refuses (``VideoError``, with the figure and the fix)
when it does not fit, instead of letting the operating system kill the batch.

Notes
-----
The model, in bytes, with P = width × height pixels::

    peak = base + model + max(background stage, clip stage)
    background stage = P × (256 × counter bytes + min(128, n_frames) + buffers)
    clip stage       = P × (5 × frames_per_clip + buffers) + activations

* counter bytes = 2 (uint16) below 65,535 frames, else 4; on CUDA the histogram
  lives on the GPU and only the 128-frame chunk stays in host memory;
* buffers = 2 × prefetch decoded frames + ~20 B/px for the decoder and the
  float32 background;
* activations (Video Swin, sdpa, CPU) = (0.6 GB + 0.22 GB × batch_size) ×
  (embed_dim / 128) × (frames_per_clip / 32) × (input_size / 224)²;
* base = 1.0 GB (Python, torch and the CLI); model = 4.5 bytes per parameter.

The check compares the growth still to come (estimate minus the process's resident
memory) with ``MemAvailable``. Not measured on a GPU (none in this session): there the
histogram and the activations live in GPU memory and are left out, while the CUDA
runtime's own host memory is not modelled, so on CUDA the estimate errs low.

Measured on a 2-core CPU (``/usr/bin/time -v painscope extract``, tiny backbone,
30-frame H.264 videos): peak RSS 1.09 GB at 320 × 180, 1.45 GB at 1280 × 720,
2.99 GB at 2560 × 1440 (estimates 1.03, 1.53 and 3.10 GB; a 4096 × 2304
video: 6.4 GB, against the 6.2 GB peak the fault campaign saw). Swin-B, one batch of
32 × 224² clips on CPU: +0.43 GB for the model, +0.82 GB for a batch of 1, +1.04 GB
for 2. The estimate is within -5 % to +6 % of those peaks.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from painscope.config.extract import ExtractConfig
from painscope.errors import VideoError
from painscope.io.video import VideoInfo

GB = 1e9
BASE_BYTES = 1.0 * GB
WARN_FRACTION = 0.6  # warn above this share of the available memory
REFUSE_FRACTION = 1.0  # refuse above it
SKIP_ENV = "PAINSCOPE_SKIP_MEMORY_CHECK"
_PARAMS = {"swin3d_t": 28.2e6, "swin3d_s": 49.8e6, "swin3d_b": 88.0e6, "tiny": 0.3e6}
_EMBED = {"swin3d_t": 96, "swin3d_s": 96, "swin3d_b": 128, "tiny": 16}


class MemoryWarning(UserWarning):
    """A video will use a large share of the free memory."""


def _on_gpu(config: ExtractConfig) -> bool:
    if config.device.startswith("cuda"):
        return True
    if config.device != "auto":
        return False
    import torch

    return bool(torch.cuda.is_available())


def estimate_extract_memory(info: VideoInfo, config: ExtractConfig) -> int:
    """Predicted peak host memory (bytes) of extracting the video ``info`` (module notes)."""
    pixels = info.width * info.height
    n_frames = info.n_frames or (round(info.duration_s * info.fps) if info.fps else 0)
    buffers = 2 * config.prefetch + 20
    chunk = min(128, n_frames) if n_frames > 0 else 128
    counters = 0 if _on_gpu(config) else 256 * (2 if n_frames < 65_535 else 4)
    background = pixels * (counters + chunk + buffers) if config.background == "median" else 0
    embed = _EMBED.get(config.backbone, 128)
    scale = (embed / 128) * (config.frames_per_clip / 32) * (config.input_size / 224) ** 2
    activations = 0.0 if _on_gpu(config) else (0.6 * GB + 0.22 * GB * config.batch_size) * scale
    clips = pixels * (5 * config.frames_per_clip + buffers) + activations
    model = 4.5 * _PARAMS.get(config.backbone, 88e6)
    return int(BASE_BYTES + model + max(background, clips))


def available_memory() -> int | None:
    """Bytes the system can give without swapping (``MemAvailable``), or None if unknown."""
    meminfo = Path("/proc/meminfo")
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):
        return None


def resident_memory() -> int:
    """Bytes this process holds now (resident set), 0 when unknown."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * int(os.sysconf("SC_PAGE_SIZE"))
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def check_extract_memory(
    info: VideoInfo,
    config: ExtractConfig,
    *,
    available: int | None = None,
    resident: int | None = None,
) -> int:
    """Estimate the video's peak memory; warn or refuse before any frame is decoded.

    What is compared with the free memory is the growth still to come: the estimated
    peak minus what the process already holds (Python, torch and the loaded model are
    part of the estimate but already resident).

    Parameters
    ----------
    available : free bytes (default: :func:`available_memory`).
    resident : bytes this process holds now (default: :func:`resident_memory`).

    Returns
    -------
    the estimate in bytes.

    Raises
    ------
    VideoError
        when the estimate exceeds ``REFUSE_FRACTION`` of the available memory (set
        ``PAINSCOPE_SKIP_MEMORY_CHECK=1`` to try anyway).
    """
    need = estimate_extract_memory(info, config)
    free = available_memory() if available is None else available
    if free is None or os.environ.get(SKIP_ENV) == "1":
        return need
    held = resident_memory() if resident is None else resident
    more = max(0, need - held)
    size = f"{info.width} x {info.height}"
    if more > REFUSE_FRACTION * free:
        raise VideoError(
            info.path,
            f"needs about {need / GB:.1f} GB of memory at {size} pixels ({more / GB:.1f} GB "
            f"more than painscope holds now), but only {free / GB:.1f} GB is free",
            fix="downscale the video (`ffmpeg -i IN -vf scale=iw/2:-2 OUT.mp4`), use a machine "
            "with more memory or a CUDA GPU (the median's histogram then lives on the GPU), "
            f"or set {SKIP_ENV}=1 to try anyway",
        )
    if more > WARN_FRACTION * free:
        warnings.warn(
            f"{info.path}: needs about {more / GB:.1f} GB more memory of the {free / GB:.1f} GB "
            f"free ({size} pixels); other programs may run short",
            MemoryWarning,
            stacklevel=2,
        )
    return need
