"""Focal loss: gamma = 0 is cross-entropy; easy examples are down-weighted."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from painscope.models.focal import FocalLoss, focal_loss


def test_gamma_zero_equals_cross_entropy() -> None:
    torch.manual_seed(0)
    logits, target = torch.randn(32, 5), torch.randint(0, 5, (32,))
    torch.testing.assert_close(
        focal_loss(logits, target, gamma=0.0), F.cross_entropy(logits, target)
    )
    alpha = torch.rand(5) + 0.1
    torch.testing.assert_close(
        focal_loss(logits, target, gamma=0.0, alpha=alpha),
        F.cross_entropy(logits, target, weight=alpha),
    )


def test_focal_is_below_cross_entropy_and_matches_the_formula() -> None:
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    target = torch.tensor([0])
    p = torch.softmax(logits, -1)[0, 0]
    expected = -((1 - p) ** 2) * torch.log(p)
    torch.testing.assert_close(focal_loss(logits, target, gamma=2.0), expected)
    assert focal_loss(logits, target, 2.0) < F.cross_entropy(logits, target)


def test_easy_examples_are_down_weighted() -> None:
    easy = torch.tensor([[4.0, 0.0]], requires_grad=True)
    hard = torch.tensor([[0.2, 0.0]], requires_grad=True)
    target = torch.tensor([0])

    def grad_norm(x: torch.Tensor, gamma: float) -> float:
        (g,) = torch.autograd.grad(focal_loss(x, target, gamma), x)
        return float(g.norm())

    ratio_ce = grad_norm(easy, 0.0) / grad_norm(hard, 0.0)
    ratio_focal = grad_norm(easy, 2.0) / grad_norm(hard, 2.0)
    assert ratio_focal < ratio_ce / 10


def test_module_wrapper() -> None:
    logits, target = torch.randn(4, 3), torch.tensor([0, 1, 2, 0])
    loss = FocalLoss(gamma=1.0)(logits, target)
    torch.testing.assert_close(loss, focal_loss(logits, target, 1.0))
