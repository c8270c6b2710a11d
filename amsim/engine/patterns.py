"""Random pattern sets (spec §1, "Pattern statistics").

All arrays are int8 in {-1, +1} with patterns along the second-to-last axis: ``(..., P, N)``.
"""

from __future__ import annotations

import numpy as np

#: float64 draws made at once while generating patterns (bounds the temporary memory to 8 MiB)
ROW_CHUNK_ELEMENTS = 1 << 20


def rademacher(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """I.i.d. unbiased ±1 bits, ``Pr[+1] = Pr[-1] = 1/2``."""
    return biased(rng, shape, 0.0)


def biased(rng: np.random.Generator, shape: tuple[int, ...], eps: float) -> np.ndarray:
    """I.i.d. ±1 bits with ``Pr[+1] = (1 + eps) / 2``, so ``E[xi] = eps`` (spec §1; not ``Pr[+1] = eps``)."""
    if not 0.0 <= eps <= 1.0:
        raise ValueError(f"pattern bias eps must lie in [0, 1], got {eps}")
    out = np.empty(shape, dtype=np.int8)
    flat = out.reshape(-1, shape[-1]) if out.ndim else out.reshape(1)
    rows = max(1, ROW_CHUNK_ELEMENTS // max(1, flat.shape[-1]))
    for lo in range(0, flat.shape[0], rows):  # chunks keep the float draws small
        plus = rng.random(flat[lo : lo + rows].shape) < (1.0 + eps) / 2.0
        flat[lo : lo + rows] = np.where(plus, 1, -1)
    return out


def diagnostic_overlaps(states: np.ndarray, patterns: np.ndarray) -> np.ndarray:
    """Self-included overlaps ``m^mu = (1/N) sum_i xi_i^mu S_i`` used by recorders and plots.

    ``states (S, B, N)`` and ``patterns (S, P, N)`` give float32 ``(S, B, P)``.
    """
    n = patterns.shape[-1]
    g = states.astype(np.float32) @ np.swapaxes(patterns, -1, -2).astype(np.float32)
    return g / np.float32(n)
