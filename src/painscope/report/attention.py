"""Attention maps of the Video Swin backbone (paper Figs. 6–8): which pixels drive the tokens.

Works on any torchvision ``SwinTransformer3d``. The layer explained is the last-stage
token map after the final LayerNorm — the tokens painscope stores::

    A = norm(features(pos_drop(patch_embed(x))))      # (B, T', h, w, C), channels-last

Targets
-------
``"contrast"`` (default, class-agnostic)
    S = Σ_ij ‖m_ij − m̄‖², the spatial contrast of the time-averaged token map
    m = mean_t A (m̄ = its mean token). An empty cage gives a uniform map; a moving
    mouse makes it vary, so S measures "how much is going on, and where". It is the
    quantity the feature-space mask ranks blocks by (``ExtractConfig.response =
    contrast``), so the heat map and the mask block answer the same question.
    S is invariant to adding one vector to every token, so Grad-CAM's channel weights
    (gradients averaged over space) are exactly zero for it; the map is therefore
    the token-wise product of gradient and activation (HiResCAM, Draelos & Carin 2020),
    the activation taken relative to the grid's mean token Ā_t (uncentred, the constant
    part dominates and the mouse's tokens come out negative, i.e. zero after the ReLU):
    ``cam_ij = ReLU(mean_t Σ_c ∂S/∂A_tijc · (A_tijc − Ā_tc))`` = 2‖m_ij − m̄‖².
``"norm"`` (class-agnostic)
    S = ‖m‖₂, the L2 norm of the time-averaged token map, with Grad-CAM weights. After
    LayerNorm every token has about the same norm, so this map follows how *typical*
    a token is — it tends to light up the background; kept for comparison.
``int`` k (class)
    S = logit k of the model's Kinetics head (mean-pooled tokens → ``head``): Grad-CAM
    as in the paper (Selvaraju et al. 2017): α_c = mean_tij ∂S/∂A_tijc,
    ``cam_ij = ReLU(mean_t Σ_c α_c A_tijc)``.

The token-grid map (h, w) is upsampled bilinearly to the frame and scaled to [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np

if TYPE_CHECKING:
    import torch
    from matplotlib.figure import Figure
    from torch import nn

Target = Literal["contrast", "norm"] | int


def token_map(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Last-stage tokens after the final LayerNorm: (B, 3, T, H, W) → (B, T', h, w, C)."""
    tokens = model.patch_embed(x)  # (B, T/2, H/4, W/4, C0)
    tokens = model.pos_drop(tokens)
    tokens = model.features(tokens)  # (B, T', h, w, C)
    return model.norm(tokens)


def _as_batch(clip: torch.Tensor) -> torch.Tensor:
    import torch

    x = torch.as_tensor(clip)
    if x.ndim == 4:
        x = x[None]
    if x.ndim != 5 or x.shape[1] != 3:
        raise ValueError(f"clip must be (3, T, H, W) or (1, 3, T, H, W), got {tuple(x.shape)}")
    return x.detach().float()


def _score(model: nn.Module, tokens: torch.Tensor, target: Target) -> torch.Tensor:
    m = tokens.mean(dim=1)  # (B, h, w, C): time-averaged token map
    if target == "contrast":
        return ((m - m.mean(dim=(1, 2), keepdim=True)) ** 2).sum()
    if target == "norm":
        return m.norm()
    if isinstance(target, int) and not isinstance(target, bool):
        pooled = model.avgpool(tokens.permute(0, 4, 1, 2, 3)).flatten(1)  # (B, C)
        logits = model.head(pooled)  # (B, n_classes)
        if not 0 <= target < logits.shape[1]:
            raise ValueError(f"class {target} outside the head's {logits.shape[1]} classes")
        return logits[:, target].sum()
    raise ValueError(f"unknown Grad-CAM target {target!r}; use 'contrast', 'norm' or a class")


def grad_cam_tokens(
    model: nn.Module, clip: torch.Tensor, target: Target = "contrast"
) -> np.ndarray:
    """Attention on the token grid.

    Parameters
    ----------
    model : torchvision ``SwinTransformer3d`` (any size, any weights)
    clip : tensor of shape (3, T, H, W) or (1, 3, T, H, W), normalised as the model expects
    target : see module docstring

    Returns
    -------
    float32 array of shape (h, w), non-negative (not rescaled)
    """
    import torch

    x = _as_batch(clip).to(next(model.parameters()).device)
    was_training = model.training
    model.eval()
    try:
        with torch.enable_grad():
            tokens = token_map(model, x)  # (1, T', h, w, C)
            (grad,) = torch.autograd.grad(_score(model, tokens, target), tokens)
        tokens, grad = tokens.detach(), grad.detach()
        if target == "contrast":
            # gradient × activation, the activation taken relative to the grid's mean token:
            # a token's share of the contrast, 2‖m_ij − m̄‖² (uncentred activations let the
            # constant part dominate and zero out the mouse)
            centred = tokens - tokens.mean(dim=(2, 3), keepdim=True)
            cam = (grad * centred).sum(-1)  # (1, T', h, w)
        else:
            alpha = grad.mean(dim=(1, 2, 3), keepdim=True)  # (1, 1, 1, 1, C): Grad-CAM
            cam = (alpha * tokens).sum(-1)  # (1, T', h, w)
        cam = torch.relu(cam.mean(dim=1))[0]  # (h, w)
    finally:
        model.train(was_training)
    return cam.float().cpu().numpy()


