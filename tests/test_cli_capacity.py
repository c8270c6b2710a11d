"""``amsim capacity``: the JSON interface, the table, and one-line errors for bad input."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.models import make_model


def invoke(*args):
    return CliRunner().invoke(main, ["capacity", *args])


def run_json(*args) -> dict:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_keys_for_a_real_network_run():
    """A small d = 2 network with the code protocol: the public keys, one capacity per repetition."""
    out = run_json("--model", "densenet", "--f", "poly", "--d", "2", "-N", "16", "--measure", "transition",
                   "--protocol", "code", "--reps", "3", "--seed", "1", "--backend", "numpy")
    for key in ("capacities", "theory", "protocol", "measure", "scope", "sequences", "reps", "seed", "model",
                "N", "censored", "start_values", "probes", "start_factor", "backend"):
        assert key in out, key
    assert out["theory"] == make_model("densenet", f="poly", d=2).transition_capacity(16)
    assert (out["protocol"], out["measure"], out["scope"], out["sequences"]) == ("code", "transition", "all", 1)
    assert out["model"] == make_model("densenet", f="poly", d=2).params()
    assert len(out["capacities"]) == len(out["censored"]) == len(out["probes"]) == 3
    assert out["start_values"][0] == round(2 * out["theory"])
    for cap, probes in zip(out["capacities"], out["probes"]):
        assert probes[-1] == {"P": cap, "trials": 1, "successes": 1}
    numba = run_json("--d", "2", "-N", "16", "--protocol", "code", "--reps", "3", "--seed", "1", "--backend", "numba")
    assert numba.pop("backend") == "numba"
    out.pop("backend")
    assert out == numba  # exact signs and the same draws: identical results on every backend


def test_json_threshold_settings_and_interval():
    out = run_json("--d", "2", "-N", "12", "--measure", "sequence", "--reps", "2", "--target", "0.9",
                   "--max-trials", "256", "--backend", "numpy")
    assert out["protocol"] == "threshold" and out["scope"] == "cycle" and out["sequences"] == 1
    assert out["target"] == 0.9 and out["confidence"] == 0.95 and out["n_max"] == 256
    assert out["theory"] == make_model("densenet", f="poly", d=2).sequence_capacity(12)
    for cap, (low, high) in zip(out["capacities"], out["ci"]):
        assert low <= cap <= high
    tolerant = run_json("--d", "2", "-N", "12", "-c", "0.1", "--reps", "1", "--max-trials", "64")
    assert tolerant["target"] == pytest.approx(0.9)


@pytest.mark.parametrize("model_args,measure", [
    (["--model", "hopfield"], "sequence"),
    (["--model", "seqnet"], "transition"),
    (["--f", "exp"], "sequence"),
    (["--d", "3"], "transition"),
])
def test_every_model_runs(model_args, measure):
    out = run_json(
        *model_args, "-N", "10", "--measure", measure, "--protocol", "paper", "--reps", "2", "--backend", "numpy"
    )
    assert len(out["capacities"]) == 2 and all(c >= 1 for c in out["capacities"])
    assert out["sequences"] == 100


def test_table_output():
    result = invoke("--d", "2", "-N", "10", "--protocol", "code", "--reps", "2", "--backend", "numpy")
    assert result.exit_code == 0, result.output
    assert "theory P_T(10) = 7.238" in result.output.replace("\n", " ")  # spec §4.5 table


@pytest.mark.parametrize("args,message", [
    (["-N", "1"], "-N must be >= 2"),
    (["-N", "10", "--reps", "0"], "--reps must be >= 1"),
    (["-N", "10", "--target", "1.5"], "target"),
    (["-N", "10", "-c", "0"], "c = 0"),
    (["-N", "10", "-c", "0.1", "--target", "0.9"], "not both"),
    (["-N", "10", "--protocol", "paper", "--target", "0.5"], "threshold protocol only"),
    (["-N", "10", "--start-factor", "2.5"], "paper and code protocols only"),
    (["-N", "10", "--protocol", "code", "--start-factor", "0"], "--start-factor must be > 0"),
    (["-N", "10", "--max-trials", "0"], "--max-trials must be >= 1"),
    (["-N", "10", "--confidence", "1"], "confidence"),
    (["-N", "10", "--scope", "cycle"], "does not apply to the transition measure"),
    (["-N", "10", "--sequences", "0"], "sequences per trial must be >= 1"),
    (["-N", "10", "--d", "0"], "degree"),
    (["--f", "exp", "-N", "40", "--protocol", "code"], "GiB"),
])
def test_bad_input_exits_2_with_one_line(args, message):
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
