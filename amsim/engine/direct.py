"""The direct form of the field (spec §2.3) for real-valued overlaps, in float64.

Used where overlaps are not integers: the time-averaged (delayed) state of the MixedNet with tau > 1
and the decorrelated overlaps of the pseudoinverse rule.  For every state and neuron the argument of f
is computed explicitly, ``(S, b, P, N)`` per block of states, and the field is
``sum_mu t_i^mu f(arg_i^mu)``.  Exact tie decisions are not implemented here (spec §1 allows this):
``h_i == 0.0`` in float64 is the tie test, and the models that use this path say so
(``exact_ties = False``).
"""

from __future__ import annotations

import numpy as np

from amsim.engine.separation import Exponential, Polynomial, Separation

#: elements of one (S, b, P, N) block of arguments
DIRECT_BLOCK_ELEMENTS = 1 << 22


def apply_f(separation: Separation, m: np.ndarray, n: int) -> np.ndarray:
    """``f(m)`` for real dynamics overlaps ``m`` (normalised, ``f(1) = 1``)."""
    if isinstance(separation, Polynomial):
        return m**separation.d
    if isinstance(separation, Exponential):
        return np.exp((n - 1) * (m - 1.0))
    raise TypeError(f"no direct form for {separation!r}")


def self_excluded_overlaps(states: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """``m_i^mu = (xi^mu . x - xi_i^mu x_i) / (N-1)`` for real states ``x (S, b, N)``: ``(S, b, P, N)``."""
    n = patterns.shape[-1]
    xi = patterns.astype(np.float64)
    g = states @ np.swapaxes(xi, -1, -2)  # (S, b, P)
    return (g[..., None] - xi[:, None, :, :] * states[:, :, None, :]) / (n - 1)


def direct_field(states: np.ndarray, patterns: np.ndarray, targets: np.ndarray, separation: Separation,
                 overlaps=self_excluded_overlaps) -> np.ndarray:
    """Float64 field ``sum_mu t_i^mu f(m_i^mu)`` with ``m = overlaps(states_block, patterns)``.

    ``states`` real ``(S, B, N)``; ``patterns`` and ``targets`` ``(S, P, N)``; returns ``(S, B, N)``.
    """
    n_sets, n_states, n = states.shape
    n_patterns = patterns.shape[1]
    t = targets.astype(np.float64)
    out = np.empty(states.shape)
    block = max(1, DIRECT_BLOCK_ELEMENTS // max(1, n_sets * n_patterns * n))
    for lo in range(0, n_states, block):
        m = overlaps(states[:, lo : lo + block].astype(np.float64), patterns)  # (S, b, P, N)
        out[:, lo : lo + block] = np.einsum("sbpn,spn->sbn", apply_f(separation, m, n), t)
    return out
