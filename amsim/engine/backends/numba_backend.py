"""The Numba backend: bit-packed overlaps, patterns grouped by overlap value, exact integer fields.

Algorithm, per state ``S`` (spec §2.3, two-value form)
-------------------------------------------------------
1. **Overlaps by XOR + popcount.**  Patterns and states are packed 64 neurons per ``uint64``
   (:mod:`amsim.engine.backends.bits`); the Hamming distance ``h`` to every pattern is
   ``sum_w popcount(xi_w ^ S_w)`` (patterns stored word-major, eight at a time in one vector:
   :func:`~amsim.engine.backends.bits.hamming_block`) and the full raw overlap ``g = N - 2h`` is
   exact.  The self-excluded overlap is the correction
   ``R_i^mu = g^mu - xi_i^mu S_i`` of the two-value form.
2. **Grouping by overlap value.**  ``g`` takes at most ``N + 1`` values.  Within the group of value
   ``g`` the field needs only the exact integer sums ``c_i = sum_{mu in g} t_i^mu`` and
   ``y_i = sum_{mu in g} t_i^mu xi_i^mu``:

       h_i = sum_g B(g) c_i(g) + S_i sum_g D(g) y_i(g),
       B = (A+ + A-) / 2,  D = (A+ - A-) / 2,  A± = f((g -+ 1)/(N-1))    (excluded overlap)
       B = f(g/N),  D = 0                                                (included overlap)

   The patterns are counting-sorted by ``h`` (:data:`WAYS` interleaved histograms, so that
   consecutive patterns never wait on one counter); each pattern carries packed bitsets (``t = -1``,
   ``t xi = -1`` where D is needed, ``t = 0`` where some target is 0) whose bits a group counts, 64
   neurons per masked byte add, into byte counters held in vector registers
   (:func:`~amsim.engine.backends.bits.add_bit_columns4`); every :data:`FLUSH` = 255 patterns and at
   the group's end the counts are decoded (``c = m - z - 2 #(t = -1)``) and weighted into the field
   ("flush").  No P x B float matrix exists, and ``f`` is evaluated twice per *group*.
3. **Exact path** (polynomial, ``P x (largest integer weight) < 2^52``).  With the integer weights
   ``B(g) = ((g-1)^d + (g+1)^d)/2``, ``D(g) = ((g-1)^d - (g+1)^d)/2`` (equal parity: integers) or
   ``B = g^d`` (included), ``H = norm^d h`` is an integer and every partial sum is an integer below
   2^52, so float64 arithmetic on them is exact in any order.  Where it saves work (large batches,
   :func:`exact_plan`) the constant and linear parts of ``B`` and ``D`` as polynomials in ``g`` are
   split off:
   ``sum_mu t_i^mu (b0 + b1 g^mu) = b0 sum_mu t_i^mu + b1 (M_T S)_i`` with ``M_T = T^T Xi`` (and
   likewise ``M_Y = Y^T Xi`` for D), both by Four Russians over 4-row groups (16 tabulated signed
   sums, one added per 4 rows) in int32, so only the degree >= 2 remainder is grouped: nothing for
   d = 1, and for d = 2 only ``c`` (``D = -2g`` is linear) with ``g`` and ``-g`` in one group (the
   remainder ``g^2`` is even).  ``H`` itself is exact, so :meth:`NumbaBackend.term_codes` returns its
   signs, exact ties (0) included, and nothing is left to the host's exact path.  The field
   ``term_field`` returns is ``H / norm^d`` (the numpy backend's scale), within 2 roundings of the
   exact value; its bound is ``8 u max_i |h_i|`` (u = 2^-53), so only exact zeros (ties), or values
   tiny against the state's largest, go to the host's exact path.
4. **Float path** (exponential; polynomials too large for 2^52).  Group values within ``rel_err``
   units of u each, weighted by exact integer counts and summed over ``K`` terms (one per flush, two
   with zero targets): the error is at most ``(K + rel_err + 4) u scale`` with
   ``scale = sum_g n_g max|A±(g)|``, and the bound returned is ``2 (units u scale + units TINY)``
   with ``units = 2K + 8 + rel_err`` (the numpy backend's formula with K in place of P).  The
   exponential carries the numpy backend's per-state factor ``exp(-shift)``.  **Skipping:** a group
   whose larger value ``M(g) = max|A±(g)|`` is below ``u / (4P)`` of the largest is not accumulated;
   its patterns change the field by at most ``sum n_g (M(g) + TINY)``, which is added (doubled) to
   the bound, less than a quarter unit of the regular bound.  For the exponential at N >~ 100 this
   skips all but the few patterns near the state (teacher-forced: its own), so the cost is the
   popcount pass.  ``term_codes`` marks the entries within the bound AMBIGUOUS for the host.

``prange`` runs over chunks of (pattern set, state) pairs, handed out dynamically (chunk size 1 of
the parallel scheduler), which keeps both cores busy for the teacher-forced batch (P states) and for
many trials alike even when the OS preempts one thread; calls with fewer than
:data:`PARALLEL_MIN_STATES` states use a serial build.  The serial and parallel builds are separate
Python functions so that their on-disk caches never collide (Numba's cache key does not include
the ``parallel`` flag).  ``fastmath`` is never used (:mod:`amsim.engine.numba_conf`).
"""

