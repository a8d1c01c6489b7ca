"""Settings of ``painscope extract``: decode → background → clips → backbone → token store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from painscope.config.base import setting
from painscope.errors import ConfigError

BACKBONES = ("swin3d_t", "swin3d_s", "swin3d_b", "tiny")
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def check_device(value: str, key: str) -> None:
    """Refuse a device name torch would not accept (``auto``, ``cpu``, ``cuda``, ``cuda:N``, ``mps``)."""
    if not _DEVICE.fullmatch(value):
        raise ConfigError(
            f"{key}: unknown device {value!r}",
            fix=f"set {key} to auto, cpu, cuda, cuda:0, cuda:1, ... or mps",
        )


@dataclass(frozen=True)
class ExtractConfig:
    """How videos become per-clip token maps (see README, "painscope extract")."""

    backbone: str = setting(
        "swin3d_b",
        "Video Swin variant: swin3d_t, swin3d_s, swin3d_b (the paper's), or tiny (tests only).",
    )
    weights: str = setting(
        "kinetics400",
        "Backbone weights: kinetics400 | kinetics400_imagenet22k (swin3d_b only; torchvision,\n"
        "downloaded once), a path to a .pth/.pt/.safetensors file (torchvision state_dict or an\n"
        "official Video Swin checkpoint such as the paper's Kinetics-600 Swin-B), or none\n"
        "(random weights: for tests only, recorded in every output).",
    )
    background: Literal["median", "none"] = setting(
        "median",
        "median: subtract each video's per-pixel temporal median (the paper's background removal);\n"
        "none: raw video (the paper's ablation).",
    )
    difference: Literal["absolute", "positive", "negative"] = setting(
        "absolute",
        "How a frame differs from the background: absolute = |frame - median| (keeps a mouse that is\n"
        "darker OR brighter than the floor); positive = max(frame - median, 0) (bright mouse on dark\n"
        "IR floor); negative = max(median - frame, 0) (dark mouse on bright floor).",
    )
    background_frames: int = setting(
        0,
        "Frames counted for the background median: 0 = every frame (the exact median); N = N\n"
        "frames spread evenly over the video (less counting, every frame still decoded; on two\n"
        "real videos N = 300 was off by 0.04 gray levels on average, 2 at most).",
    )
    clip_seconds: float = setting(1.5, "Length of one clip in seconds (200 clips per 5 minutes).")
    frames_per_clip: int = setting(
        32, "Frames sampled evenly in time from each clip (32, or 16 for speed)."
    )
    resize: Literal["pad", "fit", "stretch"] = setting(
        "pad",
        "pad: keep the whole field of view and the aspect ratio, pad to a square input_size\n"
        "(every video gets the same token grid, 7 x 7 at 224); fit: scale the short side to\n"
        "input_size, keep aspect, non-square input (a 2:1 cage gives a 7 x 14 grid); stretch: squash\n"
        "to a square (what ViS4mer's extractor did). None of them crops.",
    )
    input_size: int = setting(
        224,
        "Backbone input size in pixels, a multiple of 32 (224 -> a 7 x 7 token grid).",
    )
    preprocess: Literal["fused", "torch"] = setting(
        "fused",
        "How sampled frames become the backbone's input on the CPU: fused = background removal\n"
        "and the antialiased resize in one compiled pass (numba; torch's own resize taps, so\n"
        "within 1.2e-7 of torch on the [0, 1] scale; ~4x faster); torch = torch's\n"
        "F.interpolate (the reference, and what the GPU option runs).",
    )
    normalize: bool = setting(
        True,
        "Normalise with the weights' own mean/std (ImageNet). false = ViS4mer's quirk ([0, 1] only).",
    )
    response: Literal["contrast", "norm"] = setting(
        "contrast",
        "Token response used by the feature-space mask: contrast = distance of each token from the\n"
        "clip's median token (how unlike the empty cage it is); norm = L2 norm of the last-stage\n"
        "tokens before the final LayerNorm.",
    )
    batch_size: int = setting(
        8, "Clips per backbone batch (lower it if memory runs out).", hash=False
    )
    device: str = setting("auto", "auto (CUDA when present), cpu, cuda, cuda:1, ...", hash=False)
    precision: Literal["auto", "fp32", "bf16", "bf16-model"] = setting(
        "auto",
        "auto = bf16 autocast on CUDA, fp32 on CPU; bf16 = autocast (LayerNorm, softmax in fp32);\n"
        "bf16-model = weights cast to bf16, all arithmetic in bf16 (fastest on a GPU; check the\n"
        "GPU test tests/features/test_fast_swin.py passes on your card before relying on it).",
        hash=False,
    )
    attention: Literal["sdpa", "torchvision"] = setting(
        "sdpa",
        "Windowed attention: sdpa = fused scaled-dot-product attention with the relative-position\n"
        "bias and shift mask cached per input size (same token maps up to float rounding, ~1e-6;\n"
        "1.5x faster on CPU); torchvision = torchvision's eager code (the reference).",
        hash=False,
    )
    compile: bool = setting(
        False,
        "torch.compile the backbone (GPU: faster after minutes of compiling per input shape).",
        hash=False,
    )
    prefetch: int = setting(
        4,
        "Clips decoded and prepared ahead by a background thread while the backbone runs\n"
        "(0 = no thread). Memory: prefetch + batch_size prepared clips.",
        hash=False,
    )

    workers: int = setting(
        0,
        "Processes that decode, compute the background, cut and prepare clips, each one whole\n"
        "video at a time, while this process runs the backbone on their clips (0 = one per CPU\n"
        "this process may use; 1 = everything in one process). Memory: about 1 GB per worker\n"
        "at 1280 x 1024 (the exact median's histogram).",
        hash=False,
    )
    motion: bool = setting(
        True,
        "Also track the mouse's silhouette from |frame - median| in the same decode pass (per-frame\n"
        "track in cache/motion/, per-clip descriptors in the token store; `--method motion`).\n"
        "Only with background: median.",
    )
    pixels_per_cm: float = setting(
        0.0,
        "Scale of the videos for distance travelled in cm (0 = unknown: distances in px).",
        hash=False,
    )

    def __post_init__(self) -> None:
        if self.backbone not in BACKBONES:
            raise ConfigError(
                f"extract.backbone: unknown backbone {self.backbone!r}",
                fix=f"use one of {', '.join(BACKBONES)}",
            )
        if not 0.1 <= self.clip_seconds <= 60:
            raise ConfigError(
                f"extract.clip_seconds must lie in [0.1, 60], got {self.clip_seconds}"
            )
        if not 2 <= self.frames_per_clip <= 256 or self.frames_per_clip % 2:
            raise ConfigError(
                f"extract.frames_per_clip must be an even number in [2, 256], "
                f"got {self.frames_per_clip}",
                fix="the backbone's temporal patch is 2 frames; use 16 or 32",
            )
        if self.input_size < 32 or self.input_size % 32:
            # other sizes make the patch-merging layers zero-pad the token grid; the padded
            # edge tokens then stand out and capture the feature-space mask
            raise ConfigError(
                f"extract.input_size must be a multiple of 32 (>= 32), got {self.input_size}",
                fix="use 224 (the paper's), or 128 / 160 / 192 for speed",
            )
        non_negative = {
            "background_frames": "use 0 (every frame, exact) or a number of frames such as 300",
            "prefetch": "use 0 (no prefetch thread) or a small number of clips",
            "workers": "use 0 (one per CPU), 1 (no worker processes) or a number of processes",
            "pixels_per_cm": "measure a known length in a frame (e.g. the arena's width) or use 0",
        }
        for name, fix in non_negative.items():
            if getattr(self, name) < 0:
                raise ConfigError(
                    f"extract.{name} must be >= 0, got {getattr(self, name)}", fix=fix
                )
        if self.batch_size < 1:
            raise ConfigError(f"extract.batch_size must be >= 1, got {self.batch_size}")
        if not self.weights:
            raise ConfigError("extract.weights is empty", fix="use kinetics400, a path, or none")
        check_device(self.device, "extract.device")
