"""Initialisation statistics of the parameterized transformer (spec attention-limits §3.6, §8.2; numpy only).

- :func:`init_statistics`: one draw of the model at initialisation on fixed inputs, block by block
  (:func:`amsim.models.attention.stream_layers`, so H = 1024 fits in memory): the per-head logits
  A_h(s, s') of the first block and the residual-stream kernels H_ss'(x, x') = h_s(x).h_s'(x')/(NH)
  after the read-in and after every block.
- Theory: Var_h[A] = sigma_s^2 sigma_s'^2 N^(1 - 2 alpha_A) with sigma_s^2 = c_qk |u(s)|^2 / (NH)
  (:func:`logit_variance_theory`; ~ c_qk^2 N^(1-2 alpha_A), = N^(1-2 alpha_A)/4 in the ViT convention),
  and the exact variance-gamma law of A over heads (:func:`logit_density`).
- :func:`fit_exponent`: least-squares slope of log y against log x.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from amsim.models.attention import (
    TransformerConfig, attention_logits, block_generators, init_block, init_readin, layer_norm, read_in,
    stream_layers,
)


def init_statistics(cfg: TransformerConfig, x: np.ndarray, rng: np.random.Generator, *, kernels: bool = True,
                    dtype=np.float64) -> dict:
    """Logits of block 1 ``(H, B, S, S)``, its input norms ``|u(s)|^2`` ``(B, S)`` and the kernels.

    ``kernels`` (if asked): ``(L + 1, B*S, B*S)``, entry [l] the kernel of the residual stream after the
    read-in (l = 0) or after block l, tokens ordered input-major.
    """
    if not kernels:  # block 1's logits need the read-in and that block's W_Q, W_K only
        gens = block_generators(rng, cfg.L)
        h = read_in(init_readin(cfg, gens[0], dtype), x.astype(dtype), cfg, np)
        u = layer_norm(h, np)
        logits = attention_logits(init_block(cfg, gens[1], dtype, qk_only=True), u, cfg, np)
        return {"u_norm2": (u.astype(np.float64) ** 2).sum(-1), "logits": logits.transpose(1, 0, 2, 3)}
    out = {}
    kern = []
    for layer, h, logits in stream_layers(cfg, x, rng, dtype):
        if layer == 0:
            u = layer_norm(h, np)
            out["u_norm2"] = (u.astype(np.float64) ** 2).sum(-1)
        if layer == 1:
            out["logits"] = np.asarray(logits).transpose(1, 0, 2, 3)  # (H, B, S, S)
        flat = h.reshape(-1, h.shape[-1]).astype(np.float64)
        kern.append(flat @ flat.T / cfg.width)
    out["kernels"] = np.stack(kern)
    return out


def logit_variance(logits: np.ndarray) -> float:
    """Variance over heads (axis 0, ddof 1) of A_h at each (input, s, s'), averaged over those."""
    if logits.shape[0] < 2:
        return float("nan")
    return float(logits.var(axis=0, ddof=1).mean())


def logit_variance_theory(cfg: TransformerConfig, u_norm2: np.ndarray) -> float:
    """Var_h A_h(s,s') = c_qk^2 |u(s)|^2 |u(s')|^2 / (NH)^2 * N^(1 - 2 alpha_A), averaged over (b, s, s')."""
    sig2 = cfg.c_qk * u_norm2 / cfg.width  # (B, S)
    pair = sig2[:, :, None] * sig2[:, None, :]
    return float(pair.mean() * cfg.N ** (1.0 - 2.0 * cfg.alpha_A))


def logit_density(a: np.ndarray, N: int, alpha_A: float, sigma2: float) -> np.ndarray:
    """Density of A = N^(-alpha_A) sum_{i<=N} q_i k_i with q_i, k_i i.i.d. N(0, sigma2) (spec §3.6).

    X = sum q_i k_i is symmetric variance-gamma: p_X(x) = |x|^nu K_nu(|x|/sigma2) /
    (sqrt(pi) Gamma(N/2) 2^nu sigma2^(nu+1)), nu = (N-1)/2; evaluated in logs with the scaled Bessel
    function so that large N does not overflow.  p_A(a) = N^alpha_A p_X(N^alpha_A a).
    """
    a = np.asarray(a, dtype=float)
    x = np.abs(a) * N**alpha_A
    nu = (N - 1) / 2.0
    safe = np.where(x > 0, x, 1.0)
    log_p = (nu * np.log(safe) + np.log(special.kve(nu, safe / sigma2)) - safe / sigma2
             - 0.5 * np.log(np.pi) - special.gammaln(N / 2.0) - nu * np.log(2.0) - (nu + 1.0) * np.log(sigma2))
    # at x = 0: x^nu K_nu(x/sigma2) -> Gamma(nu) 2^(nu-1) sigma2^nu for nu > 0; the N = 1 density diverges
    at_zero = (np.exp(special.gammaln(nu) - special.gammaln(N / 2.0)) / (2 * np.sqrt(np.pi) * sigma2)
               if nu > 0 else np.inf)
    return np.where(x > 0, np.exp(log_p), at_zero) * N**alpha_A


def fit_exponent(x, y) -> float:
    """Least-squares slope of log y against log x (NaNs and non-positive y left out)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(y) & (y > 0) & (x > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def kernel_deviation(kernel: np.ndarray, reference: np.ndarray) -> float:
    """Relative squared Frobenius deviation |K - K_ref|^2 / |K_ref|^2."""
    return float(((kernel - reference) ** 2).sum() / (reference**2).sum())
