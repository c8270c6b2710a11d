"""Initialisation statistics (spec AT-E2, Fig. 3 analogue): logit variance against N, density of A over
heads against the variance-gamma law, residual-stream kernel deviation against H."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from amsim.models.attention_init import kernel_deviation, logit_density
from amsim.plots.attention_common import attr_mean, empty_figure, group, selected_tasks, slope


def plot(results, task=None):
    tasks = selected_tasks(results, task)
    if not tasks:
        return empty_figure()
    ns = sorted({t["params"]["N"] for t in tasks})
    hs = sorted({t["params"]["H"] for t in tasks})
    _, arrays0 = results.read_task(tasks[0]["id"])
    panels = []
    if len(ns) > 1:
        panels.append(_variance_panel)
    panels.append(_density_panel)
    if len(hs) > 2 and "kernels" in arrays0:
        panels.append(_kernel_panel)
    fig, axes = plt.subplots(1, len(panels), figsize=(4.8 * len(panels), 3.9), squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        panel(ax, results, tasks)
    fig.suptitle(f"{results.attrs['scenario_name']}: transformer at initialisation")
    fig.tight_layout()
    return fig


def _variance_panel(ax, results, tasks):
    for (alpha,), group_tasks in group(tasks, ["alpha_A"]).items():
        by_n = group(group_tasks, ["N"])
        ns = np.array([k[0] for k in by_n])
        var = np.array([attr_mean(v, "logit_var") for v in by_n.values()])
        theory = np.array([attr_mean(v, "logit_var_theory") for v in by_n.values()])
        line, = ax.loglog(ns, var, "o", label=f"alpha_A={alpha:g}: slope {slope(ns, var):+.2f}")
        ax.loglog(ns, theory, "-", color=line.get_color(), lw=1,
                  label=f"theory N^{1 - 2 * alpha:+g}")
    ax.set_xlabel("N (head dimension)")
    ax.set_ylabel("Var over heads of A_h(s,s')")
    ax.set_title("logit variance across heads", fontsize=10)
    ax.legend(fontsize=7)


def _density_panel(ax, results, tasks):
    ns = sorted({t["params"]["N"] for t in tasks})
    show = [1, 16] if {1, 16} <= set(ns) else sorted({ns[0], ns[-1]})  # the spec's N = 1 against N = 16
    for n in show:
        chosen = [t for t in tasks if t["params"]["N"] == n]
        chosen = [t for t in chosen if t["params"]["H"] == max(c["params"]["H"] for c in chosen)]
        t0 = chosen[0]
        alpha, h = t0["params"]["alpha_A"], t0["params"]["H"]
        chosen = [t for t in chosen if t["params"]["alpha_A"] == alpha]
        samples, s2 = [], []
        for t in chosen:
            _, arr = results.read_task(t["id"])
            if "logits" not in arr:
                continue
            samples.append(arr["logits"].ravel())
            c_qk = 0.5 if t["params"].get("qk_sqrt2", True) else 1.0
            s2.append(c_qk * arr["u_norm2"].mean() / (n * h))
        if not samples:
            continue
        a = np.concatenate(samples)
        sd = a.std()
        bins = np.linspace(-4 * sd, 4 * sd, 81)
        line = ax.hist(a, bins=bins, density=True, histtype="step", label=f"N={n} (H={h}, alpha_A={alpha:g})")[2][0]
        grid = np.linspace(bins[0], bins[-1], 801)
        grid = grid[grid != 0]
        ax.plot(grid, logit_density(grid, n, alpha, float(np.mean(s2))), color=line.get_edgecolor(), lw=1,
                ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("A_h(s,s')")
    ax.set_ylabel("density over heads")
    ax.set_title("density of A (dashed: variance-gamma law)", fontsize=10)
    ax.legend(fontsize=7)


def _kernel_panel(ax, results, tasks):
    hs = sorted({t["params"]["H"] for t in tasks})
    for key, group_tasks in group(tasks, ["N", "alpha_A"]).items():
        by_h = group(group_tasks, ["H"])
        hmax = max(k[0] for k in by_h)
        ref_tasks = by_h[(hmax,)]
        ref = np.mean([results.read_task(t["id"])[1]["kernels"][-1] for t in ref_tasks], axis=0)
        xs, ys = [], []
        for (h,), ts in by_h.items():
            if h == hmax:
                continue
            devs = [kernel_deviation(results.read_task(t["id"])[1]["kernels"][-1], ref) for t in ts]
            xs.append(h)
            ys.append(np.mean(devs))
        xs, ys = np.array(xs), np.array(ys)
        line, = ax.loglog(xs, ys, "o-", label=f"N={key[0]}, alpha_A={key[1]:g}: slope {slope(xs, ys):+.2f}")
        if len(xs):
            ax.loglog(xs, ys[0] * xs[0] / xs, ":", color=line.get_color(), lw=1)
    ax.set_xlabel("H (heads)")
    ax.set_ylabel("|K_H - K_ref|^2 / |K_ref|^2 (last block)")
    ax.set_title(f"residual-stream kernel vs H = {hs[-1]} (dotted: 1/H)", fontsize=10)
    ax.legend(fontsize=7)
