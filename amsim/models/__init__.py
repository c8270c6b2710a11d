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


def make_model(model: str, **params) -> BinaryModel:
    """Build a model from its registry name and parameters (the inverse of ``Model.params()``).

    Raises ``ValueError`` naming the known models for an unknown name.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    if "silenced" in params:
        params["silenced"] = tuple(params["silenced"])
    return MODELS[model](**params)


__all__ = ["MODELS", "BinaryModel", "DenseNet", "Hopfield", "MixedNet", "SeqNet", "TwoLayer", "make_model"]
