"""Soft motif assignment: the forest's vote shares per bin, averaged per clip."""

from __future__ import annotations

import numpy as np

from painscope.baselines.motifs import MotifModel
from painscope.baselines.sequences import clip_histograms
from painscope.config.pose import PoseConfig


def test_soft_histograms_average_vote_shares() -> None:
    weights = np.array([[1.0, 0.0], [0.5, 0.5], [0.2, 0.8], [0.0, 1.0]])  # 4 bins
    hist = clip_histograms(
        np.array([0, 0, 1, 1]),
        np.arange(4),
        bin_seconds=0.5,
        clip_seconds=1.0,
        n_clips=2,
        n_motifs=2,
        bin_weights=weights,
    )
    np.testing.assert_allclose(hist, [[0.75, 0.25], [0.1, 0.9]])


def test_predict_proba_matches_predict() -> None:
    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, (300, 4)), rng.normal(6, 1, (300, 4))])
    model = MotifModel(embedding="pca", n_estimators=20).fit(X)
    proba = model.predict_proba(X[:50])
    assert proba.shape == (50, model.n_motifs_)
    np.testing.assert_allclose(proba.sum(1), 1.0)
    np.testing.assert_array_equal(proba.argmax(1), model.predict(X[:50]))
    assert model.predict_proba(X[:0]).shape == (0, model.n_motifs_)
    assert (PoseConfig().assignment, PoseConfig().embedding) == ("soft", "pca")
