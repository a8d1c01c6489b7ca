"""Model sizes that fit the input: ``d_model`` / ``n_layers`` / ``d_state: auto``.

The paper trains d_model 1024, 3 layers, N = 64 on 1024-wide Swin tokens of ~600
videos. The same network on 6 behaviour fractions of 20 training mice has ~10⁴ times
more weights than numbers to learn from and takes 16 min per fold on 2 cores. ``auto``
scales the width with the input and caps it by the cohort:

``d_model = clip(2^ceil(log2(2·d_input)), 32, 1024)``, then at most
``2^floor(log2(max(32, 4·n_train)))``; ``n_layers = 3`` when d_model ≥ 256 else 2
(fewer when ``n_clips`` is too short); ``d_state = clip(d_model / 4, 16, 64)``.

So Swin tokens (1024 wide) of ≥ 256 training videos get the paper's 1024 / 3 / 64;
6 features of 20 training videos get 32 / 2 / 16. ``lr: auto`` scales the paper's
1e-3 by 1024 / d_model (at most 1e-2): a small model on a small cohort gets only a few
optimiser steps per epoch.
"""

from __future__ import annotations

import math


def auto_sizes(
    d_model: int | str,
    n_layers: int | str,
    d_state: int | str,
    *,
    d_input: int,
    n_train: int,
    n_clips: int,
) -> tuple[int, int, int]:
    """Resolve ``auto`` entries; explicit integers are returned unchanged.

    Parameters
    ----------
    d_input : features per token; n_train : training videos; n_clips : sequence length
        in clips (each layer halves it, so at most ⌊log2 n_clips⌋ layers).

    Returns
    -------
    (d_model, n_layers, d_state)
    """
    if d_model == "auto":
        width = 2 ** math.ceil(math.log2(max(2 * d_input, 1)))
        width = min(max(width, 32), 1024)
        cap = 2 ** math.floor(math.log2(max(32, 4 * n_train)))
        d_model = min(width, cap)
    d_model = int(d_model)
    if n_layers == "auto":
        n_layers = 3 if d_model >= 256 else 2
        n_layers = max(1, min(n_layers, int(math.log2(max(n_clips, 2)))))
        while d_model < 2**n_layers and n_layers > 1:
            n_layers -= 1
    if d_state == "auto":
        d_state = min(max(d_model // 4, 16), 64)
        d_state += d_state % 2
    return d_model, int(n_layers), int(d_state)


def auto_lr(lr: float | str, d_model: int) -> float:
    """``lr: auto`` = 1e-3 · 1024 / d_model, at most 1e-2 (the paper's 1e-3 at width 1024)."""
    if lr != "auto":
        return float(lr)
    return min(1e-2, 1e-3 * 1024 / max(d_model, 1))


#: committee size of ``ensemble: auto`` for a small model (d_model <= SMALL_MODEL)
AUTO_MEMBERS = 5
SMALL_MODEL = 128


def auto_ensemble(
    ensemble: int | str, d_model: int, chosen: bool = True, tokens_per_clip: int = 1
) -> int:
    """``ensemble: auto`` = 5 seeds per round for a small model (d_model <= 128) that
    ``d_model: auto`` chose (``chosen``), else 1 (an explicit width: the user's model).

    A small model on a small cohort costs ~2 CPU-s per fit while its test accuracy moves
    by ±0.06 with the seed alone (validation folds of a few videos pick the kept epoch
    partly by luck); the mean of 5 seeds' probabilities removes most of that. The
    paper-size model (Swin tokens, d_model 1024) stays one model per round, as the paper,
    and so do token sequences of any width (``tokens_per_clip`` > 1, e.g. Ours+Mask's
    3 x 3 block): their sequences are 9x longer, and a committee of five measured 404
    CPU-s for one 3-class CV of the demo cohort (BENCHMARKS.md, "The demo on 1-min
    videos").
    """
    if ensemble != "auto":
        return int(ensemble)
    cheap = chosen and d_model <= SMALL_MODEL and tokens_per_clip == 1
    return AUTO_MEMBERS if cheap else 1


#: widest input (features per clip) whose session statistics get the path under ``auto``
SESSION_MAX_INPUT = 64


def auto_session_path(
    setting: str,
    d_model: int,
    chosen: bool = True,
    transformed: bool = True,
    d_input: int = 0,
    tokens_per_clip: int = 1,
) -> bool:
    """``session_path: auto`` = the linear session path for a small model (d_model <= 128)
    that ``d_model: auto`` chose, on one token per clip, when the input has a log / clr
    transform (rows of shares or counts) or is narrow (``d_input`` <= 64: motion
    descriptors, motif shares); ``linear`` / ``none`` as given. Swin tokens (hundreds of
    channels) keep the plain ViS4mer.

    Started from zero, the path changed nothing beyond seed noise on the motion
    descriptors; started from a tuned logistic regression (``session_init: auto``) it
    raised motion, pose and the long-session regime (BENCHMARKS.md, "Session path
    started from the logistic regression").
    """
    if setting != "auto":
        return setting == "linear"
    small = chosen and d_model <= SMALL_MODEL and tokens_per_clip == 1
    return small and (transformed or 0 < d_input <= SESSION_MAX_INPUT)
