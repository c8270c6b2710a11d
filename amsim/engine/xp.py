"""Array-namespace helpers: code written once against the array API standard runs on numpy, CuPy
or ``array_api_strict``.

The engine's host arrays are numpy.  A backend that computes elsewhere (CuPy on a GPU) moves its
inputs with :func:`to_device` and its results back with :func:`to_host`; everything in between uses
only functions of the namespace ``xp`` (``xp.matmul``, ``xp.exp``, ``xp.max``, ...), so the same code
runs under ``array_api_strict`` in CI, which has no GPU.

Namespaces come from ``array_api_compat`` where it is installed (it fills the few gaps of numpy and
CuPy with respect to the standard); without it, numpy arrays get numpy itself (numpy >= 2 follows
the standard for everything used here) and other arrays their ``__array_namespace__()``.
"""

from __future__ import annotations

import importlib
import importlib.util

import numpy as np


def _compat():
    if importlib.util.find_spec("array_api_compat") is None:
        return None
    return importlib.import_module("array_api_compat")


def get_xp(*arrays):
    """The array namespace shared by ``arrays`` (``TypeError`` if they belong to different ones)."""
    compat = _compat()
    if compat is not None:
        return compat.array_namespace(*arrays)
    spaces = {id(ns): ns for ns in (_own_namespace(a) for a in arrays)}
    if len(spaces) != 1:
        raise TypeError(f"arrays from {len(spaces)} different namespaces")
    return next(iter(spaces.values()))


def _own_namespace(array):
    if isinstance(array, np.ndarray):
        return np
    if hasattr(array, "__array_namespace__"):
        return array.__array_namespace__()
    raise TypeError(f"{type(array).__name__} is not an array of a known namespace")


def namespace(name: str):
    """The namespace called ``name``: ``numpy``, ``cupy`` or ``array_api_strict`` (imported now).

    numpy and CuPy are wrapped by ``array_api_compat`` where it is installed.
    """
    module = importlib.import_module(name)
    compat = _compat()
    if name in ("numpy", "cupy") and compat is not None:
        return importlib.import_module(f"array_api_compat.{name}")
    if name == "cupy" and compat is None:
        raise ImportError("the CuPy backend needs the package 'array-api-compat'")
    return module


def is_numpy(xp) -> bool:
    """True for numpy itself and for ``array_api_compat``'s numpy wrapper."""
    return xp is np or getattr(xp, "__name__", "") == "array_api_compat.numpy"


def to_device(x: np.ndarray, xp, dtype=None, device=None):
    """Host array ``x`` as an array of namespace ``xp`` (on ``device``), optionally cast to ``dtype``
    (a dtype of ``xp``)."""
    out = xp.asarray(x) if device is None else xp.asarray(x, device=device)
    return out if dtype is None else xp.astype(out, dtype)


def to_host(x) -> np.ndarray:
    """A numpy copy (or view) of an array of any namespace: CuPy arrays are copied to the host."""
    if isinstance(x, np.ndarray):
        return x
    get = getattr(x, "get", None)  # CuPy
    if callable(get) and type(x).__module__.startswith("cupy"):
        return get()
    try:
        return np.from_dlpack(x)
    except (TypeError, RuntimeError, BufferError, AttributeError):
        return np.asarray(x)


def device_of(x):
    """The device of an array (``"cpu"`` for numpy arrays)."""
    return "cpu" if isinstance(x, np.ndarray) else getattr(x, "device", "cpu")
