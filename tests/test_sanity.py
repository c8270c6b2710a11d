"""Sanity of the simulated capacity against Eq. (9) (spec §3.1, §3.4): polynomial DenseNet, d = 2.

These are statistical tests with fixed seeds; the thresholds are set far from where the model sits,
so they test that the engine reproduces the theory's *scale* (a wrong overlap normalization, a
missing self-exclusion or a wrong successor would move the capacity by large factors), not its
third digit.
"""

from __future__ import annotations

import numpy as np

from amsim import make_model, sequence_recall
from amsim.engine.patterns import rademacher

N = 100
TRIALS = 100


def recall_successes(p: int, seed: int) -> int:
    """Whole-cycle free recall (P steps from xi^1, wrap-around included) of TRIALS independent
    pattern sets, batched as (S, P, N)."""
    model = make_model("densenet", f="poly", d=2, form="sequence")
    patterns = rademacher(np.random.default_rng(seed), (TRIALS, p, N))
    out = sequence_recall(model, patterns, backend="numba")
    assert out["success"].shape == (TRIALS,)
    return int(out["success"].sum())


def test_recall_succeeds_well_below_sequence_capacity():
    """P = P_S / 4 = 30 (P_S(100) = 120.6).

    Why >= 95 of 100 is safe: with crosstalk variance v = (P-1) E[Xi^4] ~ 3 (P-1) / N^2 = 0.0089
    per bit, one bit flips with probability ~ H(1/sqrt v) = H(10.6) ~ 1e-26 (Gaussian estimate);
    the union bound over N P = 3000 bits gives a cycle failure probability ~ 1e-22.  Even if the
    Gaussian tail were wrong by 15 orders of magnitude, the chance of > 5 failures in 100 trials
    would be negligible; the margin is there only to keep the test robust, not because failures
    are expected (a broken engine fails almost every trial here, or none at the next test).
    """
    model = make_model("densenet", f="poly", d=2, form="sequence")
    p = round(model.sequence_capacity(N) / 4)
    assert p == 30
    assert recall_successes(p, seed=101) >= 95


def test_recall_fails_well_above_transition_capacity():
    """P = 4 P_T = 1448 (P_T(100) = 361.9).

    Why <= 5 of 100 successes is safe: v = 3 (P-1) / N^2 = 0.43, one bit flips with probability
    ~ H(1/sqrt v) = H(1.5) = 0.067, so even the *first* transition is correct with probability
    ~ (1 - 0.067)^100 ~ 1e-3, and the whole cycle of 1448 transitions essentially never: the
    expected number of successes is << 0.1 and 6 or more has probability < 1e-15.
    """
    model = make_model("densenet", f="poly", d=2, form="sequence")
    p = round(4 * model.transition_capacity(N))
    assert p == 1448
    assert recall_successes(p, seed=202) <= 5
