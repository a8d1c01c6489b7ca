"""The articulated mouse: per-mouse traits and the 12 body landmarks.

The skeleton is a bendable spine (constant curvature) with a yawing head, two
ears, four paws and a three-point tail. Everything is computed in cage
coordinates (cm; x along the 20 cm side, y along the 10 cm side, z up) for all
frames at once, then projected by the camera in :mod:`painscope.simulate.render`.

Notes
-----
The landmarks follow the 12-point DeepLabCut set used for the paper's B-SOiD
baseline: snout, ears, neck, four paws, body centre and three tail points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LANDMARKS = (
    "snout",
    "left_ear",
    "right_ear",
    "neck",
    "left_forepaw",
    "right_forepaw",
    "body_center",
    "left_hindpaw",
    "right_hindpaw",
    "tail_base",
    "tail_mid",
    "tail_tip",
)
INDEX = {name: i for i, name in enumerate(LANDMARKS)}

BODY_LENGTH_CM = 7.5  # snout to tail base of an adult C57BL/6 mouse
TAIL_LENGTH_CM = 6.5
BODY_HEIGHT_CM = 1.4  # height of the spine above the floor


@dataclass(frozen=True)
class MouseTraits:
    """What makes one simulated mouse differ from another (drawn once per mouse).

    size : body length relative to :data:`BODY_LENGTH_CM`.
    girth : body width relative to the average.
    speed : walking speed relative to the average.
    activity : how much the mouse explores (scales walking and rearing).
    sensitivity : pain sensitivity; pain-driven behaviour is multiplied by it
        (its inverse is the mouse's pain tolerance).
    fur : RGB fur colour (0-255).
    """

    size: float = 1.0
    girth: float = 1.0
    speed: float = 1.0
    activity: float = 1.0
    sensitivity: float = 1.0
    fur: tuple[int, int, int] = (48, 45, 44)

    @property
    def body_length_cm(self) -> float:
        return BODY_LENGTH_CM * self.size


def sample_traits(rng: np.random.Generator) -> MouseTraits:
    """Draw one mouse: sizes ±6 %, speed and activity ±20 %, sensitivity ±30 % (log-normal)."""
    shade = float(rng.normal(46.0, 6.0))
    fur = tuple(int(np.clip(shade + d, 20, 90)) for d in (2.0, -1.0, -2.0))
    return MouseTraits(
        size=float(np.clip(rng.normal(1.0, 0.06), 0.85, 1.15)),
        girth=float(np.clip(rng.normal(1.0, 0.06), 0.85, 1.15)),
        speed=float(np.exp(rng.normal(0.0, 0.2))),
        activity=float(np.exp(rng.normal(0.0, 0.2))),
        sensitivity=float(np.clip(np.exp(rng.normal(0.0, 0.3)), 0.4, 2.0)),
        fur=(fur[0], fur[1], fur[2]),
    )


@dataclass(frozen=True)
class PoseSeries:
    """The mouse's posture over time; every field is an array of shape (n_frames,).

    x, y : body centre on the floor (cm).
    heading : direction of the spine at the body centre (rad).
    bend : spine curvature (1/cm); positive curls to the mouse's left.
    head_yaw : head turn relative to the neck (rad), positive to the left.
    pitch : rearing angle of the front body about the hips (rad).
    paw_shift : (n_frames, 4) fore/aft paw offsets (cm) for LF, RF, LH, RH.
    paw_lift : (n_frames, 4) paw heights above the floor (cm).
    groom_reach : 0..1, forepaws brought to the face.
    lick_reach : 0..1, left hind paw brought to the mouth.
    tuck : 0..1, left hind paw pulled in under the body (guarding).
    tail_wave : (n_frames, 2) bend of the tail's two segments (rad).
    """

    x: np.ndarray
    y: np.ndarray
    heading: np.ndarray
    bend: np.ndarray
    head_yaw: np.ndarray
    pitch: np.ndarray
    paw_shift: np.ndarray
    paw_lift: np.ndarray
    groom_reach: np.ndarray
    lick_reach: np.ndarray
    tuck: np.ndarray
    tail_wave: np.ndarray

    def __len__(self) -> int:
        return len(self.x)


def _spine(s: float, bend: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point at arc length ``s`` (cm, + forward) on a constant-curvature spine.

    Returns local (forward, left) coordinates and the tangent angle, each (n_frames,).
    """
    k = np.where(np.abs(bend) < 1e-6, 1e-6, bend)
    u = np.sin(k * s) / k
    v = (1.0 - np.cos(k * s)) / k
    return u, v, bend * s


def landmarks_3d(pose: PoseSeries, traits: MouseTraits) -> np.ndarray:
    """Cage coordinates of the 12 landmarks.

    Returns
    -------
    points : array of shape (n_frames, 12, 3), (x, y, z) in cm, in :data:`LANDMARKS` order.
    """
    L = traits.body_length_cm
    n = len(pose)
    fwd = np.stack([np.cos(pose.heading), np.sin(pose.heading)], axis=1)  # (n, 2)
    left = np.stack([np.sin(pose.heading), -np.cos(pose.heading)], axis=1)
    hip_s = -0.25 * L  # rearing pivots about the hips
    cos_p, sin_p = np.cos(pose.pitch), np.sin(pose.pitch)

    def place(s: float, lateral: np.ndarray | float = 0.0, z0: float = BODY_HEIGHT_CM) -> tuple:
        """World (x, y, z) of a body point at arc ``s`` and lateral offset; and its tangent."""
        u, v, ang = _spine(s, pose.bend)
        if s > hip_s:  # the front body rotates up when rearing
            u_hip, v_hip, _ = _spine(hip_s, pose.bend)
            du, dv = u - u_hip, v - v_hip
            u, v = u_hip + du * cos_p, v_hip + dv * cos_p
            z = z0 + (s - hip_s) * sin_p
        else:
            z = np.full(n, z0)
        lat = np.asarray(lateral, dtype=float)
        u = u - lat * np.sin(ang)
        v = v + lat * np.cos(ang)
        xy = np.stack([pose.x, pose.y], axis=1) + u[:, None] * fwd + v[:, None] * left
        return xy, z, ang

    pts = np.zeros((n, 12, 3))

    def put(name: str, xy: np.ndarray, z: np.ndarray) -> None:
        pts[:, INDEX[name], :2] = xy
        pts[:, INDEX[name], 2] = z

    neck_xy, neck_z, neck_ang = place(0.3 * L)
    center_xy, center_z, _ = place(0.0)
    tail_xy, tail_z, tail_ang = place(-0.45 * L, z0=0.6)
    put("neck", neck_xy, neck_z)
    put("body_center", center_xy, center_z)
    put("tail_base", tail_xy, tail_z)

    # head: from the neck, turned by head_yaw, tilted with the body when rearing
    head_ang = pose.heading + neck_ang + pose.head_yaw
    head_dir = np.stack([np.cos(head_ang), np.sin(head_ang)], axis=1)
    head_left = np.stack([np.sin(head_ang), -np.cos(head_ang)], axis=1)
    head_len = 0.27 * L
    snout_xy = neck_xy + head_dir * (head_len * cos_p)[:, None]
    snout_z = neck_z + head_len * sin_p - 0.3
    put("snout", snout_xy, snout_z)
    ear_base = neck_xy + head_dir * (0.06 * L * cos_p)[:, None]
    put("left_ear", ear_base + head_left * 0.085 * L, neck_z + 0.4)
    put("right_ear", ear_base - head_left * 0.085 * L, neck_z + 0.4)

    # paws: rest positions under the body, shifted by the gait, lifted in swing
    for i, (name, s, side) in enumerate(
        (
            ("left_forepaw", 0.2 * L, 1.0),
            ("right_forepaw", 0.2 * L, -1.0),
            ("left_hindpaw", -0.28 * L, 1.0),
            ("right_hindpaw", -0.28 * L, -1.0),
        )
    ):
        width = (0.12 if i < 2 else 0.15) * L * traits.girth
        lateral: np.ndarray | float = side * width
        if name == "left_hindpaw":
            lateral = side * width * (1.0 - 0.6 * pose.tuck)
        xy, z, ang = place(s, lateral, z0=0.0)
        body_dir = np.stack([np.cos(pose.heading + ang), np.sin(pose.heading + ang)], axis=1)
        xy = xy + body_dir * pose.paw_shift[:, i : i + 1]
        if i < 2:  # forepaws rise with the chest when rearing, go to the face when grooming
            face = snout_xy - head_dir * 0.05 * L + side * head_left * 0.05 * L
            g = pose.groom_reach[:, None]
            xy = xy * (1.0 - g) + face * g
            z = z * (1.0 - pose.groom_reach) + snout_z * pose.groom_reach
        if name == "left_hindpaw":  # licking: the paw is brought to the mouth
            mouth = snout_xy + head_dir * 0.03 * L
            r = pose.lick_reach[:, None]
            xy = xy * (1.0 - r) + mouth * r
            z = z * (1.0 - pose.lick_reach) + np.maximum(snout_z, 0.5) * pose.lick_reach
        put(name, xy, z + pose.paw_lift[:, i])

    # tail: two segments bending with the wave, trailing the spine
    back = pose.heading + tail_ang + np.pi
    seg = 0.5 * TAIL_LENGTH_CM * traits.size
    a1 = back + pose.tail_wave[:, 0]
    mid_xy = tail_xy + seg * np.stack([np.cos(a1), np.sin(a1)], axis=1)
    a2 = a1 + pose.tail_wave[:, 1]
    tip_xy = mid_xy + seg * np.stack([np.cos(a2), np.sin(a2)], axis=1)
    put("tail_mid", mid_xy, np.full(n, 0.3))
    put("tail_tip", tip_xy, np.full(n, 0.2))
    return pts
