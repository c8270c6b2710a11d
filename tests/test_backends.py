"""Backend conformance: one battery applied to every backend of the registry and to the CPU stand-in
of the CuPy path (the array-namespace backend on ``array_api_strict``, float64 and float32).

Every backend must give the numpy oracle's signs and :mod:`reference`'s (exact, independent) signs,
ties included, for both overlap kinds, polynomial d = 1..5 and the exponential, odd and even N, N
not a multiple of 64, batches of several pattern sets; its error bound must hold against the exact
field (computed here with Python integers and ``decimal``); and ``auto`` must pick cupy -> numba ->
numpy, saying why, once.
"""

from __future__ import annotations

import logging
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pytest

import reference as ref
from amsim import make_model, transition_errors
from amsim.engine import backends as registry
from amsim.engine.backends.array_api_backend import ArrayApiBackend, power, standin_backend
from amsim.engine.backends.bits import pack_pm1, unpack_pm1
from amsim.engine.backends.numpy_backend import NumpyBackend
from amsim.engine.fields import field_signs
from amsim.engine.separation import Exponential, Polynomial
from amsim.engine.xp import get_xp, namespace, to_device, to_host


def _registry_backends():
    out = []
    for name in registry.backend_names():
        if name == "auto":
            continue
        ok, why = registry.usable(name)
        marks = [] if ok else [pytest.mark.skip(reason=f"{name}: {why}")]
        out.append(pytest.param(name, id=name, marks=marks))
    return out


#: every backend of the registry (skipped where not usable) + the CuPy path's CPU stand-ins
BACKENDS = [*_registry_backends(), pytest.param("standin", id="cupy-standin-f64"),
            pytest.param("standin32", id="cupy-standin-f32")]


@pytest.fixture(scope="module")
def standins():
    return {"standin": standin_backend("float64"), "standin32": standin_backend("float32")}


def resolve(name, standins):
    return standins[name] if name in standins else registry.get_backend(name)


SEPARATIONS = [Polynomial(1), Polynomial(2), Polynomial(3), Polynomial(4), Polynomial(5), Exponential()]
SEP_IDS = ["d1", "d2", "d3", "d4", "d5", "exp"]
OVERLAP_KINDS = ["excluded", "included"]


def pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, 1, -1).astype(np.int8)


def kind(separation):
    return ("exp", None) if isinstance(separation, Exponential) else ("poly", separation.d)


# ---------------------------------------------------------------------------------------------
# an exact reference for the included overlap (tests/reference.py covers the excluded one)
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def exp_decimal(k: int) -> Decimal:
    """``e^k`` to 80 digits."""
    with localcontext() as ctx:
        ctx.prec = 80
        return Decimal(k).exp()


def exact_included_sign(state, patterns, targets, i, separation) -> int:
    """``sgn(sum_mu t_i^mu f(g^mu / N))`` with ``g^mu = xi^mu . S`` (self-included), exactly."""
    n = len(state)
    g = [sum(int(a) * int(b) for a, b in zip(p, state)) for p in patterns]
    if isinstance(separation, Polynomial):
        total = sum(int(t[i]) * gm**separation.d for t, gm in zip(targets, g))
        return (total > 0) - (total < 0)
    counts: dict[int, int] = {}
    for t, gm in zip(targets, g):
        counts[gm] = counts.get(gm, 0) + int(t[i])
    counts = {k: c for k, c in counts.items() if c}
    if not counts:
        return 0  # e is transcendental: zero iff every count is zero
    with localcontext() as ctx:
        ctx.prec = 80
        value = sum(Decimal(c) * exp_decimal(k - n) for k, c in counts.items())
        magnitude = sum(abs(Decimal(c)) * exp_decimal(k - n) for k, c in counts.items())
        assert abs(value) > magnitude * Decimal(10) ** -70
        return 1 if value > 0 else -1


_REFERENCE_CACHE: dict = {}


