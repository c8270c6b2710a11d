"""Backend registry: name -> implementation, probed without importing heavy modules.

- ``numpy``: the reference (oracle), always available.
- ``numba``: compiled CPU kernels (bit-packed overlaps, exact integer fields); needs numba.
- ``cupy``: the array-namespace backend on a CUDA GPU; needs cupy and array-api-compat, and a device.
- ``auto``: the first usable of cupy -> numba -> numpy; it logs what it picked and why, once.

Availability (:func:`available_backends`) only asks ``importlib.util.find_spec``, so listing imports
nothing; whether a CUDA device answers is checked at first use of ``cupy`` (or of ``auto``), guarded
so that a broken CUDA installation means "not usable", not a crash.  Every backend implements
``term_field(states, patterns, targets, separation, overlap) -> (field, bound)`` (see
:mod:`amsim.engine.fields`).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from functools import lru_cache

log = logging.getLogger("amsim")

#: name -> (module, class, the packages it needs)
_BACKENDS = {
    "numpy": ("amsim.engine.backends.numpy_backend", "NumpyBackend", ("numpy",)),
    "numba": ("amsim.engine.backends.numba_backend", "NumbaBackend", ("numba",)),
    "cupy": ("amsim.engine.backends.array_api_backend", "CupyBackend", ("cupy", "array_api_compat")),
}
#: preference order of ``auto``
AUTO_ORDER = ("cupy", "numba", "numpy")


def _installed(pkg: str) -> bool:
    try:
        return importlib.util.find_spec(pkg) is not None
    except (ImportError, ValueError):
        return False


def _missing(name: str) -> list[str]:
    return [pkg for pkg in _BACKENDS[name][2] if not _installed(pkg)]


def available_backends() -> list[str]:
    """Names of the backends whose required packages are installed (nothing is imported)."""
    return [name for name in _BACKENDS if not _missing(name)]


def backend_names() -> list[str]:
    """Every name ``get_backend`` accepts (the CLI's ``--backend`` choices)."""
    return [*_BACKENDS, "auto"]


@lru_cache(maxsize=None)
def cuda_device_count() -> tuple[int, str]:
    """``(count, reason)``: CUDA devices CuPy can use, with why there are none (guarded, cached)."""
    try:
        import cupy

        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception as err:  # noqa: BLE001 - any CUDA/driver failure means "no usable device"
        return 0, f"CuPy cannot reach a CUDA device ({type(err).__name__}: {err})"
    return count, "" if count else "CuPy found no CUDA device"


def usable(name: str) -> tuple[bool, str]:
    """Whether backend ``name`` can run here, and why not."""
    missing = _missing(name)
    if missing:
        return False, f"needs {', '.join(repr(p) for p in missing)}, not installed"
    if name == "cupy":
        count, reason = cuda_device_count()
        if not count:
            return False, reason
    return True, ""


@lru_cache(maxsize=None)
def auto_choice() -> tuple[str, str]:
    """``(name, explanation)`` of the backend ``auto`` stands for; logged once (cached)."""
    reasons = []
    for name in AUTO_ORDER:
        ok, why = usable(name)
        if ok:
            text = f"backend 'auto' picked {name!r}"
            if reasons:
                text += " (" + "; ".join(reasons) + ")"
            log.info(text)
            return name, text
        reasons.append(f"{name}: {why}")
    raise RuntimeError("no backend is usable: " + "; ".join(reasons))  # numpy always is


@lru_cache(maxsize=None)
def get_backend(name: str = "auto"):
    """Return the backend object for ``name`` (``numpy``, ``numba``, ``cupy`` or ``auto``)."""
    if name == "auto":
        return get_backend(auto_choice()[0])
    if name not in _BACKENDS:
        raise ValueError(f"unknown backend {name!r}; expected one of {', '.join(backend_names())}")
    ok, why = usable(name)
    if not ok:
        raise ValueError(f"backend {name!r} is not usable here: {why}")
    module, cls, _ = _BACKENDS[name]
    return getattr(importlib.import_module(module), cls)()


def refresh_backends() -> None:
    """Forget cached backends, the ``auto`` choice and the CUDA probe (after installing a package)."""
    get_backend.cache_clear()
    auto_choice.cache_clear()
    cuda_device_count.cache_clear()
