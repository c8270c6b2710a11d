"""The array-namespace backend: the field core written once against the array API standard.

:class:`ArrayApiBackend` runs the numpy backend's algorithm (two-value form of spec §2.3, blocked over
states) with nothing but functions of a namespace ``xp``: ``xp.matmul``, ``xp.exp``, ``xp.max``,
``xp.sum``, ``xp.maximum``, ``xp.abs``, ``xp.astype``, ``xp.matrix_transpose``.  Instantiated with CuPy
it is the GPU backend (:class:`CupyBackend`, ``--backend cupy``); instantiated with
``array_api_strict`` (or numpy) it runs the *same code path* on the CPU, which is how CI, without a
GPU, runs the whole backend conformance suite against it.

Arithmetic and error bound (per state, in units of the working precision's unit roundoff ``u``,
``2^-53`` for float64, ``2^-24`` for float32):

- ``g = S Xi^T`` from ±1 values: exact integers (``|g| <= N < 2^24``), whatever the summation order.
- Candidates: ``raw = g -+ 1`` exact; polynomial ``(raw / norm)^d`` by one correctly rounded division
  and square-and-multiply (``k <= 2 bit_length(d)`` products), relative error ``<= (d + k + 1) u``;
  exponential ``exp(raw - shift)`` with the shift (the state's largest exponent) an exact integer,
  relative error ``<= 8 u`` (4 ulp: numpy, CUDA's ``exp``/``expf``, which are within 1-2 ulp).
- The two products sum ``P`` terms each in any order (BLAS, cuBLAS, with or without FMA), so the
  field errs by at most ``gamma_(2P + rel_err + 8) scale`` with ``scale = sum_mu max|A±|``, plus the
  absolute error of terms below the smallest *normal* number (valid with flush-to-zero too).
- The bound returned is twice that, ``2 (units u scale + units tiny)``, ``units = 2P + 8 + rel_err``
  (the numpy backend's formula with this backend's ``rel_err`` and precision), computed in the
  working precision and returned as float64 (the factor 2 covers its own rounding).

Float32 (``dtype="float32"``) is offered for speed on GPUs; its bound is the float32 one above, so
far more entries are ambiguous and go to the host's exact path.  It is refused where CuPy would use
TF32 tensor cores (``CUPY_TF32=1``), whose 10-bit products would break the bound.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from amsim.engine.separation import Exponential, Polynomial, Separation
from amsim.engine.xp import is_numpy, namespace, to_device, to_host

log = logging.getLogger("amsim")

#: elements of one (states x patterns) block per pattern set (the numpy backend's default)
DEFAULT_BLOCK_ELEMENTS = 1 << 22


def power(x, d: int):
    """``x**d`` by square-and-multiply with array multiplications only; ``d >= 1``."""
    result = None
    base = x
    while True:
        if d & 1:
            result = base if result is None else result * base
        d >>= 1
        if not d:
            return result
        base = base * base


def relative_error_units(separation: Separation) -> int:
    """Units of ``u`` in one candidate value computed by :meth:`ArrayApiBackend.candidates`."""
    if isinstance(separation, Polynomial):
        d = separation.d
        return d + 2 * d.bit_length() + 1
    if isinstance(separation, Exponential):
        return 8
    raise TypeError(f"no array-namespace evaluation for {separation!r}")


class ArrayApiBackend:
    """Backend on any array namespace ``xp`` (see the module docstring).

    Parameters
    ----------
    xp : array namespace (``array_api_strict``, numpy, ``array_api_compat.cupy``)
    name : the backend's name in results and logs
    dtype : ``"float64"`` (default) or ``"float32"``
    device : device of ``xp`` to compute on (None: the namespace's default)
    block_elements : elements of one states x patterns block per pattern set
    """

    def __init__(self, xp, name: str | None = None, dtype: str = "float64", device=None,
                 block_elements: int = DEFAULT_BLOCK_ELEMENTS):
        if dtype not in ("float64", "float32"):
            raise ValueError(f"dtype must be 'float64' or 'float32', got {dtype!r}")
        self.xp = xp
        self.name = name or f"array-api[{getattr(xp, '__name__', xp)}]"
        self.dtype = dtype
        self.device = device
        self.block_elements = int(block_elements)
        finfo = np.finfo(np.float64 if dtype == "float64" else np.float32)
        self.unit_roundoff = float(finfo.eps) / 2
        self.tiny = float(finfo.tiny)  # smallest normal: an underflowed term errs by less

    def _ftype(self):
        return getattr(self.xp, self.dtype)

    def candidates(self, g, n: int, overlap: str, separation: Separation):
        """``(a_plus, a_minus)`` of the two-value form for exact overlaps ``g (S, b, P)``."""
        xp = self.xp
        if isinstance(separation, Exponential):
            shift = xp.max(g, axis=-1, keepdims=True) + (0.0 if overlap == "included" else 1.0)
            if overlap == "included":
                same = xp.exp(g - shift)
                return same, same
            return xp.exp(g - 1.0 - shift), xp.exp(g + 1.0 - shift)
        if isinstance(separation, Polynomial):
            if overlap == "included":
                same = power(g / float(n), separation.d)
                return same, same
            norm = float(n - 1)
            return power((g - 1.0) / norm, separation.d), power((g + 1.0) / norm, separation.d)
        raise TypeError(f"no array-namespace evaluation for {separation!r}")

    def term_field(self, states, patterns, targets, separation: Separation, overlap: str):
        """Float64 numpy field ``(S, B, N)`` and bound ``(S, B, 1)`` of one term (backend contract
        of :mod:`amsim.engine.fields`); inputs are host int8 arrays."""
        xp = self.xp
        ftype = self._ftype()
        n_sets, n_states, n = states.shape
        n_patterns = patterns.shape[1]
        field = np.zeros(states.shape)
        bound = np.zeros((n_sets, n_states, 1))
        if n_patterns == 0 or n_sets * n_states == 0:
            return field, bound
        xi = to_device(patterns, xp, ftype, self.device)  # (S, P, N)
        xi_t = xp.matrix_transpose(xi)  # (S, N, P)
        t = to_device(targets, xp, ftype, self.device)
        y = t * xi if overlap == "excluded" else None  # t_i^mu xi_i^mu
        units = 2 * n_patterns + 8 + relative_error_units(separation)
        block = max(1, self.block_elements // max(1, n_sets * n_patterns))
        for lo in range(0, n_states, block):
            hi = min(n_states, lo + block)
            s = to_device(np.ascontiguousarray(states[:, lo:hi]), xp, ftype, self.device)
            a_plus, a_minus = self.candidates(xp.matmul(s, xi_t), n, overlap, separation)
            if y is None:
                h = xp.matmul(a_plus, t)
            else:
                half_sum = 0.5 * (a_plus + a_minus)
                half_diff = 0.5 * (a_plus - a_minus)
                h = xp.matmul(half_sum, t) + s * xp.matmul(half_diff, y)
            scale = xp.sum(xp.maximum(xp.abs(a_plus), xp.abs(a_minus)), axis=-1, keepdims=True)
            b = 2.0 * (units * self.unit_roundoff * scale + units * self.tiny)
            field[:, lo:hi] = to_host(h)
            bound[:, lo:hi] = to_host(b)
        return field, bound


class CupyBackend(ArrayApiBackend):
    """The GPU backend: :class:`ArrayApiBackend` on CuPy (imported when this is built).

    ``dtype`` defaults to the environment variable ``AMSIM_CUPY_DTYPE`` (``float64`` if unset).
    """

    def __init__(self, dtype: str | None = None, device=None,
                 block_elements: int = DEFAULT_BLOCK_ELEMENTS * 16):
        dtype = dtype or os.environ.get("AMSIM_CUPY_DTYPE", "float64")
        if dtype == "float32" and os.environ.get("CUPY_TF32", "0") not in ("", "0"):
            raise ValueError("float32 fields on CuPy need CUPY_TF32 unset: TF32 products would "
                             "break the float32 error bound")
        super().__init__(namespace("cupy"), "cupy", dtype, device, block_elements)


def standin_backend(dtype: str = "float64") -> ArrayApiBackend:
    """The CPU stand-in of the CuPy path: :class:`ArrayApiBackend` on ``array_api_strict`` where it
    is installed (it refuses anything outside the standard), else on numpy."""
    try:
        xp = namespace("array_api_strict")
        name = "cupy-standin[array_api_strict]"
    except ImportError:
        xp = namespace("numpy")
        name = "cupy-standin[numpy]"
    if is_numpy(xp):
        log.debug("array_api_strict is not installed; the CuPy stand-in runs on numpy")
    return ArrayApiBackend(xp, name, dtype)
