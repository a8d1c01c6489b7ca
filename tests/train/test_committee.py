"""Model selection on small validation folds: ``train.selection`` and ``train.ensemble``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from painscope.config import TrainConfig
from painscope.models.ensemble import ViS4merEnsemble
from painscope.train.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from painscope.train.cv import member_splits
from painscope.train.trainer import fit, fit_members, predict_proba

SMALL = dict(n_clips=8, epochs=12, batch_size=6, device="cpu", n_layers=1, early_stopping=0)


def _data(n: int = 16, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    seqs = [(rng.normal(size=(16, 3)) + label).astype(np.float32) for label in y]
    return seqs, y


def test_member_splits_rotate_the_validation_fold_over_non_test_folds() -> None:
    folds = np.repeat(np.arange(4), 3)  # 4 folds of 3 videos
    splits = member_splits(folds, 1, 4, 4)
    vals = [sorted({int(folds[j]) for j in val}) for _, val in splits]
    assert vals == [[2], [3], [0], [2]]  # member 0 = the round's own fold i + 1; wraps
    for train, val in splits:
        assert not set(train) & set(val)
        assert set(train) | set(val) == set(np.flatnonzero(folds != 1).tolist())


def test_selection_loss_keeps_the_lowest_validation_loss() -> None:
    seqs, y = _data()
    result = fit(
        TrainConfig(**SMALL, selection="loss"), seqs[:10], y[:10], seqs[10:], y[10:], 2,
        progress=False,
    )  # fmt: skip
    losses = [h["val_loss"] for h in result.history]
    assert result.best_epoch == int(np.argmin(losses))


def test_ensemble_averages_member_probabilities_and_round_trips(tmp_path: Path) -> None:
    seqs, y = _data()
    by_index = dict(enumerate(seqs))
    splits = [(tuple(range(10)), tuple(range(10, 13))), (tuple(range(3, 13)), tuple(range(3)))]
    config = TrainConfig(**SMALL, ensemble=2)
    result = fit_members(config, splits, by_index, y, 2, seed=5, progress=False)
    assert isinstance(result.model, ViS4merEnsemble) and len(result.members) == 2
    # member m is fit() on its own split with seed + 1000 m and the round's logistic start
    # (inner folds seeded by the round's seed): reproducible one by one
    again = fit(
        config, seqs[3:13], y[3:13], seqs[:3], y[:3], 2, seed=1005, start_seed=5, progress=False
    )
    test = seqs[13:]
    one = predict_proba(again.model, test, 1, 8)
    np.testing.assert_allclose(predict_proba(result.members[1].model, test, 1, 8), one)
    mean = (predict_proba(result.members[0].model, test, 1, 8) + one) / 2
    np.testing.assert_allclose(predict_proba(result.model, test, 1, 8), mean, atol=1e-6)
    save_checkpoint(tmp_path / "c.pt", result.model, method="m")
    loaded = model_from_checkpoint(load_checkpoint(tmp_path / "c.pt"))
    assert isinstance(loaded, ViS4merEnsemble)
    np.testing.assert_allclose(predict_proba(loaded, test, 1, 8), mean, atol=1e-6)
    single = fit_members(TrainConfig(**SMALL, ensemble=1), splits, by_index, y, 2, progress=False)
    assert not isinstance(single.model, ViS4merEnsemble) and single.members == []
    assert torch.equal(
        next(single.model.parameters()),
        next(fit(TrainConfig(**SMALL, ensemble=1), seqs[:10], y[:10], seqs[10:13], y[10:13], 2,
                 progress=False).model.parameters()),
    )  # fmt: skip


def test_ensemble_auto_seeds_a_small_model_on_the_shared_split() -> None:
    from painscope.models.sizing import auto_ensemble

    assert auto_ensemble("auto", 32) == 5 and auto_ensemble("auto", 1024) == 1
    assert auto_ensemble(3, 32) == 3 and auto_ensemble("auto", 32, chosen=False) == 1
    assert auto_ensemble("auto", 32, tokens_per_clip=9) == 1  # token blocks: one model
    seqs, y = _data()
    by_index = dict(enumerate(seqs))
    split = (tuple(range(10)), tuple(range(10, 13)))
    result = fit_members(
        TrainConfig(**{**SMALL, "epochs": 2}, d_model="auto", ensemble="auto"), [split], by_index,
        y, 2, seed=5,
        progress=False,
    )  # fmt: skip
    assert isinstance(result.model, ViS4merEnsemble) and len(result.members) == 5
    explicit = TrainConfig(**{**SMALL, "epochs": 1}, d_model=16, ensemble="auto")
    assert fit_members(explicit, [split], by_index, y, 2, progress=False).members == []
