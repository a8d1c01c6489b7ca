"""The fused-attention backbone computes torchvision's token maps (CPU here, CUDA under -m gpu)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from painscope.features.backbones import TokenMapper, build_backbone
from painscope.features.fast_swin import (
    SdpaWindowAttention3d,
    apply_speedups,
    use_sdpa_attention,
    use_torchvision_attention,
)


def _pair(name: str, seed: int = 0) -> tuple[TokenMapper, torch.nn.Module]:
    torch.manual_seed(seed)
    reference = TokenMapper(build_backbone(name)).eval()
    return reference, apply_speedups(copy.deepcopy(reference), attention="sdpa")


def _agree(a: torch.Tensor, b: torch.Tensor) -> tuple[float, float]:
    """(max |a − b|, lowest per-clip cosine similarity)."""
    diff = (a.float() - b.float()).abs().max().item()
    cosine = F.cosine_similarity(a.float().flatten(1), b.float().flatten(1)).min().item()
    return diff, cosine


@pytest.mark.parametrize(
    ("t", "h", "w"),
    [
        (4, 128, 128),  # square; shifted windows in stages 1-3 (tokens 2 x 32 x 32 ...)
        (6, 96, 192),  # non-square, 2:1 cage; temporal shift (3 token frames > window 2, padded)
        (2, 96, 224),  # T/2 = 1 token frame: smaller than the window, no temporal shift
    ],
)
def test_sdpa_token_maps_equal_torchvision_eager(t, h, w):
    reference, fast = _pair("tiny")
    x = torch.randn(2, 3, t, h, w, generator=torch.Generator().manual_seed(t * h + w))
    with torch.inference_mode():
        ref_tokens, ref_prenorm = reference(x)
        tokens, prenorm = fast(x)
    for a, b in ((ref_tokens, tokens), (ref_prenorm, prenorm)):
        diff, cosine = _agree(a, b)
        assert diff < 1e-4 and cosine >= 0.9999


def test_sdpa_equals_torchvision_with_the_real_window_and_two_blocks_per_stage():
    # the real variants' window (8, 7, 7) against 9 token frames (padded to 16, temporal shift 4)
    # and a 2 x 3 last-stage grid (window truncated, no shift), two blocks per stage (W, SW)
    from torchvision.models.video.swin_transformer import SwinTransformer3d

    torch.manual_seed(1)
    model = SwinTransformer3d([2, 4, 4], 8, [2, 2, 2, 2], [1, 2, 2, 2], [8, 7, 7]).eval()
    reference = TokenMapper(model)
    fast = apply_speedups(copy.deepcopy(reference), attention="sdpa")
    x = torch.randn(1, 3, 18, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.inference_mode():
        diff, cosine = _agree(reference(x)[0], fast(x)[0])
    assert diff < 1e-4 and cosine >= 0.9999


def test_attention_swap_keeps_weights_and_is_reversible():
    torch.manual_seed(0)
    model = build_backbone("tiny")
    keys = list(model.state_dict())
    use_sdpa_attention(model)
    assert list(model.state_dict()) == keys
    attn = [m for m in model.modules() if isinstance(m, SdpaWindowAttention3d)]
    assert len(attn) == 4  # one block per stage in the tiny config
    use_torchvision_attention(model)
    assert not any(isinstance(m, SdpaWindowAttention3d) for m in model.modules())


def test_bias_and_mask_are_cached_per_input_size():
    _, fast = _pair("tiny")
    block = fast.model.features[0][0].attn
    with torch.inference_mode():
        fast(torch.randn(1, 3, 4, 64, 64))
        first = next(iter(block._bias_cache.values()))
        fast(torch.randn(1, 3, 4, 64, 64))
        assert next(iter(block._bias_cache.values())) is first  # reused, not rebuilt
        fast(torch.randn(1, 3, 4, 224, 224))
    assert len(block._bias_cache) == 1  # another size replaced it: memory stays bounded


def test_unknown_attention_is_refused():
    with pytest.raises(ValueError, match="unknown attention"):
        apply_speedups(torch.nn.Linear(2, 2), attention="flash")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("precision", ["autocast", "cast"])
def test_cuda_bf16_sdpa_matches_cpu_fp32_eager(precision):
    reference, _ = _pair("swin3d_t", seed=2)
    x = torch.randn(2, 3, 16, 224, 224, generator=torch.Generator().manual_seed(2))
    with torch.inference_mode():
        ref = reference(x)[0]
    fast = apply_speedups(
        copy.deepcopy(reference).cuda(), attention="sdpa", cast_bf16=precision == "cast"
    )
    xc = x.cuda().to(torch.bfloat16 if precision == "cast" else torch.float32)
    with (
        torch.inference_mode(),
        torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "autocast"),
    ):
        tokens = fast(xc)[0].float().cpu()
    _, cosine = _agree(ref, tokens)
    assert cosine >= 0.999
