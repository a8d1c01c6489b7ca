"""The simulated cohort's plan: presets (which conditions, timepoints and treated groups, how
many mice) and the list of videos they make. Pure data: nothing is rendered here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from painscope.errors import PainscopeError

GROUPS = ("", "saline", "GBA")


@dataclass(frozen=True)
class Cohort:
    """Mice that share a condition; ``timepoints`` lists (timepoint, number of them filmed).

    The first ``k`` mice of the cohort are filmed at a timepoint listed with ``k``, as in a
    longitudinal study where later days have fewer animals. ``group`` marks a treated
    cohort (drug test: filmed only at its timepoints, after the treatment).
    """

    condition: str
    n_mice: int
    timepoints: tuple[tuple[str, int], ...]
    group: str = ""


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    cohorts: tuple[Cohort, ...]
    minutes: float


def _all(n: int, *timepoints: str) -> tuple[tuple[str, int], ...]:
    return tuple((tp, n) for tp in timepoints)


PRESETS: dict[str, Preset] = {
    "paper": Preset(
        "paper",
        "the paper's Table 2 class sizes (615 videos of 147 mice) + its drug test (35 videos)",
        (
            Cohort(
                "formalin", 56, (*_all(56, "D0", "1min", "2h"), *_all(28, "D3", "D5", "D7", "D14"))
            ),
            Cohort("SNI", 60, (*_all(60, "D0", "D3"), *_all(31, "D7", "D14", "D21"))),
            Cohort("control", 31, (*_all(31, "D0"), *_all(30, "D3", "D7", "D14"), ("D21", 18))),
            Cohort("SNI", 13, (("D7", 13),), group="GBA"),
            Cohort("formalin", 10, (("D3", 10),), group="GBA"),
            Cohort("SNI", 4, (("D7", 4),), group="saline"),
            Cohort("formalin", 4, (("D3", 4),), group="saline"),
        ),
        5.0,
    ),
    "demo": Preset(
        "demo",
        "12 mice x 5 days (60 videos: 28 no pain, 16 inflammatory, 16 neuropathic) "
        "+ 8 treated videos",
        (
            Cohort("formalin", 4, _all(4, "D0", "1min", "2h", "D3", "D7")),
            Cohort("SNI", 4, _all(4, "D0", "D3", "D7", "D14", "D21")),
            Cohort("control", 4, _all(4, "D0", "D3", "D7", "D14", "D21")),
            Cohort("SNI", 2, (("D7", 2),), group="GBA"),
            Cohort("SNI", 2, (("D7", 2),), group="saline"),
            Cohort("formalin", 2, (("D3", 2),), group="GBA"),
            Cohort("formalin", 2, (("D3", 2),), group="saline"),
        ),
        0.5,
    ),
}


@dataclass(frozen=True)
class VideoSpec:
    """One video to simulate."""

    stem: str
    mouse_id: str
    mouse_index: int
    condition: str
    timepoint: str
    group: str = ""


def scale_cohorts(cohorts: tuple[Cohort, ...], n_mice: int) -> tuple[Cohort, ...]:
    """Resize a preset to ``n_mice`` untreated mice (treated cohorts scale alike, at least 1).

    Untreated mice are shared out by largest remainder, so their total is exactly ``n_mice``;
    each timepoint keeps its share of the cohort (at least one mouse).
    """
    if n_mice < 1:
        raise PainscopeError(f"--mice must be at least 1, got {n_mice}")
    untreated = [c for c in cohorts if not c.group]
    total = sum(c.n_mice for c in untreated)
    quotas = [c.n_mice * n_mice / total for c in untreated]
    sizes = [math.floor(q) for q in quotas]
    order = sorted(range(len(quotas)), key=lambda i: sizes[i] - quotas[i])
    for i in order[: n_mice - sum(sizes)]:
        sizes[i] += 1
    size_of = {id(c): s for c, s in zip(untreated, sizes, strict=True)}
    out = []
    for c in cohorts:
        n = size_of[id(c)] if not c.group else max(1, round(c.n_mice * n_mice / total))
        if n == 0:
            continue
        tps = tuple((tp, max(1, min(n, round(k * n / c.n_mice)))) for tp, k in c.timepoints)
        out.append(replace(c, n_mice=n, timepoints=tps))
    return tuple(out)


def plan_videos(cohorts: tuple[Cohort, ...]) -> list[VideoSpec]:
    """Every video of a design, mouse by mouse (ids m001, m002, ...)."""
    specs = []
    index = 0
    for cohort in cohorts:
        for k in range(cohort.n_mice):
            index += 1
            mouse_id = f"m{index:03d}"
            for tp, n_filmed in cohort.timepoints:
                if k >= n_filmed:
                    continue
                parts = [mouse_id, cohort.condition, tp]
                if cohort.group:
                    parts.append(cohort.group)
                specs.append(
                    VideoSpec(
                        stem="_".join(parts).lower(),
                        mouse_id=mouse_id,
                        mouse_index=index,
                        condition=cohort.condition,
                        timepoint=tp,
                        group=cohort.group,
                    )
                )
    return specs
