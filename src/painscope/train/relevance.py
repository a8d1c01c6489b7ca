"""Per-clip relevance: which clips of a video the classifier's decision rests on.

Gradient × input (Shrikumar et al. 2016; Simonyan et al. 2014 for the gradient): for
the resampled input sequence x (n_clips · t, D) and the logit s_c of the predicted
class c, each token's relevance is ‖∂s_c/∂x ⊙ x‖₂ over its D features; a clip's
relevance is the sum over its t tokens. Resampled clips map back to the video's own
clips: a clip that was repeated gets the mean of its copies, a clip that was skipped
(videos longer than ``n_clips``) gets 0. Values are ≥ 0, unnormalised, float32 (n_clips,).
"""

from __future__ import annotations

import numpy as np
import torch

from painscope.models.vis4mer import ViS4mer
from painscope.train.data import resample


def clip_relevance(
    model: ViS4mer, seq: np.ndarray, tokens_per_clip: int, n_clips: int, target: int | None = None
) -> np.ndarray:
    """Relevance (n_video_clips,) of one video's clips for class ``target`` (default: predicted)."""
    device = next(model.parameters()).device
    model.eval()
    x_np, idx = resample(seq, tokens_per_clip, n_clips)
    x = torch.from_numpy(x_np.astype(np.float32))[None].to(device).requires_grad_(True)
    logits = model(x)[0]  # (K,)
    c = int(logits.argmax()) if target is None else target
    (grad,) = torch.autograd.grad(logits[c], x)
    token_rel = (grad * x).norm(dim=-1)[0].detach().cpu().numpy()  # (n_clips · t,)
    per_clip = token_rel.reshape(n_clips, tokens_per_clip).sum(axis=1)  # (n_clips,)
    n_video = seq.shape[0] // tokens_per_clip
    total = np.zeros(n_video)
    count = np.zeros(n_video)
    np.add.at(total, idx, per_clip)
    np.add.at(count, idx, 1)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0).astype(np.float32)
