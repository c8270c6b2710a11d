"""The ``amsim`` command line (click).

``amsim/cli/__init__.py`` holds the command group and registers one module per command family;
commands import their machinery lazily, so ``amsim --help`` stays fast and never pays for numba
compilation.  Errors: an :class:`amsim.errors.AmsimError` (bad input) prints one line and exits with
status 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import click

from amsim import __version__
from amsim.errors import AmsimError


class AmsimGroup(click.Group):
    """A click group that turns :class:`AmsimError` into a one-line message and an exit status."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except AmsimError as err:
            if ctx.params.get("debug"):
                raise
            click.echo(f"Error: {err}", err=True)
            ctx.exit(err.exit_code)


@click.group(cls=AmsimGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="amsim")
@click.option("--debug", is_flag=True, help="Show full tracebacks for errors.")
def main(debug: bool) -> None:
    """amsim: simulate associative-memory networks and put theory beside simulation."""


def _register() -> None:
    from amsim.cli.attention import gated_dmft
    from amsim.cli.capacity import capacity
    from amsim.cli.pipeline import inspect, list_scenarios, replay, run, scan, show
    from amsim.cli.plot import plot
    from amsim.cli.rf import rf_simulate, rf_theory
    from amsim.cli.simulate import simulate

    for command in (run, scan, list_scenarios, show, inspect, replay, plot, simulate, rf_theory, rf_simulate):
        main.add_command(command)
    main.add_command(capacity)
    main.add_command(gated_dmft)


_register()
