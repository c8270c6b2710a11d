"""A run killed with SIGKILL mid-scan leaves a readable file with every finished task intact, and a
resumed run ends equal to an uninterrupted one (issue 3).  Also: serial and process-pool execution
give identical results."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from amsim.engine.pipeline import run_plan
from amsim.engine.store import StoreError, journal_dir, open_results
from amsim.scenarios.loader import load_scenario

# 24 tasks of a few hundred milliseconds each on the numpy backend: long enough to be killed mid-run.
SLOW = textwrap.dedent(
    """
    name = "slow"
    kind = "trajectory"
    seed = 5
    repetitions = 4

    [params]
    model = "densenet"
    d = 2
    N = 300
    steps = 120

    [scan]
    P = [60, 90, 120, 150, 180, 210]

    [record]
    every = 3

    [run]
    backend = "numpy"
    """
)


def amsim_command(*args):
    return [sys.executable, "-c", "from amsim.cli import main; main()", *args]


def finished_count(out):
    """Tasks finished so far, counted from the outside without opening HDF5 files being written."""
    journal = journal_dir(out)
    return len(list(journal.glob("*.h5"))) if journal.is_dir() else 0


def assert_same_results(a_path, b_path, plan):
    a, b = open_results(a_path), open_results(b_path)
    assert set(a.tasks) == set(b.tasks) == {t.task_id for t in plan.tasks}
    for task in plan.tasks:
        _, xa = a.read_task(task.task_id)
        _, xb = b.read_task(task.task_id)
        assert xa.keys() == xb.keys()
        for key in xa:
            np.testing.assert_array_equal(xa[key], xb[key], err_msg=f"{task.task_id}/{key}")


@pytest.mark.parametrize("kill_after", [3, 9])
def test_sigkill_then_resume_equals_uninterrupted_run(tmp_path, kill_after):
    """Killed once tasks sit in the journal (no checkpoint yet)."""
    kill_and_resume(tmp_path, kill_after=kill_after, env={})


@pytest.mark.parametrize("merges,jitter", [(2, 0.0), (4, 0.004), (6, 0.008), (8, 0.013)])
def test_sigkill_during_checkpoints(tmp_path, merges, jitter):
    """Checkpoint after every task; killed a few milliseconds after the k-th merge replaced
    results.h5, i.e. somewhere in the next task or inside the next merge."""
    kill_and_resume(tmp_path, merges=merges, jitter=jitter, env={"AMSIM_CHECKPOINT_SECONDS": "0"})


def merged_count(out):
    """Tasks merged into ``out``; safe while the run goes on, since the file is only ever replaced
    whole (an open handle keeps reading the version it opened)."""
    try:
        return sum(entry["source"] == out for entry in open_results(out).tasks.values())
    except StoreError:
        return 0


def kill_and_resume(tmp_path, env, kill_after=None, merges=None, jitter=0.0):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW)
    plan = load_scenario(str(scenario))
    out = tmp_path / "killed.h5"
    proc = subprocess.Popen(amsim_command("run", str(scenario), "-o", str(out)),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **env})
    started = time.monotonic()
    while proc.poll() is None and time.monotonic() < started + 60:
        if kill_after is not None and finished_count(out) >= kill_after:
            break
        if merges is not None and merged_count(out) >= merges:
            time.sleep(jitter)
            break
        time.sleep(0.001)
    assert proc.poll() is None, "the run finished before it could be killed: make SLOW slower"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    # the killed run left a readable file; every task it finished is there (file or journal)
    partial = open_results(out)
    assert len(partial.tasks) < len(plan.tasks)
    if kill_after is not None:
        assert len(partial.tasks) >= kill_after
    for task_id in partial.tasks:
        attrs, arrays = partial.read_task(task_id)
        assert attrs["complete"] and "states" in arrays

    resumed = subprocess.run(amsim_command("run", str(scenario), "-o", str(out)),
                             capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resumed: {len(partial.tasks)} of {len(plan.tasks)} tasks" in resumed.stdout

    clean = tmp_path / "clean.h5"
    run_plan(plan, clean, backend="numpy")
    assert_same_results(out, clean, plan)


def test_process_pool_equals_serial(tmp_path):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW.replace("repetitions = 4", "repetitions = 1"))
    plan = load_scenario(str(scenario))
    run_plan(plan, tmp_path / "serial.h5", backend="numpy", executor="serial", workers=1)
    run_plan(plan, tmp_path / "pool.h5", backend="numpy", executor="process", workers=2)
    assert_same_results(tmp_path / "serial.h5", tmp_path / "pool.h5", plan)