from __future__ import annotations

import math
from math import comb

import numba
import numpy as np
from numba import njit, prange

from amsim.engine.backends.bits import (
    LANES,
    add_bit_column,
    add_bit_columns2,
    add_bit_columns4,
    add_bit_columns8,
    hamming_block,
    pack_pm1,
    popcount64,
)
from amsim.engine.fields import AMBIGUOUS
from amsim.engine.numba_conf import JIT_OPTIONS
from amsim.engine.separation import EPS, TINY, Exponential, Polynomial, Separation

KIND_POLY = 0
KIND_EXP = 1
PARALLEL_MIN_STATES = 4
#: patterns a group's byte counters take before they are decoded
FLUSH = 255
#: interleaved histograms of the counting sort
WAYS = 4
#: rows of ``M^T`` (or states) per task of :func:`_couplings` (:func:`_linear_part`): one table of
#: 16 signed sums serves them all
FOUR_RUSSIANS_BLOCK = 128
#: the exact path needs every partial sum below this (float64 integers are exact below 2^53)
EXACT_LIMIT = 2**52

_SERIAL_OPTIONS = {**JIT_OPTIONS, "parallel": False}


@njit(**_SERIAL_OPTIONS)
def _flush(acc, m, stride, pos_y, pos_z, wb, wd, n, hsum, hdif):
    """Decode the byte counters of a chunk of ``m`` patterns of one group: ``hsum += wb c`` and
    ``hdif += wd y`` with ``c = m - z - 2 #(t = -1)``, ``y = m - z - 2 #(t xi = -1)``; zero them.

    (Plain loops with the int32 step written out: this is what LLVM vectorises best.)
    """
    offset = wb * m
    slope = -2.0 * wb
    for i in range(n):
        hsum[i] += offset + slope * np.float64(np.int32(acc[i]))
    if pos_y >= 0:
        base = pos_y * stride
        offset = wd * m
        slope = -2.0 * wd
        for i in range(n):
            hdif[i] += offset + slope * np.float64(np.int32(acc[base + i]))
    if pos_z >= 0:
        base = pos_z * stride
        for i in range(n):
            hsum[i] -= wb * np.float64(np.int32(acc[base + i]))
        if pos_y >= 0:
            for i in range(n):
                hdif[i] -= wd * np.float64(np.int32(acc[base + i]))
    for i in range(acc.shape[0]):
        acc[i] = 0


