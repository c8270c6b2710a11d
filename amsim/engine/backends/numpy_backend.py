"""The numpy backend: the readable reference (oracle) for every faster backend.

It is the two-value form of spec §2.3 written with matrix products: for a block of states
``g = S Xi^T``, candidates ``A+ = f((g-1)/(N-1))`` and ``A- = f((g+1)/(N-1))``, ``B = (A+ + A-)/2``,
``D = (A+ - A-)/2`` and ``h_i = sum_mu t_i^mu B^mu + S_i sum_mu (t_i^mu xi_i^mu) D^mu``.
"""

from __future__ import annotations

import numpy as np

from amsim.engine.fields import AMBIGUOUS, BLOCK_ELEMENTS
from amsim.engine.separation import Separation


class NumpyBackend:
    """Reference backend: float64 BLAS products plus an exact host path for near-zero fields."""

    name = "numpy"

    def field_codes(self, states, patterns, targets, separation: Separation) -> np.ndarray:
        """Signs of the fields, or :data:`AMBIGUOUS` where rounding could matter.

        Parameters are 3-D int8 arrays ``states (S,B,N)``, ``patterns`` and ``targets`` ``(S,P,N)``.
        Returns int8 ``(S, B, N)``.
        """
        n_sets, n_states, n = states.shape
        n_patterns = patterns.shape[1]
        xi = patterns.astype(np.float64)
        xi_t = np.ascontiguousarray(xi.transpose(0, 2, 1))  # (S, N, P)
        t = targets.astype(np.float64)
        y = t * xi  # (S, P, N): t_i^mu xi_i^mu
        codes = np.empty(states.shape, dtype=np.int8)
        block = max(1, BLOCK_ELEMENTS // max(1, n_sets * n_patterns))
        for lo in range(0, n_states, block):
            s = states[:, lo : lo + block].astype(np.float64)  # (S, b, N)
            a_plus, a_minus = separation.candidates(s @ xi_t, n)  # (S, b, P) each
            half_sum = 0.5 * (a_plus + a_minus)
            half_diff = 0.5 * (a_plus - a_minus)
            h = half_sum @ t + s * (half_diff @ y)
            bound = separation.error_bound(a_plus, a_minus)
            codes[:, lo : lo + block] = np.where(np.abs(h) > bound, np.sign(h), AMBIGUOUS)
        return codes
