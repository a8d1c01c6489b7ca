from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from painscope.background.median import MedianAccumulator, foreground, temporal_median
from painscope.io.video import iter_frames
from tests.fixtures.videos import blob_frames, write_video


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 40),
    h=st.integers(1, 9),
    w=st.integers(1, 9),
    chunk=st.integers(1, 7),
    seed=st.integers(0, 2**16),
    path=st.sampled_from(
        [("numba", True, 1), ("numba", True, 2), ("numba", False, 1), ("numpy", False, 1)]
    ),
)
def test_median_equals_numpy_bit_for_bit(n, h, w, chunk, seed, path):
    frames = np.random.default_rng(seed).integers(0, 256, (n, h, w), dtype=np.uint8)
    acc = MedianAccumulator((h, w), chunk_frames=chunk, backend=path[0], overlap=path[1],
                            count_threads=path[2])  # fmt: skip
    for frame in frames:
        acc.update(frame)
    ours = acc.median()
    reference = np.median(frames, axis=0)
    assert ours.dtype == np.float32
    assert np.array_equal(ours.astype(np.float64), reference)


def test_even_count_gives_half_values():
    frames = np.array([[[10]], [[11]]], dtype=np.uint8)
    assert temporal_median(frames)[0, 0] == 10.5


@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_counters_widen_past_uint16(backend):
    acc = MedianAccumulator((1, 2), chunk_frames=4, backend=backend)
    assert acc.counts_.dtype == np.uint16
    acc.n_frames_ = np.iinfo(np.uint16).max - 2  # pretend many frames came before
    acc.counts_[:, 7] = np.iinfo(np.uint16).max - 2
    for _ in range(4):
        acc.update(np.array([[7, 9]], dtype=np.uint8))
    acc._flush()
    assert acc.counts_.dtype == np.uint32
    assert acc.counts_[0, 7] == np.iinfo(np.uint16).max + 2


# ------------------------------------------------------------ chunk and tile boundaries

PATHS = [("numba", True), ("numba", False), ("numpy", False)]


def _median(frames, backend, overlap, chunk_frames):
    acc = MedianAccumulator(
        frames.shape[1:3], chunk_frames=chunk_frames, backend=backend, overlap=overlap
    )
    for frame in frames:
        acc.update(frame)
    return acc


@pytest.mark.parametrize(("backend", "overlap"), PATHS)
@pytest.mark.parametrize("n_frames", [1, 2, 3, 4, 5, 8, 9, 130])  # chunk 4: partial, exact
@pytest.mark.parametrize("shape", [(1, 1), (3, 37), (33, 1), (7, 65)])  # not multiples of 32
def test_chunk_and_tile_boundaries(backend, overlap, n_frames, shape, rng):
    frames = rng.integers(0, 256, (n_frames, *shape), dtype=np.uint8)
    frames[:, 0, 0] = 0  # both extremes of the value range
    frames[:, -1, -1] = 255
    acc = _median(frames, backend, overlap, chunk_frames=4)
    got = acc.median()
    assert got.dtype == np.float32 and got.shape == shape
    assert np.array_equal(got, np.median(frames, axis=0).astype(np.float32))
    assert acc.n_frames_ == n_frames and int(acc.counts_.sum()) == n_frames * shape[0] * shape[1]
    assert got[-1, -1] == 255.0 and (got[0, 0] == 0.0 or shape == (1, 1))


@pytest.mark.parametrize(("backend", "overlap"), PATHS)
def test_constant_video_and_two_frame_halves(backend, overlap):
    constant = np.full((70, 5, 40), 77, dtype=np.uint8)
    assert (_median(constant, backend, overlap, 64).median() == 77.0).all()
    two = np.stack([np.zeros((3, 33), np.uint8), np.full((3, 33), 255, np.uint8)])
    assert (_median(two, backend, overlap, 64).median() == 127.5).all()


@pytest.mark.parametrize("count_threads", [2, 3, 5])
def test_counting_threads_split_the_strips_exactly(count_threads, rng):
    frames = rng.integers(0, 256, (9, 70, 300), dtype=np.uint8)  # 21,000 px: 3 strips
    frames[:, -1, -1] = 255
    acc = MedianAccumulator((70, 300), chunk_frames=4, backend="numba", overlap=True,
                            count_threads=count_threads)  # fmt: skip
    for frame in frames:
        acc.update(frame)
    assert np.array_equal(acc.median(), np.median(frames, axis=0).astype(np.float32))
    assert int(acc.counts_.sum()) == frames.size


