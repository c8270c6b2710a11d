"""The ``attention_train`` kind (spec AT-E3 to AT-E6, §8.3): train the spec §3 transformer (JAX).

One task draws the transformer from the task's generator and trains it with the spec §4 rule (SGD
with momentum: eta = eta0 gamma0^2 NH (L/L0)^(2 alpha_L - 1); Adam: eta0/sqrt(NH)) on the centred,
gamma0-rescaled cross-entropy, for ``steps`` online batches of a generated task (``bars`` or ``pairs``,
:mod:`amsim.models.attention_data`).  The data stream, the test set and the probe inputs come from
``data_seed`` only, so repetitions differ in their initialisation alone (across-seed spread of
predictions) and every grid point sees the same batches (learning-rate transfer).

Arrays: ``loss`` (batch loss before each update), ``times`` and, at those steps, ``test_loss`` and
``movement`` (|W(t) - W(0)|_F / |W(0)|_F per block and weight W_Q, W_K, W_V, W_O, W_1, W_2);
``logits_init`` / ``logits_final`` (per-head logits of the probe inputs, (L, H, probes, S, S)) and
``predictions`` (centred outputs f~ on the test set at the end).

Summary scalars: ``final_loss`` (mean batch loss over the last tenth of the steps), ``test_loss``,
``logit_var_init`` / ``logit_var_final`` (variance over heads, averaged over blocks, probes and position
pairs), ``kq_movement`` (final relative movement of W_Q and W_K, averaged over both and the blocks),
``lr``, ``n_params``, ``compute`` (6 x parameters x tokens processed) and ``diverged``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amsim.experiments import TaskResult
from amsim.experiments.attention_common import (
    N_CLASSES, TaskName, TransformerParams, config, data_rng, fixed_inputs,
)
from amsim.models.attention import init_params, train
from amsim.models.attention_data import S, make_batch


class Params(TransformerParams):
    """One training run: transformer, optimizer and rate, data."""

    gamma0: float = Field(0.1, gt=0, description="feature-learning strength (output rescaling)")
    eta0: float = Field(0.2, gt=0, description="base learning rate before the spec §4 rule")
    optimizer: Literal["sgd", "adam"] = "sgd"
    momentum: float = Field(0.9, ge=0, lt=1, description="SGD momentum (ignored by Adam)")
    steps: int = Field(300, ge=1, le=1_000_000)
    batch: int = Field(32, ge=1, le=4096)
    task: TaskName = "bars"
    n_test: int = Field(128, ge=1, le=8192, description="fixed test inputs (predictions, test loss)")
    n_probe: int = Field(2, ge=1, le=64, description="fixed probe inputs whose logits are stored")
    dtype: Literal["float32", "float64"] = "float32"


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    every: int = Field(10, ge=1, description="steps between test-loss and weight-movement records")
    logits: bool = True
    predictions: bool = True


def head_variance(logits: np.ndarray) -> float:
    """Variance over heads (axis 1 of (L, H, P, S, S)), averaged over blocks, probes and pairs."""
    if logits.shape[1] < 2 or logits.size == 0:
        return float("nan")
    return float(logits.astype(np.float64).var(axis=1, ddof=1).mean())


class AttentionTrainKind:
    name = "attention_train"
    Params = Params
    Record = Record

    def canonical(self, params: Params) -> dict:
        out = params.model_dump()
        if params.optimizer == "adam":
            out.pop("momentum")
        return out

    def estimate_bytes(self, params: Params, record: Record) -> int:
        cfg = config(params, gamma0=params.gamma0, optimizer=params.optimizer, n_out=N_CLASSES[params.task])
        item = 4 if params.dtype == "float32" else 8
        weights = cfg.n_params() * item * 6  # params, init, grads, optimizer state, temporaries
        nh = cfg.width
        acts = params.batch * S * nh * item * 14 * params.L * 3 + params.batch * params.H * S * S * item * 8 * params.L
        evals = params.n_test * S * nh * item * 10 + params.n_probe * params.L * params.H * S * S * 8 * 2
        return weights + acts + evals + 300_000_000  # + the JAX runtime

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        k = N_CLASSES[params.task]
        cfg = config(params, gamma0=params.gamma0, optimizer=params.optimizer, n_out=k)
        p0 = init_params(cfg, rng)
        stream = data_rng(params.data_seed, 1)

        def batches(t):
            return make_batch(params.task, stream, params.batch)

        tx, ty = fixed_inputs(params.task, max(params.n_test, params.n_probe), params.data_seed)
        res = train(
            cfg, p0, batches, params.steps, params.eta0, test=(tx[: params.n_test], ty[: params.n_test]),
            probe=tx[: params.n_probe] if record.logits else None, momentum=params.momentum,
            every=record.every, dtype=params.dtype,
        )
        tail = max(params.steps // 10, 1)
        final_mov = res.movement[-1]
        arrays = {
            "loss": res.loss, "times": res.times, "test_loss": res.test_loss, "movement": res.movement,
        }
        if record.logits:
            arrays["logits_init"] = res.logits_init
            arrays["logits_final"] = res.logits_final
        if record.predictions:
            arrays["predictions"] = res.predictions
        attrs = {
            "final_loss": float(np.mean(res.loss[-tail:])) if not res.diverged else float("nan"),
            "test_loss": float(res.test_loss[-1]),
            "logit_var_init": head_variance(res.logits_init) if record.logits else float("nan"),
            "logit_var_final": head_variance(res.logits_final) if record.logits else float("nan"),
            "kq_movement": float(final_mov[:, :2].mean()),
            "lr": res.lr,
            "n_params": cfg.n_params(),
            "compute": 6.0 * cfg.n_params() * params.batch * S * params.steps,
            "diverged": bool(res.diverged),
        }
        return TaskResult(arrays=arrays, attrs=attrs)

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("final_loss", "test_loss", "logit_var_final", "kq_movement")


KIND = AttentionTrainKind()
