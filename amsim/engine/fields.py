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
(:mod:`amsim.engine.exact`), so every backend returns identical signs, ties included.  A single term
of weight 1 needs no combining: its bound is the backend's own, and a backend may return its certain
signs directly (optional ``term_codes(states, patterns, targets, separation, overlap) -> (codes,
ambiguous)``, see :func:`certain_codes`), without a float64 field.  Backends may also report the
memory they need beyond the field core (optional ``scratch_bytes(n_sets, n_states, n_patterns, n)``,
:func:`amsim.engine.memory.backend_scratch_bytes`), which is required before anything is allocated.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from amsim.engine.exact import add_series, series_sign
from amsim.engine.memory import field_signs_bytes, require
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


def batched_shape(states: np.ndarray, patterns: np.ndarray):
    """``(S, B, P, N)`` of the inputs, checked, and whether they are 2-D (nothing is copied)."""
    flat = patterns.ndim == 2
    s_shape, p_shape = ((1, *states.shape), (1, *patterns.shape)) if flat else (states.shape, patterns.shape)
    if len(s_shape) != 3 or len(p_shape) != 3:
        raise ValueError(f"expected states (S,B,N) and patterns (S,P,N); got {states.shape}, {patterns.shape}")
    if s_shape[0] != p_shape[0] or s_shape[2] != p_shape[2]:
        raise ValueError(f"states {states.shape} do not match patterns {patterns.shape}")
    return (*s_shape[:2], *p_shape[1:]), flat


def as_batched(states: np.ndarray, patterns: np.ndarray):
    """Return contiguous int8 ``(S, B, N), (S, P, N)`` and whether the input was 2-D."""
    _, flat = batched_shape(states, patterns)
    if flat:
        states, patterns = states[None], patterns[None]
    return np.ascontiguousarray(states, np.int8), np.ascontiguousarray(patterns, np.int8), flat


def term_targets(term: Term, flat: bool) -> np.ndarray:
    targets = term.targets[None] if flat else term.targets
    return np.ascontiguousarray(targets, np.int8)


def codes_of_field(field, bound):
    """``(codes, ambiguous)`` of a float field ``(S, B, N)`` and its bound ``(S, B, 1)``: int8 codes,
    the sign where ``|field| > bound`` and :data:`AMBIGUOUS` elsewhere, and bool ``(S, B)``, the
    states with an AMBIGUOUS entry.  ``field`` is overwritten (by its signs)."""
    undecided = np.abs(field) <= bound
    codes = np.sign(field, out=field).astype(np.int8)
    codes[undecided] = AMBIGUOUS
    return codes, undecided.any(axis=2)


def combined_codes(impl, states, patterns, terms):
    """Certain signs of the weighted sum of the terms' float fields, :data:`AMBIGUOUS` elsewhere, as
    :func:`codes_of_field` returns them.

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
    return codes_of_field(total, bound)


def certain_codes(impl, states, patterns, terms):
    """``(codes, ambiguous)`` of the sum of the terms (see :func:`codes_of_field`).

    A single term of weight 1 (the common case) needs no combining: its field and bound are the
    backend's own, and a backend with ``term_codes`` (the numba backend) returns the codes without a
    float field.  ``codes`` may hold 0 for ties the backend decided exactly.
    """
    if len(terms) == 1 and terms[0][0].weight == 1:
        term, targets = terms[0]
        args = (states, patterns, targets, term.separation, term.overlap)
        if hasattr(impl, "term_codes"):
            return impl.term_codes(*args)
        return codes_of_field(*impl.term_field(*args))
    return combined_codes(impl, states, patterns, terms)


def resolve_ambiguous(codes, states, patterns, terms, ambiguous=None) -> None:
    """Replace every :data:`AMBIGUOUS` entry of ``codes`` (S, B, N) by its exact sign, in place.

    ``ambiguous`` (bool (S, B)) marks the states that have one, where the caller knows them; without
    it ``codes`` is scanned.
    """
    if ambiguous is None:
        ambiguous = (codes == AMBIGUOUS).any(axis=2)
    n = patterns.shape[2]
    for s, b in zip(*np.nonzero(ambiguous)):
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
    shape, _ = batched_shape(states, patterns)
    require(field_signs_bytes(impl, *shape, len(terms), BLOCK_ELEMENTS), "the field computation")
    s3, p3, flat = as_batched(states, patterns)
    pairs = [(term, term_targets(term, flat)) for term in terms]
    codes, ambiguous = certain_codes(impl, s3, p3, pairs)
    resolve_ambiguous(codes, s3, p3, pairs, ambiguous)
    return codes[0] if flat else codes


def field_signs(states, patterns, targets, separation: Separation, backend="numpy",
                overlap: str = "excluded") -> np.ndarray:
    """Exact signs of the single-term field ``sum_mu t_i^mu f(m_i^mu)``."""
    return field_signs_of_terms(states, patterns, [Term(targets, separation, 1, overlap)], backend)
