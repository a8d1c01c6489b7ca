"""The model side of extraction: a loaded backbone that turns batches of clips into tokens.

The clip contract between the two sides (:func:`compact_clip` → :meth:`Extractor.run_batch`):
a clip travels as a float32 array (C, T, h, w) in [0, 1], already background-removed, resized
and padded, **before** normalisation, with C = 1 for brightness (3 equal channels are made on
the backbone's device) or 3 for RGB. That is a third of the backbone's input for the usual
gray clips, and the normalisation done on the other side is the same elementwise float32
arithmetic as :func:`painscope.clips.transforms.prepare_clip`, so with ``preprocess: torch``
the tokens are bit-for-bit those of the all-in-one path (``fused``, the default: within
float rounding, see :mod:`painscope.clips.fused`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch
import torch.nn.functional as F

from painscope.clips.transforms import output_geometry
from painscope.config import ExtractConfig, config_hash
from painscope.devices import compute_dtype, resolve_device
from painscope.features.backbones import TokenMapper
from painscope.features.fast_swin import apply_speedups
from painscope.features.tokens import response_map
from painscope.features.weights import WeightsInfo, load_backbone


class Backbone(Protocol):
    """What the per-video pipeline needs from a backbone, loaded here or in another process."""

    weights: WeightsInfo
    device_label: str
    precision_label: str

    def run_batch(
        self, clips: np.ndarray, background: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(B, C, T, h, w) float32 compact clips — or, for preprocessing on the device,
        (B, T, H, W[, 3]) uint8 sampled frames plus the video's (H, W) background — →
        tokens (B, h', w', D) float16, response (B, h', w') float32."""
        ...


def compact_clip(
    frames: Sequence[np.ndarray], background: np.ndarray | None, config: ExtractConfig
) -> np.ndarray:
    """One clip's T frames → (C, T, h, w) float32 in [0, 1], not yet normalised.

    ``preprocess: fused`` (default): :func:`painscope.clips.fused.fused_clip`, one compiled
    pass per frame, within 1.2e-7 of the torch path (tested). ``preprocess: torch``: the same
    float32 operations as :func:`painscope.clips.transforms.prepare_clip` (bit-for-bit,
    tested), done in place in torch.
    """
    if config.preprocess == "fused":
        from painscope.clips.fused import fused_clip

        first = frames[0]
        geometry = output_geometry(first.shape[0], first.shape[1], config.resize,
                                   config.input_size)  # fmt: skip
        return fused_clip(frames, background, config.difference, *geometry)
    stack = torch.from_numpy(np.stack(frames))[None]  # (1, T, H, W[, 3]) uint8
    bg = None if background is None else torch.from_numpy(background)
    return device_clips(stack, bg, config)[0].numpy()


def device_clips(
    frames: torch.Tensor, background: torch.Tensor | None, config: ExtractConfig
) -> torch.Tensor:
    """:func:`compact_clip` for a batch, in torch on ``frames``' device (the GPU option).

    Parameters
    ----------
    frames : (B, T, H, W) uint8 brightness or (B, T, H, W, 3) uint8 RGB
    background : (H, W) float32 median on the same device, or None

    Returns
    -------
    (B, C, T, h, w) float32 in [0, 1]; on a CPU bit-for-bit ``prepare_clip`` (same float32
    operations), on CUDA within float rounding of it (its resize kernel differs).
    """
    b, t = frames.shape[:2]
    x = frames.float()  # (B, T, H, W[, 3]), the one full-size float32 buffer
    if background is not None:
        x.sub_(background)  # frame − median, as foreground() computes it
        if config.difference == "absolute":
            x.abs_()
        elif config.difference == "positive":
            x.clamp_min_(0.0)
        else:
            x.neg_().clamp_min_(0.0)
    x.div_(255.0)
    if x.ndim == 4:
        x = x.reshape(b * t, 1, *x.shape[2:])  # (B·T, 1, H, W)
    else:
        x = x.reshape(b * t, *x.shape[2:]).permute(0, 3, 1, 2)  # (B·T, 3, H, W)
    (sh, sw), (ch, cw) = output_geometry(x.shape[2], x.shape[3], config.resize, config.input_size)
    if (sh, sw) != tuple(x.shape[2:]):
        x = F.interpolate(x, size=(sh, sw), mode="bilinear", antialias=True).clamp_(0.0, 1.0)
    if (sh, sw) != (ch, cw):
        top, left = (ch - sh) // 2, (cw - sw) // 2
        x = F.pad(x, (left, cw - sw - left, top, ch - sh - top), value=0.0)
    return x.reshape(b, t, x.shape[1], ch, cw).permute(0, 2, 1, 3, 4).contiguous()


