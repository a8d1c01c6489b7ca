"""Scores: accuracy / macro F1 / confusion, bootstrap CIs, chance levels, QWK (paper Table 5)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from painscope.evaluate.metrics import (
    bootstrap_ci,
    chance_levels,
    classification_metrics,
    qwk_table,
)
from painscope.labels import TIMEPOINTS


def test_pooled_and_per_fold_scores() -> None:
    y_true = [0, 0, 1, 1, 2, 2, 0, 1]
    y_pred = [0, 1, 1, 1, 2, 0, 0, 1]
    folds = [0, 0, 0, 0, 1, 1, 1, 1]
    m = classification_metrics(y_true, y_pred, ["a", "b", "c"], folds, n_boot=200)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["confusion"]["counts"] == [[2, 1, 0], [0, 3, 0], [1, 0, 1]]
    assert m["confusion"]["normalized"][2] == [0.5, 0.0, 0.5]
    assert m["per_class"]["b"]["recall"] == 1.0 and m["per_class"]["b"]["precision"] == 0.75
    assert m["per_fold"]["accuracy"] == [0.75, 0.75]
    assert m["per_fold"]["accuracy_sd"] == 0.0
    lo, hi = m["ci"]["accuracy"]
    assert lo <= m["accuracy"] <= hi
    assert m["chance"]["uniform_accuracy"] == pytest.approx(1 / 3)


def test_bootstrap_ci_narrows_with_more_videos() -> None:
    rng = np.random.default_rng(0)
    small_t = rng.integers(0, 2, 20)
    big_t = rng.integers(0, 2, 2000)
    flip = lambda y: np.where(rng.random(len(y)) < 0.3, 1 - y, y)  # noqa: E731
    small = bootstrap_ci(small_t, flip(small_t), 2, 300)["accuracy"]
    big = bootstrap_ci(big_t, flip(big_t), 2, 300)["accuracy"]
    assert small is not None and big is not None
    assert big[1] - big[0] < (small[1] - small[0]) / 3
    assert big[0] < 0.7 < big[1]


def test_chance_levels() -> None:
    c = chance_levels(np.array([0, 0, 0, 1]), 2)
    assert c["majority_accuracy"] == 0.75
    assert c["prior_accuracy"] == pytest.approx(0.75**2 + 0.25**2)
    assert c["majority_macro_f1"] == pytest.approx((2 * 0.75 / 1.75) / 2)


def test_qwk_matches_the_definition() -> None:
    conditions = ["SNI"] * 6 + ["formalin"] * 3
    true = [
        "D0",
        "SNI D3",
        "SNI D7",
        "SNI D14",
        "SNI D21",
        "SNI D7",
        "D0",
        "formalin 1min",
        "formalin D5",
    ]
    pred = [
        "D0",
        "SNI D7",
        "SNI D7",
        "SNI D21",
        "SNI D14",
        "formalin D3",
        "formalin 2h",
        "formalin 1min",
        "D0",
    ]
    table = qwk_table(conditions, true, pred)
    order = {t: i for i, t in enumerate(TIMEPOINTS)}
    tp = lambda label: order[label.rpartition(" ")[2] if label != "D0" else "D0"]  # noqa: E731
    sni = [i for i, c in enumerate(conditions) if c == "SNI"]
    expected = cohen_kappa_score(
        [tp(true[i]) for i in sni],
        [tp(pred[i]) for i in sni],
        labels=list(range(8)),
        weights="quadratic",
    )
    assert table["SNI"]["overall"]["qwk"] == pytest.approx(expected)
    # D7-D21 window: SNI videos with true D7, D14, D21
    assert table["SNI"]["D7-D21"]["n"] == 4
    assert table["SNI"]["D0-D3"]["n"] == 2
    # the prediction of another condition (formalin D3 for SNI D7) is scored by its day
    assert table["all"]["overall"]["n"] == 9
    assert set(table) == {"SNI", "formalin", "all"}


def test_qwk_perfect_and_undefined() -> None:
    labels = ["D0", "SNI D3", "SNI D7", "SNI D21"]
    assert qwk_table(["SNI"] * 4, labels, labels)["SNI"]["overall"]["qwk"] == pytest.approx(1.0)
    one = qwk_table(["SNI"], ["SNI D3"], ["SNI D3"])
    assert one["SNI"]["overall"]["qwk"] is None
