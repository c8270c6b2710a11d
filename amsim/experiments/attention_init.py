"""The ``attention_init`` kind (spec AT-E2, §3.6, §8.2): the transformer at initialisation, no training.

One task draws the spec §3 transformer (numpy, block by block, no JAX) and runs it on ``n_inputs``
fixed inputs (generated bars/pairs images or Gaussian tokens, the same for every task of a file).  It
stores the logits A_h(s, s') of every head of the first block, the squared norms of that block's
normalised inputs (for the theory), and optionally the residual-stream kernels
H_ss'(x, x') = h_s(x).h_s'(x')/(NH) after the read-in and after every block.

Summary scalars: ``logit_var`` (variance over heads, averaged over inputs and position pairs),
``logit_var_theory`` (spec §3.6, from the measured |u(s)|^2), their ratio, the excess kurtosis of A
over heads (theory 6/N for the variance-gamma law) and ``kernel_final_diag`` (mean diagonal of the last
kernel).  The plot fits Var_h A against N and the kernel deviation from the largest-H tasks against H.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amsim.experiments import TaskResult
from amsim.experiments.attention_common import InputsName, TransformerParams, config, fixed_inputs
from amsim.models.attention_init import init_statistics, logit_variance, logit_variance_theory


class Params(TransformerParams):
    """One initialisation draw: transformer sizes and parameterization, inputs."""

    inputs: InputsName = "bars"
    n_inputs: int = Field(2, ge=1, le=64, description="number of fixed inputs")
    dtype: Literal["float64", "float32"] = Field("float64", description="float32 halves time and memory for large H")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    logits: bool = True
    kernels: bool = False


def excess_kurtosis(logits: np.ndarray) -> float:
    """Excess kurtosis over heads (axis 0) at each (input, s, s'), averaged (NaN below 4 heads)."""
    if logits.shape[0] < 4:
        return float("nan")
    centred = logits - logits.mean(axis=0)
    m2 = (centred**2).mean(axis=0)
    m4 = (centred**4).mean(axis=0)
    return float((m4 / m2**2).mean() - 3.0)


class AttentionInitKind:
    name = "attention_init"
    Params = Params
    Record = Record

    def canonical(self, params: Params) -> dict:
        return params.model_dump()

    def estimate_bytes(self, params: Params, record: Record) -> int:
        nh = params.N * params.H
        item = 4 if params.dtype == "float32" else 8
        block = (3 * nh * nh + 3 * nh * nh) * item * 2
        acts = params.n_inputs * 16 * nh * 8 * 12
        logits = params.H * params.n_inputs * 256 * 8 * 4
        kernels = (params.L + 1) * (16 * params.n_inputs) ** 2 * 8 * 2
        return block + acts + logits + kernels + 50_000_000

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        cfg = config(params)
        x, _ = fixed_inputs(params.inputs, params.n_inputs, params.data_seed)
        dtype = np.float32 if params.dtype == "float32" else np.float64
        stats = init_statistics(cfg, x, rng, kernels=record.kernels, dtype=dtype)
        logits = stats["logits"].astype(np.float64)
        var = logit_variance(logits)
        theory = logit_variance_theory(cfg, stats["u_norm2"])
        arrays = {"u_norm2": stats["u_norm2"]}
        if record.logits:
            arrays["logits"] = logits.astype(np.float32)
        attrs = {
            "logit_var": var,
            "logit_var_theory": theory,
            "logit_var_ratio": var / theory,
            "logit_kurtosis": excess_kurtosis(logits),
            "logit_kurtosis_theory": 6.0 / params.N,
        }
        if record.kernels:
            arrays["kernels"] = stats["kernels"]
            attrs["kernel_final_diag"] = float(np.diagonal(stats["kernels"][-1]).mean())
        return TaskResult(arrays=arrays, attrs=attrs)

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("logit_var", "logit_var_theory", "logit_kurtosis")


KIND = AttentionInitKind()
