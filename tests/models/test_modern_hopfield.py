"""Softmax attention dynamics against closed forms, the brute-force exponential DenseNet, and its energy."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amsim.engine.patterns import rademacher
from amsim.models import make_model
from amsim.engine.measures import transition_errors
from amsim.models.modern_hopfield import ModernHopfield, run_softmax


def test_zero_beta_gives_the_pattern_mean():
    rng = np.random.default_rng(0)
    xi = rademacher(rng, (7, 20))
    x = rng.normal(size=(3, 20))
    new = ModernHopfield(beta=0.0).step(x, xi)
    np.testing.assert_allclose(new, np.broadcast_to(xi.mean(axis=0), (3, 20)), rtol=0, atol=1e-15)


def test_large_beta_returns_the_nearest_pattern():
    rng = np.random.default_rng(1)
    xi = rademacher(rng, (10, 64))
    x = xi[4] + 0.8 * rng.normal(size=64)  # nearest pattern by dot product: 4 (checked below)
    assert np.argmax(xi @ x) == 4
    for form, expected in (("auto", xi[4]), ("sequence", xi[5])):
        new = ModernHopfield(beta=50.0, form=form).step(x[None], xi)[0]
        # the runner-up weight is exp(-beta * gap) with gap >= 2, i.e. < e^-100: exact to rounding
        np.testing.assert_allclose(new, expected, atol=1e-12)


def brute_self_included_exp_sign(x, xi, targets):
    """sgn(sum_mu t_i^mu exp(g^mu)) with explicit loops, exact ties excluded by construction."""
    n_patterns, n = xi.shape
    out = np.zeros(n)
    for i in range(n):
        total = 0.0
        for mu in range(n_patterns):
            g = sum(int(xi[mu, j]) * int(x[j]) for j in range(n))
            total += targets[mu, i] * np.exp(g - n)
        out[i] = np.sign(total)
    return out


@pytest.mark.parametrize("form", ["auto", "sequence"])
def test_sign_of_one_step_is_the_self_included_exponential_densenet(form):
    rng = np.random.default_rng(2)
    for _ in range(20):
        xi = rademacher(rng, (9, 11))
        x = rademacher(rng, (11,))
        net = ModernHopfield(beta=1.0, form=form)
        got = np.sign(net.step(x[None].astype(float), xi)[0])
        ref = brute_self_included_exp_sign(x, xi, net.targets(xi))
        decided = ref != 0
        np.testing.assert_array_equal(got[decided], ref[decided])


def test_agrees_with_self_excluded_densenet_at_low_load():
    """At P << capacity one pattern dominates and both networks make every transition exactly."""
    rng = np.random.default_rng(3)
    xi = rademacher(rng, (20, 60))
    edn = make_model("densenet", f="exp", d=None)
    assert transition_errors(edn, xi).sum() == 0
    traj = run_softmax(ModernHopfield(beta=1.0, form="sequence"), xi, steps=25)
    np.testing.assert_array_equal(np.sign(traj.final[0, 0]), xi[25 % 20])
    assert traj.retrieval_error.max() < 1e-12


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), beta=st.floats(0.05, 4.0), p=st.integers(2, 12))
def test_energy_never_increases_in_the_auto_form(seed, beta, p):
    rng = np.random.default_rng(seed)
    xi = rademacher(rng, (p, 16))
    net = ModernHopfield(beta=beta)
    x = rng.normal(size=(4, 16)) * 2
    energies = [net.energy(x, xi)]
    for _ in range(5):
        x = net.step(x, xi)
        energies.append(net.energy(x, xi))
    diffs = np.diff(np.array(energies), axis=0)
    # CCCP descent; 1e-9 absorbs float64 rounding of energies of size O(N)
    assert (diffs <= 1e-9).all()


def test_sphere_normalisation_and_records():
    rng = np.random.default_rng(4)
    xi = rademacher(rng, (5, 32))
    traj = run_softmax(ModernHopfield(beta=0.3, normalize="sphere"), xi, steps=6, record_every=2)
    assert list(traj.times) == [0, 2, 4, 6]
    np.testing.assert_allclose(np.linalg.norm(traj.final, axis=-1), np.sqrt(32), rtol=1e-12)
    x0 = xi[0].astype(float)
    np.testing.assert_allclose(traj.overlaps[0, 0, 0], xi @ x0 / 32)
