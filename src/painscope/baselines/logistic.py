"""The logistic-regression baseline of ``painscope cv``: what a careful analyst would fit.

Every video's sequence (n_windows, D) becomes one row of session statistics, then an
L2 logistic regression whose strength (and class weighting) is chosen by an inner
cross-validation on the training videos only — test videos never influence a choice.

Candidate session statistics depend on what the rows are:

- **compositional** rows (non-negative, each summing to 1 — behaviour fractions, motif
  histograms): ``clr`` = the session's mean share of every feature in centred log-ratio
  form, ``clr(p)_j = log(p_j + ε) − mean_k log(p_k + ε)``; ``clr+sd`` adds the sd over
  windows of ``sqrt(value)`` (variance-stabilised burstiness);
- **non-negative** rows that are not shares (event counts, durations): the same on the
  row-normalised shares, plus ``logmean`` = log(mean + ε) of the raw values (how much
  happens, not only its mix) and ``logmean+sd``;
- anything else (token features): ``mean`` and ``mean+sd`` over windows.

ε is half the smallest non-zero value of the training videos, so a behaviour never seen
in a session is a finite, small value. Each candidate is z-scored with the training
videos' mean and sd; the inner CV (log loss) picks the candidate, C and the class
weighting together.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

#: inverse regularisation strengths scanned by the inner cross-validation
C_GRID = tuple(float(c) for c in np.logspace(-3, 2, 6))


def row_kind(seqs: Sequence[np.ndarray]) -> str:
    """``compositional``, ``nonnegative`` or ``general`` for a set of (n, D) sequences."""
    if not all(float(np.min(s)) >= 0 for s in seqs):
        return "general"
    sums = np.concatenate([np.asarray(s, dtype=np.float64).sum(1) for s in seqs])
    return "compositional" if np.allclose(sums, 1.0, atol=1e-3) else "nonnegative"


def _epsilon(means: np.ndarray) -> float:
    positive = means[means > 0]
    return float(positive.min() / 2) if positive.size else 1e-6


def candidate_stats(
    seqs: Sequence[np.ndarray], kind: str, eps: tuple[float, float]
) -> dict[str, np.ndarray]:
    """The session statistics the inner CV chooses from, each (n_videos, F).

    ``eps`` = (for log means, for log shares): half the smallest non-zero training value.
    """
    out: dict[str, list[np.ndarray]] = {}

    def add(name: str, value: np.ndarray) -> None:
        out.setdefault(name, []).append(value)

    for seq in seqs:
        s = np.asarray(seq, dtype=np.float64)  # (n, D)
        if kind == "general":
            add("mean", s.mean(0))
            add("mean+sd", np.concatenate([s.mean(0), s.std(0)]))
            continue
        spread = np.sqrt(s).std(0)  # (D,) variance-stabilised burstiness
        totals = s.sum(1, keepdims=True)
        shares = (s / np.where(totals > 0, totals, 1.0))[totals[:, 0] > 0]
        share = shares.mean(0) if len(shares) else np.full(s.shape[1], 1.0 / s.shape[1])
        log_share = np.log(share + eps[1])
        clr = log_share - log_share.mean()
        add("clr", clr)
        add("clr+sd", np.concatenate([clr, spread]))
        if kind == "nonnegative":
            log_mean = np.log(s.mean(0) + eps[0])
            add("logmean", log_mean)
            add("logmean+sd", np.concatenate([log_mean, spread]))
    return {k: np.stack(v) for k, v in out.items()}


def session_stats(seqs: Sequence[np.ndarray], kind: str, eps: float) -> np.ndarray:
    """The default statistics (clr + sd, or mean + sd for general rows), (n_videos, 2·D)."""
    return candidate_stats(seqs, kind, (eps, eps))["mean+sd" if kind == "general" else "clr+sd"]


def _epsilons(seqs: Sequence[np.ndarray], kind: str) -> tuple[float, float]:
    if kind == "general":
        return (0.0, 0.0)
    means = np.concatenate([np.asarray(s, dtype=np.float64).mean(0) for s in seqs])
    shares = []
    for s in seqs:
        s = np.asarray(s, dtype=np.float64)
        t = s.sum(1, keepdims=True)
        if (t > 0).any():
            shares.append((s / np.where(t > 0, t, 1.0))[t[:, 0] > 0].mean(0))
    return _epsilon(means), _epsilon(np.concatenate(shares) if shares else means)


MAX_FEATURES = 64  # wider session statistics (token means: 768-2048) go through PCA first


def _prepare(x: np.ndarray, seed: int) -> Any:
    """The label-free steps fitted on the round's training videos before the search: the
    z-score and, for statistics wider than ``MAX_FEATURES``, a PCA to that many components
    (with tens of training videos and thousands of token channels a regularised fit on
    more features than videos gains nothing from the extra directions, and the search
    would cost ~25 s per CV round on 2 cores)."""
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    n, width = x.shape
    steps: list[Any] = [StandardScaler()]
    if width > MAX_FEATURES:
        steps.append(PCA(n_components=min(MAX_FEATURES, n - 1), random_state=seed))
    return make_pipeline(*steps).fit(x)


def _inner_search(
    y: np.ndarray, seed: int, *, balanced: bool | None = None
) -> tuple[Any, list[str | None]]:
    """The inner folds (stratified when every class has two videos) and the class weightings
    to try (both when the classes are imbalanced, or as ``balanced`` says)."""
    from sklearn.model_selection import KFold, StratifiedKFold

    counts = np.bincount(y)
    smallest = int(counts[counts > 0].min())
    if smallest >= 2:
        inner: Any = StratifiedKFold(n_splits=min(5, smallest), shuffle=True, random_state=seed)
    else:
        inner = KFold(n_splits=min(5, len(y)), shuffle=True, random_state=seed)
    if balanced is None:
        weights: list[str | None] = (
            [None, "balanced"] if counts[counts > 0].max() >= 1.5 * smallest else [None]
        )
    else:
        weights = ["balanced" if balanced else None]
    return inner, weights


def search_c(
    x: np.ndarray, y: np.ndarray, seed: int, *, balanced: bool | None = None
) -> tuple[float, Any]:
    """L2 logistic regression on ready features ``x`` (n, F) with C from :data:`C_GRID`
    (and the class weighting, see :func:`_inner_search`) chosen by inner CV on log loss.

    Each inner fold fits the whole C path warm-started (scikit-learn's
    ``LogisticRegressionCV``): per C the same optimum as separate fits, within the solver's
    tolerance, at about half the cost. Returns ``(mean inner log-likelihood of the chosen
    C, the model refitted on all of x)``; ``(nan, a C = 1 fit)`` when the inner folds miss
    a class everywhere.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    inner, weights = _inner_search(y, seed, balanced=balanced)
    best: tuple[float, Any] = (np.nan, None)
    with warnings.catch_warnings():
        for kind in (ConvergenceWarning, UserWarning, RuntimeWarning, FutureWarning):
            warnings.simplefilter("ignore", kind)
        for weight in weights:
            search = LogisticRegressionCV(
                Cs=list(C_GRID), cv=inner, scoring="neg_log_loss", class_weight=weight,
                max_iter=5000, random_state=seed,
            )  # fmt: skip
            try:
                search.fit(x, y)
            except ValueError:  # inner folds missing a class everywhere
                continue
            scores = np.mean(next(iter(search.scores_.values())), axis=0)  # (n_C,)
            score = float(np.nanmax(scores)) if np.isfinite(scores).any() else np.nan
            if np.isfinite(score) and not score <= best[0]:
                best = (score, search)
        if best[1] is None:
            return np.nan, LogisticRegression(max_iter=5000, random_state=seed).fit(x, y)
    return best


