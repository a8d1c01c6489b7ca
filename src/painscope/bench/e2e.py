"""``painscope bench e2e``: one video through each stage of extraction, as ratios to decode.

Rows (same video, same machine, one run): a pure gray decode pass and the background pass
(decode + exact median) with numba loaded, each the median of 3 interleaved passes; the
first background pass of the process apart (it pays numba's one-off cache load); the
whole extraction of a project of ``n_videos`` copies of the video with the tiny backbone
and with a real one (swin3d_t, random weights, CPU), each with 1 and N workers (and on a
local Ray cluster with ``ray=True``). Each extraction runs in a fresh Python process so its
CPU seconds (self + children) and peak RSS are its own.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

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
from painscope.bench.e2e import descendants_cpu_s
ray_cpu0 = descendants_cpu_s() if sys.argv[3] else 0.0
me0 = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
summary = extract(sys.argv[1], config, ray=sys.argv[3] or None)
wall = time.perf_counter() - start
ray_cpu = descendants_cpu_s() - ray_cpu0 if sys.argv[3] else 0.0  # Ray's live processes
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "wall_s": wall, "ray_start_s": ray_s,
    "cpu_s": me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime + ray_cpu,
    "cpu_during_s": me.ru_utime + me.ru_stime - me0.ru_utime - me0.ru_stime
    + kids.ru_utime + kids.ru_stime + ray_cpu,
    "peak_main_mb": me.ru_maxrss / 1024, "peak_worker_mb": kids.ru_maxrss / 1024,
    "statuses": [r.status.value for r in summary.results]}))
"""


def descendants_cpu_s(pid: int | None = None) -> float:
    """CPU seconds (user + system) of the live descendants of ``pid`` (default: this
    process) — Ray's raylet, GCS and worker processes (Linux ``/proc``; 0 elsewhere)."""
    import os

    root = os.getpid() if pid is None else pid
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])  # field 4: ppid
        ticks[int(entry.name)] = int(fields[11]) + int(fields[12])  # fields 14, 15
    total, frontier = 0, [root]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent]
        total += sum(ticks[c] for c in children)
        frontier += children
    return total / os.sysconf("SC_CLK_TCK")


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
    from painscope.features.runner import available_cpus
    from painscope.io.video import iter_frames, probe

    info = probe(video)
    rows: list[Row] = []
    load = os.getloadavg()[0]
    say(f"decode: {video.name} {info.width}x{info.height} {info.duration_s:.1f} s")

    def timed(run: Any) -> tuple[float, float, Any]:
        """(wall s, CPU s of this process, result) of ``run()``."""
        start, cpu0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
        out = run()
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
        return time.perf_counter() - start, cpu, out

    def decode() -> int:
        return sum(1 for _ in iter_frames(video, color="gray"))

    def background() -> None:
        compute_background(video, info, device=torch.device("cpu"))

    say("background pass")
    first = timed(background)  # loads numba's cache: once per process
    decodes, passes = [], []
    for _ in range(3):  # interleaved; the medians are reported (single passes vary ±20 %)
        decodes.append(timed(decode))
        passes.append(timed(background))
    n = decodes[0][2]

    def median_of(runs: list[tuple[float, float, Any]]) -> tuple[float, float]:
        return float(np.median([r[0] for r in runs])), float(np.median([r[1] for r in runs]))

    decode_s, decode_cpu = median_of(decodes)
    loaded_s, loaded_cpu = median_of(passes)
    for stage, variant, seconds, cpu_s in (
        ("pure gray decode", f"{n} frames (median of 3)", decode_s, decode_cpu),
        ("background pass", "decode + exact median (first in this process: loads numba's "
         "cache)", first[0], first[1]),
        ("background pass", "decode + exact median (numba loaded; median of 3)", loaded_s,
         loaded_cpu),
    ):  # fmt: skip
        rows.append({"stage": stage, "variant": variant, "seconds": seconds, "cpu_s": cpu_s,
                     "videos": 1, "load": load})  # fmt: skip
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
            load = os.getloadavg()[0]
            got = _extract_in_child(project, settings, ray_address, workers)
            if ray_address:
                label += f" (cluster start {got['ray_start_s']:.1f} s not counted)"
            rows.append(
                {
                    "stage": stage,
                    "variant": label,
                    "seconds": got["wall_s"],
                    "cpu_s": got["cpu_s"],
                    "cpu_during_s": got["cpu_during_s"],
                    "peak_main_mb": got["peak_main_mb"],
                    "peak_worker_mb": None if ray_address else got["peak_worker_mb"],
                    "videos": count,
                    "load": (load + os.getloadavg()[0]) / 2,
                }
            )
    for row in rows:
        row["x_decode"] = row["seconds"] / (decode_s * row["videos"])
    base = {r["stage"]: r for r in rows if r["variant"] == "workers 1"}
    cores = available_cpus()
    for row in rows:
        if row.get("cpu_during_s") is not None:
            row["cores_used"] = row["cpu_during_s"] / row["seconds"]
        if row["stage"] in base and row["videos"] > 1:
            serial = base[row["stage"]]
            row["speedup_vs_1_worker"] = serial["seconds"] / row["seconds"]
            # no executor beats the serial run's work spread over every core
            row["speedup_bound"] = cores * serial["seconds"] / serial["cpu_during_s"]
    return rows


