"""Closed-form capacity laws (spec §1 constants, §3.3-3.5, reference values §4.5).

Two kinds of check:

- against the formula written again here with :mod:`math` (tolerance rel 1e-12: the two evaluations
  differ only by float64 rounding of a handful of operations, ~1e-15 each);
- against the spec's table values, printed to 4 significant digits.  A value x = m 10^e (1 <= m < 10)
  rounded to 4 significant digits is off by at most 0.5 10^(e-3) <= 5e-4 x_rounded, so
  ``math.isclose(rel_tol=5e-4)`` (relative to the larger of the two) accepts exactly the correctly
  rounded values and rejects anything off by more than half a unit in the 4th digit.
"""

from __future__ import annotations

import math

import pytest

from amsim import make_model
from amsim.models.theory import (
    BETA,
    double_factorial_odd,
    exponential_sequence_capacity,
    exponential_transition_capacity,
    hopfield_capacity_all_patterns,
    hopfield_capacity_one_pattern,
    polynomial_sequence_capacity,
    polynomial_transition_capacity,
)

EXACT = 1e-12  # float64 rounding of a few operations
TABLE = 5e-4  # 4 significant digits, see the module docstring


def close4(got, table_value):
    return math.isclose(got, table_value, rel_tol=TABLE)


# --- the formulas, written again independently -------------------------------------------------


def dfact(d):
    """(2d-1)!! = (2d)! / (2^d d!)."""
    return math.factorial(2 * d) // (2**d * math.factorial(d))


def pt_poly(n, d):
    return n**d / (2 * dfact(d) * math.log(n))


def ps_poly(n, d):
    return n**d / (2 * (d + 1) * dfact(d) * math.log(n))


beta = math.e**2 / math.cosh(2)


def pt_exp(n):
    return beta ** (n - 1) / (2 * math.log(n))


def ps_exp(n):
    return beta ** (n - 1) / (2 * n * math.log(beta))


# --- constants -------------------------------------------------------------------------------------


def test_constants():
    # spec §1 / §4.5 give beta = 1.964028 and ln beta = 0.674997 to 7 / 6 decimals: half a unit
    assert abs(BETA - 1.964028) <= 0.5e-6
    assert abs(math.log(BETA) - 0.674997) <= 0.5e-6
    assert math.isclose(BETA, beta, rel_tol=EXACT)


def test_double_factorial():
    # exact integers: (-1)!! = 1, 1, 3, 15, 105, 945, and (2d)! / (2^d d!) in general
    assert [double_factorial_odd(k) for k in range(6)] == [1, 1, 3, 15, 105, 945]
    assert all(double_factorial_odd(d) == dfact(d) for d in range(40))


# --- formulas ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 10, 57, 100, 300, 1000])
@pytest.mark.parametrize("d", [1, 2, 3, 4, 7])
def test_polynomial_laws_equal_formula(n, d):
    assert math.isclose(polynomial_transition_capacity(n, d), pt_poly(n, d), rel_tol=EXACT)
    assert math.isclose(polynomial_sequence_capacity(n, d), ps_poly(n, d), rel_tol=EXACT)
    # pitfall 4: P_T / P_S = d + 1 for the polynomial laws
    assert math.isclose(polynomial_transition_capacity(n, d) / polynomial_sequence_capacity(n, d), d + 1, rel_tol=EXACT)
    model = make_model("densenet", f="poly", d=d, form="sequence")
    assert math.isclose(model.transition_capacity(n), pt_poly(n, d), rel_tol=EXACT)
    assert math.isclose(model.sequence_capacity(n), ps_poly(n, d), rel_tol=EXACT)


