"""Separation functions f of the self-excluded overlap, and their exact sign decisions.

Conventions (spec ``sequence-memory.md`` §1, §2.2)
---------------------------------------------------
Every separation function is evaluated on the *dynamics overlap* ``m = R / (N-1)``, where
``R_i^mu = sum_{j != i} xi_j^mu S_j`` is the self-excluded raw overlap, an integer in
``[-(N-1), N-1]``.  The field of neuron ``i`` is ``h_i = sum_mu t_i^mu f(R_i^mu / (N-1))``
with target bits ``t``.

Binary dynamics only need ``sgn(h_i)``, and it must be decided *exactly* (a tie ``h_i = 0`` is a
recall error, spec §1).  The engine therefore evaluates fields in float64 together with a rigorous
bound on their rounding error, and hands every field whose magnitude is within that bound to
:meth:`Separation.exact_signs`, which decides it in exact arithmetic.  A positive factor that
depends only on the state (not on the pattern or the neuron) never changes a sign, so the float path
may rescale each state's values freely (the exponential uses this to avoid overflow and underflow of
the dominant term).

Two-value form (spec §2.3): for a ±1 state ``R_i^mu = g^mu - xi_i^mu S_i`` takes one of the two
values ``g^mu - 1`` (when ``xi_i^mu S_i = +1``) or ``g^mu + 1``, where ``g^mu = xi^mu . S`` is the
full raw overlap.  The float path evaluates ``f`` only at those two *candidates* per pattern.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

import numpy as np

EPS = np.finfo(np.float64).eps / 2  # unit roundoff u of float64
TINY = np.finfo(np.float64).smallest_subnormal  # absolute error of an underflowed term


class AmbiguousFieldError(ArithmeticError):
    """Raised when even high-precision arithmetic cannot decide the sign of a field."""


@dataclass(frozen=True)
class Separation:
    """Base class: a separation function ``f`` with ``f(1) = 1``.

    Subclasses implement :meth:`candidates` and :meth:`exact_signs` and set ``rel_err``, the error of
    one candidate value in units of the unit roundoff.
    """

    def candidates(self, g: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Values ``(f((g-1)/(N-1)), f((g+1)/(N-1)))`` up to one positive factor per state.

        Parameters
        ----------
        g : float64 array, shape (..., P)
            Full raw overlaps ``xi^mu . S`` of each state (leading axes) with every pattern.
        n : int
            Number of neurons N.

        Returns
        -------
        a_plus, a_minus : float64 arrays of the shape of ``g``
            ``a_plus`` is used where ``xi_i^mu S_i = +1``, ``a_minus`` where it is ``-1``.
        """
        raise NotImplementedError

    def error_bound(self, a_plus: np.ndarray, a_minus: np.ndarray) -> np.ndarray:
        """Bound on the float64 rounding error of a field built from these candidates.

        Any summation order of ``P`` terms ``t * f`` (BLAS or a plain loop) has an absolute error of
        at most ``gamma_{2P+c} * sum_mu max(|a_plus|, |a_minus|)`` plus the error already carried by
        each candidate (``rel_err`` ulps) and the absolute error of underflowed terms.  The bound
        used is twice that, so borderline fields are always sent to the exact path.

        Returns
        -------
        float64 array, shape (..., 1)
            One bound per state.
        """
        n_terms = a_plus.shape[-1]
        scale = np.maximum(np.abs(a_plus), np.abs(a_minus)).sum(axis=-1, keepdims=True)
        units = 2 * n_terms + 8 + self.rel_err
        return 2.0 * (units * EPS * scale + units * TINY)

    def exact_signs(self, raw: np.ndarray, targets: np.ndarray, n: int) -> np.ndarray:
        """Exact ``sgn(sum_mu t^mu f(R^mu / (N-1)))`` for several neurons at once.

        Parameters
        ----------
        raw : int64 array, shape (P, K)
            Self-excluded raw overlaps ``R^mu`` of K neurons.
        targets : int array, shape (P, K)
            Target bits ``t^mu`` in {-1, +1} of the same neurons.
        n : int
            Number of neurons N.

        Returns
        -------
        int8 array, shape (K,), values in {-1, 0, +1}; 0 is an exact tie.
        """
        raise NotImplementedError

    @property
    def label(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Polynomial(Separation):
    """``f(m) = m**d`` for an integer ``d >= 1`` (``d = 1``: the linear Hopfield / SeqNet rule).

    Exact signs use integer arithmetic: ``(N-1)^d h_i = sum_mu t_i^mu (R_i^mu)^d``, in int64 when
    ``P (N-1)^d < 2^62`` and in Python integers otherwise, so ties are exact for every ``d`` and ``N``.
    """

    d: int = 1

    def __post_init__(self):
        if int(self.d) != self.d or self.d < 1:
            raise ValueError(f"polynomial degree d must be an integer >= 1, got {self.d!r}")

    @property
    def rel_err(self) -> int:
        return 2 * self.d + 4  # the division error is raised to the d-th power, and so is the power's

    @property
    def label(self) -> str:
        return "linear" if self.d == 1 else f"poly(d={self.d})"

    def candidates(self, g, n):
        scale = 1.0 / (n - 1)
        return ((g - 1.0) * scale) ** self.d, ((g + 1.0) * scale) ** self.d

    def exact_signs(self, raw, targets, n):
        if raw.shape[0] * float(n - 1) ** self.d < 2.0**62:
            total = (targets.astype(np.int64) * raw.astype(np.int64) ** self.d).sum(axis=0)
            return np.sign(total).astype(np.int8)
        total = (targets.astype(object) * raw.astype(object) ** self.d).sum(axis=0)
        return np.array([(v > 0) - (v < 0) for v in total], dtype=np.int8)


@dataclass(frozen=True)
class Exponential(Separation):
    """``f(m) = exp((N-1)(m - 1)) = exp(R - (N-1))`` (spec §2.2, exponential DenseNet).

    Float path: each state's candidates are shifted by that state's largest exponent, so the
    largest candidate is exactly 1.  Every neuron's own largest term is at least ``e^-2`` after the
    shift (``R_i^mu >= g^mu - 1``), so nothing overflows and the dominant terms are never lost, for
    any N; terms more than ~745 e-folds below the dominant one underflow and are covered by the
    error bound.  Exact path: ``e`` is transcendental, so ``h_i = 0`` iff every integer count
    ``c_r = sum_{mu: R_i^mu = r} t_i^mu`` vanishes; otherwise the sign of ``sum_r c_r e^r`` is
    evaluated in decimal arithmetic with increasing precision until it is certain.
    """

    rel_err = 4  # exp of an exact integer argument: within one ulp; one subtraction before it

    @property
    def label(self) -> str:
        return "exp"

    def candidates(self, g, n):
        shift = g.max(axis=-1, keepdims=True) + 1.0
        return np.exp(g - 1.0 - shift), np.exp(g + 1.0 - shift)

    def exact_signs(self, raw, targets, n):
        n_bins = 2 * n - 1
        n_cols = raw.shape[1]
        counts = np.zeros((n_bins, n_cols), dtype=np.int64)
        cols = np.broadcast_to(np.arange(n_cols), raw.shape)
        np.add.at(counts, (raw + (n - 1), cols), targets.astype(np.int64))
        out = np.zeros(n_cols, dtype=np.int8)
        for k in range(n_cols):
            nonzero = np.flatnonzero(counts[:, k])
            if nonzero.size:
                out[k] = _sign_of_exp_polynomial(counts[nonzero, k].tolist(), nonzero.tolist())
        return out


def _sign_of_exp_polynomial(coefficients: list[int], exponents: list[int]) -> int:
    """Sign of ``sum_k c_k e^{r_k}`` for integers ``c_k != 0`` and increasing integer exponents ``r_k``.

    The value is non-zero (``e`` is transcendental).  It is evaluated with ``decimal`` at increasing
    precision; at precision ``p`` every term carries a relative error below ``(r+2) 10^(1-p)``, and
    the sign is returned as soon as the value exceeds the summed error.
    """
    base = exponents[0]
    for digits in (50, 200, 1000, 5000):
        with localcontext() as ctx:
            ctx.prec = digits
            e = Decimal(1).exp()
            value = Decimal(0)
            error = Decimal(0)
            for c, r in zip(coefficients, exponents):
                term = Decimal(c) * e ** (r - base)
                value += term
                error += abs(term) * (r - base + 4) * Decimal(10) ** (2 - digits)
            if abs(value) > error:
                return 1 if value > 0 else -1
    raise AmbiguousFieldError(
        f"cannot decide the sign of an exponential field even at {digits} digits"
    )


def make_separation(f: str, d: int | None = None) -> Separation:
    """Build a separation function from its name: ``linear``, ``poly`` (with ``d``) or ``exp``."""
    if f == "linear":
        return Polynomial(1)
    if f == "poly":
        if d is None:
            raise ValueError("the polynomial separation needs a degree d")
        return Polynomial(int(d))
    if f == "exp":
        return Exponential()
    raise ValueError(f"unknown separation function {f!r}; expected 'linear', 'poly' or 'exp'")


__all__ = [
    "AmbiguousFieldError",
    "Exponential",
    "Polynomial",
    "Separation",
    "make_separation",
]
