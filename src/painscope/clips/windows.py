"""Consecutive fixed-length windows ("clips") sampled by time.

Clip ``i`` covers ``[i · clip_seconds, (i + 1) · clip_seconds)`` measured from the
first frame. Its ``frames_per_clip`` samples sit at evenly spaced times, the
centres of ``frames_per_clip`` equal sub-intervals; each takes the frame shown at
that moment (the last frame whose timestamp is not later). Working by time makes
variable frame rate video and any frame rate (25, 30, 60 fps, ...) behave the same:
at 30 fps a 1.5 s clip spans 45 frames of which 32 are taken; below
``frames_per_clip / clip_seconds`` fps some frames repeat.

A trailing partial clip is dropped, so a 5-min video gives exactly 200 clips and a
shorter one fewer.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable
from dataclasses import dataclass, field

import numpy as np

from painscope.io.video import Frame


@dataclass(frozen=True)
class ClipRecord:
    """Where one clip lies in its video.

    ``end_frame`` is exclusive; ``frame_indices`` are the sampled frames (display order).
    """

    index: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    frame_indices: tuple[int, ...] = field(repr=False)


def n_clips_for(duration_s: float, clip_seconds: float) -> int:
    """Whole clips that fit in ``duration_s`` seconds."""
    return int(np.floor(duration_s / clip_seconds + 1e-9))


class ClipSampler:
    """Turn a stream of frames into complete clips, holding at most one clip of frames.

    Push frames in display order; completed clips come back as
    ``(ClipRecord, frames)`` with ``frames`` a list of ``frames_per_clip`` arrays.
    Call :meth:`finish` after the last frame.
    """

    def __init__(self, clip_seconds: float, frames_per_clip: int) -> None:
        self.clip_seconds = float(clip_seconds)
        self.frames_per_clip = int(frames_per_clip)
        self._slot = 0  # global sample index: clip = slot // T, position = slot % T
        self._prev: Frame | None = None
        self._intervals: list[float] = []
        self._images: list[np.ndarray] = []
        self._indices: list[int] = []
        self._clip_start: dict[int, int] = {}  # clip index -> first frame at/after its start
        self._next_boundary = 0
        self._pending: list[tuple[int, list[np.ndarray], list[int]]] = []
        self.n_frames = 0

    def _slot_time(self, slot: int) -> float:
        clip, pos = divmod(slot, self.frames_per_clip)
        return (clip + (pos + 0.5) / self.frames_per_clip) * self.clip_seconds

    def _assign_until(self, t_end: float) -> None:
        """Give the pending frame every sample time before ``t_end``."""
        assert self._prev is not None
        while self._slot_time(self._slot) < t_end:
            self._images.append(self._prev.image)
            self._indices.append(self._prev.index)
            self._slot += 1
            if self._slot % self.frames_per_clip == 0:
                clip = self._slot // self.frames_per_clip - 1
                self._pending.append((clip, self._images, self._indices))
                self._images, self._indices = [], []

    def _ready(self, final: bool) -> list[tuple[ClipRecord, list[np.ndarray]]]:
        out = []
        while self._pending:
            clip, images, indices = self._pending[0]
            if clip + 1 not in self._clip_start and not final:
                break  # its end frame is not known yet
            self._pending.pop(0)
            record = ClipRecord(
                index=clip,
                start_frame=self._clip_start.get(clip, indices[0]),
                end_frame=self._clip_start.get(clip + 1, self.n_frames),
                start_s=clip * self.clip_seconds,
                end_s=(clip + 1) * self.clip_seconds,
                frame_indices=tuple(indices),
            )
            out.append((record, images))
        return out

    def push(self, frame: Frame) -> list[tuple[ClipRecord, list[np.ndarray]]]:
        """Add the next frame; return the clips it completed."""
        if self._prev is not None:
            if frame.time_s <= self._prev.time_s:
                # duplicate or out-of-order timestamp: treat as 1/1000 s later
                frame = Frame(frame.index, self._prev.time_s + 1e-3, frame.image)
            self._intervals.append(frame.time_s - self._prev.time_s)
            self._assign_until(frame.time_s)
        while frame.time_s >= self._next_boundary * self.clip_seconds - 1e-9:
            self._clip_start[self._next_boundary] = frame.index
            self._next_boundary += 1
        self._prev = frame
        self.n_frames = frame.index + 1
        return self._ready(final=False)

    def finish(self, fps: float = 0.0) -> list[tuple[ClipRecord, list[np.ndarray]]]:
        """Close the stream: the last frame lasts one typical frame interval."""
        if self._prev is None:
            return []
        if self._intervals:
            last = float(np.median(self._intervals))
        else:
            last = 1.0 / fps if fps > 0 else 0.0
        self._assign_until(self._prev.time_s + last)
        self._images, self._indices = [], []  # a partial trailing clip is dropped
        return self._ready(final=True)

    def duration_s(self) -> float:
        """Seconds covered by the frames pushed so far (last frame's interval included)."""
        if self._prev is None:
            return 0.0
        last = float(np.median(self._intervals)) if self._intervals else 0.0
        return self._prev.time_s + last


@dataclass(frozen=True)
class StreamStats:
    """What a finished clip stream saw: decoded frames and seconds covered."""

    n_frames: int
    duration_s: float


ClipStream = Generator[tuple[ClipRecord, list[np.ndarray]], None, StreamStats]


def iter_clips(frames: Iterable[Frame], clip_seconds: float, frames_per_clip: int) -> ClipStream:
    """Every complete clip of a frame stream, in order, as ``(ClipRecord, T frames)``.

    The generator's return value (``stats = yield from iter_clips(...)``, or
    ``StopIteration.value``) is the :class:`StreamStats` of the whole stream.
    """
    sampler = ClipSampler(clip_seconds, frames_per_clip)
    for frame in frames:
        yield from sampler.push(frame)
    yield from sampler.finish()
    return StreamStats(sampler.n_frames, sampler.duration_s())
