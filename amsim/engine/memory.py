"""The memory plan: estimate what a computation allocates and refuse, before allocating, what cannot fit.

Estimates are upper bounds of the peak bytes of the engine's own arrays (numpy overheads aside).
Large batches are already processed in blocks by the backends (see ``BLOCK_ELEMENTS`` of the numpy
backend), so the field core needs ``O(block * P + S * P * N)`` bytes whatever the number of states.
"""

from __future__ import annotations

from amsim.errors import AmsimError


class MemoryPlanError(AmsimError):
    """A computation that cannot fit in the memory available."""


def available_bytes() -> int | None:
    """Bytes available to new allocations (Linux ``MemAvailable``), or None where unknown."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def require(need: int, what: str, copies: int = 1) -> None:
    """Raise :class:`MemoryPlanError` if ``copies`` times ``need`` bytes exceed what is available."""
    free = available_bytes()
    if free is not None and need * copies > free:
        per = f" ({copies} × {gib(need)})" if copies > 1 else ""
        raise MemoryPlanError(f"{what} needs about {gib(need * copies)}{per}, but only {gib(free)} are available")


def field_core_bytes(n_sets: int, n_states: int, n_patterns: int, n: int, block_elements: int) -> int:
    """Peak bytes of one field evaluation of ``n_states`` states against ``n_patterns`` patterns.

    Float64 copies of patterns, targets and their products (3 × 8 S P N), int8 states and codes
    (2 S B N), and one block of float64 candidate arrays (6 × 8 × block elements).  What a backend
    allocates beyond this it reports itself (:func:`backend_scratch_bytes`), and the sign bookkeeping
    of the field core is :func:`sign_bookkeeping_bytes`.
    """
    spn = n_sets * n_patterns * n
    block = min(block_elements, n_sets * n_states * n_patterns)
    return 24 * spn + 2 * n_sets * n_states * n + 48 * block


def backend_scratch_bytes(impl, n_sets: int, n_states: int, n_patterns: int, n: int) -> int:
    """Bytes backend ``impl`` allocates beyond :func:`field_core_bytes` for one term, as its optional
    ``scratch_bytes(n_sets, n_states, n_patterns, n)`` reports them (0 for a backend without it)."""
    report = getattr(impl, "scratch_bytes", None)
    return 0 if report is None else int(report(n_sets, n_states, n_patterns, n))


def sign_bookkeeping_bytes(n_sets: int, n_states: int, n_patterns: int, n: int, n_terms: int) -> int:
    """Bytes of the field core's own arrays (:mod:`amsim.engine.fields`) for ``n_terms`` terms: the
    contiguous int8 targets of each term (S P N each) and, per (set, state, neuron), the certain
    codes of one term of weight 1 (``|field|``, the undecided mask and the int8 codes: 10 bytes) or
    the sum of several (the float64 total, magnitude and bound and their temporaries: 48 bytes)."""
    sbn = n_sets * n_states * n
    per_entry = 10 if n_terms == 1 else 48
    return n_terms * n_sets * n_patterns * n + per_entry * sbn + 16 * n_sets * n_states


def field_signs_bytes(impl, n_sets: int, n_states: int, n_patterns: int, n: int, n_terms: int,
                      block_elements: int) -> int:
    """Peak bytes of :func:`amsim.engine.fields.field_signs_of_terms` with backend ``impl``: the field
    core of each term, the backend's scratch and the sign bookkeeping."""
    shape = (n_sets, n_states, n_patterns, n)
    return (n_terms * field_core_bytes(*shape, block_elements) + backend_scratch_bytes(impl, *shape)
            + sign_bookkeeping_bytes(*shape, n_terms))
