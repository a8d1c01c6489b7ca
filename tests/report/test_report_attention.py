"""Grad-CAM attention maps on a tiny torchvision SwinTransformer3d."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torchvision.models.video.swin_transformer import SwinTransformer3d

from painscope.report.attention import explain_clip, grad_cam, grad_cam_tokens
from tests.fixtures.report import tiny_swin

SIZE = 128  # 4 × 4 token grid (32 px per token)
T = 8


@pytest.fixture(scope="module")
def model() -> SwinTransformer3d:
    return tiny_swin(num_classes=10)


def blob_frames(cy: int, cx: int) -> np.ndarray:
    """uint8 (T, SIZE, SIZE, 3): a bright disc (radius 12) moving 2 px right per frame."""
    yy, xx = np.mgrid[:SIZE, :SIZE]
    frames = np.zeros((T, SIZE, SIZE, 3), dtype=np.uint8)
    for t in range(T):
        frames[t][(yy - cy) ** 2 + (xx - cx - 2 * t) ** 2 < 12**2] = 255
    return frames


def as_clip(frames: np.ndarray) -> torch.Tensor:
    x = torch.from_numpy(frames).float().div(255).permute(3, 0, 1, 2)  # (3, T, H, W)
    return (x - 0.45) / 0.225


@pytest.mark.parametrize(("cy", "cx"), [(24, 24), (90, 40), (40, 100)])
def test_contrast_map_peaks_on_the_moving_blob(model: SwinTransformer3d, cy: int, cx: int) -> None:
    frames = blob_frames(cy, cx)
    heat = grad_cam(model, as_clip(frames))
    assert heat.shape == (SIZE, SIZE)
    assert np.isfinite(heat).all() and heat.min() >= 0 and heat.max() == pytest.approx(1.0)
    on_blob = frames.max(axis=0)[..., 0] > 0  # pixels the blob touches in any frame
    assert heat[on_blob].mean() > 2 * heat[~on_blob].mean()
    cam = grad_cam_tokens(model, as_clip(frames))
    assert cam.shape == (4, 4)
    assert np.unravel_index(cam.argmax(), cam.shape)[0] == cy // 32


def test_map_moves_with_the_blob(model: SwinTransformer3d) -> None:
    a = grad_cam(model, as_clip(blob_frames(24, 24)))
    b = grad_cam(model, as_clip(blob_frames(90, 70)))
    assert np.abs(a - b).mean() > 0.05


@pytest.mark.parametrize("target", ["norm", 3])
def test_other_targets_are_finite_and_nonnegative(
    model: SwinTransformer3d, target: str | int
) -> None:
    heat = grad_cam(model, as_clip(blob_frames(60, 60)), target=target, size=(64, 80))
    assert heat.shape == (64, 80)
    assert np.isfinite(heat).all() and heat.min() >= 0 and heat.max() <= 1


def test_bad_target_and_shape(model: SwinTransformer3d) -> None:
    clip = as_clip(blob_frames(60, 60))
    with pytest.raises(ValueError, match="outside"):
        grad_cam(model, clip, target=10)
    with pytest.raises(ValueError, match="unknown"):
        grad_cam(model, clip, target="max")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="clip must be"):
        grad_cam(model, clip[0])


def test_grad_cam_keeps_the_model_mode_and_weights(model: SwinTransformer3d) -> None:
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    grad_cam(model, as_clip(blob_frames(60, 60)))
    assert model.training
    model.eval()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_explain_clip_writes_the_figure(model: SwinTransformer3d, tmp_path: Path) -> None:
    frames = blob_frames(40, 40)
    raw = frames.copy()
    raw[..., 1] = np.maximum(raw[..., 1], 90)  # a green floor the background removal drops
    paths = explain_clip(model, as_clip(frames), raw, frames, (0, 0, 2), tmp_path, name="clip7")
    assert [p.name for p in paths] == ["clip7.png", "clip7.svg", "clip7_heatmap.npy"]
    assert paths[0].read_bytes()[:4] == b"\x89PNG" and paths[0].stat().st_size > 5000
    assert np.load(paths[2]).shape == (4, 4)
