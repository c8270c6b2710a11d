"""Softmax attention runs: retrieval error against time, one curve per task (log scale)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot(results, task=None):
    ids = [results.find(task)] if task is not None else results.done()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for task_id in ids:
        _, arrays = results.read_task(task_id)
        p = results.params(task_id)
        ax.semilogy(arrays["times"], np.maximum(arrays["retrieval_error"], 1e-17), "-",
                    label=f"beta={p['beta']}, N={p['N']}, P={p['P']}")
    ax.set(xlabel="step t", ylabel="|x - xi^expected|^2 / N",
           title=f"{results.attrs['scenario_name']}: softmax attention retrieval")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
