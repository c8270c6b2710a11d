"""The scenario file schema (pydantic v2): the keys every scenario has, whatever its kind.

A scenario is a TOML file::

    name = "default"                 # letters, digits, '-', '_', '.'
    description = "one line"
    kind = "trajectory"              # experiment kind (amsim.experiments.KINDS)
    seed = 2023                      # scenario seed (>= 0)
    repetitions = 3                  # independent draws of every grid point

    [params]                         # the task parameters of the kind, e.g. model, f, d, N, P, steps
    model = "densenet"
    d = 2

    [scan]                           # any parameter as a list or a range: the Cartesian grid
    N = [20, 40, 60]                 # a list
    P = "10:50:10"                   # "start:stop:step", stop included when on the grid
    # steps = { start = 10, stop = 50, step = 10 }   # the same range as a table

    [record]                         # what to record (kind-specific), e.g. every = 1
    [run]                            # defaults of `amsim run`: backend, executor, workers

The kind-specific tables (``params`` merged with one grid point, and ``record``) are validated by the
kind's own pydantic models when the scenario expands into a plan (:mod:`amsim.engine.plan`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class RangeSpec(BaseModel):
    """An inclusive arithmetic range ``start, start+step, ..., <= stop``."""

    model_config = ConfigDict(extra="forbid")

    start: float
    stop: float
    step: float = 1

    @field_validator("step")
    @classmethod
    def _positive(cls, step: float) -> float:
        if step <= 0:
            raise ValueError("step must be > 0")
        return step

    def values(self) -> list:
        count = int((self.stop - self.start) / self.step + 1e-9) + 1
        if count < 1:
            raise ValueError(f"empty range: start {self.start} > stop {self.stop}")
        vals = [self.start + k * self.step for k in range(count)]
        if all(float(v).is_integer() for v in (self.start, self.step)):
            return [int(v) for v in vals]
        return vals


def parse_range(text: str) -> RangeSpec:
    """``"start:stop:step"`` or ``"start:stop"`` (step 1) as a :class:`RangeSpec`."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"a range string is 'start:stop[:step]', got {text!r}")
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise ValueError(f"a range string is 'start:stop[:step]' of numbers, got {text!r}") from None
    return RangeSpec(start=nums[0], stop=nums[1], step=nums[2] if len(nums) == 3 else 1)


def scan_values(value: Any) -> list:
    """The list of values of one ``[scan]`` entry (list, range string or range table)."""
    if isinstance(value, list):
        if not value:
            raise ValueError("a scan list must not be empty")
        return value
    if isinstance(value, str):
        return parse_range(value).values()
    if isinstance(value, dict):
        return RangeSpec(**value).values()
    raise ValueError(
        f"expected a list, a 'start:stop:step' string or a {{start, stop, step}} table, got {value!r}"
    )


class RunDefaults(BaseModel):
    """Defaults of ``amsim run`` that the command line may override."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["numpy", "numba", "cupy", "auto"] = "auto"
    executor: Literal["serial", "process", "dask"] = "serial"
    workers: int = Field(1, ge=1)


class Scenario(BaseModel):
    """The kind-independent part of a scenario file."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.\-]+$", min_length=1)
    description: str = ""
    kind: str
    seed: int = Field(ge=0)
    repetitions: int = Field(1, ge=1)
    params: dict[str, Any] = {}
    scan: dict[str, Any] = {}
    record: dict[str, Any] = {}
    run: RunDefaults = RunDefaults()
