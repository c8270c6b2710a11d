"""The ``crosstalk`` kind (spec R4, Fig. 2C): sampled crosstalk statistics beside their exact values.

One task draws ``samples`` independent crosstalk values ``C = sum_{mu=2}^{P} s_mu f(Xi^mu)`` for one
separation function, N and P (no network run; :func:`amsim.models.crosstalk.sample_crosstalk`) and
stores the sample variance and excess kurtosis with the theory: exact finite-N moments for
``f = x^d`` and the closed forms ``(P-1) beta^-(N-1)`` and ``((cosh 4/cosh^2 2)^(N-1) - 3)/(P-1)``
for the exponential.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amsim.engine.separation import make_separation
from amsim.experiments import TaskResult
from amsim.models.crosstalk import crosstalk_theory, sample_crosstalk, sample_statistics


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    f: Literal["poly", "exp"] = "exp"
    d: int = Field(2, ge=1, description="polynomial degree (f = 'poly')")
    N: int = Field(ge=2, description="number of neurons")
    P: int = Field(ge=2, description="number of stored patterns")
    samples: int = Field(50_000, ge=2, description="independent samples of C")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CrosstalkKind:
    name = "crosstalk"
    Params = Params
    Record = Record

    @staticmethod
    def separation(params: Params):
        return make_separation(params.f, params.d if params.f == "poly" else None)

    def canonical(self, params: Params) -> dict:
        out = params.model_dump()
        if params.f == "exp":
            out.pop("d")
        return out

    def estimate_bytes(self, params: Params, record: Record) -> int:
        return 3 * 8 * params.samples * params.N

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        sep = self.separation(params)
        variance, kurtosis = sample_statistics(sample_crosstalk(rng, sep, params.N, params.P, params.samples))
        theory_variance, theory_kurtosis = crosstalk_theory(sep, params.N, params.P)
        return TaskResult(attrs={"variance": variance, "kurtosis": kurtosis,
                                 "theory_variance": theory_variance, "theory_kurtosis": theory_kurtosis})

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("variance", "theory_variance", "kurtosis", "theory_kurtosis")


KIND = CrosstalkKind()
