"""``painscope cv --jobs N``: the same fits in local worker processes, same results."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from painscope.config import ExtractConfig, TrainConfig, config_hash
from painscope.distributed.local_cv import default_jobs, process_map_jobs
from painscope.train import TokenStoreSource, run_cv
from tests.fixtures.tokens import make_token_project


def _square(x: int) -> int:
    if x < 0:
        raise ValueError(f"negative job {x}")
    return x * x


def test_outcomes_come_back_in_job_order():
    assert list(process_map_jobs(_square, [3, 1, 2, 0], workers=2)) == [9, 1, 4, 0]
    assert list(process_map_jobs(_square, [3, 1], workers=1)) == [9, 1]
    assert default_jobs() >= 1


def test_a_failing_job_raises_its_own_error():
    with pytest.raises(ValueError, match="negative job -1"):
        list(process_map_jobs(_square, [1, -1, 2], workers=2))


def test_local_jobs_cv_equals_serial(tmp_path):
    project = make_token_project(tmp_path, np.random.default_rng(0), per_class=8)
    folder = project.features_dir(config_hash(ExtractConfig()))
    config = TrainConfig(
        d_model=16, n_layers=1, d_state=8, n_clips=6, epochs=3, batch_size=4, dropout=0.0,
        n_bootstrap=50, device="cpu", lr=0.01, scheme="3class", relevance=False, n_folds=4,
    )  # fmt: skip
    sources = [TokenStoreSource(folder, "mean"), TokenStoreSource(folder, "block", 1)]
    serial = run_cv(
        project, config, sources, progress=False, name="serial",
        map_jobs=functools.partial(process_map_jobs, workers=1),
    )  # fmt: skip
    parallel = run_cv(
        project, config, sources, progress=False, name="jobs",
        map_jobs=functools.partial(process_map_jobs, workers=2),
    )  # fmt: skip
    pd.testing.assert_frame_equal(
        pd.read_csv(serial / "predictions.csv"), pd.read_csv(parallel / "predictions.csv")
    )
    assert (serial / "metrics.json").read_text() == (parallel / "metrics.json").read_text()
    assert len(list((parallel / "checkpoints").glob("*.pt"))) == 8
