"""The ``painscope motifs`` job: learn motifs on every video with a pose file, write summaries.

This is for looking at behaviour, not for evaluation: the motifs are fitted on all
videos, so sequences written here must not be fed to cross-validation (``cv --method
pose`` refits on each fold's training videos instead).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from painscope.baselines.bsoid_features import BinnedFeatures
from painscope.baselines.pose_io import PoseError
from painscope.baselines.sequences import PoseMotifSource
from painscope.baselines.summaries import (
    example_frames,
    motif_usage,
    plot_motif_usage,
    plot_transition_matrix,
    transition_matrix,
)
from painscope.manifest import VideoEntry

GROUPINGS = ("15class", "3class", "condition", "timepoint", "group")


@dataclass(frozen=True)
class MotifSummary:
    """Where ``painscope motifs`` wrote its outputs, and what it found."""

    out_dir: Path
    n_videos: int
    n_motifs: int
    skipped: tuple[str, ...]


def class_of(entry: VideoEntry, by: str) -> str:
    """The class of a video for usage tables: a label scheme or any manifest column."""
    from painscope.labels import label_3, label_15

    if by == "15class":
        return label_15(entry.condition, entry.timepoint) or "other"
    if by == "3class":
        return label_3(entry.condition, entry.timepoint) or "other"
    if hasattr(entry, by) and by != "extra":
        return str(getattr(entry, by)) or "(empty)"
    return entry.extra.get(by, "") or "(empty)"


def run_motifs(
    project_dir: Path | str,
    *,
    by: str = "condition",
    out_dir: Path | None = None,
    n_examples: int = 3,
    progress: Callable[[str], None] | None = None,
) -> MotifSummary:
    """Fit motifs on all videos with a pose file and write usage, transitions and examples.

    Outputs in ``out_dir`` (default ``PROJECT/runs/<date>_motifs``): ``config.yaml``,
    ``motif_usage.csv`` (class × motif share), ``transitions.csv`` (P(next | motif)),
    ``examples.csv`` (longest bouts per motif, frame ranges), ``motifs/<video_id>.csv``
    (motif per ~100 ms bin), ``sequences/<video_id>.npy`` (per-clip histograms,
    float32 (n_clips, n_motifs)) and ``figures/`` (usage, transitions).
    """
    from painscope.config import write_resolved
    from painscope.project import open_project
    from painscope.version import __version__

    say = progress or (lambda _msg: None)
    project = open_project(project_dir)
    config = project.config()
    manifest = project.manifest(check_files=False)
    with_pose = [e for e in manifest if e.extra.get("pose", "").strip()]
    if not with_pose:
        raise PoseError(
            project.manifest_path,
            "no video has a pose file",
            fix="add a 'pose' column naming each video's DeepLabCut/SLEAP file",
        )
    source = PoseMotifSource(project.root, config.pose, clip_seconds=config.extract.clip_seconds)
    say(f"learning motifs from {len(with_pose)} pose file(s)")
    source.fit(with_pose)
    n_motifs = source.n_motifs
    say(f"{n_motifs} motifs")

    out = out_dir or project.runs_dir / f"{time.strftime('%Y-%m-%d_%H%M%S')}_motifs"
    (out / "motifs").mkdir(parents=True, exist_ok=True)
    (out / "sequences").mkdir(exist_ok=True)
    (out / "figures").mkdir(exist_ok=True)
    write_resolved(
        config.pose,
        out / "config.yaml",
        extra={"painscope": __version__, "by": by, "pose_keypoints": list(source.keypoints_)},
    )
    labels: dict[str, np.ndarray] = {}
    per_video: dict[str, tuple[np.ndarray, BinnedFeatures]] = {}
    classes: dict[str, str] = {}
    skipped: list[str] = []
    for entry in with_pose:
        try:
            motifs, feats = source.motifs(entry)
            sequence = source.sequence(entry)
        except PoseError as err:
            skipped.append(f"{entry.video_id}: {err.message}")
            continue
        labels[entry.video_id] = motifs
        per_video[entry.video_id] = (motifs, feats)
        classes[entry.video_id] = class_of(entry, by)
        pd.DataFrame(
            {
                "bin_start_frame": feats.bin_start_frame,
                "start_s": feats.bin_start_s,
                "motif": motifs,
            }
        ).to_csv(out / "motifs" / f"{entry.video_id}.csv", index=False)
        np.save(out / "sequences" / f"{entry.video_id}.npy", sequence)

    usage = motif_usage(labels, classes, n_motifs)
    usage.to_csv(out / "motif_usage.csv", index_label="class")
    matrix = transition_matrix(list(labels.values()), n_motifs)
    pd.DataFrame(matrix).to_csv(out / "transitions.csv", index_label="motif")
    example_frames(per_video, n_motifs, n_examples=n_examples).to_csv(
        out / "examples.csv", index=False
    )
    plot_transition_matrix(matrix, out / "figures" / "transitions.png")
    plot_motif_usage(usage, out / "figures" / "motif_usage.png")
    return MotifSummary(
        out_dir=out, n_videos=len(labels), n_motifs=n_motifs, skipped=tuple(skipped)
    )
