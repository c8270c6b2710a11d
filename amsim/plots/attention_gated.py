"""Gated-attention toy model (spec AT-E1): finite-N loss curves beside the DMFT, the deviation against N
with its fitted rate, and the gate matrices A_g(x_mu) of the largest network against the DMFT."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from amsim.plots.attention_common import empty_figure, group, selected_tasks, slope, varying


def plot(results, task=None):
    tasks = selected_tasks(results, task)
    if not tasks:
        return empty_figure()
    others = [k for k in varying(tasks) if k != "N"]
    settings = list(group(tasks, others).items())
    fig, axes = plt.subplots(len(settings), 4, figsize=(18, 3.9 * len(settings)), squeeze=False)
    shown = ("alpha", "init", "G", "eta", "gamma")
    for row, (key, ts) in zip(axes, settings):
        title = ", ".join(f"{k}={v}" for k, v in zip(others, key) if k not in shown)
        _row(row, results, ts, title)
    fig.suptitle(f"{results.attrs['scenario_name']}: gated attention, finite N against the DMFT")
    fig.tight_layout()
    return fig


def _row(axes, results, tasks, title):
    p0 = tasks[0]["params"]
    head = (f"alpha={p0['alpha']:g}, {p0['init']}, G={p0['G']}, eta={p0['eta']:g}, gamma={p0['gamma']:g}"
            + (f"; {title}" if title else ""))
    by_n = group(tasks, ["N"])
    cmap = plt.get_cmap("plasma")
    ax = axes[0]
    dmft = None
    for i, ((n,), ts) in enumerate(by_n.items()):
        color = cmap(0.85 * i / max(len(by_n) - 1, 1))
        for j, t in enumerate(ts):
            _, arr = results.read_task(t["id"])
            ax.plot(arr["loss"], color=color, lw=0.8, alpha=0.8, label=f"N={n}" if j == 0 else None)
            dmft = arr.get("dmft_loss", dmft)
    if dmft is not None:
        ax.plot(dmft, "k--", lw=1.5, label="DMFT")
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel("loss")
    ax.set_title(head, fontsize=8)
    ax.legend(fontsize=6, ncol=2)

    ax = axes[1]
    ns = np.array([k[0] for k in by_n])
    if dmft is not None:
        for (n,), ts in by_n.items():
            ax.loglog([n] * len(ts), [t["attrs"]["max_deviation"] for t in ts], "o", color="0.6", ms=3)
        mean = np.array([np.mean([t["attrs"]["max_deviation"] for t in ts]) for ts in by_n.values()])
        ax.loglog(ns, mean, "o-", color="C0", label=f"mean over seeds: slope {slope(ns, mean):+.2f}")
        ax.loglog(ns, mean[0] * np.sqrt(ns[0] / ns), "k:", label="N^-1/2")
        ax.set_ylabel("max_t |loss_N - loss_DMFT|")
        ax.set_title("deviation from the DMFT", fontsize=9)
        ax.set_xlabel("N")
        ax.legend(fontsize=7)
    else:
        ax.text(0.5, 0.5, f"no DMFT for alpha = {p0['alpha']:g}\n(the DMFT is the alpha = 1 limit)",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()

    ax = axes[2]
    for key, name in (("gate_spread_init", "start"), ("gate_spread_final", "end")):
        vals = np.array([np.mean([t["attrs"][key] for t in ts]) for ts in by_n.values()])
        ax.loglog(ns, vals, "o-", label=f"{name}: slope {slope(ns, vals):+.2f}")
    ax.loglog(ns, np.mean([t["attrs"]["gate_spread_init"] for t in by_n[(ns[0],)]]) * np.sqrt(ns[0] / ns),
              "k:", lw=1, label="N^-1/2")
    ax.set_xlabel("N")
    ax.set_ylabel("std of A_g(x_mu) over gates")
    ax.set_title("gate diversity (0: identical gates)", fontsize=9)
    ax.legend(fontsize=7)

    ax = axes[3]
    (nmax,), ts = list(by_n.items())[-1]
    _, arr = results.read_task(ts[0]["id"])
    a_net = arr["A_net"]
    if "A_dmft" in arr:
        a_dmft = arr["A_dmft"]
        for idx, (name, marker) in ((0, ("start", "o")), (-1, ("end", "s"))):
            ax.plot(a_dmft[idx].ravel(), a_net[idx].ravel(), marker, mfc="none", label=f"{name} (t={arr['A_times'][idx]})")
        lo = min(a_dmft.min(), a_net.min())
        hi = max(a_dmft.max(), a_net.max())
        ax.plot([lo, hi], [lo, hi], "k-", lw=0.6)
        ax.set_xlabel("DMFT A_g(x_mu)")
        ax.set_ylabel(f"network A_g(x_mu), N={nmax}")
        ax.set_title("gate matrix, network against DMFT", fontsize=9)
    else:
        for g in range(a_net.shape[1]):
            ax.plot(np.arange(a_net.shape[2]), a_net[-1, g], "o-", lw=0.8, ms=3)
        ax.set_xlabel("data point mu")
        ax.set_ylabel(f"A_g(x_mu) at the end, N={nmax}")
        ax.set_title("final gates (one line per gate)", fontsize=9)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
