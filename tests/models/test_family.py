"""The rest of the model family (issue 5) against brute-force references written from the spec's
equations with explicit loops, plus the spec's theory values and exactness properties."""

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amsim.engine.dynamics import run
from amsim.engine.measures import transition_errors
from amsim.engine.patterns import biased, rademacher
from amsim.models import make_model
from amsim.models.theory import bias_threshold

BACKENDS = ["numpy", "numba"]


def excluded(state, pattern, i):
    return sum(int(pattern[j]) * int(state[j]) for j in range(len(state)) if j != i)


def poly(x, d):
    return x**d


# --- MixedNet, tau = 1: exact, against rational arithmetic -------------------------------------

def brute_mixed_sign(state, patterns, i, d_s, d_a, lam):
    """sgn(sum_mu xi_i^mu (R/(N-1))^dS + lam xi_i^{mu+1} (R/(N-1))^dA) in exact rationals."""
    n, p = len(state), len(patterns)
    total = Fraction(0)
    for mu in range(p):
        m = Fraction(excluded(state, patterns[mu], i), n - 1)
        total += int(patterns[mu][i]) * m**d_s + lam * int(patterns[(mu + 1) % p][i]) * m**d_a
    return (total > 0) - (total < 0)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("d_s,d_a", [(1, 1), (2, 2), (1, 3), (3, 2)])
def test_memoryless_mixednet_equals_exact_rationals(backend, d_s, d_a):
    rng = np.random.default_rng(d_s * 10 + d_a)
    net = make_model("mixednet", d_sym=d_s, d_asym=d_a, lam=2.5, tau=1)
    for n, p in [(5, 3), (7, 6), (12, 9)]:
        xi = rademacher(rng, (p, n))
        states = rademacher(rng, (6, n))
        got = net.field_signs([states[None]], xi[None], backend)[0]
        want = [[brute_mixed_sign(s, xi, i, d_s, d_a, Fraction(5, 2)) for i in range(n)] for s in states]
        np.testing.assert_array_equal(got, want)


def test_mixednet_tie_with_rational_lambda():
    """lam = 1 with d_S = d_A: at xi^1 (P = 2 antipodal successor) the hold and the transition
    terms cancel exactly; a float path would see rounding noise instead of the tie."""
    xi = np.array([[1, 1, 1, 1, 1], [-1, -1, -1, -1, -1]], np.int8)
    net = make_model("mixednet", d_sym=1, d_asym=1, lam=1.0, tau=1)
    signs = net.field_signs([xi[None, :1]], xi[None], "numpy")[0, 0]
    want = [brute_mixed_sign(xi[0], xi, i, 1, 1, Fraction(1)) for i in range(5)]
    np.testing.assert_array_equal(signs, want)
    assert (signs == 0).all()


# --- MixedNet with a delay kernel: float64 direct form against loops ------------------------------

def brute_delayed_field(history, patterns, i, d_s, d_a, lam, weights):
    n, p = len(history[0]), len(patterns)
    avg = [sum(w * int(h[j]) for w, h in zip(weights, history)) for j in range(n)]
    total = 0.0
    for mu in range(p):
        m = excluded(history[0], patterns[mu], i) / (n - 1)
        mbar = sum(int(patterns[mu][j]) * avg[j] for j in range(n) if j != i) / (n - 1)
        total += int(patterns[mu][i]) * m**d_s + lam * int(patterns[(mu + 1) % p][i]) * mbar**d_a
    return total


@pytest.mark.parametrize("kernel,tau", [("boxcar", 3), ("delay", 2), ("exponential", 2)])
def test_delayed_mixednet_equals_loops(kernel, tau):
    rng = np.random.default_rng(tau)
    net = make_model("mixednet", d_sym=2, d_asym=2, lam=2.5, tau=tau, kernel=kernel)
    n, p = 11, 7
    xi = rademacher(rng, (p, n))
    history = [rademacher(rng, (3, n)) for _ in range(net.history_length)]
    got = net.field_signs([h[None] for h in history], xi[None], "numpy")[0]
    for b in range(3):
        hist = [h[b] for h in history]
        fields = [brute_delayed_field(hist, xi, i, 2, 2, 2.5, net.weights) for i in range(n)]
        # fields here are O(1) sums of O(P) terms: far from float64 rounding, so signs must agree
        np.testing.assert_array_equal(got[b], np.sign(fields))
    assert not net.exact_ties


