"""The deterministic equivalent (spec §3) against closed forms and independent solves.

References and tolerances:

- Isotropic spectrum (D equal eigenvalues 1/D): ``Df1 = D/(1 + D kappa)``, so the self-consistent
  equation becomes the cubic ``(D - u)(P - u)(N - u) = lam N D u`` in ``u = Df1``; its admissible root
  (``0 < u < min(N, P, D)``) from ``numpy.roots`` is an independent solve (no brackets, no log
  transform).  Agreement to rel 1e-9: ``numpy.roots`` (companion-matrix eigenvalues) is accurate to
  ~1e-12 relative here, and the solver converges to ~1e-15 in log kappa.
- Kernel-ridge limit N -> inf with lam -> 0 for the isotropic task (linear regression): risk
  ``s2 / (1 - D/P)`` for P > D and ``(1 - P/D) + s2 / (1 - P/D)`` for P < D (signal variance 1; the
  known ridgeless least-squares risks, plus the test-label noise s2 the spec's risk includes).
  Evaluated at N = 1e12 and lam = 1e-10: corrections are O(1/N) and O(lam) relative, so rel 1e-6.
- Isotropic kernel ridge (N -> inf, lam > 0): ``kappa`` solves the quadratic
  ``P D k^2 + (P - D - lam D) k - lam = 0`` (rel 1e-6: the N = 1e12 correction is O(1e-12 P)).
- Ridge -> inf: the predictor vanishes and every E_K -> signal + s2 = 1 + s2, with a correction
  O(1/kappa2) = O(P/lam); at lam = 1e12 rel 1e-6 is generous.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from amsim.errors import AmsimError
from amsim.models import rf_theory as T


def isotropic(D: int, noise_var: float = 0.0) -> T.Spectrum:
    lam = np.full(D, 1.0 / D)
    return T.Spectrum(lam, np.ones(D), noise_var)  # signal sum lam w^2 = 1


def cubic_kappa(D, P, N, lam):
    """Admissible root of (D-u)(P-u)(N-u) - lam N D u = 0, mapped back to kappa = 1/u - 1/D."""
    # expand (D-u)(P-u)(N-u) = -u^3 + (D+P+N) u^2 - (DP+DN+PN) u + DPN
    coeffs = [-1.0, D + P + N, -(D * P + D * N + P * N) - lam * N * D, D * P * N]
    roots = np.roots(coeffs)
    bound = min(N, P, D)
    ok = [z.real for z in roots if abs(z.imag) < 1e-9 * abs(z) and 0 < z.real < bound]
    assert len(ok) == 1, roots
    u = ok[0]
    return 1.0 / u - 1.0 / D


# --- spectra ----------------------------------------------------------------------------------------


def test_power_law_normalisation():
    s = T.power_law_spectrum(1.5, 0.8, 500)
    assert s.eigvals.sum() == pytest.approx(1.0, rel=1e-12)
    assert s.signal == pytest.approx(1.0, rel=1e-12)
    k = np.arange(1, 501)
    power = s.eigvals * s.wbar**2
    # mode power ∝ k^-(1 + 2 alpha r): the log-log slope is exactly -(1 + 2*1.5*0.8) = -3.4
    slope = np.polyfit(np.log(k), np.log(power), 1)[0]
    assert slope == pytest.approx(-3.4, abs=1e-10)
    assert np.polyfit(np.log(k), np.log(s.eigvals), 1)[0] == pytest.approx(-1.5, abs=1e-10)


@pytest.mark.parametrize("bad", [
    dict(eigvals=[1.0, -0.1], wbar=[1.0, 1.0]),
    dict(eigvals=[0.0, 0.0], wbar=[1.0, 1.0]),
    dict(eigvals=[1.0, 0.5], wbar=[1.0]),
    dict(eigvals=[1.0, np.nan], wbar=[1.0, 1.0]),
])
def test_bad_spectrum_refused(bad):
    with pytest.raises(AmsimError):
        T.Spectrum(np.array(bad["eigvals"]), np.array(bad["wbar"]))


# --- the self-consistent equation --------------------------------------------------------------------


@pytest.mark.parametrize("D,P,N", [(50, 200, 30), (50, 20, 30), (50, 30, 30), (50, 80, 120), (40, 25, 25)])
@pytest.mark.parametrize("lam", [1e-6, 1e-2, 1.0, 100.0])
def test_kappa2_isotropic_against_cubic_roots(D, P, N, lam):
    got = T.solve_kappa2(isotropic(D), P, N, [lam])[0]
    assert got == pytest.approx(cubic_kappa(D, P, N, lam), rel=1e-9)


@pytest.mark.parametrize("P,N", [(100, 40), (40, 100), (64, 64), (5000, 3000)])
def test_kappa2_solves_the_equation_on_the_admissible_branch(P, N):
    s = T.power_law_spectrum(1.2, 0.4, 2000)
    lam = np.logspace(-3, 3, 13)
    k = T.solve_kappa2(s, P, N, lam)
    fn = T.spectral_functions(s, k)
    # equation, relative to its right side; away from the branch edge it is well conditioned
    np.testing.assert_allclose(k * (P - fn["Df1"]) * (N - fn["Df1"]), lam * N, rtol=1e-8)
    assert np.all(fn["Df1"] < min(N, P))  # the admissible root, not a spurious one with Df1 > max(N, P)
    assert np.all(k >= lam / P)  # spec §3.3: both factors <= 1
    assert np.all(np.diff(k) > 0)  # kappa2 increases with lam


def test_kappa2_tiny_ridge_tends_to_branch_edge():
    s = T.power_law_spectrum(1.2, 0.4, 1000)
    k0 = T.kappa0(s, 50)
    assert T.spectral_functions(s, k0)["Df1"] < 50
    assert T.spectral_functions(s, k0 * (1 - 1e-9))["Df1"] > 50
    k = T.solve_kappa2(s, 200, 50, [1e-12])[0]
    assert k == pytest.approx(k0, rel=1e-9)


@pytest.mark.parametrize("args,match", [
    ((100, 50, [0.0]), "ridge lam > 0"),
    ((100, 50, [-1.0]), "ridge lam > 0"),
    ((0, 50, [1.0]), "P must be"),
    ((100, -1, [1.0]), "N must be"),
    ((100, 50, [np.inf]), "ridge lam > 0"),
    ((np.nan, 50, [1.0]), "P must be"),
])
def test_no_solution_is_a_clear_error(args, match):
    s = T.power_law_spectrum(1.2, 0.4, 100)
    with pytest.raises(AmsimError, match=match):
        T.solve_kappa2(s, *args)


# --- risks: closed-form limits -----------------------------------------------------------------------


@pytest.mark.parametrize("D,P,s2", [(50, 200, 0.3), (50, 80, 1.0), (200, 50, 0.0), (200, 50, 0.4)])
def test_isotropic_ridgeless_regression_limit(D, P, s2):
    s = isotropic(D, s2)
    r = T.risk(s, P, 1e12, 1, [1e-10])
    if P > D:
        ref = s2 / (1 - D / P)
    else:
        ref = (1 - P / D) + s2 / (1 - P / D)
    assert r.E_1[0] == pytest.approx(ref, rel=1e-6)
    assert r.E_inf[0] == pytest.approx(ref, rel=1e-6)


@pytest.mark.parametrize("D,P,lam", [(50, 200, 0.5), (200, 50, 2.0), (100, 100, 0.1)])
def test_isotropic_kernel_ridge_quadratic(D, P, lam):
    disc = (P - D - lam * D) ** 2 + 4 * P * D * lam
    kappa = (-(P - D - lam * D) + math.sqrt(disc)) / (2 * P * D)
    assert T.krr_kappa(isotropic(D), P, [lam])[0] == pytest.approx(kappa, rel=1e-10)
    assert T.solve_kappa2(isotropic(D), P, 1e12, [lam])[0] == pytest.approx(kappa, rel=1e-6)
    # and the risk from the kernel-ridge formula written out for the isotropic case
    frac = (1 / D) / (1 / D + kappa)
    ref = (kappa**2 * D * (1 / D) / (1 / D + kappa) ** 2) / (1 - D * frac**2 / P)
    assert T.krr_risk(isotropic(D), P, [lam])[0] == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("alpha,r,P,s2", [(1.2, 0.4, 128, 0.0), (1.5, 1.2, 300, 0.5), (2.0, 0.2, 50, 0.1)])
def test_infinite_width_member_is_kernel_ridge(alpha, r, P, s2):
    """N -> inf: rho -> 1, kappa2 -> the kernel-ridge kappa, E_1 = E_inf = the KRR learning curve
    (computed by the separate krr_* route). N = 1e12 leaves O(1e-12 P) corrections: rel 1e-6."""
    s = T.power_law_spectrum(alpha, r, 800, s2)
    lam = np.array([1e-3, 0.1, 10.0])
    res = T.risk(s, P, 1e12, 1, lam)
    krr = T.krr_risk(s, P, lam)
    np.testing.assert_allclose(res.E_1, krr, rtol=1e-6)
    np.testing.assert_allclose(res.E_inf, krr, rtol=1e-6)
    np.testing.assert_allclose(res.rho, 1.0, rtol=1e-9)


@pytest.mark.parametrize("s2", [0.0, 0.7])
def test_huge_ridge_predicts_zero(s2):
    s = T.power_law_spectrum(1.3, 0.6, 500, s2)
    r = T.risk(s, 100, 40, 3, [1e12])
    for e in (r.E_1, r.E_inf, r.E_K):
        assert e[0] == pytest.approx(1.0 + s2, rel=1e-6)


def test_k_ordering_and_variance():
    """K = 1 and K -> inf bracket every E_K (the feature variance E_1 - E_inf is >= 0), for
    spectra and sizes on both sides of the interpolation point."""
    for alpha, r, P, N, s2 in [(1.2, 0.4, 128, 64, 0.0), (1.5, 1.0, 64, 256, 0.3), (2.5, 0.3, 100, 100, 0.1)]:
        s = T.power_law_spectrum(alpha, r, 600, s2)
        lam = np.logspace(-4, 2, 13)
        one, inf = T.risk(s, P, N, 1, lam), T.risk(s, P, N, 1e300, lam)
        assert np.all(one.E_1 >= one.E_inf)
        for K in (2, 7.5, 64):
            e = T.risk(s, P, N, K, lam).E_K
            assert np.all(e <= one.E_K * (1 + 1e-12)) and np.all(e >= inf.E_K * (1 - 1e-12))
        np.testing.assert_allclose(inf.E_K, one.E_inf, rtol=1e-12)
        assert np.all((0 < one.rho) & (one.rho <= 1))


def test_noise_enters_as_spec_states():
    """E_inf(s2) - E_inf(0) = s2 / (1 - gamma2) and E_1(s2) - E_1(0) = s2 / (1 - gamma1): the noise
    term of §3.4 (same kappa2, which does not depend on the noise)."""
    s0 = T.power_law_spectrum(1.2, 0.4, 500)
    s1 = s0.with_noise(0.3)
    lam = np.logspace(-3, 1, 5)
    a, b = T.risk(s0, 100, 50, 2, lam), T.risk(s1, 100, 50, 2, lam)
    np.testing.assert_allclose(b.kappa2, a.kappa2, rtol=0)
    np.testing.assert_allclose(b.E_inf - a.E_inf, 0.3 / (1 - a.gamma2), rtol=1e-10)
    np.testing.assert_allclose(b.E_1 - a.E_1, 0.3 / (1 - a.gamma1), rtol=1e-10)


# --- optimal ridge -----------------------------------------------------------------------------------


@pytest.mark.parametrize("P,N,K,s2", [(128, 64, 4, 0.0), (128, 256, 1, 0.0), (64, 32, 2, 0.5), (300, 300, 1, 0.2)])
def test_optimal_ridge_is_a_minimum(P, N, K, s2):
    s = T.power_law_spectrum(1.2, 0.4, 1000, s2)
    opt = T.optimal_ridge(s, P, N, K)
    grid = np.logspace(-8, 4, 241)
    assert opt.risk <= T.ensemble_risk(s, P, N, K, grid).min() * (1 + 1e-9)
    if not opt.at_boundary:
        for f in (0.9, 1.1):
            assert T.ensemble_risk(s, P, N, K, [opt.ridge * f])[0] >= opt.risk


def test_noisy_task_has_interior_optimum_noiseless_underparameterised_is_ridgeless():
    s = T.power_law_spectrum(1.2, 0.4, 1000)
    assert not T.optimal_ridge(s.with_noise(0.5), 128, 512, 1).at_boundary
    # N < P, no noise: E_K decreases all the way to lam -> 0 here (the minimum is the ridgeless limit)
    assert T.optimal_ridge(s, 2048, 16, 32).at_boundary


# --- scaling exponents (§5) --------------------------------------------------------------------------


def test_scaling_exponent_lines():
    # easy task alpha = 1.5, r = 1.2: bias 2*1.5*ell*1, variance 1 - ell + 1.5 ell; ell* = 1/(1+1.5) = 0.4
    ex = T.scaling_exponents(1.5, 1.2, np.array([0.2, 0.4, 1.0]))
    np.testing.assert_allclose(ex["bias"], [0.6, 1.2, 3.0])
    np.testing.assert_allclose(ex["variance"], [1.1, 1.2, 1.5])
    np.testing.assert_allclose(ex["s"], [0.6, 1.2, 1.5])
    assert ex["ell_star"] == pytest.approx(0.4)
    # 1/2 <= r <= 1: ell* = 1/(1 + alpha (2r - 1)); s(1) = alpha
    ex = T.scaling_exponents(1.5, 0.8, 1.0)
    assert ex["ell_star"] == pytest.approx(1 / (1 + 1.5 * 0.6))
    assert float(ex["s"]) == pytest.approx(1.5)
    # hard task r < 1/2: s = 2 alpha r ell for every ell, crossover at ell = 1
    ex = T.scaling_exponents(1.5, 0.4, np.linspace(0, 1, 11))
    np.testing.assert_allclose(ex["s"], 2 * 1.5 * 0.4 * np.linspace(0, 1, 11))
    assert ex["ell_star"] == 1.0


def test_fit_exponent_on_exact_power_law():
    M = np.array([64, 128, 256, 512], dtype=float)
    assert T.fit_exponent(M, 3.0 * M**-0.7) == pytest.approx(0.7, rel=1e-12)
    # a non-positive point is dropped, the rest is fitted exactly
    E = M**-0.5
    E[2] = -1.0
    assert T.fit_exponent(M, E) == pytest.approx(0.5, rel=1e-12)
    assert math.isnan(T.fit_exponent([1, 2], [1.0, 0.0]))


def test_growth_sizes_follow_spec():
    assert T.growth_sizes(512, 1.0)[:2] == (1, 512)
    assert T.growth_sizes(512, 0.0)[:2] == (512, 1)
    K, N, Kf, Nf = T.growth_sizes(100, 0.5)
    assert (K, N) == (10, 10) and Kf == pytest.approx(10) and Nf == pytest.approx(10)
    K, N, _, _ = T.growth_sizes(256, 0.2)
    assert K == round(256**0.8) and N == max(round(256 / K), 1)