@njit(**_SERIAL_OPTIONS)
def _field_chunk(lo, hi, sbits, pbits, bitsets, pos_y, pos_z, states, linear, grouped, fold,
                 weights_b, weights_d, norm_d, exact, kind, degree, included, rel_err, as_codes,
                 field, bound, codes, ambiguous):
    """Fields of the flat (set, state) indices ``lo..hi-1``; see the module docstring.

    With ``as_codes`` it writes ``codes`` (int8 (S, B, N): the sign, 0 for an exact tie of the exact
    path, :data:`~amsim.engine.fields.AMBIGUOUS` where the float path's bound does not decide) and
    ``ambiguous`` (bool (S, B): the state has an AMBIGUOUS entry); otherwise ``field`` (float64
    (S, B, N)) and ``bound`` (float64 (S, B, 1)).
    """
    n_states = states.shape[1]
    n = states.shape[2]
    n_words = pbits.shape[1]
    n_patterns = pbits.shape[2]
    row_words = bitsets.shape[2]
    stride = 64 * n_words
    width = 64 * row_words
    norm = float(n) if included else n - 1.0
    hd = np.empty(n_patterns, np.uint32)  # unsigned indices: no negative-index wraparound code
    order = np.empty(n_patterns, np.int32)
    # WAYS interleaved histograms (then write positions) of the counting sort: consecutive
    # patterns update different counters, so no store waits for the one before it
    slots = np.zeros((n + 1, WAYS), np.uint32)
    start = np.empty(n + 1, np.int64)
    size = np.zeros(n + 1, np.int64)
    acc = np.zeros(width, np.uint8)
    wgt_b = np.empty(n + 1)
    wgt_d = np.empty(n + 1)
    keep = np.empty(n + 1, np.bool_)
    hsum = np.empty(n)
    hdif = np.empty(n)
    for h in range(n + 1):
        wgt_b[h] = weights_b[h]
        wgt_d[h] = weights_d[h]
        keep[h] = True
    tail = n_patterns - n_patterns % WAYS
    for flat in range(lo, hi):
        s = flat // n_states
        b = flat % n_states
        hsum[:] = 0.0
        hdif[:] = 0.0
        n_terms = 0
        scale = 0.0
        skipped = 0.0
        if grouped:
            # 1. Hamming distances: XOR + popcount, LANES patterns per vector; with ``fold`` the
            #    group weights are even in g = n - 2h, so g and -g share a group
            hamming_block(sbits[s, b], pbits[s], n, fold, hd)
            for mu in range(n_patterns - n_patterns % LANES, n_patterns):
                h = 0
                for w in range(n_words):
                    h += np.int64(popcount64(pbits[s, w, mu] ^ sbits[s, b, w]))
                hd[mu] = min(h, n - h) if fold else h
            # 2. group sizes, and the range of distances
            slots[:] = 0
            for mu in range(0, tail, WAYS):
                for k in range(WAYS):
                    slots[hd[mu + k], k] += 1
            for mu in range(tail, n_patterns):
                slots[hd[mu], 0] += 1
            for h in range(n + 1):
                size[h] = 0
                for k in range(WAYS):
                    size[h] += slots[h, k]
            hmin = 0
            while size[hmin] == 0:
                hmin += 1
            hmax = n
            while size[hmax] == 0:
                hmax -= 1
            if not exact:
                # group values, and the groups too small to matter
                shift = 0.0
                if kind == KIND_EXP:
                    shift = (n - 2.0 * hmin) + (0.0 if included else 1.0)
                largest = 0.0
                for h in range(hmin, hmax + 1):
                    if size[h] == 0:
                        continue
                    g = n - 2.0 * h
                    lo_c = g if included else g - 1.0
                    hi_c = g if included else g + 1.0
                    if kind == KIND_EXP:
                        a_plus = math.exp(lo_c - shift)
                        a_minus = math.exp(hi_c - shift)
                    else:
                        a_plus = math.pow(lo_c / norm, degree)
                        a_minus = math.pow(hi_c / norm, degree)
                    wgt_b[h] = 0.5 * (a_plus + a_minus)
                    wgt_d[h] = 0.5 * (a_plus - a_minus)
                    largest = max(largest, abs(a_plus), abs(a_minus))
                threshold = largest * (EPS / (4.0 * n_patterns))
                for h in range(hmin, hmax + 1):
                    keep[h] = False
                    if size[h] == 0:
                        continue
                    m = abs(wgt_b[h]) + abs(wgt_d[h])  # = max(|a_plus|, |a_minus|) up to rounding
                    if m < threshold:
                        skipped += size[h] * (m + TINY)
                    else:
                        keep[h] = True
                        scale += size[h] * m
            # 3. counting sort of the kept groups by Hamming distance, then each group's bitsets
            #    are counted, 255 patterns at a time, into byte counters
            total = 0
            for h in range(hmin, hmax + 1):
                start[h] = total
                for k in range(WAYS):
                    count = slots[h, k]
                    slots[h, k] = total
                    if keep[h]:
                        total += count
            for mu in range(0, tail, WAYS):
                for k in range(WAYS):
                    h = hd[mu + k]
                    if keep[h]:
                        order[slots[h, k]] = mu + k
                        slots[h, k] += 1
            for mu in range(tail, n_patterns):
                h = hd[mu]
                if keep[h]:
                    order[slots[h, 0]] = mu
                    slots[h, 0] += 1
            rows = bitsets[s]
            for h in range(hmin, hmax + 1):
                if size[h] == 0 or not keep[h]:
                    continue
                k = start[h]
                end = k + size[h]
                while k < end:
                    stop = min(end, k + FLUSH)
                    l = 0
                    while l + 8 <= row_words:
                        add_bit_columns8(acc, 64 * l, rows, order, k, stop, l)
                        l += 8
                    if l + 4 <= row_words:
                        add_bit_columns4(acc, 64 * l, rows, order, k, stop, l)
                        l += 4
                    if l + 2 <= row_words:
                        add_bit_columns2(acc, 64 * l, rows, order, k, stop, l)
                        l += 2
                    if l < row_words:
                        add_bit_column(acc, 64 * l, rows, order, k, stop, l)
                    _flush(acc, stop - k, stride, pos_y, pos_z, wgt_b[h], wgt_d[h], n, hsum, hdif)
                    n_terms += 1 if pos_z < 0 else 2
                    k = stop
        # 4. the field: H = hsum + S hdif (+ the linear part), and its bound
        for i in range(n):
            hsum[i] += states[s, b, i] * hdif[i]
        if linear.shape[0] != 0:  # the exact path's linear part (empty where there is none)
            for i in range(n):
                hsum[i] += linear[s, b, i]
        if exact:
            # H is exact (integer partial sums below 2^52): its sign is the answer, ties included;
            # the field H / norm^d is within 2 roundings of the exact value
            if as_codes:
                for i in range(n):
                    v = hsum[i]
                    codes[s, b, i] = 1 if v > 0.0 else (-1 if v < 0.0 else 0)
            else:
                largest_field = 0.0
                for i in range(n):
                    v = hsum[i] / norm_d
                    field[s, b, i] = v
                    largest_field = max(largest_field, abs(v))
                bound[s, b, 0] = 8.0 * EPS * largest_field
        else:
            units = 2.0 * n_terms + 8.0 + rel_err
            limit = 2.0 * (units * EPS * scale + units * TINY) + 2.0 * skipped
            if as_codes:
                undecided = False
                for i in range(n):
                    v = hsum[i]
                    if abs(v) > limit:
                        codes[s, b, i] = 1 if v > 0.0 else -1
                    else:
                        codes[s, b, i] = AMBIGUOUS
                        undecided = True
                ambiguous[s, b] = undecided
            else:
                for i in range(n):
                    field[s, b, i] = hsum[i]
                bound[s, b, 0] = limit


