"""Overlap against time for trajectory runs (spec Fig. 1): one panel per task, one curve per pattern."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np

from amsim.engine.replay import playback

#: at most this many panels in one figure (tasks beyond are left out, and the title says so)
MAX_PANELS = 6


def plot(results, task=None):
    """Diagnostic overlaps m^mu(t) of every pattern against time, with the expected pattern in black."""
    ids = [results.find(task)] if task is not None else results.done()[:MAX_PANELS]
    cols = min(3, len(ids))
    rows = math.ceil(len(ids) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, task_id in zip(axes.flat, ids):
        _, arrays = results.read_task(task_id)
        params = results.params(task_id)
        times = arrays["times"]
        overlaps = arrays["overlaps"]  # (T_rec, P)
        ax.plot(times, overlaps, color="0.75", lw=0.6)
        pb = playback(results, task_id)
        ax.plot(times, overlaps[np.arange(len(times)), pb.expected], color="k", lw=1.4,
                label="expected pattern")
        ax.set_ylim(-1.05, 1.05)
        ax.set_xlabel("step t")
        ax.set_ylabel("overlap m^mu(t)")
        ax.set_title(_label(params), fontsize=9)
    for ax in list(axes.flat)[len(ids):]:
        ax.axis("off")
    axes.flat[0].legend(loc="lower left", fontsize=8)
    shown = len(ids)
    total = len(results.done()) if task is None else 1
    fig.suptitle(f"{results.attrs['scenario_name']}: overlaps ({shown} of {total} tasks)")
    fig.tight_layout()
    return fig


def _label(params: dict) -> str:
    model = params["model"]
    if model == "densenet":
        model += f" {params['f']}" + (f" d={params['d']}" if params.get("d") is not None else "")
    return f"{model}, N={params['N']}, P={params['P']}"
