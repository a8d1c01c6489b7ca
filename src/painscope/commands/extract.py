"""``painscope extract``: videos → token maps, with progress and a summary table."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from painscope.cli import app, console, user_errors

_STYLE = {"done": "green", "skipped": "cyan", "busy": "yellow", "failed": "bold red"}


@app.command("extract")
@user_errors
def extract_command(
    project: Path = typer.Argument(..., help="Project folder (with manifest.csv)."),
    backbone: str | None = typer.Option(None, help="Override extract.backbone."),
    weights: str | None = typer.Option(None, help="Override extract.weights."),
    background: str | None = typer.Option(None, help="Override extract.background (median|none)."),
    frames_per_clip: int | None = typer.Option(None, help="Override extract.frames_per_clip."),
    batch_size: int | None = typer.Option(None, help="Override extract.batch_size."),
    device: str | None = typer.Option(None, help="Override extract.device (auto|cpu|cuda)."),
    video: list[str] | None = typer.Option(None, help="Only these videos (id or manifest path)."),
) -> None:
    """Extract Video Swin token maps for every video in the manifest (skips finished ones)."""
    from painscope.config.base import with_overrides
    from painscope.features.extract import extract
    from painscope.project import open_project

    proj = open_project(project)
    config = with_overrides(
        proj.config().extract,
        section="extract",
        backbone=backbone,
        weights=weights,
        background=background,
        frames_per_clip=frames_per_clip,
        batch_size=batch_size,
        device=device,
    )
    n_videos = len(proj.manifest(check_files=False))

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        overall = progress.add_task("videos", total=n_videos)
        current: dict[str, TaskID] = {}

        def reporter(event, result, _):  # type: ignore[no-untyped-def]
            if event == "start":
                task = progress.add_task("  clips", total=None)
                current["task"] = task

                def on_clips(done: int, expected: int | None) -> None:
                    progress.update(task, completed=done, total=expected)

                return on_clips
            if "task" in current:
                progress.remove_task(current.pop("task"))
            progress.advance(overall)
            return None

        summary = extract(proj.root, config, only=video or None, reporter=reporter)
        progress.update(overall, completed=n_videos if not video else len(summary.results))

    if summary.weights is not None and summary.weights.random:
        console.print(
            "[bold yellow]WARNING: the backbone has RANDOM weights (weights: none). "
            "These features carry no pretrained knowledge.[/]"
        )
    table = Table(title=f"painscope extract — {summary.features_dir}")
    for column in ("video", "status", "clips", "seconds", "reason"):
        table.add_column(column, overflow="fold")
    for r in summary.results:
        style = _STYLE.get(r.status, "")
        table.add_row(
            r.video, f"[{style}]{r.status}[/]", str(r.n_clips or ""), f"{r.seconds:g}", r.reason
        )
    console.print(table)
    counts = {s: summary.count(s) for s in ("done", "skipped", "busy", "failed")}
    console.print(
        "  ".join(f"{k}: {v}" for k, v in counts.items())
        + f"\nfeatures: {summary.features_dir}\nbackgrounds: {proj.background_dir}"
    )
    if summary.n_failed:
        raise typer.Exit(1)