@pytest.mark.parametrize("shape", [(91, 97), (64, 256), (3, 8193)])  # strips of 8192 pixels
def test_strip_boundaries(shape, rng):
    from painscope.background.kernels import STRIP, strips_shape

    frames = rng.integers(0, 256, (7, *shape), dtype=np.uint8)
    frames[:, -1, -1] = 255  # the last pixel, in the (partial) last strip
    acc = _median(frames, "numba", True, 3)
    assert acc._buffers[0].shape == strips_shape(shape[0] * shape[1], 3)
    assert acc._buffers[0].shape[0] == -(-shape[0] * shape[1] // STRIP) >= 2
    assert np.array_equal(acc.median(), np.median(frames, axis=0).astype(np.float32))


def test_numba_and_numpy_counts_agree(rng):
    frames = rng.integers(0, 256, (100, 19, 45), dtype=np.uint8)
    fast = _median(frames, "numba", True, 32)
    ref = _median(frames, "numpy", False, 32)
    fast._flush()
    ref._flush()
    assert fast.counts_.dtype == ref.counts_.dtype == np.uint16
    assert np.array_equal(fast.counts_, ref.counts_)
    assert np.array_equal(fast.median(), ref.median())


def test_median_can_be_read_mid_stream_and_continued(rng):
    frames = rng.integers(0, 256, (11, 4, 35), dtype=np.uint8)
    acc = _median(frames[:6], "numba", True, 4)
    assert np.array_equal(acc.median(), np.median(frames[:6], axis=0).astype(np.float32))
    for frame in frames[6:]:
        acc.update(frame)
    assert np.array_equal(acc.median(), np.median(frames, axis=0).astype(np.float32))


def test_auto_falls_back_to_numpy_without_numba(monkeypatch):
    import painscope.background.median as median_module

    default = MedianAccumulator((2, 2))
    assert default.backend == "numba" and len(default._buffers) == 2  # numba is a dependency
    monkeypatch.setattr(median_module, "numba_available", lambda: False)
    acc = MedianAccumulator((2, 2))
    assert acc.backend == "numpy" and len(acc._buffers) == 1


def test_worker_error_reaches_the_caller(monkeypatch):
    from painscope.background import kernels

    def broken(chunk, n, n_pixels, counts, g0=0, g1=-1):
        raise RuntimeError("boom")

    acc = MedianAccumulator((2, 3), chunk_frames=2, backend="numba", overlap=True)
    monkeypatch.setattr(kernels, "add_chunk", broken)
    acc.update(np.zeros((2, 3), np.uint8))
    acc.update(np.zeros((2, 3), np.uint8))  # chunk full: added in the worker, which fails
    with pytest.raises(RuntimeError, match="boom"):
        acc.median()


def test_rejects_bad_settings():
    with pytest.raises(ValueError, match="backend"):
        MedianAccumulator((2, 2), backend="cuda")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="chunk_frames"):
        MedianAccumulator((2, 2), chunk_frames=0)


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


# ------------------------------------------------------------ bench


def test_bench_median_rows(tmp_path):
    from painscope.bench.median import VARIANTS, bench_median, markdown

    frames, _ = blob_frames(70, 24, 40)
    path = write_video(tmp_path / "blob.mkv", frames)
    rows = bench_median(path, repeats=1, old_frames=30)
    fresh, rows = rows[len(VARIANTS) :], rows[: len(VARIANTS)]
    assert [r["name"] for r in rows] == list(VARIANTS)
    assert [r["name"] for r in fresh] == ["fresh pages", "fresh numpy"]
    assert all(r["frames"] == 70 and r["vs_decode"] > 0 for r in fresh)
    assert "| numba (default), fresh process (40x24, 70 frames) |" in markdown(fresh)
    by_name = {r["name"]: r for r in rows}
    assert by_name["decode"]["vs_decode"] == 1.0 and by_name["decode"]["frames"] == 70
    assert by_name["numpy (old)"]["frames"] == 30
    assert all(r["value"] > 0 and r["cpu_vs_decode"] > 0 for r in rows)
    assert by_name["numba (default)"]["memory_mib"] > by_name["numba, one thread"]["memory_mib"]
    assert markdown(rows).count("\n") == len(rows) + 1


# ------------------------------------------------------------ background_frames (subsample)


