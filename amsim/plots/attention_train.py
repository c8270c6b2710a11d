"""Training experiments (spec AT-E3 to AT-E6): loss curves, head variance of the logits against N,
key/query movement against L, learning-rate transfer and the across-seed spread of predictions.

Panels appear according to what the file scans: loss curves always; ``N`` scanned: logit variance
across heads before and after training against N (one colour per alpha_A); ``L`` scanned: relative
W_Q/W_K movement against L (one colour per alpha_L) and final loss against compute; ``eta0`` scanned:
final loss against eta0 (one curve per N, H or L); two or more repetitions: variance over
initialisation seeds of the (class-centred) test predictions, relative to their mean square, against N*H.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from amsim.plots.attention_common import attr_mean, empty_figure, group, label, selected_tasks, slope, varying

MAX_CURVES = 20


def plot(results, task=None):
    tasks = selected_tasks(results, task)
    if not tasks:
        return empty_figure()
    scanned = varying(tasks)
    reps = max(int(t["attrs"]["repetition"]) for t in tasks) + 1
    panels = [_loss_panel]
    has_logits = any(np.isfinite(float(t["attrs"].get("logit_var_final", np.nan))) for t in tasks)
    if "N" in scanned and has_logits:
        panels.append(_head_variance_panel)
    if "L" in scanned:
        panels += [_movement_panel, _compute_panel]
    if "eta0" in scanned:
        panels.append(_transfer_panel)
    if reps > 1 and len({t["params"]["N"] * t["params"]["H"] for t in tasks}) > 1:
        panels.append(_spread_panel)
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.8 * cols, 3.8 * rows), squeeze=False)
    for ax, panel in zip(axes.flat, panels):
        panel(ax, results, tasks, scanned)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"{results.attrs['scenario_name']}: transformer training ({len(tasks)} tasks)")
    fig.tight_layout()
    return fig


def _running_mean(x, window):
    x = np.asarray(x, float)
    if window <= 1 or len(x) < window:
        return np.arange(len(x)), x
    c = np.cumsum(np.r_[0.0, x])
    return np.arange(window - 1, len(x)), (c[window:] - c[:-window]) / window


def _loss_panel(ax, results, tasks, scanned):
    keys = [k for k in scanned] or ["N"]
    groups = group(tasks, keys)
    cmap = plt.get_cmap("viridis")
    items = list(groups.items())[:MAX_CURVES]
    for i, (_, ts) in enumerate(items):
        curves = [results.read_task(t["id"])[1]["loss"] for t in ts]
        mean = np.nanmean(np.stack(curves), axis=0)
        steps, smooth = _running_mean(mean, max(len(mean) // 10, 1))
        ax.plot(steps, smooth, color=cmap(i / max(len(items) - 1, 1)), lw=1.2,
                label=label(ts[0]["params"], keys))
    start = np.nanmean([results.read_task(t["id"])[1]["loss"][0] for t in tasks[:4]])
    low, high = ax.get_ylim()
    ax.set_ylim(low, min(high, 1.15 * start))  # diverging runs leave the frame instead of squashing it
    ax.set_xlabel("step")
    ax.set_ylabel("train loss (running mean)")
    ax.set_title("loss curves (mean over seeds)", fontsize=10)
    ax.legend(fontsize=6, ncol=2)


def _head_variance_panel(ax, results, tasks, scanned):
    others = [k for k in scanned if k not in ("N",)]
    for key, ts in group(tasks, [k for k in others if k == "alpha_A"] or []).items():
        by_n = group(ts, ["N"])
        ns = np.array([k[0] for k in by_n])
        init = np.array([attr_mean(v, "logit_var_init") for v in by_n.values()])
        final = np.array([attr_mean(v, "logit_var_final") for v in by_n.values()])
        name = f"alpha_A={key[0]:g}" if key else ""
        line, = ax.loglog(ns, final, "o-", label=f"{name} trained: slope {slope(ns, final):+.2f}")
        ax.loglog(ns, init, "s:", color=line.get_color(), mfc="none",
                  label=f"{name} init: slope {slope(ns, init):+.2f}")
    ax.set_xlabel("N (head dimension)")
    ax.set_ylabel("Var over heads of A_h(s,s')")
    ax.set_title("head diversity of the logits", fontsize=10)
    ax.legend(fontsize=7)


def _movement_panel(ax, results, tasks, scanned):
    keys = [k for k in ("alpha_L",) if k in scanned]
    for key, ts in group(tasks, keys).items():
        by_l = group(ts, ["L"])
        ls = np.array([k[0] for k in by_l])
        mov = np.array([attr_mean(v, "kq_movement") for v in by_l.values()])
        name = f"alpha_L={key[0]:g}" if key else ""
        line, = ax.loglog(ls, mov, "o-", label=f"{name}: slope {slope(ls, mov):+.2f}")
        ax.loglog(ls, mov[0] * (ls / ls[0]) ** -0.5, ":", color=line.get_color(), lw=1)
    ax.set_xlabel("L (blocks)")
    ax.set_ylabel("|W(t)-W(0)|_F / |W(0)|_F  (W_Q, W_K)")
    ax.set_title("key/query movement (dotted: L^-1/2)", fontsize=10)
    ax.legend(fontsize=7)


def _compute_panel(ax, results, tasks, scanned):
    keys = [k for k in ("alpha_L",) if k in scanned]
    for key, ts in group(tasks, keys).items():
        by_l = group(ts, ["L"])
        for (depth,), v in by_l.items():
            curves = np.stack([results.read_task(t["id"])[1]["loss"] for t in v])
            mean = np.nanmean(curves, axis=0)
            per_step = float(v[0]["attrs"]["compute"]) / len(mean)
            steps, smooth = _running_mean(mean, max(len(mean) // 10, 1))
            ax.plot((steps + 1) * per_step, smooth, lw=1,
                    ls="-" if not key or key[0] == 1.0 else "--",
                    label=f"{label(v[0]['params'], keys + ['L'])}")
    ax.set_xscale("log")
    ax.set_xlabel("compute (6 x params x tokens)")
    ax.set_ylabel("train loss")
    ax.set_title("loss against compute", fontsize=10)
    ax.legend(fontsize=6, ncol=2)


def _transfer_panel(ax, results, tasks, scanned):
    keys = [k for k in scanned if k not in ("eta0",)]
    for key, ts in group(tasks, keys).items():
        by_eta = group(ts, ["eta0"])
        etas = np.array([k[0] for k in by_eta])
        final = np.array([attr_mean(v, "final_loss") for v in by_eta.values()])
        ax.plot(etas, final, "o-", label=label(ts[0]["params"], keys) or "all")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("eta0 (base learning rate)")
    ax.set_ylabel("final train loss")
    ax.set_title("learning-rate transfer", fontsize=10)
    ax.legend(fontsize=7)


def _spread_panel(ax, results, tasks, scanned):
    keys = [k for k in scanned if k not in ("N", "H")]
    for key, ts in group(tasks, keys).items():
        xs, ys = [], []
        for (n, h), v in group(ts, ["N", "H"]).items():
            preds = [results.read_task(t["id"])[1].get("predictions") for t in v]
            preds = [p for p in preds if p is not None and p.size and np.all(np.isfinite(p))]
            if len(preds) < 2:
                continue
            stack = np.stack(preds).astype(np.float64)
            stack -= stack.mean(axis=-1, keepdims=True)  # softmax ignores a per-example shift
            xs.append(n * h)
            ys.append(float(stack.var(axis=0, ddof=1).mean() / (stack**2).mean()))
        if xs:
            order = np.argsort(xs)
            xs, ys = np.array(xs)[order], np.array(ys)[order]
            ax.loglog(xs, ys, "o-", label=f"{label(ts[0]['params'], keys)} slope {slope(xs, ys):+.2f}")
    ax.set_xlabel("N*H")
    ax.set_ylabel("Var_seeds(f~) / E|f~|^2 (class-centred)")
    ax.set_title("relative across-seed spread of predictions", fontsize=10)
    ax.legend(fontsize=7)
