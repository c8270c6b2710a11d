"""The HDF5 result store: one file per run, written only by the driver, safe against kills.

Layout of ``results.h5``
------------------------
- root attributes: ``format = "amsim-results"``, ``format_version``, ``amsim_version``,
  ``scenario_sha256``, ``scenario_name``, ``scenario_source``, ``kind``, ``created`` (UTC, ISO 8601),
  ``host``, ``python_version``, ``numpy_version``, ``numba_version``, ``h5py_version``, ``backend``;
- ``/scenario``: the scenario TOML text;
- ``/tasks/<task_id>``: one group per finished task; parameters as attributes ``param.<name>``
  (plain scalars and strings, readable by plain h5py; lists as their text) and all of them as the JSON
  attribute ``params_json`` (the exact round trip), arrays as chunked gzip-compressed datasets, the
  attribute ``complete = True`` written last;
- ``/summary``: one 1-D dataset per column (``task_id``, every parameter, ``status`` and the
  kind's summary scalars), rebuilt at every checkpoint, for tables and plots.

Crash safety
------------
HDF5 has no journal: a process killed while the library flushes metadata can leave a file that no
longer opens.  So ``results.h5`` is never modified in place.  Each finished task is first written to
its own small file in the journal folder ``results.h5.journal/`` (written under a temporary name,
fsynced, then renamed, so it exists whole or not at all).  A *checkpoint* copies ``results.h5``,
adds the journal's tasks to the copy, fsyncs it and renames it over the original; only then are the
merged journal files removed.  Checkpoints happen at the end of a run, on Ctrl-C, periodically in long
runs and when a run resumes.  A SIGKILL at any point therefore leaves ``results.h5`` readable, and
every finished task is either in it or in the journal, where the next run (or :func:`open_results`)
finds it.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import socket
from importlib import metadata
from pathlib import Path

import h5py
import numpy as np

from amsim import __version__
from amsim.errors import AmsimError

FORMAT = "amsim-results"
FORMAT_VERSION = 1


class StoreError(AmsimError):
    """A result file that cannot be used: missing, not amsim's, corrupt, or from another scenario."""


def journal_dir(path: Path) -> Path:
    return path.with_name(path.name + ".journal")


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_h5(path: Path, fill) -> None:
    """Create ``path`` whole or not at all: write to a temporary name, fsync, rename."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with h5py.File(tmp, "w") as h5:
        fill(h5)
    _fsync_file(tmp)
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _plain(value):
    """An attribute value h5py stores natively (anything else as its string)."""
    if isinstance(value, (bool, int, float, str, np.integer, np.floating, np.bool_)):
        return value
    return str(value)


def write_task_group(group: h5py.Group, task, status: str, arrays: dict, attrs: dict) -> None:
    """Fill one task group: parameters and results as attributes, arrays as datasets, mark last."""
    group.attrs["task_id"] = task.task_id
    group.attrs["index"] = task.index
    group.attrs["repetition"] = task.repetition
    group.attrs["seed"] = task.seed
    group.attrs["params_json"] = json.dumps(task.params, sort_keys=True)  # the exact round trip
    for key, value in task.params.items():
        group.attrs[f"param.{key}"] = _plain(value)
    for key, value in attrs.items():
        group.attrs[key] = _plain(value)
    for name, arr in arrays.items():
        arr = np.asarray(arr)
        opts = {"compression": "gzip", "shuffle": True, "chunks": True} if arr.ndim and arr.size else {}
        group.create_dataset(name, data=arr, **opts)
    group.attrs["status"] = status
    group.attrs["complete"] = True


class ResultStore:
    """Driver-side writer of one run's file (see the module docstring for the crash-safety scheme)."""

    def __init__(self, path: str | Path, plan, backend: str, overwrite: bool = False):
        self.path = Path(path)
        self.plan = plan
        self.journal = journal_dir(self.path)
        if overwrite:
            self.path.unlink(missing_ok=True)
            shutil.rmtree(self.journal, ignore_errors=True)
        if self.path.exists():
            existing = open_results(self.path).attrs.get("scenario_sha256")
            if existing != plan.sha256:
                raise StoreError(
                    f"{self.path}: holds results of another scenario (sha256 {str(existing)[:12]}…, "
                    f"this one {plan.sha256[:12]}…); use --overwrite or another -o path"
                )
        else:
            shutil.rmtree(self.journal, ignore_errors=True)  # orphans of a file that is gone
            _atomic_h5(self.path, lambda h5: self._init_file(h5, backend))
        self.journal.mkdir(exist_ok=True)
        self.checkpoint()

    def _init_file(self, h5: h5py.File, backend: str) -> None:
        plan = self.plan
        attrs = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "amsim_version": __version__,
            "scenario_sha256": plan.sha256,
            "scenario_name": plan.scenario.name,
            "scenario_source": plan.source,
            "kind": plan.scenario.kind,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "host": socket.gethostname(),
            "python_version": platform.python_version(),
            "numpy_version": np.__version__,
            "numba_version": _version("numba"),
            "h5py_version": h5py.__version__,
            "backend": backend,
        }
        h5.attrs.update(attrs)
        h5.create_dataset("scenario", data=plan.text)
        h5.create_group("tasks")

    def finished(self) -> set[str]:
        """Ids of tasks that completed successfully, in the file or in the journal."""
        return {tid for tid, status in self._statuses().items() if status == "done"}

    def _statuses(self) -> dict[str, str]:
        with h5py.File(self.path, "r") as h5:
            out = {tid: g.attrs.get("status", "done") for tid, g in h5["tasks"].items()}
        for shard in sorted(self.journal.glob("*.h5")):
            with h5py.File(shard, "r") as h5:
                out[shard.stem] = h5["task"].attrs["status"]
        return out

    def write(self, task, status: str, arrays: dict, attrs: dict) -> None:
        """Make one finished (or failed) task durable in the journal."""
        _atomic_h5(
            self.journal / f"{task.task_id}.h5",
            lambda h5: write_task_group(h5.create_group("task"), task, status, arrays, attrs),
        )

    def checkpoint(self) -> None:
        """Merge the journal into the file by copy, fsync and atomic rename; then clear the journal."""
        shards = sorted(self.journal.glob("*.h5"))
        if not shards:
            return
        tmp = self.path.with_name(f".{self.path.name}.merge{os.getpid()}")
        shutil.copyfile(self.path, tmp)
        with h5py.File(tmp, "a") as dst:
            tasks = dst["tasks"]
            for shard in shards:
                with h5py.File(shard, "r") as src:
                    if shard.stem in tasks:
                        del tasks[shard.stem]  # a failed attempt replaced by a newer one
                    src.copy(src["task"], tasks, name=shard.stem)
            write_summary(dst)
        _fsync_file(tmp)
        os.replace(tmp, self.path)
        _fsync_dir(self.path.parent)
        for shard in shards:
            shard.unlink()


    def close(self) -> None:
        """Final checkpoint; the emptied journal folder is removed."""
        self.checkpoint()
        if self.journal.is_dir() and not any(self.journal.iterdir()):
            self.journal.rmdir()


