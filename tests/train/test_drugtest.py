"""Drug-test statistics: Wilson intervals, chi-square and Fisher tests between groups."""

from __future__ import annotations

import pytest

from painscope.evaluate.drugtest import drugtest_stats, holm, wilson_ci


def test_wilson_interval_known_values() -> None:
    lo, hi = wilson_ci(5, 10)
    assert lo == pytest.approx(0.2366, abs=1e-4) and hi == pytest.approx(0.7634, abs=1e-4)
    lo, hi = wilson_ci(0, 8)
    assert lo == 0.0 and hi == pytest.approx(0.3244, abs=1e-4)


def test_different_groups_are_detected_and_equal_groups_are_not() -> None:
    classes = ["no pain", "neuropathic"]
    groups = ["GBA"] * 13 + ["saline"] * 12
    pred = ["no pain"] * 11 + ["neuropathic"] * 2 + ["no pain"] * 2 + ["neuropathic"] * 10
    rows, stats = drugtest_stats(groups, pred, classes)
    share = {(r["group"], r["class"]): r for r in rows}
    assert share[("GBA", "no pain")]["share"] == pytest.approx(11 / 13)
    assert share[("GBA", "no pain")]["ci_low"] < 11 / 13 < share[("GBA", "no pain")]["ci_high"]
    assert stats["chi2"]["p"] < 0.01
    fisher = {r["class"]: r for r in stats["fisher"]}
    assert fisher["no pain"]["p"] < 0.01 and fisher["no pain"]["p_holm"] >= fisher["no pain"]["p"]

    same = ["no pain", "neuropathic"] * 6 + ["no pain", "neuropathic"] * 6
    _, stats_same = drugtest_stats(["A"] * 12 + ["B"] * 12, same, classes)
    assert stats_same["chi2"]["p"] > 0.5


def test_holm_adjustment() -> None:
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
