"""Plots of rf_ensemble runs: simulation (mean and spread over repetitions) beside the theory.

The layout follows the scenario's ``[scan]`` grid:

- ``ell`` scanned (scaling law, spec RF-E5): per column (other scanned keys, e.g. ``r``) the
  ridge-tuned risk ``E*(M)`` for every ``ell`` (log-log) and the fitted exponent ``s(ell)`` beside
  the theory fit and the spec's exponent lines with the crossover ``ell*``;
- otherwise the x axis is the scanned size with the most values (preferring ``K``, then ``P``,
  ``N``, ``M``, ``noise_var``), lines are the values of ``K`` when ``K`` is not the x axis, and one
  column per combination of the remaining scanned keys.  Rows: the ridge-tuned risk ``E*`` (with the
  theory's bias ``E_inf`` and variance ``(E_1 - E_inf)/K`` at its optimal ridge when x is ``K``), the
  risk at a fixed ridge (the smallest of the grid), and the risk against the ridge for each x value.

Simulation reductions are the spec's (§1): ``E*`` = min over the ridge grid of the trial-mean curve,
error bar = standard deviation across repetitions at that ridge; theory (a) its own minimum over the
ridge (continuous, at fractional sizes along the x axis), (b) its value at the empirical argmin
(crosses).
"""

from __future__ import annotations

import textwrap
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

from amsim.errors import AmsimError
from amsim.experiments.rf_ensemble import sizes, spectrum_of
from amsim.models import rf_theory as theory

#: preference order of the x axis
X_ORDER = ("K", "P", "N", "M", "noise_var", "alpha", "r", "modes")
#: at most this many columns (the remaining groups are left out, and the title says so)
MAX_COLUMNS = 4
#: points of the smooth theory curves
FINE = 24


def plot(results, task=None):
    """The figure of an rf_ensemble result file (``task``: one task's risk against the ridge)."""
    if task is not None:
        return _plot_task(results, results.find(task))
    plan, points = _collect(results)
    if not points:
        raise AmsimError(f"{results.path}: no finished tasks to plot")
    grid = {k: v for k, v in plan.grid.items() if len(v) > 1}
    if "ell" in grid:
        return _plot_scaling(plan, points, grid)
    return _plot_sweep(plan, points, grid)


# --------------------------------------------------------------------------------------------------
# data collection
# --------------------------------------------------------------------------------------------------


def _collect(results):
    """Plan and ``{grid point key: {"params": dict, "reps": [(attrs, arrays), ...]}}``."""
    from amsim.scenarios.loader import parse_scenario

    plan = parse_scenario(results.scenario, str(results.path))
    points: dict = {}
    for t in plan.tasks:
        entry = results.tasks.get(t.task_id)
        if entry is None or entry["attrs"].get("status") != "done":
            continue
        key = tuple(sorted((k, _hashable(v)) for k, v in t.params.items()))
        attrs, arrays = results.read_task(t.task_id)
        points.setdefault(key, {"params": t.params, "reps": []})["reps"].append((attrs, arrays))
    return plan, points


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


def _stats(point):
    """Trial mean and std of the risk curve, and the spec's E* reduction."""
    curves = np.array([a["risk"] for _, a in point["reps"]])
    mean, std = curves.mean(axis=0), curves.std(axis=0, ddof=1) if len(curves) > 1 else np.zeros(curves.shape[1])
    best = int(np.argmin(mean))
    arrays = point["reps"][0][1]
    return {
        "ridges": arrays["ridges"], "mean": mean, "std": std, "best": best,
        "E_star": mean[best], "E_star_std": std[best],
        "theory_at_best": arrays["theory_E_K"][best], "theory": arrays["theory_E_K"],
        "n": len(curves),
    }


def _groups(points, keys):
    """Points grouped by the values of ``keys``."""
    out = defaultdict(list)
    for point in points.values():
        out[tuple(_hashable(point["params"].get(k)) for k in keys)].append(point)
    return out


def _label(keys, values) -> str:
    return ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in zip(keys, values))


