"""ViS4mer: shapes, multi-scale widths, determinism in eval mode, both SSM variants."""

from __future__ import annotations

import pytest
import torch

from painscope.models.vis4mer import ViS4mer, ViS4merConfig


@pytest.mark.parametrize("mode", ["s4", "s4d"])
def test_logits_shape_and_halving(mode: str) -> None:
    torch.manual_seed(0)
    cfg = ViS4merConfig(
        d_input=12, n_classes=5, l_max=32, d_model=16, n_layers=3, d_state=8, mode=mode
    )  # type: ignore[arg-type]
    model = ViS4mer(cfg)
    assert [layer.H for layer in model.layers] == [16, 8, 4]
    assert model.d_final == 2
    assert [layer.kernel.l_max for layer in model.layers] == [32, 16, 8]
    assert model(torch.randn(3, 32, 12)).shape == (3, 5)


def test_encoder_skipped_when_input_matches_width() -> None:
    model = ViS4mer(ViS4merConfig(d_input=16, n_classes=2, l_max=8, d_model=16, n_layers=1))
    assert isinstance(model.encoder, torch.nn.Identity)


def test_eval_is_deterministic_and_train_uses_dropout() -> None:
    torch.manual_seed(0)
    model = ViS4mer(
        ViS4merConfig(d_input=6, n_classes=3, l_max=16, d_model=16, n_layers=2, dropout=0.5)
    )
    x = torch.randn(2, 16, 6)
    model.eval()
    torch.testing.assert_close(model(x), model(x))
    model.train()
    assert not torch.allclose(model(x), model(x))


def test_paper_defaults() -> None:
    cfg = ViS4merConfig(d_input=1024, n_classes=15, l_max=1800)
    assert (cfg.d_model, cfg.n_layers, cfg.dropout, cfg.d_state, cfg.mode) == (
        1024,
        3,
        0.2,
        64,
        "s4",
    )
