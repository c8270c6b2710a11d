"""The synchronous update ``S <- sgn(h)`` and the tie policies for ``sgn(0)`` (spec §1).

- ``error`` (default): a tie keeps the previous bit, so states stay in {-1, +1}, and counts as a
  recall error at that neuron.
- ``keep``: a tie keeps the previous bit and is not an error.
- ``plus``: a tie becomes +1.
- ``random``: a tie becomes ±1 drawn from the task's generator.
"""

from __future__ import annotations

import numpy as np

TIE_POLICIES = ("error", "keep", "plus", "random")


def apply_signs(signs, previous, policy: str = "error", rng: np.random.Generator | None = None):
    """Turn exact field signs into the next ±1 states.

    Parameters
    ----------
    signs : int8 array in {-1, 0, +1}, any shape
    previous : int8 array of the same shape, the states before the update
    policy : one of :data:`TIE_POLICIES`
    rng : generator, needed only by ``random``

    Returns
    -------
    states : int8 array in {-1, +1}
    tie_errors : bool array, True where a tie counts as a recall error (only under ``error``)
    """
    ties = signs == 0
    if policy in ("error", "keep"):
        fill = previous
    elif policy == "plus":
        fill = np.ones_like(previous)
    elif policy == "random":
        if rng is None:
            raise ValueError("tie policy 'random' needs a random generator")
        fill = np.where(rng.random(signs.shape) < 0.5, 1, -1).astype(np.int8)
    else:
        raise ValueError(f"unknown tie policy {policy!r}; expected one of {', '.join(TIE_POLICIES)}")
    states = np.where(ties, fill, signs).astype(np.int8)
    tie_errors = ties if policy == "error" else np.zeros_like(ties)
    return states, tie_errors