@njit(**JIT_OPTIONS)
def _run_parallel(chunk, sbits, pbits, bitsets, pos_y, pos_z, states, linear, grouped, fold,
                  weights_b, weights_d, norm_d, exact, kind, degree, included, rel_err, as_codes,
                  field, bound, codes, ambiguous):
    total = states.shape[0] * states.shape[1]
    n_chunks = (total + chunk - 1) // chunk
    for c in prange(n_chunks):
        _field_chunk(c * chunk, min(total, (c + 1) * chunk), sbits, pbits, bitsets, pos_y, pos_z,
                     states, linear, grouped, fold, weights_b, weights_d, norm_d, exact, kind,
                     degree, included, rel_err, as_codes, field, bound, codes, ambiguous)


@njit(**_SERIAL_OPTIONS)
def _run_serial(chunk, sbits, pbits, bitsets, pos_y, pos_z, states, linear, grouped, fold, weights_b,
                weights_d, norm_d, exact, kind, degree, included, rel_err, as_codes, field, bound,
                codes, ambiguous):
    total = states.shape[0] * states.shape[1]
    _field_chunk(0, total, sbits, pbits, bitsets, pos_y, pos_z, states, linear, grouped, fold,
                 weights_b, weights_d, norm_d, exact, kind, degree, included, rel_err, as_codes,
                 field, bound, codes, ambiguous)


