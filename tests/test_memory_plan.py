"""The memory plan refuses impossible sizes before allocating, with one line stating need and free."""

import numpy as np
import pytest
from click.testing import CliRunner

from amsim.cli import main
from amsim.engine import memory
from amsim.engine.fields import field_signs
from amsim.engine.memory import MemoryPlanError, field_core_bytes
from amsim.engine.separation import Polynomial


def test_simulate_refuses_before_allocating():
    # 10^5 x 10^5 patterns would need ~10 GB as int8 alone; the refusal must come first and fast
    result = CliRunner().invoke(main, ["simulate", "-N", "100000", "-P", "100000"])
    assert result.exit_code == 2
    assert "needs about" in result.output and "GiB are available" in result.output
    assert "Traceback" not in result.output


def test_scenario_run_refuses_oversized_task(tmp_path):
    scenario = tmp_path / "huge.toml"
    scenario.write_text(
        'name = "huge"\nkind = "trajectory"\nseed = 1\n[params]\nN = 200000\nP = 200000\n'
    )
    result = CliRunner().invoke(main, ["run", str(scenario), "-o", str(tmp_path / "huge.h5")])
    assert result.exit_code == 2 and "the largest task of 'huge'" in result.output


def test_field_core_checks_its_own_allocation(monkeypatch):
    xi = np.ones((40, 30), np.int8)
    need = field_core_bytes(1, 40, 40, 30, 1 << 22)
    monkeypatch.setattr(memory, "available_bytes", lambda: need - 1)
    with pytest.raises(MemoryPlanError, match="the field computation needs about"):
        field_signs(xi, xi, xi, Polynomial(2))
    monkeypatch.setattr(memory, "available_bytes", lambda: need)
    assert field_signs(xi, xi, xi, Polynomial(2)).shape == (40, 30)
