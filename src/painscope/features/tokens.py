"""Per-token response maps for the feature-space foreground mask.

The paper keeps the block of the token grid "with the greatest response". Two
definitions are offered (``ExtractConfig.response``):

``contrast`` (default)
    ‖token − median token of the clip‖₂. After background removal most of the
    grid shows an empty, static floor whose tokens are alike; the tokens covering
    the moving mouse stand apart. Needs no class and no gradient, and does not
    depend on what the weights were trained for.
``norm``
    ‖pre-LayerNorm token‖₂ (the final LayerNorm makes post-norm norms nearly
    constant, so the norm is taken before it).
"""

from __future__ import annotations

import torch


def response_map(tokens: torch.Tensor, prenorm: torch.Tensor, kind: str) -> torch.Tensor:
    """Response per token.

    Parameters
    ----------
    tokens, prenorm : (B, h, w, C) time-averaged tokens after / before the final norm

    Returns
    -------
    float32 tensor of shape (B, h, w)
    """
    if kind == "contrast":
        flat = tokens.float().flatten(1, 2)  # (B, h·w, C)
        median = flat.median(dim=1, keepdim=True).values  # (B, 1, C)
        return (flat - median).norm(dim=-1).view(tokens.shape[:3])
    if kind == "norm":
        return prenorm.float().norm(dim=-1)
    raise ValueError(f"unknown response {kind!r}")
