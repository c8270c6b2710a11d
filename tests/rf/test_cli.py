"""``amsim rf-theory`` and ``amsim rf-simulate``: the public JSON keys, their values against the
library, and one-line errors with exit status 2 for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.models import rf_theory as T

BASE = ["--alpha", "1.2", "--r", "0.4", "--modes", "2000", "-M", "256", "-P", "128", "-K", "4", "--noise-var", "0"]
#: a smaller task for the simulation (D = 500 keeps the held-out sets cheap)
SMALL = ["--alpha", "1.2", "--r", "0.4", "--modes", "500", "-M", "256", "-P", "128", "-K", "4", "--noise-var", "0.1"]


def invoke(*args):
    result = CliRunner().invoke(main, list(args))
    return result


def run_json(*args) -> dict:
    result = invoke(*args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_rf_theory_fixed_ridge_json():
    out = run_json("rf-theory", *BASE, "--ridge", "0.1", "--json")
    for key in ("risk", "ridge", "E_inf", "E_1"):
        assert key in out
    spec = T.power_law_spectrum(1.2, 0.4, 2000)
    ref = T.risk(spec, 128, 64, 4, [0.1])
    assert out["ridge"] == 0.1
    assert out["risk"] == pytest.approx(ref.E_K[0], rel=1e-12)
    assert out["E_inf"] == pytest.approx(ref.E_inf[0], rel=1e-12)
    assert out["E_1"] == pytest.approx(ref.E_1[0], rel=1e-12)
    assert out["risk"] == pytest.approx(out["E_inf"] + (out["E_1"] - out["E_inf"]) / 4, rel=1e-12)


def test_rf_theory_optimal_ridge_is_the_minimum():
    out = run_json("rf-theory", *BASE, "--optimal-ridge", "--json")
    spec = T.power_law_spectrum(1.2, 0.4, 2000)
    grid = np.logspace(-6, 3, 91)
    curve = T.ensemble_risk(spec, 128, 64, 4, grid)
    assert out["risk"] <= curve.min() * (1 + 1e-9)
    assert out["risk"] == pytest.approx(T.ensemble_risk(spec, 128, 64, 4, [out["ridge"]])[0], rel=1e-12)
    assert grid[np.argmin(curve) - 1] <= out["ridge"] <= grid[np.argmin(curve) + 1]
    # the default (neither flag) is the optimal ridge
    assert run_json("rf-theory", *BASE, "--json")["risk"] == out["risk"]


def test_rf_theory_plain_text():
    result = invoke("rf-theory", *BASE, "--ridge", "0.1")
    assert result.exit_code == 0
    assert "risk" in result.output and "E_inf" in result.output and not result.output.startswith("{")


def test_rf_simulate_json_matches_theory():
    """Simulated risk of the CLI against the theory: 4 se + 5% (moderate sizes: N = 64, P = 128;
    see tests/rf/test_sim_vs_theory.py for the reasoning; here N is smaller and n_test = 1000)."""
    args = ["rf-simulate", *SMALL, "--ridge", "0.1", "--trials", "12", "--n-test", "1000", "--json"]
    out = run_json(*args)
    for key in ("risk", "risk_se", "ridge", "trials", "theory_risk", "E_inf", "E_1"):
        assert key in out
    assert out["trials"] == 12 and out["ridge"] == 0.1
    assert 0 < out["risk_se"] < out["risk"]
    assert abs(out["risk"] - out["theory_risk"]) <= 4 * out["risk_se"] + 0.05 * out["theory_risk"]
    assert run_json(*args)["risk"] == out["risk"]  # same seed, same result
    assert run_json(*args[:-1], "--seed", "1", "--json")["risk"] != out["risk"]


def test_rf_simulate_optimal_ridge_is_min_of_trial_mean():
    fixed = run_json("rf-simulate", *SMALL, "--ridge", "1e-4", "--trials", "4", "--n-test", "0", "--json")
    out = run_json("rf-simulate", *SMALL, "--optimal-ridge", "--trials", "4", "--n-test", "0", "--json")
    assert out["ridge"] in np.logspace(-4, 2, 25)
    assert out["risk"] <= fixed["risk"]  # 1e-4 is on the grid, with the same draws (same seed)


@pytest.mark.parametrize("command", ["rf-theory", "rf-simulate"])
@pytest.mark.parametrize("args,message", [
    (["--alpha", "0.5", "-M", "64", "-P", "32"], "--alpha"),
    (["--r", "-1", "-M", "64", "-P", "32"], "--r"),
    (["-M", "0", "-P", "32"], "-M"),
    (["-M", "64", "-P", "0"], "-P"),
    (["-M", "64", "-P", "32", "-K", "0"], "-K"),
    (["-M", "64", "-P", "32", "-K", "128"], "-K"),
    (["-M", "64", "-P", "32", "--noise-var", "-0.1"], "--noise-var"),
    (["-M", "64", "-P", "32", "--ridge", "-1"], "--ridge"),
    (["-M", "64", "-P", "32", "--ridge", "1", "--optimal-ridge"], "not both"),
    (["-M", "64", "-P", "32", "--modes", "0"], "--modes"),
])
def test_bad_input_exits_2_with_one_line(command, args, message):
    result = invoke(command, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command,args,message", [
    ("rf-theory", ["-M", "64", "-P", "32", "--ridge", "0"], "> 0"),
    ("rf-simulate", ["-M", "64", "-P", "32", "-K", "3"], "multiple"),
    ("rf-simulate", ["-M", "64", "-P", "32", "--trials", "1"], "--trials"),
    ("rf-simulate", ["-M", "64", "-P", "32", "--modes", "100000000", "--trials", "2"], "GiB"),
])
def test_command_specific_errors(command, args, message):
    result = invoke(command, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_rf_simulate_zero_ridge_is_minimum_norm():
    out = run_json("rf-simulate", "-M", "32", "-P", "64", "--modes", "200", "--ridge", "0", "--trials", "3",
                   "--n-test", "0", "--json")
    assert out["theory_risk"] is None and np.isfinite(out["risk"])
