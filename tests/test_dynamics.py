"""The time loop, tie policies, recorders, stop conditions and measures (spec §1, §3.1).

Trajectories are compared with the brute-force reference (:mod:`reference`) exactly (±1 states and
integer counts: zero tolerance).  Diagnostic overlaps are float32 and are compared with float64
(1/N) xi.S within float32 rounding (see :func:`test_recorders_times_shapes_and_values`).
"""

from __future__ import annotations

import numpy as np
import pytest

import reference as ref
from amsim import make_model, run, sequence_recall, transition_errors
from amsim.engine.ties import TIE_POLICIES, apply_signs

BACKENDS = ["numpy", "numba"]


def pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, 1, -1).astype(np.int8)


def flip_bits(rng, state, k):
    out = state.copy()
    out[rng.choice(state.shape[-1], size=k, replace=False)] *= -1
    return out


# ---------------------------------------------------------------------------------------------
# tie policies
# ---------------------------------------------------------------------------------------------

SIGNS = np.array([[1, 0, -1, 0, 0, 1], [0, -1, 0, 1, 1, 0]], np.int8)
PREV = np.array([[-1, 1, 1, -1, 1, -1], [1, 1, -1, -1, 1, -1]], np.int8)
TIES = SIGNS == 0


def test_apply_signs_error_policy_keeps_bit_and_counts_error():
    states, tie_errors = apply_signs(SIGNS, PREV, "error")
    np.testing.assert_array_equal(states, np.where(TIES, PREV, SIGNS))
    np.testing.assert_array_equal(tie_errors, TIES)
    assert states.dtype == np.int8


def test_apply_signs_keep_policy_keeps_bit_without_error():
    states, tie_errors = apply_signs(SIGNS, PREV, "keep")
    np.testing.assert_array_equal(states, np.where(TIES, PREV, SIGNS))
    assert not tie_errors.any()


def test_apply_signs_plus_policy():
    states, tie_errors = apply_signs(SIGNS, PREV, "plus")
    np.testing.assert_array_equal(states, np.where(TIES, 1, SIGNS))
    assert not tie_errors.any()


def test_apply_signs_random_policy():
    signs = np.zeros(20_000, np.int8)
    signs[:100] = -1  # non-ties stay as they are
    prev = np.ones_like(signs)
    a, err = apply_signs(signs, prev, "random", np.random.default_rng(3))
    b, _ = apply_signs(signs, prev, "random", np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)  # reproducible from the generator
    assert not err.any() and set(np.unique(a)) <= {-1, 1}
    assert (a[:100] == -1).all()
    # fair coin on 19 900 ties: binomial sd = sqrt(19900)/2 = 70.5; 6 sd (423) fails by chance
    # with probability ~2e-9 (and the seed is fixed)
    plus = int((a[100:] == 1).sum())
    assert abs(plus - 19_900 / 2) < 6 * 70.5


def test_apply_signs_rejects_bad_input():
    with pytest.raises(ValueError, match="random generator"):
        apply_signs(SIGNS, PREV, "random", None)
    with pytest.raises(ValueError, match="unknown tie policy"):
        apply_signs(SIGNS, PREV, "coin")


def one_bit_pair(n, k, bit_k):
    """Two patterns equal except at neuron k (xi^1_k = bit_k): at S = xi^1 neuron k ties exactly
    (R_k^1 = R_k^2 = N-1, opposite target bits); every other neuron i gets
    xi^1_i (f(1) + f((N-3)/(N-1))), the right sign (for N >= 3)."""
    xi1 = np.where(np.arange(n) % 3 == 0, -1, 1).astype(np.int8)
    xi1[k] = bit_k
    xi2 = xi1.copy()
    xi2[k] = -bit_k
    return np.stack([xi1, xi2])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("policy", TIE_POLICIES)
@pytest.mark.parametrize(
    "kwargs", [{"model": "hopfield"}, {"model": "densenet", "f": "exp", "d": None, "form": "auto"}],
    ids=["hopfield", "exp-auto"],
)
def test_tie_policies_in_a_run(kwargs, policy, backend):
    """Auto-associative, S(0) = xi^1 with one exact tie at neuron k: the recorded state, error and
    tie counts follow the policy (error: kept + error; keep: kept, no error; plus: +1; random: ±1)."""
    kwargs = dict(kwargs)
    model = make_model(kwargs.pop("model"), **kwargs)
    n, k = 9, 4
    for bit_k in (1, -1):
        patterns = one_bit_pair(n, k, bit_k)
        traj = run(model, patterns, 1, start=0, backend=backend, tie_policy=policy,
                   rng=np.random.default_rng(0), record_states=True)
        final = traj.final[0, 0]
        np.testing.assert_array_equal(np.delete(final, k), np.delete(patterns[0], k))
        assert traj.ties[0, 0, 0] == 1
        expected_bit = {"error": bit_k, "keep": bit_k, "plus": 1}.get(policy, final[k])
        assert final[k] == expected_bit and final[k] in (-1, 1)
        wrong_bit = int(final[k] != bit_k)  # expected pattern is xi^1 (auto)
        tie_error = int(policy == "error")
        assert traj.errors[0, 0, 0] == wrong_bit + tie_error - wrong_bit * tie_error


