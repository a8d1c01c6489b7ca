"""Weights-free, pose-free motion readouts from the background-removed video.

The mouse's silhouette (largest blob of ``|frame − median|``) is tracked in the
extract pass (:class:`MotionTracker`), summarised per 1.5-s clip
(:mod:`painscope.motion.descriptors`) and stored beside the tokens
(:mod:`painscope.motion.store`); ``--method motion`` classifies those descriptors
(:mod:`painscope.motion.source`). See docs/motion.md.
"""

from painscope.motion.descriptors import DESCRIPTOR_COLUMNS, DESCRIPTOR_UNITS
from painscope.motion.track import TRACK_COLUMNS, MotionTracker

MOTION_VERSION = 3  # bump when segmentation or descriptors change

__all__ = ["DESCRIPTOR_COLUMNS", "DESCRIPTOR_UNITS", "MOTION_VERSION", "TRACK_COLUMNS",
           "MotionTracker"]  # fmt: skip
