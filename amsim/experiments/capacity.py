"""The ``transition_capacity`` and ``sequence_capacity`` kinds: one capacity search per task.

A task is one repetition of one protocol (``paper``, ``code`` or ``threshold``, see
:mod:`amsim.engine.protocols`) for one model and N; the scenario's ``repetitions`` repeat it with
fresh draws and ``[scan]`` runs it over N, d or any model parameter.  Stored per task: every probe
(``probes``: rows of P tried, trials, successes), the capacity, the censoring flag, the start value,
the threshold protocol's confidence interval, and the model's theory value for that measure and N.

``draws = "nested"`` (paper/code) settles every probe of a repetition on the prefixes of one draw,
in one pass (:func:`amsim.engine.protocols.nested_descending_search`).

Deviation (documented): the release code starts repetitions >= 5 at 1.25 x the largest earlier
result; that couples tasks and would make results depend on their order, so every task here starts at
``start_factor`` x theory (2 by default, as the paper's repetitions 0-4).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amsim.engine.protocols import ThresholdSettings, measure_capacity
from amsim.experiments import TaskResult
from amsim.experiments.trajectory import ModelParams


class Params(ModelParams):
    """Parameters of one capacity search."""

    N: int = Field(ge=2, description="number of neurons")
    protocol: Literal["paper", "code", "threshold"] = "threshold"
    sequences: int | None = Field(None, ge=1, description="sequences per trial (default: by protocol)")
    scope: Literal["first", "all", "cycle", "open"] | None = None
    target: float = Field(0.5, gt=0, lt=1, description="threshold: success probability to cross")
    confidence: float = Field(0.95, gt=0, lt=1, description="threshold: coverage of the interval")
    max_trials: int = Field(4096, ge=1, description="threshold: trials per probe at most")
    start_factor: float = Field(2.0, gt=0, description="paper/code: start at this multiple of theory")
    draws: Literal["fresh", "nested"] = Field(
        "fresh", description="paper/code: fresh patterns per probe, or nested prefixes of one draw (one pass)")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CapacityKind:
    """One kind per measure; both share everything else."""

    Params = Params
    Record = Record

    def __init__(self, measure: str):
        self.measure = measure
        self.name = f"{measure}_capacity"

    def canonical(self, params: Params) -> dict:
        out = params.model_canonical()
        out.update(N=params.N, protocol=params.protocol, sequences=params.sequences, scope=params.scope,
                   start_factor=params.start_factor)
        if params.protocol == "threshold":
            out.update(target=params.target, confidence=params.confidence, max_trials=params.max_trials)
        if params.draws != "fresh":  # absent by default: task ids of earlier scenarios stay valid
            out["draws"] = params.draws
        return {k: v for k, v in out.items() if v is not None}

    def estimate_bytes(self, params: Params, record: Record) -> int:
        """The protocols check their own pattern sets against the memory plan; a task holds little else."""
        return 64 * params.N * params.N

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        settings = ThresholdSettings(target=params.target, confidence=params.confidence,
                                     n_initial=min(32, params.max_trials), n_max=params.max_trials)
        result = measure_capacity(
            params.build(), params.N, self.measure, params.protocol, rng, reps=1,
            sequences=params.sequences, scope=params.scope, threshold=settings,
            start_factor=params.start_factor, backend=backend, bias=params.bias, draws=params.draws,
        )
        rep = result.repetitions[0]
        probes = np.array([[p.P, p.trials, p.successes] for p in rep.probes], dtype=np.int64).reshape(-1, 3)
        low, high = rep.ci if rep.ci is not None else (-1, -1)
        attrs = {
            "capacity": int(rep.capacity),
            "censored": bool(rep.censored),
            "start": int(rep.start),
            "ci_low": int(low),
            "ci_high": -1 if high is None else int(high),
            "theory": float(result.settings["theory"]),
            "scope": result.settings["scope"],
            "sequences": int(result.settings["sequences"]),
            "draws": params.draws,
        }
        return TaskResult(arrays={"probes": probes}, attrs=attrs)

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("capacity", "theory", "censored")


TRANSITION = CapacityKind("transition")
SEQUENCE = CapacityKind("sequence")