# ---------------------------------------------------------------------------------------------
# recorders
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kwargs,f,d",
    [({"model": "seqnet"}, "poly", 1), ({"model": "densenet", "f": "poly", "d": 2}, "poly", 2),
     ({"model": "densenet", "f": "exp", "d": None}, "exp", None)],
    ids=["seqnet", "poly2", "exp"],
)
def test_recorders_times_shapes_and_values(kwargs, f, d, backend):
    kwargs = dict(kwargs)
    model = make_model(kwargs.pop("model"), **kwargs)
    rng = np.random.default_rng(7)
    s_sets, b, p, n, steps = 2, 3, 8, 24, 10
    patterns = pm1(rng, (s_sets, p, n))
    initial = np.stack([[flip_bits(rng, patterns[s, 0], k) for k in (0, 2, 5)] for s in range(s_sets)])
    traj = run(model, patterns, steps, start=0, initial=initial, backend=backend,
               record_every=3, record_states=True)
    np.testing.assert_array_equal(traj.times, [0, 3, 6, 9, 10])  # every 3 steps, plus the last
    assert traj.overlaps.shape == (5, s_sets, b, p) and traj.overlaps.dtype == np.float32
    assert traj.states.shape == (5, s_sets, b, n) and traj.states.dtype == np.int8
    assert traj.errors.shape == (steps, s_sets, b) and traj.ties.shape == (steps, s_sets, b)
    assert traj.steps == steps
    np.testing.assert_array_equal(traj.stopped_at, -np.ones((s_sets, b)))
    np.testing.assert_array_equal(traj.final, traj.states[-1])
    for s in range(s_sets):
        for j in range(b):
            states, errors, ties = ref.free_run(patterns[s], "sequence", f, d, steps, 0, initial[s, j])
            states = np.array(states)
            np.testing.assert_array_equal(traj.states[:, s, j], states[traj.times])
            np.testing.assert_array_equal(traj.errors[:, s, j], errors)
            np.testing.assert_array_equal(traj.ties[:, s, j], ties)
            # diagnostic overlap (1/N) xi.S, self-included, in float64.  amsim stores float32: the
            # integer xi.S is exact in float32 and the division rounds once, so the relative error
            # is at most 2^-24 (rtol 2^-23 leaves a factor 2; exact zeros stay zero).
            want = states[traj.times] @ patterns[s].T.astype(np.float64) / n
            np.testing.assert_allclose(traj.overlaps[:, s, j], want, rtol=2.0**-23, atol=0)
    # S(0) = xi^1 exactly for the unperturbed trial: overlap 1 with pattern 0
    assert traj.overlaps[0, 0, 0, 0] == 1.0


def test_recorder_switches_and_defaults():
    model = make_model("seqnet")
    patterns = pm1(np.random.default_rng(1), (5, 16))
    traj = run(model, patterns, 4, record_overlaps=False)
    assert traj.overlaps is None and traj.states is None
    np.testing.assert_array_equal(traj.times, [0, 1, 2, 3, 4])
    traj0 = run(model, patterns, 0, record_states=True)
    np.testing.assert_array_equal(traj0.times, [0])
    assert traj0.errors.shape == (0, 1, 1) and traj0.states.shape == (1, 1, 1, 16)
    np.testing.assert_array_equal(traj0.final[0, 0], patterns[0])


def test_run_rejects_bad_arguments():
    model = make_model("seqnet")
    patterns = pm1(np.random.default_rng(1), (5, 16))
    for kwargs in ({"steps": -1}, {"steps": 3, "record_every": 0}, {"steps": 3, "stop": "never"},
                   {"steps": 3, "start": None, "initial": patterns[:2], "stop": "first_error"},
                   {"steps": 3, "start": None}):
        with pytest.raises(ValueError):
            run(model, patterns, **kwargs)


