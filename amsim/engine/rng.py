"""Random streams derived from a scenario seed and a task id.

Every random draw of a task comes from ``task_rng(seed, task_id)``, a ``numpy.random.Generator`` over
``SeedSequence(seed, spawn_key=<task id as integers>)``.  A result therefore depends only on the
scenario seed and the task's parameters, never on the executor, the worker count or the order.
"""

from __future__ import annotations

import hashlib

import numpy as np


def spawn_key(task_id: str) -> tuple[int, ...]:
    """Four 32-bit words of the SHA-256 of the task id."""
    digest = hashlib.sha256(task_id.encode()).digest()
    return tuple(int.from_bytes(digest[k : k + 4], "little") for k in range(0, 16, 4))


def task_rng(seed: int, task_id: str = "") -> np.random.Generator:
    """The generator of one task; ``task_id = ""`` gives the stream of ad-hoc runs."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=spawn_key(task_id)))
