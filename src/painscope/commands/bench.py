"""``painscope bench``: decode / background / backbone / end-to-end speed, table + JSON."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import typer
from rich.table import Table

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe

JOBS = (
    "decode", "background", "memory", "backbone", "levers", "end-to-end", "train", "median",
    "micro-batch",
)  # fmt: skip
E2E = "e2e"  # on its own: `painscope bench e2e` (not part of the default set)


@app.command("bench")
@user_errors
def bench_command(
    what: list[str] = typer.Argument(None, help=f"Any of: {' '.join(JOBS)} (default: all)."),
    variants: str = typer.Option("tiny,swin3d_t,swin3d_b", help="Backbones, comma-separated."),
    frames_per_clip: int = typer.Option(32, help="Frames per clip for the backbone."),
    batch_size: int = typer.Option(2, help="Clips per backbone batch."),
    levers_variants: str = typer.Option(
        "swin3d_t:16,swin3d_b:32", help="Backbone:frames pairs for the lever ablation."
    ),
    compile: bool = typer.Option(False, help="Also time torch.compile levers (slow to start)."),
    micro_variants: str = typer.Option(
        "tiny:32,swin3d_t:16", help="micro-batch: backbone:frames pairs, 8-clip batches."
    ),
    train_seq_len: int = typer.Option(9800, help="Tokens per video for the classifier step."),
    train_batch: int = typer.Option(16, help="Videos per classifier step (paper: 16)."),
    repeats: int = typer.Option(3, help="Timed repeats per measurement (median reported)."),
    quick: bool = typer.Option(
        False,
        help="CPU-sized run: swin3d_t T16 levers, batch 1, 5 s video, classifier L=980 batch 2.",
    ),
    device: str = typer.Option("auto", help="auto, cpu or cuda."),
    width: int = typer.Option(1280, help="Width of the synthetic video / background frames."),
    height: int = typer.Option(1024, help="Height of the synthetic video / background frames."),
    seconds: float = typer.Option(20.0, help="Length of the synthetic video."),
    e2e_backbone: str = typer.Option("tiny", help="Backbone for the end-to-end run."),
    out: Path = typer.Option(Path("bench.json"), help="Where to write the JSON results."),
    video: Path | None = typer.Option(
        None, help="Time this video instead of a synthetic one (e2e, decode, median, ...)."
    ),
    workers: int = typer.Option(0, help="e2e: N workers to compare with 1 (0 = CPUs available)."),
    n_videos: int = typer.Option(4, help="e2e: videos in the multi-video project."),
    real_backbone: str = typer.Option("swin3d_t", help="e2e: real backbone ('' = skip it)."),
    ray: bool = typer.Option(False, help="e2e: also extract on a local Ray cluster."),
) -> None:
    """Measure extraction speed on this machine (CPU, and the GPU when present).

    ``painscope bench e2e`` runs one video through decode, background and whole extraction
    (tiny and real backbone, 1 and N workers) and prints the ratios side by side.
    """
    if what and E2E in what:
        _e2e(video, workers, n_videos, real_backbone, ray, width, height, seconds, out)
        return
    import torch

    from painscope.bench.extract import (
        bench_backbone,
        bench_background,
        bench_decode,
        bench_end_to_end,
        machine,
        synthetic_video,
    )
    from painscope.bench.levers import (
        bench_backbone_levers,
        bench_background_memory,
        bench_train_step,
    )

    unknown = set(what or []) - set(JOBS)
    if unknown:
        raise typer.BadParameter(f"unknown benchmark(s) {sorted(unknown)}; use {JOBS}")
    jobs = set(what or JOBS)
    if quick:
        variants, levers_variants, frames_per_clip = "tiny,swin3d_t", "swin3d_t:16", 16
        batch_size, seconds, train_seq_len, train_batch, repeats = 1, 5.0, 980, 2, 2
    dev = torch.device(
        "cuda"
        if device == "auto" and torch.cuda.is_available()
        else ("cpu" if device == "auto" else device)
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if video is None and jobs & {"decode", "end-to-end", "memory", "median"}:
            console.print(f"writing a {seconds:g} s {width}x{height} H.264 test video ...")
            video = synthetic_video(
                Path(tmp) / "bench.mp4", seconds=seconds, width=width, height=height
            )
        if "decode" in jobs and video:
            rows += bench_decode(video)
        if "background" in jobs:
            rows += bench_background(width, height)
        if "memory" in jobs and video:
            rows += bench_background_memory(video)
        if "backbone" in jobs:
            rows += bench_backbone(
                [v.strip() for v in variants.split(",") if v.strip()],
                device=dev,
                frames_per_clip=frames_per_clip,
                batch_size=batch_size,
                precisions=("fp32", "bf16"),
                repeats=repeats,
            )
        if "levers" in jobs:
            pairs = []
            for item in levers_variants.split(","):
                name, _, frames = item.strip().partition(":")
                pairs.append((name, int(frames or frames_per_clip)))
            rows += bench_backbone_levers(
                pairs, device=dev, batch_size=batch_size, repeats=repeats, compile=compile
            )
        if "end-to-end" in jobs and video:
            rows += bench_end_to_end(
                video,
                backbone=e2e_backbone,
                frames_per_clip=frames_per_clip,
                device=str(dev),
                batch_size=batch_size,
            )
        if "median" in jobs and video:
            from painscope.bench.median import bench_median, markdown

            median_rows = bench_median(video, repeats=repeats, say=console.print)
            console.print(markdown(median_rows), soft_wrap=True)
            rows += median_rows
        if "micro-batch" in jobs:
            from painscope.bench.micro_batch import bench_micro_batch
            from painscope.bench.micro_batch import markdown as micro_markdown

            pairs = []
            for item in micro_variants.split(","):
                name, _, frames = item.strip().partition(":")
                pairs.append((name, int(frames or frames_per_clip)))
            micro_rows = bench_micro_batch(pairs, repeats=repeats, device=str(dev))
            console.print(micro_markdown(micro_rows), soft_wrap=True)
            rows += micro_rows
        if "train" in jobs:
            rows += bench_train_step(
                seq_len=train_seq_len, batch_size=train_batch, device=dev, repeats=repeats
            )
    info = machine()
    table = Table(title=f"painscope bench — {info.get('gpu', info['cpu'])}, torch {info['torch']}")
    for column in ("bench", "variant", "value", "unit", "vs eager fp32"):
        table.add_column(column)
    for row in rows:
        ratio = row.get("speedup_vs_eager_fp32")
        table.add_row(
            row["bench"],
            row["variant"],
            f"{row['value']:.3g}",
            row["unit"],
            f"{ratio:.2f}x" if ratio is not None else "",
        )
    console.print(table)
    out.write_text(json.dumps({"machine": info, "results": rows}, indent=1))
    console.print(f"results: {safe(out)}")


def _e2e(
    video: Path | None,
    workers: int,
    n_videos: int,
    real_backbone: str,
    ray: bool,
    width: int,
    height: int,
    seconds: float,
    out: Path,
) -> None:
    from painscope.bench.e2e import bench_e2e, markdown, profile_markdown, stage_profile
    from painscope.bench.extract import machine, synthetic_video
    from painscope.features.runner import available_cpus

    with tempfile.TemporaryDirectory() as tmp:
        if video is None:
            console.print(f"writing a {seconds:g} s {width}x{height} H.264 test video ...")
            video = synthetic_video(
                Path(tmp) / "e2e.mp4", seconds=seconds, width=width, height=height
            )
        rows = bench_e2e(
            video,
            workers=workers or available_cpus(),
            n_videos=n_videos,
            real_backbone=real_backbone or None,
            ray=ray,
            say=console.print,
        )
        console.print("stage profile (one video, serial, one thread)")
        profile = stage_profile(video)
    table = Table(title="painscope bench e2e (ratios to one pure gray decode pass per video)")
    for column in ("stage", "variant", "wall s", "x decode", "vs 1 worker", "CPU-s", "peak MB"):
        table.add_column(column)
    for r in rows:
        speedup = r.get("speedup_vs_1_worker")
        table.add_row(
            r["stage"],
            r["variant"],
            f"{r['seconds']:.2f}",
            f"{r['x_decode']:.2f}",
            f"{speedup:.2f}x" if speedup else "",
            f"{r['cpu_s']:.1f}" if r.get("cpu_s") is not None else "",
            f"{r.get('peak_main_mb', 0):.0f}"
            + (f" / {r['peak_worker_mb']:.0f}" if r.get("peak_worker_mb") else ""),
        )
    console.print(table)
    out.write_text(json.dumps({"machine": machine(), "results": rows, "profile": profile},
                              indent=1))  # fmt: skip
    console.print(markdown(rows))
    console.print(profile_markdown(profile))
    console.print(f"load average at the end: {os.getloadavg()[0]:.1f} (1 min)")
    console.print(f"results: {out}")


def _items(text: str) -> list[str]:
    """A comma-separated option as its non-empty items."""
    return [item.strip() for item in text.split(",") if item.strip()]


def _say(text: str) -> None:
    console.print(safe(text))


def _print_results(table: str, path: Path) -> None:
    console.print(table)
    console.print(f"results: {safe(path)}")


@app.command("bench-sim")
@user_errors
def bench_sim_command(
    out: Path = typer.Argument(Path("painscope-controlled"), help="Output folder."),
    effects: str = typer.Option("0,0.5,1", help="Effect sizes, comma-separated (0 = null data)."),
    minutes: float = typer.Option(0.25, help="Length of each simulated video."),
    scheme: str = typer.Option("3class", help="Label scheme."),
    group_by: str = typer.Option("video", help="video or mouse_id."),
    seed: int = typer.Option(0, help="Seed."),
    methods: str = typer.Option(
        "ours_mask,ours,raw,pose,motion",
        help="Methods, comma-separated (raw needs a second extraction).",
    ),
) -> None:
    """Controlled benchmark on simulated mice: planted effects recovered, none invented."""
    from painscope.bench.controlled import markdown_table, run_controlled

    rows = run_controlled(
        out,
        effects=[float(e) for e in effects.split(",")],
        minutes=minutes,
        scheme=scheme,
        group_by=group_by,
        seed=seed,
        methods=_items(methods),
        say=_say,
    )
    _print_results(markdown_table(rows), out / "controlled.json")


@app.command("bench-classifier")
@user_errors
def bench_classifier_command(
    out: Path = typer.Argument(Path("painscope-classifier"), help="Output folder."),
    cases: str = typer.Option(
        "truth,truth0,truth15,pose,regime,jabs",
        help="Cases, comma-separated: truth (3class, effect 1), truth0 (effect 0), truth15\n"
        "(15class), pose (--method pose on exact pose), regime[:EFFECT:MICE:MINUTES]\n"
        "(few mice, long sessions), jabs (real PTZ behaviour bins).",
    ),
    seed: int = typer.Option(0, help="Seed."),
) -> None:
    """The classifier with default settings on inputs of known signal (docs/classifier.md)."""
    from painscope.bench.classifier import markdown_table, run_bench

    rows = run_bench(out, _items(cases), seed=seed, say=_say)
    _print_results(markdown_table(rows), out / "classifier.json")


@app.command("bench-cv-memory")
@user_errors
def bench_cv_memory_command(
    out: Path = typer.Argument(Path("painscope-cv-memory"), help="Work folder (token files)."),
    sizes: str = typer.Option("24,48,96", help="Numbers of videos, comma-separated."),
    tokens: str = typer.Option("all", help="Token view: all, block or mean."),
    n_clips: int = typer.Option(200, help="Clips per synthetic video (paper: 200)."),
    channels: int = typer.Option(1024, help="Token channels (Swin-B: 1024)."),
) -> None:
    """Peak memory of `painscope cv` with token stores in memory vs read lazily (train.load)."""
    import json

    from painscope.bench.cv_memory import bench_cv_memory, markdown_table

    sizes_n = tuple(int(n) for n in _items(sizes))
    rows = bench_cv_memory(out, sizes_n, mode=tokens, n_clips=n_clips, channels=channels)
    (out / "cv_memory.json").write_text(json.dumps(rows, indent=1))
    _print_results(markdown_table(rows), out / "cv_memory.json")