def reference_signs(states, patterns, targets, separation, overlap):
    """Exact signs ``(B, N)`` of one pattern set, from an implementation independent of amsim
    (cached across backends: the same case is checked against every backend)."""
    key = (states.tobytes(), states.shape, patterns.tobytes(), patterns.shape, targets.tobytes(),
           separation, overlap)
    if key not in _REFERENCE_CACHE:
        _REFERENCE_CACHE[key] = _reference_signs(states, patterns, targets, separation, overlap)
    return _REFERENCE_CACHE[key]


def _reference_signs(states, patterns, targets, separation, overlap):
    if overlap == "excluded":
        f, d = kind(separation)
        return np.array([ref.field_signs(s, patterns, targets, f, d) for s in states], np.int8)
    return np.array([[exact_included_sign(s, patterns, targets, i, separation) for i in range(len(s))]
                     for s in states], np.int8)


_ORACLE_CACHE: dict = {}


def oracle_signs(states, patterns, targets, separation, overlap):
    """The numpy backend's signs (cached across backends)."""
    key = (states.tobytes(), states.shape, patterns.tobytes(), patterns.shape, targets.tobytes(),
           separation, overlap)
    if key not in _ORACLE_CACHE:
        _ORACLE_CACHE[key] = field_signs(states, patterns, targets, separation, "numpy", overlap)
    return _ORACLE_CACHE[key]


@lru_cache(maxsize=None)
def reference_transition_errors(patterns_bytes, shape, form, f, d):
    patterns = np.frombuffer(patterns_bytes, np.int8).reshape(shape)
    return ref.transition_errors(patterns, form, f, d)


def probe_states(rng, patterns, n_random=4):
    """Random states, stored patterns, and patterns with one or two flipped bits."""
    p, n = patterns.shape
    noisy = patterns[rng.integers(0, p, size=3)].copy()
    for row in noisy:
        row[rng.choice(n, size=min(n, 1 + int(rng.integers(0, 2))), replace=False)] *= -1
    return np.concatenate([pm1(rng, (n_random, n)), patterns[: min(p, 6)], noisy]).astype(np.int8)


# ---------------------------------------------------------------------------------------------
# signs: the oracle and the exact reference, random cases
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("separation", SEPARATIONS, ids=SEP_IDS)
@pytest.mark.parametrize("overlap", OVERLAP_KINDS)
def test_signs_equal_reference_and_oracle(backend, separation, overlap, standins):
    impl = resolve(backend, standins)
    rng = np.random.default_rng([7, SEP_IDS.index(SEP_IDS[SEPARATIONS.index(separation)]),
                                 OVERLAP_KINDS.index(overlap)])
    # odd / even N, one not a multiple of 64 beyond one word, with several pattern sets (S > 1)
    for n, p, n_sets in [(5, 4, 3), (8, 9, 2), (13, 20, 2), (65, 12, 2)]:
        patterns = pm1(rng, (n_sets, p, n))
        targets = np.roll(patterns, -1, axis=1) if p % 2 else patterns.copy()
        states = np.stack([probe_states(rng, patterns[s]) for s in range(n_sets)])
        got = field_signs(states, patterns, targets, separation, impl, overlap)
        oracle = oracle_signs(states, patterns, targets, separation, overlap)
        np.testing.assert_array_equal(got, oracle, err_msg=f"N={n} P={p}")
        for s in range(n_sets):
            want = reference_signs(states[s], patterns[s], targets[s], separation, overlap)
            np.testing.assert_array_equal(got[s], want, err_msg=f"N={n} P={p} set {s}")


