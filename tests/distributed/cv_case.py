"""One small CV case run twice — serially and through a parallel runner — and compared.

Shared by the ``cv --ray`` and ``cv --jobs`` tests: the same token project, settings and
two methods, and the same check that the run folders agree byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from painscope.config import ExtractConfig, TrainConfig, config_hash
from painscope.train import TokenStoreSource, run_cv
from painscope.train.cv import MapJobs
from tests.fixtures.tokens import make_token_project


def assert_parallel_cv_equals_serial(
    tmp_path: Path, parallel: MapJobs, *, serial: MapJobs = map, name: str = "parallel"
) -> None:
    """2 methods x 4 folds through ``serial`` and ``parallel``: identical predictions,
    metrics.json and one checkpoint per (method, scheme, fold)."""
    project = make_token_project(tmp_path, np.random.default_rng(0), per_class=8)
    folder = project.features_dir(config_hash(ExtractConfig()))
    config = TrainConfig(
        d_model=16, n_layers=1, d_state=8, n_clips=6, epochs=3, batch_size=4, dropout=0.0,
        n_bootstrap=50, device="cpu", lr=0.01, scheme="3class", relevance=False, n_folds=4,
    )  # fmt: skip
    sources = [TokenStoreSource(folder, "mean"), TokenStoreSource(folder, "block", 1)]
    one = run_cv(project, config, sources, progress=False, name="serial", map_jobs=serial)
    two = run_cv(project, config, sources, progress=False, name=name, map_jobs=parallel)
    pd.testing.assert_frame_equal(
        pd.read_csv(one / "predictions.csv"), pd.read_csv(two / "predictions.csv")
    )
    assert (one / "metrics.json").read_text() == (two / "metrics.json").read_text()
    assert len(list((two / "checkpoints").glob("*.pt"))) == 8