@pytest.mark.parametrize("n", [2, 5, 12, 25, 40])
def test_exponential_laws_equal_formula(n):
    assert math.isclose(exponential_transition_capacity(n), pt_exp(n), rel_tol=EXACT)
    assert math.isclose(exponential_sequence_capacity(n), ps_exp(n), rel_tol=EXACT)
    # pitfall 4: P_T / P_S = N ln beta / ln N
    ratio = exponential_transition_capacity(n) / exponential_sequence_capacity(n)
    assert math.isclose(ratio, n * math.log(beta) / math.log(n), rel_tol=EXACT)
    for form in ("auto", "sequence"):
        model = make_model("densenet", f="exp", d=None, form=form)
        assert math.isclose(model.transition_capacity(n), pt_exp(n), rel_tol=EXACT)
        assert math.isclose(model.sequence_capacity(n), ps_exp(n), rel_tol=EXACT)


@pytest.mark.parametrize("n", [10, 100, 300])
def test_hopfield_and_seqnet_laws(n):
    one, all_ = n / (2 * math.log(n)), n / (4 * math.log(n))
    assert math.isclose(hopfield_capacity_one_pattern(n), one, rel_tol=EXACT)
    assert math.isclose(hopfield_capacity_all_patterns(n), all_, rel_tol=EXACT)
    for name in ("hopfield", "seqnet"):
        model = make_model(name)
        assert math.isclose(model.transition_capacity(n), one, rel_tol=EXACT)
        assert math.isclose(model.sequence_capacity(n), all_, rel_tol=EXACT)


@pytest.mark.parametrize(
    "func", [polynomial_transition_capacity, polynomial_sequence_capacity],
)
def test_polynomial_laws_reject_small_n(func):
    with pytest.raises(ValueError):
        func(1, 2)


@pytest.mark.parametrize("func", [exponential_transition_capacity, exponential_sequence_capacity])
def test_exponential_laws_reject_small_n(func):
    with pytest.raises(ValueError):
        func(1)


# --- spec §4.5 tables ----------------------------------------------------------------------------

#: Polynomial DenseNet, Eq. (9): N -> [(P_T, P_S) for d = 1..4]
POLY_TABLE = {
    10: [(2.171, 1.086), (7.238, 2.413), (14.48, 3.619), (20.68, 4.136)],
    20: [(3.338, 1.669), (22.25, 7.418), (89.02, 22.25), (254.3, 50.87)],
    30: [(4.410, 2.205), (44.10, 14.70), (264.6, 66.15), (1134, 226.8)],
    40: [(5.422, 2.711), (72.29, 24.10), (578.3, 144.6), (3305, 660.9)],
    50: [(6.391, 3.195), (106.5, 35.50), (1065, 266.3), (7608, 1522)],
    60: [(7.327, 3.664), (146.5, 48.85), (1759, 439.6), (15070, 3015)],
    70: [(8.238, 4.119), (192.2, 64.07), (2691, 672.8), (26910, 5382)],
    80: [(9.128, 4.564), (243.4, 81.14), (3895, 973.7), (44510, 8902)],
    90: [(10.00, 5.000), (300.0, 100.0), (5400, 1350), (69430, 13890)],
    100: [(10.86, 5.429), (361.9, 120.6), (7238, 1810), (103400, 20680)],
}

#: Exponential DenseNet, Eq. (10): N -> (P_T, P_S)
EXP_TABLE = {
    5: (4.623, 2.204), 6: (8.155, 3.608), 7: (14.75, 6.074), 8: (27.11, 10.44), 9: (50.38, 18.22),
    10: (94.42, 32.21), 11: (178.1, 57.51), 12: (337.5, 103.5), 13: (642.2, 187.7),
    14: (1226, 342.3), 15: (2346, 627.5), 16: (4501, 1155), 17: (8651, 2136), 18: (16650, 3962),
    19: (32110, 7372), 20: (61980, 13750), 21: (119800, 25730), 22: (231700, 48230),
    23: (448700, 90610), 24: (869400, 170500), 25: (1686000, 321600),
}


