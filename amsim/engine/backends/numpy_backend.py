"""The numpy backend: the readable reference (oracle) for every faster backend.

The two-value form of spec §2.3 with matrix products: for a block of states ``g = S Xi^T``,
candidates ``A+ = f((g-1)/(N-1))`` and ``A- = f((g+1)/(N-1))``, ``B = (A+ + A-)/2``,
``D = (A+ - A-)/2`` and ``h_i = sum_mu t_i^mu B^mu + S_i sum_mu (t_i^mu xi_i^mu) D^mu``.  For the
included overlap both candidates are ``f(g/N)`` and the second product vanishes.
"""

from __future__ import annotations

import numpy as np

from amsim.engine.fields import BLOCK_ELEMENTS
from amsim.engine.separation import Separation


class NumpyBackend:
    """Reference backend: float64 BLAS products, blocked over states."""

    name = "numpy"

    @staticmethod
    def scratch_bytes(n_sets: int, n_states: int, n_patterns: int, n: int) -> int:
        """Bytes beyond :func:`amsim.engine.memory.field_core_bytes` (which counts six float64
        ``(S, b, P)`` candidate arrays of at most ``BLOCK_ELEMENTS``): up to ten such arrays live at
        once, a block holds at least one state of every set, the block's float64 states and
        ``(S, b, N)`` products (five arrays), and the float64 field and bound returned."""
        states = min(n_states, max(1, BLOCK_ELEMENTS // max(1, n_sets * n_patterns)))
        block = n_sets * states * n_patterns
        counted = min(BLOCK_ELEMENTS, n_sets * n_states * n_patterns)
        return max(0, 80 * block - 48 * counted) + 40 * n_sets * states * n + 8 * n_sets * n_states * (n + 1)

    def term_field(self, states, patterns, targets, separation: Separation, overlap: str):
        """Float64 field ``(S, B, N)`` of one term and its error bound ``(S, B, 1)``.

        Parameters are 3-D int8 arrays ``states (S,B,N)``, ``patterns`` and ``targets`` ``(S,P,N)``.
        Each state's field may carry a positive factor (the exponential's shift); the bound carries
        the same factor.
        """
        n_sets, n_states, n = states.shape
        n_patterns = patterns.shape[1]
        xi_t = np.swapaxes(patterns, 1, 2).astype(np.float64)  # (S, N, P)
        t = targets.astype(np.float64)
        y = t * patterns if overlap == "excluded" else None  # (S, P, N): t_i^mu xi_i^mu
        field = np.empty(states.shape)
        bound = np.empty((n_sets, n_states, 1))
        block = max(1, BLOCK_ELEMENTS // max(1, n_sets * n_patterns))
        for lo in range(0, n_states, block):
            s = states[:, lo : lo + block].astype(np.float64)  # (S, b, N)
            a_plus, a_minus = separation.candidates(s @ xi_t, n, overlap)  # (S, b, P) each
            if y is None:
                field[:, lo : lo + block] = a_plus @ t
            else:
                half_sum = 0.5 * (a_plus + a_minus)
                half_diff = 0.5 * (a_plus - a_minus)
                field[:, lo : lo + block] = half_sum @ t + s * (half_diff @ y)
            bound[:, lo : lo + block] = separation.error_bound(a_plus, a_minus)
        return field, bound
