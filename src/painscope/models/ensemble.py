"""A committee of ViS4mers that behaves as one model (``train.ensemble``).

The members share one architecture (:class:`~painscope.models.vis4mer.ViS4merConfig`)
and differ in initialisation, batch order and, in cross-validation, in the fold they
were validated on. ``forward`` returns ``log(mean_m softmax(logits_m))``: its softmax is
the members' mean probability, so everything that takes ``softmax(model(x))`` (the
predictions, the loss-free relevance) sees the committee's average.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from painscope.models.vis4mer import ViS4mer, ViS4merConfig


class ViS4merEnsemble(nn.Module):
    """Mean class probability of ``members`` (each (B, L, d_input) → (B, n_classes))."""

    def __init__(self, members: Sequence[ViS4mer]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member")
        self.members = nn.ModuleList(members)
        self.config: ViS4merConfig = members[0].config

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        log_p = torch.stack([torch.log_softmax(m(x), -1) for m in self.members])  # (M, B, K)
        n = torch.tensor(float(len(self.members)), device=x.device)
        return torch.logsumexp(log_p, 0) - torch.log(n)  # (B, K): log mean probability

    @classmethod
    def empty(cls, config: ViS4merConfig, n_members: int) -> ViS4merEnsemble:
        """Fresh members of one architecture (to load a checkpoint's state dict into)."""
        return cls([ViS4mer(config) for _ in range(n_members)])
