"""The per-frame silhouette tracker: an observer of the extract pass's decoded frames.

``MotionTracker.push(frame)`` is called with every decoded frame of the clip pass, in
decode order; ``finish(records)`` returns the per-frame track and the per-clip
descriptors. It never decodes anything itself, so motion costs only the
segmentation of frames that the extract pass decodes anyway.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from painscope.clips.windows import ClipRecord
from painscope.io.video import Frame
from painscope.motion.descriptors import clip_descriptors, interpolate_missing, kinematics
from painscope.motion.segment import Segmenter

# columns of the per-frame track (the CSV adds nothing else)
TRACK_COLUMNS = (
    "frame", "time_s", "x", "y", "area", "major", "minor", "orientation",
    "motion_energy", "speed", "turn", "energy_share", "immobile", "found", "threshold",
    "faint_share", "paw_chiral",
)  # fmt: skip
TRACK_UNITS = {
    "frame": "0-based decode index",
    "time_s": "s from the first frame",
    "x": "px (original video, left = 0)",
    "y": "px (original video, top = 0)",
    "area": "px^2",
    "major": "px (full length of the moment ellipse)",
    "minor": "px",
    "orientation": "deg from +x, [-90, 90), clockwise on screen",
    "motion_energy": "px^2 of the mouse (this or the last frame) whose brightness changed",
    "speed": "px/s (3-frame smoothed centroid)",
    "turn": "deg/s (axial)",
    "energy_share": "motion_energy / area",
    "immobile": "1 = immobile frame",
    "found": "1 = mouse found; 0 = values interpolated",
    "threshold": "grey levels used for |frame - median|",
    "faint_share": "share of the mouse's pixels that differ faintly from the floor",
    "paw_chiral": "signed left-right asymmetry of faint and near-floor pixels (see segment)",
}


MAX_BUFFER_BYTES = 512 * 2**20  # reduced frames kept for the second pass
FLOOR_PERCENTILE = 90.0  # of the brightness, per pixel, for a dark mouse (10 for a bright one)


class MotionTracker:
    """Segment the mouse in every pushed frame; summarise per clip in :meth:`finish`.

    A mouse that rests in one place for most of a video is part of its own median
    background there. So the tracker keeps every frame on the reduced grid (uint8, at
    most ``MAX_BUFFER_BYTES``) and, in :meth:`finish`, segments them again against the
    floor's own brightness: the per-pixel 90th percentile when the mouse is darker than
    the floor, the 10th when it is brighter — right wherever the mouse left a spot for at
    least a tenth of the video. The polarity is the percentile that differs less from the
    median (the wrong one differs along the mouse's whole path).

    Parameters
    ----------
    background : (H, W) float32 median background of the video (grey levels)
    """

    def __init__(self, background: np.ndarray) -> None:
        self.segmenter = Segmenter(background)
        self._rows: list[list[float]] = []
        self._frames: list[np.ndarray] | None = []
        self._step2 = float(self.segmenter.step**2)
        self._reset()

    def _reset(self) -> None:
        self._prev_mask: np.ndarray | None = None
        self._prev_frame: np.ndarray | None = None

    def push(self, frame: Frame) -> None:
        """Segment one decoded frame (gray (H, W) or RGB (H, W, 3) uint8)."""
        self._segment(frame.index, frame.time_s, frame.image, reduced=False)
        reduced = self.segmenter.last_reduced
        if self._frames is not None:
            if (len(self._frames) + 1) * reduced.nbytes > MAX_BUFFER_BYTES:
                self._frames = None  # too long to keep: the first pass stands
            else:
                self._frames.append(reduced if reduced is not frame.image else reduced.copy())

    def _second_pass(self) -> None:
        """Segment the buffered frames again against the floor's percentile background."""
        import cv2

        if not self._frames or len(self._frames) < 20:
            return
        every = max(1, len(self._frames) // 300)  # ~300 frames are plenty for a percentile
        stack = np.stack(self._frames[::every])  # (n, h, w) uint8
        n = len(stack)
        hi, lo = (
            round(FLOOR_PERCENTILE / 100 * (n - 1)),
            round((1 - FLOOR_PERCENTILE / 100) * (n - 1)),
        )
        parted = np.partition(stack, (lo, hi), axis=0)
        bright, dark = parted[hi], parted[lo]  # (h, w) each
        del stack, parted
        # the right percentile differs from the median only where the mouse rested for most of
        # the video; the wrong one along its whole path: keep the one that changes less
        median, thr = self.segmenter.background, max(self.segmenter.last_threshold, 1.0)
        changed_bright = np.count_nonzero(cv2.absdiff(bright, median) > thr)
        changed_dark = np.count_nonzero(cv2.absdiff(dark, median) > thr)
        floor = bright if changed_bright <= changed_dark else dark
        if min(changed_bright, changed_dark) < self.segmenter.min_pixels:
            self._frames = None  # the mouse rested nowhere long enough to hide: pass 1 stands
            return
        times = [(int(r[0]), float(r[1])) for r in self._rows]
        self.segmenter = self.segmenter.with_background(floor)
        self._rows = []
        self._reset()
        for (index, time_s), image in zip(times, self._frames, strict=True):
            self._segment(index, time_s, image, reduced=True)
        self._frames = None

    def _segment(self, index: int, time_s: float, image: np.ndarray, *, reduced: bool) -> None:
        blob = self.segmenter.find(image, reduced=reduced)
        thr = self.segmenter.last_threshold
        nan = float("nan")
        if blob is None:
            self._rows.append([index, time_s, nan, nan, nan, nan, nan, nan, nan, 0.0,
                               thr, nan, nan])  # fmt: skip
            self._prev_mask = None
            return
        import cv2

        energy = nan
        frame_now = self.segmenter.last_reduced
        if self._prev_mask is not None:
            # pixels of the mouse (now or before) whose brightness changed by more than the
            # noise threshold: silhouette moves and movement inside it (paws, head, licking)
            changed = cv2.absdiff(frame_now, self._prev_frame) > thr
            energy = float(np.count_nonzero(changed & (blob.mask | self._prev_mask)))
            energy *= self._step2
        self._prev_mask, self._prev_frame = blob.mask, frame_now
        self._rows.append([index, time_s, blob.x, blob.y, blob.area, blob.major,
                           blob.minor, blob.orientation, energy, 1.0, thr,
                           blob.faint_share, blob.paw_chiral])  # fmt: skip

    @property
    def n_frames(self) -> int:
        return len(self._rows)

    def track(self) -> np.ndarray:
        """(n_frames, len(TRACK_COLUMNS)) float64 per-frame track, gaps interpolated."""
        self._second_pass()
        raw = np.asarray(self._rows, dtype=np.float64).reshape(-1, 13)
        found = raw[:, 9] > 0
        geo = interpolate_missing(raw[:, 2:8], found)  # x, y, area, major, minor, orientation
        faint = interpolate_missing(np.nan_to_num(raw[:, 11:12]), found)[:, 0]
        paw = interpolate_missing(np.nan_to_num(raw[:, 12:13]), found)[:, 0]
        energy = raw[:, 8].copy()
        energy[0:1] = np.nan
        good_e = np.isfinite(energy)
        if good_e.any():
            energy = interpolate_missing(energy[:, None], good_e)[:, 0]
        else:
            energy = np.zeros(len(raw))
        kin = kinematics(raw[:, 1], geo[:, 0:2], geo[:, 2], geo[:, 3], geo[:, 5], energy)
        return np.column_stack(
            [raw[:, 0], raw[:, 1], geo, energy, kin["speed"], kin["turn"],
             kin["energy_share"], kin["immobile"], found.astype(np.float64), raw[:, 10],
             faint, paw]
        )  # fmt: skip

    def finish(self, records: Sequence[ClipRecord]) -> dict[str, np.ndarray]:
        """``{"motion": (n_clips, D) float32, "motion_track": (n_frames, K) float64}``."""
        track = self.track()
        col = {c: i for i, c in enumerate(TRACK_COLUMNS)}
        found = track[:, col["found"]] > 0
        kin = {k: track[:, col[k]]
               for k in ("speed", "turn", "energy_share", "immobile", "faint_share", "paw_chiral")}  # fmt: skip
        descriptors = clip_descriptors(
            [(r.start_frame, r.end_frame) for r in records],
            track[:, [col["x"], col["y"]]],
            track[:, col["area"]],
            track[:, col["major"]],
            track[:, col["minor"]],
            found,
            kin,
        )
        return {"motion": descriptors, "motion_track": track}
