"""The ``gated_dmft`` kind (spec AT-E1, §8.1): one finite-N gated-attention network beside its DMFT.

A task draws one network of width ``N`` (from the task's generator) with gate directions u_g drawn from
``u_seed`` alone, so every task of a file shares the u_g and hence one DMFT curve (the DMFT is
conditional on them, spec §8.1).  It trains the network by full-batch gradient descent and, for
alpha = 1, solves the DMFT (``discretization`` 'euler' = the spec's equations, 'exact' = with the
O(eta^2) terms of discrete gradient descent; ``q_init`` 'exact' or the notebook's 'notebook').

Arrays: ``loss`` and ``dmft_loss`` (T+1 entries, before each update and after the last), ``A_times``,
``A_net`` and ``A_dmft`` (gate matrices A_g(x_mu), (R, G, P), at the start and end or every
``gate_every`` steps), ``rho`` and ``u``.  Summary scalars: ``max_deviation`` (max_t |loss - DMFT|),
``final_loss``, ``dmft_final_loss``, ``gate_spread_init`` / ``gate_spread_final`` (standard deviation of
A_g(x_mu) over gates, averaged over mu: zero when all gates are identical, the toy head collapse).

The network's gradient comes from JAX autodiff (:func:`amsim.models.gated_dmft.network_step`), so a task
needs the 'attention' extra; without JAX it fails at once with a one-line ``pip install
'amsim[attention]'`` message.  The module itself (parameters, plan expansion, plots) imports without JAX.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amsim.engine.rng import task_rng
from amsim.experiments import TaskResult
from amsim.models import gated_dmft as gd


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")

    N: int = Field(ge=1, le=1_000_000, description="units per gate")
    G: int = Field(6, ge=1, le=256, description="number of gates")
    eta: float = Field(0.002, gt=0)
    gamma: float = Field(2.5, gt=0)
    steps: int = Field(1000, ge=0, le=10_000_000)
    alpha: float = Field(1.0, gt=0, le=2, description="the DMFT exists for alpha = 1 only")
    init: Literal["warm", "cold"] = "warm"
    discretization: Literal["euler", "exact"] = "euler"
    q_init: Literal["exact", "notebook"] = "exact"
    u_seed: int = Field(0, ge=0, description="seed of the gate directions u_g, shared by all tasks")


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate_every: int | None = Field(None, ge=1, description="record A every k steps (default: start and end)")


def gate_directions(u_seed: int, G: int) -> np.ndarray:
    """u_g of every task (and of ``amsim gated-dmft --seed u_seed``)."""
    return gd.draw_u(task_rng(u_seed, "gated-dmft-u"), G)


def spread(a: np.ndarray) -> float:
    """Standard deviation over gates (axis 0) averaged over data points."""
    return float(a.std(axis=0).mean()) if a.shape[0] > 1 else 0.0


class GatedDmftKind:
    name = "gated_dmft"
    Params = Params
    Record = Record

    def canonical(self, params: Params) -> dict:
        out = params.model_dump()
        if params.alpha != 1.0:  # no DMFT: its options do not split tasks
            out.pop("discretization")
            out.pop("q_init")
        return out

    def estimate_bytes(self, params: Params, record: Record) -> int:
        # weights and their gradients, the loss, and the gate history (every step, then subsampled)
        arrays = 8 * params.G * params.N * 40 + 16 * (params.steps + 1) + 2 * 8 * params.G * 4 * (params.steps + 2)
        return arrays + 300_000_000  # + the JAX runtime

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        gd.jax_modules()  # the network's training needs JAX: fail before any work without it
        rho = gd.gate_correlations(params.G, params.init)
        u = gate_directions(params.u_seed, params.G)
        net = gd.init_network(params.N, rho, u, params.alpha, rng)
        loss, a_net, _ = gd.simulate_network(net, params.eta, params.gamma, params.steps)
        every = record.gate_every or max(params.steps, 1)
        times = np.unique(np.r_[np.arange(0, params.steps + 1, every), params.steps])
        arrays = {"loss": loss, "A_times": times, "A_net": a_net[times], "rho": rho, "u": u}
        attrs = {
            "final_loss": float(loss[-1]),
            "gate_spread_init": spread(a_net[0]),
            "gate_spread_final": spread(a_net[-1]),
            "max_deviation": float("nan"),
            "dmft_final_loss": float("nan"),
        }
        if params.alpha == 1.0:
            dmft_loss, a_dmft = gd.solve_dmft(rho, u, params.eta, params.gamma, params.steps,
                                              discretization=params.discretization, q_init=params.q_init)
            arrays["dmft_loss"] = dmft_loss
            arrays["A_dmft"] = a_dmft[times]
            attrs["max_deviation"] = float(np.max(np.abs(loss - dmft_loss)))
            attrs["dmft_final_loss"] = float(dmft_loss[-1])
        return TaskResult(arrays=arrays, attrs=attrs)

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("max_deviation", "final_loss", "dmft_final_loss", "gate_spread_final")


KIND = GatedDmftKind()