class ExactPlan:
    """Integer weights of the exact polynomial path, split into a linear part and a remainder.

    ``B(g) = ((g-1)^d + (g+1)^d) / 2`` and ``D(g) = ((g-1)^d - (g+1)^d) / 2`` (excluded overlap; both
    integers since the two powers have equal parity) or ``B = g^d``, ``D = 0`` (included): as
    polynomials in ``g``, ``B = sum_k beta_k g^k`` with ``beta_k = C(d,k)`` for ``d - k`` even and
    ``D = sum_k delta_k g^k`` with ``delta_k = -C(d,k)`` for ``d - k`` odd.  With ``split`` the
    constant and linear coefficients move to :attr:`linear` and the per-group weights keep the rest.
    """

    def __init__(self, d: int, n: int, included: bool, split: bool):
        if included:
            beta = [1 if k == d else 0 for k in range(d + 1)]
            delta = [0] * (d + 1)
        else:
            beta = [comb(d, k) if (d - k) % 2 == 0 else 0 for k in range(d + 1)]
            delta = [-comb(d, k) if (d - k) % 2 == 1 else 0 for k in range(d + 1)]
        self.linear = (beta[0], beta[1] if d >= 1 else 0, delta[0], delta[1] if d >= 1 else 0)
        if not split:
            self.linear = (0, 0, 0, 0)
        b0, b1, d0, d1 = self.linear
        g = np.arange(n, -n - 1, -2, dtype=object)  # g = n - 2h, h = 0..n

        def poly(coef):
            out = np.zeros(n + 1, dtype=object)
            for k, c in enumerate(coef):
                if c:
                    out = out + c * g**k
            return out

        self.wb = poly(beta) - b0 - b1 * g
        self.wd = poly(delta) - d0 - d1 * g
        self.has_y = bool(np.any(self.wd != 0))
        self.grouped = self.has_y or bool(np.any(self.wb != 0))
        # weights even in g (e.g. g^2 for d = 2 once the linear part is split off): fold g and -g
        self.fold = not self.has_y and bool(np.all(self.wb == self.wb[::-1]))
        # largest |contribution| of one pattern to H: remainder weights + linear part
        per_pattern = int(max(abs(v) for v in self.wb)) + int(max(abs(v) for v in self.wd))
        self.per_pattern = per_pattern + abs(b0) + abs(b1) * n + abs(d0) + abs(d1) * n
        self.norm_d = float((n if included else n - 1) ** d)


def _grouping_work(plan: ExactPlan) -> int:
    """Per (state, pattern) work of the grouped part, in bitset words per 64 neurons: one per
    bitset kind counted, and about two for the popcount and the sort when anything is grouped."""
    return (2 + 1 + int(plan.has_y)) if plan.grouped else 0


def exact_plan(separation: Separation, n: int, n_patterns: int, n_states: int, included: bool):
    """The :class:`ExactPlan` of a polynomial term, or None where the float path must be used.

    The linear part is split off when the grouping work it saves, about
    ``B P (N/64) (words saved)`` vector operations, exceeds the cost of its Four Russians products,
    about ``(P + 1.5 B) N^2 / 64`` (``M^T`` once, then ``M S`` per state): for d = 2 that is roughly
    ``P > 1.25 N`` when ``B = P`` (the teacher-forced batch); never for d >= 3, where both sums
    stay grouped anyway.
    """
    if not isinstance(separation, Polynomial):
        return None
    d = separation.d
    norm = n if included else n - 1
    if float(norm) ** d > 1e300:
        return None
    plain = ExactPlan(d, n, included, split=False)
    plan = plain
    if n * n_patterns < 2**31:
        split = ExactPlan(d, n, included, split=True)
        saved = _grouping_work(plain) - _grouping_work(split)
        if saved > 0 and 2 * n_states * n_patterns * saved > (n_patterns + 1.5 * n_states) * n:
            plan = split
    if max(1, n_patterns) * plan.per_pattern >= EXACT_LIMIT:
        return None
    return plan