def markdown(rows: list[Row]) -> str:
    """The table as Markdown (for BENCHMARKS.md)."""

    def fmt(value: Any, spec: str) -> str:
        return "" if value is None else format(value, spec)

    lines = [
        "| stage | variant | wall s | x decode (per video) | vs 1 worker | bound (cores x "
        "serial wall / serial CPU-s) | CPU-s (process) | cores used | load avg | peak RSS MB "
        "(main / children) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        rss = fmt(r.get("peak_main_mb"), ".0f")
        if r.get("peak_worker_mb"):
            rss += f" / {r['peak_worker_mb']:.0f}"
        lines.append(
            f"| {r['stage']} | {r['variant']} | {r['seconds']:.2f} | {r['x_decode']:.2f} | "
            f"{fmt(r.get('speedup_vs_1_worker'), '.2f')} | {fmt(r.get('speedup_bound'), '.2f')} | "
            f"{fmt(r.get('cpu_s'), '.1f')} | {fmt(r.get('cores_used'), '.2f')} | "
            f"{fmt(r.get('load'), '.1f')} | {rss} |"
        )
    return "\n".join(lines)


# --- stage profile: one video, serial, one thread, each stage's CPU seconds ----------------

_PROFILE_CHILD = """
import json, sys, time
t0 = time.process_time()
import numpy, torch
torch.set_num_threads(1)
t1 = time.process_time()
from painscope.bench.e2e import profile_stages
print(json.dumps(profile_stages(sys.argv[1], {"import torch + numpy": t1 - t0,
      "import painscope (numba, cv2, torchvision, ...)": None})))
"""


def profile_stages(video: str | Path, imports: dict[str, float | None]) -> list[Row]:
    """CPU seconds of each stage of one video's extraction in this process, one thread.

    The serial path taken apart (no prefetch thread, one decoder thread, median counted
    inline, tiny backbone): decode twice (background pass, clip pass), median counting
    (its first call loads numba's cache) and read-out, the motion tracker, clip sampling,
    the compact clips with ``preprocess: torch`` and ``fused`` (both timed on the same
    clips), the backbone. Run by :func:`stage_profile` in a fresh process.
    """
    import time
    import warnings

    t_import = time.process_time()
    import dataclasses

    import numpy as np

    from painscope.background.median import MedianAccumulator
    from painscope.clips.windows import iter_clips
    from painscope.config import ExtractConfig
    from painscope.features.extractor import Extractor, compact_clip
    from painscope.io.video import iter_frames, probe
    from painscope.motion import MotionTracker

    clock = time.process_time
    rows: dict[str, float] = {k: v for k, v in imports.items() if v is not None}
    rows["import painscope (numba, cv2, torchvision, ...)"] = clock() - t_import
    path = Path(video)
    info = probe(path)
    t = clock()
    n_frames = sum(1 for _ in iter_frames(path, color="gray", threads=1))
    rows["pure gray decode, 1 thread"] = clock() - t
    decode = count = first = 0.0
    acc = None
    frames = iter_frames(path, color="gray", threads=1)
    while True:
        a = clock()
        frame = next(frames, None)
        b = clock()
        decode += b - a
        if frame is None:
            break
        if acc is None:
            acc = MedianAccumulator(frame.image.shape, expected_frames=info.n_frames,
                                    overlap=False)  # fmt: skip
            first = clock() - b
        acc.update(frame.image)
        count += clock() - b
    assert acc is not None
    a = clock()
    background = acc.median()
    rows["background: read-out"] = clock() - a
    rows["background: decode"] = decode
    rows["background: numba load (first accumulator)"] = first
    rows["background: median counting"] = count - first
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        config = ExtractConfig(backbone="tiny", weights="none", device="cpu", prefetch=0)
        a = clock()
        extractor = Extractor(config)
        rows["backbone build (tiny)"] = clock() - a
    reference = dataclasses.replace(config, preprocess="torch")
    tracker = MotionTracker(background)
    spent = {"decode": 0.0, "motion": 0.0, "torch": 0.0, "fused": 0.0, "backbone": 0.0}

    def observed():  # type: ignore[no-untyped-def]
        stream = iter_frames(path, color="gray", threads=1)
        while True:
            a = clock()
            frame = next(stream, None)
            b = clock()
            spent["decode"] += b - a
            if frame is None:
                return
            tracker.push(frame)
            spent["motion"] += clock() - b
            yield frame

    records, batch = [], []
    a = clock()
    for record, images in iter_clips(observed(), config.clip_seconds, config.frames_per_clip):
        b = clock()
        compact_clip(images, background, reference)
        c = clock()
        batch.append(compact_clip(images, background, config))
        d = clock()
        spent["torch"] += c - b
        spent["fused"] += d - c
        records.append(record)
        if len(batch) == config.batch_size or len(records) == 1:
            extractor.run_batch(np.stack(batch))  # the first alone: one-time set-up apart
            batch.clear()
            spent["backbone"] += clock() - d
    if batch:
        d = clock()
        extractor.run_batch(np.stack(batch))
        spent["backbone"] += clock() - d
    whole = clock() - a
    a = clock()
    tracker.finish(records)
    rows["clips: decode"] = spent["decode"]
    rows["clips: motion tracker (push every frame + finish)"] = spent["motion"] + clock() - a
    rows["clips: sampling, batching"] = whole - sum(spent.values())
    n = len(records)
    rows[f"clips: compact clips, preprocess torch ({n} clips; before)"] = spent["torch"]
    rows[f"clips: compact clips, preprocess fused ({n} clips; after)"] = spent["fused"]
    rows["clips: backbone tiny"] = spent["backbone"]
    decode_s = rows["pure gray decode, 1 thread"]
    out = [{"stage": k, "cpu_s": v, "x_decode": v / decode_s} for k, v in rows.items()]
    out.append({"stage": f"frames decoded per pass: {n_frames}", "cpu_s": None, "x_decode": None})
    return out


def stage_profile(video: Path) -> list[Row]:
    """:func:`profile_stages` of ``video`` in a fresh Python process (imports included)."""
    out = subprocess.run([sys.executable, "-c", _PROFILE_CHILD, str(video)],
                         capture_output=True, text=True)  # fmt: skip
    if out.returncode:
        raise RuntimeError(f"stage profile failed: {out.stderr[-2000:]}")
    rows: list[Row] = json.loads(out.stdout.strip().splitlines()[-1])
    return rows


def profile_markdown(rows: list[Row]) -> str:
    """The stage profile as Markdown; "after" = the default path (fused clips)."""
    lines = ["| stage (one thread) | CPU-s | x decode |", "|---|---:|---:|"]
    for r in rows:
        if r["cpu_s"] is None:
            lines.append(f"| {r['stage']} | | |")
        else:
            lines.append(f"| {r['stage']} | {r['cpu_s']:.2f} | {r['x_decode']:.2f} |")
    default = [r["cpu_s"] for r in rows
               if r["cpu_s"] is not None and "pure gray decode" not in r["stage"]
               and "preprocess torch" not in r["stage"]]  # fmt: skip
    before = [r["cpu_s"] for r in rows
              if r["cpu_s"] is not None and "pure gray decode" not in r["stage"]
              and "preprocess fused" not in r["stage"]]  # fmt: skip
    lines.append(f"| **one video, default path (fused)** | **{sum(default):.2f}** | |")
    lines.append(f"| one video, preprocess torch | {sum(before):.2f} | |")
    return "\n".join(lines)
