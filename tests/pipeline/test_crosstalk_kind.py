"""The crosstalk kind (Fig. 2C) through the pipeline: sampled statistics beside the exact theory."""

import textwrap

import numpy as np
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.store import open_results

SCENARIO = textwrap.dedent(
    """
    name = "ct"
    kind = "crosstalk"
    seed = 9
    [params]
    samples = 20000
    [scan]
    f = ["exp", "poly"]
    N = [10, 14]
    P = [100, 1000]
    """
)


def test_crosstalk_scenario(tmp_path):
    path = tmp_path / "ct.toml"
    path.write_text(SCENARIO)
    out = tmp_path / "ct.h5"
    runner = CliRunner()
    result = runner.invoke(main, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    res = open_results(out)
    assert len(res.tasks) == 8
    for entry in res.tasks.values():
        a = entry["attrs"]
        # the sample variance of 20000 draws has relative standard error sqrt((2 + kurtosis)/n):
        # allow 5 of those
        rel = 5 * np.sqrt((2 + max(a["theory_kurtosis"], 0)) / 20000)
        assert abs(a["variance"] / a["theory_variance"] - 1) < rel
    assert runner.invoke(main, ["plot", str(out), "-o", str(tmp_path / "ct.png")]).exit_code == 0
