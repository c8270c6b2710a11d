"""Dense associative memories: polynomial and exponential DenseNet (spec §2.2, Eqs. 2, 9, 10).

``h_i = sum_mu t_i^mu f(m_i^mu)`` with ``f(x) = x^d`` (polynomial, Krotov & Hopfield 2016) or
``f(x) = exp((N-1)(x-1))`` (exponential, Demircigil et al. 2017), sequence form ``t = xi^{mu+1}``
(Chaudhry et al. 2023) or auto form ``t = xi^mu``.  The auto and sequence forms share the laws of
Eqs. (9)-(10): their single-bit flip probabilities coincide (spec §2.7, App. C identity).
"""

from __future__ import annotations

from dataclasses import dataclass

from amsim.engine.separation import Exponential, Polynomial, make_separation
from amsim.models.base import BinaryModel, Form
from amsim.models.theory import (
    exponential_sequence_capacity,
    exponential_transition_capacity,
    polynomial_sequence_capacity,
    polynomial_transition_capacity,
)


@dataclass(frozen=True, init=False)
class DenseNet(BinaryModel):
    """Polynomial (``f='poly'``, degree ``d``) or exponential (``f='exp'``) dense network."""

    name = "densenet"

    def __init__(self, f: str = "poly", d: int | None = 2, form: Form = "sequence"):
        separation = make_separation(f, d if f == "poly" else None)
        BinaryModel.__init__(self, form=form, separation=separation)

    @property
    def f(self) -> str:
        return "exp" if isinstance(self.separation, Exponential) else "poly"

    @property
    def d(self) -> int | None:
        return self.separation.d if isinstance(self.separation, Polynomial) else None

    def transition_capacity(self, n):
        """Eq. (9) ``N^d / (2 (2d-1)!! ln N)`` or Eq. (10) ``beta^(N-1) / (2 ln N)``."""
        if self.f == "exp":
            return exponential_transition_capacity(n)
        return polynomial_transition_capacity(n, self.d)

    def sequence_capacity(self, n):
        """Eq. (9) ``N^d / (2 (d+1) (2d-1)!! ln N)`` or Eq. (10) ``beta^(N-1) / (2 N ln beta)``."""
        if self.f == "exp":
            return exponential_sequence_capacity(n)
        return polynomial_sequence_capacity(n, self.d)

    def params(self):
        out = {"model": self.name, "f": self.f, "form": self.form}
        if self.d is not None:
            out["d"] = self.d
        return out
