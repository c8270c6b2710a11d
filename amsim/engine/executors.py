"""Executors: run tasks and yield their outcomes as they complete.

Every executor has one shape, ``imap_unordered(fn, jobs)`` -> iterator of ``(job, outcome)``, where
``outcome`` is the return value of ``fn(job)`` or the exception it raised.  Workers never see the
result file: the driver that iterates is its only writer.

- ``serial``: in the driver process, in order.
- ``process``: a local pool of ``workers`` processes (spawned, so no compiled-kernel thread pools
  are forked); each worker limits Numba to its share of the cores.
"""

from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context

from amsim.errors import AmsimError

EXECUTORS = ("serial", "process")


class SerialExecutor:
    name = "serial"
    workers = 1

    def imap_unordered(self, fn, jobs):
        for job in jobs:
            try:
                yield job, fn(job)
            except Exception as err:  # recorded as a failed task by the driver
                yield job, err


def _limit_threads(threads: int) -> None:
    os.environ["NUMBA_NUM_THREADS"] = str(threads)


class ProcessExecutor:
    name = "process"

    def __init__(self, workers: int):
        self.workers = workers

    def imap_unordered(self, fn, jobs):
        threads = max(1, (os.cpu_count() or 1) // self.workers)
        with ProcessPoolExecutor(
            self.workers, mp_context=get_context("spawn"), initializer=_limit_threads,
            initargs=(threads,),
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


def get_executor(name: str, workers: int):
    """The executor ``name`` with ``workers`` workers (``process`` is chosen for workers > 1)."""
    if workers < 1:
        raise AmsimError(f"--workers must be >= 1, got {workers}")
    if name == "serial" and workers == 1:
        return SerialExecutor()
    if name in ("serial", "process"):
        return ProcessExecutor(workers)
    raise AmsimError(f"unknown executor {name!r}; expected one of {', '.join(EXECUTORS)}")
