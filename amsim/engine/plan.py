"""Scenario -> Plan: expand the ``[scan]`` grid and the repetitions into tasks.

Each task has a stable id, the first 16 hex digits of the SHA-256 of its canonical parameters, its
record settings and its repetition index, and draws all its randomness from
``task_rng(scenario seed, task id)`` (:mod:`amsim.engine.rng`).  Neither depends on the executor,
the worker count or the order in which tasks run.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass, field

from pydantic import ValidationError

from amsim.errors import AmsimError
from amsim.experiments import get_kind
from amsim.scenarios.schema import Scenario, scan_values


class ScenarioError(AmsimError):
    """A malformed scenario; the message names the file, the key and what was expected."""


@dataclass(frozen=True)
class Task:
    """One unit of work: canonical parameters, repetition index, id and seed."""

    index: int
    task_id: str
    params: dict
    repetition: int
    seed: int
    point: dict = field(default_factory=dict)  # the grid values as the scenario wrote them


@dataclass
class Plan:
    """A validated scenario and its tasks, ready for an executor."""

    scenario: Scenario
    text: str
    source: str
    tasks: list[Task]
    grid: dict[str, list] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def kind(self):
        return get_kind(self.scenario.kind)

    def record(self):
        return self.kind.Record(**self.scenario.record)

    def params(self, task: Task):
        """The validated kind parameters of a task."""
        return self.kind.Params(**task.params)


def format_validation(source: str, err: ValidationError, prefix: str = "", scanned=()) -> str:
    """One line per pydantic error: ``file: key.path: what was expected``."""
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"])
        key = f"scan.{loc}" if loc in scanned else (f"{prefix}{loc}" if loc else prefix.rstrip(".") or "scenario")
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key"
        elif e["type"] == "missing":
            msg = "required key is missing"
        got = e.get("input")
        if e["type"] not in ("missing", "extra_forbidden") and not isinstance(got, dict):
            msg += f" (got {got!r})"
        lines.append(f"{source}: {key}: {msg}")
    return "\n".join(lines)


def build_plan(data: dict, text: str, source: str) -> Plan:
    """Validate a parsed scenario as a whole and expand it; :class:`ScenarioError` on bad input."""
    try:
        scenario = Scenario(**data)
    except ValidationError as err:
        raise ScenarioError(format_validation(source, err)) from None
    try:
        kind = get_kind(scenario.kind)
    except ValueError as err:
        raise ScenarioError(f"{source}: kind: {err}") from None
    fields = kind.Params.model_fields
    grid = {}
    for key, value in scenario.scan.items():
        if key not in fields:
            raise ScenarioError(
                f"{source}: scan.{key}: unknown parameter; expected one of {', '.join(fields)}"
            )
        try:
            grid[key] = scan_values(value)
        except ValueError as err:
            raise ScenarioError(f"{source}: scan.{key}: {err}") from None
    try:
        record = kind.Record(**scenario.record)
    except ValidationError as err:
        raise ScenarioError(format_validation(source, err, prefix="record.")) from None
    keys = list(grid)
    tasks, seen = [], set()
    for point in itertools.product(*(grid[k] for k in keys)):
        merged = {**scenario.params, **dict(zip(keys, point))}
        try:
            params = kind.Params(**merged)
        except ValidationError as err:
            raise ScenarioError(format_validation(source, err, "params.", scanned=keys)) from None
        canonical = kind.canonical(params)
        for rep in range(scenario.repetitions):
            task_id = make_task_id(scenario.kind, canonical, record.model_dump(), rep)
            if task_id in seen:
                continue
            seen.add(task_id)
            tasks.append(Task(len(tasks), task_id, canonical, rep, scenario.seed, dict(zip(keys, point))))
    return Plan(scenario=scenario, text=text, source=source, tasks=tasks, grid=grid)


def make_task_id(kind: str, params: dict, record: dict, repetition: int) -> str:
    """First 16 hex digits of the SHA-256 of the canonical JSON of what defines a task."""
    blob = json.dumps(
        {"kind": kind, "params": params, "record": record, "repetition": repetition},
        sort_keys=True, separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:16]
