"""Helpers shared by the attention plots: the finished tasks of a file, grouped by grid point."""

from __future__ import annotations

from collections import defaultdict

import numpy as np


def done_tasks(results) -> list[dict]:
    """Finished tasks in index order: ``{"id", "params", "attrs"}``."""
    return [{"id": tid, "params": results.params(tid), "attrs": results.tasks[tid]["attrs"]}
            for tid in results.done()]


def selected_tasks(results, task=None) -> list[dict]:
    """The finished tasks to plot: all of them, or the one ``task`` names."""
    tasks = done_tasks(results)
    if task is not None:
        tid = results.find(task)
        tasks = [t for t in tasks if t["id"] == tid]
    return tasks


def empty_figure():
    """A figure that says there is nothing to plot."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.text(0.5, 0.5, "no finished tasks", ha="center")
    return fig


def varying(tasks: list[dict]) -> list[str]:
    """Parameter names that take more than one value across the tasks."""
    names = []
    for key in tasks[0]["params"] if tasks else []:
        if len({repr(t["params"].get(key)) for t in tasks}) > 1:
            names.append(key)
    return names


def group(tasks: list[dict], keys) -> dict[tuple, list[dict]]:
    """Tasks grouped by the values of ``keys`` (sorted by those values)."""
    out = defaultdict(list)
    for t in tasks:
        out[tuple(t["params"].get(k) for k in keys)].append(t)
    return dict(sorted(out.items(), key=lambda kv: tuple(_sortable(v) for v in kv[0])))


def _sortable(v):
    return (0, v) if isinstance(v, (int, float)) else (1, str(v))


def attr_mean(tasks: list[dict], name: str) -> float:
    vals = np.array([float(t["attrs"].get(name, np.nan)) for t in tasks])
    vals = vals[np.isfinite(vals)]
    return float(vals.mean()) if vals.size else float("nan")


def slope(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(y) & (y > 0) & (x > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def label(params: dict, keys) -> str:
    parts = []
    for k in keys:
        v = params.get(k)
        parts.append(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}")
    return ", ".join(parts)
