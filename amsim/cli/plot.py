"""``amsim plot``: the figure of a result file, written to a PNG (or any matplotlib format)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Image file [default: RESULTS.png].")
@click.option("--task", default=None, help="Plot one task (index, id or id prefix) where the kind allows.")
def plot(results, output, task):
    """Plot a result file: simulation beside theory where the experiment kind has theory."""
    from amsim.engine.store import open_results
    from amsim.plots import plot_results

    res = open_results(results)
    fig = plot_results(res, task)
    out = Path(output or Path(results).with_suffix(".png"))
    fig.savefig(out, dpi=130)
    click.echo(f"figure: {out}")
