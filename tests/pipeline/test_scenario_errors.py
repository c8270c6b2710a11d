"""Every kind of bad scenario input gives one line naming the file, the key and what was expected,
exit status 2 and no traceback (issue 3)."""

import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine.plan import ScenarioError
from amsim.scenarios.loader import load_scenario

from .conftest import SMALL


def variant(old: str, new: str) -> str:
    assert old in SMALL, old
    return SMALL.replace(old, new)


BAD = [
    # (scenario text, key named in the message, a fragment of what was expected)
    (variant('name = "small"', 'name = "small"\ncolour = "red"'), "colour", "unknown key"),
    (variant("seed = 11", 'seed = "eleven"'), "seed", "valid integer"),
    (variant("seed = 11", ""), "seed", "required key is missing"),
    (variant("seed = 11", "seed = -3"), "seed", "greater than or equal to 0"),
    (variant("N = [16, 24]", "N = [1, 24]"), "scan.N", "greater than or equal to 2"),
    (variant("P = 12", "P = 12\nN = 3").replace("N = [16, 24]", "d = [2]"), "params.P", "exceeds the 2^N"),
    (variant("N = [16, 24]", "N = [3, 24]"), "params.P", "exceeds the 2^N"),
    (variant("d = 2", "d = 0"), "params.d", "greater than or equal to 1"),
    (variant("N = [16, 24]", "N = []"), "scan.N", "must not be empty"),
    (variant("N = [16, 24]", 'N = "10:x"'), "scan.N", "start:stop[:step]"),
    (variant("N = [16, 24]", "N = 5"), "scan.N", "expected a list"),
    (variant("N = [16, 24]", "N = [16, 24]\nwidth = [1, 2]"), "scan.width", "unknown parameter"),
    (variant("P = 12", "P = 12\nsteps = -1"), "params.steps", "greater than or equal to 0"),
    (variant('model = "densenet"', 'model = "perceptron"'), "params.model", "'hopfield', 'seqnet', 'densenet', 'mixednet' or 'two-layer'"),
    (variant('backend = "numpy"', 'backend = "tpu"'), "run.backend", "'numpy', 'numba', 'cupy' or 'auto'"),
    (variant('kind = "trajectory"', 'kind = "cosmology"'), "kind", "unknown experiment kind"),
    (variant("every = 2", "every = 0"), "record.every", "greater than or equal to 1"),
    (variant("every = 2", "every = 2\nspeed = 1"), "record.speed", "unknown key"),
    (variant("P = 12", "P = 12\nstart = 12"), "params.start", "must be below P"),
    (variant("repetitions = 2", "repetitions = 0"), "repetitions", "greater than or equal to 1"),
    (variant("P = 12", 'P = 12\ntie_policy = "coin"'), "params.tie_policy", "'error', 'keep', 'plus' or 'random'"),
    ("name = [unclosed", "invalid TOML", ""),
]


@pytest.mark.parametrize("text,key,expected", BAD, ids=[b[1] + ":" + b[2][:20] for b in BAD])
def test_bad_scenario_is_one_clear_line(tmp_path, text, key, expected):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(str(path))
    message = str(err.value)
    assert message.startswith(f"{path}: ")
    assert key in message and expected in message

    result = CliRunner().invoke(main, ["show", str(path)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and str(path) in result.output
    assert "Traceback" not in result.output


def test_missing_scenario_names_the_bundled_ones():
    result = CliRunner().invoke(main, ["run", "no-such-scenario"])
    assert result.exit_code == 2
    assert "no such scenario file or bundled scenario" in result.output
    assert "default" in result.output


def test_debug_shows_the_traceback(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(variant("seed = 11", "seed = -3"))
    result = CliRunner().invoke(main, ["--debug", "show", str(path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, ScenarioError)
