"""The two-layer biological network (spec §2.6, Section 4 of the paper, Eq. 18; after Krotov &
Hopfield 2021).

N visible ±1 units ``v`` and P hidden (memory) units, one per stored pattern:
``h_mu(t) = f(sum_j W_{j mu} v_j(t))`` with ``W_{j mu} = xi_j^mu / N`` (the self-included overlap
``g^mu / N``), then ``v_j(t+1) = sgn(sum_mu M_{mu j} u_mu h_mu(t))`` with
``M_{mu j} = xi_j^{mu+1}`` (DenseNet weights, ``lam = None``) or ``xi_j^mu + lam xi_j^{mu+1}``
(MixedNet weights with f_S = f_A = f and tau = 1).  The nonlinearity lives in the hidden units, so
every synapse is two-body.  The gate ``u`` silences the memory units listed in ``silenced`` (for the
MixedNet weights that also removes the hold term of that pattern).  Exponential f: ``h_mu =
exp(g^mu - N)`` (the engine's documented choice; the paper does not fix it).

The simulation is explicit: hidden activities, then the visible field as a product with M.  Its
signs are exact: the float field carries an error bound and near-zero fields are decided on the
equivalent one-layer terms in exact arithmetic.  With self-included overlaps in both, the two-layer
model and the one-layer DenseNet/MixedNet give identical states (a test).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from amsim.engine.fields import Term, as_batched, codes_of_field, resolve_ambiguous
from amsim.engine.separation import EPS, Exponential, Polynomial, Separation, make_separation
from amsim.models.base import BinaryModel, Form


@dataclass(frozen=True)
class TwoLayer(BinaryModel):
    """Visible/hidden network; ``lam=None`` for DenseNet weights, a number for MixedNet weights."""

    name = "two-layer"

    form: Form = "sequence"
    separation: Separation = field(default=Polynomial(2))
    lam: float | None = None
    silenced: tuple[int, ...] = ()

    def __post_init__(self):
        if self.form != "sequence":
            raise ValueError("the two-layer network stores sequences (form 'sequence')")
        if self.lam is not None and not self.lam > 0:
            raise ValueError(f"lam must be > 0, got {self.lam}")

    @classmethod
    def build(cls, f: str = "poly", d: int | None = 2, **params) -> TwoLayer:
        return cls(separation=make_separation(f, d if f == "poly" else None), **params)

    def gate(self, n_patterns: int) -> np.ndarray:
        """``u`` (P,) in {0, 1}."""
        u = np.ones(n_patterns)
        for mu in self.silenced:
            if not 0 <= mu < n_patterns:
                raise ValueError(f"silenced memory unit {mu} outside 0..{n_patterns - 1}")
            u[mu] = 0.0
        return u

    def hidden(self, states: np.ndarray, patterns: np.ndarray) -> np.ndarray:
        """Gated hidden activities ``u_mu f(g^mu / N)`` of states ``(S, B, N)``: ``(S, B, P)``,
        each state's row scaled by a positive factor (the exponential's shift)."""
        n = patterns.shape[-1]
        g = states.astype(np.float64) @ np.swapaxes(patterns, -1, -2).astype(np.float64)
        shift = self.separation.shift(g, n, "included")
        return self.separation.values(g, n, shift) * self.gate(patterns.shape[-2])

    def weights_out(self, patterns: np.ndarray) -> np.ndarray:
        """``M (S, P, N)``: hidden-to-visible weights."""
        successors = np.roll(patterns, -1, axis=-2).astype(np.float64)
        return successors if self.lam is None else patterns + self.lam * successors

    def equivalent_terms(self, patterns: np.ndarray) -> list[Term]:
        """The one-layer terms with self-included overlaps that this network computes."""
        u = self.gate(patterns.shape[-2]).astype(np.int8)[:, None]
        successors = np.roll(patterns, -1, axis=-2) * u
        if self.lam is None:
            return [Term(successors, self.separation, 1, "included")]
        return [Term(patterns * u, self.separation, 1, "included"),
                Term(successors, self.separation, Fraction(str(self.lam)), "included")]

    def field_signs(self, history, patterns, backend):
        states, pats, flat = as_batched(history[0], patterns)
        hidden = self.hidden(states, pats)  # (S, B, P)
        visible = hidden @ self.weights_out(pats)  # (S, B, N)
        weight = 1.0 + (self.lam or 0.0)
        # one value error (rel_err ulps) and a P-term sum per entry, on |hidden| * max|M|
        scale = np.abs(hidden).sum(axis=-1, keepdims=True) * weight
        bound = 4 * (pats.shape[1] + 8 + self.separation.rel_err) * EPS * scale
        codes, ambiguous = codes_of_field(visible, bound)
        terms = self.equivalent_terms(patterns)
        pairs = [(t, t.targets[None] if flat else t.targets) for t in terms]
        resolve_ambiguous(codes, states, pats, pairs, ambiguous)
        return codes[0] if flat else codes

    def params(self):
        out = {"model": self.name, "f": "exp" if isinstance(self.separation, Exponential) else "poly"}
        if isinstance(self.separation, Polynomial):
            out["d"] = self.separation.d
        if self.lam is not None:
            out["lam"] = self.lam
        if self.silenced:
            out["silenced"] = list(self.silenced)
        return out
