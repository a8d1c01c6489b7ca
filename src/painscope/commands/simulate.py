"""``painscope simulate``: a simulated pain-model data set with ground truth."""

from __future__ import annotations

from pathlib import Path

import typer

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe


@app.command("simulate")
@user_errors
def simulate_command(
    out: Path = typer.Argument(..., help="Folder to write (becomes a painscope project)."),
    preset: str = typer.Option(
        "demo", help="demo (68 short videos) or paper (the paper's Table 2 class sizes)."
    ),
    mice: int | None = typer.Option(
        None, "--mice", help="Resize the preset to this many (untreated) mice."
    ),
    minutes: float | None = typer.Option(
        None, help="Length of each video in minutes (default: demo 0.5, paper 5)."
    ),
    effect: float = typer.Option(
        1.0, help="Scales every pain effect; 0 = behaviour independent of the label (null data)."
    ),
    seed: int = typer.Option(0, help="Random seed; the same seed gives the same files."),
    view: str = typer.Option("bottom", help="Camera: bottom (under the glass floor) or side."),
    width: int = typer.Option(256, help="Frame width in pixels (even)."),
    height: int = typer.Option(128, help="Frame height in pixels (even)."),
    fps: float = typer.Option(30.0, help="Frames per second."),
    treated: bool = typer.Option(
        True, help="Include the drug-test groups (SNI/formalin + GBA or saline)."
    ),
    crf: int = typer.Option(
        18, help="H.264 quality (x264 CRF; lower = better, 0 = lossless luma)."
    ),
    workers: int = typer.Option(1, help="Videos rendered in parallel (output is the same)."),
    overwrite: bool = typer.Option(False, help="Replace a simulated project already in OUT."),
) -> None:
    """Render single-mouse videos whose behaviour depends on pain condition and day.

    Writes videos (H.264), DeepLabCut pose files (12 landmarks, exact), per-frame behaviour
    labels, manifest.csv and painscope.yaml, so OUT is ready for `painscope extract`.
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from painscope.simulate import SimulatedVideo, simulate_dataset

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("simulating", total=None)

        def report(video: SimulatedVideo, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=safe(video.video.name))

        result = simulate_dataset(
            out,
            preset=preset,
            n_mice=mice,
            minutes=minutes,
            effect=effect,
            seed=seed,
            view=view,
            size=(width, height),
            fps=fps,
            treated=treated,
            crf=crf,
            workers=workers,
            overwrite=overwrite,
            progress=report,
        )
    n_mice = len({v.spec.mouse_id for v in result.videos})
    n_treated = sum(1 for v in result.videos if v.spec.group)
    console.print(
        f"simulated [bold]{len(result.videos)}[/] videos of {n_mice} mice "
        f"({n_treated} treated), {result.seconds_per_video:.0f} s each at {result.fps:g} fps, "
        f"effect {effect:g}, seed {seed}"
    )
    console.print(f"  project   {safe(result.out_dir)}")
    console.print(f"  videos    {safe(result.out_dir / 'videos')}")
    console.print(f"  pose      {safe(result.out_dir / 'pose')}  (DeepLabCut .h5/.csv)")
    console.print(f"  labels    {safe(result.out_dir / 'labels')}  (per-frame behaviour)")
    console.print(f"  manifest  {safe(result.manifest)}")
    console.print(f"  truth     {safe(result.summary)}")
    console.print(f"  next: painscope extract {safe(result.out_dir)}")
