"""Capacity against N (or any scanned parameter) on a log scale: simulation (mean and standard
deviation of log10 capacity over repetitions, as the paper's Fig. 2) beside the model's theory curve."""

from __future__ import annotations

from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

from amsim.experiments import get_kind
from amsim.scenarios.loader import parse_scenario


def plot(results, task=None):
    plan = parse_scenario(results.scenario, str(results.path))
    kind = get_kind(plan.scenario.kind)
    x_key = "N" if "N" in plan.grid else next(iter(plan.grid), "N")
    others = [k for k in plan.grid if k != x_key]
    curves = defaultdict(lambda: defaultdict(list))
    for t in plan.tasks:
        attrs = results.tasks.get(t.task_id, {}).get("attrs")
        if attrs is None or attrs.get("status") != "done" or attrs["capacity"] <= 0:
            continue
        label = ", ".join(f"{k}={t.point[k]}" for k in others)
        curves[label][t.params[x_key] if x_key in t.params else t.point[x_key]].append(attrs["capacity"])
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for label, points in curves.items():
        xs = np.array(sorted(points))
        logs = [np.log10(points[x]) for x in xs]
        line = ax.errorbar(xs, [np.mean(v) for v in logs], yerr=[np.std(v) for v in logs], fmt="o",
                           capsize=3, label=f"{label} simulation" if label else "simulation")
        fine = np.linspace(xs.min(), xs.max(), 200) if x_key == "N" else xs
        example = next(t for t in plan.tasks if ", ".join(f"{k}={t.point[k]}" for k in others) == label)
        theory = [_theory(kind, example.params, x_key, x) for x in fine]
        ax.plot(fine, np.log10(theory), "-", color=line[0].get_color(), lw=1.2,
                label=f"{label} theory" if label else "theory")
    protocol = plan.tasks[0].params.get("protocol", "")
    ax.set_xlabel(x_key)
    ax.set_ylabel(f"log10 {kind.measure} capacity")
    draws = ", nested draws" if plan.tasks[0].params.get("draws") == "nested" else ""
    ax.set_title(f"{plan.scenario.name}: {kind.measure} capacity, {protocol} protocol{draws}", fontsize=10)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    return fig


def _theory(kind, params: dict, x_key: str, x) -> float:
    values = dict(params)
    values[x_key] = int(round(x)) if x_key != "N" else x
    model = kind.Params(**{**values, "N": max(2, int(round(values["N"])))}).build()
    law = model.transition_capacity if kind.measure == "transition" else model.sequence_capacity
    return law(values["N"])
