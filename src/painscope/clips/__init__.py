"""Cutting a video into 1.5 s clips and preparing them for the backbone."""

from painscope.clips.windows import ClipRecord, ClipSampler

__all__ = ["ClipRecord", "ClipSampler"]
