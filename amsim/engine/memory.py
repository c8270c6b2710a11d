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
    (2 S B N), and one block of float64 candidate arrays (6 × 8 × block elements).
    """
    spn = n_sets * n_patterns * n
    block = min(block_elements, n_sets * n_states * n_patterns)
    return 24 * spn + 2 * n_sets * n_states * n + 48 * block
