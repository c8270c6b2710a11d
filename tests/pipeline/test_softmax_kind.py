"""The softmax_trajectory kind through the pipeline, against the model run directly."""

import textwrap

import numpy as np
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.patterns import rademacher
from amsim.engine.rng import task_rng
from amsim.engine.store import open_results
from amsim.models.modern_hopfield import ModernHopfield, run_softmax
from amsim.scenarios.loader import parse_scenario

SCENARIO = textwrap.dedent(
    """
    name = "sm"
    kind = "softmax_trajectory"
    seed = 3
    [params]
    N = 32
    P = 8
    steps = 10
    [scan]
    beta = [0.1, 1.0]
    """
)


def test_softmax_scenario_equals_a_direct_run(tmp_path):
    path = tmp_path / "sm.toml"
    path.write_text(SCENARIO)
    out = tmp_path / "sm.h5"
    runner = CliRunner()
    assert runner.invoke(main, ["run", str(path), "-o", str(out)]).exit_code == 0
    res = open_results(out)
    for task in parse_scenario(SCENARIO, "sm").tasks:
        rng = task_rng(task.seed, task.task_id)  # the task's own stream, rebuilt independently
        patterns = rademacher(rng, (8, 32))
        direct = run_softmax(ModernHopfield(beta=task.params["beta"], form="sequence"), patterns, 10)
        _, arrays = res.read_task(task.task_id)
        np.testing.assert_array_equal(arrays["retrieval_error"], direct.retrieval_error[:, 0, 0])
    assert runner.invoke(main, ["plot", str(out), "-o", str(tmp_path / "sm.png")]).exit_code == 0