def test_kernels_sum_to_one():
    for kernel in ("boxcar", "delay", "exponential"):
        w = make_model("mixednet", tau=4, kernel=kernel).weights
        assert abs(w.sum() - 1) < 1e-15 and (w >= 0).all()


def test_dwell_time_and_timing_run():
    """Spec §2.5: lam = 2.5, tau = 5 gives k* = 4 for d = 1..4 and k* = 5 for d >= 5; a noise-free
    run (N large, P small) dwells exactly k* steps per pattern after the first."""
    for d in range(1, 9):
        net = make_model("mixednet", d_sym=d, d_asym=d, lam=2.5, tau=5)
        assert net.dwell_time() == (4 if d <= 4 else 5)
    rng = np.random.default_rng(5)
    xi = rademacher(rng, (4, 400))
    for d in (2, 10):
        net = make_model("mixednet", d_sym=d, d_asym=d, lam=2.5, tau=5)
        traj = run(net, xi, 40, start=0)
        closest = traj.overlaps[:, 0, 0].argmax(axis=1)
        changes = np.flatnonzero(np.diff(closest)) + 1
        dwell = np.diff(changes)
        assert (dwell == net.dwell_time()).all(), (d, closest)
        assert all((closest[c] - closest[c - 1]) % 4 == 1 for c in changes)  # right order


@pytest.mark.parametrize("pair,gamma,values", [
    ((1, 1), 7.25, {10: (0.6739, 0.3370), 50: (1.983, 0.9916), 100: (3.370, 1.685)}),
    ((1, 2), 1.0, {10: (4.886, 2.443), 50: (14.38, 7.189), 100: (24.43, 12.21)}),
    ((2, 1), 6.25, {10: (0.7817, 0.3909), 50: (2.301, 1.150), 100: (3.909, 1.954)}),
    ((2, 2), 26.75, {10: (1.826, 0.6088), 50: (26.88, 8.959), 100: (91.32, 30.44)}),
    ((2, 3), 3.0, {10: (16.29, 5.429), 50: (239.6, 79.88), 100: (814.3, 271.4)}),
    ((3, 2), 18.75, {10: (2.606, 0.8686), 50: (38.34, 12.78), 100: (130.3, 43.43)}),
    ((3, 3), 108.75, {10: (4.493, 1.123), 50: (330.5, 82.64), 100: (2246, 561.6)}),
])
def test_mixednet_laws_match_spec_table(pair, gamma, values):
    """Spec §4.5 table (4 significant digits, so rel 5e-4)."""
    net = make_model("mixednet", d_sym=pair[0], d_asym=pair[1], lam=2.5)
    assert net.gamma() == pytest.approx(gamma, rel=1e-12)
    for n, (p_t, p_s) in values.items():
        assert net.transition_capacity(n) == pytest.approx(p_t, rel=5e-4)
        assert net.sequence_capacity(n) == pytest.approx(p_s, rel=5e-4)


def test_exponential_mixednet_factor():
    net = make_model("mixednet", f_sym="exp", f_asym="exp", lam=2.5)
    edn = make_model("densenet", f="exp", d=None)
    for n in (5, 15, 25):
        assert net.transition_capacity(n) == pytest.approx(0.310345 * edn.transition_capacity(n), rel=1e-5)
    assert make_model("mixednet", lam=0.9).transition_capacity(50) == 0.0


# --- Pseudoinverse rule ---------------------------------------------------------------------------

@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(8, 40), data=st.data(),
       f=st.sampled_from(["poly1", "poly2", "poly3", "exp"]))
