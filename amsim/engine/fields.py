"""The one field core: exact signs of ``h_i = sum_mu t_i^mu f(m_i^mu)`` for batches of ±1 states.

Shapes and conventions
----------------------
- ``states``:   int8 ``(S, B, N)`` in {-1, +1}: B states for each of S independent pattern sets.
- ``patterns``: int8 ``(S, P, N)`` in {-1, +1}: row mu of set s is xi^mu.
- ``targets``:  int8 ``(S, P, N)`` in {-1, +1}: row mu is the target of pattern mu (xi^mu for
  auto-association, xi^{mu+1} for sequences).
- Two-dimensional inputs ``(B, N)`` / ``(P, N)`` are one pattern set (S = 1).
- Result: int8 of the states' shape in {-1, 0, +1}; 0 marks an exact tie ``h_i = 0``.

Backends compute *codes*: the sign where the float64 field is farther from zero than its rounding
error bound, and :data:`AMBIGUOUS` elsewhere.  :func:`resolve_ambiguous` then decides those few
entries in exact arithmetic on the host, so every backend returns identical signs, ties included.
"""

from __future__ import annotations

import numpy as np

from amsim.engine.memory import field_core_bytes, require
from amsim.engine.separation import Separation

AMBIGUOUS = 2

#: Elements of one (states x patterns) float block; bounds the memory of a call to O(block + P N).
BLOCK_ELEMENTS = 1 << 22


def as_batched(states: np.ndarray, patterns: np.ndarray, targets: np.ndarray):
    """Return 3-D int8 views ``(S, B, N), (S, P, N), (S, P, N)`` and whether the input was 2-D."""
    flat = patterns.ndim == 2
    if flat:
        states, patterns, targets = states[None], patterns[None], targets[None]
    if states.ndim != 3 or patterns.ndim != 3 or targets.shape != patterns.shape:
        raise ValueError(
            f"expected states (S,B,N), patterns and targets (S,P,N); got {states.shape}, "
            f"{patterns.shape}, {targets.shape}"
        )
    if states.shape[0] != patterns.shape[0] or states.shape[2] != patterns.shape[2]:
        raise ValueError(f"states {states.shape} do not match patterns {patterns.shape}")
    cast = [np.ascontiguousarray(a, dtype=np.int8) for a in (states, patterns, targets)]
    return (*cast, flat)


def resolve_ambiguous(codes, states, patterns, targets, separation: Separation) -> None:
    """Replace every :data:`AMBIGUOUS` entry of ``codes`` (S, B, N) by its exact sign, in place."""
    n = patterns.shape[2]
    for s, b in zip(*np.nonzero((codes == AMBIGUOUS).any(axis=2))):
        neurons = np.flatnonzero(codes[s, b] == AMBIGUOUS)
        xi = patterns[s][:, neurons].astype(np.int64)  # (P, K)
        state = states[s, b].astype(np.int64)
        full = patterns[s].astype(np.int64) @ state  # (P,)
        raw = full[:, None] - xi * state[neurons][None, :]  # self-excluded, (P, K)
        codes[s, b, neurons] = separation.exact_signs(raw, targets[s][:, neurons], n)


def field_signs(states, patterns, targets, separation: Separation, backend="numpy") -> np.ndarray:
    """Exact field signs of every state; see the module docstring for shapes.

    ``backend`` is a backend name (``numpy``, ``numba``, ``auto``) or a backend object.
    """
    from amsim.engine.backends import get_backend

    impl = get_backend(backend) if isinstance(backend, str) else backend
    s3, p3, t3, flat = as_batched(states, patterns, targets)
    require(field_core_bytes(*s3.shape[:2], *p3.shape[1:], BLOCK_ELEMENTS), "the field computation")
    codes = impl.field_codes(s3, p3, t3, separation)
    resolve_ambiguous(codes, s3, p3, t3, separation)
    return codes[0] if flat else codes
