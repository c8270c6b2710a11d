"""Classic Hopfield network and SeqNet: the linear (d = 1) members of the family.

- Hopfield (spec §2.7): ``h_i = sum_{j != i} J_ij S_j``, ``J_ij = (1/N) sum_mu xi_i^mu xi_j^mu``; same
  signs as ``sum_mu xi_i^mu m_i^mu``.  Hopfield (1982); capacity McEliece et al. (1987).
- SeqNet (spec §2.1, Eq. 1): ``J_ij = (1/N) sum_mu xi_i^{mu+1} xi_j^mu``, the temporally asymmetric
  Hebbian rule (Sompolinsky & Kanter 1986; Kleinfeld 1986); same signs as
  ``sum_mu xi_i^{mu+1} m_i^mu``.  The 1/N of the paper and the engine's 1/(N-1) give identical
  dynamics for a linear f.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from amsim.engine.separation import Polynomial, Separation
from amsim.models.base import BinaryModel, Form
from amsim.models.theory import hopfield_capacity_all_patterns, hopfield_capacity_one_pattern


@dataclass(frozen=True)
class _Linear(BinaryModel):
    separation: Separation = field(default=Polynomial(1))

    def transition_capacity(self, n):
        """``N / (2 ln N)``: one pattern (one transition) correct."""
        return hopfield_capacity_one_pattern(n)

    def sequence_capacity(self, n):
        """``N / (4 ln N)``: every pattern (every transition of the cycle) correct."""
        return hopfield_capacity_all_patterns(n)

    def params(self):
        return {"model": self.name}


@dataclass(frozen=True)
class Hopfield(_Linear):
    """Classic auto-associative Hopfield network (patterns are fixed points)."""

    name = "hopfield"
    form: Form = "auto"


@dataclass(frozen=True)
class SeqNet(_Linear):
    """Temporally asymmetric Hebbian sequence network, ``xi^mu -> xi^{mu+1}``."""

    name = "seqnet"
    form: Form = "sequence"