def test_gpi_consistent_is_exact_for_independent_patterns(seed, n, data, f):
    """R12 / App. E: linearly independent patterns (P <= N, rank checked), consistent normalisation,
    any f with f(1) > (P-1)|f(0)|: every transition is exact."""
    p = data.draw(st.integers(1, n))
    xi = rademacher(np.random.default_rng(seed), (p, n))
    if np.linalg.matrix_rank(xi.astype(float)) < p:
        return  # dependent draw: exactness is not claimed
    kind, d = ("exp", None) if f == "exp" else ("poly", int(f[-1]))
    net = make_model("densenet", f=kind, d=d, rule="gpi", gpi="consistent")
    assert transition_errors(net, xi).sum() == 0


def brute_gpi_field(state, patterns, targets, i, d, variant):
    n, p = len(state), len(patterns)
    o = np.array([[sum(int(a) * int(b) for a, b in zip(patterns[mu], patterns[nu])) / n
                   for nu in range(p)] for mu in range(p)])
    o_plus = np.linalg.pinv(o, rcond=1e-10, hermitian=True)
    if variant == "consistent":
        m = [sum(int(patterns[nu][j]) * int(state[j]) for j in range(n)) / n for nu in range(p)]
    else:
        m = [excluded(state, patterns[nu], i) / (n - 1) for nu in range(p)]
    a = o_plus @ np.array(m)
    return sum(int(targets[mu][i]) * a[mu] ** d for mu in range(p))


@pytest.mark.parametrize("variant", ["self-excluded", "consistent"])
def test_gpi_field_equals_loops(variant):
    rng = np.random.default_rng(11)
    n, p = 13, 9  # P < N but also a rank-deficient case below
    for xi in (rademacher(rng, (p, n)), np.concatenate([rademacher(rng, (4, n))] * 2)):
        net = make_model("densenet", f="poly", d=2, rule="gpi", gpi=variant)
        states = rademacher(rng, (4, n))
        got = net.field_signs([states[None]], xi[None], "numpy")[0]
        targets = np.roll(xi, -1, axis=0)
        for b, s in enumerate(states):
            want = np.sign([brute_gpi_field(s, xi, targets, i, 2, variant) for i in range(n)])
            np.testing.assert_array_equal(got[b], want)


def test_gpi_keeps_capacity_under_bias_where_hebbian_fails():
    """Fig. 3B in miniature: biased patterns (eps = 0.5) at P = 30, N = 100, d = 2; Eq. (12) puts
    the Hebbian limit at P < 33, so a few errors are expected near it, while GPI (P <= N) is exact."""
    rng = np.random.default_rng(12)
    xi = biased(rng, (20, 30, 100), 0.5)
    hebb = transition_errors(make_model("densenet", f="poly", d=2), xi)
    gpi = transition_errors(make_model("densenet", f="poly", d=2, rule="gpi", gpi="consistent"), xi)
    assert gpi.sum() == 0
    assert hebb.sum() > 0


def test_bias_threshold_matches_spec_table():
    table = {0.1: (1001, 1.000e5, 1.000e7, 1.000e9), 0.3: (38.04, 412.5, 4573, 5.081e4),
             0.5: (9, 33, 129, 513), 0.9: (2.372, 2.694, 3.091, 3.581)}
    for eps, row in table.items():
        for d, value in zip((1, 2, 3, 4), row):
            assert bias_threshold(eps, d) == pytest.approx(value, rel=5e-4)


# --- Two-layer network ------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs,one_layer", [
    ({"f": "poly", "d": 2}, {"model": "densenet", "f": "poly", "d": 2, "overlap": "included"}),
    ({"f": "poly", "d": 3, "lam": 2.5}, {"model": "mixednet", "d_sym": 3, "d_asym": 3, "lam": 2.5, "overlap": "included"}),
    ({"f": "exp", "d": None}, {"model": "densenet", "f": "exp", "d": None, "overlap": "included"}),
    ({"f": "poly", "d": 1}, {"model": "densenet", "f": "poly", "d": 1, "overlap": "included"}),
])
def test_two_layer_reproduces_the_self_included_one_layer_network(kwargs, one_layer):
    """Spec §2.6: with self-included overlaps in both, identical states, step by step (including
    ties, which d = 1 at small N produces)."""
    rng = np.random.default_rng(13)
    two = make_model("two-layer", **kwargs)
    one = make_model(**one_layer)
    for n, p in [(6, 5), (9, 12), (30, 40)]:
        xi = rademacher(rng, (8, p, n))
        a = run(two, xi, 6, start=0, record_states=True, record_overlaps=False)
        b = run(one, xi, 6, start=0, record_states=True, record_overlaps=False)
        np.testing.assert_array_equal(a.states, b.states)
        np.testing.assert_array_equal(a.ties, b.ties)


