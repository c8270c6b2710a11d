"""The capacity scenario kinds through the whole pipeline: every probe stored, capacity beside
theory, results independent of the executor, and the plot."""

import textwrap

import numpy as np
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.store import open_results
from amsim.scenarios.loader import parse_scenario

SCENARIO = textwrap.dedent(
    """
    name = "cap"
    kind = "transition_capacity"
    seed = 4
    repetitions = 2

    [params]
    model = "densenet"
    f = "poly"
    d = 2
    protocol = "code"

    [scan]
    N = [12, 20]

    [run]
    backend = "numpy"
    """
)


def test_capacity_scenario_stores_probes_and_theory(tmp_path):
    path = tmp_path / "cap.toml"
    path.write_text(SCENARIO)
    out = tmp_path / "cap.h5"
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    plan = parse_scenario(SCENARIO, "cap")
    res = open_results(out)
    for task in plan.tasks:
        attrs, arrays = res.read_task(task.task_id)
        probes = arrays["probes"]  # rows (P, trials, successes)
        assert probes.shape[1] == 3 and len(probes) >= 1
        # the code protocol descends by int(0.99 P), i.e. by 1 below 100, from round(2 * theory)
        n = task.params["N"]
        theory = n**2 / (2 * 3 * np.log(n))
        assert attrs["theory"] == theory and attrs["start"] == round(2 * theory)
        assert list(probes[:, 0]) == list(range(attrs["start"], attrs["start"] - len(probes), -1))
        # the capacity is the first P whose trial succeeded, every probe before it failed
        assert probes[-1, 2] == 1 and (probes[:-1, 2] == 0).all()
        assert attrs["capacity"] == probes[-1, 0]
    png = tmp_path / "cap.png"
    assert runner.invoke(main, ["plot", str(out), "-o", str(png)]).exit_code == 0
    assert png.stat().st_size > 10_000


def test_gpi_capacity_under_bias_from_the_command_line():
    """Fig. 3B in miniature: with biased patterns (eps = 0.5, d = 2, N = 40) the Hebbian sequence
    capacity is limited near Eq. (12)'s P < 33, while the GPI rule recalls up to P = N (App. E,
    exact for independent patterns with the consistent normalisation)."""
    import json

    common = ["capacity", "--model", "densenet", "--f", "poly", "--d", "2", "-N", "40", "--bias", "0.5",
              "--measure", "sequence", "--protocol", "code", "--sequences", "5", "--reps", "2",
              "--seed", "1", "--backend", "numpy", "--json"]
    hebb = json.loads(CliRunner().invoke(main, common).output)
    gpi = json.loads(CliRunner().invoke(main, common + ["--rule", "gpi", "--gpi", "consistent"]).output)
    assert hebb["bias"] == 0.5 and gpi["model"]["rule"] == "gpi"
    assert max(hebb["capacities"]) < 33
    assert min(gpi["capacities"]) >= 39  # P <= N - 1 keeps 5 random sequences independent w.h.p.
