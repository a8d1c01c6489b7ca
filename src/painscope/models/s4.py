"""The S4 layer ViS4mer uses (Gu et al. 2022, "S4 v2" standalone file), in plain PyTorch.

One linear state-space model per channel ``h`` (continuous time)::

    x'(t) = A x(t) + B u(t),   y(t) = C x(t) + D u(t)

with A (N × N) the HiPPO-LegS matrix in normal-plus-low-rank (NPLR) form
``A = V (Λ - P P*) V*`` (rank 1), discretised with step ``Δ = exp(log_dt)`` by the
bilinear transform. Unrolled over a sequence of length L the SSM is a convolution
with kernel ``K_k = C Ā^k B̄`` (k < L); S4 computes that kernel in frequency space
from a Cauchy kernel plus a Woodbury correction, then applies it with an FFT.

Notes
-----
- Only N/2 of the N eigenvalues are kept: they come in complex-conjugate pairs, and the
  conjugate half is added back inside every Cauchy sum (so the SSM stays real-valued).
- As in the official code the learned ``C`` is C̃ = C (I - Ā^L) for L = ``l_max``;
  this makes the length-L kernel exact at the L-th roots of unity. The recurrent
  :meth:`S4.step` view recovers C by solving (dense N × N; for tests and streaming).
- ``log_dt`` ~ U[log 0.001, log 0.1] per channel; C ~ complex normal; D ~ normal.
- Stability: the real parts of Λ are stored as ``log(-Re Λ)`` (always negative).
- S4D (``mode="s4d"``): diagonal A (the same LegS eigenvalues, no low-rank term),
  zero-order-hold discretisation and a Vandermonde kernel, as in S4's minimal ``s4d.py``.

Optimizer: the SSM parameters (Λ, P, B, log_dt) carry ``_optim = {"weight_decay": 0.0}``
(see :func:`painscope.train.optim.parameter_groups`): they define a dynamical system
whose timescales and eigenvalues weight decay would shrink towards 0 (towards
unstable, memory-less systems), so the official code exempts them from decay.
C, D and the output projection are ordinary weights.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import torch
from torch import nn

SSMMode = Literal["s4", "s4d"]


def hippo_legs(N: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HiPPO-LegS ``A`` (N × N), ``B`` (N,) and the rank-1 ``P`` with ``A + P Pᵀ`` normal.

    A_nk = -sqrt(2n+1) sqrt(2k+1) (n > k), -(n+1) (n = k), 0 (n < k); B_n = sqrt(2n+1);
    P_n = sqrt(n + 1/2).
    """
    q = np.sqrt(2 * np.arange(N) + 1.0)
    A = -np.tril(q[:, None] * q[None, :], -1) - np.diag(np.arange(N) + 1.0)
    B = q.copy()
    P = np.sqrt(np.arange(N) + 0.5)
    return A, B, P


