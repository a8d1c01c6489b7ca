"""``painscope cv --ray``: the same fits as Ray tasks on a local 2-CPU cluster, same results."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from painscope.config import ExtractConfig, TrainConfig, config_hash
from painscope.train import TokenStoreSource, run_cv
from tests.fixtures.tokens import make_token_project

ray = pytest.importorskip("ray")


def test_ray_cv_equals_serial(tmp_path, local_ray):
    import torch

    from painscope.distributed.ray_cv import ray_map_jobs

    torch.set_num_threads(1)  # the tasks' thread count (one CPU each)
    project = make_token_project(tmp_path, np.random.default_rng(0), per_class=8)
    folder = project.features_dir(config_hash(ExtractConfig()))
    config = TrainConfig(
        d_model=16, n_layers=1, d_state=8, n_clips=6, epochs=3, batch_size=4, dropout=0.0,
        n_bootstrap=50, device="cpu", lr=0.01, scheme="3class", relevance=False, n_folds=4,
    )  # fmt: skip
    sources = [TokenStoreSource(folder, "mean"), TokenStoreSource(folder, "block", 1)]
    serial = run_cv(project, config, sources, progress=False, name="serial")
    parallel = run_cv(
        project, config, sources, progress=False, name="ray",
        map_jobs=functools.partial(ray_map_jobs, address="auto"),
    )  # fmt: skip
    pd.testing.assert_frame_equal(
        pd.read_csv(serial / "predictions.csv"), pd.read_csv(parallel / "predictions.csv")
    )
    assert (serial / "metrics.json").read_text() == (parallel / "metrics.json").read_text()
    assert len(list((parallel / "checkpoints").glob("*.pt"))) == 8
