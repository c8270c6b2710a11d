"""The ``trajectory`` kind: run one network from a stored pattern and record what it does.

One task draws ``P`` Rademacher patterns of ``N`` neurons from the task's generator, starts at
pattern ``start`` and runs ``steps`` synchronous updates (spec §1: periodic successor, exact ties,
tie policy), recording the diagnostic overlaps with every pattern and the states every ``every``
steps.  States and patterns are stored bit-packed (``numpy.packbits`` of ``S > 0`` along neurons).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from amsim.engine.dynamics import run
from amsim.engine.measures import timing
from amsim.engine.fields import BLOCK_ELEMENTS
from amsim.engine.memory import field_core_bytes
from amsim.engine.patterns import biased
from amsim.experiments import TaskResult
from amsim.models import model_from_flat


#: timing scalars of every trajectory (spec §2.5, Fig. 4A): see :func:`amsim.engine.measures.timing`
TIMING = ("transitions", "order_correct", "mean_dwell")


class ModelParams(BaseModel):
    """The flat model parameters shared by the binary-network kinds (see
    :func:`amsim.models.model_from_flat`; each model reads only its own keys)."""

    model_config = ConfigDict(extra="forbid")

    model: Literal["hopfield", "seqnet", "densenet", "mixednet", "two-layer"] = "densenet"
    f: Literal["poly", "exp"] = "poly"
    d: int = Field(2, ge=1, description="polynomial degree (densenet, two-layer)")
    form: Literal["sequence", "auto"] = "sequence"
    rule: Literal["hebbian", "gpi"] = "hebbian"
    gpi: Literal["self-excluded", "consistent"] = "self-excluded"
    rtol: float = Field(1e-10, gt=0, lt=1, description="GPI: relative eigenvalue cutoff of the pseudoinverse")
    overlap: Literal["excluded", "included"] = "excluded"
    f_sym: Literal["poly", "exp"] = "poly"
    d_sym: int = Field(1, ge=1)
    f_asym: Literal["poly", "exp"] = "poly"
    d_asym: int = Field(1, ge=1)
    lam: float | None = Field(None, gt=0, description="MixedNet strength (default 2.5); two-layer MixedNet weights")
    tau: int = Field(1, ge=1, description="MixedNet delay-kernel time constant")
    kernel: Literal["boxcar", "exponential", "delay"] = "boxcar"
    silenced: list[int] = Field(default_factory=list, description="two-layer: gated-off memory units")
    bias: float = Field(0.0, ge=0.0, lt=1.0, description="pattern bias eps, Pr[+1] = (1+eps)/2")

    @model_validator(mode="after")
    def _model_builds(self):
        try:
            self.build()
        except ValueError as err:
            raise ValueError(f"model {self.model!r}: {err}") from None
        return self

    def build(self):
        """The model these parameters describe."""
        return model_from_flat(self.model_dump())

    def model_canonical(self) -> dict:
        """The model's own parameters plus the pattern bias when it is not 0."""
        out = self.build().params()
        if self.bias:
            out["bias"] = self.bias
        return out


class Params(ModelParams):
    """Parameters of one trajectory task (every field may be scanned)."""

    N: int = Field(ge=2, description="number of neurons")
    P: int = Field(ge=1, description="number of stored patterns")
    steps: int | None = Field(None, ge=0, description="updates (default: P)")
    start: int = Field(0, ge=0, description="index of the start pattern (0-based)")
    tie_policy: Literal["error", "keep", "plus", "random"] = "error"
    stop: Literal["none", "fixed_point", "first_error", "sequence_complete"] = "none"
    schedule: Literal["sync", "async"] = "sync"

    @field_validator("P")
    @classmethod
    def _p_at_most_distinct(cls, p: int, info: ValidationInfo) -> int:
        n = info.data.get("N")
        if n is not None and n < 64 and p > 2**n:
            raise ValueError(f"P = {p} exceeds the 2^N = {2**n} distinct patterns of N = {n} neurons")
        return p

    @field_validator("start")
    @classmethod
    def _start_in_range(cls, start: int, info: ValidationInfo) -> int:
        p = info.data.get("P")
        if p is not None and start >= p:
            raise ValueError(f"start = {start} must be below P = {p}")
        return start


class Record(BaseModel):
    """What to record and every how many steps."""

    model_config = ConfigDict(extra="forbid")

    every: int = Field(1, ge=1)
    overlaps: bool = True
    states: bool = True


class TrajectoryKind:
    name = "trajectory"
    Params = Params
    Record = Record

    @staticmethod
    def model(params: Params):
        return params.build()

    def canonical(self, params: Params) -> dict:
        """Model parameters as the model states them (so ``d`` of a SeqNet does not split tasks)."""
        out = params.model_canonical()
        steps = params.P if params.steps is None else params.steps
        out.update(N=params.N, P=params.P, steps=steps, start=params.start,
                   tie_policy=params.tie_policy, stop=params.stop)
        if params.schedule != "sync":
            out["schedule"] = params.schedule
        return out

    def estimate_bytes(self, params: Params, record: Record) -> int:
        """Peak bytes: patterns and targets, the field core for one state, the recorded arrays."""
        n, p = params.N, params.P
        steps = p if params.steps is None else params.steps
        saved = steps // record.every + 2
        recorders = saved * (4 * p * record.overlaps + n * record.states) + 8 * steps
        return 2 * n * p + field_core_bytes(1, 1, p, n, BLOCK_ELEMENTS) + recorders

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        """Draw the patterns and run; a pure function of (params, record, rng state)."""
        net = self.model(params)
        patterns = biased(rng, (params.P, params.N), params.bias)
        steps = params.P if params.steps is None else params.steps
        traj = run(
            net, patterns, steps, start=params.start, backend=backend, tie_policy=params.tie_policy,
            rng=rng, record_every=record.every, record_overlaps=record.overlaps,
            record_states=record.states, stop=None if params.stop == "none" else params.stop,
            schedule=params.schedule,
        )
        arrays = {
            "patterns": pack(patterns),
            "times": traj.times,
            "errors": traj.errors[:, 0, 0],
            "ties": traj.ties[:, 0, 0],
        }
        if traj.overlaps is not None:
            arrays["overlaps"] = traj.overlaps[:, 0, 0, :]
        if traj.states is not None:
            arrays["states"] = pack(traj.states[:, 0, 0, :])
        wrong = np.flatnonzero(arrays["errors"])
        timing_attrs = dict.fromkeys(TIMING, float("nan"))  # needs overlaps at every step
        if traj.overlaps is not None and record.every == 1:
            clock = timing(traj.overlaps[:, 0, 0, :].argmax(axis=1), params.P)
            timing_attrs = {k: clock[k] for k in TIMING}
        attrs = {
            "exact_ties": bool(net.exact_ties),
            "steps_run": int(traj.steps),
            "recalled": bool(wrong.size == 0),
            "first_error": int(wrong[0] + 1) if wrong.size else -1,
            "correct_steps": int(wrong[0]) if wrong.size else int(traj.steps),
            **timing_attrs,
        }
        return TaskResult(arrays=arrays, attrs=attrs)

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("recalled", "correct_steps", "steps_run", *TIMING)


def pack(states: np.ndarray) -> np.ndarray:
    """Bit-pack ±1 states along the last axis (``+1`` -> bit 1), 8 neurons per byte."""
    return np.packbits(states > 0, axis=-1)


def unpack(packed: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack`: int8 ±1 states with ``n`` neurons."""
    bits = np.unpackbits(packed, axis=-1, count=n)
    return (2 * bits.astype(np.int8) - 1).astype(np.int8)


KIND = TrajectoryKind()
