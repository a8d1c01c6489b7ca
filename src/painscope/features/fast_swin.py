"""Faster Video Swin inference: fused windowed attention and model-level levers.

torchvision's ``shifted_window_attention_3d`` materialises the attention matrix of every
window of every clip, adds the relative-position bias to it per clip, and — in shifted
blocks — rebuilds the shift mask on every call (a Python loop of slice writes) and adds it
per clip too. :class:`SdpaWindowAttention3d` computes the same function with
:func:`torch.nn.functional.scaled_dot_product_attention` (flash / memory-efficient kernels on
CUDA, a fused kernel on CPU) and passes bias + mask as one additive ``attn_mask``:

* the relative-position bias of a block, (1, heads, N, N) with N = window volume, is
  gathered once per effective window size and cached on the block (it depends only on the
  block's weights and on the input's token grid, which shrinks the window when smaller);
* the shift mask, (windows, 1, N, N) with torchvision's −100 for token pairs from
  different shifted regions, is built once per padded grid and cached;
* non-shifted blocks lay q/k/v out as (B·windows, heads, N, d) and the bias broadcasts over
  the batch; shifted blocks lay them out as (B, windows·heads, N, d) so that one
  (1, windows·heads, N, N) mask (bias + shift mask, added once per call, not per clip)
  broadcasts over the batch.

Everything else — padding of the token grid to whole windows (padded tokens take part in
attention exactly as in torchvision), the cyclic shift, the window partition and reverse —
is torchvision's code path, so the two differ only by floating-point summation order
(max |Δ| ~1e-6 on fp32 token maps; ``tests/features/test_fast_swin.py``).

:func:`apply_speedups` swaps the attention class of every block in place (parameters and
``state_dict`` keys unchanged) and applies the optional model-level levers: a bf16 cast of
the weights and ``torch.compile``.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchvision.models.video.swin_transformer import (
    ShiftedWindowAttention3d,
    _compute_attention_mask_3d,
    _compute_pad_size_3d,
    _get_window_and_shift_size,
)

ATTENTION = ("torchvision", "sdpa")


class SdpaWindowAttention3d(ShiftedWindowAttention3d):
    """``ShiftedWindowAttention3d`` with fused attention and cached bias / shift mask.

    Not constructed directly: :func:`use_sdpa_attention` re-classes torchvision's modules,
    so weights and ``state_dict`` keys stay torchvision's. Load weights *before* switching
    (or call :func:`use_sdpa_attention` again): the cached bias is a copy of the table.
    """

    _bias_cache: dict[Any, torch.Tensor]
    _mask_cache: dict[Any, torch.Tensor]

    def _cached_bias(self, window: list[int], like: torch.Tensor) -> torch.Tensor:
        """(1, heads, N, N) relative-position bias for this effective window, ``like``'s dtype."""
        key = (tuple(window), like.device, like.dtype)
        bias = self._bias_cache.get(key)
        if bias is None:
            self._bias_cache.clear()  # another input size: keep one entry
            bias = self.get_relative_position_bias(window).to(like.dtype)
            self._bias_cache[key] = bias
        return bias

    def _cached_mask(
        self, padded: tuple[int, int, int], window: list[int], shift: list[int], like: torch.Tensor
    ) -> torch.Tensor:
        """(windows, 1, N, N) shift mask: 0 within a shifted region, −100 across regions."""
        key = (padded, tuple(window), tuple(shift), like.device, like.dtype)
        mask = self._mask_cache.get(key)
        if mask is None:
            self._mask_cache.clear()
            mask = _compute_attention_mask_3d(
                like.new_zeros(()).float(),
                padded,
                tuple(window),
                tuple(shift),  # type: ignore[arg-type]
            )
            mask = mask.unsqueeze(1).to(like.dtype)  # (nW, 1, N, N)
            self._mask_cache[key] = mask
        return mask

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and (self.attention_dropout > 0 or self.dropout > 0):
            return super().forward(x)  # dropout: keep torchvision's exact semantics
        b, t, h, w, c = x.shape
        window, shift = _get_window_and_shift_size(
            self.shift_size.copy(), [t, h, w], self.window_size.copy()
        )
        pad = _compute_pad_size_3d((t, h, w), (window[0], window[1], window[2]))
        x = F.pad(x, (0, 0, 0, pad[2], 0, pad[1], 0, pad[0]))
        _, tp, hp, wp, _ = x.shape
        shifted = sum(shift) > 0
        if shifted:
            x = torch.roll(x, shifts=(-shift[0], -shift[1], -shift[2]), dims=(1, 2, 3))
        grid = (tp // window[0], hp // window[1], wp // window[2])
        n_windows = grid[0] * grid[1] * grid[2]
        n = window[0] * window[1] * window[2]
        heads = self.num_heads
        x = x.view(b, grid[0], window[0], grid[1], window[1], grid[2], window[2], c)
        x = x.permute(0, 1, 3, 5, 2, 4, 6, 7).reshape(b * n_windows, n, c)  # (B·nW, N, C)

        qkv = F.linear(x, self.qkv.weight, self.qkv.bias)  # (B·nW, N, 3C)
        qkv = qkv.view(b * n_windows, n, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # (B·nW, heads, N, d)
        bias = self._cached_bias(window, q)  # (1, heads, N, N)
        if shifted:
            mask = self._cached_mask((tp, hp, wp), window, shift, q)  # (nW, 1, N, N)
            full = (mask + bias).view(1, n_windows * heads, n, n)
            shape = (b, n_windows * heads, n, c // heads)
            out = F.scaled_dot_product_attention(
                q.reshape(shape), k.reshape(shape), v.reshape(shape), attn_mask=full
            ).view(b * n_windows, heads, n, c // heads)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        x = out.transpose(1, 2).reshape(b * n_windows, n, c)
        x = F.linear(x, self.proj.weight, self.proj.bias)

        x = x.view(b, grid[0], grid[1], grid[2], window[0], window[1], window[2], c)
        x = x.permute(0, 1, 4, 2, 5, 3, 6, 7).reshape(b, tp, hp, wp, c)
        if shifted:
            x = torch.roll(x, shifts=(shift[0], shift[1], shift[2]), dims=(1, 2, 3))
        return x[:, :t, :h, :w, :].contiguous()


def use_sdpa_attention(model: nn.Module) -> nn.Module:
    """Switch every torchvision window attention in ``model`` to :class:`SdpaWindowAttention3d`
    (in place; returns ``model``)."""
    for module in model.modules():
        if type(module) is ShiftedWindowAttention3d:
            module.__class__ = SdpaWindowAttention3d
        if isinstance(module, SdpaWindowAttention3d):
            module._bias_cache = {}  # type: ignore[assignment]
            module._mask_cache = {}  # type: ignore[assignment]
    return model


def use_torchvision_attention(model: nn.Module) -> nn.Module:
    """Undo :func:`use_sdpa_attention` (in place; returns ``model``)."""
    for module in model.modules():
        if type(module) is SdpaWindowAttention3d:
            module.__class__ = ShiftedWindowAttention3d
            del module._bias_cache, module._mask_cache
    return model


def apply_speedups(
    mapper: nn.Module,
    *,
    attention: str = "torchvision",
    cast_bf16: bool = False,
    compile: bool = False,
) -> nn.Module:
    """The inference levers of ``ExtractConfig`` on a (device-placed, eval) token mapper.

    attention : ``sdpa`` swaps in :class:`SdpaWindowAttention3d`; ``torchvision`` keeps eager.
    cast_bf16 : cast the weights to bf16 (all arithmetic in bf16, LayerNorm included) instead of
        autocast; the caller feeds bf16 inputs.
    compile : wrap with ``torch.compile`` (first batch of each input shape compiles: minutes
        for swin3d_b).
    """
    if attention not in ATTENTION:
        raise ValueError(f"unknown attention {attention!r}; use one of {ATTENTION}")
    if attention == "sdpa":
        use_sdpa_attention(mapper)
    if cast_bf16:
        mapper = mapper.to(torch.bfloat16)
    if compile:
        mapper = torch.compile(mapper)  # type: ignore[assignment]
    return mapper
