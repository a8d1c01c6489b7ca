"""Scores of a cross-validated classifier, with the uncertainty a lab needs to trust them.

- accuracy (micro), macro F1, per-class precision / recall / F1, confusion matrix
  (counts and row-normalised): pooled over all test folds, and per fold (mean ± sd);
- bootstrap 95 % CIs: videos resampled with replacement (percentile intervals);
- chance levels beside every score: uniform guessing (1/K), always predicting the
  majority class (accuracy and macro F1), and the accuracy / macro F1 expected when
  predictions are shuffled (label-prior matching);
- QWK (paper Table 5), see :func:`qwk_table` and docs/classifier.md.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from painscope.labels import TIMEPOINTS

QWK_WINDOWS = {
    "D0-D3": ("D0", "1min", "2h", "D3"),
    "D3-D7": ("D3", "D5", "D7"),
    "D7-D21": ("D7", "D14", "D21"),
    "overall": TIMEPOINTS,
}


def _nan_to_none(x: float) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)


def accuracy_f1(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> tuple[float, float]:
    from sklearn.metrics import accuracy_score, f1_score

    labels = list(range(n_classes))
    present = sorted(set(y_true.tolist()))
    # macro F1 over the classes present in y_true (absent classes would score 0 or be undefined)
    f1 = f1_score(y_true, y_pred, labels=present or labels, average="macro", zero_division=0)
    return float(accuracy_score(y_true, y_pred)), float(f1)


def bootstrap_ci(
    y_true: np.ndarray, y_pred: np.ndarray, n_classes: int, n_boot: int = 1000, seed: int = 0
) -> dict[str, list[float] | None]:
    """Percentile 95 % CIs of accuracy and macro F1, resampling videos."""
    if n_boot == 0 or len(y_true) == 0:
        return {"accuracy": None, "macro_f1": None}
    rng = np.random.default_rng(seed)
    acc, f1 = np.empty(n_boot), np.empty(n_boot)
    n = len(y_true)
    for b in range(n_boot):
        i = rng.integers(0, n, n)
        acc[b], f1[b] = accuracy_f1(y_true[i], y_pred[i], n_classes)
    return {
        "accuracy": [float(np.percentile(acc, 2.5)), float(np.percentile(acc, 97.5))],
        "macro_f1": [float(np.percentile(f1, 2.5)), float(np.percentile(f1, 97.5))],
    }


def chance_levels(y_true: np.ndarray, n_classes: int) -> dict[str, float]:
    """Scores of classifiers that ignore the video."""
    counts = np.bincount(y_true, minlength=n_classes).astype(float)
    share = counts / max(counts.sum(), 1)
    present = int((counts > 0).sum())
    majority = int(np.argmax(counts))
    _, majority_f1 = accuracy_f1(y_true, np.full_like(y_true, majority), n_classes)
    return {
        "uniform_accuracy": 1.0 / n_classes,
        "majority_accuracy": float(share.max()),
        "majority_macro_f1": majority_f1,
        "prior_accuracy": float((share**2).sum()),
        "uniform_macro_f1": 1.0
        / max(present, 1)
        * float(sum(2 * s * (1 / n_classes) / (s + 1 / n_classes) for s in share if s > 0)),
    }


def classification_metrics(
    y_true: Sequence[int],
    y_pred: Sequence[int],
    classes: Sequence[str],
    folds: Sequence[int] | None = None,
    *,
    n_boot: int = 1000,
    seed: int = 0,
) -> dict[str, Any]:
    """All scores of one method under one scheme (the ``metrics.json`` entry)."""
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    yt, yp = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    k = len(classes)
    acc, f1 = accuracy_f1(yt, yp, k)
    cm = confusion_matrix(yt, yp, labels=list(range(k)))
    with np.errstate(invalid="ignore", divide="ignore"):
        cm_norm = np.where(cm.sum(1, keepdims=True) > 0, cm / cm.sum(1, keepdims=True), 0.0)
    p, r, f, s = precision_recall_fscore_support(yt, yp, labels=list(range(k)), zero_division=0)
    out: dict[str, Any] = {
        "n_videos": len(yt),
        "accuracy": acc,
        "macro_f1": f1,
        "ci": bootstrap_ci(yt, yp, k, n_boot, seed),
        "classes": list(classes),
        "confusion": {"counts": cm.tolist(), "normalized": cm_norm.tolist()},
        "per_class": {
            c: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
            }
            for i, c in enumerate(classes)
        },
        "chance": chance_levels(yt, k),
    }
    if folds is not None:
        fa = np.asarray(folds)
        per = {"fold": [], "accuracy": [], "macro_f1": [], "n_videos": []}  # type: dict[str, list[Any]]
        for fold in sorted(set(fa.tolist())):
            m = fa == fold
            a, f1_fold = accuracy_f1(yt[m], yp[m], k)
            per["fold"].append(int(fold))
            per["accuracy"].append(a)
            per["macro_f1"].append(f1_fold)
            per["n_videos"].append(int(m.sum()))
        for key in ("accuracy", "macro_f1"):
            vals = np.asarray(per[key])
            per[f"{key}_mean"] = float(vals.mean())  # type: ignore[assignment]
            per[f"{key}_sd"] = float(vals.std(ddof=1)) if len(vals) > 1 else 0.0  # type: ignore[assignment]
        out["per_fold"] = per
    return out


def _label_timepoint(label: str) -> tuple[str, str]:
    """(condition, timepoint) of a 15-class label; D0 has no condition."""
    if label == "D0":
        return "", "D0"
    condition, _, timepoint = label.rpartition(" ")
    return condition, timepoint


def qwk(true_idx: Sequence[int], pred_idx: Sequence[int]) -> float | None:
    """Cohen's kappa with quadratic weights over the full ordinal timepoint scale."""
    from sklearn.metrics import cohen_kappa_score

    if len(true_idx) < 2:
        return None
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore")  # undefined kappa (one class) → None below
        value = cohen_kappa_score(
            true_idx, pred_idx, labels=list(range(len(TIMEPOINTS))), weights="quadratic"
        )
    return _nan_to_none(float(value))


