"""Motif model: finds distinct behaviours, is seeded, and labels new data via the forest."""

from __future__ import annotations

import numpy as np
import pytest

from painscope.baselines.bsoid_features import pose_features
from painscope.baselines.motifs import MotifModel
from painscope.errors import PainscopeError
from tests.fixtures.pose import two_behaviour_trajectory

FPS = 30.0


def behaviour_features(seed: int, seconds: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Binned features of a two-behaviour trajectory and the majority behaviour per bin."""
    rng = np.random.default_rng(seed)
    position, behaviour = two_behaviour_trajectory(round(seconds * FPS), FPS, rng)
    feats = pose_features(position, FPS)
    per_bin = np.array([round(behaviour[s : s + 3].mean()) for s in feats.bin_start_frame])
    return feats.values, per_bin


def majority_agreement(motifs: np.ndarray, behaviour: np.ndarray) -> float:
    """Share of bins whose motif's majority behaviour equals their behaviour."""
    hits = 0
    for motif in np.unique(motifs):
        members = behaviour[motifs == motif]
        hits += max((members == 0).sum(), (members == 1).sum())
    return hits / len(behaviour)


@pytest.mark.parametrize(
    "embedding",
    ["pca", pytest.param("umap", marks=pytest.mark.slow)],  # UMAP's numba JIT: ~15 s per process
)
def test_two_behaviours_give_at_least_two_motifs(embedding: str) -> None:
    X, _ = behaviour_features(seed=0)
    model = MotifModel(embedding=embedding, n_estimators=30).fit(X)
    assert model.embedding_kind_ == embedding
    assert model.n_motifs_ >= 2
    X_new, behaviour_new = behaviour_features(seed=1)
    motifs = model.predict(X_new)
    assert motifs.shape == behaviour_new.shape
    assert set(np.unique(motifs)) <= set(range(model.n_motifs_))
    # Motifs separate the behaviours: each motif is (almost) pure walk or pure turn.
    assert majority_agreement(motifs, behaviour_new) > 0.9
    walk, turn = motifs[behaviour_new == 0], motifs[behaviour_new == 1]
    assert np.bincount(walk).argmax() != np.bincount(turn).argmax()


def test_fit_is_seeded_and_learns_underscore_attributes() -> None:
    X, _ = behaviour_features(seed=2, seconds=30.0)
    a = MotifModel(embedding="pca", n_estimators=20).fit(X)
    b = MotifModel(embedding="pca", n_estimators=20).fit(X)
    np.testing.assert_array_equal(a.cluster_labels_, b.cluster_labels_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    for name in ("scaler_", "embedder_", "embedding_", "forest_", "n_motifs_", "n_components_"):
        assert hasattr(a, name)
    # Motif 0 is the largest cluster.
    counts = np.bincount(a.cluster_labels_[a.cluster_labels_ >= 0])
    assert counts[0] == counts.max()


def test_auto_falls_back_to_pca_on_few_samples() -> None:
    X, _ = behaviour_features(seed=3, seconds=20.0)  # ~200 bins
    model = MotifModel(n_estimators=10).fit(X)
    assert model.embedding_kind_ == "pca"


def test_subsampling_caps_the_rows_embedded() -> None:
    X, _ = behaviour_features(seed=4, seconds=40.0)
    model = MotifModel(embedding="pca", max_fit_samples=150, n_estimators=10).fit(X)
    assert model.embedding_.shape[0] == 150
    assert len(np.unique(model.fit_rows_)) == 150


def test_cluster_size_scan_spans_half_to_one_percent() -> None:
    sizes = MotifModel().cluster_sizes(100_000)
    assert sizes.min() == 500 and sizes.max() == 1000 and len(sizes) == 25


def test_predict_before_fit_and_wrong_width_are_errors() -> None:
    model = MotifModel()
    with pytest.raises(PainscopeError, match="not fitted"):
        model.predict(np.zeros((3, 4)))
    X, _ = behaviour_features(seed=5, seconds=20.0)
    model = MotifModel(embedding="pca", n_estimators=10).fit(X)
    with pytest.raises(PainscopeError, match="same keypoints"):
        model.predict(np.zeros((3, X.shape[1] + 1)))


def test_too_little_data_is_an_error() -> None:
    with pytest.raises(PainscopeError, match="too little"):
        MotifModel().fit(np.zeros((5, 9)))
