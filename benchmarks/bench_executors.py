"""Scan speedup with 1 and 2 workers under the process-pool and Dask executors (issue 9).

A scan of 16 equal trajectory tasks (polynomial DenseNet d = 2, numpy backend) runs into a fresh
result file under each executor and worker count; the script prints the wall times and the speedup
of 2 workers over 1 worker of the same executor, all measured in this one run.  Every run's results
are checked equal to the first run's, so speed is never bought with different answers.  Each worker
runs single-threaded (``AMSIM_WORKER_THREADS=1``): otherwise one worker's BLAS already uses both
cores and the comparison measures threads, not the executor.

Usage: python benchmarks/bench_executors.py [--tasks 16] [--steps 600]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from amsim.engine.pipeline import run_plan
from amsim.engine.store import open_results
from amsim.scenarios.loader import parse_scenario

SCENARIO = """
name = "bench-executors"
kind = "trajectory"
seed = 1
repetitions = {tasks}

[params]
model = "densenet"
d = 2
N = 500
P = 400
steps = {steps}

[record]
every = 10
states = false
"""


def arrays(path: Path) -> dict:
    res = open_results(path)
    return {t: res.read_task(t)[1] for t in sorted(res.tasks)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=16)
    parser.add_argument("--steps", type=int, default=600)
    args = parser.parse_args()
    os.environ["AMSIM_WORKER_THREADS"] = "1"
    plan = parse_scenario(SCENARIO.format(tasks=args.tasks, steps=args.steps), "bench")
    rows, reference = [], None
    with tempfile.TemporaryDirectory() as tmp:
        for executor in ("process", "dask"):
            for workers in (1, 2):
                out = Path(tmp) / f"{executor}-{workers}.h5"
                start = time.perf_counter()
                report = run_plan(plan, out, backend="numpy", executor=executor, workers=workers)
                seconds = time.perf_counter() - start
                assert not report.failed, report.failed
                got = arrays(out)
                if reference is None:
                    reference = got
                for task_id, data in got.items():
                    for key, value in data.items():
                        np.testing.assert_array_equal(value, reference[task_id][key])
                rows.append((executor, workers, seconds))
    print(f"{len(plan.tasks)} equal tasks (N=500, P=400, {args.steps} steps, numpy backend)")
    print(f"{'executor':<10}{'workers':>8}{'seconds':>10}{'speedup':>10}")
    base = {}
    for executor, workers, seconds in rows:
        base.setdefault(executor, seconds)
        print(f"{executor:<10}{workers:>8}{seconds:>10.2f}{base[executor] / seconds:>10.2f}")


if __name__ == "__main__":
    main()
