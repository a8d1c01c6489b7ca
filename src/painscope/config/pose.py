"""Settings of the pose baseline: pose files → B-SOiD features → motifs → per-clip histograms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from painscope.config.base import setting
from painscope.errors import ConfigError


@dataclass(frozen=True)
class PoseConfig:
    """How the pose baseline reads keypoints and learns B-SOiD motifs (docs/pose_baseline.md)."""

    source: Literal["auto", "DeepLabCut", "SLEAP"] = setting(
        "auto",
        "Pose file format: auto (from the suffix/content), DeepLabCut (.h5/.csv), SLEAP\n"
        "(.slp or analysis .h5). The manifest's 'pose' column names one file per video.",
    )
    keypoints: tuple[str, ...] = setting(
        (),
        "Keypoints to use, e.g. [snout, tailbase, ...]; every pose file must have them.\n"
        "Empty = chosen by pose.body_parts from the first training video.",
    )
    body_parts: Literal["bsoid", "all"] = setting(
        "bsoid",
        "When pose.keypoints is empty: bsoid = B-SOiD's six bottom-up parts (snout, four paws,\n"
        "tail base), found by name (all keypoints when one is not found); all = every keypoint.\n"
        "Extra head/trunk/tail points dilute one-paw changes (guarding, limping) in the\n"
        "embedding (docs/pose_baseline.md).",
    )
    feature_set: Literal["pairwise", "legacy7"] = setting(
        "pairwise",
        "pairwise: B-SOiD's distances, angle changes and displacements of every keypoint pair;\n"
        "legacy7: the original bsoid_py 7 features (quirks fixed); needs exactly 6 keypoints listed\n"
        "in pose.keypoints in the order snout, forepaw R, forepaw L, hindpaw R, hindpaw L, tailbase.",
    )
    fps: float | None = setting(
        None,
        "Frame rate of the pose files. null = the manifest's 'fps' column, else the video's.",
    )
    likelihood_threshold: float = setting(
        0.6,
        "Points with a lower tracker likelihood are replaced (DeepLabCut's default p-cutoff).",
    )
    adaptive_threshold: bool = setting(
        False,
        "true = B-SOiD's per-file, per-keypoint threshold from the likelihood histogram\n"
        "(results then depend on how recordings are split into files).",
    )
    max_gap_seconds: float = setting(
        0.2,
        "Gaps of low-likelihood points up to this long are linearly interpolated; longer gaps\n"
        "hold the last good position (B-SOiD's forward fill).",
    )
    smooth_seconds: float = setting(0.1, "Centred moving-average window for the features (s).")
    bin_seconds: float = setting(
        0.1, "Time bin for features and motifs (s); B-SOiD's 10 Hz. Bins are cut by time."
    )
    embedding: Literal["auto", "umap", "pca"] = setting(
        "pca",
        "pca (painscope's default: on exact simulated pose it keeps more of the planted\n"
        "effect and is ~3x faster, docs/pose_baseline.md), umap (B-SOiD), or auto (UMAP\n"
        "unless fewer than 300 training bins).",
    )
    assignment: Literal["soft", "hard"] = setting(
        "soft",
        "Per-clip histograms from soft = the random forest's vote shares per bin (painscope's\n"
        "default; keeps bins between motifs from flipping), or hard = one motif per bin\n"
        "(B-SOiD's labels).",
    )
    n_neighbors: int = setting(60, "UMAP n_neighbors (B-SOiD: 60).")
    min_dist: float = setting(0.0, "UMAP min_dist (B-SOiD: 0.0).")
    variance_target: float = setting(
        0.7, "Embedding dimensions = principal components explaining this share of variance."
    )
    cluster_fraction_min: float = setting(
        0.005, "Smallest HDBSCAN min_cluster_size scanned, as a fraction of the bins."
    )
    cluster_fraction_max: float = setting(
        0.01, "Largest HDBSCAN min_cluster_size scanned, as a fraction of the bins."
    )
    max_fit_samples: int = setting(
        8000,
        "At most this many training bins (drawn at random, seeded) are embedded and clustered.",
    )
    random_state: int = setting(42, "Seed for sampling, UMAP and the random forest.")
    n_jobs: int = setting(1, "Random-forest worker processes.", hash=False)

    def __post_init__(self) -> None:
        if self.fps is not None and not self.fps > 0:
            raise ConfigError(f"pose.fps must be positive or null, got {self.fps}")
        if not 0.0 <= self.likelihood_threshold <= 1.0:
            raise ConfigError(
                f"pose.likelihood_threshold must lie in [0, 1], got {self.likelihood_threshold}"
            )
        for name in ("smooth_seconds", "bin_seconds"):
            if not 0.0 < getattr(self, name) <= 10.0:
                raise ConfigError(f"pose.{name} must lie in (0, 10], got {getattr(self, name)}")
        if self.max_gap_seconds < 0:
            raise ConfigError(f"pose.max_gap_seconds must be >= 0, got {self.max_gap_seconds}")
        if self.n_neighbors < 2:
            raise ConfigError(f"pose.n_neighbors must be >= 2, got {self.n_neighbors}")
        if not 0.0 < self.variance_target <= 1.0:
            raise ConfigError(
                f"pose.variance_target must lie in (0, 1], got {self.variance_target}"
            )
        if not 0.0 < self.cluster_fraction_min <= self.cluster_fraction_max < 1.0:
            raise ConfigError(
                "pose.cluster_fraction_min/max must satisfy 0 < min <= max < 1, got "
                f"{self.cluster_fraction_min}, {self.cluster_fraction_max}"
            )
        if self.max_fit_samples < 100:
            raise ConfigError(f"pose.max_fit_samples must be >= 100, got {self.max_fit_samples}")
        if self.feature_set == "legacy7" and len(self.keypoints) != 6:
            raise ConfigError(
                f"pose.feature_set legacy7 needs 6 pose.keypoints, got {len(self.keypoints)}",
                fix="list: snout, forepaw R, forepaw L, hindpaw R, hindpaw L, tailbase "
                "(your files' names for them, in that order)",
            )
        if len(set(self.keypoints)) != len(self.keypoints):
            raise ConfigError("pose.keypoints lists a keypoint twice", fix="remove the duplicate")
