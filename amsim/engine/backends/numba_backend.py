"""The Numba backend: the field core compiled, parallel over states.

Same algorithm and error bound as :mod:`amsim.engine.backends.numpy_backend` (two-value form of spec
§2.3), written as loops: per state, integer overlaps ``g^mu``, the candidates of each pattern, then one
streaming pass over the int8 target arrays.  ``prange`` runs over all (pattern set, state) pairs,
which keeps both cores busy for the teacher-forced batch (P states) and for many trials alike; calls
with fewer than :data:`PARALLEL_MIN_STATES` states use a serial build, since a thread pool costs more
than it gives there.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from amsim.engine.numba_conf import JIT_OPTIONS
from amsim.engine.separation import EPS, TINY, Exponential, Separation

KIND_POLY = 0
KIND_EXP = 1
PARALLEL_MIN_STATES = 4


def _term_field(states, patterns, targets, products, kind, degree, rel_err, included, field, bound):
    n_sets, n_states, n = states.shape
    n_patterns = patterns.shape[1]
    norm = float(n) if included else n - 1.0
    units = 2 * n_patterns + 8 + rel_err
    for flat in prange(n_sets * n_states):
        s = flat // n_states
        b = flat % n_states
        state = states[s, b]
        g = np.empty(n_patterns)
        for mu in range(n_patterns):
            acc = 0
            for j in range(n):
                acc += patterns[s, mu, j] * state[j]
            g[mu] = acc
        shift = 0.0
        if kind == KIND_EXP:
            shift = g.max() + (0.0 if included else 1.0)
        half_sum = np.empty(n_patterns)
        half_diff = np.empty(n_patterns)
        scale = 0.0
        for mu in range(n_patterns):
            lo = g[mu] if included else g[mu] - 1.0
            hi = g[mu] if included else g[mu] + 1.0
            if kind == KIND_EXP:
                a_plus = np.exp(lo - shift)
                a_minus = np.exp(hi - shift)
            else:
                a_plus = (lo * (1.0 / norm)) ** degree
                a_minus = (hi * (1.0 / norm)) ** degree
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
        for i in range(n):
            field[s, b, i] = h_sum[i] + state[i] * h_diff[i]
        bound[s, b, 0] = 2.0 * (units * EPS * scale + units * TINY)


_PARALLEL = njit(**JIT_OPTIONS)(_term_field)
_SERIAL = njit(**{**JIT_OPTIONS, "parallel": False})(_term_field)


class NumbaBackend:
    """Compiled CPU backend; identical signs to :class:`NumpyBackend` (exact ties on both)."""

    name = "numba"

    def term_field(self, states, patterns, targets, separation: Separation, overlap: str):
        """See :meth:`amsim.engine.backends.numpy_backend.NumpyBackend.term_field`."""
        field = np.empty(states.shape)
        bound = np.empty(states.shape[:2] + (1,))
        products = targets * patterns  # int8 (S, P, N): t_i^mu xi_i^mu
        kind = KIND_EXP if isinstance(separation, Exponential) else KIND_POLY
        degree = getattr(separation, "d", 1)
        kernel = _PARALLEL if states.shape[0] * states.shape[1] >= PARALLEL_MIN_STATES else _SERIAL
        kernel(states, patterns, targets, products, kind, degree, separation.rel_err,
               overlap == "included", field, bound)
        return field, bound