@pytest.mark.parametrize("backend", BACKENDS)
def test_larger_random_cases_equal_oracle(backend, standins):
    """N around word boundaries (63, 64, 65, 130), batches large enough for the parallel and
    linear-split paths of the numba kernel, targets with zeros (gated memories), groups of more than
    255 patterns at one overlap value (N = 4, P = 1100), and d = 12 beyond 2^52 (float path)."""
    impl = resolve(backend, standins)
    rng = np.random.default_rng(3)
    cases = [(63, 200, 1, 40), (64, 150, 2, 12), (65, 300, 1, 70), (130, 120, 1, 8), (4, 1100, 1, 16)]
    seps = [Polynomial(2), Polynomial(3), Polynomial(12), Exponential()]
    for n, p, n_sets, n_states in cases:
        patterns = pm1(rng, (n_sets, p, n))
        targets = np.roll(patterns, -1, axis=1)
        gated = targets * (rng.random(targets.shape) < 0.8)  # some targets 0
        states = pm1(rng, (n_sets, n_states, n))
        states[:, : min(n_states, p) // 2] = patterns[:, : min(n_states, p) // 2]
        for separation in seps:
            for overlap in OVERLAP_KINDS:
                for tg in (targets, gated.astype(np.int8)):
                    got = field_signs(states, patterns, tg, separation, impl, overlap)
                    want = oracle_signs(states, patterns, tg, separation, overlap)
                    np.testing.assert_array_equal(got, want, err_msg=f"N={n} P={p} {separation} {overlap}")


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("form", ["sequence", "auto"])
def test_transition_errors_equal_reference(backend, form, standins):
    """Teacher-forced transitions (states = patterns), the measurement the benchmarks time."""
    impl = resolve(backend, standins)
    rng = np.random.default_rng(11)
    for f, d in [("poly", 1), ("poly", 2), ("poly", 4), ("exp", None)]:
        model = make_model("densenet", f=f, d=d, form=form)
        for n, p in [(9, 25), (16, 40)]:
            patterns = pm1(rng, (2, p, n))
            got = transition_errors(model, patterns, impl)
            for s in range(2):
                want = reference_transition_errors(patterns[s].tobytes(), patterns[s].shape, form, f, d)
                np.testing.assert_array_equal(got[s], want)


# ---------------------------------------------------------------------------------------------
# constructed ties and near-ties
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("separation", SEPARATIONS, ids=SEP_IDS)
@pytest.mark.parametrize("n", [6, 7, 70])
def test_constructed_ties(backend, separation, n, standins):
    """Excluded: xi^2 = xi^1 but for bit k, opposite targets at k, so R_k^1 = R_k^2 for every state and
    h_k = 0 for any f.  Included: two identical patterns with opposite targets at k tie the same way.
    Both kinds in one batch with random states."""
    impl = resolve(backend, standins)
    rng = np.random.default_rng(n)
    k = 2
    xi1 = pm1(rng, n)
    xi2 = xi1.copy()
    xi2[k] *= -1
    states = pm1(rng, (9, n))
    states[0] = xi1
    for overlap, second in (("excluded", xi2), ("included", xi1)):
        patterns = np.stack([xi1, second, pm1(rng, n)])
        targets = patterns.copy()
        targets[1, k] = -targets[0, k]
        targets[2, k] = 0  # the third memory is gated off at k
        got = field_signs(states, patterns, targets, separation, impl, overlap)
        assert (got[:, k] == 0).all(), overlap
        np.testing.assert_array_equal(got, reference_signs(states, patterns, targets, separation, overlap))


@pytest.mark.parametrize("backend", BACKENDS)
def test_linear_tie_at_zero_overlap(backend, standins):
    """d = 1, P = 1, N = 5: R = (0, 0, 2, 2, 0) at S = (1, 1, -1, -1, 1), ties at neurons 0, 1, 4."""
    impl = resolve(backend, standins)
    patterns = np.ones((1, 5), np.int8)
    state = np.array([[1, 1, -1, -1, 1]], np.int8)
    np.testing.assert_array_equal(field_signs(state, patterns, patterns, Polynomial(1), impl), [[0, 0, 1, 1, 0]])


@pytest.mark.parametrize("backend", BACKENDS)
def test_exponential_near_cancellation(backend, standins):
    """N = 81: two terms e^0 cancel exactly and e^-160 decides the sign (far below any float
    bound: only the exact path sees it); without the third pattern it is a tie."""
    impl = resolve(backend, standins)
    n = 81
    state = np.ones((1, n), np.int8)
    for s3 in (1, -1):
        patterns = ref.near_cancellation_patterns(n, s3)
        assert field_signs(state, patterns, patterns, Exponential(), impl)[0, 0] == s3
        assert field_signs(state, patterns[:2], patterns[:2], Exponential(), impl)[0, 0] == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_polynomial_beyond_2_52_near_cancellation(backend, standins):
    """N = 60, d = 12: +-59^12 cancel exactly and 1^12 decides (P (N+1)^d > 2^62: float paths)."""
    impl = resolve(backend, standins)
    n, d = 60, 12
    state = np.ones((1, n), np.int8)
    xi1 = np.ones(n, np.int8)
    xi2 = xi1.copy()
    xi2[0] = -1
    xi3 = np.ones(n, np.int8)
    xi3[1:31] = -1
    for s3 in (1, -1):
        xi3[0] = s3
        patterns = np.stack([xi1, xi2, xi3])
        assert field_signs(state, patterns, patterns, Polynomial(d), impl)[0, 0] == s3
    xi4 = xi3.copy()
    xi4[0] = -xi3[0]
    patterns = np.stack([xi1, xi2, xi3, xi4])
    assert field_signs(state, patterns, patterns, Polynomial(d), impl)[0, 0] == 0


# ---------------------------------------------------------------------------------------------
# the bound is a true bound on each backend's own arithmetic
# ---------------------------------------------------------------------------------------------


_EXACT_CACHE: dict = {}


def exact_scaled_fields(states, patterns, targets, separation, overlap):
    """Exact ``field * factor`` (B, N) as Decimals (80 digits; far below any float bound), with the
    numpy backend's per-state factor: 1 for polynomials, ``exp(-shift)`` for the exponential with
    ``shift = max_mu g^mu + 1`` (excluded) or ``max_mu g^mu`` (included).  Cached across backends."""
    key = (states.tobytes(), states.shape, patterns.tobytes(), targets.tobytes(), separation, overlap)
    if key in _EXACT_CACHE:
        return _EXACT_CACHE[key]
    n = patterns.shape[1]
    xi = patterns.astype(np.int64)
    out = []
    with localcontext() as ctx:
        ctx.prec = 80
        for state in states.astype(np.int64):
            g = xi @ state
            raw = g[:, None] - xi * state if overlap == "excluded" else np.repeat(g[:, None], n, 1)
            norm = n - 1 if overlap == "excluded" else n
            shift = int(g.max()) + (1 if overlap == "excluded" else 0)
            row = []
            for i in range(n):
                terms = [(int(t), int(r)) for t, r in zip(targets[:, i], raw[:, i]) if t]
                if isinstance(separation, Polynomial):
                    value = Fraction(sum(t * r**separation.d for t, r in terms), norm**separation.d)
                    row.append(Decimal(value.numerator) / Decimal(value.denominator))
                else:
                    counts: dict[int, int] = {}
                    for t, r in terms:
                        counts[r] = counts.get(r, 0) + t
                    row.append(sum((c * exp_decimal(r - shift) for r, c in counts.items()), Decimal(0)))
            out.append(row)
    _EXACT_CACHE[key] = out
    return out


@pytest.mark.parametrize("backend", [*BACKENDS, pytest.param("numpy-oracle", id="numpy-direct")])
@pytest.mark.parametrize("overlap", OVERLAP_KINDS)
def test_error_bound_holds(backend, overlap, standins):
    impl = NumpyBackend() if backend == "numpy-oracle" else resolve(backend, standins)
    rng = np.random.default_rng(21)
    worst = 0.0
    # (66, 100, 90): a batch large enough for the numba kernel's linear-split path (d = 1, 2)
    for n, p, n_states in [(7, 30, 5), (66, 100, 90), (130, 40, 4)]:
        patterns = pm1(rng, (1, p, n))
        targets = np.roll(patterns, -1, axis=1)
        targets[0, 0, :3] = 0
        states = pm1(rng, (1, n_states, n))
        states[0, :3] = patterns[0, :3]
        for separation in [Polynomial(1), Polynomial(2), Polynomial(5), Polynomial(11), Exponential()]:
            field, bound = impl.term_field(states, patterns, targets, separation, overlap)
            assert field.shape == states.shape and bound.shape == states.shape[:2] + (1,)
            assert field.dtype == np.float64 and bound.dtype == np.float64 and (bound >= 0).all()
            exact = exact_scaled_fields(states[0], patterns[0], targets[0], separation, overlap)
            for b in range(n_states):
                err = max(abs(Decimal(float(field[0, b, i])) - exact[b][i]) for i in range(n))
                limit = Decimal(float(bound[0, b, 0]))
                assert err <= limit, f"N={n} P={p} {separation} state {b}: {err} > {limit}"
                if limit > 0:
                    worst = max(worst, float(err / limit))
    assert worst < 1.0


# ---------------------------------------------------------------------------------------------
# `auto` selection and the registry
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def fresh_registry():
    registry.refresh_backends()
    yield registry
    registry.refresh_backends()


def fake_installed(monkeypatch, installed):
    monkeypatch.setattr(registry, "_installed", lambda pkg: pkg in installed)


def test_registry_names():
    assert registry.backend_names() == ["numpy", "numba", "cupy", "auto"]
    assert "numpy" in registry.available_backends()
    with pytest.raises(ValueError, match="unknown backend"):
        registry.get_backend("fortran")


def test_auto_prefers_cupy_with_a_device(fresh_registry, monkeypatch, caplog):
    fake_installed(monkeypatch, {"numpy", "numba", "cupy", "array_api_compat"})
    monkeypatch.setattr(registry, "cuda_device_count", lambda: (1, ""))
    assert registry.available_backends() == ["numpy", "numba", "cupy"]
    with caplog.at_level(logging.INFO, logger="amsim"):
        assert registry.auto_choice()[0] == "cupy"
        registry.auto_choice()
    assert [r.getMessage() for r in caplog.records] == ["backend 'auto' picked 'cupy'"]


def test_auto_falls_back_to_numba_without_a_device(fresh_registry, monkeypatch, caplog):
    fake_installed(monkeypatch, {"numpy", "numba", "cupy", "array_api_compat"})
    monkeypatch.setattr(registry, "cuda_device_count", lambda: (0, "CuPy found no CUDA device"))
    with caplog.at_level(logging.INFO, logger="amsim"):
        assert registry.get_backend("auto").name == "numba"
        assert registry.get_backend("auto").name == "numba"
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["backend 'auto' picked 'numba' (cupy: CuPy found no CUDA device)"]
    with pytest.raises(ValueError, match="no CUDA device"):
        registry.get_backend("cupy")


def test_auto_falls_back_to_numpy(fresh_registry, monkeypatch, caplog):
    fake_installed(monkeypatch, {"numpy"})
    assert registry.available_backends() == ["numpy"]
    with caplog.at_level(logging.INFO, logger="amsim"):
        assert registry.get_backend("auto").name == "numpy"
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.startswith("backend 'auto' picked 'numpy' (cupy: needs 'cupy', 'array_api_compat'")
    assert "numba: needs 'numba', not installed" in message
    with pytest.raises(ValueError, match="needs 'numba'"):
        registry.get_backend("numba")


def test_cuda_probe_is_guarded(fresh_registry, monkeypatch):
    """A CUDA failure at the probe means 'no device', not a crash (simulated with a fake cupy)."""
    import sys
    import types

    fake = types.ModuleType("cupy")

    def broken():
        raise RuntimeError("cudaErrorInsufficientDriver")

    fake.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=broken))
    monkeypatch.setitem(sys.modules, "cupy", fake)
    count, reason = registry.cuda_device_count()
    assert count == 0 and "cudaErrorInsufficientDriver" in reason


