"""Registry of Video Swin backbones (torchvision's ``SwinTransformer3d``).

Each entry fixes the architecture; :func:`build_backbone` makes a randomly
initialised model, and :mod:`painscope.features.weights` fills it. The ``tiny``
entry exists so tests run in seconds on a CPU; it has no pretrained weights.

Token map
---------
:class:`TokenMapper` runs ``patch_embed → features → norm`` and stops before the
classification head: last-stage tokens of shape (B, T/2, H/32, W/32, C),
channels-last, as ViS4mer's extractor takes them (SPEC.md §1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from painscope.errors import ConfigError

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class BackboneSpec:
    """Architecture of one Video Swin variant."""

    name: str
    embed_dim: int
    depths: tuple[int, ...]
    num_heads: tuple[int, ...]
    window_size: tuple[int, int, int] = (8, 7, 7)
    patch_size: tuple[int, int, int] = (2, 4, 4)
    stochastic_depth_prob: float = 0.1
    # torchvision weight enum members by painscope name
    torchvision_weights: tuple[tuple[str, str], ...] = ()

    @property
    def channels(self) -> int:
        """Channels C of the last-stage token map."""
        return self.embed_dim * 2 ** (len(self.depths) - 1)


REGISTRY: dict[str, BackboneSpec] = {
    "swin3d_t": BackboneSpec(
        "swin3d_t",
        96,
        (2, 2, 6, 2),
        (3, 6, 12, 24),
        stochastic_depth_prob=0.1,
        torchvision_weights=(("kinetics400", "Swin3D_T_Weights.KINETICS400_V1"),),
    ),
    "swin3d_s": BackboneSpec(
        "swin3d_s",
        96,
        (2, 2, 18, 2),
        (3, 6, 12, 24),
        stochastic_depth_prob=0.1,
        torchvision_weights=(("kinetics400", "Swin3D_S_Weights.KINETICS400_V1"),),
    ),
    "swin3d_b": BackboneSpec(
        "swin3d_b",
        128,
        (2, 2, 18, 2),
        (4, 8, 16, 32),
        stochastic_depth_prob=0.1,
        torchvision_weights=(
            ("kinetics400", "Swin3D_B_Weights.KINETICS400_V1"),
            ("kinetics400_imagenet22k", "Swin3D_B_Weights.KINETICS400_IMAGENET22K_V1"),
        ),
    ),
    # 4 stages like the real ones, 16 → 128 channels, for tests
    "tiny": BackboneSpec("tiny", 16, (1, 1, 1, 1), (1, 2, 2, 4), window_size=(2, 7, 7)),
}


def get_spec(name: str) -> BackboneSpec:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown backbone {name!r}", fix=f"use one of {', '.join(REGISTRY)}"
        ) from None


def build_backbone(name: str, *, window_size: tuple[int, int, int] | None = None) -> nn.Module:
    """A randomly initialised ``SwinTransformer3d`` for ``name`` (eval mode).

    ``window_size`` overrides the registry's, e.g. for an official checkpoint trained
    with another temporal window.
    """
    from torchvision.models.video.swin_transformer import SwinTransformer3d

    spec = get_spec(name)
    model = SwinTransformer3d(
        patch_size=list(spec.patch_size),
        embed_dim=spec.embed_dim,
        depths=list(spec.depths),
        num_heads=list(spec.num_heads),
        window_size=list(window_size or spec.window_size),
        stochastic_depth_prob=spec.stochastic_depth_prob,
        num_classes=400,
    )
    return model.eval()


class TokenMapper(nn.Module):
    """Wrap a ``SwinTransformer3d``: clips in, time-averaged last-stage tokens out.

    ``forward(x)`` with x of shape (B, 3, T, H, W) returns

    tokens : (B, h, w, C)   after the final LayerNorm, averaged over time
    prenorm : (B, h, w, C)  the same before the final LayerNorm (for the ``norm`` response)
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = self.model
        z = m.pos_drop(m.patch_embed(x))  # (B, T/2, H/4, W/4, C0)
        z = m.features(z)  # (B, T/2, H/32, W/32, C)
        tokens = m.norm(z).mean(dim=1)  # (B, h, w, C)
        return tokens, z.mean(dim=1)
