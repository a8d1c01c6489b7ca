"""Reading and writing motion outputs.

``cache/motion/<video_id>.csv``
    the per-frame track, one row per decoded frame, columns
    :data:`~painscope.motion.track.TRACK_COLUMNS` (units in docs/motion.md).
``cache/motion/summary.csv``
    one row per video: distance travelled and % time immobile (units in the column
    names: ``distance_cm`` when ``extract.pixels_per_cm`` is set, else ``distance_px``).

The per-clip descriptors live in the token store (``motion`` array, see
:mod:`painscope.features.store`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from painscope.errors import FeatureStoreError
from painscope.io.atomic import atomic_path
from painscope.motion.track import TRACK_COLUMNS

_INT_COLUMNS = ("frame", "immobile", "found")


def motion_dir(project_root: Path) -> Path:
    return Path(project_root) / "cache" / "motion"


def track_path(folder: Path, video_id: str) -> Path:
    return Path(folder) / f"{video_id}.csv"


def write_track(path: Path, track: np.ndarray) -> None:
    """Write a (n_frames, len(TRACK_COLUMNS)) track as CSV, atomically."""
    import pandas as pd

    if track.ndim != 2 or track.shape[1] != len(TRACK_COLUMNS):
        raise ValueError(f"track must be (n_frames, {len(TRACK_COLUMNS)}), got {track.shape}")
    table = pd.DataFrame(track, columns=list(TRACK_COLUMNS))
    for name in _INT_COLUMNS:
        table[name] = table[name].astype(np.int64)
    with atomic_path(Path(path)) as tmp:
        table.to_csv(tmp, index=False, float_format="%.3f")


def read_track(path: Path) -> np.ndarray:
    """The track written by :func:`write_track`, (n_frames, len(TRACK_COLUMNS)) float64."""
    import pandas as pd

    try:
        table = pd.read_csv(path)
    except FileNotFoundError:
        raise FeatureStoreError(
            f"{path}: motion track not found",
            fix="run `painscope extract` with extract.motion: true",
        ) from None
    missing = [c for c in TRACK_COLUMNS if c not in table.columns]
    if missing:
        raise FeatureStoreError(
            f"{path}: motion track lacks column(s) {', '.join(missing)}",
            fix="delete it and run `painscope extract` again",
        )
    return table[list(TRACK_COLUMNS)].to_numpy(dtype=np.float64)


@dataclass(frozen=True)
class VideoMotionSummary:
    """Whole-video readouts of one track.

    distance : path length of the smoothed centroid (cm when ``pixels_per_cm``, else px);
    immobile_percent : % of frames immobile; found_percent : % of frames with a mouse.
    """

    video_id: str
    distance: float
    unit: str
    immobile_percent: float
    found_percent: float
    duration_s: float


def summarise_track(
    video_id: str, track: np.ndarray, pixels_per_cm: float | None = None
) -> VideoMotionSummary:
    """Distance travelled and % time immobile of a (n_frames, K) track."""
    from painscope.motion.descriptors import _smooth3

    col = {c: i for i, c in enumerate(TRACK_COLUMNS)}
    x, y = _smooth3(track[:, col["x"]]), _smooth3(track[:, col["y"]])
    distance_px = float(np.hypot(np.diff(x), np.diff(y)).sum()) if len(x) > 1 else 0.0
    times = track[:, col["time_s"]]
    step = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    duration = float(times[-1] + step) if len(times) else 0.0
    if pixels_per_cm:
        distance, unit = distance_px / pixels_per_cm, "cm"
    else:
        distance, unit = distance_px, "px"
    return VideoMotionSummary(
        video_id=video_id,
        distance=distance,
        unit=unit,
        immobile_percent=100.0 * float(track[:, col["immobile"]].mean()) if len(track) else 0.0,
        found_percent=100.0 * float(track[:, col["found"]].mean()) if len(track) else 0.0,
        duration_s=duration,
    )


def write_summary(path: Path, summaries: list[VideoMotionSummary]) -> Path:
    """Merge per-video summaries into ``summary.csv`` (one row per video, latest wins)."""
    import pandas as pd

    rows: dict[str, dict[str, object]] = {}
    if Path(path).exists():
        with contextlib.suppress(Exception):
            old = pd.read_csv(path, dtype={"video_id": str})
            for record in old.to_dict("records"):
                rows[str(record["video_id"])] = record
    for s in summaries:
        rows[s.video_id] = {
            "video_id": s.video_id,
            f"distance_{s.unit}": round(s.distance, 3),
            "immobile_percent": round(s.immobile_percent, 2),
            "found_percent": round(s.found_percent, 2),
            "duration_s": round(s.duration_s, 3),
        }
    table = pd.DataFrame(list(rows.values()))
    with atomic_path(Path(path)) as tmp:
        table.to_csv(tmp, index=False)
    return Path(path)


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """One writer at a time for ``path`` (worker processes share summary.csv): an advisory
    ``flock`` on a sibling lock file; where flock is missing, no lock."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_summary(path: Path) -> list[dict[str, object]]:
    """Rows of ``summary.csv`` (empty when it does not exist)."""
    import pandas as pd

    if not Path(path).exists():
        return []
    return list(pd.read_csv(path, dtype={"video_id": str}).to_dict("records"))


def save_video_motion(
    project_root: Path, video_id: str, track: np.ndarray, pixels_per_cm: float = 0.0
) -> Path:
    """Write a video's track CSV and merge its row into ``summary.csv``; returns the CSV path."""
    folder = motion_dir(project_root)
    path = track_path(folder, video_id)
    write_track(path, track)
    summary = summarise_track(video_id, track, pixels_per_cm or None)
    with _exclusive(folder / "summary.csv"):  # read-merge-write by one process at a time
        write_summary(folder / "summary.csv", [summary])
    return path
