"""amsim: a simulation engine for associative-memory networks.

Public API
----------
- models: :func:`make_model`, :class:`Hopfield`, :class:`SeqNet`, :class:`DenseNet`
- engine: :func:`field_signs` (the exact field core), :func:`run` (time loop),
  :func:`transition_errors`, :func:`sequence_recall`, :func:`get_backend`
"""

__version__ = "0.1.0"

from amsim.engine.backends import available_backends, get_backend  # noqa: E402
from amsim.engine.dynamics import Trajectory, run  # noqa: E402
from amsim.engine.fields import field_signs  # noqa: E402
from amsim.engine.measures import sequence_recall, transition_errors  # noqa: E402
from amsim.models import DenseNet, Hopfield, SeqNet, make_model  # noqa: E402

__all__ = [
    "DenseNet",
    "Hopfield",
    "SeqNet",
    "Trajectory",
    "available_backends",
    "field_signs",
    "get_backend",
    "make_model",
    "run",
    "sequence_recall",
    "transition_errors",
]
