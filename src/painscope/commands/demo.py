"""``painscope demo``: the main job on built-in data."""

from __future__ import annotations

from pathlib import Path

import typer

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe
from painscope.demo import DEMO_MINUTES


@app.command("demo")
@user_errors
def demo_command(
    folder: Path = typer.Argument(Path("painscope-demo"), help="Where to build the demo project."),
    minutes: float = typer.Option(DEMO_MINUTES, help="Length of each simulated video, minutes."),
    seed: int = typer.Option(0, help="Simulation and training seed."),
) -> None:
    """Simulate pain-model mice, extract, cross-validate, drug-test and report — in minutes."""
    import warnings

    from rich.table import Table

    from painscope.demo import run_demo, summary_sentence
    from painscope.evaluate.results import format_ci
    from painscope.features.weights import RandomWeightsWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RandomWeightsWarning)  # said once, below
        result = run_demo(
            folder, minutes=minutes, seed=seed, say=lambda text: console.print(safe(text))
        )
    table = Table(title="painscope demo — 8-fold CV on simulated mice (95% bootstrap CI)")
    for column in ("method", "scheme", "accuracy", "macro F1", "chance", "split by"):
        table.add_column(column)
    for row in sorted(result.headline, key=lambda r: r["scheme"] != "3class"):
        if row.get("collapsed"):  # never show a one-class classifier as a result
            table.add_row(safe(row["method"]), row["scheme"], "collapsed: one class for all videos",
                          "", f"{row['chance']:.3f}", row["grouped_by"])  # fmt: skip
            continue
        table.add_row(
            row["method"], row["scheme"],
            format_ci(row["accuracy"], row["accuracy_ci"], 3),
            format_ci(row["macro_f1"], row["macro_f1_ci"], 3),
            f"{row['chance']:.3f}", row["grouped_by"],
        )  # fmt: skip
    console.print(table)
    if result.weights_random:
        console.print(
            "[bold yellow]WARNING: torchvision's Kinetics-400 weights could not be downloaded, so "
            "the backbone was RANDOMLY initialised: the video methods' numbers above say nothing "
            "about what pretrained features can do. See README 'Getting the Kinetics weights'.[/]"
        )
    console.print(f"[bold]{summary_sentence(result.headline, result.weights_random)}[/]")
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in result.seconds.items())
    console.print(f"time: {timing}")
    console.print(f"project:   {safe(result.project)}")
    console.print(f"cv run:    {safe(result.cv_run)}")
    console.print(f"drug test: {safe(result.drugtest_run)}")
    if result.report is not None:
        console.print(f"report:    [bold]{safe(result.report)}[/]")