def write_summary(h5: h5py.File) -> None:
    """Rebuild ``/summary``: one column per task attribute shared by all tasks, rows in task order."""
    groups = sorted(h5["tasks"].values(), key=lambda g: int(g.attrs["index"]))
    if "summary" in h5:
        del h5["summary"]
    summary = h5.create_group("summary")
    if not groups:
        return
    skip = {"complete", "params_json"}
    names = [k for k in groups[0].attrs if k not in skip and all(k in g.attrs for g in groups)]
    for name in names:
        values = [g.attrs[name] for g in groups]
        if all(isinstance(v, (str, bytes)) for v in values):
            data = np.array([v.decode() if isinstance(v, bytes) else v for v in values], dtype=h5py.string_dtype())
        else:
            data = np.array(values)
        summary.create_dataset(name, data=data)


class Results:
    """Read-only view of a result file plus its journal (tasks not merged yet)."""

    def __init__(self, path: Path, attrs: dict, scenario: str, tasks: dict[str, dict]):
        self.path = path
        self.attrs = attrs
        self.scenario = scenario
        self.tasks = tasks  # task_id -> {"attrs": {...}, "source": Path}

    def find(self, ref: str) -> str:
        """The task id that ``ref`` names: a task index (as ``amsim inspect`` lists it), a task id,
        or a unique prefix of one."""
        matches = []
        if ref.isdigit():
            matches = [t for t, v in self.tasks.items() if int(v["attrs"]["index"]) == int(ref)]
        if not matches:
            matches = [t for t in self.tasks if t.startswith(ref)]
        if len(matches) != 1:
            what = "no task" if not matches else f"{len(matches)} tasks"
            raise StoreError(f"{self.path}: {what} match {ref!r}; `amsim inspect {self.path}` lists them")
        return matches[0]

    def done(self) -> list[str]:
        """Ids of the tasks that finished successfully, in task-index order."""
        ids = [t for t, e in self.tasks.items() if e["attrs"].get("status") == "done"]
        return sorted(ids, key=lambda t: int(self.tasks[t]["attrs"]["index"]))

    def read_task(self, task_id: str) -> tuple[dict, dict[str, np.ndarray]]:
        """Attributes and arrays of one task."""
        entry = self.tasks[task_id]
        with h5py.File(entry["source"], "r") as h5:
            group = h5["tasks"][task_id] if entry["source"] == self.path else h5["task"]
            return dict(group.attrs), {name: ds[()] for name, ds in group.items()}

    def params(self, task_id: str) -> dict:
        """The task's canonical parameters, exactly as the plan made them."""
        return json.loads(_restore(self.tasks[task_id]["attrs"]["params_json"]))


def _restore(value):
    """A plain Python value from an attribute read by h5py."""
    if isinstance(value, bytes):
        return value.decode()
    return value.item() if isinstance(value, np.generic) else value


def open_results(path: str | Path) -> Results:
    """Open a result file for reading; a missing, foreign, truncated or corrupt file is a
    :class:`StoreError` with one line."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"{path}: no such result file")
    try:
        with h5py.File(path, "r") as h5:
            attrs = {k: _restore(v) for k, v in h5.attrs.items()}
            if attrs.get("format") != FORMAT:
                raise StoreError(f"{path}: not an amsim result file (no format='{FORMAT}' attribute)")
            scenario = h5["scenario"].asstr()[()]
            tasks = {
                tid: {"attrs": dict(g.attrs), "source": path}
                for tid, g in h5["tasks"].items()
                if g.attrs.get("complete", False)
            }
    except StoreError:
        raise
    except (OSError, KeyError, ValueError) as err:
        raise StoreError(f"{path}: unreadable result file (truncated or corrupt): {err}") from None
    journal = journal_dir(path)
    for shard in sorted(journal.glob("*.h5")) if journal.is_dir() else []:
        try:
            with h5py.File(shard, "r") as h5:
                tasks[shard.stem] = {"attrs": dict(h5["task"].attrs), "source": shard}
        except (OSError, KeyError):
            continue  # a shard is renamed into place only when whole; anything else is not ours
    return Results(path, attrs, scenario, tasks)
