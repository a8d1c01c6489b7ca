"""Zero-shot drug test statistics (paper Table 4, Fig. 12).

Trained models are applied, without retraining, to videos of treated groups (the
manifest's ``group`` column, e.g. SNI+GBA vs SNI+saline). Per group: the share of
videos predicted as each class, with a 95 % Wilson score interval (good for small
groups and shares near 0 or 1). Between groups: a chi-square test of independence on
the groups × predicted-class table (``scipy.stats.chi2_contingency``), and for each
class and each pair of groups Fisher's exact test on the 2 × 2 table
(predicted as the class vs not) — the test to read when groups hold ~10 mice.
p values of the pairwise tests are given raw and Holm-adjusted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from painscope.evaluate.records import SCHEMA_VERSION, JsonObject


def wilson_ci(k: int, n: int, z: float = 1.959964) -> tuple[float, float]:
    """Wilson score 95 % interval of a proportion k / n."""
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    denom = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm–Bonferroni adjusted p values (same order as given)."""
    m = len(pvalues)
    order = np.argsort(pvalues)
    adjusted = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted.tolist()


def drugtest_stats(
    groups: Sequence[str], predicted: Sequence[str], classes: Sequence[str]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Shares per group with CIs (rows for drugtest.csv) and the between-group tests."""
    from scipy.stats import chi2_contingency, fisher_exact

    names = sorted(set(groups))
    g_arr, p_arr = np.asarray(groups), np.asarray(predicted)
    counts = np.array([[int(((g_arr == g) & (p_arr == c)).sum()) for c in classes] for g in names])
    rows: list[dict[str, Any]] = []
    for gi, g in enumerate(names):
        n = int(counts[gi].sum())
        for ci, c in enumerate(classes):
            lo, hi = wilson_ci(int(counts[gi, ci]), n)
            rows.append(
                {
                    "group": g,
                    "class": c,
                    "n_videos": n,
                    "n_predicted": int(counts[gi, ci]),
                    "share": counts[gi, ci] / n if n else math.nan,
                    "ci_low": lo,
                    "ci_high": hi,
                }
            )
    stats: dict[str, Any] = {"groups": names, "classes": list(classes), "counts": counts.tolist()}
    used = counts[:, counts.sum(0) > 0]
    if len(names) >= 2 and used.shape[1] >= 2:
        chi2, p, dof, _ = chi2_contingency(used)
        stats["chi2"] = {"statistic": float(chi2), "p": float(p), "dof": int(dof)}
    else:
        stats["chi2"] = None
    pairwise = []
    for (a, ga), (b, gb) in itertools.combinations(enumerate(names), 2):
        for ci, c in enumerate(classes):
            na, nb = counts[a].sum(), counts[b].sum()
            table = [[counts[a, ci], na - counts[a, ci]], [counts[b, ci], nb - counts[b, ci]]]
            odds, p = fisher_exact(table)
            pairwise.append(
                {
                    "group_a": ga,
                    "group_b": gb,
                    "class": c,
                    "share_a": counts[a, ci] / na if na else math.nan,
                    "share_b": counts[b, ci] / nb if nb else math.nan,
                    "odds_ratio": float(odds),
                    "p": float(p),
                }
            )
    for row, adj in zip(pairwise, holm([float(r["p"]) for r in pairwise]), strict=True):
        row["p_holm"] = adj
    stats["fisher"] = pairwise
    return rows, stats


# ---------------------------------------------------------------- typed record (metrics.json)


@dataclass(frozen=True)
class GroupShare:
    """Share of one group's videos predicted as one class, with its Wilson 95 % CI."""

    group: str
    cls: str  # "class" in JSON
    n_videos: int
    n_predicted: int
    share: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass(frozen=True)
class Chi2:
    statistic: float | None
    p: float | None
    dof: int


@dataclass(frozen=True)
class FisherTest:
    """Fisher's exact test of one class between two groups (p raw and Holm-adjusted)."""

    group_a: str
    group_b: str
    cls: str  # "class" in JSON
    share_a: float | None
    share_b: float | None
    odds_ratio: float | None
    p: float | None
    p_holm: float | None


@dataclass(frozen=True)
class DrugTest:
    """The drug test of one method and scheme: ``counts`` is (n_groups, n_classes)."""

    groups: tuple[str, ...]
    classes: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    chi2: Chi2 | None
    fisher: tuple[FisherTest, ...]
    shares: tuple[GroupShare, ...]

    @classmethod
    def from_stats(cls, shares: Sequence[dict[str, Any]], stats: dict[str, Any]) -> DrugTest:
        """From :func:`drugtest_stats`'s two results."""
        return cls.from_json({"drugtest": {**stats, "shares": list(shares)}}, "drugtest")

    def to_json(self) -> dict[str, Any]:
        def rec(obj: Any) -> dict[str, Any]:
            return {("class" if k == "cls" else k): v for k, v in vars(obj).items()}

        return {
            "drugtest": {
                "groups": list(self.groups),
                "classes": list(self.classes),
                "counts": [list(r) for r in self.counts],
                "chi2": vars(self.chi2).copy() if self.chi2 else None,
                "fisher": [rec(f) for f in self.fisher],
                "shares": [rec(s) for s in self.shares],
            }
        }

    @classmethod
    def from_json(cls, value: object, where: str, version: int = SCHEMA_VERSION) -> DrugTest:
        o = JsonObject(value, where, version).obj("drugtest")
        chi2 = None
        if o.has("chi2"):
            c = o.obj("chi2")
            chi2 = Chi2(c.num("statistic"), c.num("p"), c.int("dof"))
        fisher = tuple(
            FisherTest(
                str(f.raw("group_a")), str(f.raw("group_b")), str(f.raw("class")),
                f.num("share_a"), f.num("share_b"), f.num("odds_ratio"), f.num("p"),
                f.num("p_holm"),
            )
            for f in (JsonObject(x, f"{where}.fisher", version) for x in o.list("fisher"))
        )  # fmt: skip
        shares = tuple(
            GroupShare(
                str(r.raw("group")), str(r.raw("class")), r.int("n_videos"), r.int("n_predicted"),
                r.num("share"), r.num("ci_low"), r.num("ci_high"),
            )
            for r in (JsonObject(x, f"{where}.shares", version) for x in o.list("shares"))
        )  # fmt: skip
        return cls(
            groups=tuple(str(g) for g in o.list("groups")),
            classes=tuple(str(c) for c in o.list("classes")),
            counts=tuple(tuple(int(x) for x in r) for r in o.list("counts")),
            chi2=chi2,
            fisher=fisher,
            shares=shares,
        )
