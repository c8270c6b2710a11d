"""``amsim simulate``: one network, run from a stored pattern, summarised per step."""

from __future__ import annotations

import click

from amsim.cli.common import BACKEND_CHOICE, build_model, describe, model_options
from amsim.errors import AmsimError


@click.command()
@model_options
@click.option("-N", "n", type=int, required=True, help="Number of neurons.")
@click.option("-P", "p", type=int, required=True, help="Number of stored patterns.")
@click.option("--steps", type=int, default=None, help="Synchronous steps [default: P].")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--start", type=int, default=0, show_default=True, help="Start pattern index (0-based).")
@click.option("--backend", type=BACKEND_CHOICE, default="auto", show_default=True)
@click.option(
    "--tie-policy", type=click.Choice(["error", "keep", "plus", "random"]), default="error",
    show_default=True,
)
@click.option("--schedule", type=click.Choice(["sync", "async"]), default="sync", show_default=True,
              help="async: one step is a sweep of single-neuron updates in random order.")
def simulate(n, p, steps, seed, start, backend, tie_policy, schedule, **flags):
    """Run one network from a stored pattern and print, per step, the pattern it is on.

    Example: amsim simulate --model densenet --f poly --d 2 -N 100 -P 50 --steps 60 --seed 1
    """
    import numpy as np
    from rich.console import Console
    from rich.table import Table

    from amsim.engine.dynamics import run
    from amsim.engine.fields import BLOCK_ELEMENTS
    from amsim.engine.backends import get_backend
    from amsim.engine.memory import field_signs_bytes, require
    from amsim.engine.patterns import biased
    from amsim.engine.rng import task_rng

    if n < 2:
        raise AmsimError(f"-N must be >= 2, got {n}")
    if p < 1:
        raise AmsimError(f"-P must be >= 1, got {p}")
    if not 0 <= start < p:
        raise AmsimError(f"--start must lie in [0, P-1] = [0, {p - 1}], got {start}")
    steps = p if steps is None else steps
    if steps < 0:
        raise AmsimError(f"--steps must be >= 0, got {steps}")
    net, bias = build_model(flags)
    need = field_signs_bytes(get_backend(backend), 1, 1, p, n, 1, BLOCK_ELEMENTS)
    require(2 * n * p + need, f"a network of N={n}, P={p}")
    rng = task_rng(seed)
    patterns = biased(rng, (p, n), bias)
    traj = run(net, patterns, steps, start=start, backend=backend, tie_policy=tie_policy, rng=rng,
               schedule=schedule)
    overlaps = traj.overlaps[:, 0, 0, :]  # (T, P)
    table = Table(title=f"{describe(net)}, N={n}, P={p}, seed={seed}", show_edge=False)
    for col in ("step", "on pattern", "overlap", "expected", "bit errors", "ties"):
        table.add_column(col, justify="right")
    for k, t in enumerate(traj.times):
        best = int(np.argmax(overlaps[k]))
        expected = net.expected_index(start, int(t), p)
        errs = "" if t == 0 else str(traj.errors[t - 1, 0, 0])
        tie = "" if t == 0 else str(traj.ties[t - 1, 0, 0])
        style = None if t == 0 or traj.errors[t - 1, 0, 0] == 0 else "red"
        table.add_row(str(t), str(best), f"{overlaps[k, best]:+.3f}", str(expected), errs, tie, style=style)
    console = Console()
    console.print(table)
    correct = int((traj.errors == 0).sum()) if traj.errors is not None else 0
    console.print(
        f"{correct}/{traj.steps} steps without error; theory P_T={net.transition_capacity(n):.4g}, "
        f"P_S={net.sequence_capacity(n):.4g}"
    )
