"""ViS4mer (Islam & Bertasius 2022): multi-scale stacked S4 for long videos (SPEC §2).

::

    x: (B, L, d_input) → input transform (none / log / clr), z-score  (painscope's)
                       → Linear(d_input, d_model)            (skipped when equal)
    repeat n_layers:  x = x + Dropout(S4(LayerNorm(x)))       prenorm residual, (B, H, L)
                      x = AvgPool1d(2)(x)                     L → L/2
                      x = GELU(Linear(H → H/2)(x))            channel halving
    mean over L → Linear(d_final, n_classes)

With the paper's d_model 1024 and 3 layers the widths are 1024 → 512 → 256 → 128 and
the sequence shrinks 8-fold. ``l_max`` is the input length; videos are resampled to a
fixed number of clips before they get here (``painscope.train.data``), as in ViS4mer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from painscope.models.s4 import S4, SSMMode
from painscope.models.transform import apply_transform


@dataclass(frozen=True)
class ViS4merConfig:
    """Architecture of one ViS4mer; stored in every checkpoint."""

    d_input: int
    n_classes: int
    l_max: int
    d_model: int = 1024
    n_layers: int = 3
    d_state: int = 64
    dropout: float = 0.2
    mode: SSMMode = "s4"
    #: how inputs longer than l_max shrink (painscope.train.data.batch_tensor)
    long_videos: str = "pool"
    #: none, log or clr on every token before z-scoring (painscope.models.transform)
    input_transform: str = "none"
    input_eps: float = 0.0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class ViS4mer(nn.Module):
    """Video classifier over a token sequence (B, L, d_input) → logits (B, n_classes)."""

    def __init__(self, config: ViS4merConfig) -> None:
        super().__init__()
        self.config = config
        c = config
        # per-feature z-scoring of the input, set from the training set by the trainer
        # (painscope's addition; identity until set). Buffers, so checkpoints carry them.
        self.register_buffer("input_mean", torch.zeros(c.d_input))
        self.register_buffer("input_scale", torch.ones(c.d_input))
        self.encoder: nn.Module = (
            nn.Identity() if c.d_input == c.d_model else nn.Linear(c.d_input, c.d_model)
        )
        self.norms = nn.ModuleList()
        self.layers = nn.ModuleList()
        self.dropouts = nn.ModuleList()
        self.pools = nn.ModuleList()
        self.halvings = nn.ModuleList()
        H, L = c.d_model, c.l_max
        for _ in range(c.n_layers):
            self.norms.append(nn.LayerNorm(H))
            self.layers.append(S4(H, N=c.d_state, l_max=max(L, 1), dropout=c.dropout, mode=c.mode))
            self.dropouts.append(nn.Dropout1d(c.dropout) if c.dropout > 0 else nn.Identity())
            self.pools.append(nn.AvgPool1d(2))
            self.halvings.append(nn.Sequential(nn.Linear(H, H // 2), nn.GELU()))
            H, L = H // 2, L // 2
        self.d_final = H
        self.head = nn.Linear(H, c.n_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, d_input) → pooled features (B, d_final)."""
        x = apply_transform(x, self.config.input_transform, self.config.input_eps)
        x = (x - self.input_mean) * self.input_scale  # (B, L, d_input)
        x = self.encoder(x).transpose(-1, -2)  # (B, H, L)
        for norm, layer, drop, pool, halve in zip(
            self.norms, self.layers, self.dropouts, self.pools, self.halvings, strict=True
        ):
            z = norm(x.transpose(-1, -2)).transpose(-1, -2)  # prenorm, (B, H, L)
            x = x + drop(layer(z))  # (B, H, L)
            x = pool(x)  # (B, H, L/2)
            x = halve(x.transpose(-1, -2)).transpose(-1, -2)  # (B, H/2, L/2)
        return x.mean(dim=-1)  # (B, d_final)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_head(self.forward_features(x))
