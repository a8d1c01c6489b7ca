"""Focal loss (Lin et al. 2017), the paper's replacement for ViS4mer's cross-entropy.

FL = -α_t (1 - p_t)^γ log p_t, averaged over the batch (α_t-weighted mean when α is
given, as ``F.cross_entropy(weight=...)`` does, so γ = 0 equals weighted cross-entropy).
Well-classified examples (p_t → 1) contribute little, so training focuses on the
hard, confusable classes — e.g. neighbouring pain days.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def focal_loss(
    logits: torch.Tensor,
    target: torch.Tensor,
    gamma: float = 2.0,
    alpha: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean focal loss.

    Parameters
    ----------
    logits : (B, n_classes); target : (B,) class indices;
    gamma : focusing exponent (0 = cross-entropy); alpha : optional (n_classes,) weights.
    """
    log_p = F.log_softmax(logits.float(), dim=-1)  # (B, K)
    log_pt = log_p.gather(1, target[:, None])[:, 0]  # (B,)
    pt = log_pt.exp()
    loss = -((1 - pt) ** gamma) * log_pt  # (B,)
    if alpha is None:
        return loss.mean()
    w = alpha.to(loss)[target]
    return (w * loss).sum() / w.sum()


class FocalLoss(nn.Module):
    def __init__(self, gamma: float = 2.0, alpha: torch.Tensor | None = None) -> None:
        super().__init__()
        self.gamma = gamma
        self.register_buffer("alpha", alpha if alpha is not None else None)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return focal_loss(logits, target, self.gamma, self.alpha)
