"""``amsim simulate``: output per step, one-line user errors (exit 2), --debug, and the console script."""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import reference as ref
from amsim.cli import main
from amsim.engine.patterns import rademacher
from amsim.engine.rng import task_rng
from amsim.errors import AmsimError


def table_rows(output: str) -> list[list[str]]:
    """Cells of the body rows of the rich table (lines with the column separator, after the header)."""
    lines = [line for line in output.splitlines() if "│" in line]
    return [[cell.strip() for cell in line.split("│")] for line in lines]


def invoke(args):
    return CliRunner().invoke(main, args, env={"COLUMNS": "120"})


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_simulate_prints_every_step_and_pattern(backend):
    """PDN d = 2, N = 100, P = 5 (far below P_S = 120.6): the cycle 0,1,2,3,4,0,1,2 is followed."""
    result = invoke(["simulate", "--model", "densenet", "--f", "poly", "--d", "2", "-N", "100", "-P", "5",
                     "--steps", "7", "--seed", "1", "--backend", backend])
    assert result.exit_code == 0, result.output
    rows = table_rows(result.output)
    assert [int(r[0]) for r in rows] == list(range(8))  # step 0 (initial) .. 7
    assert [int(r[1]) for r in rows] == [t % 5 for t in range(8)]  # on pattern
    assert [int(r[3]) for r in rows] == [t % 5 for t in range(8)]  # expected
    assert [r[4] for r in rows[1:]] == ["0"] * 7  # bit errors
    assert "7/7 steps without error" in result.output
    # theory line: Eq. (9) with d = 2 at N = 100, formatted to 4 significant digits
    assert f"P_T={100**2 / (2 * 3 * math.log(100)):.4g}" in result.output
    assert f"P_S={100**2 / (2 * 3 * 3 * math.log(100)):.4g}" in result.output


def test_simulate_loaded_seqnet_matches_reference():
    """SeqNet N = 20, P = 12 (above capacity): every row equals the brute-force reference run on the
    same patterns (drawn from the CLI's documented stream task_rng(seed))."""
    n, p, seed, steps = 20, 12, 3, 5
    result = invoke(["simulate", "--model", "seqnet", "-N", str(n), "-P", str(p), "--seed", str(seed),
                     "--steps", str(steps), "--backend", "numpy"])
    assert result.exit_code == 0, result.output
    patterns = rademacher(task_rng(seed), (p, n))
    states, errors, ties = ref.free_run(patterns, "sequence", "poly", 1, steps)
    rows = table_rows(result.output)
    assert len(rows) == steps + 1
    for t, row in enumerate(rows):
        overlaps = patterns.astype(np.int64) @ np.array(states[t])
        best = int(np.argmax(overlaps))
        assert int(row[1]) == best
        assert row[2] == f"{overlaps[best] / n:+.3f}"
        if t > 0:
            assert int(row[4]) == errors[t - 1] and int(row[5]) == ties[t - 1]
    assert sum(errors) > 0  # the case is loaded: errors are shown
    assert f"{sum(e == 0 for e in errors)}/{steps} steps without error" in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["-N", "1", "-P", "3"],
        ["-N", "0", "-P", "3"],
        ["-N", "10", "-P", "0"],
        ["-N", "10", "-P", "3", "--d", "0"],
        ["-N", "10", "-P", "3", "--d", "-2"],
        ["-N", "10", "-P", "3", "--start", "3"],
        ["-N", "10", "-P", "3", "--steps", "-1"],
    ],
    ids=["N=1", "N=0", "P=0", "d=0", "d=-2", "start", "steps"],
)
def test_bad_input_is_one_line_and_exit_2(args):
    result = invoke(["simulate", *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_bad_choice_is_a_usage_error():
    result = invoke(["simulate", "-N", "10", "-P", "3", "--backend", "cuda"])
    assert result.exit_code == 2 and "Error:" in result.output and "Traceback" not in result.output


def test_debug_lets_the_traceback_through():
    """With --debug the AmsimError propagates out of the command (Python prints its traceback)."""
    runner = CliRunner()
    with pytest.raises(AmsimError, match="-N must be >= 2"):
        runner.invoke(main, ["--debug", "simulate", "-N", "1", "-P", "3"], catch_exceptions=False)
    result = runner.invoke(main, ["--debug", "simulate", "-N", "1", "-P", "3"])
    assert isinstance(result.exception, AmsimError) and result.exit_code == 1
    assert "Error:" not in result.output


def amsim_command() -> list[str]:
    """The installed console script: next to this interpreter (the venv), on PATH, or the entry point."""
    beside = Path(sys.executable).with_name("amsim")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("amsim")
    if found:
        return [found]
    return [sys.executable, "-c", "from amsim.cli import main; main()"]


def test_console_script_runs():
    env = {**os.environ, "COLUMNS": "120"}
    proc = subprocess.run(
        [*amsim_command(), "simulate", "--model", "densenet", "--f", "poly", "--d", "2", "-N", "100",
         "-P", "50", "--steps", "60", "--seed", "1", "--backend", "numpy"],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert proc.returncode == 0, proc.stderr
    rows = table_rows(proc.stdout)
    assert [int(r[0]) for r in rows] == list(range(61))
    # P = 50 < P_S(100) = 120.6: the cycle is followed, wrapping around after 50 steps
    assert [int(r[1]) for r in rows] == [t % 50 for t in range(61)]
    assert "60/60 steps without error" in proc.stdout
