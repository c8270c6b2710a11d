"""Crosstalk statistics of the dense sequence networks (spec §1, §3.2, §3.4, §3.5; Fig. 2C).

At the state ``S = xi^1`` the field of neuron 1, multiplied by its target bit, is ``f(1) + C`` with the
crosstalk (spec Eq. 8, after relabelling)

    C = sum_{mu=2}^{P} chi^mu,   chi^mu = s_mu f(Xi^mu),   Xi^mu = (1/n) sum_{j=2}^{N} xi_j^mu,

``n = N - 1``, ``s_mu`` a Rademacher sign and ``n Xi^mu = 2 b_mu - n`` with ``b_mu ~ Binomial(n, 1/2)``,
all independent.  The ``chi^mu`` are i.i.d. and symmetric, so

    var C = (P - 1) E[f(Xi)^2],
    kappa = excess kurtosis of C = (E[f^4] - 3 E[f^2]^2) / ((P - 1) E[f^2]^2).

This module gives those two numbers in exact finite-N form (polynomial ``f(x) = x^d``, through the exact
moments of Xi) and in the spec's closed form (exponential ``f``), and samples C directly, without a
network, together with the sample variance and excess kurtosis.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from amsim.engine.separation import Exponential, Polynomial, Separation
from amsim.models.theory import BETA

#: cosh 4 / cosh^2 2 = 1.929349 (spec §3.5): the per-neuron factor of E[f^4] / E[f^2]^2, exponential f.
KURTOSIS_BASE = math.cosh(4.0) / math.cosh(2.0) ** 2


def xi_moment(n: int, k: int) -> float:
    """Exact ``E[Xi^k]`` for ``Xi = (1/n) sum_{j=1}^{n} xi_j`` with ``n`` Rademacher bits (spec §1).

    ``E[Xi^k] = 2^{-n} sum_{b=0}^{n} C(n, b) ((2b - n)/n)^k``, evaluated in exact rational arithmetic
    and rounded once to float.  Odd moments vanish; to leading order ``E[Xi^{2d}] ~ (2d-1)!! n^{-d}``.
    """
    if n < 1 or k < 0:
        raise ValueError(f"need n >= 1 bits and k >= 0, got n={n}, k={k}")
    total = sum(math.comb(n, b) * (2 * b - n) ** k for b in range(n + 1))
    return float(Fraction(total, 2**n * n**k))


def _check_sizes(n_neurons: int, n_patterns: int) -> None:
    if n_neurons < 2 or n_patterns < 2:
        raise ValueError(f"crosstalk needs N >= 2 and P >= 2, got N={n_neurons}, P={n_patterns}")


def polynomial_crosstalk(n_neurons: int, n_patterns: int, d: int) -> tuple[float, float]:
    """Exact finite-N ``(var C, excess kurtosis of C)`` for ``f(x) = x^d`` (spec §3.4).

    ``var C = (P-1) E[Xi^{2d}]`` and ``kappa = (E[Xi^{4d}] - 3 E[Xi^{2d}]^2) / ((P-1) E[Xi^{2d}]^2)``
    with the exact moments of :func:`xi_moment` for ``n = N - 1`` bits (not the leading-order
    ``(2d-1)!! N^{-d}`` of Eq. 9).
    """
    _check_sizes(n_neurons, n_patterns)
    m2, m4 = xi_moment(n_neurons - 1, 2 * d), xi_moment(n_neurons - 1, 4 * d)
    return (n_patterns - 1) * m2, (m4 - 3 * m2**2) / ((n_patterns - 1) * m2**2)


def exponential_crosstalk(n_neurons: int, n_patterns: int) -> tuple[float, float]:
    """Closed-form ``(var C, excess kurtosis of C)`` for the exponential f (spec §3.5, Fig. 2C).

    ``var C = (P-1) beta^{-(N-1)}`` and ``kappa = ((cosh 4 / cosh^2 2)^{N-1} - 3) / (P-1)``, exact for
    i.i.d. unbiased patterns since ``E[f^k] = (e^{-k} cosh k)^{N-1}``.
    """
    _check_sizes(n_neurons, n_patterns)
    n = n_neurons - 1
    return (n_patterns - 1) * BETA ** (-n), (KURTOSIS_BASE**n - 3.0) / (n_patterns - 1)


def crosstalk_theory(separation: Separation, n_neurons: int, n_patterns: int) -> tuple[float, float]:
    """``(var C, excess kurtosis)`` for a model's separation function (polynomial or exponential)."""
    if isinstance(separation, Exponential):
        return exponential_crosstalk(n_neurons, n_patterns)
    if isinstance(separation, Polynomial):
        return polynomial_crosstalk(n_neurons, n_patterns, separation.d)
    raise TypeError(f"no crosstalk theory for separation {separation!r}")