# ---------------------------------------------------------------------------------------------
# stop conditions
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
def test_stop_fixed_point_hopfield_low_load(backend):
    """Hopfield, N = 100, P = 3 (load 0.03, far below N/(4 ln N) = 5.4): from xi^1 with 0..20 bits
    flipped the network falls into xi^1 and stops at the first step that leaves the state unchanged;
    the step number is checked against the reference trajectory."""
    rng = np.random.default_rng(2)
    n, p = 100, 3
    patterns = pm1(rng, (p, n))
    model = make_model("hopfield")
    flips = (0, 5, 10, 20)
    initial = np.stack([flip_bits(rng, patterns[0], k) for k in flips])
    steps = 8  # retrieval takes 1-2 updates at this load; the reference shows where it stops
    traj = run(model, patterns, steps, start=0, initial=initial, backend=backend,
               record_states=True, stop="fixed_point")
    for j, k in enumerate(flips):
        states, _, ties = ref.free_run(patterns, "auto", "poly", 1, steps, 0, initial[j])
        stop = next(t for t in range(1, steps + 1) if states[t] == states[t - 1] and ties[t - 1] == 0)
        assert traj.stopped_at[0, j] == stop
        np.testing.assert_array_equal(traj.final[0, j], states[stop])
        # frozen after its stop: later recorded states equal the stopped state
        later = traj.states[stop:, 0, j]
        np.testing.assert_array_equal(later, np.broadcast_to(states[stop], later.shape))
        np.testing.assert_array_equal(traj.final[0, j], patterns[0])  # retrieved (low load)
    assert traj.stopped_at[0, 0] == 1  # xi^1 itself: unchanged by the first update
    assert traj.steps == traj.stopped_at.max()  # the loop ends when every trial stopped


def seqnet_sets(seed=4, s_sets=8, n=60, p=8):
    """SeqNet, N = 60, P = 8 (above P_S(60) = 3.7): with this seed the 8 sequences fail at steps
    6, -, 1, -, -, 6, 2, - (- = whole cycle correct), a useful mix for the stop conditions."""
    return pm1(np.random.default_rng(seed), (s_sets, p, n))


STEPS = 10  # > P = 8: a survivor completes the cycle and continues


@pytest.fixture(scope="module")
def seqnet_reference():
    """Reference free runs (states, errors, ties) of :func:`seqnet_sets`, computed once."""
    patterns = seqnet_sets()
    return patterns, [ref.free_run(patterns[s], "sequence", "poly", 1, STEPS) for s in range(len(patterns))]


@pytest.mark.parametrize("backend", BACKENDS)
def test_stop_first_error(backend, seqnet_reference):
    model = make_model("seqnet")
    patterns, reference_runs = seqnet_reference
    steps = STEPS
    traj = run(model, patterns, steps, start=0, backend=backend, record_states=True, stop="first_error")
    firsts = []
    for s in range(len(patterns)):
        states, errors, _ = reference_runs[s]
        first = next((t for t in range(1, steps + 1) if errors[t - 1] > 0), -1)
        firsts.append(first)
        assert traj.stopped_at[s, 0] == first
        if first > 0:
            np.testing.assert_array_equal(traj.final[s, 0], states[first])  # the wrong state is kept
            assert (traj.errors[first:, s, 0] == 0).all()  # nothing is counted after the stop
            assert traj.errors[first - 1, s, 0] == errors[first - 1]
    # the seed gives a failure at step 1, failures after several correct steps, and survivors
    assert firsts == [6, -1, 1, -1, -1, 6, 2, -1]


@pytest.mark.parametrize("backend", BACKENDS)
def test_stop_sequence_complete(backend, seqnet_reference):
    model = make_model("seqnet")
    patterns, reference_runs = seqnet_reference
    p = patterns.shape[1]
    traj = run(model, patterns, 3 * p + 1, start=0, backend=backend, stop="sequence_complete")
    n_complete = 0
    for s in range(len(patterns)):
        _, errors, _ = reference_runs[s]
        first = next((t for t in range(1, p + 1) if errors[t - 1] > 0), None)
        if first is None:  # whole cycle correct: stops after P steps, back at xi^1
            n_complete += 1
            assert traj.stopped_at[s, 0] == p
            np.testing.assert_array_equal(traj.final[s, 0], patterns[s, 0])
        else:
            assert traj.stopped_at[s, 0] == first
    assert 0 < n_complete < len(patterns)
    assert traj.steps == p  # every trial stopped by step P


