"""Options and helpers shared by several commands."""

from __future__ import annotations

import click

from amsim.errors import AmsimError

BACKEND_CHOICE = click.Choice(["numpy", "numba", "auto"])


def model_options(func):
    """The options that choose a binary model: ``--model``, ``--f``, ``--d``, ``--form``."""
    func = click.option(
        "--form", type=click.Choice(["sequence", "auto"]), default=None,
        help="densenet only: sequence (xi^mu -> xi^mu+1, default) or auto-associative.",
    )(func)
    func = click.option("--d", "d", type=int, default=2, show_default=True, help="Polynomial degree.")(func)
    func = click.option(
        "--f", "f", type=click.Choice(["poly", "exp"]), default="poly", show_default=True,
        help="densenet separation function.",
    )(func)
    func = click.option(
        "--model", type=click.Choice(["hopfield", "seqnet", "densenet"]), default="densenet",
        show_default=True,
    )(func)
    return func


def build_model(model: str, f: str, d: int, form: str | None):
    """The model chosen by :func:`model_options`; bad parameters raise :class:`AmsimError`."""
    from amsim.models import make_model

    try:
        if model != "densenet":
            return make_model(model)
        return make_model("densenet", f=f, d=d if f == "poly" else None, form=form or "sequence")
    except ValueError as err:
        raise AmsimError(str(err)) from None


def describe(net) -> str:
    """A short human name of a model, e.g. ``densenet poly(d=2) sequence``."""
    return f"{net.name} {net.separation.label} {net.form}"
