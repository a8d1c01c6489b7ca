"""``painscope extract``, re-exported from the modules of its stages (see docs/design.md).

* :mod:`painscope.features.runner` — the project job runner (``extract``, skip, summary)
* :mod:`painscope.features.pipeline` — ``extract_one``: one video, lock → outputs
* :mod:`painscope.features.extractor` — the model wrapper (``Extractor``, compact clips)
* :mod:`painscope.features.parallel` — worker processes around one backbone
* :mod:`painscope.background.stage` — the background stage; :mod:`painscope.io.lock`
"""

from __future__ import annotations

from painscope.background.stage import check_complete
from painscope.devices import resolve_device
from painscope.features.extractor import Backbone, Extractor, prepare_for_backbone
from painscope.features.jobs import (
    ExtractProgress,
    ExtractSummary,
    FrameObserver,
    VideoJob,
    VideoResult,
    VideoStatus,
)
from painscope.features.pipeline import extract_one, extract_video, is_done
from painscope.features.runner import (
    Shard,
    check_project,
    extract,
    features_dir_for,
    write_summary,
)
from painscope.io.lock import video_lock

__all__ = [
    "Backbone",
    "ExtractProgress",
    "ExtractSummary",
    "Extractor",
    "FrameObserver",
    "Shard",
    "VideoJob",
    "VideoResult",
    "VideoStatus",
    "check_complete",
    "check_project",
    "extract",
    "extract_one",
    "extract_video",
    "features_dir_for",
    "is_done",
    "prepare_for_backbone",
    "resolve_device",
    "video_lock",
    "write_summary",
]