def test_sample_indices_are_even_and_distinct():
    from painscope.background.subsample import n_sampled, sample_indices, sample_mask

    assert sample_indices(10, 5).tolist() == [1, 3, 5, 7, 9]
    assert sample_indices(9000, 300)[:3].tolist() == [15, 45, 75]
    idx = sample_indices(2330, 999)
    assert len(np.unique(idx)) == 999 and idx.min() >= 0 and idx.max() < 2330
    assert sample_indices(5, 0).tolist() == sample_indices(5, 9).tolist() == [0, 1, 2, 3, 4]
    assert (
        sample_mask(100, 0) is None and sample_mask(0, 30) is None and sample_mask(10, 10) is None
    )
    mask = sample_mask(100, 7)
    assert mask is not None and mask.sum() == 7 == n_sampled(100, 7)
    assert n_sampled(0, 30) == 0 and n_sampled(20, 30) == 20 and n_sampled(20, 0) == 20
    with pytest.raises(ValueError):
        sample_indices(10, -1)


def test_subsampled_median_is_the_exact_median_of_the_sample(rng):
    from painscope.background.subsample import sample_indices, sample_mask

    frames = rng.integers(0, 256, (50, 6, 7), dtype=np.uint8)
    mask = sample_mask(50, 12)
    acc = MedianAccumulator((6, 7), expected_frames=12)
    for i, frame in enumerate(frames):
        if mask is None or mask[i]:
            acc.update(frame)
    expected = np.median(frames[sample_indices(50, 12)], axis=0).astype(np.float32)
    assert np.array_equal(acc.median(), expected) and acc.n_frames_ == 12


def test_background_frames_setting():
    from painscope.config.extract import ExtractConfig
    from painscope.errors import ConfigError

    assert ExtractConfig().background_frames == 0  # exact by default
    assert ExtractConfig(background_frames=300).background_frames == 300
    with pytest.raises(ConfigError, match="background_frames"):
        ExtractConfig(background_frames=-1)


def test_bench_median_cli(tmp_path):
    import json

    from typer.testing import CliRunner

    from painscope.cli import app

    frames, _ = blob_frames(40, 16, 32)
    path = write_video(tmp_path / "blob.mkv", frames)
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        app, ["bench", "median", "--video", str(path), "--repeats", "1", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())["results"]
    assert {r["bench"] for r in rows} == {"median"} and len(rows) == 6 + 2  # + 2 in fresh processes
    assert "| numba (default) (32x16, 40 frames) |" in result.output


def test_background_frames_counts_only_the_sampled_frames(tmp_path):
    """``background_frames: N`` = the exact median of N evenly spaced frames; the cache keeps
    the exact and the sampled medians apart."""
    import torch

    from painscope.background.stage import video_background
    from painscope.background.subsample import sample_indices
    from painscope.io.video import iter_frames, probe
    from tests.fixtures.videos import blob_frames, write_video

    frames, _ = blob_frames(40, 32, 48, seed=3)
    video = write_video(tmp_path / "v.mkv", frames, fps=20)
    info = probe(video)
    gray = np.stack([f.image for f in iter_frames(video, color="gray")])  # (T, H, W)
    cpu = torch.device("cpu")
    kwargs = {"cache_dir": tmp_path / "bg", "video_id": "v", "device": cpu}
    sampled = video_background(video, info, "h", background_frames=7, **kwargs)
    want = np.median(gray[sample_indices(len(gray), 7)], axis=0).astype(np.float32)
    np.testing.assert_array_equal(sampled.median, want)
    assert sampled.n_frames == len(gray)  # every frame decoded (truncation check)
    exact = video_background(video, info, "h", **kwargs)  # not the sampled cache
    np.testing.assert_array_equal(exact.median, np.median(gray, axis=0).astype(np.float32))


def test_counters_mapped_in_a_thread_raise_their_error_in_the_caller(monkeypatch):
    """The counters are mapped beside the first chunk's decode; no memory for them is an
    error of the accumulator's caller, not a dead thread."""
    from painscope.io import pages

    real = pages.zeros

    def no_memory(shape, dtype):  # the (P, 256) counters fail, the chunk buffer does not
        if shape[-1] == 256:
            raise MemoryError("no room for the counters")
        return real(shape, dtype)

    monkeypatch.setattr(pages, "zeros", no_memory)
    acc = MedianAccumulator((8, 8), chunk_frames=2, backend="numba", overlap=True)
    acc.update(np.zeros((8, 8), np.uint8))
    with pytest.raises(MemoryError, match="counters"):
        acc.update(np.zeros((8, 8), np.uint8))  # the first full chunk needs the counters
    with pytest.raises(MemoryError):
        acc.median()
