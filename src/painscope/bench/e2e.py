"""``painscope bench e2e``: one video through each stage of extraction, as ratios to decode.

Rows (same video, same machine, one run): a pure gray decode pass; the background pass
(decode + exact median); the whole extraction of a project of ``n_videos`` copies of the
video with the tiny backbone and with a real one (swin3d_t, random weights, CPU), each with
1 and N workers (and on a local Ray cluster with ``ray=True``). Each extraction runs in a
fresh Python process so its CPU seconds (self + children) and peak RSS are its own.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

Row = dict[str, Any]

_CHILD = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from painscope.config import ExtractConfig
from painscope.features.runner import extract
config = ExtractConfig(**json.loads(sys.argv[2]))
ray_s = 0.0
if sys.argv[3]:  # start the local cluster before the clock: its start-up is reported apart
    import ray
    t0 = time.perf_counter()
    ray.init(num_cpus=int(sys.argv[4]), include_dashboard=False, log_to_driver=False)
    ray_s = time.perf_counter() - t0
start = time.perf_counter()
summary = extract(sys.argv[1], config, ray=sys.argv[3] or None)
wall = time.perf_counter() - start
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall_s": wall, "ray_start_s": ray_s,
    "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime,
    "peak_main_mb": me.ru_maxrss / 1024, "peak_worker_mb": kids.ru_maxrss / 1024,
    "statuses": [r.status.value for r in summary.results]}))
"""


def _project(root: Path, video: Path, n_videos: int) -> Path:
    from painscope.project import init_project

    init_project(root)
    rows = []
    for i in range(n_videos):
        copy = root / "videos" / f"v{i}{video.suffix}"
        shutil.copyfile(video, copy)
        rows.append(f"videos/{copy.name},m{i},SNI,D3,,bottom\n")
    (root / "manifest.csv").write_text(
        "video,mouse_id,condition,timepoint,group,view\n" + "".join(rows)
    )
    return root


def _extract_in_child(
    project: Path, settings: dict[str, Any], ray: str | None, cpus: int
) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(project), json.dumps(settings), ray or "", str(cpus)],
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"extraction failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if any(s != "done" for s in result["statuses"]):
        raise RuntimeError(f"extraction did not finish every video: {result['statuses']}")
    return result


def bench_e2e(
    video: Path,
    *,
    workers: int,
    n_videos: int = 4,
    real_backbone: str | None = "swin3d_t",
    real_frames: int = 16,
    ray: bool = False,
    say: Any = print,
) -> list[Row]:
    """Every row of the e2e table (see module docstring)."""
    import torch

    from painscope.background.stage import compute_background
    from painscope.io.video import iter_frames, probe

    info = probe(video)
    rows: list[Row] = []
    say(f"decode: {video.name} {info.width}x{info.height} {info.duration_s:.1f} s")
    start = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    n = sum(1 for _ in iter_frames(video, color="gray"))
    decode_s = time.perf_counter() - start
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    rows.append(
        {
            "stage": "pure gray decode",
            "variant": f"{n} frames",
            "seconds": decode_s,
            "cpu_s": cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime,
            "videos": 1,
        }
    )
    say("background pass")
    start = time.perf_counter()
    compute_background(video, info, device=torch.device("cpu"))
    cpu2 = resource.getrusage(resource.RUSAGE_SELF)
    rows.append(
        {
            "stage": "background pass",
            "variant": "decode + exact median (numba; first call loads its cache)",
            "seconds": time.perf_counter() - start,
            "cpu_s": cpu2.ru_utime + cpu2.ru_stime - cpu1.ru_utime - cpu1.ru_stime,
            "videos": 1,
        }
    )
    cases: list[tuple[str, dict[str, Any], int, str | None]] = []
    tiny = {"backbone": "tiny", "weights": "none", "device": "cpu"}
    cases.append(("extract tiny, 1 video", {**tiny, "workers": 1}, 1, None))
    for w in sorted({1, workers}):
        cases.append((f"extract tiny, {n_videos} videos", {**tiny, "workers": w}, n_videos, None))
    if ray:
        cases.append((f"extract tiny, {n_videos} videos", tiny, n_videos, "local"))
    if real_backbone:
        real = {
            "backbone": real_backbone,
            "weights": "none",
            "device": "cpu",
            "frames_per_clip": real_frames,
            "batch_size": 2,
            "workers": 1,
        }
        for w in sorted({1, workers}):
            cases.append(
                (
                    f"extract {real_backbone} T{real_frames}, 1 video",
                    {**real, "workers": w},
                    1,
                    None,
                )
            )
    with tempfile.TemporaryDirectory() as tmp:
        for i, (stage, settings, count, ray_address) in enumerate(cases):
            label = (
                f"Ray local, {workers} CPUs" if ray_address else f"workers {settings['workers']}"
            )
            say(f"{stage}: {label}")
            project = _project(Path(tmp) / f"p{i}", video, count)
            got = _extract_in_child(project, settings, ray_address, workers)
            if ray_address:
                label += f" (cluster start {got['ray_start_s']:.1f} s not counted)"
            rows.append(
                {
                    "stage": stage,
                    "variant": label,
                    "seconds": got["wall_s"],
                    "cpu_s": None if ray_address else got["cpu_s"],
                    "peak_main_mb": got["peak_main_mb"],
                    "peak_worker_mb": None if ray_address else got["peak_worker_mb"],
                    "videos": count,
                }
            )
    for row in rows:
        row["x_decode"] = row["seconds"] / (decode_s * row["videos"])
    base = {r["stage"]: r["seconds"] for r in rows if r["variant"] == "workers 1"}
    for row in rows:
        if row["stage"] in base and row["videos"] > 1:
            row["speedup_vs_1_worker"] = base[row["stage"]] / row["seconds"]
    return rows


def markdown(rows: list[Row]) -> str:
    """The table as Markdown (for BENCHMARKS.md)."""

    def fmt(value: Any, spec: str) -> str:
        return "" if value is None else format(value, spec)

    lines = [
        "| stage | variant | wall s | x decode (per video) | vs 1 worker | CPU-s | peak RSS MB "
        "(main / children) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rss = fmt(r.get("peak_main_mb"), ".0f")
        if r.get("peak_worker_mb"):
            rss += f" / {r['peak_worker_mb']:.0f}"
        lines.append(
            f"| {r['stage']} | {r['variant']} | {r['seconds']:.2f} | {r['x_decode']:.2f} | "
            f"{fmt(r.get('speedup_vs_1_worker'), '.2f')} | {fmt(r.get('cpu_s'), '.1f')} | {rss} |"
        )
    return "\n".join(lines)