def tuned_logistic(
    x: np.ndarray, y: np.ndarray, n_classes: int, seed: int, *, balanced: bool
) -> tuple[np.ndarray, np.ndarray]:
    """L2 logistic regression on ready features ``x`` (n_videos, F), C by inner CV (log loss).

    Returns ``(coef (n_classes, F), intercept (n_classes,))`` as logits ``x @ coef.T +
    intercept``; a class absent from ``y`` gets zero weights and intercept −20 (probability
    ~0). Used to start ViS4mer's session path (``train.session_init: logistic``).
    """
    y = np.asarray(y, dtype=np.int64)
    coef = np.zeros((n_classes, x.shape[1]))
    intercept = np.full(n_classes, -20.0)
    present = np.unique(y)
    if present.size == 1:
        intercept[present[0]] = 0.0
        return coef, intercept
    _, best = search_c(x, y, seed, balanced=balanced)
    w, b = best.coef_, best.intercept_
    if len(best.classes_) == 2:  # sklearn's binary form: one row for the second class
        w, b = np.vstack([-w / 2, w / 2]), np.array([-b[0] / 2, b[0] / 2])
    coef[best.classes_] = w
    intercept[best.classes_] = b
    return coef, intercept


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
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(train_y, dtype=np.int64)
    kind = row_kind(train_seqs)
    eps = _epsilons(train_seqs, kind)
    train_sets = candidate_stats(train_seqs, kind, eps)  # name -> (n_train, F)
    test_sets = candidate_stats(test_seqs, kind, eps)  # name -> (n_test, F)
    probs = np.zeros((len(test_seqs), n_classes))
    present = np.unique(y)
    if present.size == 1:
        probs[:, present[0]] = 1.0
        return probs
    best: tuple[float, str, Any, Any] = (-np.inf, "", None, None)  # score, name, prep, model
    for name, x_train in train_sets.items():
        prep = _prepare(x_train, seed)
        score, model = search_c(prep.transform(x_train), y, seed)
        if np.isfinite(score) and score > best[0]:
            best = (score, name, prep, model)
    if best[3] is None:  # every candidate failed: C = 1 on the default statistics
        name = "mean+sd" if kind == "general" else "clr+sd"
        prep = _prepare(train_sets[name], seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LogisticRegression(max_iter=5000, random_state=seed)
            best = (np.nan, name, prep, model.fit(prep.transform(train_sets[name]), y))
    _, name, prep, fitted = best
    probs[:, fitted.classes_] = fitted.predict_proba(prep.transform(test_sets[name]))
    return probs
