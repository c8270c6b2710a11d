"""The rf_ensemble kind through the scenario pipeline: run, store, plot, validation errors, and the
bundled rf-* scenarios."""

from __future__ import annotations

import textwrap

import matplotlib.image as mpimg
import numpy as np
import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.plan import ScenarioError
from amsim.engine.store import open_results
from amsim.experiments import get_kind
from amsim.experiments.rf_ensemble import Params, Record, sizes
from amsim.models import rf_theory as T
from amsim.scenarios.loader import bundled_scenarios, load_scenario, parse_scenario

SWEEP = textwrap.dedent(
    """
    name = "rf-small"
    kind = "rf_ensemble"
    seed = 5
    repetitions = 2

    [params]
    alpha = 1.3
    r = 0.5
    modes = 150
    M = 32
    P = 40
    ridge_min = 1e-3
    ridge_max = 10.0
    ridge_num = 7
    n_test = 300

    [scan]
    K = [1, 2, 4]

    [run]
    backend = "numpy"
    """
)

SCALING = textwrap.dedent(
    """
    name = "rf-small-scaling"
    kind = "rf_ensemble"
    seed = 6
    repetitions = 2

    [params]
    alpha = 1.5
    r = 0.8
    modes = 200
    P = 200
    ridge_min = 1e-3
    ridge_max = 10.0
    ridge_num = 5
    n_test = 0

    [scan]
    ell = [0.5, 1.0]
    M = [8, 16, 32]

    [record]
    cumulative = false
    """
)


