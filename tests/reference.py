"""Brute-force reference for the field signs and the synchronous step (spec §1, §2.1-2.3, §2.7).

Written straight from the equations as explicit Python loops over neurons i, patterns mu and inputs
j, with Python integers and ``decimal``; it does not call any of amsim's field code, so it is an
independent oracle for every backend.

- Self-excluded raw overlap ``R_i^mu = sum_{j != i} xi_j^mu S_j`` (an integer).
- Polynomial (d = 1 is Hopfield / SeqNet): ``(N-1)^d h_i = sum_mu t_i^mu (R_i^mu)^d``, an exact
  Python integer (no overflow for any d), whose sign is ``sgn(h_i)``.
- Exponential: ``h_i = sum_mu t_i^mu exp(R_i^mu - (N-1))``.  Because e is transcendental,
  ``h_i = 0`` iff every integer count ``c_r = sum_{mu: R_i^mu = r} t_i^mu`` vanishes; otherwise the
  sign of the sum is evaluated in ``decimal`` with :data:`DIGITS` digits and a rigorous error bound
  (the reference refuses to answer rather than guess if the bound does not separate it from 0).
- Synchronous step with the ``error`` tie policy: ``S_i <- sgn(h_i)``; a tie keeps ``S_i`` and is
  flagged as an error.

Inputs may be numpy arrays or nested lists of ±1; they are converted to Python ints.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from functools import lru_cache

import numpy as np

#: decimal digits of the exponential reference.
DIGITS = 80


def _ints(vector) -> list[int]:
    return [int(v) for v in vector]


def raw_overlap(state, pattern, i: int) -> int:
    """``R_i = sum_{j != i} pattern_j state_j`` with Python integers."""
    total = 0
    for j in range(len(state)):
        if j != i:
            total += int(pattern[j]) * int(state[j])
    return total


@lru_cache(maxsize=None)
def _exp(k: int) -> Decimal:
    """``e^k`` correctly rounded to :data:`DIGITS` digits (cached: the reference calls it often)."""
    with localcontext() as ctx:
        ctx.prec = DIGITS
        return Decimal(k).exp()


def _sign(value) -> int:
    return (value > 0) - (value < 0)


def polynomial_scaled_field(state, patterns, targets, i: int, d: int) -> int:
    """``(N-1)^d h_i = sum_mu t_i^mu (R_i^mu)^d`` as an exact Python integer."""
    total = 0
    for mu in range(len(patterns)):
        total += int(targets[mu][i]) * raw_overlap(state, patterns[mu], i) ** d
    return total


def exponential_field_sign(state, patterns, targets, i: int) -> int:
    """Exact sign of ``h_i = sum_mu t_i^mu exp(R_i^mu - (N-1))`` (0 for an exact tie)."""
    n = len(state)
    counts: dict[int, int] = {}
    for mu in range(len(patterns)):
        r = raw_overlap(state, patterns[mu], i)
        counts[r] = counts.get(r, 0) + int(targets[mu][i])
    nonzero = {r: c for r, c in counts.items() if c != 0}
    if not nonzero:
        return 0  # every c_r = 0: the field is exactly zero
    # Some c_r != 0, so h_i != 0 (e is transcendental); find its sign.  Each Decimal.exp is
    # correctly rounded (relative error <= 1/2 ulp = 0.5 * 10^(1-DIGITS)); the product with the
    # integer c_r and each of the K additions add at most 1/2 ulp of the running magnitude, which is
    # bounded by sum_r |c_r| e^r.  So |error| <= (K + 2) * 10^(1-DIGITS) * sum_r |c_r| e^r.
    with localcontext() as ctx:
        ctx.prec = DIGITS
        value = Decimal(0)
        magnitude = Decimal(0)
        for r, c in sorted(nonzero.items()):
            term = Decimal(c) * _exp(r - (n - 1))
            value += term
            magnitude += abs(term)
        bound = (len(nonzero) + 2) * Decimal(10) ** (1 - DIGITS) * magnitude * 2
        if abs(value) <= bound:
            raise ArithmeticError(
                f"reference cannot decide the exponential field sign at {DIGITS} digits: "
                f"counts {nonzero}"
            )
        return 1 if value > 0 else -1


def field_sign(state, patterns, targets, i: int, f: str, d: int | None = None) -> int:
    """Exact ``sgn(h_i)`` of one neuron; ``f`` is ``"poly"`` (with ``d``) or ``"exp"``."""
    if f == "poly":
        return _sign(polynomial_scaled_field(state, patterns, targets, i, d))
    if f == "exp":
        return exponential_field_sign(state, patterns, targets, i)
    raise ValueError(f)


def field_signs(state, patterns, targets, f: str, d: int | None = None) -> list[int]:
    """Exact signs of all N neurons of one state, as a list of ints in {-1, 0, +1}."""
    state = _ints(state)
    patterns = [_ints(p) for p in patterns]
    targets = [_ints(t) for t in targets]
    return [field_sign(state, patterns, targets, i, f, d) for i in range(len(state))]


def successor_targets(patterns) -> list[list[int]]:
    """Targets of the sequence form: row mu is xi^{mu+1}, periodic (row P-1 is xi^1)."""
    p = len(patterns)
    return [_ints(patterns[(mu + 1) % p]) for mu in range(p)]


def model_targets(patterns, form: str) -> list[list[int]]:
    """Targets of ``auto`` (the patterns) or ``sequence`` (the periodic successors)."""
    if form == "auto":
        return [_ints(p) for p in patterns]
    if form == "sequence":
        return successor_targets(patterns)
    raise ValueError(form)


def step(state, patterns, targets, f: str, d: int | None = None) -> tuple[list[int], list[bool]]:
    """One synchronous update with the ``error`` tie policy.

    Returns the new state (a tie keeps the previous bit) and, per neuron, whether it tied.
    """
    signs = field_signs(state, patterns, targets, f, d)
    new = [s if s != 0 else int(prev) for s, prev in zip(signs, state)]
    return new, [s == 0 for s in signs]


def transition_errors(patterns, form: str, f: str, d: int | None = None) -> list[int]:
    """Bit errors of each teacher-forced transition ``xi^mu -> target^mu`` (ties are errors)."""
    targets = model_targets(patterns, form)
    out = []
    for mu in range(len(patterns)):
        new, tied = step(patterns[mu], patterns, targets, f, d)
        out.append(sum((a != b) or t for a, b, t in zip(new, targets[mu], tied)))
    return out


def free_run(patterns, form: str, f: str, d: int | None, steps: int, start: int = 0, initial=None):
    """Free synchronous run (tie policy ``error``) from ``initial`` (default ``xi^start``).

    Returns ``(states, errors, ties)``: the states S(0..steps) and, for each step t = 1..steps, the
    bit errors of S(t) against the expected pattern (``xi^start`` for ``auto``, ``xi^{start+t}``
    for ``sequence``, ties counted as errors) and the number of exact ties.
    """
    p = len(patterns)
    pats = [_ints(x) for x in patterns]
    targets = model_targets(pats, form)
    state = pats[start % p] if initial is None else _ints(initial)
    states, errors, ties = [state], [], []
    for t in range(1, steps + 1):
        state, tied = step(state, pats, targets, f, d)
        expected = pats[start % p] if form == "auto" else pats[(start + t) % p]
        errors.append(sum((a != b) or x for a, b, x in zip(state, expected, tied)))
        ties.append(sum(tied))
        states.append(state)
    return states, errors, ties


def model_kind(model) -> tuple[str, int | None]:
    """``(f, d)`` of an amsim model, read from its public parameters only."""
    params = model.params()
    if params["model"] in ("hopfield", "seqnet"):
        return "poly", 1
    if params["f"] == "exp":
        return "exp", None
    return "poly", int(params["d"])


def near_cancellation_patterns(n: int, s3: int):
    """Patterns ``(3, n)`` int8 whose exponential field at neuron 0 of the all-+1 state cancels up to a
    term e^-(2(n-1)): xi^1 = +1..., xi^2 = xi^1 with bit 0 flipped, xi^3 = -xi^1 with bit 0 = s3.  With
    targets = patterns, R_0^1 = R_0^2 = n-1 (f = 1, targets +1 and -1 cancel) and R_0^3 = -(n-1), so
    the exact sign at neuron 0 is s3, and without xi^3 it is a tie."""
    xi1 = np.ones(n, np.int8)
    xi2 = xi1.copy()
    xi2[0] = -1
    xi3 = -xi1
    xi3[0] = s3
    return np.stack([xi1, xi2, xi3])
