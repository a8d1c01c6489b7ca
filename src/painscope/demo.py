"""``painscope demo``: the main job, end to end, on built-in data.

Makes a project folder with generated videos, extracts token maps, and prints
where everything went. Uses torchvision's Kinetics-400 weights when they are in
torch's cache (or downloadable), and otherwise says loudly that the backbone is
randomly initialised.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from painscope.config import ExtractConfig
from painscope.errors import WeightsError


@dataclass(frozen=True)
class DemoResult:
    project: Path
    features_dir: Path
    n_videos: int
    weights_random: bool


def demo_weights(backbone: str) -> str:
    """``kinetics400`` when torchvision's weights are in torch's cache, else ``none``."""
    from painscope.features.weights import load_backbone

    try:
        load_backbone(backbone, "kinetics400", download=False)
    except WeightsError:
        return "none"
    return "kinetics400"


def run_demo(folder: Path, *, n_videos: int = 2, seconds: float = 12.0) -> DemoResult:
    """Generate ``n_videos`` sample videos in ``folder`` and extract them."""
    from painscope.bench.extract import synthetic_video
    from painscope.features.extract import extract
    from painscope.project import init_project

    project = init_project(folder)
    rows = ["video,mouse_id,condition,timepoint,group,view"]
    for i in range(n_videos):
        name = f"videos/sample_{i}.mp4"
        if not (project.root / name).exists():
            synthetic_video(project.root / name, seconds=seconds, width=320, height=160)
        rows.append(f"{name},m{i},SNI,D{3 if i else 0},,bottom")
    (project.root / "manifest.csv").write_text("\n".join(rows) + "\n")
    backbone = "swin3d_t"
    config = ExtractConfig(
        backbone=backbone, weights=demo_weights(backbone), frames_per_clip=16, batch_size=4
    )
    summary = extract(project.root, config)
    return DemoResult(
        project=project.root,
        features_dir=summary.features_dir,
        n_videos=summary.count("done") + summary.count("skipped"),
        weights_random=config.weights == "none",
    )