def backbone_input(
    clips: np.ndarray | torch.Tensor, weights: WeightsInfo, normalize: bool
) -> torch.Tensor:
    """(B, C, T, h, w) compact clips → the backbone's input (B, 3, T, h, w) float32."""
    x = torch.as_tensor(clips)
    x = x.expand(-1, 3, -1, -1, -1)  # brightness → 3 equal channels (a view)
    if normalize:
        m = torch.tensor(weights.mean, dtype=torch.float32, device=x.device).view(1, 3, 1, 1, 1)
        s = torch.tensor(weights.std, dtype=torch.float32, device=x.device).view(1, 3, 1, 1, 1)
        x = (x - m) / s
    return x.contiguous()


def prepare_for_backbone(
    frames: list[np.ndarray],
    background: np.ndarray | None,
    config: ExtractConfig,
    weights: WeightsInfo,
) -> torch.Tensor:
    """One clip's frames → the backbone's input (3, T, h, w), per the extract settings."""
    compact = compact_clip(frames, background, config)[None]  # (1, C, T, h, w)
    return backbone_input(compact, weights, config.normalize)[0]


# Clips per forward pass on a CPU. A batch of 8 clips costs 1.3× (swin3d_t T16) to 1.6×
# (tiny T32) the CPU time of the same clips one at a time, because one clip's activations
# stay in the caches (`painscope bench micro-batch`, BENCHMARKS.md). On a GPU the whole
# batch goes at once.
CPU_MICRO_BATCH = 1


class Extractor:
    """A loaded backbone plus the settings it was built for (implements :class:`Backbone`).

    ``micro_batch``: clips per forward pass; default :data:`CPU_MICRO_BATCH` on a CPU and
    the whole batch on a GPU (``0`` = always the whole batch). Each clip's tokens do not
    depend on the other clips of its batch, up to float rounding; with micro-batches of 1
    they are the same bit for bit however the clips were batched.
    """

    def __init__(self, config: ExtractConfig, *, micro_batch: int | None = None) -> None:
        self.config = config
        self.key = config_hash(config)
        self.device = resolve_device(config.device, setting="extract.device")
        self.dtype = compute_dtype(self.device, config.precision)
        self.cast_bf16 = config.precision == "bf16-model"
        model, self.weights = load_backbone(config.backbone, config.weights)
        self.mapper = apply_speedups(
            TokenMapper(model).to(self.device).eval(),
            attention=config.attention,
            cast_bf16=self.cast_bf16,
            compile=config.compile,
        )
        if micro_batch is None:
            micro_batch = CPU_MICRO_BATCH if self.device.type == "cpu" else 0
        self.micro_batch = micro_batch
        self.device_label = str(self.device)
        self.precision_label = str(self.dtype).removeprefix("torch.") + (
            " (weights cast)" if self.cast_bf16 else ""
        )

    @torch.inference_mode()
    def run_batch(
        self, clips: np.ndarray | torch.Tensor, background: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Compact clips (B, C, T, h, w) float32, or raw sampled frames (B, T, H, W[, 3])
        uint8 with the video's background (preprocessed here, on the device) → tokens
        (B, h', w', D) f16, response (B, h', w')."""
        x = torch.as_tensor(clips)
        if self.device.type == "cuda":
            x = x.pin_memory().to(self.device, non_blocking=True)  # upload as it came
        if x.dtype == torch.uint8:  # preprocessing on the device
            bg = None if background is None else torch.as_tensor(background).to(self.device)
            x = device_clips(x, bg, self.config)  # (B, C, T, h, w)
        step = self.micro_batch or len(x)
        parts = [self._forward(x[i : i + step]) for i in range(0, len(x), step)]
        return (
            np.concatenate([t for t, _ in parts]),
            np.concatenate([r for _, r in parts]),
        )

    def _forward(self, x: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """(b, C, T, h, w) compact clips on the device → tokens (b, h', w', D) float16,
        response (b, h', w') float32, on the host."""
        x = backbone_input(x, self.weights, self.config.normalize)  # (b, 3, T, h, w)
        if self.cast_bf16:
            x = x.to(self.dtype)
        autocast = self.dtype != torch.float32 and not self.cast_bf16
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=autocast):
            tokens, prenorm = self.mapper(x)
        response = response_map(tokens, prenorm, self.config.response)
        return (
            tokens.float().cpu().numpy().astype(np.float16),
            response.float().cpu().numpy(),
        )