def run_scenario(tmp_path, text, name):
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    out = tmp_path / f"{name}.h5"
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def test_sweep_runs_stores_and_plots(tmp_path):
    out, text = run_scenario(tmp_path, SWEEP, "sweep")
    assert "risk_opt" in text  # the summary table
    res = open_results(out)
    assert res.attrs["kind"] == "rf_ensemble" and len(res.tasks) == 6
    for tid in res.tasks:
        attrs, arrays = res.read_task(tid)
        params = res.params(tid)
        K = params["K"]
        assert attrs["K"] == K and attrs["N"] == 32 // K
        assert arrays["ridges"].shape == arrays["risk"].shape == arrays["theory_E_K"].shape == (7,)
        assert arrays["risk_cumulative"].shape == (K, 7)
        spec = T.power_law_spectrum(1.3, 0.5, 150)
        np.testing.assert_allclose(arrays["theory_E_K"], T.risk(spec, 40, 32 // K, K, arrays["ridges"]).E_K,
                                   rtol=1e-12)
        assert attrs["risk_opt"] == arrays["risk"].min()
        assert attrs["theory_risk_opt"] <= arrays["theory_E_K"].min() * (1 + 1e-9)
    png = tmp_path / "sweep.png"
    result = CliRunner().invoke(main, ["plot", str(out), "-o", str(png)])
    assert result.exit_code == 0, result.output
    image = mpimg.imread(png)
    assert image.shape[0] > 300 and image.shape[1] > 300
    one = CliRunner().invoke(main, ["plot", str(out), "--task", "0", "-o", str(tmp_path / "one.png")])
    assert one.exit_code == 0, one.output


def test_task_is_a_pure_function_of_seed(tmp_path):
    kind = get_kind("rf_ensemble")
    p = Params(modes=100, P=30, K=2, N=10, ridge_num=3, n_test=50)
    a = kind.run(p, Record(), np.random.default_rng(3), None)
    b = kind.run(p, Record(), np.random.default_rng(3), None)
    for key in a.arrays:
        np.testing.assert_array_equal(a.arrays[key], b.arrays[key])
    c = kind.run(p, Record(), np.random.default_rng(4), None)
    assert not np.array_equal(a.arrays["risk"], c.arrays["risk"])


def test_scaling_runs_and_plots(tmp_path):
    out, _ = run_scenario(tmp_path, SCALING, "scaling")
    res = open_results(out)
    for tid in res.tasks:
        attrs, _ = res.read_task(tid)
        params = res.params(tid)
        K, N, Kf, Nf = T.growth_sizes(params["M"], params["ell"])
        assert (attrs["K"], attrs["N"]) == (K, N)
        if (Kf, Nf) != (K, N):
            assert attrs["K_theory"] == pytest.approx(Kf) and "theory_risk_opt_frac" in attrs
    png = tmp_path / "scaling.png"
    result = CliRunner().invoke(main, ["plot", str(out), "-o", str(png)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("params,key,message", [
    ("K = 2\nN = 4\nM = 8", "params", "exactly two of K, N, M"),
    ("K = 2", "params", "exactly two of K, N, M"),
    ("ell = 0.5\nK = 2\nM = 8", "params", "with ell give M"),
    ("K = 2\nN = 4\nalpha = 0.9", "alpha", "greater than 1"),
    ("K = 2\nN = 4\neigvals = [1.0, 0.5]", "params", "eigvals and wbar go together"),
    ("K = 2\nN = 4\neigvals = [1.0, 0.5]\nwbar = [1.0]", "params", "differ in length"),
    ("K = 2\nN = 4\neigvals = [1.0, -0.5]\nwbar = [1.0, 1.0]", "params", ">= 0"),
    ("K = 2\nN = 4\neigvals = [1.0, 0.5]\nwbar = [1.0, 1.0]\nalpha = 1.5", "params", "leave them out"),
    ("K = 2\nN = 4\nridge_min = 10.0\nridge_max = 1.0", "params", "exceeds ridge_max"),
    ("K = 2\nN = 4\nn_test = -1", "n_test", "greater than or equal to 0"),
    ("K = 2\nN = 4\nfoo = 1", "foo", "unknown key"),
])
def test_bad_parameters_name_the_key(params, key, message):
    text = f'name = "bad"\nkind = "rf_ensemble"\nseed = 1\n[params]\nP = 10\n{params}\n'
    with pytest.raises(ScenarioError) as err:
        parse_scenario(text, "bad.toml")
    line = str(err.value)
    assert line.startswith("bad.toml: ") and key in line and message in line, line


def test_bad_scenario_exits_2(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\nkind = "rf_ensemble"\nseed = 1\n[params]\nP = 10\nK = 0\nN = 4\n')
    result = CliRunner().invoke(main, ["run", str(path), "-o", str(tmp_path / "bad.h5")])
    assert result.exit_code == 2
    assert "params.K" in result.output and "Traceback" not in result.output


def test_array_spectrum_scenario(tmp_path):
    lam = (np.arange(1, 41) ** -1.5).tolist()
    text = (f'name = "arr"\nkind = "rf_ensemble"\nseed = 1\n[params]\nP = 30\nK = 2\nN = 8\n'
            f'eigvals = {lam}\nwbar = {[1.0] * 40}\nridge_num = 3\nn_test = 0\n')
    out, _ = run_scenario(tmp_path, text, "arr")
    res = open_results(out)
    (tid,) = res.tasks
    attrs, arrays = res.read_task(tid)
    spec = T.Spectrum(np.array(lam), np.ones(40))
    np.testing.assert_allclose(arrays["theory_E_K"], T.risk(spec, 30, 8, 2, arrays["ridges"]).E_K, rtol=1e-12)
    assert "alpha" not in res.params(tid)


def test_sizes_rules():
    assert sizes(Params(P=10, K=4, M=512))[:2] == (4, 128)
    assert sizes(Params(P=10, K=3, M=512))[:2] == (3, 170)  # integer division (spec §2.6)
    assert sizes(Params(P=10, N=64, M=512))[:2] == (8, 64)
    assert sizes(Params(P=10, ell=1.0, M=512))[:2] == (1, 512)


@pytest.mark.parametrize("name", [n for n in bundled_scenarios() if n.startswith("rf-")])
def test_bundled_rf_scenarios_are_cpu_sized(name):
    plan = load_scenario(name)
    assert plan.scenario.kind == "rf_ensemble"
    kind = plan.kind
    record = plan.record()
    worst = max(kind.estimate_bytes(plan.params(t), record) for t in plan.tasks)
    assert worst < 1 << 30  # well inside a 2-core laptop
    assert len(plan.tasks) <= 300  # each finishes in a few minutes on 2 cores (docs: wall times)


def test_bundled_rf_scenarios_exist():
    names = set(bundled_scenarios())
    assert {"rf-no-free-lunch", "rf-nfl-noise", "rf-ridge-sweep", "rf-scaling"} <= names