# ---------------------------------------------------------------------------------------------
# building blocks
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 7, 63, 64, 65, 200])
def test_bit_packing_round_trip_and_overlaps(n):
    rng = np.random.default_rng(n)
    x = pm1(rng, (3, 5, n))
    words = pack_pm1(x)
    assert words.dtype == np.uint64 and words.shape == (3, 5, -(-n // 64))
    np.testing.assert_array_equal(unpack_pm1(words, n), x)
    xor = np.ascontiguousarray(words[:, :, None, :] ^ words[:, None, :, :])
    hamming = np.unpackbits(xor.view(np.uint8), axis=-1).sum(-1).astype(np.int64)
    np.testing.assert_array_equal(n - 2 * hamming, np.einsum("sbn,scn->sbc", x.astype(int), x.astype(int)))


@pytest.mark.parametrize("n", [1, 63, 64, 65, 200])
@pytest.mark.parametrize("p", [1, 8, 13, 40])
def test_hamming_block(n, p):
    """The vector Hamming distances (whole blocks of LANES patterns; the rest is the caller's), with
    and without folding ``h`` onto ``min(h, n - h)``."""
    pytest.importorskip("numba")
    from numba import njit

    from amsim.engine.backends.bits import LANES, hamming_block

    @njit
    def distances(x, rows, n, fold, out):
        hamming_block(x, rows, n, fold, out)

    rng = np.random.default_rng([n, p])
    patterns, state = pm1(rng, (p, n)), pm1(rng, n)
    rows = np.ascontiguousarray(pack_pm1(patterns).T)  # (W, P), word-major
    want = (patterns != state).sum(axis=1)
    done = LANES * (p // LANES)
    for fold in (False, True):
        out = np.full(p, 99999, np.uint32)
        distances(pack_pm1(state), rows, n, fold, out)
        expected = np.minimum(want, n - want) if fold else want
        np.testing.assert_array_equal(out[:done], expected[:done])
        assert (out[done:] == 99999).all()


@pytest.mark.parametrize("separation", SEPARATIONS, ids=SEP_IDS)
@pytest.mark.parametrize("overlap", OVERLAP_KINDS)
def test_numba_term_codes(separation, overlap):
    """``term_codes`` (codes without a float field) against ``term_field`` and the oracle: certain
    entries carry the oracle's sign, ``ambiguous`` marks exactly the states with an AMBIGUOUS entry,
    and the exact polynomial path leaves nothing ambiguous (its ties are 0 already)."""
    if not registry.usable("numba")[0]:
        pytest.skip(registry.usable("numba")[1])
    from amsim.engine.backends.numba_backend import exact_plan
    from amsim.engine.fields import AMBIGUOUS

    impl = registry.get_backend("numba")
    rng = np.random.default_rng(17)
    for n, p, n_states in [(7, 5, 9), (65, 300, 40), (4, 1100, 16)]:
        patterns = pm1(rng, (2, p, n))
        targets = np.roll(patterns, -1, axis=1)
        targets[:, :, 0] = 0  # gated off at neuron 0: h_0 = 0, an exact tie in every state
        states = pm1(rng, (2, n_states, n))
        states[:, : min(p, n_states)] = patterns[:, : min(p, n_states)]
        codes, ambiguous = impl.term_codes(states, patterns, targets, separation, overlap)
        want = oracle_signs(states, patterns, targets, separation, overlap)
        certain = codes != AMBIGUOUS
        np.testing.assert_array_equal(codes[certain], want[certain])
        np.testing.assert_array_equal(ambiguous, (~certain).any(axis=2))
        if exact_plan(separation, n, p, n_states, overlap == "included") is not None:
            assert certain.all() and (codes[..., 0] == 0).all()
        field, bound = impl.term_field(states, patterns, targets, separation, overlap)
        decided = np.abs(field) > bound
        np.testing.assert_array_equal(codes[decided], np.sign(field[decided]))


def test_array_namespace_helpers():
    xp = namespace("array_api_strict") if registry._installed("array_api_strict") else namespace("numpy")
    host = np.arange(6, dtype=np.int8).reshape(2, 3)
    dev = to_device(host, xp, xp.float32)
    assert get_xp(dev) is xp
    back = to_host(xp.matmul(dev, xp.matrix_transpose(dev)))
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, host.astype(np.float32) @ host.T.astype(np.float32))
    x = to_device(np.arange(-3.0, 4.0), xp, xp.float64)  # integers: every power is exact
    for d in range(1, 12):
        np.testing.assert_array_equal(to_host(power(x, d)), np.arange(-3.0, 4.0) ** d)


def test_standin_runs_the_cupy_code_path():
    """The stand-in is the very class the CuPy backend instantiates, on another namespace."""
    from amsim.engine.backends.array_api_backend import CupyBackend

    standin = standin_backend()
    assert type(standin) is ArrayApiBackend and issubclass(CupyBackend, ArrayApiBackend)
    assert CupyBackend.term_field is ArrayApiBackend.term_field
    with pytest.raises(ValueError, match="dtype"):
        ArrayApiBackend(namespace("numpy"), dtype="float16")
