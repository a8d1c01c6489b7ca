"""``painscope motifs``: B-SOiD-style behaviour motifs from the manifest's pose files."""

from __future__ import annotations

from pathlib import Path

import typer

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe


@app.command("motifs")
@user_errors
def motifs_command(
    project: Path = typer.Argument(..., help="Project folder (manifest.csv with a 'pose' column)."),
    by: str = typer.Option(
        "condition", help="Group usage by: 15class, 3class, condition, timepoint, group, a column."
    ),
    out: Path | None = typer.Option(
        None, help="Output folder (default PROJECT/runs/<date>_motifs)."
    ),
    examples: int = typer.Option(3, min=1, help="Example bouts listed per motif."),
) -> None:
    """Learn behaviour motifs on all pose files and write usage, transitions and examples.

    For exploring behaviour only: to compare with the video method, use cross-validation,
    which refits the motifs on each fold's training videos.
    """
    from painscope.baselines.job import run_motifs

    summary = run_motifs(
        project,
        by=by,
        out_dir=out,
        n_examples=examples,
        progress=lambda msg: console.print(safe(msg), highlight=False),
    )
    for line in summary.skipped:
        console.print(f"[yellow]skipped[/] {safe(line)}", highlight=False)
    console.print(
        f"{summary.n_motifs} motifs from {summary.n_videos} video(s) → [bold]{safe(summary.out_dir)}[/]"
    )
    console.print("  motif_usage.csv  transitions.csv  examples.csv  figures/  sequences/")
