"""The pipeline commands through click's CliRunner: run, scan, list, show, inspect, replay."""

import h5py
import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.store import open_results
from amsim.scenarios.loader import load_scenario


@pytest.fixture
def runner():
    return CliRunner()


def test_run_writes_results_and_summary(runner, small_scenario, tmp_path):
    out = tmp_path / "r.h5"
    result = runner.invoke(main, ["run", str(small_scenario), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"results: {out}" in result.output
    assert "mean over repetitions" in result.output
    assert len(open_results(out).tasks) == 4
    again = runner.invoke(main, ["run", str(small_scenario), "-o", str(out)])
    assert "resumed: 4 of 4 tasks" in again.output


def test_list_and_show(runner, small_scenario):
    listed = runner.invoke(main, ["list"])
    assert listed.exit_code == 0 and "default" in listed.output and "fig1-overlaps" in listed.output
    shown = runner.invoke(main, ["show", str(small_scenario)])
    assert shown.exit_code == 0
    assert "4 tasks" in shown.output and "estimated memory per task" in shown.output
    for task in load_scenario(str(small_scenario)).tasks:
        assert task.task_id in shown.output


def test_scan_equals_its_saved_scenario(runner, tmp_path):
    out, toml = tmp_path / "scan.h5", tmp_path / "scan.toml"
    args = ["scan", "--model", "densenet", "--f", "poly", "--d", "1,2", "-N", "20:40:20", "-P", "8",
            "--reps", "2", "--backend", "numpy", "-o", str(out), "--save-scenario", str(toml)]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    plan = load_scenario(str(toml))
    assert len(plan.tasks) == 2 * 2 * 2
    assert plan.grid == {"d": [1, 2], "N": [20, 40]}
    # the saved scenario is the one that ran: rerunning it into the same file resumes everything
    again = runner.invoke(main, ["run", str(toml), "-o", str(out)])
    assert again.exit_code == 0 and "resumed: 8 of 8 tasks" in again.output


def test_scan_rejects_bad_values(runner, tmp_path):
    result = runner.invoke(main, ["scan", "-N", "1:3", "-o", str(tmp_path / "x.h5")])
    assert result.exit_code == 2 and "scan.N" in result.output and "Traceback" not in result.output


def test_inspect_lists_tasks(runner, small_scenario, tmp_path):
    out = tmp_path / "r.h5"
    runner.invoke(main, ["run", str(small_scenario), "-o", str(out)])
    result = runner.invoke(main, ["inspect", str(out)])
    assert result.exit_code == 0
    assert "scenario_sha256" in result.output and "done" in result.output


def test_replay_verify_passes_then_fails_on_altered_state(runner, small_scenario, tmp_path):
    out = tmp_path / "r.h5"
    runner.invoke(main, ["run", str(small_scenario), "-o", str(out)])
    task = load_scenario(str(small_scenario)).tasks[1].task_id
    ok = runner.invoke(main, ["replay", str(out), task[:6], "--verify"])
    assert ok.exit_code == 0, ok.output
    assert "verified" in ok.output and "closest pattern" in ok.output

    with h5py.File(out, "a") as h5:
        states = h5["tasks"][task]["states"]
        times = h5["tasks"][task]["times"][()]
        row = 3
        altered = states[()]
        altered[row, 0] ^= 0b1000_0000  # flip neuron 0 of recorded time row 3
        states[...] = altered
    bad = runner.invoke(main, ["replay", str(out), task, "--verify"])
    assert bad.exit_code == 1
    assert "MISMATCH" in bad.output and f"step {times[row]}" in bad.output


def test_replay_step_window_and_bad_task(runner, small_scenario, tmp_path):
    out = tmp_path / "r.h5"
    runner.invoke(main, ["run", str(small_scenario), "-o", str(out)])
    window = runner.invoke(main, ["replay", str(out), "0", "--steps", "4:6"])
    assert window.exit_code == 0
    rows = [line.split()[0] for line in window.output.splitlines() if "│" in line]
    assert rows == ["4", "6"]  # recorded every 2 steps
    missing = runner.invoke(main, ["replay", str(out), "zzzz"])
    assert missing.exit_code == 2 and "no task match" in missing.output


def test_not_a_result_file(runner, tmp_path):
    path = tmp_path / "x.h5"
    path.write_bytes(b"junk")
    for command in (["inspect", str(path)], ["replay", str(path), "0"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 2 and "unreadable result file" in result.output
        assert "Traceback" not in result.output


def test_show_every_bundled_scenario(runner):
    from amsim.scenarios.loader import bundled_scenarios

    for name in bundled_scenarios():
        result = runner.invoke(main, ["show", name])
        assert result.exit_code == 0, (name, result.output)
        assert "estimated memory per task" in result.output
