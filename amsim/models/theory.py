"""Closed-form capacity laws of spec §3 (c -> 0, natural logarithms), as plain functions of N and d.

These are the paper's Eqs. (9) and (10) and the classic Hopfield calibration (App. B).  They follow the
spec's stated versions exactly (pitfall 11): ``N^d`` (not ``(N-1)^d``) in Eq. (9) and ``beta^(N-1)``
(not ``beta^N``) in Eq. (10).
"""

from __future__ import annotations

import math

#: beta = e^2 / cosh 2 (spec §1), the base of the exponential DenseNet capacity.
BETA = math.exp(2.0) / math.cosh(2.0)


def double_factorial_odd(d: int) -> int:
    """``(2d-1)!! = 1 * 3 * ... * (2d-1)``, with ``(-1)!! = 1`` for ``d = 0``."""
    return math.prod(range(1, 2 * d, 2))


def _check_n(n: float) -> None:
    if n < 2:
        raise ValueError(f"capacity laws need N >= 2, got {n}")


def polynomial_transition_capacity(n: float, d: int) -> float:
    """Eq. (9): ``P_T = N^d / (2 (2d-1)!! ln N)``; the symmetric dense memory has the same law."""
    _check_n(n)
    return n**d / (2 * double_factorial_odd(d) * math.log(n))


def polynomial_sequence_capacity(n: float, d: int) -> float:
    """Eq. (9): ``P_S = N^d / (2 (d+1) (2d-1)!! ln N)``, since ``ln(N P_S) ~ (d+1) ln N``."""
    _check_n(n)
    return n**d / (2 * (d + 1) * double_factorial_odd(d) * math.log(n))


def exponential_transition_capacity(n: float) -> float:
    """Eq. (10): ``P_T = beta^(N-1) / (2 ln N)``."""
    _check_n(n)
    return BETA ** (n - 1) / (2 * math.log(n))


def exponential_sequence_capacity(n: float) -> float:
    """Eq. (10): ``P_S = beta^(N-1) / (2 N ln beta)``."""
    _check_n(n)
    return BETA ** (n - 1) / (2 * n * math.log(BETA))


def hopfield_capacity_one_pattern(n: float) -> float:
    """Classic Hopfield, one pattern a fixed point: ``N / (2 ln N)`` (App. B, M = N)."""
    return polynomial_transition_capacity(n, 1)


def hopfield_capacity_all_patterns(n: float) -> float:
    """Classic Hopfield, all patterns fixed points: ``N / (4 ln N)`` (App. B, M = N P; McEliece et al.)."""
    return polynomial_sequence_capacity(n, 1)


def bias_threshold(eps: float, d: int) -> float:
    """Eq. (12): with pattern bias eps the polynomial DenseNet needs ``P < eps^-(2d+1) + 1``."""
    if not 0 < eps <= 1:
        raise ValueError(f"bias eps must lie in (0, 1], got {eps}")
    return eps ** -(2 * d + 1) + 1
