"""``painscope explain VIDEO --clip K``: attention maps of one clip (paper Figs. 6–8).

Decodes the video once for its exact background, once more up to clip K, runs the
backbone on that clip with the project's extract settings, and draws raw frame,
background-removed frame, Grad-CAM heat map and the feature-space mask block.
The frames shown are those the backbone saw (same resize/pad), so the heat map and
the block line up with them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from painscope.background.median import MedianAccumulator
from painscope.clips.transforms import prepare_clip
from painscope.clips.windows import ClipSampler
from painscope.config import ExtractConfig
from painscope.errors import VideoError
from painscope.features.backbones import TokenMapper
from painscope.features.extract import prepare_for_backbone
from painscope.features.tokens import response_map
from painscope.features.views import block_positions
from painscope.features.weights import load_backbone
from painscope.io.video import iter_frames


def _display(
    frames: list[np.ndarray], background: np.ndarray | None, cfg: ExtractConfig
) -> np.ndarray:
    """Frames as the backbone saw them, before normalisation: (T, h, w, 3) uint8."""
    clip = prepare_clip(
        frames,
        background=background,
        difference=cfg.difference,
        resize=cfg.resize,
        input_size=cfg.input_size,
        mean=(0.0, 0.0, 0.0),
        std=(1.0, 1.0, 1.0),
        normalize=False,
    )  # (3, T, h, w) in [0, 1]
    return (clip.permute(1, 2, 3, 0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()


def explain_video(
    video: Path | str,
    clip_index: int,
    out_dir: Path | str,
    *,
    config: ExtractConfig | None = None,
    block_size: int = 3,
    target: str | int = "contrast",
) -> list[Path]:
    """Write the attention figure of clip ``clip_index`` of ``video`` into ``out_dir``."""
    from painscope.report.attention import explain_clip

    cfg = config or ExtractConfig()
    video = Path(video)
    background = None
    if cfg.background == "median":
        acc: MedianAccumulator | None = None
        for frame in iter_frames(video):
            acc = acc or MedianAccumulator(frame.image.shape)
            acc.update(frame.image)
        assert acc is not None
        background = acc.median()
    sampler = ClipSampler(cfg.clip_seconds, cfg.frames_per_clip)
    frames: list[np.ndarray] | None = None
    gray = iter_frames(video, color="gray")
    for frame in gray:
        done = [f for record, f in sampler.push(frame) if record.index == clip_index]
        if done:
            frames = done[0]
            break
    else:
        done = [f for record, f in sampler.finish() if record.index == clip_index]
        frames = done[0] if done else None
    if frames is None:
        raise VideoError(
            video,
            f"has no clip {clip_index} ({sampler.duration_s():.1f} s of "
            f"{cfg.clip_seconds} s clips)",
            fix="pick a smaller --clip (clips count from 0)",
        )
    model, weights = load_backbone(cfg.backbone, cfg.weights)
    clip = prepare_for_backbone(frames, background, cfg, weights)  # (3, T, h, w)
    with torch.inference_mode():
        tokens, prenorm = TokenMapper(model)(clip[None])
        response = response_map(tokens, prenorm, cfg.response).numpy()  # (1, h', w')
    row, col = block_positions(response, block_size)[0]
    k = min(block_size, *response.shape[1:])
    return explain_clip(
        model,
        clip,
        _display(frames, None, cfg),
        _display(frames, background, cfg) if background is not None else None,
        (int(row), int(col), k),
        Path(out_dir),
        target=target,  # type: ignore[arg-type]
        name=f"{video.stem}_clip{clip_index:04d}",
    )
