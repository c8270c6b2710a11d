"""Fig. 2C: crosstalk variance and excess kurtosis against P, one curve per N; sampled points
(mean over repetitions) beside the theory lines."""

from __future__ import annotations

from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np


def plot(results, task=None):
    rows = defaultdict(list)
    for task_id, entry in results.tasks.items():
        attrs = entry["attrs"]
        if attrs.get("status") == "done":
            params = results.params(task_id)
            rows[params["N"], params["P"]].append(attrs)
    fig, (ax_v, ax_k) = plt.subplots(1, 2, figsize=(10, 4))
    for n in sorted({n for n, _ in rows}):
        ps = np.array(sorted(p for m, p in rows if m == n))
        mean = {k: np.array([np.mean([a[k] for a in rows[n, p]]) for p in ps])
                for k in ("variance", "theory_variance", "kurtosis", "theory_kurtosis")}
        line = ax_v.loglog(ps, mean["variance"], "o", ms=4, label=f"N={n}")[0]
        ax_v.loglog(ps, mean["theory_variance"], "-", color=line.get_color(), lw=1)
        ax_k.semilogx(ps, mean["kurtosis"], "o", ms=4, color=line.get_color(), label=f"N={n}")
        ax_k.semilogx(ps, mean["theory_kurtosis"], "-", color=line.get_color(), lw=1)
    if all(a["kurtosis"] > 0 and a["theory_kurtosis"] > 0 for group in rows.values() for a in group):
        ax_k.set_yscale("log")
    ax_v.set(xlabel="P", ylabel="var C", title="crosstalk variance (lines: theory)")
    ax_k.set(xlabel="P", ylabel="excess kurtosis of C", title="excess kurtosis (lines: theory)")
    ax_v.legend(fontsize=7, ncol=2)
    fig.suptitle(results.attrs["scenario_name"])
    fig.tight_layout()
    return fig
