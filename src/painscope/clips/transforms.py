"""From sampled frames to the backbone's input tensor.

Geometry (``ExtractConfig.resize``; none of them crops, so the mouse never leaves view):

``pad``  (default)
    scale so the long side is ``input_size``, keep the aspect ratio, centre on a square
    ``input_size`` canvas filled with 0 (black = "nothing differs from the background").
    Every video gets the same token grid (7 × 7 at 224), whatever its aspect.
``fit``
    scale the short side to ``input_size`` and the long side to the nearest multiple
    of 32 (aspect kept up to rounding): a 2:1 cage gives 224 × 448, a 7 × 14 grid.
``stretch``
    squash to ``input_size`` × ``input_size`` (ViS4mer's own extractor).

Values: uint8 [0, 255] → [0, 1] → ``(x − mean) / std`` with the weights' own statistics.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from painscope.background.median import Difference, foreground


def output_geometry(
    height: int, width: int, resize: str, input_size: int
) -> tuple[tuple[int, int], tuple[int, int]]:
    """((scaled_h, scaled_w), (canvas_h, canvas_w)) for a frame of ``height × width``."""
    if resize == "stretch":
        return (input_size, input_size), (input_size, input_size)
    if resize == "pad":
        scale = input_size / max(height, width)
        scaled = (max(1, round(height * scale)), max(1, round(width * scale)))
        return scaled, (input_size, input_size)
    if resize == "fit":
        scale = input_size / min(height, width)

        def snap(n: int) -> int:
            return max(32, round(n * scale / 32) * 32)

        size = (snap(height), snap(width))
        return size, size
    raise ValueError(f"unknown resize mode {resize!r}")


def prepare_clip(
    frames: Sequence[np.ndarray],
    *,
    background: np.ndarray | None,
    difference: Difference,
    resize: str,
    input_size: int,
    mean: Sequence[float],
    std: Sequence[float],
    normalize: bool = True,
) -> torch.Tensor:
    """One clip as the backbone's input.

    Parameters
    ----------
    frames : T arrays, (H, W) uint8 brightness or (H, W, 3) uint8 RGB
    background : (H, W) float32 temporal median, or None for raw video

    Returns
    -------
    float32 tensor of shape (3, T, h, w)
    """
    stack = np.stack(frames)  # (T, H, W) or (T, H, W, 3)
    if background is not None:
        stack = foreground(stack, background, difference)  # (T, H, W) float32 in [0, 255]
    video = torch.from_numpy(np.ascontiguousarray(stack)).float().div_(255.0)
    if video.ndim == 3:
        video = video.unsqueeze(1)  # (T, 1, H, W)
    else:
        video = video.permute(0, 3, 1, 2)  # (T, 3, H, W)
    (sh, sw), (ch, cw) = output_geometry(video.shape[2], video.shape[3], resize, input_size)
    if (sh, sw) != tuple(video.shape[2:]):
        video = F.interpolate(video, size=(sh, sw), mode="bilinear", antialias=True)
        video = video.clamp_(0.0, 1.0)
    if (sh, sw) != (ch, cw):
        top, left = (ch - sh) // 2, (cw - sw) // 2
        video = F.pad(video, (left, cw - sw - left, top, ch - sh - top), value=0.0)
    if video.shape[1] == 1:
        video = video.expand(-1, 3, -1, -1)  # brightness → 3 equal channels
    if normalize:
        m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
        s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
        video = (video - m) / s
    return video.permute(1, 0, 2, 3).contiguous()  # (3, T, h, w)
