"""Executors: identical results under serial, process and Dask execution; failed tasks recorded;
a Dask worker killed mid-scan; Ctrl-C keeps finished tasks (issue 9)."""

import os
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.executors import get_executor
from amsim.engine.pipeline import run_plan
from amsim.engine.store import open_results
from amsim.errors import AmsimError
from amsim.experiments import trajectory
from amsim.scenarios.loader import load_scenario

from .test_kill_resume import SLOW, assert_same_results

distributed = pytest.importorskip("distributed", reason="the distributed extra is not installed")


@pytest.fixture
def slow_plan(tmp_path):
    path = tmp_path / "slow.toml"
    path.write_text(SLOW.replace("repetitions = 4", "repetitions = 2"))
    return load_scenario(str(path))


def test_dask_local_cluster_equals_serial(slow_plan, tmp_path):
    run_plan(slow_plan, tmp_path / "serial.h5", backend="numpy")
    done = []
    report = run_plan(slow_plan, tmp_path / "dask.h5", backend="numpy", executor="dask", workers=2,
                      progress=lambda task, status: done.append(status))
    assert not report.failed and len(done) == len(slow_plan.tasks)  # the progress callback saw every task
    assert_same_results(tmp_path / "serial.h5", tmp_path / "dask.h5", slow_plan)


def test_dask_worker_killed_mid_scan(slow_plan, tmp_path):
    """Kill one worker process of a real local cluster while the scan runs: Dask reschedules its
    task, and the results equal an undisturbed serial run's."""
    run_plan(slow_plan, tmp_path / "serial.h5", backend="numpy")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        finished = []
        errors = []

        def scan():
            try:
                run_plan(slow_plan, tmp_path / "dask.h5", backend="numpy", executor="dask",
                         scheduler=cluster.scheduler_address,
                         progress=lambda task, status: finished.append(status))
            except Exception as err:  # surfaced below
                errors.append(err)

        thread = threading.Thread(target=scan)
        thread.start()
        deadline = time.monotonic() + 60
        while len(finished) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        pids = client.run(os.getpid)
        victim = sorted(pids.values())[0]
        os.kill(victim, signal.SIGKILL)
        finished_at_kill = len(finished)
        thread.join(120)
        assert not thread.is_alive() and not errors, errors
        assert finished_at_kill < len(slow_plan.tasks)  # the kill happened mid-scan
        assert finished.count("done") == len(slow_plan.tasks)
    finally:
        client.close()
        cluster.close()
    assert_same_results(tmp_path / "serial.h5", tmp_path / "dask.h5", slow_plan)


def test_dask_missing_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(AmsimError, match=r"pip install 'amsim\[distributed\]'"):
        get_executor("dask", 2)


def test_scheduler_needs_dask():
    with pytest.raises(AmsimError, match="--scheduler needs --executor dask"):
        get_executor("process", 2, scheduler="tcp://127.0.0.1:1")


def test_failing_task_is_recorded_and_the_scan_goes_on(small_scenario, tmp_path, monkeypatch):
    plan = load_scenario(str(small_scenario))
    victim = plan.tasks[1].task_id
    original = trajectory.KIND.run

    def flaky(params, record, rng, backend):
        if params.N == 16 and rng.bit_generator.seed_seq.spawn_key == _key(victim):
            raise RuntimeError("injected failure")
        return original(params, record, rng, backend)

    monkeypatch.setattr(trajectory.TrajectoryKind, "run", staticmethod(flaky))
    out = tmp_path / "r.h5"
    result = CliRunner().invoke(main, ["run", str(small_scenario), "-o", str(out)])
    assert result.exit_code == 1
    assert "1 task(s) failed" in result.output and "RuntimeError: injected failure" in result.output
    res = open_results(out)
    assert res.tasks[victim]["attrs"]["status"] == "failed"
    assert "injected failure" in res.tasks[victim]["attrs"]["error"]
    assert sum(e["attrs"]["status"] == "done" for e in res.tasks.values()) == len(plan.tasks) - 1

    monkeypatch.setattr(trajectory.TrajectoryKind, "run", staticmethod(original))
    again = CliRunner().invoke(main, ["run", str(small_scenario), "-o", str(out)])
    assert again.exit_code == 0 and "resumed: 3 of 4 tasks" in again.output  # the failed one reran
    assert open_results(out).tasks[victim]["attrs"]["status"] == "done"


def _key(task_id):
    from amsim.engine.rng import spawn_key

    return spawn_key(task_id)


def test_ctrl_c_keeps_finished_tasks_and_hints_resume(tmp_path):
    scenario = tmp_path / "slow.toml"
    scenario.write_text(SLOW)
    out = tmp_path / "r.h5"
    # a shell that runs the suite in the background hands SIGINT down as ignored; a terminal's Ctrl-C
    # reaches a Python that turns it into KeyboardInterrupt, so the child installs that handler
    command = [sys.executable, "-c", "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
               "from amsim.cli import main; main()", "run", str(scenario), "-o", str(out)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journal = out.with_name(out.name + ".journal")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (journal.is_dir() and len(list(journal.glob("*.h5"))) >= 2):
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    stdout, _ = proc.communicate(timeout=60)
    stdout = " ".join(stdout.split())  # rich wraps long lines
    assert proc.returncode == 130
    assert "interrupted" in stdout and "run the same command again to resume" in stdout
    res = open_results(out)
    assert len(res.tasks) >= 2
    assert all(entry["source"] == out for entry in res.tasks.values())  # merged on the way out
    assert np.all([e["attrs"]["status"] == "done" for e in res.tasks.values()])
