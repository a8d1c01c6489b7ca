"""Cross-validation end to end on tiny synthetic token stores, through the API and the CLI."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from typer.testing import CliRunner

from painscope.cli import app
from painscope.config import ExtractConfig, TrainConfig, config_hash
from painscope.evaluate.splits import make_folds, round_roles
from painscope.manifest import VideoEntry
from painscope.train import TokenStoreSource, run_cv, run_drugtest, run_predict
from tests.fixtures.tokens import make_token_project

TINY = {
    "d_model": 16, "n_layers": 2, "d_state": 8, "n_clips": 8, "epochs": 8, "batch_size": 8,
    "dropout": 0.0, "n_bootstrap": 200, "device": "cpu", "lr": 0.01, "scheme": "3class",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


class SpySource:
    """Mean tokens, recording what ``fit`` was shown (must be training videos only)."""

    name = "spy"
    tokens_per_clip = 1

    @property
    def spec(self) -> dict[str, str]:
        return {"kind": "spy", "name": self.name}

    def __init__(self, folder: Path) -> None:
        self.inner = TokenStoreSource(folder, "mean")
        self.fitted: list[set[str]] = []

    def fit(self, train_entries: Sequence[VideoEntry]) -> None:
        self.fitted.append({e.video_id for e in train_entries})

    def sequence(self, entry: VideoEntry) -> np.ndarray:
        return self.inner.sequence(entry)


def test_folds_stratified_rotating_roles_and_grouping() -> None:
    labels = ["a"] * 16 + ["b"] * 16
    folds = make_folds(labels, 8, seed=1)
    for f in range(8):
        assert sorted(np.asarray(labels)[folds == f]) == ["a", "a", "b", "b"]
    for i in range(8):
        roles = round_roles(folds, i, 8)
        assert set(np.flatnonzero(roles == "test")) == set(np.flatnonzero(folds == i))
        assert set(np.flatnonzero(roles == "val")) == set(np.flatnonzero(folds == (i + 1) % 8))
    mice = [f"m{i // 2}" for i in range(32)]
    grouped = make_folds(labels, 8, groups=mice, seed=1)
    for mouse in set(mice):
        assert len({grouped[i] for i, m in enumerate(mice) if m == mouse}) == 1


def test_cv_finds_a_planted_signal(tmp_path: Path) -> None:
    project = make_token_project(tmp_path, np.random.default_rng(0), per_class=8)
    spy = SpySource(project.features_dir(config_hash(ExtractConfig())))
    config = TrainConfig(**{**TINY, "tokens": "all"})
    tokens = TokenStoreSource(spy.inner.features_dir, "all")
    run = run_cv(project, config, [tokens, spy], progress=False)

    # run folder as in docs/design.md
    for name in ("config.yaml", "folds.csv", "predictions.csv", "metrics.json"):
        assert (run / name).exists(), name
    assert len(list((run / "checkpoints").glob("ours_3class_fold*.pt"))) == 8
    relevance = sorted((run / "clip_relevance" / "ours_3class").glob("*.npy"))
    assert len(relevance) == 24
    rel = np.load(relevance[0])
    assert rel.dtype == np.float32 and rel.ndim == 1 and (rel >= 0).all()

    folds = pd.read_csv(run / "folds.csv")
    assert list(folds.columns[:4]) == ["video_id", "mouse_id", "label", "fold"]
    preds = pd.read_csv(run / "predictions.csv")
    assert set(preds["method"]) == {"ours", "ours_logreg", "spy", "spy_logreg"}
    for method, part in preds.groupby("method"):
        assert sorted(part["video_id"]) == sorted(folds["video_id"]), (
            method
        )  # each video tested once
        merged = part.merge(folds, on="video_id")
        assert (merged["fold_x"] == merged["fold_y"]).all()  # identical folds for every method
    # fit saw only that round's training videos
    assert len(spy.fitted) == 8
    for i, seen in enumerate(spy.fitted):
        assert seen == set(folds.loc[folds[f"round_{i}"] == "train", "video_id"])

    metrics = json.loads((run / "metrics.json").read_text())
    for method in ("ours", "spy"):
        m = metrics[method]["3class"]
        assert m["grouped_by"] == "video" and m["classes"] == [
            "no pain",
            "inflammatory",
            "neuropathic",
        ]
        assert m["accuracy"] > 0.8
        assert m["ci"]["accuracy"][0] > m["chance"]["majority_accuracy"]
        assert len(m["per_fold"]["accuracy"]) == 8


def test_cv_without_signal_reports_chance(tmp_path: Path) -> None:
    project = make_token_project(tmp_path, np.random.default_rng(1), per_class=8, signal=0.0)
    config = TrainConfig(**{**TINY, "tokens": "mean", "baseline": False, "relevance": False})
    run = run_cv(project, config, progress=False)
    m = json.loads((run / "metrics.json").read_text())["pooled"]["3class"]
    lo, hi = m["ci"]["accuracy"]
    assert lo <= 1 / 3 <= hi
    assert m["accuracy"] < 0.6


def test_bring_your_own_features_and_15class_qwk(tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    rows = [("SNI", "D0"), ("SNI", "D7"), ("SNI", "D21")]
    lines = ["video,mouse_id,condition,timepoint,group,view,features"]
    for i in range(24):
        c = i % 3
        arr = rng.normal(size=(int(rng.integers(5, 15)), 4)).astype(np.float32)
        arr[:, c] += 2.0
        np.save(tmp_path / f"f{i}.npy", arr)
        lines.append(f"v{i}.mp4,m{i},{rows[c][0]},{rows[c][1]},,bottom,f{i}.npy")
    (tmp_path / "manifest.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "painscope.yaml").write_text("")
    config = TrainConfig(**{**TINY, "scheme": "15class", "epochs": 4, "relevance": False})
    run = run_cv(tmp_path, config, progress=False)
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics) == {"features", "features_logreg"}
    qwk = metrics["features_logreg"]["15class"]["qwk"]
    assert qwk["SNI"]["overall"]["qwk"] > 0.8  # logistic regression separates the planted days
    assert qwk["SNI"]["overall"]["n"] == 24


def test_cli_cv_predict_and_drugtest(tmp_path: Path) -> None:
    project = make_token_project(
        tmp_path, np.random.default_rng(3), per_class=8, treated={"GBA": 6, "saline": 6},
        train={"tokens": "mean", "epochs": 6, "relevance": False},
    )  # fmt: skip
    runner = CliRunner()
    result = runner.invoke(
        app, ["cv", str(project.root), "--group-by", "mouse_id", "--no-baseline"]
    )
    assert result.exit_code == 0, result.output
    run = next((project.root / "runs").glob("*_cv"))
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["pooled"]["3class"]["grouped_by"] == "mouse_id"
    folds = pd.read_csv(run / "folds.csv")
    assert len(folds) == 24  # treated videos are not trained on
    assert folds.groupby("mouse_id")["fold"].nunique().max() == 1

    result = runner.invoke(app, ["drugtest", str(run), str(project.root)])
    assert result.exit_code == 0, result.output
    out = next((project.root / "runs").glob("*_drugtest"))
    table = pd.read_csv(out / "drugtest.csv")
    assert set(table["group"]) == {"GBA", "saline"}
    gba = table[(table["group"] == "GBA") & (table["class"] == "no pain")].iloc[0]
    saline = table[(table["group"] == "saline") & (table["class"] == "no pain")].iloc[0]
    assert gba["share"] > saline["share"]
    stats = json.loads((out / "metrics.json").read_text())["pooled"]["3class"]["drugtest"]
    assert stats["chi2"]["p"] < 0.05
    assert len(list((out / "clip_relevance" / "pooled_3class").glob("*.npy"))) == 12

    pred = run_predict(run, project.root, name="again")
    preds = pd.read_csv(pred / "predictions.csv")
    assert len(preds) == 36 and (preds["fold"] == "ensemble").all()
    probs = preds[[c for c in preds.columns if c.startswith("prob_")]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1, atol=1e-5)
    assert run_drugtest(run, project.root, groups=["GBA"]).exists()


def test_cli_reports_user_errors(tmp_path: Path) -> None:
    project = make_token_project(tmp_path, np.random.default_rng(4), per_class=2)
    (project.root / "manifest.csv").write_text(
        "video,mouse_id,condition,timepoint\nv1.mp4,m1,SNI,D5\nv2.mp4,m2,SNI,D7\n"
    )
    result = CliRunner().invoke(app, ["cv", str(project.root)])
    assert result.exit_code == 2
    assert "row 2" in result.output and "D5" in result.output


def test_train_one_model_then_predict(tmp_path: Path) -> None:
    project = make_token_project(
        tmp_path, np.random.default_rng(5), per_class=8, train={"tokens": "mean", "epochs": 3}
    )
    result = CliRunner().invoke(app, ["train", str(project.root), "--name", "final"])
    assert result.exit_code == 0, result.output
    run = next((project.root / "runs").glob("*_final"))
    assert [p.name for p in (run / "checkpoints").iterdir()] == ["pooled_3class_fold0.pt"]
    history = json.loads((run / "history.json").read_text())
    assert len(history["history"]) == 3
    result = CliRunner().invoke(app, ["predict", str(run), str(project.root)])
    assert result.exit_code == 0, result.output
    preds = pd.read_csv(next((project.root / "runs").glob("*_predict")) / "predictions.csv")
    assert len(preds) == 24 and set(preds["method"]) == {"pooled"}


def test_features_only_manifest_runs_cv_predict_and_drugtest(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    lines = ["mouse_id,condition,timepoint,group,features"]
    days = ("D0", "D3", "D7")
    for i in range(30):
        c, group = i % 3, ("GBA" if i >= 24 else "")
        arr = rng.normal(size=(12, 3)).astype(np.float32)
        arr[:, c] += 2.0
        (tmp_path / "feats").mkdir(exist_ok=True)
        np.save(tmp_path / "feats" / f"s{i}.npy", arr)
        lines.append(f"m{i},SNI,{days[c]},{group},feats/s{i}.npy")
    (tmp_path / "manifest.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "painscope.yaml").write_text("")
    config = TrainConfig(
        **{**TINY, "scheme": "15class", "epochs": 3, "relevance": False, "baseline": False}
    )
    run = run_cv(tmp_path, config, progress=False)
    assert set(pd.read_csv(run / "folds.csv")["video_id"]) == {f"s{i}" for i in range(24)}
    out = run_predict(run, tmp_path)
    assert len(pd.read_csv(out / "predictions.csv")) >= 24
    drug = run_drugtest(run, tmp_path)
    assert (drug / "metrics.json").exists()


def test_shares_get_clr_inside_the_model_and_predict_applies_it(tmp_path: Path) -> None:
    from painscope.train.checkpoint import load_checkpoint

    rng = np.random.default_rng(7)
    lines = ["mouse_id,condition,timepoint,features"]
    days = ("D0", "D3", "D7")
    (tmp_path / "f").mkdir()
    for i in range(18):
        c = i % 3
        arr = rng.dirichlet(np.ones(4) + 3.0 * (np.arange(4) == c), size=10).astype(np.float32)
        np.save(tmp_path / "f" / f"s{i}.npy", arr)
        lines.append(f"m{i},SNI,{days[c]},f/s{i}.npy")
    (tmp_path / "manifest.csv").write_text("\n".join(lines) + "\n")
    (tmp_path / "painscope.yaml").write_text("")
    config = TrainConfig(**{**TINY, "scheme": "3class", "epochs": 2, "relevance": False})
    assert config.input_transform == "auto"
    run = run_cv(tmp_path, config, progress=False)
    model_cfg = load_checkpoint(next((run / "checkpoints").glob("*.pt")))["model_config"]
    assert model_cfg["input_transform"] == "clr" and 0 < model_cfg["input_eps"] < 0.05
    assert len(pd.read_csv(run_predict(run, tmp_path) / "predictions.csv")) == 18
