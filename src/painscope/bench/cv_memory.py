"""Peak memory of ``painscope cv`` with token stores held in memory vs read lazily.

A synthetic project of ``n_videos`` token files (n_clips × h × w × C float16, the
paper's layout) is cross-validated once per (n_videos, loading) in a fresh process,
whose peak resident set (``ru_maxrss``) is what the row reports. With ``lazy`` the
peak should stay flat as videos are added; in memory it grows by one video's view
per video.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

Row = dict[str, Any]

_CHILD = r"""
import json, resource, sys, time
import torch
torch.set_num_threads(1)
from painscope.config import TrainConfig
from painscope.train import TokenStoreSource, run_cv
root, folder, lazy, mode = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]
config = TrainConfig(d_model=16, n_layers=1, d_state=8, n_clips=int(sys.argv[5]), epochs=1,
    batch_size=4, dropout=0.0, n_bootstrap=10, device="cpu", scheme="3class",
    relevance=False, baseline=False, n_folds=4)
started = time.perf_counter()
run_cv(root, config, [TokenStoreSource(folder, mode, 3, lazy=lazy)], progress=False)
print(json.dumps({"peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "seconds": time.perf_counter() - started}))
"""


def make_token_project(
    root: Path, n_videos: int, *, n_clips: int = 200, grid: int = 7, channels: int = 1024
) -> Path:
    """A project of ``n_videos`` random token files (3 balanced classes); its features folder."""
    from painscope.config import ExtractConfig, config_hash
    from painscope.features.store import VideoFeatures, feature_path, write_features
    from painscope.project import init_project

    project = init_project(root, overwrite=True)
    folder = project.features_dir(config_hash(ExtractConfig()))
    rows = (("control", "D7"), ("formalin", "D3"), ("SNI", "D7"))
    lines = ["video,mouse_id,condition,timepoint,group,view"]
    rng = np.random.default_rng(0)
    for i in range(n_videos):
        condition, timepoint = rows[i % 3]
        lines.append(f"videos/v{i:04d}.mp4,m{i:04d},{condition},{timepoint},,bottom")
        path = feature_path(folder, f"videos__v{i:04d}")
        if path.exists():
            continue
        tokens = rng.standard_normal((n_clips, grid, grid, channels), dtype=np.float32)
        write_features(
            path,
            VideoFeatures(
                tokens=tokens.astype(np.float16),
                response=rng.random((n_clips, grid, grid), dtype=np.float32),
                clips=np.zeros((n_clips, 4)),
                meta={},
            ),
        )
    (root / "manifest.csv").write_text("\n".join(lines) + "\n")
    return folder


def bench_cv_memory(
    work: Path,
    sizes: tuple[int, ...] = (24, 48),
    *,
    mode: str = "all",
    n_clips: int = 200,
    channels: int = 1024,
    train_clips: int = 50,
) -> list[Row]:
    """One row per (n_videos, loading): peak RSS of a one-epoch 4-fold CV, seconds."""
    rows: list[Row] = []
    for n in sizes:
        root = Path(work) / f"cv_memory_{n}"
        folder = make_token_project(root, n, n_clips=n_clips, channels=channels)
        store_mib = sum(p.stat().st_size for p in folder.glob("*.safetensors")) / 2**20
        for lazy in (False, True):
            started = time.perf_counter()
            out = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    _CHILD,
                    str(root),
                    str(folder),
                    "1" if lazy else "0",
                    mode,
                    str(train_clips),
                ],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                raise RuntimeError(f"cv child failed:\n{out.stderr[-2000:]}")
            result = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(
                {
                    "bench": "cv-memory",
                    "n_videos": n,
                    "store_mib": round(store_mib, 1),
                    "tokens": mode,
                    "loading": "lazy" if lazy else "memory",
                    "peak_rss_mib": round(result["peak_rss_mib"], 1),
                    "cv_seconds": round(result["seconds"], 1),
                    "wall_seconds": round(time.perf_counter() - started, 1),
                }
            )
    return rows


def markdown_table(rows: list[Row]) -> str:
    """The rows of :func:`bench_cv_memory` as a Markdown table."""
    keys = list(rows[0]) if rows else []
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"