def term_values(separation: Separation, n_neurons: int) -> np.ndarray:
    """``f(Xi)`` at the ``N`` possible values ``Xi = (2b - n)/n``, ``b = 0..n``, ``n = N - 1``.

    Returns float64 ``(N,)``; entry ``b`` is the term of a pattern with ``b`` bits agreeing with the state.
    Exponential: ``exp(n (Xi - 1)) = exp(2b - 2n)``; polynomial: ``Xi^d``.
    """
    n = n_neurons - 1
    b = np.arange(n + 1, dtype=np.float64)
    if isinstance(separation, Exponential):
        return np.exp(2.0 * b - 2.0 * n)
    if isinstance(separation, Polynomial):
        return ((2.0 * b - n) / n) ** separation.d
    raise TypeError(f"cannot sample crosstalk for separation {separation!r}")


def sample_crosstalk(
    rng: np.random.Generator, separation: Separation, n_neurons: int, n_patterns: int, n_samples: int
) -> np.ndarray:
    """Independent samples of ``C = sum_{mu=2}^{P} s_mu f(Xi^mu)`` (no network run; spec §4.3, Fig. 2C).

    Parameters
    ----------
    rng : numpy Generator, the only source of randomness
    separation : the model's f (:class:`Polynomial` or :class:`Exponential`)
    n_neurons, n_patterns : N and P
    n_samples : number of independent samples

    Returns
    -------
    float64 ``(n_samples,)``

    Notes
    -----
    C depends on the P-1 terms only through how many of them take each of the N values of ``Xi``
    with each sign.  Those counts are drawn exactly: ``(k_0..k_n) ~ Multinomial(P-1, Binomial(n, 1/2)
    pmf)``, then ``k_b^+ ~ Binomial(k_b, 1/2)`` positive signs, and ``C = sum_b (2 k_b^+ - k_b) f_b``.
    This has the law of the term-by-term sum, at cost O(N) per sample instead of O(P) and memory
    ``O(n_samples N)``.
    """
    _check_sizes(n_neurons, n_patterns)
    if n_samples < 1:
        raise ValueError(f"n_samples must be >= 1, got {n_samples}")
    n = n_neurons - 1
    pmf = np.array([math.comb(n, b) for b in range(n + 1)], dtype=np.float64) / 2.0**n
    counts = rng.multinomial(n_patterns - 1, pmf, size=n_samples)  # (n_samples, N)
    plus = rng.binomial(counts, 0.5)
    return (2 * plus - counts).astype(np.float64) @ term_values(separation, n_neurons)


def sample_statistics(samples: np.ndarray) -> tuple[float, float]:
    """Sample ``(variance, excess kurtosis)`` of 1-D samples: ``m2`` and ``m4 / m2^2 - 3``.

    Both use central moments about the sample mean with divisor ``n`` (the plug-in estimators).
    """
    centred = samples - samples.mean()
    m2 = float(np.mean(centred**2))
    m4 = float(np.mean(centred**4))
    return m2, m4 / m2**2 - 3.0
