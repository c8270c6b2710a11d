"""What a binary model is: a declaration on the axes of the field core.

``h_i = sum_terms w sum_mu target_i^mu f(m_i^mu)``, ``S <- sgn(h)``; a model chooses

1. its targets: ``form = "auto"`` (target xi^mu, fixed points) or ``"sequence"`` (target xi^{mu+1},
   periodic successor: the patterns rolled by one row, spec §1), or a mixture (MixedNet);
2. the separation function(s) f (:mod:`amsim.engine.separation`) and the overlap they read
   (self-excluded ``R/(N-1)``, or self-included ``g/N`` for the two-layer network);
3. the update schedule: synchronous or asynchronous, a tie policy (:mod:`amsim.engine.ties`) and,
   for delay kernels, how many past states the field reads (``history_length``).

Each model ships its capacity theory as ``transition_capacity(N)`` / ``sequence_capacity(N)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

Form = Literal["auto", "sequence"]
FORMS = ("auto", "sequence")


@dataclass(frozen=True)
class BinaryModel:
    """Base of the binary ±1 models.  Subclasses set ``name`` and implement :meth:`field_signs`."""

    name: ClassVar[str] = ""

    form: Form

    def __post_init__(self):
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {self.form!r}")

    #: number of states the field reads: the current one and ``history_length - 1`` earlier ones
    history_length: ClassVar[int] = 1
    #: whether ties are decided exactly (False: float64 ``h == 0.0`` is the tie test, spec §1)
    exact_ties: ClassVar[bool] = True

    def targets(self, patterns: np.ndarray) -> np.ndarray:
        """What each pattern should map to, ``(..., P, N)``: row mu is xi^mu (auto) or xi^{mu+1}."""
        return patterns if self.form == "auto" else np.roll(patterns, -1, axis=-2)

    def expected_index(self, start: int, step: int, n_patterns: int) -> int:
        """Index of the pattern the network should be in after ``step`` updates from pattern ``start``."""
        return start if self.form == "auto" else (start + step) % n_patterns

    def field_signs(self, history: list[np.ndarray], patterns: np.ndarray, backend) -> np.ndarray:
        """Signs in {-1, 0, +1} of the fields of ``history[0]`` (int8 ``(S, B, N)``), given
        ``history[1:]`` (earlier states, most recent first) and ``patterns (S, P, N)``."""
        raise NotImplementedError

    def transition_capacity(self, n: int) -> float:
        """Theory of the transition capacity P_T(N) (fixed-point capacity for ``auto``)."""
        raise NotImplementedError(f"{self.name} has no transition-capacity law")

    def sequence_capacity(self, n: int) -> float:
        """Theory of the sequence capacity P_S(N) (all patterns fixed points for ``auto``)."""
        raise NotImplementedError(f"{self.name} has no sequence-capacity law")

    def params(self) -> dict:
        """Plain parameters that rebuild this model with :func:`amsim.models.make_model`."""
        raise NotImplementedError
