"""The ``trajectory`` kind: run one network from a stored pattern and record what it does.

One task draws ``P`` Rademacher patterns of ``N`` neurons from the task's generator, starts at
pattern ``start`` and runs ``steps`` synchronous updates (spec §1: periodic successor, exact ties,
tie policy), recording the diagnostic overlaps with every pattern and the states every ``every``
steps.  States and patterns are stored bit-packed (``numpy.packbits`` of ``S > 0`` along neurons).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from amsim.engine.dynamics import run
from amsim.engine.fields import BLOCK_ELEMENTS
from amsim.engine.memory import field_core_bytes
from amsim.engine.patterns import rademacher
from amsim.experiments import TaskResult
from amsim.models import make_model


class Params(BaseModel):
    """Parameters of one trajectory task (every field may be scanned)."""

    model_config = ConfigDict(extra="forbid")

    model: Literal["hopfield", "seqnet", "densenet"] = "densenet"
    f: Literal["poly", "exp"] = "poly"
    d: int = Field(2, ge=1, description="polynomial degree (densenet, f = 'poly')")
    form: Literal["sequence", "auto"] = "sequence"
    N: int = Field(ge=2, description="number of neurons")
    P: int = Field(ge=1, description="number of stored patterns")
    steps: int | None = Field(None, ge=0, description="synchronous steps (default: P)")
    start: int = Field(0, ge=0, description="index of the start pattern (0-based)")
    tie_policy: Literal["error", "keep", "plus", "random"] = "error"
    stop: Literal["none", "fixed_point", "first_error", "sequence_complete"] = "none"

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
        if params.model != "densenet":
            return make_model(params.model)
        return make_model("densenet", f=params.f, d=params.d if params.f == "poly" else None, form=params.form)

    def canonical(self, params: Params) -> dict:
        """Model parameters as the model states them (so ``d`` of a SeqNet does not split tasks)."""
        out = self.model(params).params()
        steps = params.P if params.steps is None else params.steps
        out.update(N=params.N, P=params.P, steps=steps, start=params.start,
                   tie_policy=params.tie_policy, stop=params.stop)
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
        patterns = rademacher(rng, (params.P, params.N))
        steps = params.P if params.steps is None else params.steps
        traj = run(
            net, patterns, steps, start=params.start, backend=backend, tie_policy=params.tie_policy,
            rng=rng, record_every=record.every, record_overlaps=record.overlaps,
            record_states=record.states, stop=None if params.stop == "none" else params.stop,
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
        attrs = {
            "steps_run": int(traj.steps),
            "recalled": bool(wrong.size == 0),
            "first_error": int(wrong[0] + 1) if wrong.size else -1,
            "correct_steps": int(wrong[0]) if wrong.size else int(traj.steps),
        }
        return TaskResult(arrays=arrays, attrs=attrs)

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("recalled", "correct_steps", "steps_run")


def pack(states: np.ndarray) -> np.ndarray:
    """Bit-pack ±1 states along the last axis (``+1`` -> bit 1), 8 neurons per byte."""
    return np.packbits(states > 0, axis=-1)


def unpack(packed: np.ndarray, n: int) -> np.ndarray:
    """Inverse of :func:`pack`: int8 ±1 states with ``n`` neurons."""
    bits = np.unpackbits(packed, axis=-1, count=n)
    return (2 * bits.astype(np.int8) - 1).astype(np.int8)


KIND = TrajectoryKind()
