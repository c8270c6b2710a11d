"""Commands of the scenario pipeline: run, scan, list, show, inspect, replay."""

from __future__ import annotations

import os
import sys
from collections import defaultdict
from pathlib import Path

import click

from amsim.cli.common import BACKEND_CHOICE
from amsim.errors import AmsimError

EXECUTOR_CHOICE = click.Choice(["serial", "process", "dask"])


def _console():
    from rich.console import Console

    return Console()


def execute(plan, output, backend, executor, workers, overwrite, scheduler=None) -> None:
    """Run a plan with a progress bar, then print what was measured (shared by run and scan)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from amsim.engine.pipeline import run_plan

    defaults = plan.scenario.run
    backend = backend or defaults.backend
    workers = workers or defaults.workers
    if scheduler is not None:
        executor = executor or "dask"
    elif executor == "dask" and workers == 1 and defaults.workers == 1:
        workers = os.cpu_count() or 1  # a local Dask cluster sized to the machine
    executor = executor or ("process" if workers > 1 else defaults.executor)
    out = Path(output or f"{plan.scenario.name}.h5")
    console = _console()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        progress_id = bar.add_task(plan.scenario.name, total=len(plan.tasks))

        def advance(task, status):
            bar.advance(progress_id)

        try:
            report = run_plan(plan, out, backend, executor, workers, overwrite, progress=advance,
                              scheduler=scheduler)
        except KeyboardInterrupt:
            bar.stop()
            console.print(f"[yellow]interrupted[/]: finished tasks are saved in {out}; "
                          "run the same command again to resume")
            sys.exit(130)
        bar.update(progress_id, completed=report.skipped + len(report.done) + len(report.failed))
    if report.skipped:
        console.print(f"resumed: {report.skipped} of {report.total} tasks were already in {out}")
    print_summary(console, out)
    console.print(f"results: {out}")
    if report.failed:
        console.print(f"[red]{len(report.failed)} task(s) failed[/]:")
        for task_id, message in report.failed.items():
            console.print(f"  {task_id}: {message}", markup=False)
        sys.exit(1)


def print_summary(console, path) -> None:
    """One row per grid point: repetitions done and the mean of the kind's summary scalars."""
    from rich.table import Table

    from amsim.engine.store import open_results
    from amsim.experiments import get_kind
    from amsim.scenarios.loader import parse_scenario

    results = open_results(path)
    plan = parse_scenario(results.scenario, str(path))
    columns = get_kind(plan.scenario.kind).summary_columns()
    varying = list(plan.grid)
    rows = defaultdict(list)
    for task in plan.tasks:
        attrs = results.tasks.get(task.task_id, {}).get("attrs")
        if attrs is not None and attrs.get("status") == "done":
            rows[tuple(str(task.point[k]) for k in varying)].append(attrs)
    table = Table(title=f"{plan.scenario.name}: mean over repetitions", show_edge=False)
    for name in [*varying, "reps", *columns]:
        table.add_column(name, justify="right")
    for key, group in rows.items():
        means = [sum(float(a[c]) for a in group) / len(group) for c in columns]
        table.add_row(*map(str, key), str(len(group)), *(f"{m:.4g}" for m in means))
    console.print(table)


@click.command()
@click.argument("scenario", required=False)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Result file [default: NAME.h5].")
@click.option("--backend", type=BACKEND_CHOICE, default=None, help="Override the scenario's backend.")
@click.option("--executor", type=EXECUTOR_CHOICE, default=None,
              help="serial, a local process pool, or Dask distributed.")
@click.option("--workers", type=int, default=None,
              help="Worker processes (> 1 implies --executor process; dask: local cluster size).")
@click.option("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT (implies dask).")
@click.option("--overwrite", is_flag=True, help="Replace a result file of another scenario.")
def run(scenario, output, backend, executor, workers, scheduler, overwrite):
    """Run a scenario file or bundled scenario (default: the bundled 'default') into an HDF5 file.

    Rerunning into the same file skips finished tasks (resume).
    """
    from amsim.scenarios.loader import load_scenario

    execute(load_scenario(scenario), output, backend, executor, workers, overwrite, scheduler)


