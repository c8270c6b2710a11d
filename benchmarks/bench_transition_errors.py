"""Benchmark: ``transition_errors`` (all P teacher-forced transitions) on the numpy and numba backends.

Run:  python benchmarks/bench_transition_errors.py [--repeats 3]

Both backends are timed in one process on the same patterns: polynomial DenseNet d = 2 and the
exponential DenseNet, N in {100, 256}, P in {1024, 4096}.  Numba is warmed up first (compilation or
cache load is not timed), every case runs once untimed, then the best of ``--repeats`` wall-clock
timings is reported.  The two backends' results are checked to be identical.

The BLAS environment matters for the numpy backend: the script prints the threadpoolctl report (if
threadpoolctl is installed) and the values of OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, and changes
neither (to compare against an unpinned OpenBLAS, unset both in the shell for that one command).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from amsim import make_model, transition_errors
from amsim.engine.patterns import rademacher
from bench_kernels import environment_report  # this folder is the script's sys.path[0]

MODELS = {
    "poly d=2": {"f": "poly", "d": 2},
    "exp": {"f": "exp", "d": None},
}
SIZES = [(100, 1024), (100, 4096), (256, 1024), (256, 4096)]


def best_time(func, repeats: int) -> tuple[float, np.ndarray]:
    best, out = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    for line in environment_report():
        print(line)

    # warm-up: numba compilation (or cache load) and the first BLAS call are not timed
    rng = np.random.default_rng(args.seed)
    small = rademacher(rng, (16, 32))
    for kwargs in MODELS.values():
        model = make_model("densenet", form="sequence", **kwargs)
        for backend in ("numpy", "numba"):
            transition_errors(model, small, backend)
    try:
        import numba

        print(f"numba threading layer: {numba.threading_layer()}")
    except (ImportError, ValueError):
        pass

    print()
    header = f"{'model':<9} {'N':>4} {'P':>5} {'numpy [s]':>10} {'numba [s]':>10} {'numpy/numba':>12}"
    print(header)
    print("-" * len(header))
    for name, kwargs in MODELS.items():
        model = make_model("densenet", form="sequence", **kwargs)
        for n, p in SIZES:
            patterns = rademacher(np.random.default_rng([args.seed, n, p]), (p, n))
            times = {}
            results = {}
            for backend in ("numpy", "numba"):
                transition_errors(model, patterns, backend)  # untimed first run at this size
                times[backend], results[backend] = best_time(
                    lambda b=backend: transition_errors(model, patterns, b), args.repeats
                )
            if not np.array_equal(results["numpy"], results["numba"]):
                raise SystemExit(f"backends disagree for {name} N={n} P={p}")
            ratio = times["numpy"] / times["numba"]
            print(f"{name:<9} {n:>4} {p:>5} {times['numpy']:>10.4f} {times['numba']:>10.4f} {ratio:>12.2f}")
    print(f"\nbest of {args.repeats} repeats; both backends gave identical error counts in every case")


if __name__ == "__main__":
    main()
