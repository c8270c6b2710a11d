"""Crosstalk statistics (spec §1 moments of Xi, §3.2, §3.4, §3.5, Fig. 2C).

References are independent of :mod:`amsim.models.crosstalk`: brute-force enumeration of every bit
vector, exact closed forms, and for the sampler the delta-method standard errors computed from the
exact moments of C (written out here from the binomial law of the overlap).
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pytest

from amsim.engine.separation import Exponential, Polynomial
from amsim.models import crosstalk as ct
from amsim.models.theory import BETA


@pytest.mark.parametrize("n", [1, 2, 5, 9])
@pytest.mark.parametrize("k", [0, 1, 2, 3, 4, 6, 8])
def test_xi_moment_brute_force(n, k):
    """E[Xi^k] by enumerating all 2^n bit vectors in rational arithmetic: equal to the last bit."""
    total = sum(Fraction(sum(bits), n) ** k for bits in itertools.product((-1, 1), repeat=n))
    assert ct.xi_moment(n, k) == float(total / 2**n)


@pytest.mark.parametrize("n", [3, 10, 39, 500])
def test_xi_moment_closed_forms(n):
    """E[Xi^2] = 1/n, E[Xi^4] = (3n - 2)/n^3 exactly; odd moments vanish; E[Xi^{2d}] n^d -> (2d-1)!!."""
    assert ct.xi_moment(n, 2) == pytest.approx(1 / n, rel=1e-15)
    assert ct.xi_moment(n, 4) == pytest.approx((3 * n - 2) / n**3, rel=1e-15)
    assert ct.xi_moment(n, 5) == 0.0
    if n == 500:  # the leading-order law, corrections O(1/n)
        assert ct.xi_moment(n, 6) * n**3 == pytest.approx(15, rel=0.05)


@pytest.mark.parametrize("n_neurons", [2, 5, 9])
def test_exponential_closed_forms_brute_force(n_neurons):
    """E[f^2] and E[f^4] of f = exp(R - (N-1)), R the self-excluded raw overlap, by enumeration."""
    n = n_neurons - 1
    values = [math.exp(sum(bits) - n) for bits in itertools.product((-1, 1), repeat=n)]
    m2 = sum(v**2 for v in values) / 2**n
    m4 = sum(v**4 for v in values) / 2**n
    P = 17
    var, kurt = ct.exponential_crosstalk(n_neurons, P)
    assert var == pytest.approx((P - 1) * m2, rel=1e-12)
    assert kurt == pytest.approx((m4 - 3 * m2**2) / ((P - 1) * m2**2), rel=1e-12)
    assert var == pytest.approx((P - 1) * BETA ** (1 - n_neurons), rel=1e-12)


def test_spec_constants():
    """Spec §3.5 / §4.5: cosh 4 / cosh^2 2 = 1.929349, r = 0.982343, and the kurtosis peak of
    ln N r^(N-1) at N = 19 with value 2.137 (kappa at P = beta^(N-1) / ln N, up to the -3 term)."""
    assert ct.KURTOSIS_BASE == pytest.approx(1.929349, abs=5e-7)
    r = ct.KURTOSIS_BASE / BETA
    assert r == pytest.approx(0.982343, abs=5e-7)
    peak = max(range(5, 60), key=lambda N: math.log(N) * r ** (N - 1))
    assert peak == 19 and math.log(19) * r**18 == pytest.approx(2.137, abs=5e-4)


def test_polynomial_theory_matches_exact_moments():
    var, kurt = ct.polynomial_crosstalk(40, 101, 2)
    m2, m4 = (3 * 39 - 2) / 39**3, ct.xi_moment(39, 8)
    assert var == pytest.approx(100 * m2, rel=1e-14)
    assert kurt == pytest.approx((m4 - 3 * m2**2) / (100 * m2**2), rel=1e-14)


def exact_even_moments_of_c(separation, n_neurons: int, n_patterns: int) -> tuple[float, ...]:
    """``(mu2, mu4, mu6, mu8)`` of C from the cumulants of one term chi = s f(Xi), times (P - 1).

    chi is symmetric, so odd moments and cumulants vanish; E[chi^{2j}] = E[f^{2j}] is an exact sum
    over the Binomial(N - 1, 1/2) overlap, with f written out here for both separations.
    """
    n = n_neurons - 1
    if isinstance(separation, Exponential):
        f = [math.exp(2 * b - 2 * n) for b in range(n + 1)]
    else:
        f = [((2 * b - n) / n) ** separation.d for b in range(n + 1)]
    m = {j: sum(math.comb(n, b) * f[b] ** j for b in range(n + 1)) / 2**n for j in (2, 4, 6, 8)}
    k2 = m[2]
    k4 = m[4] - 3 * m[2] ** 2
    k6 = m[6] - 15 * m[4] * m[2] + 30 * m[2] ** 3
    k8 = m[8] - 28 * m[6] * m[2] - 35 * m[4] ** 2 + 420 * m[4] * m[2] ** 2 - 630 * m[2] ** 4
    K2, K4, K6, K8 = ((n_patterns - 1) * k for k in (k2, k4, k6, k8))
    mu2 = K2
    mu4 = K4 + 3 * K2**2
    mu6 = K6 + 15 * K4 * K2 + 15 * K2**3
    mu8 = K8 + 28 * K6 * K2 + 35 * K4**2 + 210 * K4 * K2**2 + 105 * K2**4
    return mu2, mu4, mu6, mu8


CASES = [
    ("poly1", Polynomial(1), 20, 50),
    ("poly2", Polynomial(2), 20, 100),
    ("poly3", Polynomial(3), 30, 40),
    ("exp-N10", Exponential(), 10, 100),
    ("exp-N14", Exponential(), 14, 1000),
    ("exp-N20", Exponential(), 20, 10000),
]


@pytest.mark.parametrize("name,separation,n_neurons,n_patterns", CASES, ids=[c[0] for c in CASES])
def test_sampled_statistics_match_theory(name, separation, n_neurons, n_patterns):
    """Sample variance and excess kurtosis of 200 000 direct samples of C against the theory.

    Tolerance: 5 standard errors of each estimator, from the delta method with the exact moments
    of C up to order 8 (sample variance: ``sqrt((mu4 - mu2^2)/n)``; sample kurtosis ``m4/m2^2 - 3``:
    gradient ``(1/mu2^2, -2 mu4/mu2^3)`` against the covariance of ``(X^2, X^4)``).  A correct
    sampler fails with probability ~1e-6 per check under the normal approximation; the O(1/n) bias of
    the plug-in kurtosis is far below one standard error at this n.  The theory is the module's
    (exact finite-N polynomial form, closed-form exponential), so this also checks those formulas.
    """
    n_samples = 200_000
    samples = ct.sample_crosstalk(np.random.default_rng(7), separation, n_neurons, n_patterns, n_samples)
    var_hat, kurt_hat = ct.sample_statistics(samples)
    var, kurt = ct.crosstalk_theory(separation, n_neurons, n_patterns)
    mu2, mu4, mu6, mu8 = exact_even_moments_of_c(separation, n_neurons, n_patterns)
    assert var == pytest.approx(mu2, rel=1e-9)
    assert kurt == pytest.approx(mu4 / mu2**2 - 3, rel=1e-6, abs=1e-12)
    se_var = math.sqrt((mu4 - mu2**2) / n_samples)
    var_x4, cov, var_x2 = mu8 - mu4**2, mu6 - mu2 * mu4, mu4 - mu2**2
    se_kurt = math.sqrt(
        (var_x4 / mu2**4 - 4 * mu4 * cov / mu2**5 + 4 * mu4**2 * var_x2 / mu2**6) / n_samples
    )
    assert abs(var_hat - var) <= 5 * se_var, (var_hat, var, se_var)
    assert abs(kurt_hat - kurt) <= 5 * se_kurt, (kurt_hat, kurt, se_kurt)
    assert se_kurt < max(0.5 * abs(kurt), 0.05), "the check must be informative"


def test_fig2c_trends():
    """Fig. 2C caption: the variance grows with P and shrinks with N; the kurtosis does the opposite."""
    grid = [(N, P) for N in (10, 15, 20) for P in (100, 1000, 10000)]
    var = {k: ct.exponential_crosstalk(*k)[0] for k in grid}
    kurt = {k: ct.exponential_crosstalk(*k)[1] for k in grid}
    assert var[10, 1000] > var[10, 100] and var[15, 100] < var[10, 100]
    assert kurt[10, 1000] < kurt[10, 100] and kurt[15, 100] > kurt[10, 100]


def test_bad_sizes_are_refused():
    with pytest.raises(ValueError):
        ct.sample_crosstalk(np.random.default_rng(0), Polynomial(2), 1, 10, 5)
    with pytest.raises(ValueError):
        ct.polynomial_crosstalk(10, 1, 2)
