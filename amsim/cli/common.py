"""Options and helpers shared by several commands."""

from __future__ import annotations

import click

from amsim.errors import AmsimError

BACKEND_CHOICE = click.Choice(["numpy", "numba", "cupy", "auto"])

#: (flag, parameter, click type, help) of the model options; defaults come from the schema
MODEL_FLAGS = (
    ("--model", "model", click.Choice(["hopfield", "seqnet", "densenet", "mixednet", "two-layer"]), "model family [densenet]"),
    ("--f", "f", click.Choice(["poly", "exp"]), "separation function (densenet, two-layer) [poly]"),
    ("--d", "d", int, "polynomial degree [2]"),
    ("--form", "form", click.Choice(["sequence", "auto"]), "densenet: sequence (xi^mu -> xi^mu+1) or auto [sequence]"),
    ("--rule", "rule", click.Choice(["hebbian", "gpi"]), "learning rule: Hebbian or generalized pseudoinverse [hebbian]"),
    ("--gpi", "gpi", click.Choice(["self-excluded", "consistent"]), "GPI overlap normalisation [self-excluded]"),
    ("--bias", "bias", float, "pattern bias eps, Pr[+1] = (1+eps)/2 [0]"),
    ("--f-sym", "f_sym", click.Choice(["poly", "exp"]), "MixedNet f_S [poly]"),
    ("--d-sym", "d_sym", int, "MixedNet d_S [1]"),
    ("--f-asym", "f_asym", click.Choice(["poly", "exp"]), "MixedNet f_A [poly]"),
    ("--d-asym", "d_asym", int, "MixedNet d_A [1]"),
    ("--lam", "lam", float, "MixedNet lambda [2.5]; two-layer: MixedNet weights"),
    ("--tau", "tau", int, "MixedNet delay-kernel time constant [1]"),
    ("--kernel", "kernel", click.Choice(["boxcar", "exponential", "delay"]), "MixedNet delay kernel [boxcar]"),
)


def model_options(func):
    """Add the model options (each defaults to the scenario schema's default)."""
    for flag, name, kind, text in reversed(MODEL_FLAGS):
        func = click.option(flag, name, type=kind, default=None, help=text)(func)
    return func


def model_params(flags: dict) -> dict:
    """The model flags that were given (None = the schema's default)."""
    return {name: flags[name] for _, name, _, _ in MODEL_FLAGS if flags.get(name) is not None}


def build_model(flags: dict):
    """The model and pattern bias chosen by :func:`model_options`; bad input is an :class:`AmsimError`
    naming the flag."""
    from pydantic import ValidationError

    from amsim.experiments.trajectory import ModelParams

    try:
        params = ModelParams(**model_params(flags))
    except ValidationError as err:
        first = err.errors()[0]
        where = "model"
        if first["loc"]:
            name = str(first["loc"][0])
            about = ModelParams.model_fields[name].description
            where = "--" + name.replace("_", "-") + (f" ({about})" if about else "")
        raise AmsimError(f"{where}: {first['msg'].removeprefix('Value error, ')}") from None
    return params.build(), params.bias


def describe(net) -> str:
    """A short human name of a model, e.g. ``densenet poly(d=2) sequence``."""
    extra = {k: v for k, v in net.params().items() if k != "model"}
    return f"{net.name} " + " ".join(f"{k}={v}" for k, v in extra.items())
