"""Settings that fit the input: auto sizes, pooled long videos, early stopping, the LR baseline."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from painscope.baselines.logistic import logreg_baseline, row_kind, session_stats
from painscope.config import TrainConfig
from painscope.models.sizing import auto_sizes
from painscope.train.data import batch_tensor, pool_chunks
from painscope.train.trainer import fit, use_balanced


def test_auto_sizes_follow_input_and_cohort() -> None:
    assert auto_sizes("auto", "auto", "auto", d_input=1024, n_train=500, n_clips=200) == (
        1024, 3, 64,
    )  # fmt: skip
    assert auto_sizes("auto", "auto", "auto", d_input=6, n_train=20, n_clips=200) == (32, 2, 16)
    assert auto_sizes("auto", "auto", "auto", d_input=768, n_train=40, n_clips=200) == (
        128, 2, 32,
    )  # fmt: skip
    assert auto_sizes(1024, 3, 64, d_input=6, n_train=20, n_clips=200) == (1024, 3, 64)
    assert auto_sizes("auto", "auto", "auto", d_input=6, n_train=20, n_clips=2)[1] == 1


def test_pool_uses_every_window_and_keeps_short_videos() -> None:
    seq = np.arange(10, dtype=np.float64)[:, None]  # 10 clips, D = 1
    out = pool_chunks(seq, 1, 4)  # cuts at 2, 5, 7
    np.testing.assert_allclose(out[:, 0], [0.5, 3.0, 5.5, 8.0])
    rng = np.random.default_rng(0)
    jittered = pool_chunks(seq, 1, 4, rng)
    assert jittered.shape == (4, 1) and np.all(np.diff(jittered[:, 0]) > 0)
    tokens = np.arange(12, dtype=np.float64).reshape(6, 2)  # 3 clips of 2 tokens
    np.testing.assert_allclose(pool_chunks(tokens, 2, 1), [[4.0, 5.0], [6.0, 7.0]])
    short = np.arange(3, dtype=np.float32)[:, None]
    assert batch_tensor([short], 1, 6)[0, :, 0].tolist() == [0, 0, 1, 1, 2, 2]
    sub = batch_tensor([seq], 1, 5, long_videos="subsample")[0, :, 0]
    assert sub.tolist() == [0, 2, 4, 6, 8]


def test_balanced_auto_and_early_stopping() -> None:
    cfg = TrainConfig()
    assert use_balanced(cfg, np.array([0] * 10 + [1] * 3))
    assert not use_balanced(cfg, np.array([0] * 10 + [1] * 9))
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    seqs = [rng.normal(size=(16, 3)).astype(np.float32) for _ in range(12)]
    y = np.array([0, 1] * 6)
    small = TrainConfig(
        n_clips=8, epochs=50, early_stopping=3, batch_size=6, device="cpu", n_layers=1
    )
    result = fit(small, seqs[:8], y[:8], seqs[8:], y[8:], 2, progress=False)
    assert len(result.history) == result.best_epoch + 4 < 50
    assert result.model.config.d_model == 32 and result.model.config.long_videos == "pool"


def test_logistic_baseline_recovers_log_fraction_signal() -> None:
    rng = np.random.default_rng(1)
    seqs, y = [], []
    for i in range(24):
        label = i % 2
        p = np.array([0.5, 0.3, 0.2]) if label == 0 else np.array([0.4, 0.3, 0.3])
        windows = rng.multinomial(30, p, size=50) / 30.0  # (50, 3) fractions
        seqs.append(windows)
        y.append(label)
    y_arr = np.array(y)
    assert row_kind(seqs) == "compositional"
    assert session_stats(seqs[:2], "compositional", 1e-3).shape == (2, 6)
    assert row_kind([s * 30 for s in seqs]) == "nonnegative"
    probs = logreg_baseline(seqs[:16], y_arr[:16], seqs[16:], 3, seed=0)
    assert probs.shape == (8, 3) and np.allclose(probs.sum(1), 1.0) and probs[:, 2].max() == 0
    assert (probs.argmax(1) == y_arr[16:]).mean() >= 0.85
    general = [s - 0.5 for s in seqs]
    assert row_kind(general) == "general"
    one_class = logreg_baseline(seqs[:4], np.zeros(4, dtype=int), seqs[4:6], 2, seed=0)
    assert one_class.tolist() == [[1.0, 0.0], [1.0, 0.0]]


def test_train_config_accepts_auto_and_rejects_bad_sizes() -> None:
    from painscope.errors import ConfigError

    assert TrainConfig(d_model=64, n_layers=2).d_model == 64
    with pytest.raises(ConfigError, match="d_model"):
        TrainConfig(d_model=2, n_layers=3)
    with pytest.raises(ConfigError, match="early_stopping"):
        TrainConfig(early_stopping=-1)


def test_session_path_auto_for_small_models_and_scaled_on_training_videos() -> None:
    from painscope.models.sizing import auto_session_path
    from painscope.train.trainer import model_config

    assert auto_session_path("auto", 32) and not auto_session_path("auto", 1024)
    assert not auto_session_path("auto", 32, chosen=False)
    assert auto_session_path("linear", 1024) and not auto_session_path("none", 32)
    assert not auto_session_path("auto", 32, transformed=False)
    # narrow raw input (motion descriptors, motif shares) gets it; Swin tokens and token
    # blocks do not
    assert auto_session_path("auto", 32, transformed=False, d_input=20)
    assert not auto_session_path("auto", 128, transformed=False, d_input=768)
    assert not auto_session_path("auto", 32, d_input=20, tokens_per_clip=9)
    cfg8 = TrainConfig(n_clips=8)
    small = model_config(cfg8, 6, 3, tokens_per_clip=1, n_train=20, transform=("clr", 0.01))
    assert small.session_path and small.d_model <= 128 and small.session_spread
    assert model_config(cfg8, 6, 3, tokens_per_clip=1, n_train=20).session_path  # raw, narrow
    assert not model_config(cfg8, 768, 3, tokens_per_clip=1, n_train=20).session_path
    paper = TrainConfig(n_clips=8, d_model=1024, n_layers=3, d_state=64)
    assert not model_config(paper, d_input=6, n_classes=3, tokens_per_clip=1).session_path

    # rows of shares: clr input, so auto turns the path on; its z-scoring uses training videos
    rng = np.random.default_rng(0)
    y = np.arange(24) % 2
    seqs = []
    for label in y:
        p = np.array([0.10 + 0.15 * label, 0.3, 0.3, 0.3])
        idx = np.array([rng.choice(4, p=p / p.sum()) for _ in range(12)])
        seqs.append(np.eye(4)[idx])  # (12 windows, 4) one-hot shares
    cfg = TrainConfig(n_clips=12, epochs=40, early_stopping=0, ensemble=1)
    result = fit(cfg, seqs[:16], y[:16], seqs[16:], y[16:], 2, progress=False)
    model = result.model
    assert model.config.session_path and model.config.input_transform == "clr"
    from painscope.train.data import batch_tensor as bt

    stats = model.session_statistic(torch.from_numpy(bt(seqs[:16], 1, 12)))
    z = (stats - model.session_mean) * model.session_scale  # z-scored on training videos
    torch.testing.assert_close(z.mean(0), torch.zeros(12), atol=1e-4, rtol=0)  # S = 3 (+sd)
    torch.testing.assert_close(z.std(0), torch.ones(12), atol=1e-3, rtol=0)


def test_session_path_starts_as_the_tuned_logistic_regression() -> None:
    """session_init: logistic — before the first step the model's logits are exactly the
    inner-CV-tuned regression's on the z-scored session statistics; the start is a
    candidate for the kept epoch; the frozen variant never moves the session head."""
    from painscope.baselines.logistic import tuned_logistic
    from painscope.models.vis4mer import ViS4mer
    from painscope.train.data import batch_tensor as bt
    from painscope.train.trainer import model_config, set_session_scaling, start_from_logistic

    rng = np.random.default_rng(1)
    y = np.arange(30) % 3
    seqs = [rng.normal(label * 0.4, 1.0, size=(10, 5)).astype(np.float32) for label in y]
    cfg = TrainConfig(n_clips=10, ensemble=1)
    model = ViS4mer(model_config(cfg, 5, 3, tokens_per_clip=1, n_train=24))
    assert model.config.session_path and model.config.session_spread  # auto: narrow input
    stats = set_session_scaling(model, seqs[:24], 1, 10)  # (24, 10): mean and sd
    assert stats.shape == (24, 10)
    start_from_logistic(model, stats, y[:24], seed=0, balanced=False)
    coef, intercept = tuned_logistic(stats, y[:24], 3, 0, balanced=False)
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(bt(seqs[:24], 1, 10))).double().numpy()
    np.testing.assert_allclose(logits, stats @ coef.T + intercept, atol=1e-4)
    # a class absent from training gets probability ~0
    coef2, b2 = tuned_logistic(stats[y[:24] < 2], y[:24][y[:24] < 2], 3, 0, balanced=False)
    assert b2[2] == -20.0 and not coef2[2].any()

    frozen = TrainConfig(n_clips=10, ensemble=1, epochs=3, session_init="logistic_frozen")
    result = fit(frozen, seqs[:24], y[:24], seqs[24:], y[24:], 3, progress=False)
    fresh = ViS4mer(model_config(frozen, 5, 3, tokens_per_clip=1, n_train=24))
    start_from_logistic(
        fresh, set_session_scaling(fresh, seqs[:24], 1, 10), y[:24], seed=0, balanced=False
    )
    torch.testing.assert_close(result.model.session_head.weight, fresh.session_head.weight)
    assert result.best_epoch >= -1 and len(result.history) == 3


def test_the_warm_started_c_path_finds_the_grid_searchs_regression() -> None:
    """search_c (LogisticRegressionCV, warm-started C path) chooses the C that a grid of
    separate fits chooses on the same inner folds, and lands on the same optimum within the
    solver's tolerance."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV

    from painscope.baselines.logistic import C_GRID, _inner_search, search_c

    rng = np.random.default_rng(3)
    y = np.arange(45) % 3
    x = rng.normal(size=(45, 20))
    x[:, :3] += 0.8 * y[:, None]
    score, fitted = search_c(x, y, seed=0, balanced=False)
    inner, _ = _inner_search(y, 0, balanced=False)
    grid = GridSearchCV(
        LogisticRegression(max_iter=5000, random_state=0), {"C": list(C_GRID)}, cv=inner,
        scoring="neg_log_loss",
    ).fit(x, y)  # fmt: skip
    assert float(fitted.C_[0]) == grid.best_params_["C"]
    assert score == pytest.approx(grid.best_score_, abs=1e-3)
    np.testing.assert_allclose(fitted.coef_, grid.best_estimator_.coef_, atol=2e-3)


def test_committee_members_share_one_logistic_start(monkeypatch) -> None:
    """Members on the same training videos start from the same regression, fitted once."""
    import painscope.baselines.logistic as logistic
    from painscope.train.trainer import fit_members

    calls = []
    real = logistic.tuned_logistic

    def counted(*args, **kwargs):
        calls.append(args[3])  # the inner folds' seed
        return real(*args, **kwargs)

    monkeypatch.setattr(logistic, "tuned_logistic", counted)
    rng = np.random.default_rng(2)
    y = np.arange(30) % 3
    seqs = {i: rng.normal(y[i] * 0.4, 1.0, size=(10, 5)).astype(np.float32) for i in range(30)}
    cfg = TrainConfig(n_clips=10, ensemble=3, epochs=2)
    result = fit_members(cfg, [(range(24), range(24, 30))], seqs, y, 3, seed=7, progress=False)
    assert len(result.members) == 3 and calls == [7]
    heads = [m.model.session_head.weight for m in result.members]
    assert not torch.equal(result.members[0].model.head.weight, result.members[1].model.head.weight)
    assert all(h.shape == heads[0].shape for h in heads)
