"""``painscope extract``: videos → token maps, with progress and a summary table.

Exit status: 0 every video done or skipped; 1 some failed (or ``--check``: some incomplete);
3 none failed but some were left busy by another run (their features are not there yet).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
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
EXIT_FAILED = 1
EXIT_BUSY = 3


class BarProgress:
    """:class:`~painscope.features.jobs.ExtractProgress` as rich progress bars."""

    def __init__(self, progress: Progress, total: int) -> None:
        self.progress = progress
        self.overall = progress.add_task("videos", total=total)
        self.tasks: dict[str, TaskID] = {}

    def video_started(self, job) -> None:  # type: ignore[no-untyped-def]
        label = escape(f"  {job.video_id}")
        self.tasks[job.video_id] = self.progress.add_task(label, total=None)

    def clips_done(self, job, done: int, expected: int | None) -> None:  # type: ignore[no-untyped-def]
        if job.video_id in self.tasks:
            self.progress.update(self.tasks[job.video_id], completed=done, total=expected)

    def video_finished(self, result) -> None:  # type: ignore[no-untyped-def]
        task = self.tasks.pop(result.video_id, None)
        if task is not None:
            self.progress.remove_task(task)
        self.progress.advance(self.overall)


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
    workers: int | None = typer.Option(
        None, help="Override extract.workers: decode/preprocess processes (0 = one per CPU)."
    ),
    video: list[str] | None = typer.Option(None, help="Only these videos (id or manifest path)."),
    shard: str | None = typer.Option(
        None, help="I/N: only array task I of N (manifest rows p with p mod N = I-1)."
    ),
    check: bool = typer.Option(
        False, "--check", help="Extract nothing; exit 0 only if every video has features."
    ),
    device_preprocess: bool = typer.Option(
        False,
        "--device-preprocess",
        help="Remove the background and resize on the backbone's device (for CUDA).",
    ),
    ray: str | None = typer.Option(
        None,
        "--ray",
        help="Run on Ray: local (start a cluster here), auto (the running one) or HOST:PORT.",
    ),
) -> None:
    """Extract Video Swin token maps for every video in the manifest (skips finished ones)."""
    from painscope.config.base import with_overrides
    from painscope.features.runner import Shard, extract, manifest_jobs
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
        workers=workers,
    )
    if check:
        _check(proj.root, config)
        return
    selected = Shard.parse(shard) if shard else None
    jobs = manifest_jobs(proj.root, video or None)
    n_videos = len(selected.select(jobs) if selected else jobs)

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    ) as progress:
        bars = BarProgress(progress, n_videos)
        summary = extract(
            proj.root,
            config,
            only=video or None,
            progress=bars,
            shard=selected,
            ray=ray,
            device_preprocess=device_preprocess,
        )
        progress.update(bars.overall, completed=len(summary.results))

    if summary.weights is not None and summary.weights.random:
        console.print(
            "[bold yellow]WARNING: the backbone has RANDOM weights (weights: none). "
            "These features carry no pretrained knowledge.[/]"
        )
    table = Table(title=escape(f"painscope extract — {summary.features_dir}"))
    for column in ("video", "status", "clips", "seconds", "reason"):
        table.add_column(column, overflow="fold")
    for r in summary.results:
        status = r.status.value
        style = _STYLE.get(status, "")
        table.add_row(
            escape(r.video),
            f"[{style}]{status}[/]",
            str(r.n_clips or ""),
            f"{r.seconds:g}",
            escape(r.reason),
        )
    console.print(table)
    counts = {s: summary.count(s) for s in ("done", "skipped", "busy", "failed")}
    console.print(
        escape(
            "  ".join(f"{k}: {v}" for k, v in counts.items())
            + f"\nfeatures: {summary.features_dir}\nbackgrounds: {proj.background_dir}"
        )
    )
    if summary.n_failed:
        raise typer.Exit(EXIT_FAILED)
    if summary.n_busy:
        console.print(
            "[yellow]some videos are being extracted by another run: wait for it, then run "
            "`painscope extract` again (exit status 3)[/]"
        )
        raise typer.Exit(EXIT_BUSY)


def _check(root: Path, config) -> None:  # type: ignore[no-untyped-def]
    from painscope.features.runner import check_project

    report = check_project(root, config)
    if report.complete:
        console.print(
            escape(
                f"complete: all {len(report.done)} videos have features in {report.features_dir}"
            )
        )
        return
    table = Table(title=escape(f"incomplete: {report.features_dir}"))
    for column in ("video", "state"):
        table.add_column(column, overflow="fold")
    for job, state in report.missing:
        table.add_row(escape(job.video), escape(state))
    console.print(table)
    console.print(f"done: {len(report.done)}  missing: {len(report.missing)}")
    raise typer.Exit(EXIT_FAILED)
