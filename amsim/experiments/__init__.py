"""Experiment kinds: what one task of a scenario computes.

A kind is a module-level object ``KIND`` with

- ``name``: the scenario ``kind`` string;
- ``Params``: a pydantic model of one task's parameters (validated before anything runs);
- ``Record``: a pydantic model of the scenario's ``[record]`` table (may be empty);
- ``canonical(params) -> dict``: the plain parameters that identify a task (irrelevant ones dropped);
- ``estimate_bytes(params, record) -> int``: memory one task needs at its peak;
- ``run(params, record, rng, backend) -> TaskResult``: the pure function of (parameters, the task's
  generator) that computes it;
- ``summary_columns() -> tuple[str, ...]``: scalar attributes shown per grid point by ``amsim run``.

Kinds are looked up by name with :func:`get_kind`; later kinds (capacity, ensembles, attention) plug in
by adding an entry to :data:`KINDS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

import numpy as np

#: kind name -> module that defines ``KIND`` (or ``module:NAME`` for a module with several kinds)
KINDS = {
    "trajectory": "amsim.experiments.trajectory",
    "transition_capacity": "amsim.experiments.capacity:TRANSITION",
    "sequence_capacity": "amsim.experiments.capacity:SEQUENCE",
    "crosstalk": "amsim.experiments.crosstalk",
    "softmax_trajectory": "amsim.experiments.softmax",
    "attention_init": "amsim.experiments.attention_init",
    "attention_train": "amsim.experiments.attention_train",
    "gated_dmft": "amsim.experiments.attention_gated",
    "rf_ensemble": "amsim.experiments.rf_ensemble",
}


@dataclass
class TaskResult:
    """What one task produced: arrays for HDF5 datasets and scalars for attributes.

    ``arrays`` maps dataset names to numpy arrays (stored chunked and compressed); ``attrs`` maps
    names to plain scalars or strings (stored as attributes).
    """

    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    attrs: dict[str, object] = field(default_factory=dict)


def get_kind(name: str):
    """The experiment kind called ``name``; ``ValueError`` naming the known kinds otherwise."""
    if name not in KINDS:
        raise ValueError(f"unknown experiment kind {name!r}; expected one of {', '.join(KINDS)}")
    module, _, attr = KINDS[name].partition(":")
    return getattr(importlib.import_module(module), attr or "KIND")