@njit(**_SERIAL_OPTIONS)
def _nibble_table(rows, first, count, table):
    """``table[code] = sum_{b < count} (-1)^(bit b of code) rows[first + b]`` for the 16 codes (one
    row addition each: ``table[code] = table[code without its top bit] -+ rows[first + top]``)."""
    n = rows.shape[1]
    for i in range(n):
        table[0, i] = 0
    for b in range(count):
        row = rows[first + b]
        half = 1 << b
        for code in range(half):
            src = table[code]
            up = table[code + half]
            for i in range(n):
                v = src[i]
                up[i] = v - row[i]
                src[i] = v + row[i]


@njit(**_SERIAL_OPTIONS)
def _four_russians(signs, rows, out, table):
    """``out[r] += sum_c sgn(signs[c, r]) rows[c]`` for every row ``r`` of ``out`` (int32 ``(R, N)``),
    with ``signs`` ±1 ``(C, R)`` and ``rows`` ``(C, N)``.

    Four Russians over 4-row groups of ``rows``: the group's 16 signed sums are tabulated in ``table``
    (int32 ``(16, N)``, 15 row operations), then each ``r`` adds the one its 4 signs select, so the
    product costs ``C N (R + 15) / 4`` additions instead of ``C N R``."""
    n_rows = rows.shape[0]
    for first in range(0, n_rows, 4):
        count = min(4, n_rows - first)
        _nibble_table(rows, first, count, table)
        for r in range(out.shape[0]):
            code = 0
            for b in range(count):
                if signs[first + b, r] < 0:
                    code |= 1 << b
            src = table[code]
            dst = out[r]
            for i in range(out.shape[1]):
                dst[i] += src[i]


@njit(**JIT_OPTIONS)
def _couplings(patterns, values, out):
    """``out[s, j, i] = sum_mu patterns[s, mu, j] values[s, mu, i]`` (``M^T``, int32 ``(S, N, N)``,
    exact) by :func:`_four_russians`, parallel over blocks of :data:`FOUR_RUSSIANS_BLOCK` rows ``j``."""
    n_sets, n_patterns, n = values.shape
    n_blocks = (n + FOUR_RUSSIANS_BLOCK - 1) // FOUR_RUSSIANS_BLOCK
    for task in prange(n_sets * n_blocks):
        s = task // n_blocks
        lo = task % n_blocks * FOUR_RUSSIANS_BLOCK
        hi = min(n, lo + FOUR_RUSSIANS_BLOCK)
        block = out[s, lo:hi]
        block[:, :] = 0
        _four_russians(patterns[s, :, lo:hi], values[s], block, np.empty((16, n), np.int32))


@njit(**JIT_OPTIONS)
def _linear_part(states, coupling_t, coupling_y, colsum, coef, out):
    """``out[s, b] = b0 sum_mu t + b1 M_T S + S o (d0 sum_mu y + d1 M_Y S)`` (float64 of exact
    integers; ``coef = (b0, b1, d0, d1)``, ``colsum[s] = (sum_mu t, sum_mu y)``).
    ``M S = sum_j S_j M^T[j]`` by :func:`_four_russians`, parallel over tiles of
    :data:`FOUR_RUSSIANS_BLOCK` states; a coupling matrix whose coefficient is 0 is not read."""
    n_sets, n_states, n = states.shape
    n_tiles = (n_states + FOUR_RUSSIANS_BLOCK - 1) // FOUR_RUSSIANS_BLOCK
    for task in prange(n_sets * n_tiles):
        s = task // n_tiles
        first = task % n_tiles * FOUR_RUSSIANS_BLOCK
        last = min(n_states, first + FOUR_RUSSIANS_BLOCK)
        lin = np.zeros((2, last - first, n), np.int32)
        table = np.empty((16, n), np.int32)
        if coef[1] != 0.0:
            _four_russians(states[s, first:last].T, coupling_t[s], lin[0], table)
        if coef[3] != 0.0:
            _four_russians(states[s, first:last].T, coupling_y[s], lin[1], table)
        for k in range(last - first):
            for i in range(n):
                sums = coef[0] * colsum[s, 0, i] + coef[1] * np.float64(lin[0, k, i])
                diffs = coef[2] * colsum[s, 1, i] + coef[3] * np.float64(lin[1, k, i])
                out[s, first + k, i] = sums + states[s, first + k, i] * diffs


