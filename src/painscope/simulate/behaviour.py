"""The behaviour state machine and how pain condition and day drive it.

A video's behaviour is a semi-Markov chain over :data:`STATES`: a bout of one
state lasts a gamma-distributed number of frames, then the next state is drawn
(never the same one) with probability proportional to ``share / mean_bout``,
so that over a long video each state takes roughly its ``share`` of the time.

Pain enters only through four levels (:class:`PainLevels`), looked up from
:data:`TIME_COURSES` for the video's condition and timepoint, then scaled by
the ``effect`` knob, the treatment and the mouse's sensitivity. With
``effect = 0`` every level is zero for every label, so behaviour does not depend
on the label at all (null data).

Notes
-----
The time courses follow the pain models' known progressions:

* formalin (hind-paw injection): acute licking and flinching at 1 min (phase I),
  still marked at 2 h, then fading over D3-D14;
* SNI (spared nerve injury of the left hind limb): guarding of the left hind paw
  and an asymmetric gait from D3, persistent through D21 with a slow decline;
* control (sham surgery): mild guarding and reduced activity on D3, normal later;
* D0 (before any procedure): normal for every condition.

Gabapentin (``GBA``) scales the levels down (partial rescue, stronger for SNI than
formalin, as in the paper's drug test); saline leaves them unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STATES = ("walking", "rearing", "grooming", "resting", "licking", "guarding")
STATE_INDEX = {s: i for i, s in enumerate(STATES)}
# Frames of walking with a gait asymmetry above this are labelled "asymmetric_gait".
ASYMMETRY_LABEL_THRESHOLD = 0.25
LABELS = (*STATES, "asymmetric_gait")


@dataclass(frozen=True)
class PainLevels:
    """How strongly pain shows, each 0 (none) to about 1 (strong).

    lick : licking of the affected (left hind) paw.
    guard : lifting and guarding the affected paw.
    asym : gait asymmetry (shorter stance of the affected paw while walking).
    hypo : reduced activity (less walking and rearing, more resting).
    """

    lick: float = 0.0
    guard: float = 0.0
    asym: float = 0.0
    hypo: float = 0.0

    def scaled(self, factor: float) -> PainLevels:
        def clip(v: float) -> float:
            return float(np.clip(v * factor, 0.0, 1.5))

        return PainLevels(clip(self.lick), clip(self.guard), clip(self.asym), clip(self.hypo))


NO_PAIN = PainLevels()

# (condition, timepoint) -> pain levels at effect 1 for an average mouse.
TIME_COURSES: dict[tuple[str, str], PainLevels] = {
    ("formalin", "1min"): PainLevels(lick=1.0, guard=0.6, asym=0.3, hypo=0.0),
    ("formalin", "2h"): PainLevels(lick=0.55, guard=0.5, asym=0.3, hypo=0.3),
    ("formalin", "D3"): PainLevels(lick=0.25, guard=0.35, asym=0.3, hypo=0.2),
    ("formalin", "D5"): PainLevels(lick=0.15, guard=0.25, asym=0.2, hypo=0.1),
    ("formalin", "D7"): PainLevels(lick=0.08, guard=0.15, asym=0.1, hypo=0.05),
    ("formalin", "D14"): PainLevels(lick=0.03, guard=0.05, asym=0.05, hypo=0.0),
    ("SNI", "D3"): PainLevels(lick=0.1, guard=0.8, asym=0.8, hypo=0.4),
    ("SNI", "D7"): PainLevels(lick=0.1, guard=0.9, asym=0.9, hypo=0.25),
    ("SNI", "D14"): PainLevels(lick=0.08, guard=0.8, asym=0.8, hypo=0.15),
    ("SNI", "D21"): PainLevels(lick=0.06, guard=0.7, asym=0.7, hypo=0.1),
    ("control", "D3"): PainLevels(lick=0.0, guard=0.1, asym=0.05, hypo=0.45),
    ("control", "D7"): PainLevels(lick=0.0, guard=0.02, asym=0.0, hypo=0.05),
}

# Treatment group -> (condition -> factor on the pain levels).
TREATMENTS: dict[str, dict[str, float]] = {
    "": {},
    "saline": {},
    "GBA": {"SNI": 0.3, "formalin": 0.45, "control": 1.0},
}


def pain_levels(
    condition: str,
    timepoint: str,
    *,
    group: str = "",
    effect: float = 1.0,
    sensitivity: float = 1.0,
) -> PainLevels:
    """Pain levels of one video: time course x effect x treatment x mouse sensitivity.

    Unknown (condition, timepoint) pairs, D0 and control from D14 on have no pain.
    """
    if effect < 0:
        raise ValueError(f"effect must be >= 0, got {effect}")
    if group not in TREATMENTS:
        raise ValueError(f"unknown treatment group {group!r}; use one of {sorted(TREATMENTS)}")
    base = TIME_COURSES.get((condition, timepoint), NO_PAIN)
    drug = TREATMENTS[group].get(condition, 1.0)
    return base.scaled(effect * drug * sensitivity)


def state_shares(levels: PainLevels, *, activity: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Target time shares and mean bout lengths (s) of each state, in :data:`STATES` order."""
    lv = levels
    share = np.array(
        [
            0.33 * activity * (1 - 0.5 * min(lv.hypo, 1.0)) * (1 - 0.3 * min(lv.lick, 1.0)),
            0.12 * activity * (1 - 0.6 * min(lv.hypo, 1.0)) * (1 - 0.5 * min(lv.guard, 1.0)),
            0.15,
            0.30 * (1 + 0.8 * lv.hypo),
            0.02 + 0.35 * lv.lick,
            0.02 + 0.22 * lv.guard,
        ]
    )
    bout_s = np.array([2.0, 1.5, 4.0, 5.0, 2.0 * (1 + lv.lick), 1.5 * (1 + lv.guard)])
    return share / share.sum(), bout_s


def sample_states(
    n_frames: int,
    fps: float,
    levels: PainLevels,
    rng: np.random.Generator,
    *,
    activity: float = 1.0,
) -> np.ndarray:
    """Draw the behaviour of every frame.

    Returns
    -------
    states : int8 array of shape (n_frames,), indices into :data:`STATES`.
    """
    share, bout_s = state_shares(levels, activity=activity)
    rate = share / bout_s
    states = np.empty(n_frames, dtype=np.int8)
    current = int(rng.choice(len(STATES), p=share))
    t = 0
    while t < n_frames:
        n = max(1, round(rng.gamma(2.0, bout_s[current] / 2.0) * fps))
        states[t : t + n] = current
        t += n
        p = rate.copy()
        p[current] = 0.0
        current = int(rng.choice(len(STATES), p=p / p.sum()))
    return states


def frame_labels(states: np.ndarray, asymmetry: float) -> list[str]:
    """Per-frame behaviour names; walking with a marked asymmetry is ``asymmetric_gait``."""
    walking = "asymmetric_gait" if asymmetry > ASYMMETRY_LABEL_THRESHOLD else "walking"
    names = [walking if s == 0 else STATES[s] for s in range(len(STATES))]
    return [names[s] for s in states]
