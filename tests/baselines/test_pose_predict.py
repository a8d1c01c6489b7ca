"""The pose baseline after CV: its fitted motifs are saved, so predict / drugtest can use it."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from painscope.baselines.fitted import read_fitted_pose
from painscope.baselines.sequences import PoseMotifSource
from painscope.config.pose import PoseConfig
from painscope.config.train import TrainConfig
from painscope.errors import PainscopeError
from painscope.manifest import read_manifest
from painscope.train.cv import run_cv
from painscope.train.predict import apply_run, run_checkpoints, run_drugtest
from painscope.train.sources import source_from_spec
from tests.fixtures.pose import make_project

TINY = {
    "d_model": 16, "n_layers": 1, "d_state": 8, "n_clips": 8, "epochs": 3, "batch_size": 8,
    "dropout": 0.0, "n_bootstrap": 50, "device": "cpu", "lr": 0.01, "scheme": "3class",
    "n_folds": 4, "baseline": False, "relevance": False, "ensemble": 1,
}  # fmt: skip


@pytest.fixture(scope="module")
def pose_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("pose_predict")
    make_project(root, n_videos=8, seconds=12.0, fps=30.0)
    manifest = pd.read_csv(root / "manifest.csv")
    treated = manifest.iloc[:2].copy()
    for i, row in treated.iterrows():  # two treated videos: copies of training pose files
        new = f"pose/t{i}DLC_sim.csv"
        shutil.copy(root / row["pose"], root / new)
        treated.loc[i, ["video", "mouse_id", "pose"]] = [f"videos/t{i}.mp4", f"t{i}", new]
    treated["group"] = "GBA"
    pd.concat([manifest.assign(group=""), treated]).to_csv(root / "manifest.csv", index=False)
    (root / "painscope.yaml").write_text("")
    pose = PoseConfig(embedding="pca")
    run = run_cv(
        root, TrainConfig(**TINY), [PoseMotifSource(root, pose, clip_seconds=1.5)], progress=False
    )
    return root, run


def test_cv_saves_each_rounds_fitted_motifs(pose_run: tuple[Path, Path]) -> None:
    root, run = pose_run
    fitted = sorted(p.name for p in (run / "checkpoints").glob("*.joblib"))
    assert fitted == [f"pose_fitted_fold{i}.joblib" for i in range(4)]
    ckpts = run_checkpoints(run)[("pose", "3class")]
    assert [c["source"]["fitted"] for c in ckpts] == [
        f"checkpoints/pose_fitted_fold{i}.joblib" for i in range(4)
    ]
    source = source_from_spec(ckpts[1]["source"], root, run)
    assert isinstance(source, PoseMotifSource) and source.n_motifs >= 2


def test_rebuilt_source_reproduces_the_cv_predictions(pose_run: tuple[Path, Path]) -> None:
    """Each fold model, given its own round's motifs, predicts its test videos as in CV."""
    root, run = pose_run
    preds = pd.read_csv(run / "predictions.csv")
    entries = {e.video_id: e for e in read_manifest(root / "manifest.csv", check_files=False)}
    ckpts = run_checkpoints(run)[("pose", "3class")]
    for ckpt in ckpts[:2]:
        fold = int(ckpt["fold"])
        mine = preds[(preds["method"] == "pose") & (preds["fold"].astype(str) == str(fold))]
        videos = [entries[v] for v in mine["video_id"]]
        rows = apply_run(run, root, videos, checkpoints={("pose", "3class"): [ckpt]})
        got = pd.DataFrame(rows)
        cols = [c for c in got.columns if c.startswith("prob_")]
        np.testing.assert_allclose(got[cols].to_numpy(float), mine[cols].to_numpy(float), atol=1e-5)


def test_drugtest_includes_the_pose_method(pose_run: tuple[Path, Path]) -> None:
    root, run = pose_run
    out = run_drugtest(run, root)
    table = pd.read_csv(out / "predictions.csv")
    assert set(table["method"]) == {"pose"}
    treated = [
        e.video_id for e in read_manifest(root / "manifest.csv", check_files=False) if e.group
    ]
    assert sorted(table["video_id"]) == sorted(treated) and len(treated) == 2


def test_missing_or_foreign_fitted_file_is_a_clear_error(
    pose_run: tuple[Path, Path], tmp_path: Path
) -> None:
    root, run = pose_run
    with pytest.raises(PainscopeError, match="fitted pose motifs not found"):
        read_fitted_pose(tmp_path / "none.joblib", root)
    bad = tmp_path / "bad.joblib"
    bad.write_bytes(b"not a pickle")
    with pytest.raises(PainscopeError, match="not a fitted pose baseline"):
        read_fitted_pose(bad, root)
    spec = {"kind": "pose", "name": "pose", "clip_seconds": 1.5}  # a run from before
    with pytest.raises(PainscopeError, match="no fitted pose motifs"):
        source_from_spec(spec, root, run)
