"""Symmetry properties of the update, checked with hypothesis on random small networks.

All comparisons are exact equalities of int8 sign arrays (exact arithmetic; zero tolerance).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from amsim import field_signs, make_model, run
from amsim.engine.dynamics import synchronous_step

#: The properties are properties of the model, so they run on the numpy reference backend; the
#: numba backend is checked equal to the brute-force reference in test_fields (and on the sign-flip
#: property here).  Under CPU contention every tiny parallel numba call costs milliseconds of
#: thread synchronisation, which would dominate these many-small-call tests.
BACKENDS = ["numpy"]

MODEL_KWARGS = [
    {"model": "hopfield"},
    {"model": "seqnet"},
    *[{"model": "densenet", "f": "poly", "d": d, "form": r} for d in (1, 2, 3, 4) for r in ("auto", "sequence")],
    {"model": "densenet", "f": "exp", "d": None, "form": "auto"},
    {"model": "densenet", "f": "exp", "d": None, "form": "sequence"},
]
PROPERTY_SETTINGS = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def build(kwargs):
    kwargs = dict(kwargs)
    return make_model(kwargs.pop("model"), **kwargs)


AUTO_KWARGS = [k for k in MODEL_KWARGS if build(k).form == "auto"]


def pm1_arrays(shape):
    return arrays(np.int8, shape, elements=st.sampled_from([-1, 1]))


@st.composite
def networks(draw, max_n=20, max_p=10, max_b=4):
    """(patterns (P, N), states (B, N)) of ±1 int8; N >= 2 (small N makes ties common)."""
    n = draw(st.integers(2, max_n))
    p = draw(st.integers(1, max_p))
    b = draw(st.integers(1, max_b))
    patterns = draw(pm1_arrays((p, n)))
    states = draw(pm1_arrays((b, n)))
    # include a stored pattern as a state: fields there are the interesting ones
    states = np.concatenate([states, patterns[: draw(st.integers(0, p))]])
    return patterns, states


@pytest.mark.parametrize("backend", ["numpy", "numba"])
@pytest.mark.parametrize("model_index", range(len(MODEL_KWARGS)))
@PROPERTY_SETTINGS
@given(net=networks())
def test_global_sign_flip_commutes_with_the_update(model_index, backend, net):
    """(xi, S) -> (-xi, -S) leaves every R_i^mu unchanged and flips every target, so h -> -h and the
    synchronous step (tie policy 'error': a tie keeps the previous bit, which is flipped too) commutes
    with the flip; ties stay at the same neurons."""
    model = build(MODEL_KWARGS[model_index])
    patterns, states = net
    pats, st3 = patterns[None], states[None]
    new, tie_err, ties = synchronous_step(model, pats, [st3], backend, "error", None)
    neg = -pats
    new_f, tie_err_f, ties_f = synchronous_step(model, neg, [-st3], backend, "error", None)
    np.testing.assert_array_equal(new_f, -new)
    np.testing.assert_array_equal(ties_f, ties)
    np.testing.assert_array_equal(tie_err_f, tie_err)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("d", [1, 2, 3, 4])
@PROPERTY_SETTINGS
@given(net=networks())
def test_state_flip_alone_multiplies_signs_by_parity_of_d(d, backend, net):
    """S -> -S with the patterns fixed sends R -> -R, so f(m) = m^d -> (-1)^d m^d: even d leaves every
    field sign unchanged (x^d is even), odd d flips every sign (ties stay ties)."""
    patterns, states = net
    model = make_model("densenet", f="poly", d=d, form="sequence")
    targets = model.targets(patterns)
    a = field_signs(states, patterns, targets, model.separation, backend)
    b = field_signs(-states, patterns, targets, model.separation, backend)
    np.testing.assert_array_equal(b, a * (-1) ** d)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("model_index", range(len(AUTO_KWARGS)))
@PROPERTY_SETTINGS
@given(n=st.integers(2, 40), seed=st.integers(0, 2**32 - 1))
def test_single_stored_pattern_is_a_fixed_point(model_index, backend, n, seed):
    """P = 1, auto: at S = xi, m_i = 1 for every i and h_i = xi_i f(1) = xi_i, so xi is a fixed point
    with no error and no tie, for every N >= 2 and every f."""
    model = build(AUTO_KWARGS[model_index])
    rng = np.random.default_rng(seed)
    xi = np.where(rng.random((1, n)) < 0.5, 1, -1).astype(np.int8)
    traj = run(model, xi, 3, start=0, backend=backend, record_states=True, stop=None)
    assert (traj.states == xi).all()
    assert (traj.errors == 0).all() and (traj.ties == 0).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("model_index", range(len(MODEL_KWARGS)))
@PROPERTY_SETTINGS
@given(net=networks(), perm_seed=st.integers(0, 2**32 - 1))
def test_pattern_order_does_not_matter(model_index, backend, net, perm_seed):
    """h_i is a sum over mu, so permuting the (pattern, target) pairs leaves every sign unchanged.
    For an auto-associative model the targets are the patterns themselves, so permuting the pattern
    order alone leaves the signs unchanged; for a sequence model the pairs are permuted jointly
    (permuting the patterns alone would change the successor map)."""
    model = build(MODEL_KWARGS[model_index])
    patterns, states = net
    perm = np.random.default_rng(perm_seed).permutation(len(patterns))
    targets = model.targets(patterns)
    base = field_signs(states, patterns, targets, model.separation, backend)
    if model.form == "auto":
        permuted = field_signs(states, patterns[perm], model.targets(patterns[perm]), model.separation, backend)
    else:
        permuted = field_signs(states, patterns[perm], targets[perm], model.separation, backend)
    np.testing.assert_array_equal(permuted, base)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("model_index", range(len(MODEL_KWARGS)))
@PROPERTY_SETTINGS
@given(net=networks(), perm_seed=st.integers(0, 2**32 - 1))
def test_neuron_permutation_permutes_the_result(model_index, backend, net, perm_seed):
    """Relabelling neurons by pi in patterns and states relabels the field signs by pi:
    R_{pi(i)} is the same sum over the other neurons."""
    model = build(MODEL_KWARGS[model_index])
    patterns, states = net
    perm = np.random.default_rng(perm_seed).permutation(patterns.shape[1])
    base = field_signs(states, patterns, model.targets(patterns), model.separation, backend)
    pp = patterns[:, perm]
    permuted = field_signs(states[:, perm], pp, model.targets(pp), model.separation, backend)
    np.testing.assert_array_equal(permuted, base[:, perm])


@pytest.mark.parametrize("model_index", range(len(MODEL_KWARGS)))
@PROPERTY_SETTINGS
@given(net=networks(), perm_seed=st.integers(0, 2**32 - 1))
def test_neuron_permutation_permutes_a_trajectory(model_index, net, perm_seed):
    """The same for a 4-step free run from xi^1: states permuted, errors and ties unchanged.  (numpy
    backend only: the backends' trajectories are compared with the reference in test_dynamics.)"""
    model = build(MODEL_KWARGS[model_index])
    patterns, _ = net
    perm = np.random.default_rng(perm_seed).permutation(patterns.shape[1])
    a = run(model, patterns, 4, start=0, backend="numpy", record_states=True)
    b = run(model, patterns[:, perm], 4, start=0, backend="numpy", record_states=True)
    np.testing.assert_array_equal(b.states, a.states[..., perm])
    np.testing.assert_array_equal(b.errors, a.errors)
    np.testing.assert_array_equal(b.ties, a.ties)
