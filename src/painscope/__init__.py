"""painscope: mouse pain-state classification from video.

The pipeline, one sub-package per stage::

    io/          decode videos (PyAV), atomic writes
    background/  exact per-pixel temporal median, foreground frames
    clips/       1.5 s windows, frame sampling, resize/normalise
    features/    Video Swin backbones, weights, token maps, token store, extraction
    config/      one frozen dataclass per stage, the project's painscope.yaml

Top-level functions are imported lazily so that ``import painscope`` stays cheap.
"""

from __future__ import annotations

from typing import Any

from painscope.version import __version__

__all__ = ["__version__", "extract", "init_project", "read_manifest"]


def __getattr__(name: str) -> Any:
    if name == "extract":
        from painscope.features.extract import extract

        return extract
    if name == "init_project":
        from painscope.project import init_project

        return init_project
    if name == "read_manifest":
        from painscope.manifest import read_manifest

        return read_manifest
    raise AttributeError(f"module 'painscope' has no attribute {name!r}")
