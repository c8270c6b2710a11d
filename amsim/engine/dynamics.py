"""The time loop: synchronous updates of a batch of trials, with recorders and stop conditions.

Shapes: ``patterns (S, P, N)`` (S independent pattern sets, or ``(P, N)`` for one), trials
``(S, B, N)``.  Step ``t`` maps the state at time ``t-1`` to the state at time ``t``; time 0 is the
initial state.

Stop conditions (per trial; a stopped trial is frozen and the loop ends when every trial stopped;
deterministic updates stop evaluating the fields of stopped trials, :func:`update_active`):

- ``fixed_point``: the update left the state unchanged (and no tie error occurred);
- ``first_error``: the new state differs from the expected pattern, or a tie counted as an error;
- ``sequence_complete``: every transition of the cycle so far was correct and the state is back at
  the start pattern after P steps (implies ``first_error``).

"Expected pattern" needs a start pattern index: ``xi^{start+t}`` for sequence models, ``xi^{start}``
for auto-associative ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amsim.engine.patterns import diagnostic_overlaps
from amsim.engine.ties import apply_signs
from amsim.models.base import BinaryModel

STOP_CONDITIONS = ("fixed_point", "first_error", "sequence_complete")


@dataclass
class Trajectory:
    """What a run recorded.

    Attributes
    ----------
    times : int64 (T_rec,)
        The recorded times (0 = initial state, then every ``record_every`` steps, and the last step).
    overlaps : float32 (T_rec, S, B, P) or None
        Diagnostic overlaps ``m^mu(t) = (1/N) sum_i xi_i^mu S_i(t)`` (spec §1, self-included).
    states : int8 (T_rec, S, B, N) or None
        The recorded states.
    errors : int32 (T, S, B) or None
        Bit errors of step ``t = 1..T`` against the expected pattern (ties under the ``error``
        policy count); None without a start pattern.
    ties : int32 (T, S, B)
        Exact ties ``h_i = 0`` at each step.
    stopped_at : int64 (S, B)
        The step at which each trial stopped (-1: it ran to the end).
    final : int8 (S, B, N)
        The last state of every trial.
    """

    times: np.ndarray
    overlaps: np.ndarray | None
    states: np.ndarray | None
    errors: np.ndarray | None
    ties: np.ndarray
    stopped_at: np.ndarray
    final: np.ndarray

    @property
    def steps(self) -> int:
        return self.ties.shape[0]


def synchronous_step(model, patterns, history, backend, tie_policy, rng):
    """One synchronous update ``S <- sgn(h)`` of ``history[0]`` (int8 ``(S, B, N)``).

    Returns ``(states, tie_errors, ties)``.
    """
    signs = model.field_signs(history, patterns, backend)
    new, tie_errors = apply_signs(signs, history[0], tie_policy, rng)
    return new, tie_errors, signs == 0


def asynchronous_sweep(model, patterns, history, backend, tie_policy, rng):
    """One sweep of single-neuron updates in a random order per trial (drawn from ``rng``).

    Neuron ``order[k]`` of each trial is updated from the state left by the previous ``k`` updates.
    The reference implementation evaluates the full field before each single update: ``O(N^2 P)`` per
    sweep.  Returns ``(states, tie_errors, ties)`` like :func:`synchronous_step`.
    """
    if rng is None:
        raise ValueError("asynchronous updates need a random generator for the update order")
    state = history[0].copy()
    order = np.argsort(rng.random(state.shape), axis=-1)  # (S, B, N): a permutation per trial
    tie_errors = np.zeros(state.shape, bool)
    ties = np.zeros(state.shape, bool)
    for k in range(state.shape[-1]):
        neuron = order[..., k : k + 1]
        signs = np.take_along_axis(model.field_signs([state, *history[1:]], patterns, backend), neuron, -1)
        new, tie_error = apply_signs(signs, np.take_along_axis(state, neuron, -1), tie_policy, rng)
        np.put_along_axis(state, neuron, new, -1)
        np.put_along_axis(tie_errors, neuron, tie_error, -1)
        np.put_along_axis(ties, neuron, signs == 0, -1)
    return state, tie_errors, ties


SCHEDULES = {"sync": synchronous_step, "async": asynchronous_sweep}


def update_active(model, patterns, history, backend, tie_policy, active):
    """:func:`synchronous_step` of the trials that are still running (``active`` bool ``(S, B)``).

    Evaluates the fields of the smallest rectangle of pattern sets x trials that holds every active
    trial, so a set whose trials all stopped costs nothing; the other entries keep their state.
    Only for deterministic updates (no draws from a generator): the result equals the full step on
    every active trial.
    """
    sets = np.flatnonzero(active.any(axis=1))
    trials = np.flatnonzero(active[sets].any(axis=0))
    pick = np.ix_(sets, trials)
    new_sub, errors_sub, tied_sub = synchronous_step(
        model, patterns[sets], [h[pick] for h in history], backend, tie_policy, None)
    new = history[0].copy()
    tie_errors = np.zeros(new.shape, bool)
    tied = np.zeros(new.shape, bool)
    new[pick], tie_errors[pick], tied[pick] = new_sub, errors_sub, tied_sub
    return new, tie_errors, tied


def initial_history(model, patterns, state, start):
    """``[state, earlier states...]``: the pre-history is ``xi^{start-1}`` (``xi^P`` before ``xi^1``,
    spec §1) when the run starts at a pattern, else the initial state itself."""
    if model.history_length == 1:
        return [state]
    before = state if start is None else patterns[:, [(start - 1) % patterns.shape[1]]]
    before = np.broadcast_to(before, state.shape).astype(np.int8)
    return [state] + [before] * (model.history_length - 1)


def run(
    model: BinaryModel,
    patterns: np.ndarray,
    steps: int,
    *,
    start: int | None = 0,
    initial: np.ndarray | None = None,
    backend="numpy",
    tie_policy: str = "error",
    rng: np.random.Generator | None = None,
    record_every: int = 1,
    record_overlaps: bool = True,
    record_states: bool = False,
    stop: str | None = None,
    schedule: str = "sync",
) -> Trajectory:
    """Run ``steps`` synchronous updates.

    Parameters
    ----------
    patterns : int8 (P, N) or (S, P, N)
    start : index of the start pattern; the initial state of every trial is ``xi^start`` unless
        ``initial`` is given.  Error counts and the error-based stop conditions need it.
    initial : int8 (B, N) or (S, B, N), optional initial states (then ``start`` only defines the
        expected patterns, or is None); ``(B, N)`` starts every pattern set from the same states.
    record_every : record overlaps / states every k steps (time 0 and the last step always).
    stop : None or one of :data:`STOP_CONDITIONS`.
    schedule : ``sync`` (all neurons at once, the default) or ``async`` (one step is one sweep of
        single-neuron updates in random order, drawn from ``rng``).
    """
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if record_every < 1:
        raise ValueError(f"record_every must be >= 1, got {record_every}")
    if schedule not in SCHEDULES:
        raise ValueError(f"unknown schedule {schedule!r}; expected one of {tuple(SCHEDULES)}")
    if stop is not None and stop not in STOP_CONDITIONS:
        raise ValueError(f"unknown stop condition {stop!r}; expected one of {STOP_CONDITIONS}")
    if stop in ("first_error", "sequence_complete") and start is None:
        raise ValueError(f"stop condition {stop!r} needs a start pattern")
    pats = patterns[None] if patterns.ndim == 2 else patterns
    n_sets, n_patterns, n = pats.shape
    if initial is None:
        if start is None:
            raise ValueError("give a start pattern or initial states")
        state = pats[:, [start % n_patterns], :].copy()
    else:
        state = np.array(initial[None] if initial.ndim == 2 else initial, dtype=np.int8)
        state = np.ascontiguousarray(np.broadcast_to(state, (n_sets, *state.shape[1:])))
    history = initial_history(model, pats, state, start)
    update = SCHEDULES[schedule]
    n_trials = state.shape[1]

    times, overlaps, states = [0], [], []

    def record():
        if record_overlaps:
            overlaps.append(diagnostic_overlaps(state, pats))
        if record_states:
            states.append(state.copy())

    record()
    errors = np.zeros((steps, n_sets, n_trials), np.int32) if start is not None else None
    ties = np.zeros((steps, n_sets, n_trials), np.int32)
    stopped_at = np.full((n_sets, n_trials), -1, np.int64)
    active = np.ones((n_sets, n_trials), bool)
    # a deterministic update may skip stopped trials; one that draws from rng must not (replay)
    skip_stopped = schedule == "sync" and tie_policy != "random"
    for t in range(1, steps + 1):
        if skip_stopped and not active.all():
            new, tie_errors, tied = update_active(model, pats, history, backend, tie_policy, active)
        else:
            new, tie_errors, tied = update(model, pats, history, backend, tie_policy, rng)
        new = np.where(active[..., None], new, state)
        ties[t - 1] = np.where(active, tied.sum(-1), 0)
        failed = np.zeros_like(active)
        if errors is not None:
            expected = pats[:, model.expected_index(start, t, n_patterns)][:, None, :]
            bad = (new != expected) | tie_errors
            errors[t - 1] = np.where(active, bad.sum(-1), 0)
            failed = errors[t - 1] > 0
        if stop == "fixed_point":
            done = (new == state).all(-1) & ~tie_errors.any(-1)
        elif stop == "first_error":
            done = failed
        elif stop == "sequence_complete":
            done = failed | (t % n_patterns == 0)
        else:
            done = np.zeros_like(active)
        newly = active & done
        stopped_at[newly] = t
        active &= ~done
        state = new
        history = [state, *history[:-1]]
        last = t == steps or not active.any()
        if t % record_every == 0 or last:
            times.append(t)
            record()
        if not active.any():
            errors = errors[:t] if errors is not None else None
            ties = ties[:t]
            break
    return Trajectory(
        times=np.array(times, np.int64),
        overlaps=np.stack(overlaps) if record_overlaps else None,
        states=np.stack(states) if record_states else None,
        errors=errors,
        ties=ties,
        stopped_at=stopped_at,
        final=state,
    )
