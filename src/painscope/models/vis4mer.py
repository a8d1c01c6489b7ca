"""ViS4mer (Islam & Bertasius 2022): multi-scale stacked S4 for long videos (SPEC §2).

::

    x: (B, L, d_input) → input transform (none / log / clr), z-score  (painscope's)
                       → Linear(d_input, d_model)            (skipped when equal)
    repeat n_layers:  x = x + Dropout(S4(LayerNorm(x)))       prenorm residual, (B, H, L)
                      x = AvgPool1d(2)(x)                     L → L/2
                      x = GELU(Linear(H → H/2)(x))            channel halving
    mean over L → Linear(d_final, n_classes)                        logits
    (session_path) + Linear(d_input, n_classes)(z-score(transform(mean over L of x)))

With the paper's d_model 1024 and 3 layers the widths are 1024 → 512 → 256 → 128 and
the sequence shrinks 8-fold. ``l_max`` is the input length; videos are resampled to a
fixed number of clips before they get here (``painscope.train.data``), as in ViS4mer.

``session_path`` (painscope's, "wide and deep"): a linear term on each video's mean
input (on the input transform's scale: log-ratios of the mean shares, logs of the mean
counts) — the session statistic a logistic regression would use — added to the logits.
It starts at zero, so training begins as the plain ViS4mer; on a few dozen videos it
lets the model keep what a linear read-out of the session averages finds while the
S4 path learns what the order of the clips adds (docs/classifier.md).
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
    #: a linear map from each video's mean standardized input to the logits, added to the
    #: S4 path's logits (painscope's; see the module docstring)
    session_path: bool = False
    #: the session statistic also holds each feature's sd over the clips (burstiness:
    #: the logistic baseline's ``+sd`` statistics); set with ``session_init: logistic``
    session_spread: bool = False

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
        self.session_head: nn.Linear | None = None
        if c.session_path:
            # z-scoring of the session means (over training videos), set by the trainer
            n_stats = (1 if c.input_transform == "none" else 2) + int(c.session_spread)
            self.register_buffer("session_mean", torch.zeros(n_stats * c.d_input))
            self.register_buffer("session_scale", torch.ones(n_stats * c.d_input))
            # ε of the session statistic's log: half the smallest non-zero training mean
            self.register_buffer("session_eps", torch.tensor(max(c.input_eps, 1e-6)))
            self.session_head = nn.Linear(n_stats * c.d_input, c.n_classes)
            nn.init.zeros_(self.session_head.weight)
            nn.init.zeros_(self.session_head.bias)

    def standardize(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, d_input) → transformed and z-scored input (B, L, d_input)."""
        x = apply_transform(x, self.config.input_transform, self.config.input_eps)
        return (x - self.input_mean) * self.input_scale

    def session_statistic(self, x: torch.Tensor) -> torch.Tensor:
        """Raw input (B, L, d_input) → each video's session statistics (B, S · d_input).

        Without an input transform: the mean token (S = 1). With one (log / clr): the
        transform of the mean (log-ratios of the mean shares, logs of the mean counts:
        how much of each behaviour) beside the mean of the transformed tokens (how the
        windows are mixed), S = 2.
        With ``session_spread`` the sd over L of the (transformed) tokens follows, S + 1.
        """
        c = self.config
        tokens = (
            x if c.input_transform == "none" else apply_transform(x, c.input_transform, c.input_eps)
        )
        parts = [x.mean(dim=1)] if c.input_transform == "none" else [
            apply_transform(x.mean(dim=1), c.input_transform, self.session_eps),
            tokens.mean(dim=1),
        ]  # fmt: skip
        if c.session_spread:
            parts.append(tokens.std(dim=1, unbiased=False) if x.shape[1] > 1 else 0 * parts[0])
        return torch.cat(parts, dim=-1)  # (B, S · d_input)

    def session_logits(self, x: torch.Tensor) -> torch.Tensor | None:
        """Raw input (B, L, d_input) → the session path's logits (B, n_classes)."""
        if self.session_head is None:
            return None
        s = (self.session_statistic(x) - self.session_mean) * self.session_scale  # (B, D)
        return self.session_head(s)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, L, d_input) → the S4 path's pooled features (B, d_final)."""
        return self._s4_path(self.standardize(x))

    def _s4_path(self, x: torch.Tensor) -> torch.Tensor:
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
        logits = self.forward_head(self.forward_features(x))  # (B, n_classes)
        extra = self.session_logits(x)
        return logits if extra is None else logits + extra