def _parse_values(text: str):
    """A flag value of ``amsim scan``: ``a:b:s`` range (kept as text), ``x,y,z`` list, or a scalar."""
    if ":" in text:
        return text
    items = [_scalar(v.strip()) for v in text.split(",")]
    return items if len(items) > 1 else items[0]


def _scalar(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parameter_options(func):
    """One text option per trajectory parameter (``-N``, ``-P``, ``--tie-policy`` ...), each taking
    a value, a list or a range; unset ones keep the schema's default (``-P`` defaults to 20 here)."""
    from amsim.experiments.trajectory import Params

    for name, info in reversed(Params.model_fields.items()):
        flags = ["-" + name] if name in ("N", "P") else ["--" + name.replace("_", "-")]
        text = (info.description or "").strip()
        if name == "N":
            func = click.option(*flags, name, required=True, help="e.g. 100, 20,40,80 or 20:100:20 (stop included).")(func)
        else:
            func = click.option(*flags, name, default="20" if name == "P" else None, help=text or None,
                                show_default=name == "P")(func)
    return func


@click.command()
@parameter_options
@click.option("--reps", type=int, default=1, show_default=True, help="Repetitions per grid point.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--name", default="scan", show_default=True, help="Scenario name.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Result file [default: NAME.h5].")
@click.option("--save-scenario", type=click.Path(dir_okay=False), help="Write the equivalent TOML here.")
@click.option("--backend", type=BACKEND_CHOICE, default=None)
@click.option("--executor", type=EXECUTOR_CHOICE, default=None)
@click.option("--workers", type=int, default=None)
@click.option("--scheduler", default=None, help="Dask scheduler address tcp://HOST:PORT.")
@click.option("--overwrite", is_flag=True)
def scan(reps, seed, name, output, save_scenario, backend, executor, workers, scheduler, overwrite, **flags):
    """Scan network sizes (or any parameter) straight from flags, e.g.

    amsim scan --model densenet --f poly --d 2 -N 20:100:20 --reps 5 -o scan.h5

    Every parameter flag takes a value, a list (1,2,3) or a range (start:stop:step).
    """
    import tomli_w

    from amsim.scenarios.loader import parse_scenario

    params, grid = {}, {}
    for key in flags:
        if flags[key] is None:
            continue
        value = _parse_values(flags[key])
        (grid if isinstance(value, list) or ":" in str(value) else params)[key] = value
    data = {
        "name": name,
        "description": "generated by amsim scan",
        "kind": "trajectory",
        "seed": seed,
        "repetitions": reps,
        "params": params,
        "scan": grid,
        "record": {"every": 1, "overlaps": True, "states": True},
    }
    text = tomli_w.dumps(data)
    plan = parse_scenario(text, "amsim scan")
    if save_scenario:
        Path(save_scenario).write_text(text)
    execute(plan, output, backend, executor, workers, overwrite, scheduler)


@click.command(name="list")
def list_scenarios():
    """List the bundled scenarios with their descriptions."""
    from rich.table import Table

    from amsim.scenarios.loader import DEFAULT_SCENARIO, bundled_scenarios, parse_scenario

    table = Table(show_edge=False)
    for col in ("scenario", "kind", "tasks", "description"):
        table.add_column(col)
    for name, text in bundled_scenarios().items():
        plan = parse_scenario(text, f"bundled:{name}")
        label = f"{name} (default)" if name == DEFAULT_SCENARIO else name
        table.add_row(label, plan.scenario.kind, str(len(plan.tasks)), plan.scenario.description)
    _console().print(table)


@click.command()
@click.argument("scenario", required=False)
def show(scenario):
    """Show the expanded plan of a scenario (task count, grid, memory per task); runs nothing."""
    from rich.table import Table

    from amsim.scenarios.loader import load_scenario

    plan = load_scenario(scenario)
    sc = plan.scenario
    console = _console()
    console.print(f"[bold]{sc.name}[/] ({plan.source}): {sc.description}")
    console.print(f"kind {sc.kind}, seed {sc.seed}, {sc.repetitions} repetition(s), "
                  f"{len(plan.tasks)} tasks; run defaults: {sc.run.model_dump()}")
    fixed = {k: v for k, v in plan.tasks[0].params.items() if k not in plan.grid}
    console.print(f"fixed parameters: {fixed}")
    record = plan.record()
    sizes = [plan.kind.estimate_bytes(plan.params(t), record) for t in plan.tasks]
    table = Table(title="tasks", show_edge=False)
    for col in ("#", "task id", *plan.grid, "rep", "memory"):
        table.add_column(col, justify="right")
    for task, size in zip(plan.tasks, sizes):
        table.add_row(str(task.index), task.task_id, *(str(task.point[k]) for k in plan.grid),
                      str(task.repetition), _bytes(size))
    console.print(table)
    console.print(f"estimated memory per task: {_bytes(min(sizes))} to {_bytes(max(sizes))}")


def _bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


@click.command()
@click.argument("results", type=click.Path(dir_okay=False))
def inspect(results):
    """Show a result file's run metadata and a summary table of its tasks."""
    from rich.table import Table

    from amsim.engine.store import open_results

    res = open_results(results)
    console = _console()
    meta = Table(title=f"{results}", show_header=False, show_edge=False)
    for key, value in res.attrs.items():
        meta.add_row(key, str(value))
    console.print(meta)
    params = {task_id: res.params(task_id) for task_id in res.tasks}
    names = list(dict.fromkeys(n for p in params.values() for n in p))
    varying = [n for n in names if len({str(p.get(n)) for p in params.values()}) > 1]
    fixed = {n: v for n, v in next(iter(params.values()), {}).items() if n not in varying}
    console.print(f"fixed parameters: {fixed}")
    table = Table(title=f"{len(res.tasks)} finished or failed tasks", show_edge=False)
    for col in ("#", "task id", *varying, "rep", "status", "where"):
        table.add_column(col, justify="right")
    for task_id, entry in sorted(res.tasks.items(), key=lambda kv: int(kv[1]["attrs"]["index"])):
        attrs = entry["attrs"]
        where = "file" if entry["source"] == res.path else "journal"
        table.add_row(str(attrs["index"]), task_id, *(str(params[task_id].get(n, "")) for n in varying),
                      str(attrs["repetition"]), str(attrs["status"]), where)
    console.print(table)


@click.command()
@click.argument("results", type=click.Path(dir_okay=False))
@click.argument("task")
@click.option("--steps", default=None, help="Only steps a:b (inclusive).")
@click.option("--verify", is_flag=True, help="Re-simulate from the stored seed and compare bit for bit.")
def replay(results, task, steps, verify):
    """Play back a stored trajectory: per step, the closest pattern and its overlap.

    TASK is a task id, a unique prefix of one, or a task index.  With --verify the task is simulated
    again from its stored parameters and seed; exit status 1 names the first differing step.
    """
    from rich.table import Table

    from amsim.engine.replay import playback
    from amsim.engine.replay import verify as verify_task
    from amsim.engine.store import open_results

    res = open_results(results)
    task_id = res.find(task)
    pb = playback(res, task_id)
    lo, hi = _step_range(steps, int(pb.times[-1]))
    table = Table(title=f"task {task_id}: {res.params(task_id)}", show_edge=False)
    for col in ("step", "closest pattern", "overlap", "expected", "bit errors"):
        table.add_column(col, justify="right")
    for t, c, m, e, err in zip(pb.times, pb.closest, pb.overlap, pb.expected, pb.errors):
        if lo <= t <= hi:
            table.add_row(str(t), str(c), f"{m:+.3f}", str(e), "" if err < 0 else str(err),
                          style="red" if err > 0 else None)
    console = _console()
    console.print(table)
    if verify:
        ok, message = verify_task(res, task_id)
        console.print(("[green]verified[/]: " if ok else "[red]MISMATCH[/]: ") + message)
        if not ok:
            sys.exit(1)


def _step_range(text: str | None, last: int) -> tuple[int, int]:
    if text is None:
        return 0, last
    try:
        a, b = (p.strip() for p in text.split(":"))
        return int(a) if a else 0, int(b) if b else last
    except ValueError:
        raise AmsimError(f"--steps takes 'a:b' (either side may be empty), got {text!r}") from None
