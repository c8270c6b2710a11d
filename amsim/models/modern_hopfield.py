"""Softmax attention dynamics: the modern (continuous) Hopfield network, auto and sequence forms.

Update (Ramsauer et al. 2021, "Hopfield Networks is All You Need"; spec §6):
``x <- Xi_target^T softmax(beta Xi x)``, i.e. for a batch of states ``x`` (rows),
``x_new = softmax(beta x Xi^T) Xi_target`` with ``Xi`` the (P, N) patterns and ``Xi_target`` either
``Xi`` (auto-association, the attention step of a transformer with keys = values = patterns) or the
patterns rolled by one row (sequence form, target xi^{mu+1}; the continuous analogue of the
exponential DenseNet).  Optionally the new state is rescaled to the sphere of radius sqrt(N), where
±1 states live.

Relation to the exponential DenseNet.  For a ±1 state and ``beta = 1`` the softmax weights are
proportional to ``exp(g^mu)`` with the full (self-included) raw overlap ``g^mu = xi^mu . x``, so
``sgn`` of one softmax step is exactly the self-included exponential DenseNet update
``sgn(sum_mu t_i^mu exp(g^mu))``.  The engine's DenseNet uses the self-excluded overlap
``R_i^mu = g^mu - xi_i^mu x_i`` (spec §1): each term differs by the factor ``exp(-+1)``, which
does not change the dominant term, so the two agree wherever one pattern dominates (low load); the
tests check both statements.

Energy (auto form, no normalisation): ``E(x) = -(1/beta) ln sum_mu exp(beta xi^mu . x) + x.x / 2``
(plus constants); the update is its concave-convex (CCCP) step, so ``E`` never increases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Form = Literal["auto", "sequence"]


@dataclass(frozen=True)
class ModernHopfield:
    """Softmax-attention network with inverse temperature ``beta`` (> 0, or 0 for uniform weights)."""

    name = "modern-hopfield"

    beta: float = 1.0
    form: Form = "auto"
    normalize: Literal["none", "sphere"] = "none"

    def __post_init__(self):
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if self.form not in ("auto", "sequence"):
            raise ValueError(f"form must be 'auto' or 'sequence', got {self.form!r}")
        if self.normalize not in ("none", "sphere"):
            raise ValueError(f"normalize must be 'none' or 'sphere', got {self.normalize!r}")

    def targets(self, patterns: np.ndarray) -> np.ndarray:
        """Value vectors ``(..., P, N)``: the patterns (auto) or their periodic successors (sequence)."""
        return patterns if self.form == "auto" else np.roll(patterns, -1, axis=-2)

    def weights(self, x: np.ndarray, patterns: np.ndarray) -> np.ndarray:
        """Attention weights ``softmax(beta x Xi^T)``, shape ``(..., B, P)``, computed stably."""
        logits = self.beta * (x @ np.swapaxes(patterns, -1, -2).astype(np.float64))
        logits -= logits.max(axis=-1, keepdims=True)
        w = np.exp(logits)
        return w / w.sum(axis=-1, keepdims=True)

    def step(self, x: np.ndarray, patterns: np.ndarray) -> np.ndarray:
        """One update of float states ``x (..., B, N)`` against ``patterns (..., P, N)``."""
        new = self.weights(x, patterns) @ self.targets(patterns).astype(np.float64)
        if self.normalize == "sphere":
            norm = np.linalg.norm(new, axis=-1, keepdims=True)
            new = new * (np.sqrt(new.shape[-1]) / np.where(norm > 0, norm, 1.0))
        return new

    def energy(self, x: np.ndarray, patterns: np.ndarray) -> np.ndarray:
        """``-(1/beta) logsumexp(beta Xi x) + |x|^2 / 2`` per state (auto form, beta > 0)."""
        logits = self.beta * (x @ np.swapaxes(patterns, -1, -2).astype(np.float64))
        top = logits.max(axis=-1)
        lse = top + np.log(np.exp(logits - top[..., None]).sum(axis=-1))
        return -lse / self.beta + 0.5 * (x * x).sum(axis=-1)


@dataclass
class SoftmaxTrajectory:
    """Recorded run of a :class:`ModernHopfield` network.

    ``times (T_rec,)``; ``overlaps (T_rec, S, B, P)`` float64 diagnostic overlaps ``(1/N) xi^mu . x``;
    ``retrieval_error (T_rec, S, B)``: mean squared difference ``|x - xi^expected|^2 / N``;
    ``final (S, B, N)``.
    """

    times: np.ndarray
    overlaps: np.ndarray
    retrieval_error: np.ndarray
    final: np.ndarray


def run_softmax(
    model: ModernHopfield, patterns: np.ndarray, steps: int, *, start: int = 0,
    initial: np.ndarray | None = None, record_every: int = 1,
) -> SoftmaxTrajectory:
    """Run ``steps`` updates from ``xi^start`` (or ``initial (S, B, N)`` float states).

    ``patterns`` is ``(P, N)`` or ``(S, P, N)``; the expected pattern after t steps is ``xi^start``
    (auto) or ``xi^{start+t}`` (sequence, periodic).
    """
    if steps < 0 or record_every < 1:
        raise ValueError("steps must be >= 0 and record_every >= 1")
    pats = patterns[None] if patterns.ndim == 2 else patterns
    n_patterns, n = pats.shape[1:]
    x = pats[:, [start % n_patterns]].astype(np.float64) if initial is None else np.array(initial, float)
    times, overlaps, errors = [], [], []

    def record(t):
        expected = start if model.form == "auto" else (start + t) % n_patterns
        times.append(t)
        overlaps.append(x @ np.swapaxes(pats, -1, -2).astype(np.float64) / n)
        diff = x - pats[:, [expected]].astype(np.float64)
        errors.append((diff * diff).sum(axis=-1) / n)

    record(0)
    for t in range(1, steps + 1):
        x = model.step(x, pats)
        if t % record_every == 0 or t == steps:
            record(t)
    return SoftmaxTrajectory(np.array(times), np.stack(overlaps), np.stack(errors), x)
