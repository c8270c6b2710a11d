"""The Numba backend: the field core compiled, parallel over states.

Same algorithm and error bound as :mod:`amsim.engine.backends.numpy_backend` (two-value form of spec
§2.3), written as loops: per state, integer overlaps ``g^mu``, the two candidates per pattern, then one
streaming pass over the int8 target arrays.  ``prange`` runs over all (pattern set, state) pairs, which
keeps both cores busy for the teacher-forced batch (P states) and for many trials alike.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from amsim.engine.fields import AMBIGUOUS
from amsim.engine.numba_conf import JIT_OPTIONS
from amsim.engine.separation import EPS, TINY, Exponential, Separation

KIND_POLY = 0
KIND_EXP = 1


@njit(**JIT_OPTIONS)
def _field_codes(states, patterns, targets, products, kind, degree, rel_err, out):
    n_sets, n_states, n = states.shape
    n_patterns = patterns.shape[1]
    inv = 1.0 / (n - 1)
    units = 2 * n_patterns + 8 + rel_err
    for flat in prange(n_sets * n_states):
        s = flat // n_states
        b = flat % n_states
        state = states[s, b]
        g = np.empty(n_patterns, dtype=np.int64)
        for mu in range(n_patterns):
            acc = 0
            for j in range(n):
                acc += patterns[s, mu, j] * state[j]
            g[mu] = acc
        shift = 0.0
        if kind == KIND_EXP:
            shift = g.max() + 1.0
        half_sum = np.empty(n_patterns)
        half_diff = np.empty(n_patterns)
        scale = 0.0
        for mu in range(n_patterns):
            if kind == KIND_EXP:
                a_plus = np.exp(g[mu] - 1.0 - shift)
                a_minus = np.exp(g[mu] + 1.0 - shift)
            else:
                a_plus = ((g[mu] - 1.0) * inv) ** degree
                a_minus = ((g[mu] + 1.0) * inv) ** degree
            half_sum[mu] = 0.5 * (a_plus + a_minus)
            half_diff[mu] = 0.5 * (a_plus - a_minus)
            scale += max(abs(a_plus), abs(a_minus))
        h_sum = np.zeros(n)
        h_diff = np.zeros(n)
        for mu in range(n_patterns):
            bm = half_sum[mu]
            dm = half_diff[mu]
            for i in range(n):
                h_sum[i] += targets[s, mu, i] * bm
                h_diff[i] += products[s, mu, i] * dm
        bound = 2.0 * (units * EPS * scale + units * TINY)
        for i in range(n):
            h = h_sum[i] + state[i] * h_diff[i]
            if h > bound:
                out[s, b, i] = 1
            elif h < -bound:
                out[s, b, i] = -1
            else:
                out[s, b, i] = AMBIGUOUS


class NumbaBackend:
    """Compiled CPU backend; identical signs to :class:`NumpyBackend` (exact ties on both)."""

    name = "numba"

    def field_codes(self, states, patterns, targets, separation: Separation) -> np.ndarray:
        """See :meth:`amsim.engine.backends.numpy_backend.NumpyBackend.field_codes`."""
        out = np.empty(states.shape, dtype=np.int8)
        products = targets * patterns  # int8 (S, P, N): t_i^mu xi_i^mu
        kind = KIND_EXP if isinstance(separation, Exponential) else KIND_POLY
        degree = getattr(separation, "d", 1)
        _field_codes(states, patterns, targets, products, kind, degree, separation.rel_err, out)
        return out
