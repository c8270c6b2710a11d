"""The MixedNet and the Temporal Association Network (spec §2.5, §3.6; Eqs. 13-16).

``h_i(t) = sum_mu [ xi_i^mu f_S(m_i^mu(S(t))) + lam xi_i^{mu+1} f_A(mbar_i^mu(t)) ]``: a symmetric
term on the current state holds the pattern ("fast synapse"), an asymmetric term on the time-averaged
state ``Sbar(t) = sum_rho w(rho) S(t - rho)`` drives the transition ("slow synapse").  TAN:
``f_S = f_A = x`` (Sompolinsky & Kanter 1986); polynomial MixedNet ``x^{d_S}``, ``x^{d_A}``;
exponential MixedNet with both exponential.

Delay kernels ``w``: ``boxcar`` (``1/tau`` on the last tau states including the current one; the
release code and engine default), ``exponential`` (``w ∝ e^{-rho/tau}`` for rho < L, normalised) and
``delay`` (``w = delta_{rho, tau}``).  The pre-history is ``xi^{start-1}`` (``xi^P`` for a start at
``xi^1``), spec §1.  With a single-state kernel (``boxcar`` with tau = 1) the model is memoryless and
its ties are decided exactly (lam enters as the rational it is written as, e.g. 2.5 = 5/2); otherwise
the time-averaged state is real and ``h == 0.0`` is the tie test (spec §1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from amsim.engine.direct import direct_field
from amsim.engine.fields import Term, field_signs_of_terms
from amsim.engine.separation import OVERLAPS, Exponential, Polynomial, Separation, make_separation
from amsim.models.base import BinaryModel, Form
from amsim.models.theory import (
    double_factorial_odd,
    exponential_sequence_capacity,
    exponential_transition_capacity,
)

KERNELS = ("boxcar", "exponential", "delay")


@dataclass(frozen=True)
class MixedNet(BinaryModel):
    """MixedNet with separations ``sym``/``asym``, strength ``lam`` and a delay kernel."""

    name = "mixednet"

    form: Form = "sequence"
    sym: Separation = field(default=Polynomial(1))
    asym: Separation = field(default=Polynomial(1))
    lam: float = 2.5
    tau: int = 1
    kernel: str = "boxcar"
    kernel_length: int | None = None
    overlap: str = "excluded"

    def __post_init__(self):
        if self.form != "sequence":
            raise ValueError("the MixedNet stores sequences (form 'sequence')")
        if not self.lam > 0:
            raise ValueError(f"lam must be > 0, got {self.lam}")
        if self.tau < 1:
            raise ValueError(f"tau must be >= 1, got {self.tau}")
        if self.kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {self.kernel!r}")
        if type(self.sym) is not type(self.asym) and self.history_length == 1:
            raise ValueError("a memoryless MixedNet needs f_S and f_A of one kind (both poly or both exp)")
        if self.overlap not in OVERLAPS or (self.overlap == "included" and self.history_length > 1):
            raise ValueError("overlap must be 'excluded', or 'included' with a memoryless kernel")

    @classmethod
    def build(cls, f_sym="poly", d_sym=1, f_asym="poly", d_asym=1, **params) -> MixedNet:
        """``MixedNet.build(f_sym="poly", d_sym=2, f_asym="poly", d_asym=2, lam=2.5, tau=1, ...)``."""
        return cls(
            sym=make_separation(f_sym, d_sym if f_sym == "poly" else None),
            asym=make_separation(f_asym, d_asym if f_asym == "poly" else None),
            **params,
        )

    @property
    def weights(self) -> np.ndarray:
        """The kernel ``w(rho)``, rho = 0 (current state) ... L-1; sums to 1."""
        if self.kernel == "boxcar":
            return np.full(self.tau, 1.0 / self.tau)
        if self.kernel == "delay":
            return np.eye(self.tau + 1)[self.tau]
        length = self.kernel_length or 3 * self.tau
        w = np.exp(-np.arange(length) / self.tau)
        return w / w.sum()

    @property
    def history_length(self) -> int:  # type: ignore[override]
        return len(self.weights)

    @property
    def exact_ties(self) -> bool:  # type: ignore[override]
        return self.history_length == 1

    def field_signs(self, history, patterns, backend):
        successors = self.targets(patterns)
        if self.history_length == 1:
            terms = [
                Term(patterns, self.sym, 1, self.overlap),
                Term(successors, self.asym, Fraction(str(self.lam)), self.overlap),
            ]
            return field_signs_of_terms(history[0], patterns, terms, backend)
        averaged = sum(w * h.astype(np.float64) for w, h in zip(self.weights, history) if w)
        field_ = direct_field(history[0].astype(np.float64), patterns, patterns, self.sym)
        field_ += self.lam * direct_field(averaged, patterns, successors, self.asym)
        return np.sign(field_).astype(np.int8)

    def _degrees(self) -> tuple[int, int]:
        if not (isinstance(self.sym, Polynomial) and isinstance(self.asym, Polynomial)):
            raise NotImplementedError("capacity laws exist for polynomial or fully exponential MixedNets")
        return self.sym.d, self.asym.d

    def gamma(self) -> float:
        """gamma of Eqs. (15)-(16) (spec §3.6)."""
        d_s, d_a = self._degrees()
        if d_s < d_a:
            return double_factorial_odd(d_s)
        if d_s > d_a:
            return self.lam**2 * double_factorial_odd(d_a)
        d = d_s
        cross = 2 * self.lam * double_factorial_odd((d) // 2) ** 2 if d % 2 == 0 else 0.0
        return (self.lam**2 + 1) * double_factorial_odd(d) + cross

    def _exponential(self) -> bool:
        return isinstance(self.sym, Exponential) and isinstance(self.asym, Exponential)

    def transition_capacity(self, n):
        """Eq. (15) ``(lam-1)^2 N^{d_min} / (2 gamma ln N)``, or ``(lam-1)^2/(lam^2+1)`` times the
        exponential DenseNet's (App. F.2); 0 for lam <= 1, where no transition happens."""
        if self.lam <= 1:
            return 0.0
        if self._exponential():
            return (self.lam - 1) ** 2 / (self.lam**2 + 1) * exponential_transition_capacity(n)
        d_min = min(self._degrees())
        return (self.lam - 1) ** 2 * n**d_min / (2 * self.gamma() * math.log(n))

    def sequence_capacity(self, n):
        """Eq. (16) ``(lam-1)^2 N^{d_min} / (2 (d_min+1) gamma ln N)`` (division by d_min + 1, as the
        paper; the release code divides by d_min), or the exponential analogue; 0 for lam <= 1."""
        if self.lam <= 1:
            return 0.0
        if self._exponential():
            return (self.lam - 1) ** 2 / (self.lam**2 + 1) * exponential_sequence_capacity(n)
        d_min = min(self._degrees())
        return (self.lam - 1) ** 2 * n**d_min / (2 * (d_min + 1) * self.gamma() * math.log(n))

    def dwell_time(self) -> int | None:
        """Noise-free dwell time k* of the boxcar kernel (spec §2.5): the first k in 1..tau with
        ``lam f_A(k/tau) > f_S(1) + lam f_A(1 - k/tau)``; None if the network never moves on."""
        d_s, d_a = self._degrees()
        for k in range(1, self.tau + 1):
            if self.lam * (k / self.tau) ** d_a > 1 + self.lam * (1 - k / self.tau) ** d_a:
                return k
        return None

    def params(self):
        out = {"model": self.name, "lam": self.lam, "tau": self.tau, "kernel": self.kernel}
        for role, sep in (("sym", self.sym), ("asym", self.asym)):
            out[f"f_{role}"] = "exp" if isinstance(sep, Exponential) else "poly"
            if isinstance(sep, Polynomial):
                out[f"d_{role}"] = sep.d
        if self.kernel == "exponential":
            out["kernel_length"] = len(self.weights)
        if self.overlap != "excluded":
            out["overlap"] = self.overlap
        return out