def nplr_legs(N: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Diagonalised NPLR form of HiPPO-LegS, keeping one eigenvalue per conjugate pair.

    Returns
    -------
    w : complex array (N/2,) — eigenvalues Λ of the normal part (Re = -1/2)
    P : complex array (N/2,) — V* P
    B : complex array (N/2,) — V* B
    """
    A, B, P = hippo_legs(N)
    S = A + np.outer(P, P)  # normal: -1/2 I + skew-symmetric
    S_skew = (S - S.T) / 2
    # eigen-decompose the skew-symmetric part as a Hermitian matrix (stable)
    evals, V = np.linalg.eigh(S_skew * -1j)
    w = -0.5 + 1j * evals
    keep = np.argsort(w.imag)[N // 2 :]  # positive imaginary parts: one of each pair
    V = V[:, keep]
    return w[keep], V.conj().T @ P, V.conj().T @ B


def _register_ssm(module: nn.Module, name: str, tensor: torch.Tensor) -> None:
    """An SSM parameter: trained, but exempt from weight decay (see module docstring)."""
    param = nn.Parameter(tensor)
    param._optim = {"weight_decay": 0.0}  # type: ignore[attr-defined]
    module.register_parameter(name, param)


class SSKernel(nn.Module):
    """The SSM convolution kernel K (H, L) of H independent channels (S4 or S4D)."""

    def __init__(
        self,
        H: int,
        N: int = 64,
        l_max: int = 1024,
        mode: SSMMode = "s4",
        dt_min: float = 1e-3,
        dt_max: float = 1e-1,
    ) -> None:
        super().__init__()
        if N % 2:
            raise ValueError(f"state size N must be even, got {N}")
        self.H, self.N, self.l_max, self.mode = H, N, l_max, mode
        w, P, B = nplr_legs(N)
        log_dt = torch.rand(H) * (math.log(dt_max) - math.log(dt_min)) + math.log(dt_min)
        C = torch.randn(H, N // 2, dtype=torch.cfloat)  # this is C̃ (see module notes)
        w_t = torch.tensor(w, dtype=torch.cfloat).repeat(H, 1)  # (H, N/2)
        _register_ssm(self, "log_dt", log_dt)
        _register_ssm(self, "log_w_real", torch.log(-w_t.real))
        _register_ssm(self, "w_imag", w_t.imag.clone())
        _register_ssm(
            self, "B", torch.view_as_real(torch.tensor(B, dtype=torch.cfloat).repeat(H, 1))
        )
        if mode == "s4":
            P_t = torch.tensor(P, dtype=torch.cfloat).repeat(H, 1)  # (H, N/2), rank 1
            _register_ssm(self, "P", torch.view_as_real(P_t))
        self.C = nn.Parameter(torch.view_as_real(C))  # (H, N/2, 2)

    # -- parameters as complex tensors ---------------------------------------------------
    def _w(self) -> torch.Tensor:
        return torch.complex(-torch.exp(self.log_w_real), self.w_imag)  # (H, N/2)

    def _params(self) -> tuple[torch.Tensor, ...]:
        dt = torch.exp(self.log_dt)  # (H,)
        B = torch.view_as_complex(self.B)  # (H, N/2)
        C = torch.view_as_complex(self.C)  # (H, N/2)
        return dt, self._w(), B, C

    # -- convolution view ------------------------------------------------------------------
    def forward(self, L: int) -> torch.Tensor:
        """Kernel K of shape (H, L). Exact for L ≤ l_max (truncated from l_max)."""
        if self.l_max < L:
            raise ValueError(f"sequence length {L} exceeds the layer's l_max={self.l_max}")
        dt, w, B, C = self._params()
        if self.mode == "s4d":
            dtA = dt[:, None] * w  # (H, N/2)
            C_eff = C * B * (torch.exp(dtA) - 1.0) / w  # ZOH: B̄ = (e^{ΔA} - 1)/A · B
            powers = dtA[:, :, None] * torch.arange(L, device=w.device)  # (H, N/2, L)
            return 2 * torch.einsum("hn,hnl->hl", C_eff, torch.exp(powers)).real
        P = torch.view_as_complex(self.P)  # (H, N/2)
        Lm = self.l_max
        k = torch.arange(Lm // 2 + 1, device=w.device)
        omega = torch.exp(-2j * math.pi * k / Lm).to(torch.cfloat)  # (L'), rfft frequencies
        # Bilinear transform at z = ω, written without dividing by (1 + ω) (ω = -1 is fine):
        # K̂(ω) = 2 [C̃ R B - (1+ω) (C̃ R P)(P* R B) / (1 + (1+ω) P* R P)],
        # R = diag(1 / ((2/Δ)(1-ω) - Λ(1+ω)))  — a Cauchy kernel in g = (2/Δ)(1-ω)/(1+ω).
        scale = (1 + omega)[None, :]  # (1, L')
        two_dt = (2.0 / dt)[:, None, None] * (1 - omega)[None, None, :]  # (H, 1, L')
        r = 1.0 / (two_dt - w[:, :, None] * scale[:, None, :])  # (H, N/2, L')
        r_c = 1.0 / (two_dt - w.conj()[:, :, None] * scale[:, None, :])  # conjugate half
        # the four Cauchy sums Σ_n a_n b_n r_n(ω) (+ conjugate half) as one batched matmul
        Pc = P.conj()
        ab = torch.stack([C * B, C * P, Pc * B, Pc * P], dim=1)  # (H, 4, N/2)
        k4 = torch.bmm(ab, r) + torch.bmm(ab.conj(), r_c)  # (H, 4, L')
        k_cb, k_cp, k_pb, k_pp = k4.unbind(dim=1)  # C̃RB, C̃RP, P*RB, P*RP: (H, L') each
        k_f = 2 * (k_cb - scale * k_cp * k_pb / (1 + scale * k_pp))  # (H, L')
        K = torch.fft.irfft(k_f, n=Lm)  # (H, l_max)
        return K[:, :L]

    # -- recurrent view ----------------------------------------------------------------------
    def discrete_ssm(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Dense discrete SSM over the full N-dim complex state (both conjugate halves).

        Returns Ā (H, N, N), B̄ (H, N), C (H, N) with y_k = Re(C x_k) and
        x_k = Ā x_{k-1} + B̄ u_k. Used by :meth:`S4.step`; O(H N³), not for training.
        """
        dt, w, B, C = self._params()
        H, N = self.H, self.N
        full = lambda v: torch.cat([v, v.conj()], dim=-1)  # noqa: E731  (H, N)
        eye = torch.eye(N, dtype=torch.cfloat, device=w.device).expand(H, N, N)
        if self.mode == "s4d":
            dtA = dt[:, None] * full(w)
            dA = torch.diag_embed(torch.exp(dtA))
            dB = (torch.exp(dtA) - 1.0) / full(w) * full(B)
            return dA, dB, full(C)
        P = full(torch.view_as_complex(self.P))
        A = torch.diag_embed(full(w)) - P[:, :, None] * P.conj()[:, None, :]  # (H, N, N)
        half = (dt / 2)[:, None, None] * A
        inv = torch.linalg.inv(eye - half)
        dA = inv @ (eye + half)  # (H, N, N)
        dB = (inv @ (dt[:, None] * full(B))[:, :, None])[..., 0]  # (H, N)
        # C̃ = C (I - Ā^L)  →  C = C̃ (I - Ā^L)^{-1}
        dA_L = torch.linalg.matrix_power(dA, self.l_max)
        C_true = torch.linalg.solve((eye - dA_L).transpose(-1, -2), full(C)[:, :, None])[..., 0]
        return dA, dB, C_true


class S4(nn.Module):
    """S4 layer as in ViS4mer: SSM convolution + D skip → GELU → dropout → Linear(H, H).

    Parameters
    ----------
    H : channels (d_model); N : state size; l_max : longest sequence;
    dropout : channel-wise dropout (``Dropout1d``: the original's Dropout2d on (B, H, L));
    mode : ``s4`` (NPLR, default) or ``s4d``.

    Input and output are (B, H, L) ("transposed", as ViS4mer calls it).
    """

    def __init__(
        self, H: int, N: int = 64, l_max: int = 1024, dropout: float = 0.0, mode: SSMMode = "s4"
    ) -> None:
        super().__init__()
        self.H = H
        self.kernel = SSKernel(H, N=N, l_max=l_max, mode=mode)
        self.D = nn.Parameter(torch.randn(H))
        self.activation = nn.GELU()
        self.dropout = nn.Dropout1d(dropout) if dropout > 0 else nn.Identity()
        self.output_linear = nn.Linear(H, H)

    def _post(self, y: torch.Tensor) -> torch.Tensor:
        """GELU → dropout → position-wise Linear; y (B, H, L) → (B, H, L)."""
        y = self.dropout(self.activation(y))
        return self.output_linear(y.transpose(-1, -2)).transpose(-1, -2)

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        """u (B, H, L) → (B, H, L)."""
        L = u.shape[-1]
        K = self.kernel(L)  # (H, L)
        k_f = torch.fft.rfft(K.float(), n=2 * L)  # (H, L+1)
        u_f = torch.fft.rfft(u.float(), n=2 * L)  # (B, H, L+1)
        y = torch.fft.irfft(u_f * k_f, n=2 * L)[..., :L]  # (B, H, L)
        y = (y + u * self.D[:, None]).to(u.dtype)
        return self._post(y)

    def default_state(self, batch: int) -> torch.Tensor:
        """Zero state of shape (B, H, N), complex (both conjugate halves)."""
        return torch.zeros(batch, self.H, self.kernel.N, dtype=torch.cfloat, device=self.D.device)

    def step(
        self,
        u: torch.Tensor,
        state: torch.Tensor,
        ssm: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """One recurrent step: u (B, H), state (B, H, N) → y (B, H), new state.

        Gives the same outputs as :meth:`forward` run on the whole sequence (the test
        that the kernel is right). Pass ``ssm=self.kernel.discrete_ssm()`` to reuse it.
        """
        dA, dB, C = ssm if ssm is not None else self.kernel.discrete_ssm()
        state = torch.einsum("hmn,bhn->bhm", dA, state) + dB * u[..., None]  # (B, H, N)
        y = torch.einsum("hn,bhn->bh", C, state).real + self.D * u  # (B, H)
        return self._post(y[..., None])[..., 0], state