# ---------------------------------------------------------------------------------------------
# measures
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kwargs", [{"model": "seqnet"}, {"model": "densenet", "f": "poly", "d": 2},
               {"model": "densenet", "f": "exp", "d": None}],
    ids=["seqnet", "poly2", "exp"],
)
def test_sequence_recall_first_transition_forced_wrong(kwargs, backend):
    """P = 2, xi^2 = xi^1 except at neuron k: at S = xi^1 the two terms of neuron k are
    xi_k^2 f(1) + xi_k^1 f(1) = 0, an exact tie, so the first transition fails: first_error = 1
    (steps are numbered from 1), no correct transition."""
    kwargs = dict(kwargs)
    model = make_model(kwargs.pop("model"), **kwargs)
    patterns = one_bit_pair(11, 3, 1)
    out = sequence_recall(model, patterns, backend=backend)
    assert out["first_error"] == 1 and out["n_correct"] == 0 and not out["success"]
    np.testing.assert_array_equal(transition_errors(model, patterns, backend), [1, 1])


@pytest.mark.parametrize("backend", BACKENDS)
def test_sequence_recall_matches_reference(backend, seqnet_reference):
    model = make_model("seqnet")
    patterns, reference_runs = seqnet_reference
    p = patterns.shape[1]
    out = sequence_recall(model, patterns, backend=backend)
    short = sequence_recall(model, patterns, steps=3, backend=backend)
    for s in range(len(patterns)):
        _, errors, _ = reference_runs[s]
        first = next((t for t in range(1, p + 1) if errors[t - 1] > 0), -1)
        assert out["first_error"][s] == first
        assert out["n_correct"][s] == (first - 1 if first > 0 else p)
        assert out["success"][s] == (first == -1)
        first3 = first if 0 < first <= 3 else -1
        assert short["first_error"][s] == first3
        assert short["n_correct"][s] == (first3 - 1 if first3 > 0 else 3)
    # one set as a 2-D array gives scalars
    one = sequence_recall(model, patterns[0], backend=backend)
    assert np.ndim(one["first_error"]) == 0 and one["first_error"] == out["first_error"][0]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "kwargs,n",
    [({"model": "hopfield"}, 12), ({"model": "seqnet"}, 12),
     ({"model": "densenet", "f": "poly", "d": 3, "form": "auto"}, 8),
     ({"model": "densenet", "f": "exp", "d": None, "form": "sequence"}, 5)],
    ids=["hopfield", "seqnet", "poly3-auto", "exp-seq"],
)
def test_transition_errors_equal_one_step_runs(kwargs, n, backend):
    """Teacher-forced batch == P separate one-step runs started at xi^mu (incl. the wrap-around)."""
    kwargs = dict(kwargs)
    model = make_model(kwargs.pop("model"), **kwargs)
    rng = np.random.default_rng(9)
    patterns = pm1(rng, (3, 14, n))  # P = 14 above P_T(N): some transitions fail, some not
    errs = transition_errors(model, patterns, backend)
    # the loop runs on numpy (one-step runs of both backends equal the reference in
    # test_recorders_times_shapes_and_values); the teacher-forced batch runs on `backend`
    loop = np.array([[run(model, patterns[s], 1, start=mu, backend="numpy").errors[0, 0, 0]
                      for mu in range(14)] for s in range(3)])
    np.testing.assert_array_equal(errs, loop)
    assert (errs > 0).any() and (errs == 0).any()


@pytest.mark.parametrize("backend", ["numpy"])
def test_stopped_trials_cost_no_field_evaluations(backend, monkeypatch):
    """Under ``first_error`` each batch run equals the runs of its sets one at a time (an independent
    reference), while the fields of stopped trials are no longer evaluated."""
    model = make_model("densenet", f="poly", d=2)
    rng = np.random.default_rng(7)
    pats = rng.choice(np.array([-1, 1], np.int8), (12, 40, 20))  # above P_S(20): runs fail at various steps
    initial = np.where(rng.random((12, 3, 20)) < 0.05, -1, 1).astype(np.int8) * pats[:, [0]]
    rows = []
    original = type(model).field_signs
    monkeypatch.setattr(type(model), "field_signs",
                        lambda self, h, p, b: rows.append(h[0].shape[0] * h[0].shape[1]) or original(self, h, p, b))
    batch = run(model, pats, 40, start=0, initial=initial, backend=backend, stop="first_error", record_states=True)
    evaluated = sum(rows)
    assert len(set(batch.stopped_at.ravel())) > 2  # trials stopped at different steps
    assert evaluated < 12 * 3 * batch.steps
    for s in range(12):
        alone = run(model, pats[s], 40, start=0, initial=initial[s], backend=backend, stop="first_error")
        np.testing.assert_array_equal(batch.stopped_at[s], alone.stopped_at[0])
        np.testing.assert_array_equal(batch.final[s], alone.final[0])
        np.testing.assert_array_equal(batch.errors[: alone.steps, s], alone.errors[:, 0])
