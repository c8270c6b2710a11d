"""Model registry: ``make_model(name, **params)`` builds any model from plain parameters."""

from __future__ import annotations

from amsim.models.base import BinaryModel
from amsim.models.densenet import DenseNet
from amsim.models.hopfield import Hopfield, SeqNet

MODELS: dict[str, type[BinaryModel]] = {m.name: m for m in (Hopfield, SeqNet, DenseNet)}


def make_model(model: str, **params) -> BinaryModel:
    """Build a model from its registry name and parameters (the inverse of ``Model.params()``).

    Raises ``ValueError`` naming the known models for an unknown name.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODELS)}")
    return MODELS[model](**params)


__all__ = ["MODELS", "BinaryModel", "DenseNet", "Hopfield", "SeqNet", "make_model"]
