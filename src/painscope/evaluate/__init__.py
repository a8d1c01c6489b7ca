"""Evaluation: cross-validation folds, scores with confidence intervals, QWK, drug tests."""

from painscope.evaluate.drugtest import drugtest_stats, wilson_ci
from painscope.evaluate.metrics import classification_metrics, qwk_table
from painscope.evaluate.splits import make_folds, round_roles

__all__ = [
    "classification_metrics",
    "drugtest_stats",
    "make_folds",
    "qwk_table",
    "round_roles",
    "wilson_ci",
]
