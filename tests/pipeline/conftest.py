"""Small scenarios shared by the pipeline tests."""

import textwrap

import pytest

SMALL = textwrap.dedent(
    """
    name = "small"
    description = "tiny scan for tests"
    kind = "trajectory"
    seed = 11
    repetitions = 2

    [params]
    model = "densenet"
    d = 2
    P = 12

    [scan]
    N = [16, 24]

    [record]
    every = 2
    overlaps = true
    states = true

    [run]
    backend = "numpy"
    """
)


@pytest.fixture
def small_scenario(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(SMALL)
    return path
