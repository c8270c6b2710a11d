"""Parameters shared by the transformer kinds ``attention_init`` and ``attention_train``."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from amsim.models.attention import TransformerConfig
from amsim.models.attention_data import CLASSES, D_IN, S, gaussian_tokens, make_batch


class TransformerParams(BaseModel):
    """Sizes and parameterization of the spec §3 transformer (every field may be scanned)."""

    model_config = ConfigDict(extra="forbid")

    N: int = Field(ge=1, le=4096, description="key/query dimension per head")
    H: int = Field(ge=1, le=4096, description="number of heads")
    L: int = Field(1, ge=1, le=64, description="number of blocks")
    alpha_A: float = Field(1.0, gt=0, le=2, description="attention-logit exponent (1/2 or 1 in the spec)")
    alpha_L: float = Field(1.0, ge=0.5, le=1.5, description="residual-branch depth exponent")
    beta0: float = Field(4.0, gt=0, description="residual-branch multiplier")
    L0: float = Field(1.0, gt=0, description="base depth of the branch and read-in/readout factors")
    qk_sqrt2: bool = Field(True, description="ViT convention: q and k divided by sqrt(2)")
    pos_embedding: bool = True
    data_seed: int = Field(0, ge=0, description="seed of the data stream, shared by all tasks")


def config(params, *, gamma0: float = 1.0, optimizer: str = "sgd", n_out: int = 4) -> TransformerConfig:
    return TransformerConfig(
        N=params.N, H=params.H, L=params.L, alpha_A=params.alpha_A, alpha_L=params.alpha_L,
        beta0=params.beta0, gamma0=gamma0, L0=params.L0, optimizer=optimizer, d_in=D_IN, S=S,
        n_out=n_out, qk_sqrt2=params.qk_sqrt2, pos_embedding=params.pos_embedding,
    )


def data_rng(data_seed: int, stream: int) -> np.random.Generator:
    """The data generators: stream 1 = training batches, 2 = test/probe inputs (task-independent)."""
    return np.random.default_rng(np.random.SeedSequence(data_seed, spawn_key=(0xA77E, stream)))


def fixed_inputs(inputs: str, count: int, data_seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """``count`` fixed inputs (and labels) of the generated task ``inputs`` (or Gaussian tokens)."""
    rng = data_rng(data_seed, 2)
    if inputs == "gaussian":
        return gaussian_tokens(rng, count), None
    return make_batch(inputs, rng, count)


InputsName = Literal["bars", "pairs", "gaussian"]
TaskName = Literal["bars", "pairs"]
N_CLASSES = CLASSES