@pytest.mark.parametrize("n", sorted(POLY_TABLE))
def test_polynomial_reference_table(n):
    for d, (pt, ps) in enumerate(POLY_TABLE[n], start=1):
        assert close4(polynomial_transition_capacity(n, d), pt), (n, d, polynomial_transition_capacity(n, d), pt)
        assert close4(polynomial_sequence_capacity(n, d), ps), (n, d, polynomial_sequence_capacity(n, d), ps)


@pytest.mark.parametrize("n", sorted(EXP_TABLE))
def test_exponential_reference_table(n):
    pt, ps = EXP_TABLE[n]
    assert close4(exponential_transition_capacity(n), pt), (n, exponential_transition_capacity(n), pt)
    assert close4(exponential_sequence_capacity(n), ps), (n, exponential_sequence_capacity(n), ps)


def test_exponential_uses_beta_to_the_n_minus_1():
    """Pitfall 11: beta^(N-1), not beta^N; the beta^N variant would give P_S(25) = 631 600."""
    assert close4(exponential_sequence_capacity(25), 321600)
    assert not close4(exponential_sequence_capacity(25), 631600)
    assert close4(exponential_sequence_capacity(25) * BETA, 631600)


def test_other_reference_values():
    # Fig. 1, N = 300: SeqNet P_T = 26.30, P_S = 13.15; PDN d = 2: 2630 / 876.6
    seqnet, pdn = make_model("seqnet"), make_model("densenet", f="poly", d=2)
    assert close4(seqnet.transition_capacity(300), 26.30) and close4(seqnet.sequence_capacity(300), 13.15)
    assert close4(pdn.transition_capacity(300), 2630) and close4(pdn.sequence_capacity(300), 876.6)
    # classic Hopfield N / (4 ln N): 5.429 at N = 100, 13.15 at N = 300
    assert close4(hopfield_capacity_all_patterns(100), 5.429)
    assert close4(hopfield_capacity_all_patterns(300), 13.15)


# --- degree dependence of Eq. (9) (spec §3.4, §4.5 "Degree dependence") ---------------------------

#: N -> (d* list, P_T(d*), d maximizing P_S, P_S there, largest d with P_T >= 1, P_T there)
DEGREE_TABLE = {
    10: ([5], 22.98, 4, 4.136, 11, 1.579),
    15: ([7, 8], 233.4, 7, 29.18, 18, 1.231),
    20: ([10], 2610, 9, 248.0, 24, 2.348),
}


@pytest.mark.parametrize("n", sorted(DEGREE_TABLE))
def test_degree_maximum(n):
    d_star, pt_star, d_ps, ps_star, d_last, pt_last = DEGREE_TABLE[n]
    degrees = range(1, 80)  # P_T(d) -> 0 as d grows ((2d-1)!! beats N^d), so 80 covers the range
    pt = {d: polynomial_transition_capacity(n, d) for d in degrees}
    ps = {d: polynomial_sequence_capacity(n, d) for d in degrees}
    best = max(pt.values())
    # the maximizers, allowing float rounding for the exact tie at odd N (ratio N/(2d+1) = 1)
    assert [d for d in degrees if math.isclose(pt[d], best, rel_tol=EXACT)] == d_star
    assert d_star[0] == math.ceil((n - 1) / 2)  # d* = ceil((N-1)/2), spec §3.4
    assert close4(best, pt_star)
    assert max(ps, key=ps.get) == d_ps and close4(ps[d_ps], ps_star)
    assert max(d for d in degrees if pt[d] >= 1) == d_last and close4(pt[d_last], pt_last)
    # ratio laws of spec §3.4, exact up to float rounding
    for d in range(1, 30):
        assert math.isclose(pt[d + 1] / pt[d], n / (2 * d + 1), rel_tol=EXACT)
        assert math.isclose(ps[d + 1] / ps[d], n * (d + 1) / ((2 * d + 1) * (d + 2)), rel_tol=EXACT)
