"""The logistic-regression baseline of ``painscope cv``: what a careful analyst would fit.

Every video's sequence (n_windows, D) becomes one row of session statistics, then an
L2 logistic regression whose strength (and class weighting) is chosen by an inner
cross-validation on the training videos only — test videos never influence a choice.

Session statistics depend on what the rows are:

- **compositional** rows (non-negative, each summing to 1 — behaviour fractions, motif
  histograms): the session's mean fraction of every feature in centred log-ratio form,
  ``clr(p)_j = log(p_j + ε) − mean_k log(p_k + ε)``, plus the sd over windows of
  ``sqrt(fraction)`` (variance-stabilised burstiness). ε is half the smallest non-zero
  session mean of the training videos, so a never-seen behaviour is a finite, small value;
- **counts** (non-negative integers): the same after dividing every row by its total;
- anything else (token features): the mean and the sd over windows of every feature.

The statistics are z-scored with the training videos' mean and sd before the
regression.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

#: inverse regularisation strengths scanned by the inner cross-validation
C_GRID = tuple(float(c) for c in np.logspace(-3, 2, 11))


def row_kind(seqs: Sequence[np.ndarray]) -> str:
    """``compositional``, ``counts`` or ``general`` for a set of (n, D) sequences."""
    nonneg = all(float(np.min(s)) >= 0 for s in seqs)
    if not nonneg:
        return "general"
    sums = np.concatenate([np.asarray(s, dtype=np.float64).sum(1) for s in seqs])
    if np.allclose(sums, 1.0, atol=1e-3):
        return "compositional"
    if all(np.allclose(s, np.round(s)) for s in seqs) and float(sums.min()) > 0:
        return "counts"
    return "general"


def _fractions(seq: np.ndarray, kind: str) -> np.ndarray:
    s = np.asarray(seq, dtype=np.float64)
    if kind == "counts":
        s = s / np.maximum(s.sum(1, keepdims=True), 1e-12)
    return s  # (n, D), rows sum to 1


def session_stats(seqs: Sequence[np.ndarray], kind: str, eps: float) -> np.ndarray:
    """Per-video statistics (n_videos, 2·D) as described in the module docstring."""
    rows = []
    for seq in seqs:
        if kind == "general":
            s = np.asarray(seq, dtype=np.float64)
            rows.append(np.concatenate([s.mean(0), s.std(0)]))
            continue
        f = _fractions(seq, kind)  # (n, D)
        log_p = np.log(f.mean(0) + eps)  # (D,)
        rows.append(np.concatenate([log_p - log_p.mean(), np.sqrt(f).std(0)]))
    return np.stack(rows)


def _epsilon(seqs: Sequence[np.ndarray], kind: str) -> float:
    if kind == "general":
        return 0.0
    means = np.concatenate([_fractions(s, kind).mean(0) for s in seqs])
    positive = means[means > 0]
    return float(positive.min() / 2) if positive.size else 1e-6


def logreg_baseline(
    train_seqs: Sequence[np.ndarray],
    train_y: np.ndarray,
    test_seqs: Sequence[np.ndarray],
    n_classes: int,
    seed: int,
) -> np.ndarray:
    """Session statistics → z-score → L2 logistic regression tuned by inner CV.

    Parameters
    ----------
    train_seqs, test_seqs : per-video sequences of shape (n_windows, D)
    train_y : (n_train,) int class indices in [0, n_classes)
    seed : seeds the inner folds and the solver

    Returns
    -------
    probs : array (n_test, n_classes); classes absent from training get probability 0.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV, KFold, StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    y = np.asarray(train_y, dtype=np.int64)
    kind = row_kind(train_seqs)
    eps = _epsilon(train_seqs, kind)
    x_train = session_stats(train_seqs, kind, eps)  # (n_train, F)
    x_test = session_stats(test_seqs, kind, eps)  # (n_test, F)
    probs = np.zeros((len(test_seqs), n_classes))
    present = np.unique(y)
    if present.size == 1:
        probs[:, present[0]] = 1.0
        return probs
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, random_state=seed))
    counts = np.bincount(y)
    smallest = int(counts[counts > 0].min())
    if smallest >= 2:
        inner = StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=seed)
    else:
        inner = KFold(n_splits=min(5, len(y)), shuffle=True, random_state=seed)  # type: ignore[assignment]
    grid = {
        "logisticregression__C": list(C_GRID),
        "logisticregression__class_weight": [None, "balanced"],
    }
    search = GridSearchCV(model, grid, cv=inner, scoring="neg_log_loss", error_score=np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            search.fit(x_train, y)
            fitted = search.best_estimator_
        except ValueError:  # inner folds missing a class everywhere: fall back to C = 1
            fitted = model.fit(x_train, y)
    classes = fitted.classes_
    probs[:, classes] = fitted.predict_proba(x_test)
    return probs
