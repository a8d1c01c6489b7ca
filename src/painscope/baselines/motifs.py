"""Unsupervised behaviour motifs, as in B-SOiD (Hsu & Yttri 2021).

scaled features → UMAP embedding → HDBSCAN clusters (the motifs) → a random forest
from the *unscaled* features to the motifs, so that new videos are labelled by the
forest alone, without re-embedding. :class:`MotifModel` is one scikit-learn-style
estimator holding all four steps; whatever it learns comes from the rows passed to
:meth:`MotifModel.fit` only (the fold-isolation guarantee of the pose baseline).
"""

from __future__ import annotations

import warnings
from typing import Any, Literal

import numpy as np

from painscope.errors import PainscopeError

EmbeddingKind = Literal["auto", "umap", "pca"]


class MotifModel:
    """Scaler → UMAP (or PCA) → HDBSCAN → random forest.

    Parameters
    ----------
    embedding : "umap" (B-SOiD), "pca", or "auto": UMAP when there are at least
        ``min_umap_samples`` rows, PCA otherwise (UMAP's neighbour graph means
        little on a few hundred bins).
    n_neighbors, min_dist : UMAP settings (B-SOiD: 60 and 0.0).
    variance_target : the embedding keeps as many dimensions as principal components
        needed to explain this share of the scaled features' variance (B-SOiD: 0.7).
    cluster_fraction : HDBSCAN ``min_cluster_size`` is scanned over ``n_cluster_sizes``
        values spanning this range of fractions of the rows (B-SOiD: 0.5 %–1 %, 25 values);
        the run with the most clusters wins.
    min_cluster_size_floor : lower bound on ``min_cluster_size`` (small training sets).
    max_fit_samples : rows used for the embedding and clustering, drawn at random (seeded)
        when there are more; UMAP and HDBSCAN grow faster than linearly. None = all.
    n_estimators, n_jobs : random forest settings.
    random_state : seed for subsampling, UMAP and the forest (B-SOiD: 42).

    Attributes
    ----------
    scaler_ : fitted StandardScaler.
    embedding_kind_ : "umap" or "pca", what ``auto`` chose.
    n_components_ : embedding dimensions.
    embedder_ : fitted UMAP or PCA.
    fit_rows_ : array (n_used,), indices of the rows of X used for embedding and clustering.
    embedding_ : array (n_used, n_components_).
    cluster_labels_ : array (n_used,), motif of each used row after relabelling, -1 = noise.
    min_cluster_size_ : the winning HDBSCAN setting.
    n_motifs_ : number of motifs (motif ids are 0 .. n_motifs_ - 1, largest cluster first).
    forest_ : fitted RandomForestClassifier (unscaled features → motif).
    n_features_in_ : features per row.
    """

    def __init__(
        self,
        *,
        embedding: EmbeddingKind = "auto",
        n_neighbors: int = 60,
        min_dist: float = 0.0,
        variance_target: float = 0.7,
        cluster_fraction: tuple[float, float] = (0.005, 0.01),
        n_cluster_sizes: int = 25,
        min_cluster_size_floor: int = 10,
        min_umap_samples: int = 300,
        max_fit_samples: int | None = 20000,
        n_estimators: int = 100,
        n_jobs: int = 1,
        random_state: int = 42,
    ) -> None:
        self.embedding = embedding
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.variance_target = variance_target
        self.cluster_fraction = cluster_fraction
        self.n_cluster_sizes = n_cluster_sizes
        self.min_cluster_size_floor = min_cluster_size_floor
        self.min_umap_samples = min_umap_samples
        self.max_fit_samples = max_fit_samples
        self.n_estimators = n_estimators
        self.n_jobs = n_jobs
        self.random_state = random_state

    # --- fitting -------------------------------------------------------------------------

    def fit(self, X: np.ndarray, y: Any = None) -> MotifModel:
        """Learn motifs from feature rows.

        Parameters
        ----------
        X : array of shape (n_bins, n_features), unscaled B-SOiD features of the
            training videos' time bins, stacked.
        """
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.preprocessing import StandardScaler

        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or len(X) < 2 * max(self.min_cluster_size_floor, 2):
            raise PainscopeError(
                f"too little pose data to learn motifs: {X.shape[0]} time bins",
                fix="give the pose baseline more (or longer) training videos",
            )
        if not np.isfinite(X).all():
            raise PainscopeError("pose features contain NaN/inf", fix="check the pose files")
        rng = np.random.default_rng(self.random_state)
        rows = np.arange(len(X))
        if self.max_fit_samples is not None and len(X) > self.max_fit_samples:
            rows = np.sort(rng.choice(len(X), size=self.max_fit_samples, replace=False))
        X_fit = X[rows]

        self.scaler_ = StandardScaler().fit(X_fit)
        scaled = self.scaler_.transform(X_fit)
        self.n_components_ = self._n_components(scaled)
        kind = self.embedding
        if kind == "auto":
            kind = "umap" if len(X_fit) >= self.min_umap_samples else "pca"
        self.embedding_kind_ = kind
        self.embedder_, self.embedding_ = self._embed(scaled, kind)
        labels, self.min_cluster_size_ = self._cluster(self.embedding_)
        self.fit_rows_ = rows
        self.cluster_labels_ = labels
        self.n_motifs_ = int(labels.max()) + 1

        keep = labels >= 0
        self.forest_ = RandomForestClassifier(
            n_estimators=self.n_estimators, random_state=self.random_state, n_jobs=self.n_jobs
        ).fit(X_fit[keep], labels[keep])
        self.n_features_in_ = X.shape[1]
        return self

    def _n_components(self, scaled: np.ndarray) -> int:
        """Principal components needed to reach ``variance_target`` of the variance."""
        from sklearn.decomposition import PCA

        max_components = min(scaled.shape)
        pca = PCA(n_components=max_components, random_state=self.random_state).fit(scaled)
        cumulative = np.cumsum(pca.explained_variance_ratio_)
        reached = np.flatnonzero(cumulative >= self.variance_target - 1e-12)
        n = int(reached[0]) + 1 if reached.size else max_components
        return max(1, min(n, max_components))

    def _embed(self, scaled: np.ndarray, kind: str) -> tuple[Any, np.ndarray]:
        if kind == "pca":
            from sklearn.decomposition import PCA

            pca = PCA(n_components=self.n_components_, random_state=self.random_state)
            return pca, pca.fit_transform(scaled)
        import umap  # lazy: pulls numba, seconds to import

        reducer = umap.UMAP(
            n_neighbors=max(2, min(self.n_neighbors, len(scaled) - 1)),
            min_dist=self.min_dist,
            n_components=self.n_components_,
            random_state=self.random_state,
            n_jobs=1,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "n_jobs overridden by random_state", spectral init
            embedded = reducer.fit_transform(scaled)
        return reducer, np.asarray(embedded, dtype=np.float64)

    def cluster_sizes(self, n_samples: int) -> np.ndarray:
        """The ``min_cluster_size`` values scanned for ``n_samples`` rows."""
        low, high = self.cluster_fraction
        sizes = np.round(np.linspace(low * n_samples, high * n_samples, self.n_cluster_sizes))
        sizes = np.maximum(sizes.astype(int), max(2, self.min_cluster_size_floor))
        return np.unique(sizes)

    def _cluster(self, embedded: np.ndarray) -> tuple[np.ndarray, int]:
        """HDBSCAN over the size scan; keep the most clusters; relabel largest first."""
        from sklearn.cluster import HDBSCAN

        best: np.ndarray | None = None
        best_size = 0
        best_count = -1
        for size in self.cluster_sizes(len(embedded)):
            labels = HDBSCAN(min_cluster_size=int(size), min_samples=1, copy=True).fit_predict(
                embedded
            )
            count = int(labels.max()) + 1
            if count > best_count:
                best, best_size, best_count = labels, int(size), count
        assert best is not None  # the scan has at least one size
        if best_count <= 0:
            warnings.warn(
                "HDBSCAN found no cluster in the pose embedding; every bin is one motif",
                stacklevel=3,
            )
            return np.zeros(len(embedded), dtype=np.int64), best_size
        # Motif 0 = the largest cluster, so ids are stable under HDBSCAN's arbitrary order.
        ids, counts = np.unique(best[best >= 0], return_counts=True)
        order = ids[np.argsort(-counts, kind="stable")]
        remap = np.full(best_count, -1, dtype=np.int64)
        remap[order] = np.arange(len(order))
        return np.where(best >= 0, remap[np.maximum(best, 0)], -1), best_size

    # --- labelling ------------------------------------------------------------------------

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Motif of each row (via the forest), array of shape (n_bins,) int64."""
        if not hasattr(self, "forest_"):
            raise PainscopeError("the motif model is not fitted yet", fix="call fit() first")
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise PainscopeError(
                f"expected features of shape (n_bins, {self.n_features_in_}), got {X.shape}",
                fix="use the same keypoints as the training videos",
            )
        if len(X) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.asarray(self.forest_.predict(X), dtype=np.int64)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Forest vote share of every motif per row, array (n_bins, n_motifs_) float64.

        The soft form of :meth:`predict` (whose motif is the argmax of these rows); used
        for ``pose.assignment: soft`` histograms.
        """
        X = np.asarray(X, dtype=np.float64)
        self.predict(X[:1])  # the same checks as predict
        if len(X) == 0:
            return np.zeros((0, self.n_motifs_))
        votes = self.forest_.predict_proba(X)  # (n, n_classes_seen)
        out = np.zeros((len(X), self.n_motifs_))
        out[:, np.asarray(self.forest_.classes_, dtype=np.int64)] = votes
        return out
