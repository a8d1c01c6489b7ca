"""``painscope explain``: attention maps of one clip."""

from __future__ import annotations

from pathlib import Path

import typer

from painscope.cli import app, console, user_errors
from painscope.cli_text import safe


@app.command("explain")
@user_errors
def explain_command(
    video: Path = typer.Argument(..., help="Video file."),
    clip: int = typer.Option(0, "--clip", help="Clip index (0 = the first 1.5 s)."),
    project: Path | None = typer.Option(
        None, "--project", help="Use this project's extract settings (else the defaults)."
    ),
    out: Path = typer.Option(Path("attention"), "--out", help="Output folder."),
    block: int = typer.Option(3, "--block", help="Side of the feature-space mask block."),
    weights: str | None = typer.Option(None, help="Override extract.weights."),
    backbone: str | None = typer.Option(None, help="Override extract.backbone."),
) -> None:
    """Grad-CAM of the backbone on one clip: raw, background removed, heat map, mask block."""
    from painscope.config import ExtractConfig, load_config
    from painscope.config.base import with_overrides
    from painscope.report.explain import explain_video

    config = load_config(project / "painscope.yaml").extract if project else ExtractConfig()
    config = with_overrides(config, section="extract", weights=weights, backbone=backbone)
    paths = explain_video(video, clip, out, config=config, block_size=block)
    for path in paths:
        console.print(f"wrote {safe(path)}")
