"""``amsim capacity``: measure one network's transition or sequence capacity with one protocol."""

from __future__ import annotations

import click

from amsim.cli.common import BACKEND_CHOICE, build_model, describe, model_options
from amsim.errors import AmsimError

#: threshold-only options and their flags, refused with the descending protocols
_THRESHOLD_FLAGS = {
    "target": "--target", "c": "-c/--tolerance", "confidence": "--confidence", "max_trials": "--max-trials",
}


@click.command()
@model_options
@click.option("-N", "n", type=int, required=True, help="Number of neurons.")
@click.option("--measure", type=click.Choice(["transition", "sequence"]), default="transition", show_default=True)
@click.option(
    "--protocol", type=click.Choice(["paper", "code", "threshold"]), default="threshold", show_default=True,
    help="paper: descending search of App. G; code: the release code's variant; threshold: P where the "
    "success probability crosses the target, with a confidence interval.",
)
@click.option(
    "--sequences", type=int, default=None,
    help="Sequences per trial, all of which must succeed [default: paper 100; code 1 for transition, "
    "100 for sequence; threshold 1].",
)
@click.option(
    "--scope", type=click.Choice(["first", "all", "cycle", "open"]), default=None,
    help="transition: first (xi^1 -> xi^2 only) or all (every cyclic transition); sequence: cycle "
    "(P steps, wrap-around included) or open (P-1 steps) [default: by protocol].",
)
@click.option("--reps", type=int, default=5, show_default=True, help="Repetitions of the search.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--target", type=float, default=None, help="threshold: success probability to cross [default: 0.5].")
@click.option(
    "-c", "--tolerance", "c", type=float, default=None, help="threshold: error tolerance c, target 1 - c (c > 0)."
)
@click.option("--confidence", type=float, default=None, help="threshold: coverage of the interval [default: 0.95].")
@click.option("--max-trials", type=int, default=None, help="threshold: trials per probe at most [default: 4096].")
@click.option(
    "--start-factor", type=float, default=None,
    help="paper/code: start at this multiple of the theory value [default: 2; the paper's degree scans: 2.5].",
)
@click.option(
    "--draws", type=click.Choice(["fresh", "nested"]), default="fresh", show_default=True,
    help="paper/code: fresh patterns for every probe, or nested prefixes of one draw per sequence, "
    "all probes in one pass (Hebbian DenseNet family).",
)
@click.option("--backend", type=BACKEND_CHOICE, default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a table.")
def capacity(
    n, measure, protocol, sequences, scope, reps, seed, target, c, confidence, max_trials,
    start_factor, draws, backend, as_json, **flags,
):
    """Measure the transition or sequence capacity of a network, beside its theory value.

    Example: amsim capacity --model densenet --f poly --d 2 -N 60 --measure sequence --protocol code
    --sequences 100 --reps 5 --seed 1 --json
    """
    import json

    from amsim.engine.protocols import ThresholdSettings, measure_capacity, resolve_target
    from amsim.engine.rng import task_rng

    if n < 2:
        raise AmsimError(f"-N must be >= 2, got {n}")
    if reps < 1:
        raise AmsimError(f"--reps must be >= 1, got {reps}")
    options = {}
    if protocol == "threshold":
        if start_factor is not None:
            raise AmsimError("--start-factor applies to the paper and code protocols only")
        defaults = ThresholdSettings()
        n_max = defaults.n_max if max_trials is None else max_trials
        if n_max < 1:
            raise AmsimError(f"--max-trials must be >= 1, got {n_max}")
        options["threshold"] = ThresholdSettings(
            target=resolve_target(c, target),
            confidence=defaults.confidence if confidence is None else confidence,
            n_initial=min(defaults.n_initial, n_max),
            n_max=n_max,
        )
    else:
        given = {"target": target, "c": c, "confidence": confidence, "max_trials": max_trials}
        stray = [_THRESHOLD_FLAGS[k] for k, v in given.items() if v is not None]
        if stray:
            raise AmsimError(f"{', '.join(stray)} applies to the threshold protocol only")
        if start_factor is not None:
            if start_factor <= 0:
                raise AmsimError(f"--start-factor must be > 0, got {start_factor}")
            options["start_factor"] = start_factor
    net, bias = build_model(flags)
    result = measure_capacity(
        net, n, measure, protocol, task_rng(seed), reps=reps, sequences=sequences, scope=scope, backend=backend,
        bias=bias, draws=draws, **options,
    )
    out = result.to_dict()
    out["seed"] = seed
    if as_json:
        click.echo(json.dumps(out))
        return
    _print_table(net, out)


def _print_table(net, out: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    threshold = out["protocol"] == "threshold"
    symbol = "P_T" if out["measure"] == "transition" else "P_S"
    title = (
        f"{describe(net)}, N={out['N']}: {out['measure']} capacity, {out['protocol']} protocol "
        f"({out['sequences']} sequence(s) per trial, scope {out['scope']}, {out['draws']} draws), "
        f"seed={out['seed']}"
    )
    table = Table(title=title, show_edge=False)
    columns = ["rep", "start P", "capacity"] + (["CI"] if threshold else []) + ["censored", "probes", "trials"]
    for col in columns:
        table.add_column(col, justify="right")
    for k, cap in enumerate(out["capacities"]):
        probes = out["probes"][k]
        row = [str(k), str(out["start_values"][k]), str(cap)]
        if threshold:
            low, high = out["ci"][k]
            row.append(f"[{low}, {'inf' if high is None else high}]")
        row += ["yes" if out["censored"][k] else "", str(len(probes)), str(sum(p["trials"] for p in probes))]
        table.add_row(*row)
    console = Console()
    console.print(table)
    caps = out["capacities"]
    what = f"P where p(P) >= {out['target']} (confidence {out['confidence']})" if threshold else "first success"
    console.print(
        f"{what}: mean {sum(caps) / len(caps):.4g} (min {min(caps)}, max {max(caps)}); "
        f"theory {symbol}({out['N']}) = {out['theory']:.4g}"
    )
