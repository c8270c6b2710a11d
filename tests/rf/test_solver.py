"""The member ridge solver and the ensemble risk against direct, independent computations.

References:

- the ridge estimator of spec §2.4, ``argmin_a sum_mu (a.psi_mu/sqrt(N) - y_mu)^2 + lam |a|^2``, solved
  as the least-squares problem of the stacked system ``[Psi/sqrt(N); sqrt(lam) I] a = [y; 0]`` with
  ``numpy.linalg.lstsq`` (an SVD of a different matrix: no Gram matrix, no eigendecomposition), and
  at ``lam = 0`` the minimum-norm least-squares solution (``lstsq`` of ``Psi`` alone);
- the ensemble prediction as the explicit average of member outputs ``psi_j(x).w_j`` on fresh inputs;
- the population risk as ``E_x (f(x) - y(x))^2`` written out with the covariance matrix.

Tolerances: the solver and the references are backward stable, so they agree to a few ulps times the
condition number of the problem; the problems below are built with condition numbers <= ~1e6, so a
relative tolerance of 1e-7 leaves two orders of margin while catching any wrong factor (lam vs
lam N, missing sqrt(N), a dropped member) which changes results at order 1.
"""

from __future__ import annotations

import numpy as np
import pytest

from amsim.errors import AmsimError
from amsim.models import rf_ensemble as sim
from amsim.models.rf_theory import Spectrum, power_law_spectrum

RTOL = 1e-7


def direct_ridge(psi: np.ndarray, y: np.ndarray, lam: float) -> np.ndarray:
    """Raw-feature readout ``w = a / sqrt(N)`` of the sum-of-squares ridge, via stacked lstsq."""
    P, N = psi.shape
    if lam == 0:
        a = np.linalg.lstsq(psi / np.sqrt(N), y, rcond=None)[0]
    else:
        A = np.vstack([psi / np.sqrt(N), np.sqrt(lam) * np.eye(N)])
        b = np.concatenate([y, np.zeros(N)])
        a = np.linalg.lstsq(A, b, rcond=None)[0]
    return a / np.sqrt(N)


@pytest.mark.parametrize("P,N", [(40, 15), (15, 40), (30, 30)])
@pytest.mark.parametrize("form", ["auto", "primal", "dual"])
def test_primal_and_dual_match_direct_solve(P, N, form):
    rng = np.random.default_rng(P * 100 + N)
    K = 3
    psi = rng.standard_normal((K, P, N))
    y = rng.standard_normal(P)
    ridges = np.array([1e-3, 0.1, 1.0, 30.0])
    W = sim.ridge_weights(psi, y, ridges, form)
    assert W.shape == (K, N, ridges.size)
    for j in range(K):
        for i, lam in enumerate(ridges):
            ref = direct_ridge(psi[j], y, lam)
            np.testing.assert_allclose(W[j, :, i], ref, rtol=RTOL, atol=RTOL * np.abs(ref).max())


def test_auto_form_is_the_cheaper_one():
    assert sim.choose_form(100, 20) == "primal"
    assert sim.choose_form(20, 100) == "dual"
    assert sim.choose_form(50, 50) == "dual"  # P <= N: dual, as the spec


@pytest.mark.parametrize("P,N", [(40, 15), (15, 40)])
@pytest.mark.parametrize("form", ["primal", "dual"])
def test_zero_ridge_is_the_minimum_norm_solution(P, N, form):
    rng = np.random.default_rng(7)
    psi = rng.standard_normal((1, P, N))
    y = rng.standard_normal(P)
    W = sim.ridge_weights(psi, y, [0.0], form)
    ref = direct_ridge(psi[0], y, 0.0)
    np.testing.assert_allclose(W[0, :, 0], ref, rtol=1e-6, atol=1e-8 * np.abs(ref).max())


def test_solver_batches_over_leading_axes():
    rng = np.random.default_rng(3)
    psi = rng.standard_normal((2, 4, 20, 12))  # (T, K, P, N)
    y = rng.standard_normal((2, 20))
    W = sim.ridge_weights(psi, y, [0.5])
    for t in range(2):
        for j in range(4):
            np.testing.assert_allclose(W[t, j, :, 0], direct_ridge(psi[t, j], y[t], 0.5), rtol=RTOL)


def test_negative_ridge_refused():
    with pytest.raises(AmsimError):
        sim.ridge_weights(np.ones((1, 3, 2)), np.ones(3), [-1.0])


