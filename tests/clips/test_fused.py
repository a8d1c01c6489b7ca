"""The fused background-removal + resize kernel against the torch reference."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from painscope.clips.fused import fused_clip, resize_taps
from painscope.config import config_hash
from painscope.features.extractor import compact_clip

TOLERANCE = 2.5e-7  # float32 rounding of 12-tap sums on the [0, 1] scale (2 ulp at 1.0)


@pytest.mark.parametrize("n_in, n_out", [(1280, 224), (1024, 179), (40, 64), (72, 72), (7, 3)])
def test_taps_are_torch_weights(n_in, n_out):
    import torch.nn.functional as F

    start, count, weight = resize_taps(n_in, n_out)
    x = torch.linspace(0, 1, n_in, dtype=torch.float64)
    ours = [float((x[s : s + c] * torch.from_numpy(weight[i, :c]).double()).sum())
            for i, (s, c) in enumerate(zip(start, count, strict=True))]  # fmt: skip
    theirs = F.interpolate(x.view(1, 1, 1, -1), size=(1, n_out), mode="bilinear",
                           antialias=True)[0, 0, 0]  # fmt: skip
    assert np.allclose(ours, theirs.numpy(), atol=1e-6)
    assert np.allclose(weight.sum(axis=1), 1.0, atol=1e-5)


@pytest.mark.parametrize("difference", ["absolute", "positive", "negative"])
@pytest.mark.parametrize("resize", ["pad", "fit", "stretch"])
@pytest.mark.parametrize("shape", [(40, 72), (96, 80)])
def test_fused_matches_torch_path(tiny_config, rng, difference, resize, shape):
    fused = dataclasses.replace(tiny_config, difference=difference, resize=resize)
    reference = dataclasses.replace(fused, preprocess="torch")
    frames = list(rng.integers(0, 256, (4, *shape), dtype=np.uint8))
    background = rng.uniform(0, 255, shape).astype(np.float32)
    got = compact_clip(frames, background, fused)
    want = compact_clip(frames, background, reference)
    assert got.shape == want.shape and got.dtype == np.float32
    assert np.abs(got - want).max() <= TOLERANCE
    rgb = list(rng.integers(0, 256, (3, *shape, 3), dtype=np.uint8))
    got, want = compact_clip(rgb, None, fused), compact_clip(rgb, None, reference)
    assert got.shape == want.shape == (3, 3, *want.shape[2:])
    assert np.abs(got - want).max() <= TOLERANCE


def test_fused_full_size_frame_and_padding(rng):
    frames = list(rng.integers(0, 256, (2, 1024, 1280), dtype=np.uint8))
    background = rng.uniform(0, 255, (1024, 1280)).astype(np.float32)
    out = fused_clip(frames, background, "absolute", (179, 224), (224, 224))
    top = (224 - 179) // 2
    assert out.shape == (1, 2, 224, 224)
    assert not out[:, :, :top].any() and not out[:, :, top + 179 :].any()  # black padding
    x = torch.from_numpy(np.stack(frames)).float().sub_(torch.from_numpy(background)).abs_()
    x = torch.nn.functional.interpolate(x.div_(255.0)[:, None], size=(179, 224),
                                        mode="bilinear", antialias=True).clamp_(0, 1)  # fmt: skip
    assert np.abs(out[0, :, top : top + 179] - x[:, 0].numpy()).max() <= TOLERANCE


def test_preprocess_is_a_hashed_setting(tiny_config):
    """Token stores of the two paths never mix: the setting keys the store folder."""
    torch_store = config_hash(dataclasses.replace(tiny_config, preprocess="torch"))
    assert torch_store != config_hash(tiny_config)


def _reference_sums(frames, background, difference, scaled):
    """The fused kernel's arithmetic in numpy, one float32 operation at a time, in its
    order: per output, the first tap's product, then each further tap's added in turn."""
    (sh, sw), (height, width) = scaled, frames[0].shape
    hs, hn, hw = resize_taps(width, sw)
    vs, vn, vw = resize_taps(height, sh)
    out = []
    for frame in frames:
        d = frame.astype(np.float32) - background
        d = {"absolute": np.abs(d), "positive": np.maximum(d, np.float32(0)),
             "negative": np.maximum(-d, np.float32(0))}[difference] / np.float32(255)  # fmt: skip
        tmp = d[:, hs] * hw[:, 0]  # (H, sw)
        for j in range(1, hw.shape[1]):
            use = j < hn  # (sw,) outputs with a j-th tap
            tmp[:, use] += d[:, hs[use] + j] * hw[use, j]
        col = tmp[vs] * vw[:, :1]  # (sh, sw)
        for j in range(1, vw.shape[1]):
            use = j < vn
            col[use] += tmp[vs[use] + j] * vw[use, j : j + 1]
        out.append(np.clip(col, 0, 1))
    return np.stack(out)


@pytest.mark.parametrize("difference", ["absolute", "positive", "negative"])
@pytest.mark.parametrize(("shape", "scaled"), [((1024, 1280), (179, 224)), ((37, 53), (29, 41))])
def test_fused_kernel_rounds_like_sequential_float32_sums(rng, difference, shape, scaled):
    """Bit for bit: filtering several rows at once must not change any sum's order (token
    stores made before and after stay identical). 37 rows: the last ones one at a time."""
    frames = list(rng.integers(0, 256, (2, *shape), dtype=np.uint8))
    background = rng.uniform(0, 255, shape).astype(np.float32)
    got = fused_clip(frames, background, difference, scaled, scaled)[0]
    want = _reference_sums(frames, background, difference, scaled)
    assert np.array_equal(got.view(np.uint32), want.view(np.uint32))
