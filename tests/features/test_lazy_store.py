"""Lazily read token views equal the in-memory ones, clip for clip."""

from __future__ import annotations

import numpy as np
import pytest

from painscope.errors import FeatureStoreError
from painscope.features.lazy import LazyTokenSequence, take_clips, tensor_layouts
from painscope.features.store import VideoFeatures, write_features
from painscope.features.views import token_view, tokens_per_clip


@pytest.fixture
def store_file(tmp_path):
    rng = np.random.default_rng(0)
    n, h, w, c = 11, 5, 4, 6
    feats = VideoFeatures(
        tokens=rng.normal(size=(n, h, w, c)).astype(np.float16),
        response=rng.random((n, h, w)).astype(np.float32),
        clips=np.arange(n * 4, dtype=np.float64).reshape(n, 4),
        meta={"video_id": "v"},
    )
    path = tmp_path / "v.safetensors"
    write_features(path, feats)
    return path, feats


def test_layout_matches_written_arrays(store_file):
    path, feats = store_file
    lay = tensor_layouts(path)
    assert lay["tokens"].shape == feats.tokens.shape
    assert lay["tokens"].dtype == np.float16
    assert lay["response"].shape == feats.response.shape


@pytest.mark.parametrize("mode", ["all", "block", "mean"])
@pytest.mark.parametrize("k", [2, 3, 9])
def test_take_clips_equals_token_view(store_file, mode, k):
    path, feats = store_file
    lazy = LazyTokenSequence(path, mode, k)
    full = token_view(feats.tokens, feats.response, mode, k)
    tpc = tokens_per_clip(feats.grid, mode, k)
    assert lazy.tokens_per_clip == tpc
    assert lazy.shape == full.shape
    idx = np.array([7, 0, 0, 10, 3])
    got = lazy.take_clips(idx)
    np.testing.assert_array_equal(got, take_clips(full, idx, tpc))
    assert got.dtype == full.dtype
    np.testing.assert_array_equal(np.asarray(lazy), full)


def test_damaged_file_is_named(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x01\x02")
    with pytest.raises(FeatureStoreError, match=r"bad\.safetensors"):
        LazyTokenSequence(bad)


def test_cv_on_lazy_stores_equals_in_memory(tmp_path):
    """Same folds, seeds and data → identical predictions whether tokens sit in RAM or on disk."""
    import pandas as pd
    import torch

    from painscope.config import ExtractConfig, TrainConfig, config_hash
    from painscope.train import TokenStoreSource, run_cv
    from tests.fixtures.tokens import make_token_project

    torch.set_num_threads(1)
    project = make_token_project(tmp_path, np.random.default_rng(0), per_class=8)
    folder = project.features_dir(config_hash(ExtractConfig()))
    config = TrainConfig(
        d_model=16, n_layers=1, d_state=8, n_clips=6, epochs=3, batch_size=4, dropout=0.0,
        n_bootstrap=50, device="cpu", lr=0.01, scheme="3class", relevance=False, baseline=False, n_folds=4,
    )  # fmt: skip
    runs = [
        run_cv(project, config, [TokenStoreSource(folder, "block", 1, lazy=lazy)], progress=False)
        for lazy in (False, True)
    ]
    eager, lazy = (pd.read_csv(r / "predictions.csv") for r in runs)
    pd.testing.assert_frame_equal(eager, lazy)