def test_ensemble_risk_against_explicit_member_average():
    """Population risk and held-out risk of :func:`simulate` against the same draws done by hand:
    member outputs averaged explicitly, errors against the closed-form covariance."""
    spec = power_law_spectrum(1.3, 0.5, 60, noise_var=0.05)
    P, K, N, n_test = 25, 3, 10, 300
    ridges = np.array([0.01, 1.0])
    res = sim.simulate(spec, P, K, N, ridges, np.random.default_rng(11), trials=2, n_test=n_test,
                       cumulative=True)
    for t, g in enumerate(np.random.default_rng(11).spawn(2)):
        X, y, F = sim.draw_task(spec, P, K, N, g)  # the same draws, in simulate's order
        W = np.stack([np.stack([direct_ridge(X @ F[j].T, y, lam) for lam in ridges], axis=-1)
                      for j in range(K)])  # (K, N, L)
        # population risk: f(x) = x.(1/K) sum_j F_j' w_j, E = (w - wbar)' Sigma (w - wbar) + s2
        Sigma = np.diag(spec.eigvals)
        for i in range(ridges.size):
            w = sum(F[j].T @ W[j, :, i] for j in range(K)) / K
            e = w - spec.wbar
            assert res.risk_pop[t, i] == pytest.approx(e @ Sigma @ e + spec.noise_var, rel=RTOL)
            single = np.mean([(F[j].T @ W[j, :, i] - spec.wbar) @ Sigma @ (F[j].T @ W[j, :, i] - spec.wbar)
                              for j in range(K)]) + spec.noise_var
            assert res.risk_members[t, i] == pytest.approx(single, rel=RTOL)
            first2 = (F[0].T @ W[0, :, i] + F[1].T @ W[1, :, i]) / 2 - spec.wbar
            assert res.risk_cumulative[t, 1, i] == pytest.approx(first2 @ Sigma @ first2 + spec.noise_var, rel=RTOL)
            assert res.risk_cumulative[t, K - 1, i] == pytest.approx(res.risk_pop[t, i], rel=RTOL)
        # held-out risk: the next draws of the same child generator are the test set
        Xt = sim.draw_inputs(spec, n_test, g)
        yt = Xt @ spec.wbar + np.sqrt(spec.noise_var) * g.standard_normal(n_test)
        preds = sim.member_predictions(Xt, F, W).mean(axis=0)  # explicit average of member outputs
        ref = np.mean((preds - yt[:, None]) ** 2, axis=0)
        np.testing.assert_allclose(res.risk_test[t], ref, rtol=RTOL)
    np.testing.assert_array_equal(res.risk, res.risk_test)


def test_held_out_risk_estimates_population_risk():
    """Held-out MSE is an unbiased estimate of the population risk of the same predictor; with
    20000 held-out points its relative standard error is about sqrt(2/20000) = 1% (squared Gaussian
    errors), so 5% is five standard errors."""
    spec = power_law_spectrum(1.2, 0.4, 100, noise_var=0.1)
    res = sim.simulate(spec, 40, 2, 20, [0.1], np.random.default_rng(5), n_test=20000)
    assert res.risk_test[0, 0] == pytest.approx(res.risk_pop[0, 0], rel=0.05)


def test_results_do_not_depend_on_batching():
    spec = power_law_spectrum(1.2, 0.4, 80)
    a = sim.simulate(spec, 30, 2, 10, [0.1, 1.0], np.random.default_rng(9), trials=5, n_test=50)
    b = sim.simulate(spec, 30, 2, 10, [0.1, 1.0], np.random.default_rng(9), trials=5, n_test=50,
                     batch_bytes=1)  # one repetition per batch
    np.testing.assert_allclose(a.risk, b.risk, rtol=1e-12)
    np.testing.assert_allclose(a.risk_pop, b.risk_pop, rtol=1e-12)


def test_array_spectrum_with_zero_modes():
    """An array spectrum: zero eigenvalues carry no power and are dropped."""
    spec = Spectrum(np.array([0.5, 0.3, 0.0, 0.2]), np.array([1.0, 0.5, 3.0, 0.2]))
    assert spec.modes == 3
    res = sim.simulate(spec, 10, 1, 5, [1e-3], np.random.default_rng(1))
    assert np.isfinite(res.risk).all()
