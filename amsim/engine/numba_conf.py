"""Numba compilation flags in one place, overridable by environment variables.

- ``AMSIM_NUMBA_CACHE`` (default ``1``): cache compiled kernels on disk, so a second CLI run does not
  compile again.
- ``AMSIM_NUMBA_PARALLEL`` (default ``1``): compile with ``parallel=True`` (``prange`` over trials or
  patterns).
- ``fastmath`` is always off: the error bounds of the field core assume IEEE rounding.
"""

from __future__ import annotations

import os


def _flag(name: str, default: bool) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() not in ("0", "false", "no")


JIT_OPTIONS = {
    "cache": _flag("AMSIM_NUMBA_CACHE", True),
    "parallel": _flag("AMSIM_NUMBA_PARALLEL", True),
    "fastmath": False,
    "nogil": True,
}
