"""The pose fidelity probe trains on what ``painscope cv`` trains on, never on test videos."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from painscope.baselines.fidelity import probe, round_masks


def _folds() -> pd.DataFrame:
    # 6 videos, 3 rounds: test fold i, validation fold i + 1, the rest train
    roles = {
        "round_0": ["test", "test", "val", "val", "train", "train"],
        "round_1": ["train", "train", "test", "test", "val", "val"],
        "round_2": ["val", "val", "train", "train", "test", "test"],
    }
    return pd.DataFrame({"video_id": [f"v{i}" for i in range(6)], **roles})


def test_round_masks_train_is_cv_training_role() -> None:
    tests, fits = round_masks(_folds(), "train")
    np.testing.assert_array_equal(tests[0], [True, True, False, False, False, False])
    np.testing.assert_array_equal(fits[0], [False, False, False, False, True, True])
    for test, fit in zip(tests, fits, strict=True):
        assert not (test & fit).any()
        assert fit.sum() == 2  # the validation fold is left out, as in cv


def test_round_masks_nontest_adds_validation() -> None:
    tests, fits = round_masks(_folds(), "nontest")
    np.testing.assert_array_equal(fits[1], ~tests[1])
    with pytest.raises(ValueError, match="fit_on"):
        round_masks(_folds(), "all")


def test_probe_separates_and_refuses_test_in_training(rng: np.random.Generator) -> None:
    y = np.tile([0, 1], 12)  # 24 videos, two classes
    seqs = [rng.dirichlet([8.0, 2.0] if c == 0 else [2.0, 8.0], size=20) for c in y]
    tests = [np.arange(24) % 4 == r for r in range(4)]
    trains = [~t for t in tests]
    assert probe(seqs, y, tests, trains) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="test videos"):
        probe(seqs, y, tests, [np.ones(24, dtype=bool)] * 4)
