"""The generalized pseudoinverse (GPI) rule, spec §2.4 (Eq. 11): overlaps decorrelated inside f.

``h_i = sum_mu t_i^mu f(a_i^mu)``, ``a_i^mu = sum_nu (O^+)_{mu nu} m_i^nu``, ``O = Xi Xi^T / N``
(self-included Gram matrix), ``O^+`` its Moore-Penrose pseudoinverse from an eigendecomposition with
eigenvalues below ``rtol * lambda_max`` set to zero (float64; the release code uses its library's
float32 default cutoff).  Two normalisations (spec §2.4):

- ``self-excluded`` (default, as the release code evaluates Eq. 11): ``m_i^nu`` self-excluded with
  ``1/(N-1)``; evaluated as ``a_i^mu = [(O^+ g)^mu - S_i X_{mu i}] / (N-1)`` with ``X = O^+ Xi``;
- ``consistent``: ``m^nu = g^nu / N`` (self-included, like O); then ``a(xi^mu) = e_mu`` exactly for
  linearly independent patterns (App. E exactness; the variant the tests of R12 use).

With ``f(x) = x`` this is the sequence form of the Kanter-Sompolinsky (1987) pseudoinverse rule.  The
overlaps are real, so ties use the float64 test ``h == 0.0`` (spec §1).  The exponential GPI is
evaluated as ``f(a) = exp((N-1)(a-1))`` as written; the spec marks it numerically unstable and it is not
tested.
"""

from __future__ import annotations

import numpy as np

from amsim.engine.direct import apply_f, direct_field
from amsim.engine.separation import Separation

VARIANTS = ("self-excluded", "consistent")


def pseudoinverse(gram: np.ndarray, rtol: float) -> np.ndarray:
    """Moore-Penrose pseudoinverse of symmetric PSD matrices ``(S, P, P)`` with relative cutoff."""
    values, vectors = np.linalg.eigh(gram)
    cutoff = rtol * values.max(axis=-1, keepdims=True)
    inverse = np.where(values > cutoff, 1.0 / np.where(values > cutoff, values, 1.0), 0.0)
    return (vectors * inverse[..., None, :]) @ np.swapaxes(vectors, -1, -2)


def gpi_field(states, patterns, targets, separation: Separation, variant: str, rtol: float):
    """Float64 GPI field ``(S, B, N)`` of int8 states ``(S, B, N)``; shapes as in the field core."""
    if variant not in VARIANTS:
        raise ValueError(f"GPI normalisation must be one of {VARIANTS}, got {variant!r}")
    n = patterns.shape[-1]
    xi = patterns.astype(np.float64)
    o_plus = pseudoinverse(xi @ np.swapaxes(xi, -1, -2) / n, rtol)  # (S, P, P)
    if variant == "consistent":
        a = (states.astype(np.float64) @ np.swapaxes(xi, -1, -2) / n) @ o_plus  # (S, B, P)
        return apply_f(separation, a, n) @ targets.astype(np.float64)
    x = o_plus @ xi  # (S, P, N)

    def decorrelated(block, pats):
        u = (block @ np.swapaxes(xi, -1, -2)) @ o_plus  # (S, b, P): (O+ g)^mu, O+ symmetric
        return (u[..., None] - x[:, None] * block[:, :, None, :]) / (n - 1)  # (S, b, P, N)

    return direct_field(states.astype(np.float64), patterns, targets, separation, decorrelated)
