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
LOCOMOTION_SPEED = 0.25  # body lengths per second: faster frames count as locomotion
CURL_SHARE = 0.85  # a frame is curled when its elongation is below this x the video's median

# Every size and speed is relative to the video's own mouse (body length BL = the video's
# median major axis, sizes / the video's median), so camera distance, resolution and mouse
# size do not separate videos; only how the mouse moves and holds its body does.
DESCRIPTOR_UNITS = {
    "speed_mean": "BL/s",
    "speed_median": "BL/s",
    "speed_p90": "BL/s",
    "speed_sd": "BL/s",
    "locomotion_share": "1 (share of frames faster than LOCOMOTION_SPEED)",
    "turn_mean": "deg/s",
    "turn_p90": "deg/s",
    "area_rel": "1 (clip mean / video median area)",
    "area_min_rel": "1 (clip 10th percentile / video median area)",
    "area_cv": "1",
    "elongation_mean": "1 (major / minor)",
    "elongation_rel": "1 (clip mean / video median elongation)",
    "elongation_sd": "1",
    "curl_share": "1 (share of frames with elongation < CURL_SHARE x video median)",
    "major_rel": "1 (clip mean / video median major axis)",
    "minor_rel": "1 (clip mean / video median minor axis)",
    "energy_mean": "1 (changed area / area, per frame)",
    "energy_p90": "1",
    "immobile_share": "1 (share of frames)",
    "faint_mean": "1 (share of the mouse's pixels, per frame)",
    "faint_p90": "1",
    "paw_chiral_mean": "1 (signed share of the body's pixels, see segment.paw_chirality)",
    "paw_chiral_sd": "1",
    "missing_share": "1 (share of frames)",
    "net_displacement": "BL",
}
DESCRIPTOR_COLUMNS = tuple(DESCRIPTOR_UNITS)
# heavy-tailed columns that a classifier sees as log(value + offset), offset in the
# column's unit (about the jitter of a resting mouse), so a still mouse is not -inf
LOG_OFFSETS = {
    "speed_mean": 0.02, "speed_median": 0.02, "speed_p90": 0.02, "speed_sd": 0.02,
    "turn_mean": 1.0, "turn_p90": 1.0, "net_displacement": 0.02,
}  # fmt: skip
LOG_COLUMNS = tuple(LOG_OFFSETS)


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
    xy, area, major, minor, found : (n,) per frame (px, px², px, px, bool), interpolated;
    kin : :func:`kinematics` output, plus ``faint_share`` and ``paw_chiral`` (n,) when
    measured.
    """
    n = len(area)

    def typical(x: np.ndarray) -> float:
        value = float(np.median(x[found])) if found.any() else float(np.median(x)) if n else 1.0
        return value if np.isfinite(value) and value > 0 else 1.0

    elong = major / np.maximum(minor, 1e-6)  # (n,)
    body, v_area, v_major, v_minor = typical(major), typical(area), typical(major), typical(minor)
    v_elong = typical(elong)
    speed = kin["speed"] / body  # BL/s
    faint_all = kin.get("faint_share", np.zeros(n))
    paw_all = kin.get("paw_chiral", np.zeros(n))
    rows = []
    for start, end in frames:
        s, e = max(0, int(start)), min(n, int(end))
        if e <= s:  # a clip with no frame of its own (very low fps): use its start frame
            s, e = min(s, n - 1), min(s, n - 1) + 1
        sp, tu, ar, el = speed[s:e], kin["turn"][s:e], area[s:e], elong[s:e]
        en, faint, paw = kin["energy_share"][s:e], faint_all[s:e], paw_all[s:e]
        a_mean = float(ar.mean())
        rows.append(
            [
                sp.mean(), np.median(sp), np.percentile(sp, 90), sp.std(),
                (sp > LOCOMOTION_SPEED).mean(),
                tu.mean(), np.percentile(tu, 90),
                a_mean / v_area, np.percentile(ar, 10) / v_area, ar.std() / max(a_mean, 1e-6),
                el.mean(), el.mean() / v_elong, el.std(), (el < CURL_SHARE * v_elong).mean(),
                major[s:e].mean() / v_major, minor[s:e].mean() / v_minor,
                en.mean(), np.percentile(en, 90),
                kin["immobile"][s:e].mean(),
                faint.mean(), np.percentile(faint, 90),
                paw.mean(), paw.std(),
                1.0 - found[s:e].mean(),
                float(np.hypot(*(xy[e - 1] - xy[s]))) / body,
            ]
        )  # fmt: skip
    out = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(DESCRIPTOR_COLUMNS))
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)
