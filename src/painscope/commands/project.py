"""``painscope init``: make a project folder."""

from __future__ import annotations

from pathlib import Path

import typer

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe


@app.command("init")
@user_errors
def init_command(
    folder: Path = typer.Argument(..., help="Project folder to create (or complete)."),
    overwrite: bool = typer.Option(False, help="Replace an existing painscope.yaml/manifest.csv."),
) -> None:
    """Create a project folder: painscope.yaml (every setting, commented) and manifest.csv."""
    from painscope.project import init_project

    project = init_project(folder, overwrite=overwrite)
    console.print(f"project ready: [bold]{safe(project.root)}[/]")
    console.print(f"  settings  {safe(project.config_path)}")
    console.print(f"  manifest  {safe(project.manifest_path)}  (one row per video)")
    console.print(
        f"  next: put videos in {safe(project.root / 'videos')}, list them in the manifest, then"
    )
    console.print(f"        painscope extract {safe(project.root)}")