def _fixed(params, scanned=()) -> str:
    """The parameters of a figure that no scan varies, for the title."""
    if params.get("eigvals") is not None:
        items = [("spectrum", f"array of {len(params['eigvals'])} modes")]
    else:
        items = [("alpha", params.get("alpha", 1.2)), ("r", params.get("r", 0.4)), ("modes", params.get("modes", 2000))]
    items += [("P", params["P"]), ("noise_var", params.get("noise_var", 0.0))]
    if params.get("M") is not None:
        items.append(("M", params["M"]))
    if params.get("n_test") == 0:
        items.append(("risk", "population"))
    else:
        items.append(("n_test", params.get("n_test", 10000)))
    shown = {"modes": "D"}
    keep = [(shown.get(k, k), v) for k, v in items if k not in scanned]
    return ", ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in keep)


# --------------------------------------------------------------------------------------------------
# theory along an axis (fractional sizes)
# --------------------------------------------------------------------------------------------------


def _theory_point(params: dict, x: str, value: float):
    """``(spec, P, N, K)`` of the theory with parameter ``x`` set to ``value`` (fractional sizes:
    at fixed ``M`` the other of K, N follows as ``M / value``)."""
    p = dict(params)
    K, N, Kt, Nt = sizes(p)
    P = float(p["P"])
    if x == "K":
        K, N = value, (p["M"] / value if p.get("M") is not None else Nt)
    elif x == "N":
        K, N = (p["M"] / value if p.get("M") is not None else Kt), value
    elif x == "P":
        K, N, P = Kt, Nt, value
    elif x == "M":
        if p.get("K") is not None:
            K, N = Kt, value / Kt
        else:
            K, N = value / Nt, Nt
    else:
        return None
    return spectrum_of(p), P, N, K


def _fine_axis(values):
    lo, hi = min(values), max(values)
    if lo <= 0 or hi / lo < 2:
        return np.array(sorted(values), dtype=float)
    return np.unique(np.concatenate([np.geomspace(lo, hi, FINE), np.asarray(values, dtype=float)]))


# --------------------------------------------------------------------------------------------------
# sweeps: risk against K (or P, N, M), tuned and fixed ridge, and against the ridge
# --------------------------------------------------------------------------------------------------


