"""From a behaviour sequence to a smooth posture trajectory in the cage.

Each behaviour sets targets (speed, spine bend, rearing pitch, where the paws
go); the posture follows its targets with first-order lags, so bouts blend
into each other instead of jumping. Walking moves the mouse with a trotting
gait (diagonal paw pairs), steering by a random turn rate and away from walls.
"""

from __future__ import annotations

import math

import numpy as np

from painscope.simulate.behaviour import STATE_INDEX, PainLevels
from painscope.simulate.body import MouseTraits, PoseSeries

WALK_SPEED_CM_S = 7.0
# Trot: LF with RH, RF with LH (paw order LF, RF, LH, RH).
_GAIT_PHASE = np.array([0.0, math.pi, math.pi, 0.0])
# Time constants (s) with which the posture follows its targets.
_TAU = {"speed": 0.25, "bend": 0.3, "yaw": 0.15, "pitch": 0.2, "reach": 0.2, "lift": 0.12}

WALK, REAR, GROOM, REST, LICK, GUARD = (
    STATE_INDEX[s] for s in ("walking", "rearing", "grooming", "resting", "licking", "guarding")
)


def _wrap(angle: float) -> float:
    return (angle + math.pi) % (2 * math.pi) - math.pi


def animate(
    states: np.ndarray,
    fps: float,
    levels: PainLevels,
    traits: MouseTraits,
    rng: np.random.Generator,
    *,
    cage_cm: tuple[float, float] = (20.0, 10.0),
) -> PoseSeries:
    """Posture of the mouse in every frame.

    Parameters
    ----------
    states : int array of shape (n_frames,), indices into ``behaviour.STATES``.
    fps : frames per second.
    levels : pain levels of the video (gait asymmetry and guarding posture).
    traits : the mouse.
    rng : random generator (turns, sniffing, flinches).
    cage_cm : floor size (x, y) in cm.
    """
    n = len(states)
    dt = 1.0 / fps
    alpha = {k: 1.0 - math.exp(-dt / tau) for k, tau in _TAU.items()}
    L = traits.body_length_cm
    width, height = cage_cm
    half = 0.5 * L  # keep snout and tail base inside the cage
    stride = 0.45 * L
    v_walk = WALK_SPEED_CM_S * traits.speed * (1.0 - 0.35 * min(levels.hypo, 1.0))
    asym = min(levels.asym, 1.0)
    guard = min(levels.guard, 1.0)

    out = {
        k: np.zeros(n)
        for k in ("x", "y", "heading", "bend", "yaw", "pitch", "groom", "lick", "tuck")
    }
    paw_shift = np.zeros((n, 4))
    paw_lift = np.zeros((n, 4))
    tail_wave = np.zeros((n, 2))

    heading = float(rng.choice([0.0, math.pi]) + rng.normal(0.0, 0.3))
    x = float(rng.uniform(half + 0.5, width - half - 0.5))
    y = float(rng.uniform(0.4 * height, 0.6 * height))
    v = bend = yaw = pitch = groom = lick = tuck = lh_lift = 0.0
    turn = sniff = tail_drift = 0.0
    phase = float(rng.uniform(0, 2 * math.pi))
    rest_bend = 0.0
    flinch_until = -1
    previous = -1
    sqdt = math.sqrt(dt)
    for t in range(n):
        s = int(states[t])
        if s != previous:  # a new bout: new resting curl, maybe a small reorientation
            rest_bend = float(rng.normal(0.0, 0.06))
            if s != WALK:
                turn = float(rng.normal(0.0, 0.6))
            previous = s
        # random processes (Ornstein-Uhlenbeck): turn rate, sniffing, tail drift
        turn += -turn * dt / 0.8 + 1.6 * sqdt * float(rng.normal())
        sniff += -sniff * dt / 0.3 + 0.5 * sqdt * float(rng.normal())
        tail_drift += -tail_drift * dt / 1.5 + 0.3 * sqdt * float(rng.normal())

        # steer away from walls: look ahead along the heading
        look = 0.55 * L + 1.5
        ax, ay = x + look * math.cos(heading), y + look * math.sin(heading)
        outside = max(0.0, -ax, ax - width, -ay, ay - height)
        steer = 0.0
        if outside > 0:
            to_center = math.atan2(height / 2 - y, width / 2 - x)
            steer = 3.0 * _wrap(to_center - heading) * min(outside, 2.0)

        v_t = v_walk if s == WALK else 0.0
        bend_t = rest_bend
        yaw_t = 0.35 * sniff
        pitch_t = groom_t = lick_t = 0.0
        tuck_t = 0.5 * guard if s == REST else 0.0
        lift_t = 0.3 * guard if s == REST else 0.0
        if s == WALK:
            omega = turn + steer
            bend_t = float(np.clip(0.5 * omega / max(v, 1.0), -0.2, 0.2))
            heading += omega * dt * min(v / max(v_walk, 1e-6), 1.0)
        elif s == REAR:
            pitch_t = 0.9
        elif s == GROOM:
            groom_t = 1.0
            yaw_t = 0.25 * math.sin(2 * math.pi * 4.0 * t * dt)
        elif s == LICK:
            lick_t = 1.0
            bend_t = 0.24
            yaw_t = 0.8 + 0.12 * math.sin(2 * math.pi * 6.0 * t * dt)
        elif s == GUARD:
            tuck_t, lift_t = 1.0, 0.9
            if t > flinch_until and rng.random() < 0.6 * dt:
                flinch_until = t + round(0.3 * fps)
            if t <= flinch_until:
                lift_t += 0.5 * abs(math.sin(2 * math.pi * 8.0 * t * dt))
        else:  # resting: only slow turning in place
            heading += 0.15 * turn * dt
        if s != WALK:
            heading += steer * dt * 0.5

        v += (v_t - v) * alpha["speed"]
        bend += (bend_t - bend) * alpha["bend"]
        yaw += (yaw_t - yaw) * alpha["yaw"]
        pitch += (pitch_t - pitch) * alpha["pitch"]
        groom += (groom_t - groom) * alpha["reach"]
        lick += (lick_t - lick) * alpha["reach"]
        tuck += (tuck_t - tuck) * alpha["reach"]
        lh_lift += (lift_t - lh_lift) * alpha["lift"]

        x += v * math.cos(heading) * dt
        y += v * math.sin(heading) * dt
        reach_x = half * abs(math.cos(heading)) + 0.8
        reach_y = half * abs(math.sin(heading)) + 0.8
        x = min(max(x, reach_x), width - reach_x)
        y = min(max(y, reach_y), height - reach_y)

        # gait: diagonal pairs swing together; the affected (left hind) paw limps
        walk_amount = min(v / max(v_walk, 1e-6), 1.0)
        phase += 2 * math.pi * v / stride * dt
        ph = phase + _GAIT_PHASE
        amp = 0.5 * stride * walk_amount
        paw_shift[t] = amp * np.sin(ph)
        paw_lift[t] = 0.5 * walk_amount * np.maximum(np.cos(ph), 0.0)
        paw_shift[t, 2] *= 1.0 - 0.5 * asym
        paw_lift[t, 2] = 0.5 * walk_amount * (1 + asym) * max(math.cos(ph[2]) + 0.6 * asym, 0.0)
        paw_lift[t, 2] += lh_lift

        tail_wave[t, 0] = tail_drift + 0.2 * walk_amount * math.sin(0.5 * phase) - 0.4 * bend * L
        tail_wave[t, 1] = 0.8 * tail_drift + 0.25 * walk_amount * math.sin(0.5 * phase + 1.0)
        for key, value in (
            ("x", x),
            ("y", y),
            ("heading", heading),
            ("bend", bend),
            ("yaw", yaw),
            ("pitch", pitch),
            ("groom", groom),
            ("lick", lick),
            ("tuck", tuck),
        ):
            out[key][t] = value
    return PoseSeries(
        x=out["x"],
        y=out["y"],
        heading=out["heading"],
        bend=out["bend"],
        head_yaw=out["yaw"],
        pitch=out["pitch"],
        paw_shift=paw_shift,
        paw_lift=paw_lift,
        groom_reach=out["groom"],
        lick_reach=out["lick"],
        tuck=out["tuck"],
        tail_wave=tail_wave,
    )
