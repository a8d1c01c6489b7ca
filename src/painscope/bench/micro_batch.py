"""Whole batches against one clip per forward pass, side by side (``painscope bench micro-batch``).

The extract pipeline hands the backbone ``extract.batch_size`` clips at a time (8 by default).
On a GPU that batch goes through in one forward pass; on a CPU :class:`Extractor` runs it one
clip at a time (:data:`~painscope.features.extractor.CPU_MICRO_BATCH`), because one clip's
activations stay in the caches while a batch's do not. This bench measures that choice: the
same :class:`Extractor` (same weights) runs the same ``batch`` clips both ways, in interleaved
rounds, and reports CPU and wall milliseconds per clip, the ratio, and the largest token
difference between the two (float rounding only).
"""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import torch

from painscope.config import ExtractConfig
from painscope.features.extractor import Extractor

Row = dict[str, Any]


def bench_micro_batch(
    pairs: list[tuple[str, int]], *, batch: int = 8, repeats: int = 3, device: str = "cpu"
) -> list[Row]:
    """For each (backbone, frames per clip): ms per clip with the whole batch at once and
    with one clip per forward pass (median of ``repeats`` interleaved rounds)."""
    rows: list[Row] = []
    rng = np.random.default_rng(0)
    for name, frames in pairs:
        config = ExtractConfig(backbone=name, weights="none", frames_per_clip=frames,
                               batch_size=batch, device=device)  # fmt: skip
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # random weights: timing only
            extractor = Extractor(config)
        size = config.input_size
        clips = rng.random((batch, 1, frames, size, size), dtype=np.float32)  # (B, 1, T, h, w)
        times: dict[int, list[tuple[float, float]]] = {0: [], 1: []}
        tokens: dict[int, np.ndarray] = {}
        for micro in (0, 1):  # warm-up, and the tokens to compare
            extractor.micro_batch = micro
            tokens[micro] = extractor.run_batch(clips)[0]
        for _ in range(repeats):
            for micro in (0, 1):
                extractor.micro_batch = micro
                wall, cpu = time.perf_counter(), time.process_time()
                extractor.run_batch(clips)
                if extractor.device.type == "cuda":
                    torch.cuda.synchronize()
                times[micro].append((time.perf_counter() - wall, time.process_time() - cpu))
        whole, single = (np.median(np.asarray(times[m]), axis=0) / batch * 1e3 for m in (0, 1))
        delta = float(np.abs(tokens[0].astype(np.float32) - tokens[1].astype(np.float32)).max())
        rows.append(
            {
                "bench": "micro-batch",
                "variant": f"{name} T{frames} {size}² batch {batch}: 1 clip per pass",
                "value": float(whole[1] / single[1]),
                "unit": "× less CPU time than the whole batch",
                "wall_ms_per_clip_whole": float(whole[0]),
                "wall_ms_per_clip_single": float(single[0]),
                "cpu_ms_per_clip_whole": float(whole[1]),
                "cpu_ms_per_clip_single": float(single[1]),
                "wall_ratio": float(whole[0] / single[0]),
                "max_abs_token_difference": delta,
                "torch_threads": torch.get_num_threads(),
                "device": str(extractor.device),
            }
        )
    return rows


def markdown(rows: list[Row]) -> str:
    """The rows as a BENCHMARKS.md table."""
    lines = [
        "| backbone, batch | whole batch ms/clip (wall / CPU) | 1 clip per pass (wall / CPU) "
        "| CPU ratio | wall ratio | max token Δ |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant'].split(':')[0]} | {r['wall_ms_per_clip_whole']:.0f} / "
            f"{r['cpu_ms_per_clip_whole']:.0f} | {r['wall_ms_per_clip_single']:.0f} / "
            f"{r['cpu_ms_per_clip_single']:.0f} | {r['value']:.2f}× | {r['wall_ratio']:.2f}× "
            f"| {r['max_abs_token_difference']:.1e} |"
        )
    return "\n".join(lines)
