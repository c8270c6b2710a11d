"""The memory plan refuses impossible sizes before allocating, with one line stating need and free."""

import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine import fields, memory
from amsim.engine.backends import get_backend, numpy_backend, usable
from amsim.engine.fields import BLOCK_ELEMENTS, Term, field_signs, field_signs_of_terms
from amsim.engine.memory import (
    MemoryPlanError,
    backend_scratch_bytes,
    field_core_bytes,
    field_signs_bytes,
    sign_bookkeeping_bytes,
)
from amsim.engine.separation import Exponential, Polynomial


def test_simulate_refuses_before_allocating():
    # 10^5 x 10^5 patterns would need ~10 GB as int8 alone; the refusal must come first and fast
    result = CliRunner().invoke(main, ["simulate", "-N", "100000", "-P", "100000"])
    assert result.exit_code == 2
    assert "needs about" in result.output and "GiB are available" in result.output
    assert "Traceback" not in result.output


def test_scenario_run_refuses_oversized_task(tmp_path):
    scenario = tmp_path / "huge.toml"
    scenario.write_text(
        'name = "huge"\nkind = "trajectory"\nseed = 1\n[params]\nN = 200000\nP = 200000\n'
    )
    result = CliRunner().invoke(main, ["run", str(scenario), "-o", str(tmp_path / "huge.h5")])
    assert result.exit_code == 2 and "the largest task of 'huge'" in result.output


BACKENDS = [
    pytest.param(name, id=name, marks=[] if usable(name)[0] else [pytest.mark.skip(reason=usable(name)[1])])
    for name in ("numpy", "numba")
]


def pm1(rng, shape):
    return np.where(rng.random(shape) < 0.5, 1, -1).astype(np.int8)


def traced_peak(func) -> int:
    """Peak bytes of numpy arrays (and other Python objects) allocated while ``func()`` runs."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        func()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("backend", BACKENDS)
def test_field_core_checks_its_own_allocation(monkeypatch, backend):
    xi = np.ones((40, 30), np.int8)
    impl = get_backend(backend)
    need = field_signs_bytes(impl, 1, 40, 40, 30, 1, BLOCK_ELEMENTS)
    assert need > field_core_bytes(1, 40, 40, 30, BLOCK_ELEMENTS)
    monkeypatch.setattr(memory, "available_bytes", lambda: need - 1)
    with pytest.raises(MemoryPlanError, match="the field computation needs about"):
        field_signs(xi, xi, xi, Polynomial(2), impl)
    monkeypatch.setattr(memory, "available_bytes", lambda: need)
    assert field_signs(xi, xi, xi, Polynomial(2), impl).shape == (40, 30)


def test_numba_reports_its_scratch():
    """The numba kernel's own arrays (linear part, packed bits, codes, per-thread buffers) enter the
    plan: the backend reports them, and the field core adds them to what it requires."""
    if not usable("numba")[0]:
        pytest.skip(usable("numba")[1])
    impl = get_backend("numba")
    shape = (1, 2000, 2000, 300)
    scratch = backend_scratch_bytes(impl, *shape)
    assert scratch >= 8 * 2000 * 300 + 8 * 300 * 300  # the linear part and its coupling matrices
    assert backend_scratch_bytes(object(), *shape) == 0
    assert field_signs_bytes(impl, *shape, 1, BLOCK_ELEMENTS) == (
        field_signs_bytes(object(), *shape, 1, BLOCK_ELEMENTS) + scratch)


#: (S, B, P, N): many states (the linear part of the numba kernel), many patterns, several sets,
#: P < N, and with a small block also blocks of one state whose (S, 1, P) arrays exceed it
SHAPES = [(1, 1500, 1200, 200), (3, 40, 3000, 64), (2, 300, 500, 130), (2, 7, 3, 500)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("block", [BLOCK_ELEMENTS, 1000])
def test_plan_bounds_what_is_allocated(monkeypatch, backend, block):
    """The plan is an upper bound of the peak of numpy allocations (tracemalloc) of a field
    evaluation: one term of weight 1 and a weighted sum of two, both separations, both overlap kinds.
    (Arrays the numba kernels allocate inside compiled code are not traced; ``scratch_bytes`` counts
    them from the code.)"""
    monkeypatch.setattr(fields, "BLOCK_ELEMENTS", block)
    monkeypatch.setattr(numpy_backend, "BLOCK_ELEMENTS", block)
    impl = get_backend(backend)
    rng = np.random.default_rng(5)
    for shape in SHAPES:
        n_sets, n_states, n_patterns, n = shape
        patterns = pm1(rng, (n_sets, n_patterns, n))
        states = pm1(rng, (n_sets, n_states, n))
        successors = np.roll(patterns, -1, axis=1)
        for separation in (Polynomial(2), Exponential()):
            for overlap in ("excluded", "included"):
                for terms in ([Term(successors, separation, 1, overlap)],
                              [Term(patterns, separation, 1, overlap),
                               Term(successors, separation, Fraction(1, 3), overlap)]):
                    peak = traced_peak(lambda: field_signs_of_terms(states, patterns, terms, impl))
                    plan = field_signs_bytes(impl, *shape, len(terms), block)
                    assert peak <= plan, (shape, separation, overlap, len(terms), peak, plan)


def test_numba_scratch_bounds_its_numpy_allocations():
    """Tighter: the numba backend's traced allocations for one term fit in its own ``scratch_bytes``
    and the sign bookkeeping, without the (numpy-sized) field core."""
    if not usable("numba")[0]:
        pytest.skip(usable("numba")[1])
    impl = get_backend("numba")
    rng = np.random.default_rng(6)
    for shape in SHAPES:
        n_sets, n_states, n_patterns, n = shape
        patterns = pm1(rng, (n_sets, n_patterns, n))
        states = pm1(rng, (n_sets, n_states, n))
        terms = [Term(np.roll(patterns, -1, axis=1), Polynomial(2))]
        peak = traced_peak(lambda: field_signs_of_terms(states, patterns, terms, impl))
        assert peak <= impl.scratch_bytes(*shape) + sign_bookkeeping_bytes(*shape, 1), shape


@pytest.mark.parametrize("backend", BACKENDS)
def test_impossible_size_is_refused_before_allocating(backend):
    """A million states against a million patterns of a thousand neurons (terabytes of work arrays):
    refused before any input is even copied (the inputs are broadcast views of one row)."""
    n = 1000
    row = np.ones((1, 1, n), np.int8)
    states = np.broadcast_to(row, (1, 10**6, n))
    patterns = np.broadcast_to(row, (1, 10**6, n))
    impl = get_backend(backend)

    def attempt():
        with pytest.raises(MemoryPlanError, match="the field computation needs about"):
            field_signs_of_terms(states, patterns, [Term(patterns, Polynomial(2))], impl)

    assert traced_peak(attempt) < 1 << 20
