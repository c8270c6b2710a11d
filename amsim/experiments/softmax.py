"""The ``softmax_trajectory`` kind: softmax attention dynamics (modern Hopfield network) from a
stored pattern, recording overlaps and the retrieval error (:mod:`amsim.models.modern_hopfield`)."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amsim.engine.patterns import rademacher
from amsim.experiments import TaskResult
from amsim.models.modern_hopfield import ModernHopfield, run_softmax


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    beta: float = Field(1.0, ge=0, description="inverse temperature")
    form: Literal["auto", "sequence"] = "sequence"
    normalize: Literal["none", "sphere"] = "none"
    N: int = Field(ge=2, description="number of neurons")
    P: int = Field(ge=1, description="number of stored patterns")
    steps: int = Field(20, ge=0, description="updates")
    start: int = Field(0, ge=0, description="index of the start pattern (0-based)")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    every: int = Field(1, ge=1)


class SoftmaxKind:
    name = "softmax_trajectory"
    Params = Params
    Record = Record

    def canonical(self, params: Params) -> dict:
        return params.model_dump()

    def estimate_bytes(self, params: Params, record: Record) -> int:
        saved = params.steps // record.every + 2
        return 8 * params.P * params.N * 3 + saved * 8 * (params.P + 1)

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        net = ModernHopfield(beta=params.beta, form=params.form, normalize=params.normalize)
        patterns = rademacher(rng, (params.P, params.N))
        traj = run_softmax(net, patterns, params.steps, start=params.start % params.P,
                           record_every=record.every)
        errors = traj.retrieval_error[:, 0, 0]
        return TaskResult(
            arrays={"times": traj.times, "overlaps": traj.overlaps[:, 0, 0].astype(np.float32),
                    "retrieval_error": errors},
            attrs={"final_error": float(errors[-1]), "recalled": bool(errors.max() < 1e-6)},
        )

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("recalled", "final_error")


KIND = SoftmaxKind()
