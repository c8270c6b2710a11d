"""Backend registry: name -> implementation, probed without importing heavy modules.

``numpy`` is the reference and always available; ``numba`` needs the numba package; ``auto`` picks the
fastest available backend and logs its choice once.  Every backend implements
``term_field(states, patterns, targets, separation, overlap) -> (field, bound)`` (see
:mod:`amsim.engine.fields`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from functools import lru_cache

log = logging.getLogger("amsim")

#: name -> (module, class, the package it needs)
_BACKENDS = {
    "numpy": ("amsim.engine.backends.numpy_backend", "NumpyBackend", "numpy"),
    "numba": ("amsim.engine.backends.numba_backend", "NumbaBackend", "numba"),
}
#: preference order of ``auto``
_AUTO_ORDER = ("numba", "numpy")


def available_backends() -> list[str]:
    """Names of the backends whose required package is installed."""
    return [name for name, (_, _, pkg) in _BACKENDS.items() if importlib.util.find_spec(pkg)]


def backend_names() -> list[str]:
    """Every name ``get_backend`` accepts."""
    return [*_BACKENDS, "auto"]


@lru_cache(maxsize=None)
def get_backend(name: str = "auto"):
    """Return the backend object for ``name`` (``numpy``, ``numba`` or ``auto``)."""
    if name == "auto":
        available = available_backends()
        chosen = next(n for n in _AUTO_ORDER if n in available)
        log.info("backend 'auto' picked %r (available: %s)", chosen, ", ".join(available))
        return get_backend(chosen)
    if name not in _BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(backend_names())}")
    module, cls, pkg = _BACKENDS[name]
    if importlib.util.find_spec(pkg) is None:
        raise ValueError(f"backend {name!r} needs the package {pkg!r}, which is not installed")
    return getattr(importlib.import_module(module), cls)()
