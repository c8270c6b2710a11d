"""The one field core: exact signs of ``h_i = sum_terms w sum_mu t_i^mu f(m_i^mu)`` for ±1 states.

Shapes and conventions
----------------------
- ``states``:   int8 ``(S, B, N)`` in {-1, +1}: B states for each of S independent pattern sets.
- ``patterns``: int8 ``(S, P, N)`` in {-1, +1}: row mu of set s is xi^mu.
- a :class:`Term` holds ``targets`` int8 ``(S, P, N)`` in {-1, 0, +1} (row mu is the target of
  pattern mu: xi^mu for auto-association, xi^{mu+1} for sequences, 0 for a gated-off memory), a
  separation function, a rational weight and the overlap kind (``excluded``: ``R/(N-1)``, the
  one-layer models; ``included``: ``g/N``, the two-layer network's hidden input).
- Two-dimensional inputs ``(B, N)`` / ``(P, N)`` are one pattern set (S = 1).
- Result: int8 of the states' shape in {-1, 0, +1}; 0 marks an exact tie ``h_i = 0``.

Backends compute each term's float64 field and a rigorous bound on its rounding error
(``term_field``).  Where the combined field is farther from zero than the combined bound its sign is
certain; the remaining few entries are decided in exact arithmetic on the host
(:mod:`amsim.engine.exact`), so every backend returns identical signs, ties included.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from amsim.engine.exact import add_series, series_sign
from amsim.engine.memory import field_core_bytes, require
from amsim.engine.separation import EPS, OVERLAPS, Separation

AMBIGUOUS = 2

#: Elements of one (states x patterns) float block; bounds the memory of a call to O(block + P N).
BLOCK_ELEMENTS = 1 << 22


@dataclass(frozen=True, eq=False)
class Term:
    """One sum over patterns of a field: ``weight * sum_mu targets_i^mu f(overlap_i^mu)``."""

    targets: np.ndarray
    separation: Separation
    weight: Fraction = Fraction(1)
    overlap: str = "excluded"

    def __post_init__(self):
        if self.overlap not in OVERLAPS:
            raise ValueError(f"overlap must be one of {OVERLAPS}, got {self.overlap!r}")
        object.__setattr__(self, "weight", Fraction(self.weight))


def as_batched(states: np.ndarray, patterns: np.ndarray):
    """Return contiguous int8 ``(S, B, N), (S, P, N)`` and whether the input was 2-D."""
    flat = patterns.ndim == 2
    if flat:
        states, patterns = states[None], patterns[None]
    if states.ndim != 3 or patterns.ndim != 3:
        raise ValueError(f"expected states (S,B,N) and patterns (S,P,N); got {states.shape}, {patterns.shape}")
    if states.shape[0] != patterns.shape[0] or states.shape[2] != patterns.shape[2]:
        raise ValueError(f"states {states.shape} do not match patterns {patterns.shape}")
    return np.ascontiguousarray(states, np.int8), np.ascontiguousarray(patterns, np.int8), flat


def term_targets(term: Term, flat: bool) -> np.ndarray:
    targets = term.targets[None] if flat else term.targets
    return np.ascontiguousarray(targets, np.int8)


def combined_codes(impl, states, patterns, terms) -> np.ndarray:
    """Certain signs of the weighted sum of the terms' float fields, :data:`AMBIGUOUS` elsewhere.

    Backends may scale each state's field by a positive factor that depends on the separation and the
    overlap kind (the exponential's shift), so only terms that share both are summed here.
    """
    kinds = {(type(term.separation), term.overlap) for term, _ in terms}
    if len(kinds) > 1:
        raise NotImplementedError(
            "the exact field core sums terms that share one separation kind and overlap kind; "
            f"got {sorted((k.__name__, o) for k, o in kinds)}"
        )
    total = np.zeros(states.shape)
    bound = np.zeros(states.shape[:2] + (1,))
    magnitude = np.zeros(states.shape)
    for term, targets in terms:
        h, b = impl.term_field(states, patterns, targets, term.separation, term.overlap)
        w = float(term.weight)
        total += w * h
        magnitude += abs(w) * np.abs(h)
        bound += abs(w) * b
    # combining the terms adds one rounding per term and per weight
    bound = bound * (1 + 4 * EPS) + 2 * (len(terms) + 2) * EPS * magnitude
    return np.where(np.abs(total) > bound, np.sign(total), AMBIGUOUS).astype(np.int8)


def resolve_ambiguous(codes, states, patterns, terms) -> None:
    """Replace every :data:`AMBIGUOUS` entry of ``codes`` (S, B, N) by its exact sign, in place."""
    n = patterns.shape[2]
    for s, b in zip(*np.nonzero((codes == AMBIGUOUS).any(axis=2))):
        neurons = np.flatnonzero(codes[s, b] == AMBIGUOUS)
        state = states[s, b].astype(np.int64)
        full = patterns[s].astype(np.int64) @ state  # (P,)
        excluded = full[:, None] - patterns[s][:, neurons].astype(np.int64) * state[neurons]
        included = np.broadcast_to(full[:, None], excluded.shape)
        series = [{} for _ in neurons]
        for term, targets in terms:
            raw = excluded if term.overlap == "excluded" else included
            sums = term.separation.exact_sums(raw, targets[s][:, neurons], n, term.overlap)
            for total, part in zip(series, sums):
                add_series(total, part, term.weight)
        codes[s, b, neurons] = [series_sign(total) for total in series]


def field_signs_of_terms(states, patterns, terms: list[Term], backend="numpy") -> np.ndarray:
    """Exact field signs of a sum of terms; see the module docstring for shapes.

    ``backend`` is a backend name (``numpy``, ``numba``, ``auto``) or a backend object.
    """
    from amsim.engine.backends import get_backend

    impl = get_backend(backend) if isinstance(backend, str) else backend
    s3, p3, flat = as_batched(states, patterns)
    require(len(terms) * field_core_bytes(*s3.shape[:2], *p3.shape[1:], BLOCK_ELEMENTS),
            "the field computation")
    pairs = [(term, term_targets(term, flat)) for term in terms]
    codes = combined_codes(impl, s3, p3, pairs)
    resolve_ambiguous(codes, s3, p3, pairs)
    return codes[0] if flat else codes


def field_signs(states, patterns, targets, separation: Separation, backend="numpy",
                overlap: str = "excluded") -> np.ndarray:
    """Exact signs of the single-term field ``sum_mu t_i^mu f(m_i^mu)``."""
    return field_signs_of_terms(states, patterns, [Term(targets, separation, 1, overlap)], backend)
