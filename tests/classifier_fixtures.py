"""Tiny synthetic projects for the classifier tests (token files written directly)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from painscope.config import ExtractConfig, config_hash
from painscope.features.store import VideoFeatures, feature_path, write_features
from painscope.project import Project, init_project

# 3-class-scheme rows (condition, timepoint) → labels no pain / inflammatory / neuropathic
THREE_CLASS_ROWS = (("control", "D7"), ("formalin", "D3"), ("SNI", "D7"))

TINY_TRAIN = {
    "d_model": 16,
    "n_layers": 2,
    "d_state": 8,
    "n_clips": 8,
    "epochs": 12,
    "batch_size": 8,
    "dropout": 0.0,
    "n_bootstrap": 200,
    "device": "cpu",
    "lr": 0.01,
}


def write_yaml(root: Path, train: dict) -> None:
    import yaml

    (root / "painscope.yaml").write_text(yaml.safe_dump({"train": train}))


def make_token_project(
    root: Path,
    rng: np.random.Generator,
    *,
    per_class: int = 12,
    signal: float = 1.5,
    n_clips: tuple[int, int] = (6, 12),
    channels: int = 8,
    grid: int = 2,
    treated: dict[str, int] | None = None,
    train: dict | None = None,
) -> Project:
    """A project whose token maps carry a class-dependent shift of ``signal`` (0 = no signal).

    Rows use the 3-class conditions; ``treated`` adds drug-test rows {group: n}, whose
    tokens look like class 0 ('no pain') for groups starting with 'GBA' and class 2 otherwise.
    """
    project = init_project(root)
    folder = project.features_dir(config_hash(ExtractConfig()))
    lines = ["video,mouse_id,condition,timepoint,group,view"]
    n = 0

    def add(cls: int, group: str) -> None:
        nonlocal n
        condition, timepoint = THREE_CLASS_ROWS[cls]
        vid = f"v{n:03d}"
        lines.append(f"videos/{vid}.mp4,m{n % 40:02d},{condition},{timepoint},{group},bottom")
        length = int(rng.integers(n_clips[0], n_clips[1] + 1))
        tokens = rng.normal(size=(length, grid, grid, channels)).astype(np.float32)
        tokens[..., cls] += signal
        response = rng.random((length, grid, grid)).astype(np.float32)
        clips = np.zeros((length, 4))
        write_features(
            feature_path(folder, f"videos__{vid}"),
            VideoFeatures(
                tokens=tokens.astype(np.float16), response=response, clips=clips, meta={}
            ),
        )
        n += 1

    for cls in range(3):
        for _ in range(per_class):
            add(cls, "")
    for group, count in (treated or {}).items():
        for _ in range(count):
            add(0 if group.startswith("GBA") else 2, group)
    (root / "manifest.csv").write_text("\n".join(lines) + "\n")
    write_yaml(root, {**TINY_TRAIN, "scheme": "3class", **(train or {})})
    return project
