"""S4 / S4D layer: the convolution equals the recurrence, shapes, gradients, optimizer groups."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from painscope.models.s4 import S4, hippo_legs, nplr_legs
from painscope.train.optim import parameter_groups

SSM_PARAMS = {"log_dt", "log_w_real", "w_imag", "B", "P"}


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_nplr_form_has_the_legs_spectrum() -> None:
    N = 16
    w, P, B = nplr_legs(N)
    A, B_legs, _ = hippo_legs(N)
    w_full = np.concatenate([w, w.conj()])
    P_full = np.concatenate([P, P.conj()])
    A_nplr = np.diag(w_full) - np.outer(P_full, P_full.conj())
    # similar matrices share eigenvalues; LegS is triangular with diagonal -(n+1)
    # (eigenvalues of this non-normal matrix are ill-conditioned: loose tolerance)
    eig = np.sort(np.linalg.eigvals(A_nplr).real)
    np.testing.assert_allclose(eig, np.sort(np.diag(A)), rtol=1e-3)
    np.testing.assert_allclose(w.real, -0.5)
    assert np.linalg.norm(B) ** 2 == pytest.approx(np.sum(B_legs**2) / 2, rel=1e-6)


@pytest.mark.parametrize("mode", ["s4", "s4d"])
@pytest.mark.parametrize(("N", "L"), [(8, 32), (64, 100)])
def test_convolution_equals_recurrence(mode: str, N: int, L: int) -> None:
    layer = S4(H=4, N=N, l_max=L, mode=mode).eval()  # type: ignore[arg-type]
    u = torch.randn(2, 4, L)
    y_conv = layer(u)
    ssm = layer.kernel.discrete_ssm()
    state = layer.default_state(2)
    steps = []
    for t in range(L):
        y_t, state = layer.step(u[..., t], state, ssm)
        steps.append(y_t)
    y_rec = torch.stack(steps, dim=-1)
    torch.testing.assert_close(y_conv, y_rec, atol=1e-4, rtol=1e-4)


def test_shorter_input_uses_a_truncated_kernel() -> None:
    layer = S4(H=3, N=8, l_max=40).eval()
    u = torch.randn(1, 3, 40)
    torch.testing.assert_close(layer(u[..., :25]), layer(u)[..., :25], atol=1e-5, rtol=1e-5)


def test_longer_input_than_l_max_is_an_error() -> None:
    with pytest.raises(ValueError, match="l_max"):
        S4(H=2, N=4, l_max=8)(torch.randn(1, 2, 9))


@settings(max_examples=15, deadline=None)
@given(L=st.integers(1, 64), H=st.integers(1, 6), mode=st.sampled_from(["s4", "s4d"]))
def test_output_length_equals_input_length(L: int, H: int, mode: str) -> None:
    layer = S4(H=H, N=4, l_max=64, mode=mode)  # type: ignore[arg-type]
    assert layer(torch.randn(2, H, L)).shape == (2, H, L)


@pytest.mark.parametrize("mode", ["s4", "s4d"])
def test_gradients_reach_every_parameter(mode: str) -> None:
    layer = S4(H=4, N=8, l_max=16, dropout=0.1, mode=mode)  # type: ignore[arg-type]
    layer(torch.randn(3, 4, 16)).pow(2).sum().backward()
    for name, p in layer.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


def test_ssm_parameters_get_their_own_group_without_weight_decay() -> None:
    model = torch.nn.Sequential(S4(H=4, N=8, l_max=16), torch.nn.Linear(4, 2))
    groups = parameter_groups(model, lr=1e-3, weight_decay=0.01)
    names = {id(p): n.rsplit(".", 1)[-1] for n, p in model.named_parameters()}
    general = next(g for g in groups if g["name"] == "general")
    ssm = next(g for g in groups if g["name"] == "ssm")
    assert general["weight_decay"] == 0.01 and ssm["weight_decay"] == 0.0
    assert ssm["lr"] == general["lr"] == 1e-3
    assert {names[id(p)] for p in ssm["params"]} == SSM_PARAMS
    assert {"C", "D", "weight", "bias"} <= {names[id(p)] for p in general["params"]}
    n_params = sum(len(g["params"]) for g in groups)
    assert n_params == len(list(model.parameters()))


def test_kernel_is_real_and_decays() -> None:
    layer = S4(H=2, N=16, l_max=256)
    K = layer.kernel(256).detach()
    assert K.dtype == torch.float32 and K.shape == (2, 256)
    assert K[:, -32:].abs().mean() < K[:, :32].abs().mean()
