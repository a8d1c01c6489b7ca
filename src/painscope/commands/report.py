"""``painscope report``: a run folder → report.html + figures/."""

from __future__ import annotations

from pathlib import Path

import typer

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe


@app.command("report")
@user_errors
def report_command(
    run_dir: Path = typer.Argument(..., help="Run folder (PROJECT/runs/<date>_<name>)."),
    out: Path | None = typer.Option(None, help="HTML file to write (default RUN_DIR/report.html)."),
    all_methods: bool = typer.Option(
        False, help="Confusion matrices and per-class figures for every method, not only the first."
    ),
    drugtest: Path | None = typer.Option(
        None, help="Drug-test run folder to include (default: found beside RUN_DIR)."
    ),
) -> None:
    """Write one self-contained report.html (opens offline) and every figure as PNG + SVG."""
    from painscope.report import build_report

    report = build_report(run_dir, out=out, all_methods=all_methods, drugtest=drugtest)
    for text in report.banners:
        console.print(f"[bold red]warning:[/] {safe(text)}", markup=True, highlight=False)
    missing = [k for k, has in report.sections.items() if not has]
    if missing:
        console.print(f"sections without input (noted in the report): {safe(', '.join(missing))}")
    n_png = sum(p.suffix == ".png" for p in report.figures)
    console.print(f"report   [bold]{safe(report.html_path)}[/]")
    console.print(
        f"figures  {safe(report.html_path.parent / 'figures')}  ({n_png} PNG + SVG, tables CSV)"
    )