def linear_part(states, patterns, targets, plan: ExactPlan, included: bool) -> np.ndarray:
    """The linear part of the exact path, float64 ``(S, B, N)``:
    ``b0 sum_mu t_i + b1 (M_T S)_i + S_i (d0 sum_mu y_i + d1 (M_Y S)_i)`` with the coupling matrices
    ``M_T = T^T Xi`` and ``M_Y = Y^T Xi`` (int32 ``(S, N, N)``, entries at most P in magnitude,
    computed only for a non-zero coefficient).  ``M S`` is a sum of ±rows in int32, exact while
    ``N P < 2^31`` (:func:`exact_plan` checks it); the scaled result is an integer below 2^52."""
    b0, b1, d0, d1 = plan.linear
    n_sets, n_patterns, n = patterns.shape
    if included:
        d0 = d1 = 0
    colsum = np.zeros((n_sets, 2, n))
    y = targets * patterns if (d0 or d1) else None
    if b0:
        colsum[:, 0] = targets.sum(axis=1, dtype=np.int64)
    if d0:
        colsum[:, 1] = y.sum(axis=1, dtype=np.int64)
    couplings = []
    for coefficient, values in ((b1, targets), (d1, y)):
        matrix = np.empty((n_sets, n, n) if coefficient else (1, 1, 1), np.int32)
        if coefficient:
            _couplings(patterns, values, matrix)
        couplings.append(matrix)
    out = np.empty(states.shape)
    _linear_part(states, *couplings, colsum, np.array([b0, b1, d0, d1], np.float64), out)
    return out


def target_bitsets(targets, patterns, with_y: bool):
    """Per pattern, packed bitsets side by side: ``t = -1``; ``t xi = -1`` (if ``with_y``); ``t = 0``
    (only where some target is 0).  Returns uint64 ``(S, P, K W)`` and the positions of the last
    two (-1 if absent).

    Group sums follow from bit counts: with ``z`` patterns of target 0 among ``m``,
    ``c = m - z - 2 #(t = -1)`` and ``y = m - z - 2 #(t xi = -1)``.
    """
    t = np.asarray(targets, np.int8)
    parts = [pack_pm1(t)]
    pos_y = pos_z = -1
    if with_y:
        pos_y = len(parts)
        parts.append(pack_pm1(t * patterns))
    zero = t == 0
    if zero.any():
        pos_z = len(parts)
        parts.append(pack_pm1(-zero.astype(np.int8)))
    return np.ascontiguousarray(np.concatenate(parts, axis=-1)), pos_y, pos_z


