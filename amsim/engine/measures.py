"""Measurement primitives of the capacity experiments (spec §3.1, §4).

- :func:`transition_errors`: teacher-forced, every transition at once: state xi^mu, compare the
  update with its target (xi^{mu+1} for sequences, xi^mu for auto-association).
- :func:`sequence_recall`: free-running recall from xi^1, stopping at the first error.
"""

from __future__ import annotations

import numpy as np

from amsim.engine.dynamics import run, synchronous_step
from amsim.models.base import BinaryModel


def transition_errors(
    model: BinaryModel, patterns: np.ndarray, backend="numpy", tie_policy: str = "error", rng=None
) -> np.ndarray:
    """Bit errors of every teacher-forced transition.

    Parameters
    ----------
    patterns : int8 (P, N) or (S, P, N)

    Returns
    -------
    int64 (P,) or (S, P): the number of neurons of ``T(xi^mu)`` that differ from the target of
    pattern mu, ties counted as errors under the ``error`` policy.  Row ``P-1`` of a sequence model
    is the wrap-around transition ``xi^P -> xi^1``.  A model with a delay kernel sees a history in
    which the network has dwelt in xi^mu.
    """
    pats = patterns[None] if patterns.ndim == 2 else patterns
    targets = model.targets(pats)
    history = [pats] * model.history_length  # each state has dwelt in its pattern
    new, tie_errors, _ = synchronous_step(model, pats, history, backend, tie_policy, rng)
    errors = ((new != targets) | tie_errors).sum(-1)
    return errors[0] if patterns.ndim == 2 else errors


#: states in the first batch of :func:`all_transitions_pass` (the batches double)
WITNESS_STATES = 16


def all_transitions_pass(model: BinaryModel, patterns: np.ndarray, backend="numpy") -> np.ndarray:
    """Whether every teacher-forced transition of each set is error-free, ties counting as errors.

    Equal to ``(transition_errors(model, patterns) == 0).all(-1)``, but witness first: the states
    ``xi^mu`` are checked in batches of ``16, 32, 64, ...`` and a set drops out at its first wrong
    transition, so a failing set (most probes of a descending search) costs the fields of a few
    states instead of all P.  ``patterns`` int8 (P, N) or (S, P, N); returns bool () or (S,).
    """
    pats = patterns[None] if patterns.ndim == 2 else patterns
    n_patterns = pats.shape[1]
    targets = model.targets(pats)
    ok = np.ones(pats.shape[0], bool)
    lo, size = 0, WITNESS_STATES
    while lo < n_patterns and ok.any():
        live, hi = np.flatnonzero(ok), min(n_patterns, lo + size)
        states = np.ascontiguousarray(pats[live, lo:hi])  # each state has dwelt in its pattern
        signs = model.field_signs([states] * model.history_length, pats[live], backend)
        ok[live] = (signs == targets[live, lo:hi]).all(axis=(1, 2))
        lo, size = hi, 2 * size
    return ok[0] if patterns.ndim == 2 else ok


def sequence_recall(
    model: BinaryModel,
    patterns: np.ndarray,
    steps: int | None = None,
    backend="numpy",
    tie_policy: str = "error",
    rng=None,
) -> dict[str, np.ndarray]:
    """Run each sequence freely from xi^1 for ``steps`` updates (default P: the whole cycle, back to xi^1).

    Returns
    -------
    dict with
        ``first_error``: int64 (S,) or scalar, the step of the first wrong transition (-1 if none);
        ``n_correct``: int64, the number of correct transitions before it (``steps`` if none);
        ``success``: bool, no error in ``steps`` steps.
    """
    pats = patterns[None] if patterns.ndim == 2 else patterns
    n_steps = pats.shape[1] if steps is None else steps
    traj = run(
        model, pats, n_steps, start=0, backend=backend, tie_policy=tie_policy, rng=rng,
        record_overlaps=False, stop="first_error",
    )
    first_error = traj.stopped_at[:, 0]
    n_correct = np.where(first_error > 0, first_error - 1, n_steps)
    out = {"first_error": first_error, "n_correct": n_correct, "success": first_error < 0}
    if patterns.ndim == 2:
        out = {k: v[0] for k, v in out.items()}
    return out


def timing(closest: np.ndarray, n_patterns: int) -> dict[str, float]:
    """Timing of a sequence run from the pattern the state is closest to at each recorded step.

    Parameters
    ----------
    closest : int (T,), the index of the pattern with the largest diagnostic overlap at t = 0..T-1
        (recorded every step).

    Returns
    -------
    dict with ``transitions`` (changes of the closest pattern), ``order_correct`` (fraction of them
    that go from mu to mu+1, periodic; 1 when there are none), ``mean_dwell`` (mean number of steps
    between consecutive transitions, NaN with fewer than two) and ``dwell_times`` (that list).
    """
    changes = np.flatnonzero(np.diff(closest)) + 1
    steps = (closest[changes] - closest[changes - 1]) % n_patterns
    dwell = np.diff(changes)
    return {
        "transitions": int(changes.size),
        "order_correct": float((steps == 1).mean()) if changes.size else 1.0,
        "mean_dwell": float(dwell.mean()) if dwell.size else float("nan"),
        "dwell_times": dwell.tolist(),
    }
