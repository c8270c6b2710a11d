"""What a binary model is: a declaration on the axes of the field core.

``h_i = sum_mu target_i^mu f(m_i^mu)``, ``S <- sgn(h)``; a model chooses

1. ``form``: ``auto`` (target xi^mu, fixed points) or ``sequence`` (target xi^{mu+1}, periodic
   successor: the targets are the patterns rolled by one row, spec §1);
2. ``separation``: the function f (:mod:`amsim.engine.separation`);
3. the update schedule (synchronous, with a tie policy; :mod:`amsim.engine.ties`).

and ships its capacity theory as ``transition_capacity(N)`` / ``sequence_capacity(N)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import numpy as np

from amsim.engine.separation import Separation

Form = Literal["auto", "sequence"]
FORMS = ("auto", "sequence")


@dataclass(frozen=True)
class BinaryModel:
    """Base of the binary ±1 models.  Subclasses set ``name`` and the theory methods."""

    name: ClassVar[str] = ""

    form: Form
    separation: Separation

    def __post_init__(self):
        if self.form not in FORMS:
            raise ValueError(f"form must be one of {FORMS}, got {self.form!r}")

    def targets(self, patterns: np.ndarray) -> np.ndarray:
        """Target array of the same shape ``(..., P, N)``: row mu is the target of pattern mu."""
        return patterns if self.form == "auto" else np.roll(patterns, -1, axis=-2)

    def expected_index(self, start: int, step: int, n_patterns: int) -> int:
        """Index of the pattern the network should be in after ``step`` updates from pattern ``start``."""
        return start if self.form == "auto" else (start + step) % n_patterns

    def transition_capacity(self, n: int) -> float:
        """Theory of the transition capacity P_T(N) (fixed-point capacity for ``auto``)."""
        raise NotImplementedError

    def sequence_capacity(self, n: int) -> float:
        """Theory of the sequence capacity P_S(N) (all patterns fixed points for ``auto``)."""
        raise NotImplementedError

    def params(self) -> dict:
        """Plain parameters that rebuild this model with :func:`amsim.models.make_model`."""
        raise NotImplementedError
