"""Exact signs of fields written as series ``sum_k q_k e^k`` with rational coefficients ``q_k``.

Every exact field of the engine has this form: polynomial separations contribute rationals at
``k = 0``, exponential ones integer counts at integer ``k`` (see ``Separation.exact_sums``), and
weights such as the MixedNet's lambda are rationals.  Because ``e`` is transcendental, the series is
zero if and only if every coefficient is zero: that is the exact tie test.  Otherwise its sign is found
in decimal arithmetic at increasing precision, stopping as soon as the value exceeds its error bound.
"""

from __future__ import annotations

from decimal import Decimal, localcontext
from fractions import Fraction


class AmbiguousFieldError(ArithmeticError):
    """Raised when even 5000-digit arithmetic cannot decide the sign of a non-zero field."""


def add_series(total: dict, series: dict, weight: Fraction) -> None:
    """``total += weight * series`` for series ``{k: q}``, in place."""
    for k, q in series.items():
        total[k] = total.get(k, Fraction(0)) + weight * q


def series_sign(series: dict) -> int:
    """Exact sign of ``sum_k q_k e^k``; 0 iff every ``q_k`` is 0."""
    terms = sorted((k, q) for k, q in series.items() if q)
    if not terms:
        return 0
    if len(terms) == 1:
        return 1 if terms[0][1] > 0 else -1
    base = terms[0][0]
    for digits in (50, 200, 1000, 5000):
        with localcontext() as ctx:
            ctx.prec = digits
            e = Decimal(1).exp()
            value = Decimal(0)
            error = Decimal(0)
            for k, q in terms:
                term = Decimal(q.numerator) / Decimal(q.denominator) * e ** (k - base)
                value += term
                error += abs(term) * (k - base + 4) * Decimal(10) ** (2 - digits)
            if abs(value) > error:
                return 1 if value > 0 else -1
    raise AmbiguousFieldError(f"cannot decide the sign of a field even at {digits} digits")
