"""Simulation of random-feature ridge ensembles on the synthetic Gaussian task (spec rf-ensembles §2).

Setup (spec §2.1, §2.3-§2.5, linear features):

- inputs ``x ~ N(0, diag(lambda_1..lambda_D))`` (``x_k = sqrt(lambda_k) z_k``), targets
  ``y = wbar . x + eps``, ``eps ~ N(0, noise_var)``; the spectrum is any :class:`Spectrum`
  (the power law of §2.1 or eigenvalues/eigen-weights given as arrays);
- ``K`` members, member ``j`` with its own projection ``F_j`` (``N x D``, entries ``N(0, 1)``),
  raw features ``psi_j(x) = F_j x``; all members see the same training set of ``P`` samples;
- member ridge in the sum-of-squares convention of §2.4::

      w_j = (Psi_j' Psi_j + lam N I_N)^-1 Psi_j' y       (primal, N < P)
          = Psi_j' (Psi_j Psi_j' + lam N I_P)^-1 y       (dual, P <= N)
      f_j(x) = psi_j(x) . w_j

  computed from one symmetric eigendecomposition of the smaller Gram matrix per member, every ridge
  by the diagonal rescale ``1/(e + lam N)``; ``lam = 0`` is the pseudo-inverse (minimum-norm)
  solution;
- ensemble ``f(x) = (1/K) sum_j f_j(x) = x . w_hat`` with ``w_hat = (1/K) sum_j F_j' w_j``
  (exact for linear features);
- risks: the exact population risk ``sum_k lambda_k (w_hat_k - wbar_k)^2 + noise_var`` and, with
  ``n_test > 0``, the mean squared error on ``n_test`` fresh held-out samples (labels with noise).

Batching: members are stacked (``(T, K, n, n)`` Gram matrices, batched ``eigh``) and repetitions
``T`` are processed in chunks that fit a memory budget.  Every repetition draws from its own child
generator (``rng.spawn``), so results do not depend on the chunking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from amsim.errors import AmsimError
from amsim.models.rf_theory import Spectrum

#: held-out samples are drawn and evaluated in blocks of this many rows
TEST_BLOCK = 2048
#: default memory budget of one batch of repetitions
BATCH_BYTES = 1 << 30

Form = Literal["auto", "primal", "dual"]


# --------------------------------------------------------------------------------------------------
# the ridge solver of one ensemble (batched over repetitions and members)
# --------------------------------------------------------------------------------------------------


def choose_form(P: int, N: int, form: Form = "auto") -> str:
    """``primal`` when ``N < P`` (N x N Gram matrix), ``dual`` when ``P <= N`` (P x P): the
    cheaper of the two, as in the spec; ``form`` forces one."""
    if form == "auto":
        return "primal" if N < P else "dual"
    if form not in ("primal", "dual"):
        raise AmsimError(f"form must be auto, primal or dual, got {form!r}")
    return form


def _inverse_spectrum(e: np.ndarray, ridges: np.ndarray, N: int) -> np.ndarray:
    """``1/(e + lam N)`` for every ridge (last axis); at ``lam = 0`` the pseudo-inverse ``1/e`` on
    eigenvalues above ``max(e) * n * eps`` and 0 below (numpy's ``pinv`` cut-off)."""
    e = np.maximum(e, 0.0)[..., None]  # rounding can leave tiny negative eigenvalues
    shifted = e + ridges * N
    out = np.zeros_like(shifted)
    cut = e.max(axis=-2, keepdims=True) * e.shape[-2] * np.finfo(np.float64).eps
    keep = (ridges > 0) | (e > cut)
    np.divide(1.0, shifted, out=out, where=keep & (shifted > 0))
    return out


def ridge_weights(psi: np.ndarray, y: np.ndarray, ridges, form: Form = "auto") -> np.ndarray:
    """Member readouts ``w_j(lam)`` on raw features for every ridge, sum-of-squares convention.

    ``psi``: ``(..., K, P, N)`` raw features of each member on the shared training set; ``y``:
    ``(..., P)`` labels.  Returns ``(..., K, N, L)`` for the ``L`` ridges (each ``>= 0``).
    """
    ridges = np.asarray(ridges, dtype=np.float64).ravel()
    if ridges.size == 0 or np.any(~np.isfinite(ridges)) or np.any(ridges < 0):
        raise AmsimError("ridges must be finite and >= 0")
    P, N = psi.shape[-2], psi.shape[-1]
    yk = y[..., None, :, None]  # (..., 1, P, 1)
    if choose_form(P, N, form) == "primal":
        gram = np.matmul(np.swapaxes(psi, -1, -2), psi)  # (..., K, N, N)
        e, u = np.linalg.eigh(gram)
        b = np.matmul(np.swapaxes(u, -1, -2), np.matmul(np.swapaxes(psi, -1, -2), yk))  # (...,K,N,1)
        return np.matmul(u, b * _inverse_spectrum(e, ridges, N))
    gram = np.matmul(psi, np.swapaxes(psi, -1, -2))  # (..., K, P, P)
    e, u = np.linalg.eigh(gram)
    c = np.matmul(np.swapaxes(u, -1, -2), yk)  # (..., K, P, 1)
    dual = np.matmul(u, c * _inverse_spectrum(e, ridges, N))  # (..., K, P, L)
    return np.matmul(np.swapaxes(psi, -1, -2), dual)


# --------------------------------------------------------------------------------------------------
# one simulation: data, features, fits, risks
# --------------------------------------------------------------------------------------------------


@dataclass
class SimResult:
    """Risks of ``T`` repetitions on ``L`` ridges.

    ``risk``: ensemble risk, held-out MSE when ``n_test > 0`` else the population risk, ``(T, L)``;
    ``risk_pop``: ensemble population risk ``(T, L)``; ``risk_members``: single-member population
    risk averaged over the members ``(T, L)`` (an estimate of ``E_1``); ``risk_cumulative``:
    population risk of the first ``K' = 1..K`` members' ensemble, ``(T, K, L)`` (when asked for).
    """

    ridges: np.ndarray
    K: int
    N: int
    P: int
    risk: np.ndarray
    risk_pop: np.ndarray
    risk_members: np.ndarray
    risk_test: np.ndarray | None = None
    risk_cumulative: np.ndarray | None = None
    form: str = ""
    extra: dict = field(default_factory=dict)


def estimate_bytes(D: int, P: int, K: int, N: int, n_ridges: int, n_test: int = 0,
                   trials: int = 1, cumulative: bool = False) -> int:
    """Peak bytes of :func:`simulate` for ``trials`` repetitions in one batch (float64)."""
    M = K * N
    n = min(N, P)
    per = (
        P * D  # inputs
        + M * D  # projections
        + 2 * P * M  # features and a transposed copy
        + 3 * K * n * n  # Gram matrix, eigenvectors, workspace
        + 3 * M * n_ridges  # readouts
        + 4 * D * n_ridges  # ensemble weights, errors
        + (min(n_test, TEST_BLOCK) * (2 * D + 2 * n_ridges) if n_test else 0)
        + (K * D * n_ridges if cumulative else 0)
    )
    return 8 * per * trials + (1 << 20)


def simulate(spec: Spectrum, P: int, K: int, N: int, ridges, rng: np.random.Generator,
             trials: int = 1, n_test: int = 0, cumulative: bool = False, form: Form = "auto",
             batch_bytes: int = BATCH_BYTES) -> SimResult:
    """Simulate ``trials`` independent ensembles (fresh data, features and test set each).

    All randomness comes from ``rng``: repetition ``t`` uses the ``t``-th child of
    ``rng.spawn(trials)`` and draws, in order, the training inputs, the training label noise, the
    ``K`` projections and the held-out set.
    """
    for name, v in (("P", P), ("K", K), ("N", N), ("trials", trials)):
        if int(v) != v or v < 1:
            raise AmsimError(f"{name} must be an integer >= 1, got {v}")
    if int(n_test) != n_test or n_test < 0:
        raise AmsimError(f"n_test must be an integer >= 0, got {n_test}")
    ridges = np.asarray(ridges, dtype=np.float64).ravel()
    if ridges.size == 0 or np.any(~np.isfinite(ridges)) or np.any(ridges < 0):
        raise AmsimError("ridges must be finite and >= 0")
    P, K, N, trials, n_test = int(P), int(K), int(N), int(trials), int(n_test)
    D = spec.modes
    one = estimate_bytes(D, P, K, N, ridges.size, n_test, 1, cumulative)
    per_batch = max(1, min(trials, batch_bytes // one))
    children = rng.spawn(trials)
    parts = []
    for start in range(0, trials, per_batch):
        parts.append(_simulate_batch(spec, P, K, N, ridges, children[start:start + per_batch],
                                     n_test, cumulative, form))
    cat = {key: np.concatenate([p[key] for p in parts]) if parts[0][key] is not None else None
           for key in parts[0]}
    return SimResult(
        ridges=ridges, K=K, N=N, P=P,
        risk=cat["risk_test"] if n_test else cat["risk_pop"],
        risk_pop=cat["risk_pop"], risk_members=cat["risk_members"], risk_test=cat["risk_test"],
        risk_cumulative=cat["risk_cumulative"], form=choose_form(P, N, form),
    )


def draw_inputs(spec: Spectrum, n: int, rng: np.random.Generator, out: np.ndarray | None = None) -> np.ndarray:
    """``n`` inputs ``x = sqrt(lambda) * z`` (rows), drawn in place into ``out`` when given."""
    X = np.empty((n, spec.modes)) if out is None else out
    rng.standard_normal(out=X)
    X *= np.sqrt(spec.eigvals)
    return X


def draw_task(spec: Spectrum, P: int, K: int, N: int, rng: np.random.Generator, out=None):
    """Training inputs ``X (P, D)``, labels ``y (P,)`` and projections ``F (K, N, D)``, in the order
    :func:`simulate` draws them (into the arrays ``out = (X, y, F)`` when given)."""
    X, y, F = out if out is not None else (np.empty((P, spec.modes)), np.empty(P), np.empty((K, N, spec.modes)))
    draw_inputs(spec, P, rng, out=X)
    np.matmul(X, spec.wbar, out=y)
    if spec.noise_var > 0:
        y += np.sqrt(spec.noise_var) * rng.standard_normal(P)
    rng.standard_normal(out=F)
    return X, y, F


def _simulate_batch(spec, P, K, N, ridges, rngs, n_test, cumulative, form) -> dict:
    D = spec.modes
    T = len(rngs)
    X = np.empty((T, P, D))
    y = np.empty((T, P))
    F = np.empty((T, K, N, D))
    for t, g in enumerate(rngs):
        draw_task(spec, P, K, N, g, out=(X[t], y[t], F[t]))
    # features of all members at once: (T, P, M) -> (T, K, P, N)
    psi = np.matmul(X, F.reshape(T, K * N, D).transpose(0, 2, 1))
    psi = np.ascontiguousarray(psi.reshape(T, P, K, N).transpose(0, 2, 1, 3))
    del X
    W = ridge_weights(psi, y, ridges, form)  # (T, K, N, L)
    del psi
    # ensemble weights in input space: w_hat = (1/K) sum_j F_j' w_j
    Fm = F.reshape(T, K * N, D)
    w_hat = np.matmul(Fm.transpose(0, 2, 1), W.reshape(T, K * N, -1)) / K  # (T, D, L)
    lam_k = spec.eigvals[None, :, None]
    wbar = spec.wbar[None, :, None]
    s2 = spec.noise_var
    risk_pop = np.sum(lam_k * (w_hat - wbar) ** 2, axis=1) + s2  # (T, L)
    # single members and cumulative ensembles (population risk), one member at a time
    L = ridges.size
    members = np.zeros((T, L))
    cum = np.zeros((T, K, L)) if cumulative else None
    running = np.zeros((T, D, L))
    for j in range(K):
        c = np.matmul(F[:, j].transpose(0, 2, 1), W[:, j])  # (T, D, L)
        members += np.sum(lam_k * (c - wbar) ** 2, axis=1) + s2
        if cumulative:
            running += c
            cum[:, j] = np.sum(lam_k * (running / (j + 1) - wbar) ** 2, axis=1) + s2
    members /= K
    risk_test = None
    if n_test:
        risk_test = np.zeros((T, L))
        for t, g in enumerate(rngs):
            done = 0
            while done < n_test:
                b = min(TEST_BLOCK, n_test - done)
                Xt = draw_inputs(spec, b, g)
                yt = Xt @ spec.wbar
                if s2 > 0:
                    yt = yt + np.sqrt(s2) * g.standard_normal(b)
                risk_test[t] += np.sum((Xt @ w_hat[t] - yt[:, None]) ** 2, axis=0)
                done += b
        risk_test /= n_test
    return {"risk_pop": risk_pop, "risk_members": members, "risk_test": risk_test,
            "risk_cumulative": cum}


def member_predictions(X: np.ndarray, F: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Member outputs ``f_j(x) = psi_j(x) . w_j`` on inputs ``X (n, D)``: ``(K, n, L)`` for
    projections ``F (K, N, D)`` and readouts ``W (K, N, L)`` (used by tests as the direct form)."""
    return np.matmul(np.matmul(X[None], F.transpose(0, 2, 1)), W)
