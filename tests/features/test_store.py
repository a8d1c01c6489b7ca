from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from painscope.errors import FeatureStoreError
from painscope.features.store import VideoFeatures, read_features, read_meta, write_features
from painscope.features.views import block_positions, token_view, tokens_per_clip


def make(rng, n=5, h=7, w=7, c=8):
    return VideoFeatures(
        tokens=rng.standard_normal((n, h, w, c)).astype(np.float16),
        response=rng.random((n, h, w)).astype(np.float32),
        clips=np.tile(np.array([[0, 45, 0.0, 1.5]]), (n, 1)),
        meta={"video": "v.mp4", "n_clips": n},
    )


def test_roundtrip(tmp_path, rng):
    features = make(rng)
    path = tmp_path / "v.safetensors"
    write_features(path, features)
    back = read_features(path)
    assert np.array_equal(back.tokens, features.tokens) and back.tokens.dtype == np.float16
    assert np.array_equal(back.response, features.response)
    assert np.array_equal(back.clips, features.clips)
    assert back.meta["video"] == "v.mp4" and back.meta["format_version"] == 1
    assert read_meta(path)["n_clips"] == 5
    assert (tmp_path / "v.json").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp")] == []


def test_refuses_nan(tmp_path, rng):
    features = make(rng)
    features.tokens[0, 0, 0, 0] = np.nan
    with pytest.raises(FeatureStoreError, match="non-finite"):
        write_features(tmp_path / "v.safetensors", features)
    assert not (tmp_path / "v.safetensors").exists()


def test_corrupt_and_missing_files(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x00" * 20)
    with pytest.raises(FeatureStoreError, match=r"(?s)unreadable.*painscope extract"):
        read_features(bad)
    with pytest.raises(FeatureStoreError, match="not found"):
        read_meta(tmp_path / "none.safetensors")


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(1, 4),
    h=st.integers(1, 8),
    w=st.integers(1, 9),
    k=st.integers(1, 10),
    seed=st.integers(0, 999),
)
def test_block_positions_match_brute_force(n, h, w, k, seed):
    response = np.random.default_rng(seed).random((n, h, w)).astype(np.float32)
    pos = block_positions(response, k)
    kh, kw = min(k, h), min(k, w)
    for i in range(n):
        sums = np.array(
            [
                [response[i, r : r + kh, c : c + kw].sum() for c in range(w - kw + 1)]
                for r in range(h - kh + 1)
            ]
        )
        r, c = np.unravel_index(sums.argmax(), sums.shape)
        assert np.isclose(sums[tuple(pos[i])], sums[r, c], rtol=1e-6)
        assert 0 <= pos[i, 0] <= h - kh and 0 <= pos[i, 1] <= w - kw


def test_views(rng):
    f = make(rng, n=3, h=7, w=7, c=4)
    response = np.zeros((3, 7, 7), dtype=np.float32)
    response[0, 5:, 5:] = 1.0  # bottom-right corner → block clamped at (4, 4)
    response[1, 0, 0] = 1.0
    response[2, 3, 3] = 1.0
    assert token_view(f.tokens, mode="all").shape == (147, 4)
    assert np.array_equal(token_view(f.tokens, mode="all")[49], f.tokens[1, 0, 0])
    block = token_view(f.tokens, response, mode="block", k=3)
    assert block.shape == (27, 4)
    assert np.array_equal(block[:9].reshape(3, 3, 4), f.tokens[0, 4:7, 4:7])
    assert np.array_equal(block[9:18].reshape(3, 3, 4), f.tokens[1, 0:3, 0:3])
    assert np.array_equal(block[18:].reshape(3, 3, 4), f.tokens[2, 1:4, 1:4])
    mean = token_view(f.tokens, mode="mean")
    assert mean.shape == (3, 4)
    assert np.allclose(mean, f.tokens.astype(np.float32).mean(axis=(1, 2)), atol=1e-2)
    assert tokens_per_clip((7, 14), "all") == 98 and tokens_per_clip((7, 7), "block", 9) == 49
