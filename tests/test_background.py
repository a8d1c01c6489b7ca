from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from painscope.background.median import MedianAccumulator, foreground, temporal_median
from painscope.io.video import iter_frames
from videos import blob_frames, write_video


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    chunk=st.integers(1, 7),
    seed=st.integers(0, 2**16),
)
def test_median_equals_numpy_bit_for_bit(n, h, w, chunk, seed):
    frames = np.random.default_rng(seed).integers(0, 256, (n, h, w), dtype=np.uint8)
    acc = MedianAccumulator((h, w), chunk_frames=chunk)
    for frame in frames:
        acc.update(frame)
    ours = acc.median()
    reference = np.median(frames, axis=0)
    assert ours.dtype == np.float32
    assert np.array_equal(ours.astype(np.float64), reference)


def test_even_count_gives_half_values():
    frames = np.array([[[10]], [[11]]], dtype=np.uint8)
    assert temporal_median(frames)[0, 0] == 10.5


def test_counters_widen_past_uint16(monkeypatch):
    acc = MedianAccumulator((1, 2), chunk_frames=4)
    assert acc.counts_.dtype == np.uint16
    acc.n_frames_ = np.iinfo(np.uint16).max - 2  # pretend many frames came before
    acc.counts_[:, 7] = np.iinfo(np.uint16).max - 2
    for _ in range(4):
        acc.update(np.array([[7, 9]], dtype=np.uint8))
    acc._flush()
    assert acc.counts_.dtype == np.uint32
    assert acc.counts_[0, 7] == np.iinfo(np.uint16).max + 2


def test_long_hint_uses_uint32():
    assert MedianAccumulator((2, 2), expected_frames=100_000).counts_.dtype == np.uint32


def test_rejects_wrong_frame():
    acc = MedianAccumulator((4, 4))
    with pytest.raises(ValueError, match="uint8"):
        acc.update(np.zeros((4, 5), dtype=np.uint8))


def test_foreground_modes():
    frames = np.array([[[10, 200]]], dtype=np.uint8)  # (1, 1, 2)
    bg = np.array([[100.0, 100.0]], dtype=np.float32)
    assert foreground(frames, bg, "absolute").tolist() == [[[90.0, 100.0]]]
    assert foreground(frames, bg, "positive").tolist() == [[[0.0, 100.0]]]
    assert foreground(frames, bg, "negative").tolist() == [[[90.0, 0.0]]]


def test_median_of_decoded_video_removes_the_moving_blob(tmp_path):
    frames, _ = blob_frames(41, 32, 64)
    path = write_video(tmp_path / "blob.mkv", frames)
    acc = MedianAccumulator((32, 64))
    decoded = []
    for frame in iter_frames(path):
        acc.update(frame.image)
        decoded.append(frame.image)
    median = acc.median()
    assert np.array_equal(median, np.median(np.stack(decoded), axis=0).astype(np.float32))
    # the blob visits each column briefly: the median is the static background
    static = np.random.default_rng(0).integers(20, 120, (32, 64), dtype=np.uint8)
    assert np.array_equal(median, static.astype(np.float32))
    fg = foreground(frames, median)
    blob = frames == 250
    assert np.array_equal(fg[blob], 250.0 - median[np.nonzero(blob)[1:]])
    assert (fg[~blob] == 0).all()


# ------------------------------------------------------------ torch (GPU) histogram


def _torch_median(frames, device, chunk_frames=7):
    from painscope.background.median_torch import TorchMedianAccumulator

    acc = TorchMedianAccumulator(frames.shape[1:3], device=device, chunk_frames=chunk_frames)
    for frame in frames:
        acc.update(frame)
    return acc.median()


@pytest.mark.parametrize("n_frames", [1, 2, 9, 20])  # odd and even counts, partial chunks
def test_torch_histogram_median_is_bit_for_bit_numpy(n_frames, rng):
    frames = rng.integers(0, 256, (n_frames, 13, 17), dtype=np.uint8)
    frames[:, 0, 0] = 255  # extremes of the value range
    frames[:, 0, 1] = 0
    got = _torch_median(frames, "cpu")
    expected = np.median(frames, axis=0).astype(np.float32)
    assert got.dtype == np.float32 and np.array_equal(got, expected)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_torch_histogram_median_on_cuda_is_bit_for_bit_numpy(rng):
    frames = rng.integers(0, 256, (130, 64, 80), dtype=np.uint8)
    assert np.array_equal(
        _torch_median(frames, "cuda", chunk_frames=64), np.median(frames, axis=0).astype(np.float32)
    )
