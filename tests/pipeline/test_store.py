"""The HDF5 store: layout readable by plain h5py, resume, refusal of foreign files, bad files."""

import h5py
import numpy as np
import pytest

from amsim.engine.pipeline import run_plan
from amsim.engine.store import StoreError, open_results
from amsim.experiments.trajectory import unpack
from amsim.scenarios.loader import load_scenario, parse_scenario

from .conftest import SMALL


def test_layout_and_provenance(small_scenario, tmp_path):
    plan = load_scenario(str(small_scenario))
    out = tmp_path / "r.h5"
    report = run_plan(plan, out, backend="numpy")
    assert len(report.done) == 4 and not report.failed
    assert not (tmp_path / "r.h5.journal").exists()
    with h5py.File(out, "r") as h5:
        for key in ("amsim_version", "scenario_sha256", "created", "host", "numpy_version",
                    "numba_version", "backend"):
            assert key in h5.attrs
        assert h5.attrs["scenario_sha256"] == plan.sha256
        assert h5["scenario"].asstr()[()] == plan.text
        group = h5["tasks"][plan.tasks[0].task_id]
        assert group.attrs["complete"] and group.attrs["status"] == "done"
        assert group.attrs["param.N"] == 16 and group.attrs["param.model"] == "densenet"
        assert group["states"].dtype == np.uint8 and group["states"].compression == "gzip"
        assert group["overlaps"].dtype == np.float32
        # packed states unpack to ±1 states whose overlaps equal the stored float32 overlaps
        n = 16
        states = unpack(group["states"][()], n).astype(np.float32)
        patterns = unpack(group["patterns"][()], n).astype(np.float32)
        np.testing.assert_array_equal(states @ patterns.T / np.float32(n), group["overlaps"][()])
        assert list(h5["summary"]["task_id"].asstr()[()]) == [t.task_id for t in plan.tasks]


def test_resume_skips_finished_tasks(small_scenario, tmp_path):
    plan = load_scenario(str(small_scenario))
    out = tmp_path / "r.h5"
    run_plan(plan, out, backend="numpy")
    again = run_plan(plan, out, backend="numpy")
    assert again.skipped == 4 and again.done == []


def test_other_scenario_is_refused_unless_overwrite(small_scenario, tmp_path):
    out = tmp_path / "r.h5"
    run_plan(load_scenario(str(small_scenario)), out, backend="numpy")
    other = parse_scenario(SMALL.replace("seed = 11", "seed = 12"), "other.toml")
    with pytest.raises(StoreError, match="another scenario"):
        run_plan(other, out, backend="numpy")
    report = run_plan(other, out, backend="numpy", overwrite=True)
    assert len(report.done) == 4
    assert open_results(out).attrs["scenario_sha256"] == other.sha256


def test_results_do_not_depend_on_backend(small_scenario, tmp_path):
    plan = load_scenario(str(small_scenario))
    run_plan(plan, tmp_path / "a.h5", backend="numpy")
    run_plan(plan, tmp_path / "b.h5", backend="numba")
    a, b = open_results(tmp_path / "a.h5"), open_results(tmp_path / "b.h5")
    for task in plan.tasks:
        _, xa = a.read_task(task.task_id)
        _, xb = b.read_task(task.task_id)
        assert xa.keys() == xb.keys()
        for key in xa:
            np.testing.assert_array_equal(xa[key], xb[key])


@pytest.mark.parametrize("content", [b"", b"not hdf5 at all\n" * 10])
def test_unreadable_file_is_one_line(tmp_path, content):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(content)
    with pytest.raises(StoreError, match="unreadable result file"):
        open_results(bad)


def test_truncated_file_is_one_line(small_scenario, tmp_path):
    out = tmp_path / "r.h5"
    run_plan(load_scenario(str(small_scenario)), out, backend="numpy")
    data = out.read_bytes()
    out.write_bytes(data[: len(data) // 2])
    with pytest.raises(StoreError, match="unreadable result file"):
        open_results(out)


def test_foreign_hdf5_file_is_refused(tmp_path):
    path = tmp_path / "foreign.h5"
    with h5py.File(path, "w") as h5:
        h5["x"] = np.arange(3)
    with pytest.raises(StoreError, match="not an amsim result file"):
        open_results(path)
