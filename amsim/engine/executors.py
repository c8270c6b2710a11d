"""Executors: run tasks and yield their outcomes as they complete.

Every executor has one shape, ``imap_unordered(fn, jobs)`` -> iterator of ``(job, outcome)``, where
``outcome`` is the return value of ``fn(job)`` or the exception it raised.  Workers never see the
result file: the driver that iterates is its only writer.

- ``serial``: in the driver process, in order.
- ``process``: a local pool of ``workers`` processes (spawned, so no compiled-kernel thread pools
  are forked); each worker limits Numba to its share of the cores.
- ``dask``: Dask distributed (the ``distributed`` extra).  Without ``scheduler`` it starts a local
  cluster of ``workers`` single-threaded worker processes; with ``scheduler="tcp://HOST:PORT"`` it
  connects to a running cluster (``dask scheduler`` / ``dask worker``, or dask-jobqueue).  A task
  whose worker dies is rescheduled by Dask on another worker (up to
  ``distributed.scheduler.allowed-failures`` times); results stream back one at a time and each is
  released as soon as the driver has it.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from multiprocessing import get_context

from amsim.errors import AmsimError

EXECUTORS = ("serial", "process", "dask")


class SerialExecutor:
    name = "serial"
    workers = 1

    def imap_unordered(self, fn, jobs):
        for job in jobs:
            try:
                yield job, fn(job)
            except Exception as err:  # recorded as a failed task by the driver
                yield job, err


THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def worker_env(workers: int) -> dict[str, str]:
    """Environment that limits each worker's Numba and BLAS threads to its share of the cores
    (``AMSIM_WORKER_THREADS`` sets that number explicitly)."""
    threads = os.environ.get("AMSIM_WORKER_THREADS") or str(max(1, (os.cpu_count() or 1) // workers))
    return {name: threads for name in THREAD_VARIABLES}


@contextmanager
def environment(values: dict[str, str]):
    """Set environment variables for processes started inside the block; restore them after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in saved.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int):
        self.workers = workers

    def imap_unordered(self, fn, jobs):
        with environment(worker_env(self.workers)), ProcessPoolExecutor(
            self.workers, mp_context=get_context("spawn")
        ) as pool:
            pending = {pool.submit(fn, job): job for job in jobs}
            try:
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        job = pending.pop(future)
                        err = future.exception()
                        yield job, err if err is not None else future.result()
            finally:
                for future in pending:
                    future.cancel()


class DaskExecutor:
    name = "dask"

    def __init__(self, workers: int, scheduler: str | None = None):
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise AmsimError(
                "the dask executor needs Dask distributed: pip install 'amsim[distributed]'"
            ) from None
        self.workers = workers
        self.scheduler = scheduler

    def _client(self):
        from distributed import Client, LocalCluster

        if self.scheduler:
            try:
                return Client(self.scheduler, timeout="10s"), None
            except OSError as err:
                raise AmsimError(f"cannot reach the Dask scheduler {self.scheduler}: {err}") from None
        cluster = LocalCluster(
            n_workers=self.workers, threads_per_worker=1, processes=True, dashboard_address=None,
            env=worker_env(self.workers),
        )
        return Client(cluster), cluster

    def imap_unordered(self, fn, jobs):
        from distributed import as_completed

        client, cluster = self._client()
        keys = [f"amsim-{job.task.task_id}" for job in jobs]
        owner = dict(zip(keys, jobs))
        try:
            for future in as_completed(client.map(fn, jobs, key=keys, pure=False)):
                job = owner.pop(future.key)
                yield job, future.exception() if future.status == "error" else future.result()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def get_executor(name: str, workers: int, scheduler: str | None = None):
    """The executor ``name`` with ``workers`` workers (``process`` is chosen for workers > 1)."""
    if workers < 1:
        raise AmsimError(f"--workers must be >= 1, got {workers}")
    if scheduler is not None and name != "dask":
        raise AmsimError("--scheduler needs --executor dask")
    if name == "dask":
        return DaskExecutor(workers, scheduler)
    if name == "serial" and workers == 1:
        return SerialExecutor()
    if name in ("serial", "process"):
        return ProcessExecutor(workers)
    raise AmsimError(f"unknown executor {name!r}; expected one of {', '.join(EXECUTORS)}")
