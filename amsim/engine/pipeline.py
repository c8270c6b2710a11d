"""Plan -> executor -> store: the driver of ``amsim run`` and ``amsim scan``.

:func:`execute_task` is the pure function workers run: it rebuilds the task's parameters, its
generator ``task_rng(seed, task_id)`` and the backend by name, so its result depends on nothing else.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from amsim.engine.backends import get_backend
from amsim.engine.executors import get_executor
from amsim.engine.plan import Plan, Task
from amsim.engine.rng import task_rng
from amsim.engine.store import ResultStore
from amsim.engine.memory import require
from amsim.experiments import get_kind

#: seconds between checkpoints that merge the journal into the result file during long runs
#: (environment variable ``AMSIM_CHECKPOINT_SECONDS``; 0 merges after every task)
CHECKPOINT_SECONDS = float(os.environ.get("AMSIM_CHECKPOINT_SECONDS", "60"))


@dataclass(frozen=True)
class Job:
    """What a worker needs to compute one task (plain, picklable data)."""

    kind: str
    task: Task
    record: dict
    backend: str


def execute_task(job: Job):
    """Run one task; returns ``(TaskResult, backend name, seconds)``."""
    kind = get_kind(job.kind)
    backend = get_backend(job.backend)
    start = time.perf_counter()
    result = kind.run(
        kind.Params(**job.task.params), kind.Record(**job.record),
        task_rng(job.task.seed, job.task.task_id), backend,
    )
    return result, backend.name, time.perf_counter() - start


@dataclass
class RunReport:
    """What a run did: tasks skipped (already finished), done now, failed (id -> message)."""

    total: int
    skipped: int
    done: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


def check_memory(plan: Plan, tasks: list[Task], workers: int) -> None:
    """Refuse before allocating when the largest task, times the workers, cannot fit."""
    if not tasks:
        return
    record = plan.record()
    need = max(plan.kind.estimate_bytes(plan.params(t), record) for t in tasks)
    require(need, f"the largest task of {plan.scenario.name!r} with {workers} worker(s)", copies=workers)


def run_plan(
    plan: Plan, out, backend: str = "auto", executor: str = "serial", workers: int = 1,
    overwrite: bool = False, progress=None, scheduler: str | None = None,
) -> RunReport:
    """Run every unfinished task of ``plan`` into the file ``out``.

    ``progress(task, status)`` is called after each task.  On ``KeyboardInterrupt`` the finished tasks
    are merged into the file before the interrupt propagates.
    """
    resolved = get_backend(backend).name
    pool = get_executor(executor, workers, scheduler)
    store = ResultStore(out, plan, backend=resolved, overwrite=overwrite)
    finished = store.finished()
    todo = [t for t in plan.tasks if t.task_id not in finished]
    report = RunReport(total=len(plan.tasks), skipped=len(plan.tasks) - len(todo))
    if scheduler is None:  # a remote cluster's memory is its workers', not ours
        check_memory(plan, todo, workers)
    record = plan.scenario.record
    jobs = [Job(plan.scenario.kind, t, record, resolved) for t in todo]
    last = time.monotonic()
    try:
        for job, outcome in pool.imap_unordered(execute_task, jobs):
            if isinstance(outcome, BaseException):
                message = f"{type(outcome).__name__}: {outcome}"
                store.write(job.task, "failed", {}, {"error": message})
                report.failed[job.task.task_id] = message
                status = "failed"
            else:
                result, name, seconds = outcome
                attrs = {**result.attrs, "backend": name, "elapsed_s": seconds}
                store.write(job.task, "done", result.arrays, attrs)
                report.done.append(job.task.task_id)
                status = "done"
            if progress is not None:
                progress(job.task, status)
            if time.monotonic() - last >= CHECKPOINT_SECONDS:
                store.checkpoint()
                last = time.monotonic()
    finally:
        store.close()
    return report
