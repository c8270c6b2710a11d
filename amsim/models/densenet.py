"""Dense associative memories and their linear members (spec §2.1, §2.2, §2.4, §2.7).

``h_i = sum_mu t_i^mu f(m_i^mu)`` with ``f(x) = x^d`` (polynomial, Krotov & Hopfield 2016;
``d = 1``: Hopfield 1982 and SeqNet) or ``f(x) = exp((N-1)(x-1))`` (exponential, Demircigil et al.
2017), targets ``t = xi^{mu+1}`` (sequence form, Chaudhry et al. 2023) or ``xi^mu`` (auto form).

- ``rule = "hebbian"`` (default): the overlaps themselves; ``"gpi"``: decorrelated by the
  pseudoinverse of the pattern overlap matrix (:mod:`amsim.models.pseudoinverse`).
- ``overlap = "excluded"`` (default, spec §1) or ``"included"``: the self-included overlap ``g/N``
  that the two-layer network's hidden units see (spec §2.6; used to show their equivalence).

The auto and sequence forms share the laws of Eqs. (9)-(10): their single-bit flip probabilities
coincide (spec §2.7, App. C identity).  Auto-form Hebbian models are symmetric and have an exact
energy that asynchronous updates never increase (:meth:`DenseNet.energy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from amsim.engine.fields import Term, field_signs_of_terms
from amsim.engine.separation import OVERLAPS, Exponential, Polynomial, Separation, make_separation
from amsim.models.base import BinaryModel, Form
from amsim.models.pseudoinverse import VARIANTS, gpi_field
from amsim.models.theory import (
    exponential_sequence_capacity,
    exponential_transition_capacity,
    polynomial_sequence_capacity,
    polynomial_transition_capacity,
)

Rule = Literal["hebbian", "gpi"]


@dataclass(frozen=True)
class DenseNet(BinaryModel):
    """Polynomial or exponential dense network, Hebbian or pseudoinverse (see the module docstring)."""

    name = "densenet"

    form: Form = "sequence"
    separation: Separation = field(default=Polynomial(2))
    rule: Rule = "hebbian"
    overlap: str = "excluded"
    gpi: str = "self-excluded"
    rtol: float = 1e-10

    def __post_init__(self):
        BinaryModel.__post_init__(self)
        if self.rule not in ("hebbian", "gpi"):
            raise ValueError(f"rule must be 'hebbian' or 'gpi', got {self.rule!r}")
        if self.overlap not in OVERLAPS:
            raise ValueError(f"overlap must be one of {OVERLAPS}, got {self.overlap!r}")
        if self.gpi not in VARIANTS:
            raise ValueError(f"gpi normalisation must be one of {VARIANTS}, got {self.gpi!r}")
        if self.rule == "gpi" and self.overlap != "excluded":
            raise ValueError("the GPI rule chooses its overlaps with gpi=, not overlap=")

    @classmethod
    def build(cls, f: str = "poly", d: int | None = 2, **params) -> DenseNet:
        """``DenseNet.build(f="poly", d=2, form="sequence", rule="hebbian", ...)``."""
        return cls(separation=make_separation(f, d if f == "poly" else None), **params)

    @property
    def exact_ties(self) -> bool:
        return self.rule == "hebbian"

    @property
    def f(self) -> str:
        return "exp" if isinstance(self.separation, Exponential) else "poly"

    @property
    def d(self) -> int | None:
        return self.separation.d if isinstance(self.separation, Polynomial) else None

    def field_signs(self, history, patterns, backend):
        states, targets = history[0], self.targets(patterns)
        if self.rule == "gpi":
            return np.sign(gpi_field(states, patterns, targets, self.separation, self.gpi, self.rtol)).astype(np.int8)
        return field_signs_of_terms(states, patterns, [Term(targets, self.separation, 1, self.overlap)], backend)

    def energy(self, states: np.ndarray, patterns: np.ndarray) -> np.ndarray:
        """Energy ``E(S) = -sum_mu Phi(g^mu)`` of the symmetric (auto, Hebbian, self-excluded) models.

        ``Phi`` is the discrete antiderivative ``Phi(r+1) - Phi(r-1) = f(r/(N-1))`` on integers of the
        parity of N, so flipping neuron i from s changes E by exactly ``s h_i``: an asynchronous
        update never increases E (a tie keeps the bit and E).  For f(x) = x this is half the classic
        Hopfield energy, up to a constant.  ``states (..., B, N)``, ``patterns (..., P, N)`` -> ``(..., B)``.
        """
        if self.form != "auto" or self.rule != "hebbian" or self.overlap != "excluded":
            raise ValueError("an energy exists for auto-form Hebbian models with self-excluded overlaps")
        n = patterns.shape[-1]
        r = np.arange(-n, n, 2) + 1.0  # midpoints between consecutive values of g
        steps = self.separation.values(r, n - 1, n - 1.0) if isinstance(self.separation, Exponential) \
            else self.separation.values(r, n - 1, 0.0)
        phi = np.concatenate([[0.0], np.cumsum(steps)])  # Phi at g = -N, -N+2, ..., N
        g = states.astype(np.int64) @ np.swapaxes(patterns, -1, -2).astype(np.int64)
        return -phi[(g + n) // 2].sum(axis=-1)

    def transition_capacity(self, n):
        """Eq. (9) ``N^d / (2 (2d-1)!! ln N)`` or Eq. (10) ``beta^(N-1) / (2 ln N)`` (Hebbian rule)."""
        if self.f == "exp":
            return exponential_transition_capacity(n)
        return polynomial_transition_capacity(n, self.d)

    def sequence_capacity(self, n):
        """Eq. (9) ``N^d / (2 (d+1) (2d-1)!! ln N)`` or Eq. (10) ``beta^(N-1) / (2 N ln beta)``."""
        if self.f == "exp":
            return exponential_sequence_capacity(n)
        return polynomial_sequence_capacity(n, self.d)

    def params(self):
        out = {"model": self.name}
        if self.name == "densenet":
            out.update(f=self.f, form=self.form)
            if self.d is not None:
                out["d"] = self.d
        if self.rule != "hebbian":
            out.update(rule=self.rule, gpi=self.gpi, rtol=self.rtol)
        if self.overlap != "excluded":
            out["overlap"] = self.overlap
        return out


@dataclass(frozen=True)
class Hopfield(DenseNet):
    """Classic auto-associative Hopfield network: ``J_ij = (1/N) sum_mu xi_i^mu xi_j^mu``, j != i
    (spec §2.7); ``rule="gpi"`` gives the Kanter-Sompolinsky pseudoinverse network.  Capacity
    ``N/(2 ln N)`` (one pattern) and ``N/(4 ln N)`` (all patterns, McEliece et al. 1987)."""

    name = "hopfield"
    form: Form = "auto"
    separation: Separation = field(default=Polynomial(1))


@dataclass(frozen=True)
class SeqNet(DenseNet):
    """Temporally asymmetric Hebbian sequence network, ``J_ij = (1/N) sum_mu xi_i^{mu+1} xi_j^mu``
    (spec §2.1; Sompolinsky & Kanter 1986, Kleinfeld 1986); the 1/N of the paper and the engine's
    1/(N-1) give identical dynamics for a linear f."""

    name = "seqnet"
    form: Form = "sequence"
    separation: Separation = field(default=Polynomial(1))
