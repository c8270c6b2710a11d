"""Scenario -> plan: grid expansion, stable task ids, per-task seeds."""

from amsim.engine.plan import make_task_id
from amsim.engine.rng import task_rng
from amsim.scenarios.loader import bundled_scenarios, load_scenario, parse_scenario
from amsim.scenarios.schema import scan_values

from .conftest import SMALL


def test_grid_times_repetitions(small_scenario):
    plan = load_scenario(str(small_scenario))
    assert len(plan.tasks) == 2 * 2
    assert [t.params["N"] for t in plan.tasks] == [16, 16, 24, 24]
    assert [t.repetition for t in plan.tasks] == [0, 1, 0, 1]
    assert len({t.task_id for t in plan.tasks}) == 4


def test_ranges_include_their_stop():
    assert scan_values("20:100:20") == [20, 40, 60, 80, 100]
    assert scan_values("1:3") == [1, 2, 3]
    assert scan_values({"start": 0.5, "stop": 1.0, "step": 0.25}) == [0.5, 0.75, 1.0]
    assert scan_values([3, 1]) == [3, 1]


def test_task_ids_depend_on_parameters_not_on_order_or_source(small_scenario):
    a = load_scenario(str(small_scenario))
    reordered = SMALL.replace("N = [16, 24]", "N = [24, 16]")
    b = parse_scenario(reordered, "elsewhere.toml")
    assert {t.task_id for t in a.tasks} == {t.task_id for t in b.tasks}
    # the id is the hash of the canonical parameters, recomputed independently here
    t = a.tasks[0]
    assert t.task_id == make_task_id("trajectory", t.params, a.record().model_dump(), t.repetition)


def test_irrelevant_parameters_do_not_split_tasks():
    text = SMALL.replace('model = "densenet"', 'model = "seqnet"').replace("N = [16, 24]", "N = [16]\nd = [1, 2, 3]")
    plan = parse_scenario(text, "x.toml")
    assert len(plan.tasks) == 2  # d means nothing to a SeqNet: one grid point, two repetitions


def test_task_streams_differ_between_tasks_and_repeat_for_a_task(small_scenario):
    plan = load_scenario(str(small_scenario))
    draws = [task_rng(t.seed, t.task_id).integers(0, 2**62, 4).tolist() for t in plan.tasks]
    assert len({tuple(d) for d in draws}) == len(draws)
    again = task_rng(plan.tasks[0].seed, plan.tasks[0].task_id).integers(0, 2**62, 4).tolist()
    assert again == draws[0]


def test_every_bundled_scenario_validates():
    names = bundled_scenarios()
    assert "default" in names
    for name, text in names.items():
        plan = parse_scenario(text, name)
        assert plan.tasks and plan.scenario.description
