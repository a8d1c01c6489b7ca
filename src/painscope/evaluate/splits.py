"""Cross-validation folds (paper §4: 8 parts, stratified by class).

Round i tests fold i, validates on fold (i + 1) mod k (model selection and the
learning-rate schedule) and trains on the other k - 2 folds; every fold is the test
fold once. ``group_by="mouse_id"`` keeps each mouse in one fold (StratifiedGroupKFold),
so no mouse is in both training and test — the paper splits videos, which lets one
mouse's idiosyncrasies leak and inflates scores.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from painscope.errors import PainscopeError


def make_folds(
    labels: Sequence[str],
    n_folds: int = 8,
    *,
    groups: Sequence[str] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Fold index (0 … n_folds-1) of each video, stratified by label (and grouped if given)."""
    from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

    y = np.asarray(labels)
    if len(y) < n_folds:
        raise PainscopeError(
            f"{len(y)} videos cannot make {n_folds} folds", fix="lower train.n_folds or add videos"
        )
    if groups is not None and len(set(groups)) < n_folds:
        raise PainscopeError(
            f"only {len(set(groups))} mice for {n_folds} mouse-grouped folds",
            fix="lower train.n_folds or use group_by: video",
        )
    classes, counts = np.unique(y, return_counts=True)
    if counts.max() < n_folds:
        # sklearn refuses (ValueError: n_splits cannot be greater than ...): say what to do
        shown = ", ".join(f"{c}: {n}" for c, n in zip(classes, counts, strict=True))
        raise PainscopeError(
            f"too few videos per class for {n_folds} stratified folds: every class has fewer "
            f"than {n_folds} videos ({shown})",
            fix=f"lower train.n_folds to at most {int(counts.max())} (>= 3), add videos, or "
            "use a scheme with fewer, larger classes",
        )
    folds = np.full(len(y), -1, dtype=np.int64)
    with warnings.catch_warnings():
        # small classes: sklearn warns that a class has fewer members than folds
        warnings.simplefilter("ignore", UserWarning)
        if groups is None:
            splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
            splits = splitter.split(np.zeros(len(y)), y)
        else:
            gsplit = StratifiedGroupKFold(n_splits=n_folds, shuffle=True, random_state=seed)
            splits = gsplit.split(np.zeros(len(y)), y, groups=np.asarray(groups))
        try:
            for fold, (_, test) in enumerate(splits):
                folds[test] = fold
        except ValueError as err:  # any other split sklearn cannot make
            raise PainscopeError(
                f"cannot make {n_folds} folds of {len(y)} videos ({err})",
                fix="lower train.n_folds or add videos",
            ) from None
    return folds


def round_roles(folds: np.ndarray, round_index: int, n_folds: int) -> np.ndarray:
    """Role of each video in one round: 'test', 'val' or 'train'."""
    roles = np.full(len(folds), "train", dtype=object)
    roles[folds == round_index] = "test"
    roles[folds == (round_index + 1) % n_folds] = "val"
    return roles