def upsample(cam: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of an (h, w) map to ``size`` = (H, W), scaled to [0, 1]."""
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(np.asarray(cam, dtype=np.float32))[None, None]  # (1, 1, h, w)
    up = F.interpolate(t, size=size, mode="bilinear", align_corners=False)[0, 0].numpy()
    up = np.clip(up, 0.0, None)
    top = float(up.max())
    return (up / top if top > 0 else up).astype(np.float32)


def grad_cam(
    model: nn.Module,
    clip: torch.Tensor,
    target: Target = "contrast",
    size: tuple[int, int] | None = None,
) -> np.ndarray:
    """Attention map at frame resolution: float32 (H, W) in [0, 1].

    ``size`` defaults to the clip's (H, W); the token grid covers the whole input.
    """
    x = _as_batch(clip)
    cam = grad_cam_tokens(model, x, target)
    return upsample(cam, size or (int(x.shape[-2]), int(x.shape[-1])))


# ---------------------------------------------------------------- figures


def _frame(frames: np.ndarray | None) -> np.ndarray | None:
    """The middle frame of (T, H, W[, 3]) frames (or a single (H, W[, 3]) frame) as RGB floats."""
    if frames is None:
        return None
    a = np.asarray(frames)
    if a.ndim == 4 or (a.ndim == 3 and a.shape[-1] not in (1, 3)):
        a = a[a.shape[0] // 2]
    a = a.astype(np.float32)
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=-1)
    if a.shape[-1] == 1:
        a = np.repeat(a, 3, axis=-1)
    if a.max() > 1.0:
        a = a / 255.0
    return np.clip(a, 0.0, 1.0)


def attention_figure(
    raw: np.ndarray,
    foreground: np.ndarray | None,
    heat: np.ndarray,
    block: tuple[int, int, int] | None,
    grid: tuple[int, int],
    title: str = "",
) -> Figure:
    """Raw frame · background-removed frame · heat map overlay · overlay + mask block.

    raw, foreground : float RGB frames (H, W, 3) in [0, 1]
    heat : (H, W) in [0, 1], at the frame's resolution
    block : (row, col, k) of the feature-space mask block on the token grid, or None
    grid : token grid (h, w), to map the block onto the frame
    """
    from matplotlib.patches import Rectangle

    from painscope.report.style import HEATMAP_CMAP, new_figure

    base = foreground if foreground is not None else raw
    panels: list[tuple[str, np.ndarray, bool, bool]] = [("raw frame", raw, False, False)]
    if foreground is not None:
        panels.append(("background removed", foreground, False, False))
    panels.append(("Grad-CAM", base, True, False))
    if block is not None:
        panels.append(("Grad-CAM + mask block", base, True, True))
    fig = new_figure(2.6 * len(panels), 2.6 * raw.shape[0] / raw.shape[1] + 0.5)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    h_px, w_px = raw.shape[:2]
    for ax, (label, image, with_heat, with_block) in zip(axes, panels, strict=True):
        ax.imshow(image, interpolation="nearest")
        if with_heat:
            ax.imshow(heat, cmap=HEATMAP_CMAP, alpha=0.55, vmin=0, vmax=1)
        if with_block and block is not None:
            row, col, k = block
            sy, sx = h_px / grid[0], w_px / grid[1]
            kh, kw = min(k, grid[0]), min(k, grid[1])
            ax.add_patch(
                Rectangle(
                    (col * sx - 0.5, row * sy - 0.5),
                    kw * sx,
                    kh * sy,
                    fill=False,
                    edgecolor="#56B4E9",
                    lw=2,
                )
            )
        ax.set_title(label, fontsize=8)
        ax.set_axis_off()
    if title:
        fig.suptitle(title, fontsize=9)
    return fig


def explain_clip(
    model: nn.Module,
    clip_tensor: torch.Tensor,
    raw_frames: np.ndarray,
    fg_frames: np.ndarray | None,
    block: tuple[int, int, int] | Sequence[int] | None,
    out_dir: Path,
    *,
    target: Target = "contrast",
    name: str = "attention",
) -> list[Path]:
    """Grad-CAM figure of one clip, as in the paper's Figs. 6–8.

    Parameters
    ----------
    model : torchvision ``SwinTransformer3d``
    clip_tensor : (3, T, H, W) model input (normalised)
    raw_frames : uint8 or float frames (T, H0, W0, 3) (or one frame) of the clip as the model saw
        them before normalisation (same field of view; any size — the map is resized to it)
    fg_frames : the same frames after background removal, or None
    block : (row, col, k) of the feature-space mask block on the token grid (top-left, side),
        e.g. from ``features.views.block_positions``; None draws no block
    out_dir : folder for ``<name>.png``, ``<name>.svg`` and ``<name>_heatmap.npy``
    target : Grad-CAM target (module docstring)

    Returns
    -------
    paths written: PNG, SVG, heat map (.npy, token grid (h, w), not rescaled)
    """
    from painscope.report.style import save_figure, style_context

    raw = _frame(raw_frames)
    if raw is None:
        raise ValueError("raw_frames is required")
    fg = _frame(fg_frames)
    cam = grad_cam_tokens(model, clip_tensor, target)  # (h, w)
    heat = upsample(cam, raw.shape[:2])
    blk = None if block is None else (int(block[0]), int(block[1]), int(block[2]))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target_name = f"class {target}" if isinstance(target, int) else target
    with style_context():
        fig = attention_figure(
            raw, fg, heat, blk, (cam.shape[0], cam.shape[1]), f"{name} (target: {target_name})"
        )
        png, svg, _ = save_figure(fig, out_dir, name)
    npy = out_dir / f"{name}_heatmap.npy"
    np.save(npy, cam)
    return [png, svg, npy]