def test_two_layer_hidden_layer_is_explicit():
    rng = np.random.default_rng(14)
    xi = rademacher(rng, (6, 20))
    net = make_model("two-layer", f="poly", d=2, silenced=[2])
    v = rademacher(rng, (1, 1, 20))
    hidden = net.hidden(v, xi[None])[0, 0]
    want = [(xi[mu] @ v[0, 0] / 20) ** 2 * (mu != 2) for mu in range(6)]
    np.testing.assert_allclose(hidden, want, rtol=1e-14)


def test_gating_removes_a_transition():
    """Silencing memory unit mu removes xi^mu -> xi^{mu+1}: at low load every other transition holds."""
    rng = np.random.default_rng(15)
    xi = rademacher(rng, (5, 200))
    errors = transition_errors(make_model("two-layer", f="poly", d=2, silenced=[3]), xi)
    assert errors[3] > 0 and np.delete(errors, 3).sum() == 0


# --- Asynchronous updates and energy ----------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), n=st.integers(5, 24), p=st.integers(1, 12),
       model=st.sampled_from([{"model": "hopfield"},
                              {"model": "densenet", "f": "poly", "d": 2, "form": "auto"},
                              {"model": "densenet", "f": "poly", "d": 3, "form": "auto"},
                              {"model": "densenet", "f": "exp", "d": None, "form": "auto"}]))
def test_energy_never_increases_under_asynchronous_updates(seed, n, p, model):
    rng = np.random.default_rng(seed)
    net = make_model(**model)
    xi = rademacher(rng, (p, n))
    state = rademacher(rng, (1, 3, n))
    energies = [net.energy(state[0], xi)]
    for _ in range(3):
        traj = run(net, xi, 1, start=None, initial=state, schedule="async", rng=rng,
                   record_overlaps=False)
        state = traj.final
        energies.append(net.energy(state[0], xi))
    steps = np.diff(np.array(energies), axis=0)
    scale = np.abs(np.array(energies)).max() + 1
    assert (steps <= 64 * np.finfo(float).eps * scale).all()  # exact in exact arithmetic


def test_energy_is_the_hopfield_energy_for_d1():
    """For f(x) = x, Phi(g) = g^2 / (4(N-1)) + const, so E is half the classic Hopfield energy
    -(1/2) sum_{i != j} J_ij S_i S_j with J = (1/(N-1)) sum_mu xi_i xi_j, up to a constant (a flip
    changes E by s h_i, the classic energy by 2 s h_i)."""
    rng = np.random.default_rng(16)
    xi = rademacher(rng, (7, 15))
    states = rademacher(rng, (5, 15))
    e = make_model("hopfield").energy(states, xi)
    j = xi.T.astype(float) @ xi / 14
    np.fill_diagonal(j, 0)
    classic = -0.5 * np.einsum("bi,ij,bj->b", states, j, states)
    np.testing.assert_allclose(e - e[0], (classic - classic[0]) / 2, atol=1e-12)


def test_async_single_pattern_is_a_fixed_point():
    rng = np.random.default_rng(17)
    xi = rademacher(rng, (1, 30))
    traj = run(make_model("hopfield"), xi, 2, start=0, schedule="async", rng=rng, stop="fixed_point")
    np.testing.assert_array_equal(traj.final[0, 0], xi[0])


def test_mixed_kinds_are_refused_where_the_core_cannot_sum_them():
    """Terms of different separation kinds carry different per-state scales in the float core."""
    with pytest.raises(ValueError, match="one kind"):
        make_model("mixednet", f_sym="poly", d_sym=2, f_asym="exp", tau=1)
    make_model("mixednet", f_sym="poly", d_sym=2, f_asym="exp", tau=3)  # direct form: allowed
