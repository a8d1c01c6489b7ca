"""Input transform for rows of shares or counts: ``train.input_transform``.

ViS4mer feeds its inputs to a linear encoder and S4 layers. Behaviour fractions (rows
that sum to 1) and counts are skewed: a rare behaviour lives in [0, 0.02] beside a
common one in [0.3, 0.9], so after z-scoring its few non-zero windows are outliers and
its ratio to other behaviours — what a pain effect changes — is not linear in the
input. A log scale makes ratios differences. ``auto`` picks by the kind of the training
rows (:func:`painscope.baselines.logistic.row_kind`, the logistic baseline's rule):

- ``compositional`` (non-negative, every row sums to 1) → ``clr``:
  ``log(x + ε) - mean_j log(x_j + ε)`` per token (centred log-ratio);
- ``nonnegative`` (counts, durations) → ``log``: ``log(x + ε)``;
- ``general`` (Swin tokens, z-scored descriptors, anything negative) → ``none``.

ε = half the smallest non-zero training value (so an absent behaviour sits one step
below the rarest observed one, not at -∞). ``none`` is ViS4mer's raw input. The
transform runs inside the model (after clip pooling, before z-scoring), so checkpoints
and ``painscope predict`` apply it the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from painscope.features.lazy import LazyTokenSequence

TRANSFORMS = ("none", "log", "clr")


def resolve_transform(setting: str, train_seqs: Sequence[np.ndarray]) -> tuple[str, float]:
    """``(transform, ε)`` for a ``train.input_transform`` setting and the training rows.

    Parameters
    ----------
    setting : auto, none, log or clr
    train_seqs : training sequences, each (n_tokens, D)
    """
    if setting == "none":
        return "none", 0.0
    if setting == "auto":
        if any(isinstance(s, LazyTokenSequence) for s in train_seqs):
            return "none", 0.0  # token stores (Swin tokens): general rows, not read whole
        from painscope.baselines.logistic import row_kind

        kind = row_kind(train_seqs)
        setting = {"compositional": "clr", "nonnegative": "log"}.get(kind, "none")
        if setting == "none":
            return "none", 0.0
    if setting not in TRANSFORMS:
        raise ValueError(f"unknown input transform {setting!r}")
    if any(float(np.min(s)) < 0 for s in train_seqs):
        raise ValueError(f"input_transform {setting} needs non-negative features")
    positive = [np.asarray(s)[np.asarray(s) > 0] for s in train_seqs]
    values = np.concatenate([p for p in positive if p.size] or [np.ones(1)])
    return setting, float(values.min() / 2)


def apply_transform(x: torch.Tensor, transform: str, eps: float | torch.Tensor) -> torch.Tensor:
    """x (..., D) → the same shape on the chosen scale."""
    if transform == "none":
        return x
    z = torch.log(x.clamp_min(0) + eps)
    if transform == "clr":
        z = z - z.mean(dim=-1, keepdim=True)
    return z
