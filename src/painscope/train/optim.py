"""AdamW with S4's own parameter group (SPEC §3).

Parameters that carry an ``_optim`` dict (S4's Λ, P, B, log_dt — see
:mod:`painscope.models.s4`) get those settings (weight decay 0): decay would pull the
SSM's eigenvalues and timescales towards 0. Everything else uses the general lr and
weight decay. Group order: general first, then one group per distinct ``_optim``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


def parameter_groups(model: nn.Module, lr: float, weight_decay: float) -> list[dict[str, Any]]:
    general: list[nn.Parameter] = []
    special: dict[tuple[tuple[str, Any], ...], list[nn.Parameter]] = {}
    for p in model.parameters():
        if not p.requires_grad:
            continue
        hp = getattr(p, "_optim", None)
        if hp is None:
            general.append(p)
        else:
            special.setdefault(tuple(sorted(hp.items())), []).append(p)
    groups: list[dict[str, Any]] = [
        {"params": general, "lr": lr, "weight_decay": weight_decay, "name": "general"}
    ]
    for key, params in special.items():
        groups.append(
            {"params": params, "lr": lr, "weight_decay": weight_decay, "name": "ssm", **dict(key)}
        )
    return groups


def make_optimizer(model: nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    return torch.optim.AdamW(parameter_groups(model, lr, weight_decay), lr=lr)
