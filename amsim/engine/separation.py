"""Separation functions f of the overlap, and their exact evaluation.

Conventions (spec ``sequence-memory.md`` §1, §2.2, §2.6)
---------------------------------------------------------
A field term is ``sum_mu t_i^mu f(m_i^mu)`` with target bits ``t`` and an overlap of one of two kinds:

- ``excluded`` (every one-layer model, spec §1): ``m = R / (N-1)`` with the self-excluded raw overlap
  ``R_i^mu = sum_{j != i} xi_j^mu S_j``, an integer in ``[-(N-1), N-1]``;
- ``included`` (the two-layer network's hidden input, spec §2.6): ``m = g / N`` with the full raw
  overlap ``g^mu = xi^mu . S``, an integer in ``[-N, N]``.

Binary dynamics only need ``sgn(h_i)``, decided *exactly* (a tie ``h_i = 0`` is a recall error).
The engine evaluates fields in float64 with a rigorous bound on their rounding error, and decides
every field within that bound of zero in exact arithmetic (:mod:`amsim.engine.exact`).  A positive
factor that depends only on the state never changes a sign, so the float path may rescale each
state's values (the exponential uses this to avoid overflow and underflow of the dominant term).

Two-value form (spec §2.3): for a ±1 state ``R_i^mu = g^mu - xi_i^mu S_i`` is ``g^mu - 1`` (where
``xi_i^mu S_i = +1``) or ``g^mu + 1``, so the float path evaluates ``f`` only at those two
*candidates* per pattern (one, for the included overlap).
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

EPS = np.finfo(np.float64).eps / 2  # unit roundoff u of float64
TINY = np.finfo(np.float64).smallest_subnormal  # absolute error of an underflowed term
OVERLAPS = ("excluded", "included")


def bound_units(n_terms, rel_err: int):
    """Units of the rounding bound of a sum of ``n_terms`` float terms, each within ``rel_err`` ulps:
    ``2 P + 8 + rel_err`` (:meth:`Separation.error_bound`; the bound is ``2 units (u scale + TINY)``)."""
    return 2 * n_terms + 8 + rel_err


@dataclass(frozen=True)
class Separation:
    """Base class: a separation function ``f`` with ``f(1) = 1``.

    Subclasses implement :meth:`values`, :meth:`exact_sums` and set ``rel_err``, the error of one
    float value in units of the unit roundoff.
    """

    def values(self, raw, norm: int, shift):
        """Float64 ``f(raw / norm)``, times ``exp(-shift)`` for the exponential (a per-state factor)."""
        raise NotImplementedError

    def shift(self, g: np.ndarray, n: int, overlap: str):
        """Per-state shift of the float values (0 except for the exponential), shape (..., 1)."""
        return 0.0

    def candidates(self, g: np.ndarray, n: int, overlap: str = "excluded"):
        """Values ``(a_plus, a_minus)`` of ``f`` at the two candidate overlaps of each pattern.

        Parameters
        ----------
        g : float64 array (..., P), full raw overlaps ``xi^mu . S`` of each state with every pattern.
        n : number of neurons N.
        overlap : ``excluded`` (candidates ``(g-1)/(N-1)`` and ``(g+1)/(N-1)``) or ``included``
            (both ``g/N``).

        Returns
        -------
        a_plus, a_minus : float64 arrays shaped like ``g``, up to one positive factor per state;
        ``a_plus`` applies where ``xi_i^mu S_i = +1``.
        """
        shift = self.shift(g, n, overlap)
        if overlap == "included":
            same = self.values(g, n, shift)
            return same, same
        return self.values(g - 1.0, n - 1, shift), self.values(g + 1.0, n - 1, shift)

    def error_bound(self, a_plus: np.ndarray, a_minus: np.ndarray) -> np.ndarray:
        """Bound on the float64 rounding error of a field built from these candidates.

        Any summation order of the ``P`` terms ``t * f`` (BLAS or a plain loop) errs by at most
        ``gamma_{2P+c} * sum_mu max(|a_plus|, |a_minus|)``, plus the error carried by each value
        (``rel_err`` ulps) and the absolute error of underflowed terms.  The bound is twice that, so
        borderline fields always go to the exact path.  Returns float64 (..., 1), one per state.
        """
        scale = np.maximum(np.abs(a_plus), np.abs(a_minus)).sum(axis=-1, keepdims=True)
        units = bound_units(a_plus.shape[-1], self.rel_err)
        return 2.0 * (units * EPS * scale + units * TINY)

    def exact_sums(self, raw: np.ndarray, targets: np.ndarray, n: int, overlap: str) -> list[dict]:
        """Exact ``sum_mu t^mu f(raw^mu / norm)`` of K neurons as series ``{k: q}`` meaning
        ``sum_k q e^k`` with rational ``q`` (``k = 0`` only, for polynomials).

        ``raw`` and ``targets`` are integer arrays (P, K): raw overlaps of the given kind and target
        values in {-1, 0, +1}.
        """
        raise NotImplementedError

    @property
    def label(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class Polynomial(Separation):
    """``f(m) = m**d`` for an integer ``d >= 1`` (``d = 1``: the linear Hopfield / SeqNet rule).

    Exact sums use integers: ``norm^d h = sum_mu t^mu raw^d``, in int64 when it cannot overflow and
    in Python integers otherwise, so ties are exact for every ``d`` and ``N``.
    """

    d: int = 1

    def __post_init__(self):
        if int(self.d) != self.d or self.d < 1:
            raise ValueError(f"polynomial degree d must be an integer >= 1, got {self.d!r}")

    @property
    def rel_err(self) -> int:
        return 2 * self.d + 4  # the division's error is raised to the d-th power, and so is pow's

    @property
    def label(self) -> str:
        return "linear" if self.d == 1 else f"poly(d={self.d})"

    def values(self, raw, norm, shift):
        return (raw * (1.0 / norm)) ** self.d

    def exact_sums(self, raw, targets, n, overlap):
        norm = n - 1 if overlap == "excluded" else n
        if raw.shape[0] * float(n + 1) ** self.d < 2.0**62:
            totals = (targets.astype(np.int64) * raw.astype(np.int64) ** self.d).sum(axis=0).tolist()
        else:
            totals = (targets.astype(object) * raw.astype(object) ** self.d).sum(axis=0).tolist()
        scale = norm**self.d
        return [{0: Fraction(int(total), scale)} if total else {} for total in totals]


@dataclass(frozen=True)
class Exponential(Separation):
    """``f(m) = exp(norm (m - 1))``: ``exp(R - (N-1))`` for the excluded overlap (spec §2.2), and
    ``exp(g - N)`` for the included one (the two-layer default, spec §2.6).

    Float path: each state's values are shifted by that state's largest exponent, so the largest
    candidate is exactly 1.  Every neuron's own largest term is then at least ``e^-2``
    (``R_i^mu >= g^mu - 1``), so nothing overflows and the dominant terms are never lost, for any N;
    terms more than ~745 e-folds below the dominant one underflow and are covered by the error bound.
    Exact sums: integer counts ``c_r = sum_{mu: raw^mu = r} t^mu`` of each overlap value.
    """

    rel_err = 4  # exp of an exact integer argument: within one ulp; one subtraction before it

    @property
    def label(self) -> str:
        return "exp"

    def shift(self, g, n, overlap):
        return g.max(axis=-1, keepdims=True) + (1.0 if overlap == "excluded" else 0.0)

    def values(self, raw, norm, shift):
        return np.exp(raw - shift)

    def exact_sums(self, raw, targets, n, overlap):
        offset = n - 1 if overlap == "excluded" else n
        n_cols = raw.shape[1]
        counts = np.zeros((2 * n + 1, n_cols), dtype=np.int64)
        cols = np.broadcast_to(np.arange(n_cols), raw.shape)
        np.add.at(counts, (raw + n, cols), targets.astype(np.int64))
        out = []
        for k in range(n_cols):
            nonzero = np.flatnonzero(counts[:, k])
            out.append({int(r) - n - offset: Fraction(int(counts[r, k])) for r in nonzero})
        return out


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