def _plot_sweep(plan, points, grid):
    scanned = [k for k in grid if k not in ("eigvals", "wbar")]
    xs = sorted(scanned, key=lambda k: (-len(grid[k]), X_ORDER.index(k) if k in X_ORDER else 99))
    if not xs:
        return _plot_single(plan, points)
    x = xs[0]
    series = "K" if x != "K" and "K" in scanned else None
    cols_keys = [k for k in scanned if k not in (x, series)]
    groups = _groups(points, cols_keys)
    col_items = sorted(groups.items(), key=lambda kv: [(v is None, v) for v in kv[0]])
    left_out = max(len(col_items) - MAX_COLUMNS, 0)
    col_items = col_items[:MAX_COLUMNS]
    ncol = len(col_items)
    rows = 3
    fig, axes = plt.subplots(rows, ncol, figsize=(4.8 * ncol, 3.6 * rows), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for c, (gkey, members) in enumerate(col_items):
        ax_t, ax_f, ax_r = axes[0, c], axes[1, c], axes[2, c]
        by_series = _groups({i: m for i, m in enumerate(members)}, [series] if series else [])
        lam_fix = None
        for s_idx, (skey, pts) in enumerate(sorted(by_series.items(), key=lambda kv: kv[0])):
            color = colors[s_idx % len(colors)]
            pts = sorted(pts, key=lambda p: p["params"][x])
            xv = np.array([p["params"][x] for p in pts], dtype=float)
            st = [_stats(p) for p in pts]
            lab = _label([series], skey) if series else "simulation"
            # row 1: ridge-tuned risk
            ax_t.errorbar(xv, [s["E_star"] for s in st], yerr=[s["E_star_std"] for s in st], fmt="o",
                          color=color, ms=4, capsize=2, label=f"sim {lab}" if series else "simulation E*")
            ax_t.plot(xv, [s["theory_at_best"] for s in st], "x", color=color, ms=5)
            fine = _fine_axis(xv) if x in ("K", "N", "P", "M") else xv
            opt = [_optimum(p, x, v) for v, p in _fine_pairs(fine, xv, pts, x)]
            ax_t.plot(fine, [o.risk for o in opt], "-", color=color, lw=1.3,
                      label=f"theory {lab}" if series else "theory min over ridge")
            if x == "K" and not series:
                ax_t.plot(fine, [o.E_inf for o in opt], "--", color="0.45", lw=1, label="theory E_inf at ridge*")
                ax_t.plot(fine, [(o.E_1 - o.E_inf) / v for o, v in zip(opt, fine)], ":", color="0.45", lw=1,
                          label="theory (E_1-E_inf)/K at ridge*")
            # row 2: fixed (smallest) ridge
            lam_fix = st[0]["ridges"][0]
            ax_f.errorbar(xv, [s["mean"][0] for s in st], yerr=[s["std"][0] for s in st], fmt="o",
                          color=color, ms=4, capsize=2, label=f"sim {lab}" if series else "simulation")
            fixed = [_risk_at(p, x, v, lam_fix) for v, p in _fine_pairs(fine, xv, pts, x)]
            ax_f.plot(fine, fixed, "-", color=color, lw=1.3, label=f"theory {lab}" if series else "theory")
            # row 3: risk against the ridge, for each x value (only without series)
            if not series:
                for i, (p, s) in enumerate(zip(pts, st)):
                    col = colors[i % len(colors)]
                    ax_r.errorbar(s["ridges"], s["mean"], yerr=s["std"], fmt="o", ms=2.5, color=col,
                                  capsize=1.5, alpha=0.85)
                    ax_r.plot(s["ridges"], s["theory"], "-", color=col, lw=1.1, label=_label([x], [p["params"][x]]))
        if series:  # ridge curves of the largest x value for every series
            for s_idx, (skey, pts) in enumerate(sorted(by_series.items(), key=lambda kv: kv[0])):
                p = max(pts, key=lambda q: q["params"][x])
                s = _stats(p)
                col = colors[s_idx % len(colors)]
                ax_r.errorbar(s["ridges"], s["mean"], yerr=s["std"], fmt="o", ms=2.5, color=col, capsize=1.5)
                ax_r.plot(s["ridges"], s["theory"], "-", color=col, lw=1.1,
                          label=f"{_label([series], skey)}, {x}={p['params'][x]:g}")
        head = _label(cols_keys, gkey) if cols_keys else ""
        params0 = members[0]["params"]
        budget = f", M={params0['M']}" if params0.get("M") is not None and x in ("K", "N") else ""
        ax_t.set_title(f"{head}\nridge-tuned risk E*" + budget, fontsize=9)
        ax_f.set_title(f"fixed ridge {lam_fix:.3g}", fontsize=9)
        ax_r.set_title("risk against the ridge (sum-of-squares convention)", fontsize=9)
        positive = all(float(p["params"][x]) > 0 for p in members)
        for ax in (ax_t, ax_f):
            if positive:
                ax.set_xscale("log", base=2 if x == "K" else 10)
            ax.set_yscale("log")
            ax.set_xlabel(x)
            ax.set_ylabel("test risk")
        ax_r.set_xscale("log")
        ax_r.set_yscale("log")
        ax_r.set_xlabel("ridge lambda")
        ax_r.set_ylabel("test risk")
        for ax in (ax_t, ax_f, ax_r):
            ax.legend(fontsize=6.5, loc="best")
            ax.grid(alpha=0.3, which="both", lw=0.4)
    more = f" ({left_out} more groups not shown)" if left_out else ""
    title = (f"{plan.scenario.name}: {_fixed(col_items[0][1][0]['params'], scanned)}; points: simulation mean ± std "
             f"over repetitions, x: theory at the empirical argmin, lines: theory{more}")
    fig.suptitle(textwrap.fill(title, width=int(60 + 55 * (ncol - 1))), fontsize=9)
    fig.tight_layout()
    return fig


def _fine_pairs(fine, xv, pts, x):
    """Pair each fine x value with the nearest simulated point's parameters (for the fixed keys)."""
    for v in fine:
        exact = np.flatnonzero(xv == v)
        if exact.size:
            i = int(exact[0])
        elif np.all(xv > 0) and v > 0:
            i = int(np.argmin(np.abs(np.log(xv) - np.log(v))))
        else:
            i = int(np.argmin(np.abs(xv - v)))
        yield v, pts[i]["params"]


def _theory_args(params, x, value):
    """``(spec, P, N, K)`` at ``x = value``, or at the point itself when ``x`` is not a size."""
    tp = _theory_point(params, x, value)
    if tp is not None:
        return tp
    K, N = sizes(params)[:2]
    return spectrum_of(params), params["P"], N, K


def _optimum(params, x, value):
    spec, P, N, K = _theory_args(params, x, value)
    return theory.optimal_ridge(spec, P, N, K)


def _risk_at(params, x, value, lam):
    if lam <= 0:
        return np.nan
    spec, P, N, K = _theory_args(params, x, value)
    return float(theory.ensemble_risk(spec, P, N, K, [lam])[0])


def _plot_single(plan, points):
    """No scanned axis: risk against the ridge of the single grid point."""
    point = next(iter(points.values()))
    fig, ax = plt.subplots(figsize=(5.5, 4))
    _ridge_panel(ax, point)
    fig.suptitle(textwrap.fill(f"{plan.scenario.name}: {_fixed(point['params'])}", 70), fontsize=9)
    fig.tight_layout()
    return fig


def _ridge_panel(ax, point):
    s = _stats(point)
    arrays = point["reps"][0][1]
    ax.errorbar(s["ridges"], s["mean"], yerr=s["std"], fmt="o", ms=3, capsize=2,
                label=f"simulation (mean ± std, {s['n']} reps)")
    ax.plot(s["ridges"], arrays["theory_E_K"], "-", label="theory E_K")
    ax.plot(s["ridges"], arrays["theory_E_inf"], "--", lw=1, label="theory E_inf")
    ax.plot(s["ridges"], arrays["theory_E_1"], ":", lw=1, label="theory E_1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("ridge lambda")
    ax.set_ylabel("test risk")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3, which="both", lw=0.4)


def _plot_task(results, task_id):
    attrs, arrays = results.read_task(task_id)
    params = results.params(task_id)
    fig, ax = plt.subplots(figsize=(5.5, 4))
    _ridge_panel(ax, {"params": params, "reps": [(attrs, arrays)]})
    ax.set_title(f"task {task_id}: K={attrs['K']}, N={attrs['N']}, P={params['P']}", fontsize=9)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# scaling law
# --------------------------------------------------------------------------------------------------


def _plot_scaling(plan, points, grid):
    cols_keys = [k for k in grid if k not in ("ell", "M")]
    groups = sorted(_groups(points, cols_keys).items(), key=lambda kv: kv[0])
    left_out = max(len(groups) - MAX_COLUMNS, 0)
    groups = groups[:MAX_COLUMNS]
    fig, axes = plt.subplots(2, len(groups), figsize=(5.0 * len(groups), 8), squeeze=False)
    cmap = plt.get_cmap("viridis")
    for c, (gkey, members) in enumerate(groups):
        ax_e, ax_s = axes[0, c], axes[1, c]
        table = scaling_table(members)
        ells = sorted(table)
        for i, ell in enumerate(ells):
            row = table[ell]
            color = cmap(i / max(len(ells) - 1, 1))
            ax_e.errorbar(row["M"], row["E_star"], yerr=row["E_std"], fmt="o", ms=3.5, color=color, capsize=2,
                          label=f"ell={ell:.2f}")
            ax_e.plot(row["M"], row["theory_int"], "-", color=color, lw=1)
            ax_e.plot(row["M"], row["theory_frac"], "--", color=color, lw=0.8)
        ell_arr = np.array(ells)
        ax_s.errorbar(ell_arr - 0.008, [table[e]["s_sim"] for e in ells],
                      yerr=[table[e]["s_trials_std"] for e in ells], fmt="o", ms=4, capsize=2,
                      label="simulation (fit of trial-mean E*; bar: std of per-trial fits)")
        ax_s.plot(ell_arr, [table[e]["s_theory_int"] for e in ells], "s", mfc="none", ms=5,
                  label="theory fit, integer K, N")
        ax_s.plot(ell_arr + 0.008, [table[e]["s_theory_frac"] for e in ells], "^", mfc="none", ms=5,
                  label="theory fit, K=M^(1-ell), N=M^ell")
        p0 = members[0]["params"]
        if p0.get("eigvals") is None:
            alpha = float(p0.get("alpha", 1.2))
            r = float(p0.get("r", 0.4))
            line = np.linspace(0, 1, 101)
            ex = theory.scaling_exponents(alpha, r, line)
            ax_s.plot(line, ex["bias"], "--", color="0.5", lw=1, label="bias line 2 alpha ell min(r,1)")
            ax_s.plot(line, ex["variance"], ":", color="0.5", lw=1, label="variance line")
            ax_s.plot(line, ex["s"], "-", color="k", lw=1.2, label="s(ell) = min (spec §5)")
            if ex["ell_star"] < 1:
                ax_s.axvline(ex["ell_star"], color="r", lw=0.8, ls="-.", label=f"ell* = {ex['ell_star']:.3f}")
        head = _label(cols_keys, gkey) if cols_keys else ""
        ax_e.set_title(f"{head}\nE*(M): points sim, solid theory (integer K,N), dashed fractional", fontsize=8.5)
        ax_e.set_xscale("log")
        ax_e.set_yscale("log")
        ax_e.set_xlabel("total features M")
        ax_e.set_ylabel("ridge-tuned risk E*")
        ax_e.legend(fontsize=7)
        ax_s.set_title("scaling exponent s(ell): E* ~ M^-s", fontsize=9)
        ax_s.set_xlabel("ell  (N ~ M^ell, K ~ M^(1-ell))")
        ax_s.set_ylabel("s")
        ax_s.legend(fontsize=6.5)
        for ax in (ax_e, ax_s):
            ax.grid(alpha=0.3, which="both", lw=0.4)
    p0 = groups[0][1][0]["params"]
    more = f" ({left_out} more groups not shown)" if left_out else ""
    fig.suptitle(f"{plan.scenario.name}: {_fixed(p0, list(grid))}{more}", fontsize=10)
    fig.tight_layout()
    return fig


def scaling_table(members) -> dict:
    """Per ``ell``: M values, E* (trial-mean reduction) with std, theory at integer and fractional
    sizes, and the fitted exponents (simulation, per-trial fits, theory)."""
    by_ell = defaultdict(list)
    for p in members:
        by_ell[float(p["params"]["ell"])].append(p)
    out = {}
    for ell, pts in by_ell.items():
        pts = sorted(pts, key=lambda p: p["params"]["M"])
        M = np.array([p["params"]["M"] for p in pts], dtype=float)
        st = [_stats(p) for p in pts]
        attrs0 = [p["reps"][0][0] for p in pts]
        t_int = np.array([a["theory_risk_opt"] for a in attrs0])
        t_frac = np.array([a.get("theory_risk_opt_frac", a["theory_risk_opt"]) for a in attrs0])
        E = np.array([s["E_star"] for s in st])
        # per-trial fits: repetition r of every M (min over the ridge of that trial's curve)
        reps = min(len(p["reps"]) for p in pts)
        per_trial = []
        for r in range(reps):
            Er = [np.min(sorted(p["reps"], key=lambda ra: ra[0]["repetition"])[r][1]["risk"]) for p in pts]
            per_trial.append(theory.fit_exponent(M, Er))
        out[ell] = {
            "M": M, "E_star": E, "E_std": np.array([s["E_star_std"] for s in st]),
            "theory_int": t_int, "theory_frac": t_frac,
            "s_sim": theory.fit_exponent(M, E),
            "s_trials_mean": float(np.mean(per_trial)),
            "s_trials_std": float(np.std(per_trial, ddof=1)) if reps > 1 else 0.0,
            "s_theory_int": theory.fit_exponent(M, t_int),
            "s_theory_frac": theory.fit_exponent(M, t_frac),
        }
    return out


__all__ = ["plot", "scaling_table"]
