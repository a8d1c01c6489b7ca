"""Token views: how a stored token map becomes the classifier's input sequence.

The paper's feature-space foreground mask keeps, for each clip, the k × k block
of the token grid with the greatest summed response (it sits on the mouse). It
is applied here, at training time, to stored tokens — so "Ours" (all tokens),
"Ours+Mask" (block tokens) and a pooled baseline need one extraction.

``all``
    every token of every clip, clip by clip in row-major grid order:
    (n_clips · h · w, C) — 9,800 × 1024 for a 5-min video with Swin-B at 224².
``block``
    the k × k block with the greatest summed response, per clip; the block moves
    with the mouse from clip to clip: (n_clips · k · k, C). Near the border the
    block is clamped inside the grid; k larger than the grid is clamped to it.
``mean``
    one token per clip, averaged over the grid: (n_clips, C).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

TokenMode = Literal["all", "block", "mean"]


def block_positions(response: np.ndarray, k: int) -> np.ndarray:
    """Top-left (row, col) of the k × k block with the greatest summed response.

    Parameters
    ----------
    response : array of shape (n_clips, h, w)
    k : block side in tokens (clamped to the grid)

    Returns
    -------
    int array of shape (n_clips, 2); ties go to the first block in row-major order.
    """
    n, h, w = response.shape
    kh, kw = min(k, h), min(k, w)
    # summed-area table → every block's sum in O(h · w)
    sat = np.zeros((n, h + 1, w + 1), dtype=np.float64)
    sat[:, 1:, 1:] = response.astype(np.float64).cumsum(1).cumsum(2)
    sums = sat[:, kh:, kw:] - sat[:, :-kh, kw:] - sat[:, kh:, :-kw] + sat[:, :-kh, :-kw]
    # sums: (n, h - kh + 1, w - kw + 1)
    flat = sums.reshape(n, -1).argmax(axis=1)
    return np.stack(np.unravel_index(flat, sums.shape[1:]), axis=1).astype(np.int64)


def token_view(
    tokens: np.ndarray, response: np.ndarray | None = None, mode: TokenMode = "all", k: int = 3
) -> np.ndarray:
    """The classifier's input sequence for one video.

    Parameters
    ----------
    tokens : array of shape (n_clips, h, w, C)
    response : array of shape (n_clips, h, w); needed for ``mode="block"``
    mode : ``all`` | ``block`` | ``mean`` (see module docstring)
    k : block side for ``block``

    Returns
    -------
    array of shape (n_tokens, C), same dtype as ``tokens``
    """
    n, h, w, c = tokens.shape
    if mode == "all":
        return tokens.reshape(n * h * w, c)
    if mode == "mean":
        return tokens.astype(np.float32).mean(axis=(1, 2)).astype(tokens.dtype)
    if mode == "block":
        if response is None:
            raise ValueError("mode='block' needs the response maps")
        kh, kw = min(k, h), min(k, w)
        pos = block_positions(response, k)  # (n, 2)
        rows = pos[:, 0, None] + np.arange(kh)[None, :]  # (n, kh)
        cols = pos[:, 1, None] + np.arange(kw)[None, :]  # (n, kw)
        blocks = tokens[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
        # blocks: (n, kh, kw, C)
        return blocks.reshape(n * kh * kw, c)
    raise ValueError(f"unknown token mode {mode!r}; use all, block or mean")


def tokens_per_clip(grid: tuple[int, int], mode: TokenMode, k: int = 3) -> int:
    """Sequence length contributed by one clip."""
    h, w = grid
    if mode == "all":
        return h * w
    if mode == "block":
        return min(k, h) * min(k, w)
    return 1
