"""Numba kernel of the one-pass prefix curve; the algorithm and its exactness are documented in
:mod:`amsim.engine.prefix`, whose :func:`~amsim.engine.prefix.state_curve_numpy` is the reference
this kernel is tested against.

Two-value form (spec §2.3): with ``s_i = xi_i^mu xi_i^nu``, ``f(R_i^mu) = B^mu + s_i D^mu``,
``B = (f(g-1) + f(g+1))/2`` and ``D = (f(g-1) - f(g+1))/2``, so the running field of state ``nu``
grows by ``B^mu T^mu + D^mu xi^nu Y^mu`` per pattern, with the state-independent rows ``T^mu``
(the term's target) and ``Y^mu = T^mu xi^mu`` (+ the wrap-around term at a check).  The overlap
``g = xi^nu . xi^mu`` comes from XOR + popcount of bit-packed rows.  States are processed in chunks
of :data:`CHUNK` (one ``prange`` iteration each, split evenly between the threads;
``numba.parallel_chunksize(1)`` made this loop 7x slower): the chunk's running fields stay in cache
while each pattern's rows are read once per chunk, and the inner loop is two multiply-adds per
neuron.  Prefixes are checked only where ``check`` selects them.  For polynomial fields of the exact
regime ``B`` and ``D`` are integers (``g-1`` and ``g+1`` have one parity), so the sums stay exact;
otherwise the bound covers them (``|B| + |D| = max|f(g -+ 1)|``, the mass of the bound).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from amsim.engine.backends.bits import pack_pm1, popcount64
from amsim.engine.numba_conf import JIT_OPTIONS
from amsim.engine.separation import EPS, TINY

_SERIAL = {key: value for key, value in JIT_OPTIONS.items() if key != "parallel"}
#: states whose running sums one ``prange`` iteration carries
CHUNK = 16


@njit(**_SERIAL)
def _score(running, x, t_wrap, nu, mu, b, d, wrap, target, bound, exact):
    """``(wrong, ambiguous)`` bits of state ``xi^nu`` with running field ``running``; for a
    sequence (``wrap``) the wrap-around term ``t_wrap (b + s d)`` of pattern ``mu`` is added."""
    n_wrong = 0
    n_ambiguous = 0
    for i in range(x.shape[1]):
        h = running[i]
        if wrap:
            h += t_wrap[i] * (b + x[mu, i] * x[nu, i] * d)
        if exact:
            n_wrong += h * target[i] <= 0.0
        elif abs(h) <= bound:
            n_ambiguous += 1
        else:
            n_wrong += h * target[i] < 0.0
    return n_wrong, n_ambiguous


@njit(**_SERIAL)
def _accumulate(running, states, bs, ds, t_row, y_row):
    """``running[r] += bs[r] t_row + ds[r] states[r] y_row`` for every row r of the chunk."""
    for r in range(running.shape[0]):
        run_r, x_r, b, d = running[r], states[r], bs[r], ds[r]
        for i in range(t_row.shape[0]):
            run_r[i] += b * t_row[i] + d * (x_r[i] * y_row[i])


@njit(**_SERIAL)
def _chunk(x, t, y, packed, table, block, lo, hi, check, sequence, excluded, scope_code, exact, rel_err,
           wrong, ambiguous):
    p_max, n = x.shape
    rows = hi - lo
    running = np.zeros((rows, n))
    states = np.empty((rows, n))
    state_bits = np.empty((rows, packed.shape[1]), np.uint64)
    for r in range(rows):
        states[r] = x[block[lo + r]]
        state_bits[r] = packed[block[lo + r]]
    mass = np.zeros(rows)
    bs = np.empty(rows)
    ds = np.empty(rows)
    for mu in range(p_max):
        pattern = packed[mu]
        for r in range(rows):
            distance = 0  # the full overlap xi^nu . xi^mu = N - 2 (Hamming distance), exact
            for w in range(pattern.shape[0]):
                distance += np.int64(popcount64(state_bits[r, w] ^ pattern[w]))
            gv = n - 2 * distance
            if excluded:
                a, c = table[gv + n], table[gv + n + 2]  # f at raw g - 1 and g + 1
            else:
                a = c = table[gv + n + 1]
            bs[r] = 0.5 * (a + c)
            ds[r] = 0.5 * (a - c)
            mass[r] += max(abs(a), abs(c))
        if not sequence:  # auto form: prefix mu + 1 includes term mu
            _accumulate(running, states, bs, ds, t[mu], y[mu])
        if check[mu]:
            units = 2 * (mu + 1) + 8 + rel_err  # separation.bound_units of mu + 1 terms, inlined for numba
            for r in range(rows):
                nu = block[lo + r]
                if scope_code == 2:
                    scored = nu == 0
                elif scope_code == 1:
                    scored = mu > nu
                else:
                    scored = mu >= nu
                if scored:
                    if sequence:
                        target = x[nu + 1] if nu < mu else x[0]
                    else:
                        target = x[nu]
                    wrong[lo + r, mu], ambiguous[lo + r, mu] = _score(
                        running[r], x, x[0], nu, mu, bs[r], ds[r], sequence, target,
                        0.0 if exact else 2.0 * units * (EPS * mass[r] + TINY), exact)
        if sequence:  # the successor term of mu enters the prefixes beyond mu + 1
            _accumulate(running, states, bs, ds, t[mu], y[mu])


@njit(**JIT_OPTIONS)
def _block(x, t, y, packed, table, block, check, sequence, excluded, scope_code, exact, rel_err):
    rows, p_max = block.shape[0], x.shape[0]
    wrong = np.zeros((rows, p_max), np.int32)
    ambiguous = np.zeros((rows, p_max), np.int32)
    n_chunks = (rows + CHUNK - 1) // CHUNK
    for c in prange(n_chunks):
        _chunk(x, t, y, packed, table, block, c * CHUNK, min(rows, (c + 1) * CHUNK), check, sequence, excluded,
               scope_code, exact, rel_err, wrong, ambiguous)
    return wrong, ambiguous


def prefix_block(pats, table, block, check, sequence, excluded, scope_code, exact, rel_err):
    """``(wrong, ambiguous)`` int32 ``(len(block), Pmax)`` for the states ``block`` (int64);
    the arguments are those of :func:`amsim.engine.prefix.numpy_block`.  The overlaps are computed in
    the kernel by XOR + popcount of bit-packed patterns (:mod:`amsim.engine.backends.bits`): a BLAS
    call just before it would leave OpenBLAS threads spinning on the cores the kernel needs
    (measured: the kernel took twice as long on 2 cores)."""
    x = pats.astype(np.float64)
    t = np.zeros_like(x)
    if sequence:
        t[:-1] = x[1:]  # term mu's target is xi^{mu+1}; the last pattern's is the wrap-around
    else:
        t[:] = x
    y = t * x
    return _block(x, t, y, pack_pm1(pats), table, np.asarray(block, np.int64),
                  np.ascontiguousarray(check, np.bool_), bool(sequence), bool(excluded), int(scope_code),
                  bool(exact), float(rel_err))
