"""Sub-benchmarks of the extraction stage: decode, background, backbone, end to end.

Each returns a list of result rows (plain dicts) so the CLI can print a table and
write JSON. Timings are wall-clock medians over repeats after a warm-up; on CUDA
the device is synchronised before the clock is read.
"""

from __future__ import annotations

import platform
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

Row = dict[str, Any]


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import os

    import av

    info: dict[str, Any] = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "pyav": av.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "cuda": torch.cuda.is_available(),
    }
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _timed(fn: Callable[[], None], repeats: int, sync: bool) -> float:
    """Median seconds of ``fn`` over ``repeats`` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        if sync:
            torch.cuda.synchronize()
        start = time.perf_counter()
        fn()
        if sync:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def synthetic_video(path: Path, *, seconds: float, width: int, height: int, fps: int = 30) -> Path:
    """An H.264 video of a textured floor with a moving dark ellipse (like a mouse)."""
    import av
    import cv2

    from painscope.io.video import encode_frames

    rng = np.random.default_rng(0)
    floor = cv2.GaussianBlur(rng.integers(90, 200, (height, width), dtype=np.uint8), (0, 0), 3)
    container = av.open(str(path), "w")
    stream = container.add_stream("libx264", rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    stream.options = {"preset": "veryfast", "crf": "23"}

    def frames() -> Iterator[np.ndarray]:
        for i in range(int(seconds * fps)):
            frame = floor.copy()
            x = int(width * (0.2 + 0.6 * (0.5 + 0.5 * np.sin(i / 40))))
            y = int(height * (0.3 + 0.4 * (0.5 + 0.5 * np.cos(i / 55))))
            cv2.ellipse(frame, (x, y), (width // 12, height // 20), i % 180, 0, 360, 30, -1)
            yield frame  # (H, W) gray

    encode_frames(container, stream, frames(), fmt="gray")
    container.close()
    return path


def bench_decode(video: Path) -> list[Row]:
    from painscope.io.video import iter_frames, probe

    info = probe(video)
    rows = []
    for color in ("gray", "rgb"):
        start = time.perf_counter()
        n = sum(1 for _ in iter_frames(video, color=color))  # type: ignore[arg-type]
        seconds = time.perf_counter() - start
        rows.append(
            {
                "bench": "decode",
                "variant": f"{info.codec} {info.width}x{info.height} {color}",
                "value": n / seconds,
                "unit": "frames/s",
            }
        )
    return rows


def bench_background(width: int, height: int, n_frames: int = 256) -> list[Row]:
    from painscope.background.median import MedianAccumulator

    rng = np.random.default_rng(0)
    base = rng.integers(30, 220, (height, width), dtype=np.uint8)
    frames = np.clip(base[None] + rng.integers(-6, 7, (32, height, width)), 0, 255).astype(np.uint8)
    acc = MedianAccumulator((height, width), expected_frames=9000)
    start = time.perf_counter()
    for i in range(n_frames):
        acc.update(frames[i % len(frames)])
    acc._flush()
    update_s = time.perf_counter() - start
    start = time.perf_counter()
    acc.median()
    median_s = time.perf_counter() - start
    return [
        {
            "bench": "background",
            "variant": f"histogram update {width}x{height}",
            "value": n_frames / update_s,
            "unit": "frames/s",
        },
        {
            "bench": "background",
            "variant": f"median readout {width}x{height}",
            "value": median_s,
            "unit": "s",
            "memory_mb": acc.counts_.nbytes / 2**20,
        },
    ]


def bench_backbone(
    variants: list[str],
    *,
    device: torch.device,
    frames_per_clip: int = 32,
    batch_size: int = 2,
    input_size: int = 224,
    repeats: int = 3,
    precisions: tuple[str, ...] = ("fp32", "bf16"),
) -> list[Row]:
    """Clips per second of the token mapper (weights don't change speed: random init)."""
    from painscope.features.backbones import TokenMapper, build_backbone

    rows = []
    sync = device.type == "cuda"
    for name in variants:
        mapper = TokenMapper(build_backbone(name)).to(device).eval()
        x = torch.randn(batch_size, 3, frames_per_clip, input_size, input_size, device=device)
        for precision in precisions:
            dtype = torch.bfloat16 if precision == "bf16" else torch.float32

            def step(
                mapper: torch.nn.Module = mapper, dtype: torch.dtype = dtype, x: torch.Tensor = x
            ) -> None:
                with (
                    torch.inference_mode(),
                    torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32),
                ):
                    mapper(x)

            if sync:
                torch.cuda.reset_peak_memory_stats()
            seconds = _timed(step, repeats, sync)
            row: Row = {
                "bench": "backbone",
                "variant": f"{name} T{frames_per_clip} {input_size}² {precision} batch {batch_size}",
                "value": batch_size / seconds,
                "unit": "clips/s",
                "device": str(device),
            }
            if sync:
                row["gpu_memory_mb"] = torch.cuda.max_memory_allocated() / 2**20
            rows.append(row)
        del mapper
    return rows


def bench_end_to_end(
    video: Path, *, backbone: str, frames_per_clip: int, device: str, batch_size: int
) -> list[Row]:
    """Video file → token file through :func:`painscope.features.extract.extract`."""
    from painscope.config import ExtractConfig
    from painscope.features.extract import extract
    from painscope.io.video import probe
    from painscope.project import init_project

    info = probe(video)
    rows = []
    for background in ("median", "none"):
        with tempfile.TemporaryDirectory() as tmp:
            project = init_project(Path(tmp))
            (project.root / "manifest.csv").write_text(
                f"video,mouse_id,condition,timepoint,group,view\n{video},m1,SNI,D3,,bottom\n"
            )
            config = ExtractConfig(
                backbone=backbone,
                weights="none",
                background=background,  # type: ignore[arg-type]
                frames_per_clip=frames_per_clip,
                batch_size=batch_size,
                device=device,
            )
            start = time.perf_counter()
            summary = extract(project.root, config)
            seconds = time.perf_counter() - start
            if summary.n_failed:
                raise RuntimeError(summary.results[0].reason)
        rows.append(
            {
                "bench": "end-to-end",
                "variant": f"{backbone} T{frames_per_clip} background={background} "
                f"{info.width}x{info.height} {info.duration_s:.0f} s",
                "value": info.duration_s / seconds,
                "unit": "x real time",
                "seconds": seconds,
            }
        )
    return rows
