"""Capacity-measurement protocols (spec §3.1, §4.1-4.2, pitfalls §7 items 4, 5, 8, 9).

A protocol turns a *trial oracle* into a capacity.  The oracle is any callable

    trial(P, n_trials, rng) -> int

that draws ``n_trials`` independent fresh pattern sets with ``P`` patterns from ``rng`` and returns
how many of them satisfied the measured event.  Its success probability ``p(P)`` is the quantity all
three protocols look at; :func:`network_trial` builds the oracle of a network, and any function of
``P`` can stand in for it (the tests use synthetic success models with known ``p(P)``).

Protocols
---------
- ``paper`` (spec §4.1, App. G) and ``code`` (spec §4.2, the release code): the descending search
  :func:`descending_search`.  One trial per probe; start at ``P0``, and after a failure
  ``P <- int(0.99 P)`` (exactly ``P - 1`` for ``P <= 100``) down to ``P = 1``; the first success is
  the capacity.  The two protocols differ only in their event (:func:`default_event`).
- ``threshold`` (amsim's own, the default): :func:`threshold_search` estimates the largest ``P`` whose
  success probability is at least a stated target, with a confidence interval.

Draws (``paper``/``code`` only)
-------------------------------
``fresh`` (default, the paper's): every probe draws new pattern sets.  ``nested``
(:func:`nested_descending_search`): one draw of ``start`` patterns per sequence, and probe P scores
its first P patterns; all probes come out of one pass over the draw (:mod:`amsim.engine.prefix`),
about ``N P*^2`` work instead of ``sum_probes N P^2``.  Each probe has the law of a fresh draw, but
the probes of one repetition are correlated: the nested capacity is (for a monotone realisation) the
largest P that the one draw supports, while fresh draws give every probe a new chance to succeed,
so fresh capacities are stochastically larger by about the width of the region where ``p(P)`` falls
from 1 to 0 (details in :mod:`amsim.engine.prefix`; tests/test_prefix.py compares both).

Events (what one trial scores; a trial succeeds iff all of its ``sequences`` independent sequences do)

=========  ==========  ======================================================================
measure    scope       one sequence succeeds iff
=========  ==========  ======================================================================
transition ``first``   ``T(xi^1) = xi^2`` (the definition of P_T, spec §3.1)
transition ``all``     all P teacher-forced transitions, wrap-around ``xi^P -> xi^1`` included
sequence   ``cycle``   P serial steps from ``xi^1`` back to ``xi^1`` (the definition of P_S)
sequence   ``open``    P - 1 serial steps from ``xi^1`` (release code: no wrap-around)
=========  ==========  ======================================================================

Protocol defaults (spec §4.2, "bit events per criterion"): ``paper`` transition = 100 sequences,
``all``; ``paper`` sequence = 100 sequences, ``cycle``; ``code`` transition = 1 sequence, ``all``;
``code`` sequence = 100 sequences, ``open``; ``threshold`` = 1 sequence, ``first`` or ``cycle``.
For an auto-associative model (targets xi^mu) a "transition" is one pattern being a fixed point and a
"sequence" is every pattern being one (the ``cycle``/``open`` distinction does not apply).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from amsim.engine.backends import get_backend
from amsim.engine.fields import BLOCK_ELEMENTS
from amsim.engine.measures import all_transitions_pass, sequence_recall
from amsim.engine.memory import field_core_bytes, field_signs_bytes, require
from amsim.engine.patterns import biased
from amsim.errors import AmsimError
from amsim.models.base import BinaryModel

PROTOCOLS = ("paper", "code", "threshold")
DRAWS = ("fresh", "nested")
MEASURES = ("transition", "sequence")
SCOPES = {"transition": ("first", "all"), "sequence": ("cycle", "open")}

#: ``trial(P, n_trials, rng) -> number of successes``
Trial = Callable[[int, int, np.random.Generator], int]

#: Repetitions 0..4 of a descending search start at ``start_factor * theory``; later ones at
#: ``int(1.25 * max(earlier capacities))`` (spec §4.2).
THEORY_STARTS = 5
RESTART_FACTOR = 1.25

#: Working-memory budget of one batch of pattern sets (estimated with :mod:`amsim.engine.memory`).
CHUNK_BYTES = 1 << 26
#: Sets per batch while one event is being decided: small batches let a failed event stop early.
EVENT_BATCH = 10


@dataclass(frozen=True)
class Event:
    """What one trial scores: every one of ``sequences`` fresh sequences passes ``measure``/``scope``."""

    measure: str
    scope: str
    sequences: int

    def __post_init__(self):
        if self.measure not in MEASURES:
            raise AmsimError(f"measure must be one of {', '.join(MEASURES)}, got {self.measure!r}")
        if self.scope not in SCOPES[self.measure]:
            raise AmsimError(
                f"scope {self.scope!r} does not apply to the {self.measure} measure; "
                f"expected one of {', '.join(SCOPES[self.measure])}"
            )
        if self.sequences < 1:
            raise AmsimError(f"sequences per trial must be >= 1, got {self.sequences}")


def default_event(protocol: str, measure: str, sequences: int | None = None, scope: str | None = None) -> Event:
    """The event a protocol scores (table in the module docstring); explicit arguments override it."""
    if protocol not in PROTOCOLS:
        raise AmsimError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    if measure not in MEASURES:
        raise AmsimError(f"measure must be one of {', '.join(MEASURES)}, got {measure!r}")
    defaults = {
        ("paper", "transition"): ("all", 100),
        ("paper", "sequence"): ("cycle", 100),
        ("code", "transition"): ("all", 1),
        ("code", "sequence"): ("open", 100),
        ("threshold", "transition"): ("first", 1),
        ("threshold", "sequence"): ("cycle", 1),
    }
    default_scope, default_sequences = defaults[protocol, measure]
    return Event(measure, scope or default_scope, default_sequences if sequences is None else sequences)


def resolve_target(c: float | None = None, target: float | None = None) -> float:
    """The success-probability target of the threshold protocol: ``1 - c`` or ``target``.

    ``c = 0`` ("every trial succeeds") cannot be certified by finitely many trials and is refused;
    state a target such as 0.5 or 0.9 instead.  Exactly one of ``c`` and ``target`` may be given;
    neither gives 0.5.
    """
    if c is not None and target is not None:
        raise AmsimError("give either the tolerance c or the target probability, not both")
    if c is not None:
        if c == 0:
            raise AmsimError(
                "c = 0 (every trial succeeds) cannot be estimated from finitely many trials; "
                "state a target success probability instead, e.g. 0.5 or 0.9"
            )
        if not 0 < c < 1:
            raise AmsimError(f"the tolerance c must lie in (0, 1), got {c}")
        return 1.0 - c
    target = 0.5 if target is None else target
    if not 0 < target < 1:
        raise AmsimError(f"the target success probability must lie in (0, 1), got {target}")
    return target


# ----------------------------------------------------------------------------------------------
# Results


@dataclass
class Probe:
    """One probed pattern count: ``trials`` independent trials at ``P`` patterns, ``successes`` passed."""

    P: int
    trials: int
    successes: int


@dataclass
class Repetition:
    """One search.

    Attributes
    ----------
    start : first P probed
    capacity : descending search: the first P that succeeded (0 if not even P = 1 did);
        threshold: the estimate
    censored : descending search: the first probe already succeeded, so the capacity is only a lower
        bound; threshold: no probe was shown to fail, so the interval has no upper end
    probes : every probe in the order made
    ci : threshold only, ``(low, high)`` integer confidence bounds on the crossing (``high`` None when
        censored)
    """

    start: int
    capacity: int
    censored: bool
    probes: list[Probe]
    ci: tuple[int, int | None] | None = None


@dataclass
class CapacityResult:
    """All repetitions of one protocol run, with the settings that produced them."""

    settings: dict
    repetitions: list[Repetition] = field(default_factory=list)

    @property
    def capacities(self) -> list[int]:
        return [r.capacity for r in self.repetitions]

    @property
    def censored(self) -> list[bool]:
        return [r.censored for r in self.repetitions]

    def to_dict(self) -> dict:
        """Plain, JSON-ready form: the settings, then ``capacities``, ``censored``, ``start_values``,
        ``ci`` (threshold only) and ``probes`` (one list of ``{P, trials, successes}`` per repetition)."""
        out = dict(self.settings)
        out["capacities"] = self.capacities
        out["censored"] = self.censored
        out["start_values"] = [r.start for r in self.repetitions]
        if self.settings["protocol"] == "threshold":
            out["ci"] = [list(r.ci) for r in self.repetitions]
        out["probes"] = [[asdict(p) for p in r.probes] for r in self.repetitions]
        return out


# ----------------------------------------------------------------------------------------------
# Descending search (paper, code)


def next_descending(P: int) -> int:
    """``int(0.99 P)`` in exact integer arithmetic (``99 P // 100``; equal for every P < 10^6 checked):
    ``P - 1`` for ``P <= 100``."""
    return P * 99 // 100


def descending_search(trial: Trial, start: int, rng: np.random.Generator) -> Repetition:
    """The descending first-success search of spec §4.1/§4.2 (one repetition).

    Probe ``P = start``, one trial each; after a failure ``P <- int(0.99 P)`` with fresh draws; the
    first success is the capacity.  The search stops at ``P = 1`` and reports 0 if even that failed.
    A search whose first probe succeeds is flagged ``censored`` (its capacity is a lower bound only).
    The result is a noisy first-success point, not a quantile of ``p(P)`` (spec §4.1).
    """
    if start < 1:
        raise AmsimError(f"the start value must be >= 1, got {start}")
    probes: list[Probe] = []
    P = start
    while P >= 1:
        successes = int(trial(P, 1, rng))
        probes.append(Probe(P, 1, successes))
        if successes:
            return Repetition(start, P, censored=len(probes) == 1, probes=probes)
        P = next_descending(P)
    return Repetition(start, 0, censored=False, probes=probes)


def descending_grid(start: int) -> np.ndarray:
    """int64: every P the descending search can probe from ``start``: ``start, int(0.99 start), ..., 1``."""
    grid = [start]
    while grid[-1] > 1:
        grid.append(next_descending(grid[-1]))
    return np.array(grid, np.int64)


def nested_descending_search(
    model: BinaryModel, n_neurons: int, event: Event, start: int, rng: np.random.Generator,
    backend="auto", bias: float = 0.0,
) -> Repetition:
    """The descending search of :func:`descending_search` on nested prefixes (``draws = "nested"``).

    Draws ``event.sequences`` sets of ``start`` patterns (in turn, whole, from ``rng``), and lets probe
    P succeed iff the first P patterns of every set pass the event; the probes, capacity and
    censoring are then those of the descending search, whose every probe is settled by
    :func:`amsim.engine.prefix.prefix_success`.  Each further set only needs the prefixes that all
    earlier sets passed.  Only Hebbian DenseNet-family models
    (:func:`amsim.engine.prefix.unsupported_reason`).
    """
    from amsim.engine.prefix import prefix_bytes, prefix_success

    if start < 1:
        raise AmsimError(f"the start value must be >= 1, got {start}")
    require(prefix_bytes(1, start, n_neurons), f"a nested pattern set with P={start}, N={n_neurons}")
    grid = descending_grid(start)
    alive = np.ones(len(grid), bool)
    for _ in range(event.sequences):
        pats = biased(rng, (start, n_neurons), bias)
        live = np.flatnonzero(alive)
        alive[live] = prefix_success(model, pats[: grid[live].max()], grid[live], event.scope, backend)
        if not alive.any():
            break
    first = int(np.argmax(alive)) if alive.any() else len(grid) - 1
    probes = [Probe(int(P), 1, int(alive[k])) for k, P in enumerate(grid[: first + 1])]
    capacity = int(grid[first]) if alive.any() else 0
    return Repetition(start, capacity, censored=bool(alive[0]), probes=probes)


# ----------------------------------------------------------------------------------------------
# Threshold search


def binomial_verdict(successes: int, trials: int, q: float, alpha: float) -> bool | None:
    """Which side of ``q`` a binomial success probability ``p`` is declared on, at error level ``alpha``.

    Returns True ("``p >= q``") if ``Pr[Bin(n, q) >= k] <= alpha``, False ("``p < q``") if
    ``Pr[Bin(n, q) <= k] <= alpha``, and None (undecided) otherwise; ``k`` successes of ``n`` trials.

    These are the exact one-sided binomial tests of ``p < q`` and ``p >= q``; equivalently, the
    one-sided Clopper-Pearson lower (upper) bound at level ``alpha`` is at least (below) ``q``.  A wrong
    declaration has probability at most ``alpha`` for every true ``p``, since ``Bin(n, p)`` is
    stochastically monotone in ``p``.  The pmf is evaluated in log space (no scipy).
    """
    if trials < 1 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials >= 1; got {successes}, {trials}")
    i = np.arange(trials + 1)
    log_comb = np.concatenate([[0.0], np.cumsum(np.log(trials - i[1:] + 1) - np.log(i[1:]))])
    pmf = np.exp(log_comb + i * math.log(q) + (trials - i) * math.log1p(-q))
    if pmf[successes:].sum() <= alpha:
        return True
    if pmf[: successes + 1].sum() <= alpha:
        return False
    return None


@dataclass(frozen=True)
class ThresholdSettings:
    """Tuning of :func:`threshold_search`.

    ``confidence`` is the simultaneous coverage of the interval; trials at a probe are added in looks of
    ``n_initial, 2 n_initial, ...`` up to ``n_max`` in total; at most ``max_probes`` probes are made.
    """

    target: float = 0.5
    confidence: float = 0.95
    n_initial: int = 32
    n_max: int = 4096
    max_probes: int = 40

    def __post_init__(self):
        resolve_target(target=self.target)
        if not 0 < self.confidence < 1:
            raise AmsimError(f"confidence must lie in (0, 1), got {self.confidence}")
        if not 1 <= self.n_initial <= self.n_max:
            raise AmsimError(f"need 1 <= n_initial <= n_max, got {self.n_initial}, {self.n_max}")
        if self.max_probes < 1:
            raise AmsimError(f"max_probes must be >= 1, got {self.max_probes}")

    @property
    def looks(self) -> list[int]:
        """Cumulative trial counts at which a probe is examined."""
        sizes = [self.n_initial]
        while 2 * sizes[-1] <= self.n_max:
            sizes.append(2 * sizes[-1])
        return sizes

    @property
    def alpha_per_look(self) -> float:
        """Error level of one look: ``(1 - confidence) / (max_probes * len(looks))`` (union bound)."""
        return (1.0 - self.confidence) / (self.max_probes * len(self.looks))


def threshold_search(
    trial: Trial, start: int, rng: np.random.Generator, settings: ThresholdSettings = ThresholdSettings()
) -> Repetition:
    """Estimate the crossing ``P_q = max{P >= 0 : p(P) >= q}`` of the success probability (one repetition).

    Parameters
    ----------
    trial : the oracle; ``p(P)`` is the success probability of one trial at ``P`` patterns
    start : first P probed (e.g. the theory value)
    rng : the only source of randomness
    settings : target ``q``, confidence ``1 - alpha`` and the trial budget

    Returns
    -------
    Repetition with ``capacity`` the estimate, ``ci = (low, high)`` and every probe.

    Notes
    -----
    *Search.*  A bisection on the integers driven by the probes: bracket upwards by doubling from
    ``start`` until a probe fails (a failing ``start`` brackets ``(0, start)``), then bisect
    ``(lo, hi)`` until ``hi = lo + 1``.  At each probe the trials are added in looks of
    ``n_initial, 2 n_initial, ..., <= n_max`` (cumulative), and the probe stops at the first look that
    :func:`binomial_verdict` decides at level ``alpha' = alpha / (max_probes * n_looks)``: the
    one-sided Clopper-Pearson lower bound is ``>= q`` (the probe *passes*) or the upper bound is
    ``< q`` (it *fails*).  Probes far from the crossing are decided by the first look; trials are
    spent where ``p(P)`` is close to ``q``.  A probe still undecided after ``n_max`` trials steers the
    bisection by its point estimate ``k/n >= q``.  The estimate is the final ``lo``: the largest P the
    bisection took as passing, whose successor it took as failing.  The remaining probes then tighten
    the interval: a bisection for the largest passing P below ``lo``, and one for the smallest
    failing P above ``hi`` (after doubling from ``hi`` until some probe fails, if none has), wherever
    undecided probes left the interval wider than ``[lo, lo]``.

    *Interval.*  ``low`` = the largest passed P (0 if none), ``high`` = the smallest failed P minus 1
    (None, "censored", if none failed); undecided probes do not enter it.

    *Guarantee.*  Assume (i) ``p(P)`` is non-increasing in P, and (ii) each trial is an independent
    Bernoulli(p(P)) draw given the probe's P (fresh patterns per trial, as every oracle of this module
    draws).  Each look is an exact binomial test at a fixed number of trials: conditionally on the
    history that chose the probe, it declares a wrong side with probability at most ``alpha'``.
    There are at most ``max_probes * n_looks`` looks, so by the union bound, with probability at least
    ``1 - alpha = confidence``, every declared side is right, whatever the adaptive choices; then every
    passed P satisfies ``p(P) >= q`` hence ``P <= P_q``, and every failed P has ``p(P) < q`` hence
    ``P > P_q`` (by monotonicity), so ``low <= P_q <= high``.  The coverage is conservative (the union
    bound and the discrete exact test both over-cover).  On that event the estimate also lies in
    ``[low, high]``; nothing more is claimed for it.  With a sharp step in ``p(P)`` every probe is
    decided and the interval is the single point ``P_q``.  Without monotonicity, ``low <= high`` still
    brackets *a* downward crossing of ``q``.
    """
    q = settings.target
    alpha = settings.alpha_per_look
    probes: list[Probe] = []
    declared: dict[bool, list[int]] = {True: [], False: []}

    def probe(P: int) -> tuple[bool | None, bool]:
        """Probe P; return the declared side (None: undecided) and the side it steers to."""
        successes = trials = 0
        for size in settings.looks:
            successes += int(trial(P, size - trials, rng))
            trials = size
            verdict = binomial_verdict(successes, trials, q, alpha)
            if verdict is not None:
                break
        probes.append(Probe(P, trials, successes))
        if verdict is not None:
            declared[verdict].append(P)
        return verdict, successes / trials >= q if verdict is None else verdict

    def budget_left() -> bool:
        return len(probes) < settings.max_probes

    # bracket by doubling, then bisect: lo steers as passing, hi as failing
    lo, hi = 0, None
    P = max(1, int(start))
    while budget_left():
        if probe(P)[1]:
            lo = P
        else:
            hi = P
        if hi is not None and hi - lo <= 1:
            break
        P = 2 * lo if hi is None else (lo + hi) // 2
    # tighten the interval: the largest certifiable pass below lo, the smallest certifiable fail above hi
    a, b = max(declared[True], default=0), lo - 1
    while a < b and budget_left():
        mid = (a + b + 1) // 2
        a, b = (mid, b) if probe(mid)[0] is True else (a, mid - 1)
    if hi is not None:
        P = hi
        while not declared[False] and budget_left():
            P *= 2
            probe(P)
        a, b = hi + 1, min(declared[False], default=hi + 1) - 1
        while a <= b and budget_left():
            mid = (a + b) // 2
            a, b = (a, mid - 1) if probe(mid)[0] is False else (mid + 1, b)
    high = min(declared[False]) - 1 if declared[False] else None
    low = max(declared[True], default=0)
    return Repetition(start, lo, censored=high is None, probes=probes, ci=(low, high))


# ----------------------------------------------------------------------------------------------
# Repetitions over any oracle


def run_protocol(
    trial: Trial,
    protocol: str,
    theory: float,
    reps: int,
    rng: np.random.Generator,
    *,
    start_factor: float = 2.0,
    threshold: ThresholdSettings = ThresholdSettings(),
    descend: Callable[[int, np.random.Generator], Repetition] | None = None,
) -> list[Repetition]:
    """Repeat a protocol ``reps`` times, each repetition on its own generator from ``rng.spawn``.

    Start values: ``paper``/``code`` repetitions 0-4 start at ``round(start_factor * theory)``
    (spec: 2; 2.5 for degree scans), later ones at ``int(1.25 * max(earlier capacities))``;
    ``threshold`` repetitions start at ``round(theory)``.  Every start is at least 1.
    ``descend(start, rng)`` replaces the fresh-draw :func:`descending_search` of ``trial`` (the
    nested draws of :func:`nested_descending_search`).
    """
    if protocol not in PROTOCOLS:
        raise AmsimError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")
    if reps < 1:
        raise AmsimError(f"reps must be >= 1, got {reps}")
    repetitions: list[Repetition] = []
    for k, child in enumerate(rng.spawn(reps)):
        if protocol == "threshold":
            repetitions.append(threshold_search(trial, max(1, round(theory)), child, threshold))
            continue
        if k < THEORY_STARTS:
            start = round(start_factor * theory)
        else:
            start = int(RESTART_FACTOR * max(r.capacity for r in repetitions))
        search = descend or (lambda P, generator: descending_search(trial, P, generator))
        repetitions.append(search(max(1, start), child))
    return repetitions


# ----------------------------------------------------------------------------------------------
# Network oracles


def _event_check(model: BinaryModel, event: Event, backend) -> tuple[Callable[[np.ndarray], np.ndarray], bool]:
    """``check(patterns (S, P, N) int8) -> bool (S,)``, which of S sequences pass the event, and
    whether the check is teacher-forced (P states per set) rather than a serial run (1 state)."""
    if event.scope == "all" or (event.measure == "sequence" and model.form == "auto"):
        return (lambda pats: all_transitions_pass(model, pats, backend)), True
    steps = {"first": lambda P: 1, "cycle": lambda P: P, "open": lambda P: P - 1}[event.scope]
    return (
        lambda pats: sequence_recall(model, pats, steps=steps(pats.shape[1]), backend=backend)["success"]
    ), False


def network_trial(model: BinaryModel, n_neurons: int, event: Event, backend="auto", bias: float = 0.0) -> Trial:
    """The trial oracle of a network: ``trial(P, n_trials, rng)`` draws ``n_trials * event.sequences``
    fresh sequences ``(P, N)`` (i.i.d. bits with ``Pr[+1] = (1 + bias)/2``; Rademacher for bias 0) and
    counts the trials whose sequences all pass the event.

    Sequences are drawn and checked in batches of about :data:`CHUNK_BYTES` of working memory (and at
    most :data:`EVENT_BATCH` sets when a single event is decided, so that a failed event stops after
    the first failing batch); the batching is a function of ``(P, N, n_trials, sequences)`` only, so
    the draws are reproducible from the generator.  A single set that cannot fit in the available
    memory is refused (:func:`amsim.engine.memory.require`) before it is drawn.
    """
    if n_neurons < 2:
        raise AmsimError(f"N must be >= 2, got {n_neurons}")
    check, teacher_forced = _event_check(model, event, backend)
    impl = get_backend(backend) if isinstance(backend, str) else backend
    per_trial = event.sequences

    def trial(P: int, n_trials: int, rng: np.random.Generator) -> int:
        states = P if teacher_forced else 1
        set_bytes = field_core_bytes(1, states, P, n_neurons, BLOCK_ELEMENTS) + 2 * P * n_neurons  # batching
        require(field_signs_bytes(impl, 1, states, P, n_neurons, 1, BLOCK_ELEMENTS) + 2 * P * n_neurons,
                f"one pattern set with P={P}, N={n_neurons}")
        total = n_trials * per_trial
        batch = max(1, CHUNK_BYTES // set_bytes)
        if n_trials == 1:
            batch = min(batch, EVENT_BATCH)
        ok = np.empty(total, dtype=bool)
        for lo in range(0, total, batch):
            hi = min(total, lo + batch)
            ok[lo:hi] = check(biased(rng, (hi - lo, P, n_neurons), bias))
            if n_trials == 1 and not ok[lo:hi].all():
                return 0
        return int(ok.reshape(n_trials, per_trial).all(axis=1).sum())

    return trial


def measure_capacity(
    model: BinaryModel,
    n_neurons: int,
    measure: str,
    protocol: str,
    rng: np.random.Generator,
    *,
    reps: int = 1,
    sequences: int | None = None,
    scope: str | None = None,
    threshold: ThresholdSettings = ThresholdSettings(),
    start_factor: float = 2.0,
    backend="auto",
    bias: float = 0.0,
    draws: str = "fresh",
) -> CapacityResult:
    """Measure a network's transition or sequence capacity with one protocol.

    Parameters
    ----------
    model : any binary model of :mod:`amsim.models`
    n_neurons : N >= 2
    measure : ``transition`` or ``sequence``
    protocol : ``paper``, ``code`` or ``threshold``
    rng : the only source of randomness (one child generator per repetition)
    reps : repetitions of the search
    sequences, scope : override the protocol's event (:func:`default_event`)
    threshold : target, confidence and budget of the ``threshold`` protocol
    start_factor : start of the descending searches in units of the theory value (2 in the paper)
    backend : field-core backend name (``auto`` is resolved once and recorded) or backend object
    bias : pattern bias eps, ``Pr[+1] = (1 + eps)/2``
    draws : ``fresh`` (every probe draws anew) or ``nested`` (``paper``/``code`` only: one draw per
        sequence, probes on its prefixes, :func:`nested_descending_search`)

    Returns
    -------
    CapacityResult whose ``settings`` hold the protocol, measure, event, reps, start factor (or the
    threshold settings), N, the model parameters, the backend, and ``theory``: the model's
    ``transition_capacity(N)`` or ``sequence_capacity(N)`` (spec Eqs. 9-10), whatever the event.
    """
    event = default_event(protocol, measure, sequences, scope)
    impl = get_backend(backend) if isinstance(backend, str) else backend
    trial = network_trial(model, n_neurons, event, impl, bias)
    descend = None
    if draws == "nested":
        descend = nested_search(model, n_neurons, event, protocol, impl, bias)
    elif draws != "fresh":
        raise AmsimError(f"draws must be one of {', '.join(DRAWS)}, got {draws!r}")
    theory = (model.transition_capacity if measure == "transition" else model.sequence_capacity)(n_neurons)
    settings = {
        "protocol": protocol,
        "measure": measure,
        "scope": event.scope,
        "sequences": event.sequences,
        "reps": reps,
        "N": n_neurons,
        "model": model.params(),
        "backend": impl.name,
        "bias": bias,
        "draws": draws,
        "theory": theory,
    }
    if protocol == "threshold":
        settings.update(asdict(threshold))
    else:
        settings["start_factor"] = start_factor
    repetitions = run_protocol(trial, protocol, theory, reps, rng, start_factor=start_factor, threshold=threshold,
                               descend=descend)
    return CapacityResult(settings, repetitions)


def nested_search(model, n_neurons, event, protocol, backend, bias) -> Callable[[int, np.random.Generator], Repetition]:
    """``search(start, rng)`` of the nested draws, after refusing what they cannot do."""
    from amsim.engine.prefix import unsupported_reason

    if protocol == "threshold":
        raise AmsimError(
            "nested draws apply to the paper and code protocols; the threshold protocol's guarantee "
            "needs independent trials at every probe"
        )
    reason = unsupported_reason(model)
    if reason:
        raise AmsimError(reason)
    return lambda start, rng: nested_descending_search(model, n_neurons, event, start, rng, backend, bias)