def qwk_table(
    conditions: Sequence[str], true_labels: Sequence[str], pred_labels: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """QWK per condition and time window (paper Table 5), from 15-class labels.

    A video belongs to the condition in its manifest row (D0 videos too: D0 is the
    baseline of that mouse's condition). True and predicted labels map to their
    timepoint's ordinal index (D0 < 1min < 2h < D3 < D5 < D7 < D14 < D21); a predicted
    label of *another* condition is scored by its timepoint all the same (kappa here
    measures agreement on days since induction). Windows select videos by their true
    timepoint (boundaries belong to both neighbouring windows, as in the paper).
    Returns ``{condition | "all": {window: {"qwk": float | None, "n": int}}}``;
    None where kappa is undefined (fewer than 2 videos or one class only).
    """
    order = {t: i for i, t in enumerate(TIMEPOINTS)}
    rows = []
    for cond, t_label, p_label in zip(conditions, true_labels, pred_labels, strict=True):
        _, t_true = _label_timepoint(t_label)
        _, t_pred = _label_timepoint(p_label)
        rows.append((cond, t_true, order[t_true], order[t_pred]))
    out: dict[str, dict[str, Any]] = {}
    names = [*sorted({r[0] for r in rows if r[0] and r[0] != "baseline"}), "all"]
    for name in names:
        sel = [r for r in rows if name == "all" or r[0] == name]
        out[name] = {}
        for window, tps in QWK_WINDOWS.items():
            w = [r for r in sel if r[1] in tps]
            out[name][window] = {"qwk": qwk([r[2] for r in w], [r[3] for r in w]), "n": len(w)}
    return out
