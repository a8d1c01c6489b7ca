"""bench-classifier's projects and references: manifests with traits, the traits reference."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from painscope.bench.classifier import TRAITS, markdown_table, traits_accuracy, truth_project
from painscope.manifest import read_manifest


def _folds(manifest: pd.DataFrame, out: Path) -> Path:
    """Two rounds of mouse-grouped roles: mice split in halves, each half tested once."""
    mice = sorted(manifest["mouse_id"].unique())
    half = set(mice[::2])
    rows = []
    columns = (manifest["features"], manifest["mouse_id"], manifest["condition"])
    for p, m, c in zip(*columns, strict=True):
        first = m in half
        rows.append(
            {
                "video_id": Path(p).stem,
                "label": c,
                "round_0": "test" if first else "train",
                "round_1": "train" if first else "test",
            }
        )
    pd.DataFrame(rows).to_csv(out / "folds.csv", index=False)
    return out


def test_truth_project_writes_traits_and_the_traits_reference_runs(tmp_path: Path) -> None:
    project = tmp_path / "truth"
    truth_project(project, minutes=0.05)
    manifest = pd.read_csv(project / "manifest.csv", dtype=str)
    columns = [f"trait_{k}" for k in TRAITS]
    assert set(columns) <= set(manifest.columns)
    per_mouse = manifest.groupby("mouse_id")[columns].nunique()
    assert (per_mouse == 1).all().all()  # one body per mouse, the same in every video
    assert manifest["trait_size"].astype(float).nunique() > 1
    assert len(read_manifest(project / "manifest.csv")) == len(manifest)  # still a valid manifest
    run = _folds(manifest, tmp_path)
    acc = traits_accuracy(project, run)
    assert acc is not None and 0.0 <= acc <= 1.0

    bare = tmp_path / "bare"
    bare.mkdir()
    manifest.drop(columns=columns).to_csv(bare / "manifest.csv", index=False)
    assert traits_accuracy(bare, run) is None
    row = {
        "case": "x", "scheme": "3class", "reference_logreg_accuracy": 0.5,
        "traits_accuracy": None, "wall_s": 1, "cpu_s": 1,
        "vis4mer": {"accuracy": 0.6, "accuracy_ci": [0.5, 0.7], "macro_f1": np.float64(0.5)},
    }  # fmt: skip
    table = markdown_table([row, {**row, "traits_accuracy": acc}])
    assert "| – |" in table and f"{acc:.3f}" in table
