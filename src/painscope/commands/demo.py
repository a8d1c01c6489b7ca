"""``painscope demo``: the main job on built-in data."""

from __future__ import annotations

from pathlib import Path

import typer

from painscope.cli import app, console, user_errors


@app.command("demo")
@user_errors
def demo_command(
    folder: Path = typer.Argument(Path("painscope-demo"), help="Where to build the demo project."),
) -> None:
    """Run painscope end to end on generated videos (no downloads needed)."""
    from painscope.demo import run_demo

    console.print(f"building the demo project in [bold]{folder}[/] ...")
    result = run_demo(folder)
    if result.weights_random:
        console.print(
            "[bold yellow]WARNING: Kinetics weights are not available offline, so the backbone "
            "is RANDOMLY initialised; see README 'Getting the Kinetics weights'.[/]"
        )
    console.print(f"project:  {result.project}")
    console.print(f"features: {result.features_dir} ({result.n_videos} videos)")
