"""``painscope bench``: decode / background / backbone / end-to-end speed, table + JSON."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import typer
from rich.table import Table

from painscope.cli import app, console, user_errors

JOBS = ("decode", "background", "memory", "backbone", "levers", "end-to-end", "train")


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
) -> None:
    """Measure extraction speed on this machine (CPU, and the GPU when present)."""
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
        video = None
        if jobs & {"decode", "end-to-end", "memory"}:
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
    console.print(f"results: {out}")


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
        methods=[m.strip() for m in methods.split(",") if m.strip()],
        say=console.print,
    )
    console.print(markdown_table(rows))
    console.print(f"results: {out / 'controlled.json'}")
