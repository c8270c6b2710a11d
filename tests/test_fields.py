"""The field core against the brute-force reference (spec §1 "Update and ties", §2.1-2.3, §2.7).

Every comparison here is *exact*: field signs are integers in {-1, 0, +1} decided in exact
arithmetic by amsim and by :mod:`reference`, so the tolerance is zero (equality of int arrays).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import reference as ref
from amsim import field_signs, make_model, transition_errors
from amsim.engine.dynamics import synchronous_step
from amsim.engine.separation import Exponential, Polynomial

BACKENDS = ["numpy", "numba"]

#: every model of the registry: (id, make_model kwargs)
MODELS = [
    ("hopfield", {"model": "hopfield"}),
    ("seqnet", {"model": "seqnet"}),
    *[
        (f"poly{d}-{form}", {"model": "densenet", "f": "poly", "d": d, "form": form})
        for d in (1, 2, 3, 5)
        for form in ("auto", "sequence")
    ],
    *[(f"exp-{form}", {"model": "densenet", "f": "exp", "d": None, "form": form}) for form in ("auto", "sequence")],
]
MODEL_IDS = [m[0] for m in MODELS]


def build(kwargs):
    kwargs = dict(kwargs)
    return make_model(kwargs.pop("model"), **kwargs)


def pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, 1, -1).astype(np.int8)


def reference_signs(states, patterns, targets, f, d):
    """Reference signs for (B, N) states of one pattern set."""
    return np.array([ref.field_signs(s, patterns, targets, f, d) for s in states], dtype=np.int8)


def probe_states(rng, patterns, n_random=4):
    """States that matter: random ones, the stored patterns, and patterns with 1-2 flipped bits."""
    p, n = patterns.shape
    noisy = patterns[rng.integers(0, p, size=3)].copy()
    for row in noisy:
        row[rng.choice(n, size=min(n, 1 + rng.integers(0, 2)), replace=False)] *= -1
    return np.concatenate([pm1(rng, (n_random, n)), patterns, noisy]).astype(np.int8)


# ---------------------------------------------------------------------------------------------
# random small cases: every model, both backends, odd and even N (including N = 2, 3), P = 1, 2, many
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8, 9, 16])
@pytest.mark.parametrize("model_index", range(len(MODELS)), ids=MODEL_IDS)
def test_random_small_cases_equal_reference(model_index, n):
    """Signs, synchronous step and teacher-forced error counts on both backends (looped inside, so
    the slow reference runs once per case)."""
    model = build(MODELS[model_index][1])
    f, d = ref.model_kind(model)
    rng = np.random.default_rng([n, model_index])
    for p in (1, 2, 7, 25):
        patterns = pm1(rng, (p, n))
        targets = model.targets(patterns)
        # amsim's targets must be the spec's (auto: xi^mu; sequence: periodic successor)
        assert np.array_equal(targets, np.array(ref.model_targets(patterns, model.form)))
        states = probe_states(rng, patterns)
        want_steps = [ref.step(s, patterns, targets, f, d) for s in states]  # (new state, tied)
        want = np.array([[0 if tied else v for v, tied in zip(*w)] for w in want_steps])  # signs
        want_errors = ref.transition_errors(patterns, model.form, f, d)
        for backend in BACKENDS:
            msg = f"{backend} N={n} P={p}"
            # the synchronous step (tie policy 'error'): new states, tie flags, tie errors; it is
            # field_signs + apply_signs, so the signs are the new states with 0 at the ties
            new, tie_errors, ties = synchronous_step(model, patterns[None], [states[None]], backend, "error", None)
            assert new.dtype == np.int8 and new.shape == (1, *states.shape)
            np.testing.assert_array_equal(np.where(ties[0], 0, new[0]), want, err_msg=msg)
            np.testing.assert_array_equal(new[0], [w[0] for w in want_steps], err_msg=msg)
            np.testing.assert_array_equal(ties[0], [w[1] for w in want_steps], err_msg=msg)
            np.testing.assert_array_equal(tie_errors[0], ties[0], err_msg=msg)
            # teacher-forced errors, ties counted as errors
            np.testing.assert_array_equal(
                transition_errors(model, patterns, backend), want_errors, err_msg=f"{backend} N={n} P={p}"
            )


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kwargs", [m[1] for m in MODELS], ids=MODEL_IDS)
def test_batched_pattern_sets_equal_reference(kwargs, backend):
    """(S, B, N) states with (S, P, N) patterns: each set is handled with its own patterns."""
    model = build(kwargs)
    f, d = ref.model_kind(model)
    rng = np.random.default_rng(11)
    s_sets, b, p, n = 3, 5, 6, 7
    patterns = pm1(rng, (s_sets, p, n))
    targets = model.targets(patterns)
    states = pm1(rng, (s_sets, b, n))
    states[:, 0] = patterns[:, 2]  # one stored pattern per set as a state
    got = field_signs(states, patterns, targets, model.separation, backend)
    assert got.shape == (s_sets, b, n)
    for s in range(s_sets):
        np.testing.assert_array_equal(got[s], reference_signs(states[s], patterns[s], targets[s], f, d))
    errors = transition_errors(model, patterns, backend)
    assert errors.shape == (s_sets, p)
    for s in range(s_sets):
        np.testing.assert_array_equal(errors[s], ref.transition_errors(patterns[s], model.form, f, d))


# ---------------------------------------------------------------------------------------------
# exhaustive tiny networks: every state and every pattern set, where ties are most common
# ---------------------------------------------------------------------------------------------


def all_pm1(n):
    return np.array(list(itertools.product((-1, 1), repeat=n)), dtype=np.int8)


@pytest.mark.parametrize(("n", "p"), [(2, 1), (2, 2), (3, 1), (3, 2), (4, 1), (4, 2)])
@pytest.mark.parametrize("f,d", [("poly", 1), ("poly", 2), ("poly", 3), ("exp", None)])
def test_exhaustive_tiny_networks(f, d, n, p):
    """Every pattern set (as the S axis) x every state (B axis), auto and sequence targets, both
    backends."""
    separation = Polynomial(d) if f == "poly" else Exponential()
    states_1 = all_pm1(n)  # (2^N, N)
    sets = all_pm1(n * p).reshape(-1, p, n)  # every pattern set, (2^(NP), P, N)
    states = np.broadcast_to(states_1, (len(sets), *states_1.shape)).copy()
    n_ties = 0
    for targets in (sets, np.roll(sets, -1, axis=1)):
        want = np.stack([reference_signs(states_1, sets[s], targets[s], f, d) for s in range(len(sets))])
        for backend in BACKENDS:
            got = field_signs(states, sets, targets, separation, backend)
            np.testing.assert_array_equal(got, want, err_msg=backend)
        n_ties += int((want == 0).sum())
    # Parity (spec §1): R has the parity of N-1. For P = 1 a polynomial tie needs R = 0, so it never
    # happens for even N and does for odd N; exp(R - (N-1)) > 0 never ties alone.  With P = 2 ties
    # happen for every N and f here (equal R with opposite target bits).
    if p == 1 and (n % 2 == 0 or f == "exp"):
        assert n_ties == 0
    else:
        assert n_ties > 0


def test_reference_agrees_with_many_body_tensor_form():
    """Cross-check of the reference itself: the (d+1)-body tensor form of spec §2.2 for tiny N.

    (N-1)^d h_i = sum_{j1..jd != i} [sum_mu t_i^mu xi_j1^mu ... xi_jd^mu] S_j1 ... S_jd, integer-exact.
    """
    rng = np.random.default_rng(5)
    for n, p, d in [(4, 3, 2), (5, 4, 3), (3, 2, 2)]:
        patterns = pm1(rng, (p, n)).tolist()
        targets = ref.successor_targets(patterns)
        for state in pm1(rng, (4, n)).tolist():
            for i in range(n):
                others = [j for j in range(n) if j != i]
                tensor = 0
                for js in itertools.product(others, repeat=d):
                    coupling = sum(
                        targets[mu][i] * int(np.prod([patterns[mu][j] for j in js])) for mu in range(p)
                    )
                    tensor += coupling * int(np.prod([state[j] for j in js]))
                assert tensor == ref.polynomial_scaled_field(state, patterns, targets, i, d)


# ---------------------------------------------------------------------------------------------
# constructed ties and near-ties
# ---------------------------------------------------------------------------------------------

ALL_SEPARATIONS = [Polynomial(1), Polynomial(2), Polynomial(3), Polynomial(5), Exponential()]
SEP_IDS = ["d1", "d2", "d3", "d5", "exp"]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("separation", ALL_SEPARATIONS, ids=SEP_IDS)
@pytest.mark.parametrize("n", [6, 7])
def test_patterns_differing_in_one_bit_tie_for_every_f(separation, n, backend):
    """xi^2 = xi^1 except at neuron k, targets opposite at k: R_k^1 = R_k^2 for *every* state, so the
    two terms cancel exactly, h_k = 0 for any f and any state (for exp: c_r = +1 - 1 = 0)."""
    rng = np.random.default_rng(n)
    k = 2
    xi1 = pm1(rng, n)
    xi2 = xi1.copy()
    xi2[k] *= -1
    patterns = np.stack([xi1, xi2])
    for rule_targets in (patterns, np.roll(patterns, -1, axis=0)):  # auto and sequence (P = 2)
        states = all_pm1(n)
        got = field_signs(states, patterns, rule_targets, separation, backend)
        assert (got[:, k] == 0).all()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("separation", ALL_SEPARATIONS, ids=SEP_IDS)
def test_antipodal_pair_ties_only_for_odd_d(separation, backend):
    """xi^2_j = -xi^1_j for j != k, same target bit at k: R_k^2 = -R_k^1, so
    h_k = t (f(m) + f(-m)): zero for odd d, 2 t m^d != 0 for even d (if R != 0), 2 t e^-(N-1) cosh R
    for exp.  N = 7 (N-1 even) with a state whose R_k^1 = 2 and another with R_k^1 = 0."""
    k = 0
    xi1 = np.array([1, 1, -1, 1, -1, 1, 1], np.int8)
    xi2 = -xi1
    xi2[k] = xi1[k]
    patterns = np.stack([xi1, xi2])
    targets = np.stack([xi1, xi1])  # t_k^1 = t_k^2 = xi1[k] = +1
    s_r2 = xi1.copy()
    s_r2[[1, 2]] *= -1  # R_k^1 = 6 - 4 = 2
    s_r0 = xi1.copy()
    s_r0[[1, 2, 3]] *= -1  # R_k^1 = 6 - 6 = 0
    got = field_signs(np.stack([s_r2, s_r0]), patterns, targets, separation, backend)
    if isinstance(separation, Exponential):
        assert got[0, k] == 1 and got[1, k] == 1  # e^R + e^-R > 0
    elif separation.d % 2 == 1:
        assert got[0, k] == 0 and got[1, k] == 0
    else:
        assert got[0, k] == 1 and got[1, k] == 0  # R = 0: 0^d + 0^d = 0 is a tie too
    np.testing.assert_array_equal(
        got,
        reference_signs(
            np.stack([s_r2, s_r0]), patterns, targets,
            "exp" if isinstance(separation, Exponential) else "poly", getattr(separation, "d", None),
        ),
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_single_pattern_tie_at_zero_overlap(backend):
    """d = 1, P = 1, xi = +1..., N = 5 (N-1 even, so R can be 0): R_i = sum_j S_j - S_i = 1 - S_i for
    S = (1, 1, -1, -1, 1), i.e. R = (0, 0, 2, 2, 0): ties at neurons 0, 1, 4 and +1 at 2, 3."""
    patterns = np.ones((1, 5), np.int8)
    state = np.array([[1, 1, -1, -1, 1]], np.int8)
    got = field_signs(state, patterns, patterns, Polynomial(1), backend)
    np.testing.assert_array_equal(got, [[0, 0, 1, 1, 0]])
    np.testing.assert_array_equal(got, reference_signs(state, patterns, patterns, "poly", 1))


@pytest.mark.parametrize("backend", BACKENDS)
def test_exponential_near_cancellation_goes_to_exact_path(backend):
    """Two terms e^0 cancel exactly and a third, e^-(2(N-1)) ~ 1e-70, decides the sign.

    N = 81: xi^1 = +1..., xi^2 = xi^1 with bit 0 flipped, xi^3 = -xi^1 with bit 0 = s3.  At S = +1...,
    R_0^1 = R_0^2 = 80 (f = 1) and R_0^3 = -80 (f = e^-160).  Targets at 0: +1, -1, s3.  The float
    field at neuron 0 is far below the rounding bound, so only exact arithmetic gets sgn = s3.
    """
    n = 81
    state = np.ones((1, n), np.int8)
    for s3 in (1, -1):
        patterns = ref.near_cancellation_patterns(n, s3)
        targets = patterns.copy()  # auto: targets at 0 are +1, -1, s3
        got = field_signs(state, patterns, targets, Exponential(), backend)
        assert got[0, 0] == s3
        np.testing.assert_array_equal(got, reference_signs(state, patterns, targets, "exp", None))
        # remove the deciding pattern: now it is an exact tie
        got2 = field_signs(state, patterns[:2], targets[:2], Exponential(), backend)
        assert got2[0, 0] == 0


def test_polynomial_beyond_int64_random():
    """N = 60, d = 12: (N-1)^d = 1.8e21 > 2^62, so exact sums need Python integers (reference too)."""
    n, p, d = 60, 12, 12
    assert p * (n - 1) ** d >= 2**62
    rng = np.random.default_rng(12)
    patterns = pm1(rng, (p, n))
    model = make_model("densenet", f="poly", d=d, form="sequence")
    targets = model.targets(patterns)
    states = probe_states(rng, patterns, n_random=3)
    want = reference_signs(states, patterns, targets, "poly", d)
    want_errors = ref.transition_errors(patterns, "sequence", "poly", d)
    for backend in BACKENDS:
        got = field_signs(states, patterns, targets, model.separation, backend)
        np.testing.assert_array_equal(got, want, err_msg=backend)
        np.testing.assert_array_equal(transition_errors(model, patterns, backend), want_errors, err_msg=backend)


@pytest.mark.parametrize("backend", BACKENDS)
def test_polynomial_beyond_int64_near_cancellation(backend):
    """N = 60, d = 12: two terms +-59^12 cancel exactly and 1^12 (or 0, a tie) decides.

    The float field (~1) is ~1e-21 of its scale, inside the rounding bound, so the exact path must
    decide it, with P (N-1)^d >= 2^62 (the Python-integer branch).
    """
    n, d = 60, 12
    state = np.ones((1, n), np.int8)
    xi1 = np.ones(n, np.int8)
    xi2 = xi1.copy()
    xi2[0] = -1  # R_0^2 = R_0^1 = 59, targets +1 / -1 at neuron 0
    xi3 = np.ones(n, np.int8)
    xi3[1:31] = -1  # R_0^3 = 29 - 30 = -1 ; (-1)^12 = 1
    for s3 in (1, -1):
        xi3[0] = s3
        patterns = np.stack([xi1, xi2, xi3])
        got = field_signs(state, patterns, patterns, Polynomial(d), backend)
        assert got[0, 0] == s3
        np.testing.assert_array_equal(got, reference_signs(state, patterns, patterns, "poly", d))
    # four patterns: +-59^12 and +-1^12 all cancel: an exact tie at neuron 0
    xi4 = xi3.copy()
    xi4[0] = -xi3[0]
    patterns = np.stack([xi1, xi2, xi3, xi4])
    got = field_signs(state, patterns, patterns, Polynomial(d), backend)
    assert got[0, 0] == 0


# ---------------------------------------------------------------------------------------------
# numpy and numba agree bit for bit on larger random cases
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"model": "hopfield"},
        {"model": "seqnet"},
        {"model": "densenet", "f": "poly", "d": 2, "form": "sequence"},
        {"model": "densenet", "f": "poly", "d": 3, "form": "auto"},
        {"model": "densenet", "f": "exp", "d": None, "form": "sequence"},
        {"model": "densenet", "f": "exp", "d": None, "form": "auto"},
    ],
    ids=["hopfield", "seqnet", "poly2-seq", "poly3-auto", "exp-seq", "exp-auto"],
)
@pytest.mark.parametrize(("n", "p"), [(64, 500), (101, 200), (200, 300), (65, 40)])
def test_numpy_and_numba_agree_bitwise(kwargs, n, p):
    model = build(kwargs)
    rng = np.random.default_rng([n, p])
    patterns = pm1(rng, (p, n))
    targets = model.targets(patterns)
    states = probe_states(rng, patterns, n_random=16)
    a = field_signs(states, patterns, targets, model.separation, "numpy")
    b = field_signs(states, patterns, targets, model.separation, "numba")
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(
        transition_errors(model, patterns, "numpy"), transition_errors(model, patterns, "numba")
    )
    # batched sets too
    sets = pm1(rng, (2, min(p, 60), n))
    st = pm1(rng, (2, 8, n))
    t = model.targets(sets)
    np.testing.assert_array_equal(
        field_signs(st, sets, t, model.separation, "numpy"), field_signs(st, sets, t, model.separation, "numba")
    )


# ---------------------------------------------------------------------------------------------
# the single-term fast path and the combined path agree
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("separation", [Polynomial(1), Polynomial(2), Polynomial(5), Exponential()],
                         ids=["d1", "d2", "d5", "exp"])
def test_single_term_fast_path_equals_combined_path(backend, separation):
    """A single term of weight 1 skips the combining (and, on the numba backend, the float field):
    its certain codes must resolve to the signs the combined path gives, ties included."""
    from amsim.engine.backends import get_backend
    from amsim.engine.fields import AMBIGUOUS, Term, certain_codes, combined_codes, resolve_ambiguous

    impl = get_backend(backend)
    rng = np.random.default_rng(23)
    n, p = 9, 30
    patterns = pm1(rng, (2, p, n))
    targets = np.roll(patterns, -1, axis=1)
    targets[:, 3, 4] = 0
    states = np.stack([probe_states(rng, patterns[s]) for s in range(2)])
    pairs = [(Term(targets, separation), targets)]
    fast, fast_rows = certain_codes(impl, states, patterns, pairs)
    slow, slow_rows = combined_codes(impl, states, patterns, pairs)
    for codes, rows in ((fast, fast_rows), (slow, slow_rows)):
        np.testing.assert_array_equal(rows, (codes == AMBIGUOUS).any(axis=2))
        resolve_ambiguous(codes, states, patterns, pairs, rows)
    np.testing.assert_array_equal(fast, slow)
    for s in range(2):
        f, d = ("exp", None) if isinstance(separation, Exponential) else ("poly", separation.d)
        np.testing.assert_array_equal(fast[s], reference_signs(states[s], patterns[s], targets[s], f, d))
