"""Input transform (train.input_transform): picked by row kind, applied inside the model."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from painscope.models.transform import apply_transform, resolve_transform
from painscope.models.vis4mer import ViS4mer, ViS4merConfig


def test_auto_follows_row_kind() -> None:
    shares = [np.array([[0.5, 0.5, 0.0], [0.9, 0.05, 0.05]])]
    counts = [np.array([[3.0, 0.0], [1.0, 2.0]])]
    general = [np.array([[-1.0, 2.0], [0.5, 0.1]])]
    assert resolve_transform("auto", shares) == ("clr", 0.025)
    assert resolve_transform("auto", counts) == ("log", 0.5)
    assert resolve_transform("auto", general) == ("none", 0.0)
    assert resolve_transform("none", shares) == ("none", 0.0)
    assert resolve_transform("log", shares) == ("log", 0.025)
    with pytest.raises(ValueError, match="non-negative"):
        resolve_transform("clr", general)


def test_clr_rows_centre_and_ratios_become_differences() -> None:
    x = torch.tensor([[0.5, 0.25, 0.25], [0.0, 0.5, 0.5]])
    z = apply_transform(x, "clr", 0.01)
    torch.testing.assert_close(z.sum(-1), torch.zeros(2))
    assert float(z[0, 0] - z[0, 1]) == pytest.approx(np.log(0.51 / 0.26), rel=1e-6)
    torch.testing.assert_close(apply_transform(x, "none", 0.0), x)
    torch.testing.assert_close(apply_transform(x, "log", 1.0), torch.log(x + 1.0))


def test_model_applies_its_transform() -> None:
    torch.manual_seed(0)
    kw = dict(d_input=3, n_classes=2, l_max=8, d_model=8, n_layers=1, dropout=0.0)
    raw = ViS4mer(ViS4merConfig(**kw)).eval()  # type: ignore[arg-type]
    clr = ViS4mer(ViS4merConfig(**kw, input_transform="clr", input_eps=0.01)).eval()  # type: ignore[arg-type]
    clr.load_state_dict(raw.state_dict())
    x = torch.rand(2, 8, 3)
    x = x / x.sum(-1, keepdim=True)
    torch.testing.assert_close(clr(x), raw(apply_transform(x, "clr", 0.01)))
