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


def _session_model(transform: str = "clr") -> ViS4mer:
    cfg = ViS4merConfig(
        d_input=4, n_classes=3, l_max=8, d_model=16, n_layers=2, d_state=8,
        input_transform=transform, input_eps=0.01, session_path=True,
    )  # fmt: skip
    return ViS4mer(cfg)


def test_session_path_starts_at_zero_so_training_begins_as_plain_vis4mer() -> None:
    torch.manual_seed(0)
    plain = ViS4mer(
        ViS4merConfig(
            d_input=4,
            n_classes=3,
            l_max=8,
            d_model=16,
            n_layers=2,
            d_state=8,
            input_transform="clr",
            input_eps=0.01,
        )
    ).eval()
    torch.manual_seed(0)
    wide = _session_model().eval()
    x = torch.rand(2, 8, 4)
    x = x / x.sum(-1, keepdim=True)
    torch.testing.assert_close(wide(x), plain(x))
    assert wide.session_head is not None and plain.session_head is None


def test_session_statistic_is_transform_of_mean_beside_mean_of_transform() -> None:
    model = _session_model()
    model.session_eps.fill_(0.001)
    x = torch.rand(2, 8, 4)
    x = x / x.sum(-1, keepdim=True)  # rows of shares, (B, L, D)
    s = model.session_statistic(x)  # (B, 2 · D)
    assert s.shape == (2, 8)
    of_mean = torch.log(x.mean(1) + 0.001)
    torch.testing.assert_close(s[:, :4], of_mean - of_mean.mean(-1, keepdim=True))
    per_token = torch.log(x + 0.01)
    per_token = per_token - per_token.mean(-1, keepdim=True)
    torch.testing.assert_close(s[:, 4:], per_token.mean(1))
    raw = _session_model("none")
    assert raw.session_statistic(x).shape == (2, 4)
    torch.testing.assert_close(raw.session_statistic(x), x.mean(1))


def test_session_path_adds_a_linear_term_on_the_z_scored_statistic() -> None:
    torch.manual_seed(0)
    model = _session_model("none").eval()
    x = torch.randn(3, 8, 4)
    before = model(x)
    assert model.session_head is not None
    with torch.no_grad():
        model.session_head.weight.copy_(torch.eye(3, 4))
        model.session_mean.fill_(0.5)
        model.session_scale.fill_(2.0)
    expected = before + (x.mean(1)[:, :3] - 0.5) * 2.0
    torch.testing.assert_close(model(x), expected)
