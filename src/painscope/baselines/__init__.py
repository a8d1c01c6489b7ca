"""Pose-based baseline (the paper's "B-SOiD + ViS4mer"): pose files → motifs → per-clip histograms.

``pose_io`` reads DeepLabCut/SLEAP files (via movement) and cleans them;
``bsoid_features`` computes B-SOiD's distances, angle changes and displacements in
~100 ms bins; ``motifs`` learns motifs (scaler → UMAP → HDBSCAN → random forest);
``sequences`` turns them into per-clip histograms (:class:`PoseMotifSource`, the
classifier's sequence source); ``summaries`` gives motif usage, transitions and examples.
Nothing heavy is imported here: UMAP and movement load on first use.
"""

from painscope.baselines.bsoid_features import BinnedFeatures, feature_names, pose_features
from painscope.baselines.motifs import MotifModel
from painscope.baselines.pose_io import PoseData, PoseError, clean_pose, load_pose
from painscope.baselines.sequences import PoseMotifSource, clip_histograms, n_clips_for

__all__ = [
    "BinnedFeatures",
    "MotifModel",
    "PoseData",
    "PoseError",
    "PoseMotifSource",
    "clean_pose",
    "clip_histograms",
    "feature_names",
    "load_pose",
    "n_clips_for",
    "pose_features",
]
