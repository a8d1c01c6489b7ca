"""Typed contracts of the extract job: what goes into one video's extraction and what comes out.

* :class:`VideoJob` — one manifest row to extract (plain data: it crosses process and Ray
  boundaries as paths and strings, never as decoded frames).
* :class:`VideoStatus` / :class:`VideoResult` — one outcome; the status strings are those of
  ``summary.csv`` (done, skipped, busy, failed).
* :class:`ExtractProgress` — how a runner reports progress (the CLI's bars implement it).
* :class:`FrameObserver` — a per-frame hook on the clip pass (e.g. a motion trace).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from painscope.clips.windows import ClipRecord
from painscope.features.weights import WeightsInfo
from painscope.io.video import Frame


class VideoStatus(enum.StrEnum):
    """Outcome of one video; the value is what ``summary.csv`` and the table show (a str
    enum, so ``result.status == "done"`` holds)."""

    DONE = "done"
    SKIPPED = "skipped"
    BUSY = "busy"
    FAILED = "failed"


@dataclass(frozen=True)
class VideoJob:
    """One video to extract: its manifest id and label, and the file."""

    video_id: str
    video: str  # as written in the manifest (shown in tables)
    path: Path


@dataclass
class VideoResult:
    """Outcome for one video (a row of ``summary.csv``)."""

    video_id: str
    video: str
    status: VideoStatus
    reason: str = ""
    n_clips: int = 0
    seconds: float = 0.0
    output: str = ""

    def row(self) -> dict[str, str | int | float]:
        """The ``summary.csv`` row (status as its string)."""
        return {
            "video_id": self.video_id,
            "video": self.video,
            "status": self.status.value,
            "reason": self.reason,
            "n_clips": self.n_clips,
            "seconds": self.seconds,
            "output": self.output,
        }


SUMMARY_COLUMNS = ("video_id", "video", "status", "reason", "n_clips", "seconds", "output")


@dataclass
class ExtractSummary:
    """All outcomes of one ``extract`` call, in manifest order."""

    features_dir: Path
    key: str
    weights: WeightsInfo | None
    results: list[VideoResult] = field(default_factory=list)

    def count(self, status: VideoStatus | str) -> int:
        status = VideoStatus(status)
        return sum(r.status is status for r in self.results)

    @property
    def n_failed(self) -> int:
        return self.count(VideoStatus.FAILED)

    @property
    def n_busy(self) -> int:
        return self.count(VideoStatus.BUSY)


class ExtractProgress(Protocol):
    """Progress events of a runner (called from the runner's own process and thread)."""

    def video_started(self, job: VideoJob) -> None: ...

    def clips_done(self, job: VideoJob, done: int, expected: int | None) -> None: ...

    def video_finished(self, result: VideoResult) -> None: ...


class FrameObserver(Protocol):
    """Sees every decoded frame of the clip pass, in decode order, then the clips.

    ``push`` gets each :class:`~painscope.io.video.Frame` (gray (H, W) uint8 when the
    background is removed, else RGB); ``finish`` gets the video's clip records and returns
    named arrays to add to the video's outputs (handed to the runner's ``save_extras``).
    Observers run in the process that decodes the video.
    """

    def push(self, frame: Frame) -> None: ...

    def finish(self, records: list[ClipRecord]) -> dict[str, np.ndarray]: ...
