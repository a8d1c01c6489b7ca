"""Training pieces: resampling, label schemes, sources, trainer reproducibility, checkpoints."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from painscope.config import ProjectConfig, TrainConfig, config_template, parse_config
from painscope.errors import ConfigError, FeatureStoreError, ManifestError
from painscope.manifest import VideoEntry
from painscope.train.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from painscope.train.data import resample, resample_indices
from painscope.train.schemes import scheme_labels
from painscope.train.sources import (
    ArrayFileSource,
    SequenceSource,
    TokenStoreSource,
    load_array_file,
)
from painscope.train.trainer import fit, predict_proba

TINY = TrainConfig(
    d_model=16, n_layers=2, d_state=8, n_clips=8, epochs=6, batch_size=8, dropout=0.1,
    lr=0.01, device="cpu",
)  # fmt: skip


def entry(row: int, condition: str = "", timepoint: str = "", **extra: str) -> VideoEntry:
    return VideoEntry(
        row=row, video=f"v{row}.mp4", path=Path(f"v{row}.mp4"), video_id=f"v{row}",
        mouse_id=f"m{row}", condition=condition, timepoint=timepoint, extra=extra,
    )  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 300), target=st.integers(1, 300))
def test_eval_resampling_is_sorted_in_range_and_covers_short_videos(n: int, target: int) -> None:
    idx = resample_indices(n, target)
    assert idx.shape == (target,)
    assert (np.diff(idx) >= 0).all() and idx.min() >= 0 and idx.max() < n
    if n <= target:
        assert set(idx.tolist()) == set(range(n))  # every clip kept, repeated evenly


def test_training_resampling_draws_a_sorted_random_subset() -> None:
    rng = np.random.default_rng(0)
    a, b = resample_indices(50, 10, rng), resample_indices(50, 10, rng)
    assert len(set(a)) == 10 and (np.diff(a) > 0).all() and not np.array_equal(a, b)


def test_resample_keeps_clips_whole() -> None:
    seq = np.repeat(np.arange(5), 3)[:, None].astype(np.float32)  # 5 clips × 3 tokens
    out, idx = resample(seq, tokens_per_clip=3, n_clips=10)
    assert out.shape == (30, 1)
    np.testing.assert_array_equal(out[:, 0].reshape(10, 3), np.repeat(idx, 3).reshape(10, 3))


def test_builtin_schemes_and_unknown_label_errors() -> None:
    rows = [entry(2, "SNI", "D0"), entry(3, "SNI", "D7"), entry(4, "formalin", "2h")]
    labels, classes = scheme_labels(rows, "15class")
    assert labels == ["D0", "SNI D7", "formalin 2h"]
    assert classes == ("D0", "formalin 2h", "SNI D7")  # Table 2 order, present classes
    assert scheme_labels(rows, "3class")[0] == ["no pain", "neuropathic", "inflammatory"]
    with pytest.raises(ManifestError, match=r"row 5 .*SNI.*D5"):
        scheme_labels([*rows, entry(5, "SNI", "D5")], "15class")
    with pytest.raises(ManifestError, match="row 6"):
        scheme_labels([entry(6, "SNI", "")], "3class")


def test_custom_scheme_from_a_column() -> None:
    rows = [entry(2, strain="B6"), entry(3, strain="CD1"), entry(4, strain="B6")]
    assert scheme_labels(rows, "strain") == (["B6", "CD1", "B6"], ("B6", "CD1"))
    with pytest.raises(ManifestError, match=r"row 5.*'strain' is empty"):
        scheme_labels([*rows, entry(5, strain="")], "strain")
    with pytest.raises(ManifestError, match="neither"):
        scheme_labels(rows, "nosuchcolumn")


def test_array_files_in_every_format(tmp_path: Path) -> None:
    arr = np.arange(12, dtype=np.float32).reshape(4, 3)
    np.save(tmp_path / "a.npy", arr)
    np.savez(tmp_path / "b.npz", other=arr * 0, features=arr)
    np.savetxt(tmp_path / "c.csv", arr, delimiter=",", header="x,y,z", comments="")
    np.savetxt(tmp_path / "d.csv", arr, delimiter=",")
    for name in ("a.npy", "b.npz", "c.csv", "d.csv"):
        np.testing.assert_array_equal(load_array_file(tmp_path / name), arr, err_msg=name)
    source = ArrayFileSource(tmp_path)
    assert isinstance(source, SequenceSource)
    np.testing.assert_array_equal(source.sequence(entry(2, features="a.npy")), arr)
    bad = arr.copy()
    bad[2, 1] = np.nan
    np.save(tmp_path / "nan.npy", bad)
    with pytest.raises(FeatureStoreError, match="clip 2"):
        load_array_file(tmp_path / "nan.npy")
    with pytest.raises(FeatureStoreError, match="not found"):
        load_array_file(tmp_path / "missing.npy")


def test_token_store_source_reports_the_missing_video(tmp_path: Path) -> None:
    source = TokenStoreSource(tmp_path, "mean")
    assert source.name == "pooled" and isinstance(source, SequenceSource)
    with pytest.raises(FeatureStoreError, match=r"(?s)row 7 \(v7.mp4\).*painscope extract"):
        source.sequence(entry(7))


def _toy(n: int, rng: np.random.Generator) -> tuple[list[np.ndarray], np.ndarray]:
    y = np.arange(n) % 3
    seqs = [rng.normal(size=(int(rng.integers(5, 12)) * 2, 6)).astype(np.float32) for _ in y]
    for s, c in zip(seqs, y, strict=True):
        s[:, c] += 1.5
    return seqs, y


def test_training_is_reproducible_and_learns() -> None:
    torch.set_num_threads(1)
    seqs, y = _toy(36, np.random.default_rng(0))
    a = fit(
        TINY, seqs[:27], y[:27], seqs[27:], y[27:], 3, tokens_per_clip=2, seed=3, progress=False
    )
    b = fit(
        TINY, seqs[:27], y[:27], seqs[27:], y[27:], 3, tokens_per_clip=2, seed=3, progress=False
    )
    for k, v in a.model.state_dict().items():
        torch.testing.assert_close(v, b.model.state_dict()[k], rtol=0, atol=0)
    assert a.history == b.history and len(a.history) == TINY.epochs
    assert a.history[-1]["train_loss"] < a.history[0]["train_loss"]
    probs = predict_proba(a.model, seqs[27:], 2, TINY.n_clips)
    assert probs.shape == (9, 3) and np.allclose(probs.sum(1), 1)
    assert a.best_val_accuracy == max(h["val_accuracy"] for h in a.history)


def test_plateau_scheduler_cuts_lr_when_validation_accuracy_stalls() -> None:
    seqs, y = _toy(12, np.random.default_rng(1))
    cfg = TrainConfig(**{**TINY.__dict__, "epochs": 8, "plateau_patience": 1, "lr": 1e-6})
    result = fit(cfg, seqs[:9], y[:9], seqs[9:], y[9:], 3, tokens_per_clip=2, progress=False)
    lrs = [h["lr"] for h in result.history]
    assert lrs[0] == 1e-6 and min(lrs) < 1e-6 * 0.2 + 1e-12  # accuracy flat → mode 'max' cuts


def test_checkpoint_is_one_dict_loaded_with_weights_only(tmp_path: Path) -> None:
    seqs, y = _toy(12, np.random.default_rng(2))
    cfg = TrainConfig(**{**TINY.__dict__, "epochs": 1})
    model = fit(cfg, seqs[:9], y[:9], seqs[9:], y[9:], 3, tokens_per_clip=2, progress=False).model
    path = tmp_path / "m.pt"
    save_checkpoint(path, model, classes=["a", "b", "c"], label_map={"a": 0}, feature_key="k1")
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["classes"] == ["a", "b", "c"] and ckpt["feature_key"] == "k1"
    assert load_checkpoint(path)["model_config"]["d_model"] == 16
    again = model_from_checkpoint(ckpt)
    x = torch.randn(2, 16, 6)
    torch.testing.assert_close(again(x), model.eval()(x))


def test_train_config_is_a_project_section_with_paper_defaults() -> None:
    cfg = ProjectConfig().train
    assert (cfg.lr, cfg.weight_decay, cfg.batch_size, cfg.d_model, cfg.epochs) == (
        "auto", 0.01, 16, "auto", 200,
    )  # fmt: skip
    assert (cfg.dropout, cfg.plateau_factor, cfg.plateau_patience, cfg.n_folds) == (0.2, 0.2, 10, 8)
    assert "train:" in config_template() and "group_by" in config_template()
    assert parse_config({"train": {"epochs": 3}}).train.epochs == 3
    with pytest.raises(ConfigError, match="tokens"):
        parse_config({"train": {"tokens": "some"}})
    with pytest.raises(ConfigError, match="n_folds"):
        TrainConfig(n_folds=1)
