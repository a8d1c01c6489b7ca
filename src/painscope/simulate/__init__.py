"""The digital pain-model mouse: videos with ground-truth pose and behaviour.

``simulate_dataset`` writes a ready painscope project (videos, DeepLabCut pose
files, per-frame behaviour labels, manifest); ``simulate_pose`` gives the
ground truth of one video without rendering. See docs/simulate.md.

Modules follow the data flow: ``behaviour`` (state machine, pain time courses)
→ ``motion`` (posture over time) → ``body`` (12 landmarks) → ``render``
(camera, cage, drawing, noise) → ``writer`` (H.264, pose files, labels), and
``dataset`` ties them together.
"""

from painscope.simulate.behaviour import LABELS, STATES, TIME_COURSES, PainLevels, pain_levels
from painscope.simulate.body import LANDMARKS, MouseTraits
from painscope.simulate.dataset import (
    PRESETS,
    SimulatedVideo,
    SimulationResult,
    VideoSpec,
    plan_videos,
    simulate_dataset,
    simulate_pose,
    simulate_video,
)

__all__ = [
    "LABELS",
    "LANDMARKS",
    "PRESETS",
    "STATES",
    "TIME_COURSES",
    "MouseTraits",
    "PainLevels",
    "SimulatedVideo",
    "SimulationResult",
    "VideoSpec",
    "pain_levels",
    "plan_videos",
    "simulate_dataset",
    "simulate_pose",
    "simulate_video",
]
