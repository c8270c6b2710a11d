"""Play back a stored trajectory, and verify it bit for bit by simulating the task again."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amsim.engine.pipeline import Job, execute_task
from amsim.engine.plan import Task
from amsim.engine.store import Results, StoreError
from amsim.experiments.trajectory import KIND, unpack
from amsim.scenarios.loader import parse_scenario

#: arrays compared by ``--verify``, in the order a difference is reported
VERIFIED = ("patterns", "times", "states", "overlaps", "errors", "ties")


@dataclass
class Playback:
    """Per recorded time: the closest pattern (by diagnostic overlap), its overlap, the expected one."""

    times: np.ndarray
    closest: np.ndarray
    overlap: np.ndarray
    expected: np.ndarray
    errors: np.ndarray  # bit errors of the step that led to this time (-1 at t = 0)


def stored_task(results: Results, task_id: str) -> Task:
    attrs = results.tasks[task_id]["attrs"]
    if attrs.get("status") != "done":
        raise StoreError(f"task {task_id} did not finish ({attrs.get('status')}): nothing to replay")
    return Task(int(attrs["index"]), task_id, results.params(task_id), int(attrs["repetition"]), int(attrs["seed"]))


def playback(results: Results, task_id: str) -> Playback:
    """The per-step summary of one stored trajectory task."""
    if results.attrs.get("kind") != "trajectory":
        raise StoreError(f"{results.path}: replay needs a trajectory run, not {results.attrs.get('kind')!r}")
    params = results.params(task_id)
    _, arrays = results.read_task(task_id)
    times = arrays["times"]
    n, p = int(params["N"]), int(params["P"])
    if "overlaps" in arrays:
        overlaps = arrays["overlaps"].astype(np.float64)
    elif "states" in arrays:
        states = unpack(arrays["states"], n).astype(np.float64)
        overlaps = states @ unpack(arrays["patterns"], n).T.astype(np.float64) / n
    else:
        raise StoreError(f"task {task_id} recorded neither overlaps nor states")
    closest = overlaps.argmax(axis=1)
    net = KIND.model(KIND.Params(**params))
    expected = np.array([net.expected_index(int(params["start"]), int(t), p) for t in times])
    step_errors = np.concatenate([[-1], arrays["errors"]])
    return Playback(times, closest, overlaps[np.arange(len(times)), closest], expected, step_errors[times])


def verify(results: Results, task_id: str, backend: str | None = None) -> tuple[bool, str]:
    """Simulate the task again from its stored parameters and seed; compare every array bit for bit.

    Returns ``(True, message)`` on a match, else ``(False, message naming the first differing step)``.
    """
    task = stored_task(results, task_id)
    attrs, stored = results.read_task(task_id)
    record = parse_scenario(results.scenario, str(results.path)).scenario.record
    result, name, _ = execute_task(Job("trajectory", task, record, backend or str(attrs["backend"])))
    fresh = result.arrays
    for key in VERIFIED:
        if (key in stored) != (key in fresh):
            return False, f"array {key!r} is recorded in only one of the two runs"
        if key not in stored:
            continue
        a, b = stored[key], fresh[key]
        if a.shape != b.shape or a.dtype != b.dtype:
            return False, f"array {key!r}: shape/dtype {a.shape} {a.dtype} != recomputed {b.shape} {b.dtype}"
        diff = np.flatnonzero((a != b).reshape(len(a), -1).any(axis=1)) if a.ndim else np.array([] if a == b else [0])
        if diff.size:
            row = int(diff[0])
            where = _step_of(key, row, stored["times"])
            return False, f"array {key!r} differs first at {where}"
    return True, f"task {task_id}: {len(stored['times'])} recorded times match bit for bit ({name} backend)"


def _step_of(key: str, row: int, times: np.ndarray) -> str:
    if key in ("states", "overlaps", "times"):
        return f"step {int(times[row]) if row < len(times) else row}"
    if key in ("errors", "ties"):
        return f"step {row + 1}"
    return f"pattern {row}"