class NumbaBackend:
    """Compiled CPU backend; identical signs to :class:`NumpyBackend` (exact ties on both)."""

    name = "numba"

    def term_field(self, states, patterns, targets, separation: Separation, overlap: str):
        """See :meth:`amsim.engine.backends.numpy_backend.NumpyBackend.term_field`.

        Polynomial fields of the exact path are the numpy backend's fields to within 2 roundings;
        the float path has the numpy backend's per-state factor (the exponential's shift).
        """
        field = np.zeros(states.shape)
        bound = np.zeros(states.shape[:2] + (1,))
        self._run(states, patterns, targets, separation, overlap, False, field, bound,
                  np.empty((0, 0, 0), np.int8), np.empty((0, 0), np.bool_))
        return field, bound

    def term_codes(self, states, patterns, targets, separation: Separation, overlap: str):
        """Signs of one term of weight 1, without a float field: ``(codes, ambiguous)``.

        ``codes`` int8 ``(S, B, N)``: -1 or +1 where certain, 0 for an exact tie, and
        :data:`~amsim.engine.fields.AMBIGUOUS` where only the exact path can decide;
        ``ambiguous`` bool ``(S, B)``: the states that have an AMBIGUOUS entry.  The exact
        polynomial path decides every entry (its integer field is exact); only the float path
        (exponential, polynomials beyond 2^52) leaves AMBIGUOUS entries.
        """
        codes = np.zeros(states.shape, np.int8)
        ambiguous = np.zeros(states.shape[:2], np.bool_)
        self._run(states, patterns, targets, separation, overlap, True, np.empty((0, 0, 0)),
                  np.empty((0, 0, 0)), codes, ambiguous)
        return codes, ambiguous

    @staticmethod
    def scratch_bytes(n_sets: int, n_states: int, n_patterns: int, n: int) -> int:
        """Upper bound of the bytes this backend allocates beyond the generic field core
        (:func:`amsim.engine.memory.field_core_bytes`): the exact path's linear part (its float64
        ``(S, B, N)`` result, two int32 ``(S, N, N)`` coupling matrices, ``t xi`` and the column
        sums), the packed states, patterns and target bitsets with the temporaries of packing them
        (at most ``3 S B N + 8 S P N`` bytes), the codes of :meth:`term_codes`, and each thread's
        buffers (sort, histograms, byte counters, partial fields, Four Russians tables and tiles).
        """
        sbn, spn = n_sets * n_states * n, n_sets * n_patterns * n
        linear = 8 * sbn + 8 * n_sets * n * n + spn + 32 * n_sets * n
        packing = 3 * sbn + 8 * spn
        codes = sbn + n_sets * n_states
        per_thread = 8 * n_patterns + 56 * (n + 1) + 3 * 64 * (n // 64 + 1) + 16 * n \
            + 64 * n + 8 * FOUR_RUSSIANS_BLOCK * n
        return linear + packing + codes + numba.get_num_threads() * per_thread

    def _run(self, states, patterns, targets, separation, overlap, as_codes, field, bound, codes,
             ambiguous):
        """Run the kernel on 3-D int8 inputs; the outputs of :func:`_field_chunk`'s mode."""
        n_sets, n_states, n = states.shape
        n_patterns = patterns.shape[1]
        if n_patterns == 0 or n_sets * n_states == 0:
            return
        included = overlap == "included"
        states = np.ascontiguousarray(states, np.int8)
        patterns = np.ascontiguousarray(patterns, np.int8)
        targets = np.ascontiguousarray(targets, np.int8)
        plan = exact_plan(separation, n, n_patterns, n_states, included)
        if plan is not None:
            grouped, with_y, fold = plan.grouped, plan.has_y, plan.fold
            weights_b = np.array(plan.wb, np.float64)  # integers below 2^52: exact
            weights_d = np.array(plan.wd, np.float64)
            if any(plan.linear):
                linear = linear_part(states, patterns, targets, plan, included)
            else:
                linear = np.empty((0, 0, 0))
            norm_d = plan.norm_d
        else:
            grouped, with_y, fold = True, not included, False
            weights_b = weights_d = np.zeros(n + 1)
            linear = np.empty((0, 0, 0))
            norm_d = 1.0
        sbits = pack_pm1(states)  # (S, B, W)
        pbits = np.ascontiguousarray(np.swapaxes(pack_pm1(patterns), 1, 2))  # (S, W, P)
        bitsets, pos_y, pos_z = target_bitsets(targets, patterns, with_y)  # (S, P, K W)
        kind = KIND_EXP if isinstance(separation, Exponential) else KIND_POLY
        degree = float(getattr(separation, "d", 1))
        total = n_sets * n_states
        args = (sbits, pbits, bitsets, pos_y, pos_z, states, linear, grouped, fold, weights_b, weights_d,
                norm_d, plan is not None, kind, degree, included, float(separation.rel_err), as_codes,
                field, bound, codes, ambiguous)
        if total >= PARALLEL_MIN_STATES:
            # many small chunks handed out dynamically: a thread that the OS preempts (a shared
            # machine) does not hold the others back at the end
            chunk = max(1, min(64, -(-total // (16 * numba.get_num_threads()))))
            with numba.parallel_chunksize(1):
                _run_parallel(chunk, *args)
        else:
            _run_serial(total, *args)
