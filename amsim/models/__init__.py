"""Model registry: ``make_model(name, **params)`` builds any binary model from plain parameters."""

from __future__ import annotations

from amsim.models.base import BinaryModel
from amsim.models.densenet import DenseNet, Hopfield, SeqNet
from amsim.models.mixednet import MixedNet
from amsim.models.two_layer import TwoLayer

#: name -> constructor taking plain parameters (the inverse of ``Model.params()``)
MODELS = {
    "hopfield": Hopfield,
    "seqnet": SeqNet,
    "densenet": DenseNet.build,
    "mixednet": MixedNet.build,
    "two-layer": TwoLayer.build,
}


#: name -> the flat parameters each model reads (see :func:`model_from_flat`)
MODEL_KEYS = {
    "hopfield": ("rule", "gpi", "rtol"),
    "seqnet": ("rule", "gpi", "rtol"),
    "densenet": ("f", "d", "form", "rule", "gpi", "rtol", "overlap"),
    "mixednet": ("f_sym", "d_sym", "f_asym", "d_asym", "lam", "tau", "kernel", "overlap"),
    "two-layer": ("f", "d", "lam", "silenced"),
}


def model_from_flat(params: dict) -> BinaryModel:
    """Build the model named ``params["model"]`` from a flat parameter table (a scenario's
    ``[params]``, the CLI's flags), using only the keys that model reads; None means "default".
    ``d`` is dropped for an exponential separation."""
    name = params["model"]
    if name not in MODEL_KEYS:
        raise ValueError(f"unknown model {name!r}; expected one of {', '.join(MODELS)}")
    chosen = {k: params[k] for k in MODEL_KEYS[name] if params.get(k) is not None}
    if chosen.get("f") == "exp":
        chosen["d"] = None
    for role in ("sym", "asym"):
        if chosen.get(f"f_{role}") == "exp":
            chosen.pop(f"d_{role}", None)
    return make_model(name, **chosen)


def make_model(model: str, **params) -> BinaryModel:
    """Build a model from its registry name and parameters (the inverse of ``Model.params()``).

    Raises ``ValueError`` naming the known models for an unknown name.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    if "silenced" in params:
        params["silenced"] = tuple(params["silenced"])
    return MODELS[model](**params)


__all__ = ["MODELS", "MODEL_KEYS", "model_from_flat", "BinaryModel", "DenseNet", "Hopfield", "MixedNet", "SeqNet", "TwoLayer", "make_model"]
