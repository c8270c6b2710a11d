"""Plots of result files (matplotlib, the ``plot`` extra), one module per experiment kind.

Each module in :data:`PLOTTERS` defines ``plot(results, task=None) -> matplotlib.figure.Figure`` for
an :class:`amsim.engine.store.Results` of its kind.  :func:`plot_results` dispatches on the file's
``kind`` attribute; it uses the non-interactive Agg backend, so it works without a display.
"""

from __future__ import annotations

import importlib

from amsim.errors import AmsimError

#: experiment kind -> module with ``plot(results, task=None)``
PLOTTERS = {
    "trajectory": "amsim.plots.trajectory",
    "transition_capacity": "amsim.plots.capacity",
    "sequence_capacity": "amsim.plots.capacity",
    "crosstalk": "amsim.plots.crosstalk",
    "softmax_trajectory": "amsim.plots.softmax",
    "attention_init": "amsim.plots.attention_init",
    "attention_train": "amsim.plots.attention_train",
    "gated_dmft": "amsim.plots.attention_gated",
    "rf_ensemble": "amsim.plots.rf_ensemble",
}


def plot_results(results, task: str | None = None):
    """The figure of a result file (``task`` selects one task where the kind plots one at a time)."""
    try:
        import matplotlib
    except ImportError:
        raise AmsimError("plotting needs matplotlib: pip install 'amsim[plot]'") from None
    matplotlib.use("Agg")
    kind = results.attrs.get("kind")
    if kind not in PLOTTERS:
        raise AmsimError(f"{results.path}: no plot for experiment kind {kind!r}")
    return importlib.import_module(PLOTTERS[kind]).plot(results, task)
