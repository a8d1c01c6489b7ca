"""Per-frame kinematics and per-clip descriptors from a silhouette track.

Per frame (after filling frames without a mouse by linear interpolation):

``speed``          centroid speed, px/s (centroid smoothed over 3 frames first, so
                   segmentation jitter of a resting mouse is not read as movement)
``turn``           absolute change of the body axis orientation, degrees/s (axial:
                   a change of 170° counts as 10°)
``energy_share``   motion energy / area: the share of the body's area that changed
                   between this frame and the previous one (0 = still, 2 = moved off
                   itself)
``immobile``       1 when ``energy_share < IMMOBILE_ENERGY`` and
                   ``speed < IMMOBILE_SPEED`` body lengths per second, else 0
                   (body length = the video's median major axis)

Per clip (one row per :class:`~painscope.clips.windows.ClipRecord`, frames
``start_frame .. end_frame - 1``) the columns of :data:`DESCRIPTOR_COLUMNS`, with
units in :data:`DESCRIPTOR_UNITS` (see docs/motion.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

IMMOBILE_ENERGY = 0.10  # share of the body area changed per frame
IMMOBILE_SPEED = 0.5  # body lengths per second

DESCRIPTOR_UNITS = {
    "speed_mean": "px/s",
    "speed_median": "px/s",
    "speed_p90": "px/s",
    "speed_sd": "px/s",
    "turn_mean": "deg/s",
    "turn_p90": "deg/s",
    "area_mean": "px^2",
    "area_cv": "1",
    "area_rel": "1 (clip mean / video median)",
    "elongation_mean": "1 (major / minor)",
    "elongation_sd": "1",
    "major_mean": "px",
    "minor_mean": "px",
    "energy_mean": "1 (changed area / area, per frame)",
    "energy_p90": "1",
    "immobile_share": "1 (share of frames)",
    "missing_share": "1 (share of frames)",
    "net_displacement": "px",
}
DESCRIPTOR_COLUMNS = tuple(DESCRIPTOR_UNITS)
# heavy-tailed columns that a classifier sees as log(1 + value)
LOG_COLUMNS = ("speed_mean", "speed_median", "speed_p90", "speed_sd", "turn_mean", "turn_p90",
               "area_mean", "major_mean", "minor_mean", "net_displacement")  # fmt: skip


def interpolate_missing(values: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Fill rows where ``found`` is False by linear interpolation (edges: nearest).

    values : (n, k) float; found : (n,) bool. All-missing input comes back as zeros.
    """
    out = values.astype(np.float64).copy()
    n = len(out)
    good = np.flatnonzero(found)
    if len(good) == 0:
        return np.zeros_like(out)
    if len(good) == n:
        return out
    t = np.arange(n)
    for j in range(out.shape[1]):
        out[:, j] = np.interp(t, good, out[good, j])
    return out


def _smooth3(x: np.ndarray) -> np.ndarray:
    """Centred 3-frame moving average; the ends are extended linearly, so steady motion
    keeps its full length."""
    if len(x) < 3:
        return x.copy()
    padded = np.concatenate([2 * x[:1] - x[1:2], x, 2 * x[-1:] - x[-2:-1]])
    return (padded[:-2] + padded[1:-1] + padded[2:]) / 3.0


def kinematics(
    times: np.ndarray,
    xy: np.ndarray,
    area: np.ndarray,
    major: np.ndarray,
    orientation: np.ndarray,
    energy: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-frame speed (px/s), turn (deg/s), energy_share, immobile (0/1) and step (px).

    All inputs are (n,) and already interpolated; ``energy`` is NaN on frame 0.
    """
    n = len(times)
    dt = np.diff(times) if n > 1 else np.zeros(0)
    typical = float(np.median(dt)) if len(dt) else 1.0
    dt = np.where(dt > 0, dt, typical if typical > 0 else 1.0)
    sx, sy = _smooth3(xy[:, 0]), _smooth3(xy[:, 1])
    step = np.zeros(n)
    step[1:] = np.hypot(np.diff(sx), np.diff(sy))  # px
    speed = np.zeros(n)
    speed[1:] = step[1:] / dt
    if n > 1:
        speed[0] = speed[1]
    dtheta = np.zeros(n)
    dtheta[1:] = (np.diff(orientation) + 90.0) % 180.0 - 90.0  # axial difference, degrees
    turn = np.abs(dtheta)
    turn[1:] /= dt
    share = np.where(area > 0, energy / np.maximum(area, 1.0), 0.0)
    share = np.where(np.isfinite(share), share, 0.0)
    if n > 1:
        share[0] = share[1]
    body = float(np.median(major)) if n else 1.0
    immobile = (share < IMMOBILE_ENERGY) & (speed < IMMOBILE_SPEED * max(body, 1.0))
    return {
        "speed": speed,
        "turn": turn,
        "energy_share": share,
        "immobile": immobile.astype(np.float64),
        "step": step,
    }


def clip_descriptors(
    frames: Sequence[tuple[int, int]],
    xy: np.ndarray,
    area: np.ndarray,
    major: np.ndarray,
    minor: np.ndarray,
    found: np.ndarray,
    kin: dict[str, np.ndarray],
) -> np.ndarray:
    """(n_clips, D) float32 descriptors, D = len(DESCRIPTOR_COLUMNS).

    frames : (start_frame, end_frame) per clip, end exclusive, decode indices.
    """
    n = len(area)
    video_area = float(np.median(area[found])) if found.any() else 1.0
    rows = []
    for start, end in frames:
        s, e = max(0, int(start)), min(n, int(end))
        if e <= s:  # a clip with no frame of its own (very low fps): use its start frame
            s, e = min(s, n - 1), min(s, n - 1) + 1
        sp, tu = kin["speed"][s:e], kin["turn"][s:e]
        ar, mj, mn = area[s:e], major[s:e], minor[s:e]
        elong = mj / np.maximum(mn, 1e-6)
        en = kin["energy_share"][s:e]
        a_mean = float(ar.mean())
        rows.append(
            [
                sp.mean(), np.median(sp), np.percentile(sp, 90), sp.std(),
                tu.mean(), np.percentile(tu, 90),
                a_mean, ar.std() / max(a_mean, 1e-6), a_mean / max(video_area, 1e-6),
                elong.mean(), elong.std(), mj.mean(), mn.mean(),
                en.mean(), np.percentile(en, 90),
                kin["immobile"][s:e].mean(), 1.0 - found[s:e].mean(),
                float(np.hypot(*(xy[e - 1] - xy[s]))),
            ]
        )  # fmt: skip
    out = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(DESCRIPTOR_COLUMNS))
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
