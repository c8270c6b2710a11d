"""Deterministic-equivalent theory of random-feature ridge ensembles (spec rf-ensembles §3-§5).

Ruben, Tong, Chaudhry & Pehlevan, "No Free Lunch From Random Feature Ensembles" (arXiv 2412.05418),
as implemented in the authors' ``EnsRFTheory.py``.  Conventions (spec §2.4 and §3):

- ``lam`` is the ridge of the *sum-of-squares* loss with features scaled by ``1/sqrt(N)``:
  ``min_a sum_mu (a.psi(x_mu)/sqrt(N) - y_mu)^2 + lam |a|^2``; the mean-loss ridge is ``lam / P``.
- Inputs: kernel eigenvalues ``eigvals`` (lambda_k), target eigen-weights ``wbar`` (mode power
  ``lambda_k wbar_k^2``) and the label-noise variance ``noise_var`` (sigma^2 = sigma_eps^2).
- ``P`` samples, ``N`` features per member, ``K`` members; ``N`` and ``K`` may be fractional.

Equations (spec §3.2-§3.4)::

    Df1(k) = sum l/(l+k)     Df2(k) = sum l^2/(l+k)^2     tf1(k) = sum w^2 l/(l+k)
    tf1'(k) = -sum w^2 l/(l+k)^2
    kappa2 (P - Df1(kappa2)) (N - Df1(kappa2)) = lam N,   on the branch Df1(kappa2) < min(N, P)
    gamma2 = Df2/P,  E_inf = [-kappa2^2 tf1' + s^2] / (1 - gamma2)
    rho = (N - Df1)/(N - Df2),  gamma1 = [Df1 - rho (Df1 - Df2)]/P
    E_1 = [-rho kappa2^2 tf1' + (1 - rho) kappa2 tf1 + s^2] / (1 - gamma1)
    E_K = E_inf + (E_1 - E_inf)/K

Scaling exponents (spec §5): bias ``2 alpha ell min(r,1)``, variance ``1 - ell + 2 alpha ell
min(r,1/2)``, ``s(ell)`` the smaller of the two, crossover ``ell*``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy.optimize import elementwise

from amsim.errors import AmsimError

#: the smallest positive value used inside logarithms of the bracket function
_TINY = 1e-300


# --------------------------------------------------------------------------------------------------
# spectra
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spectrum:
    """A task in the kernel eigenbasis: eigenvalues, target eigen-weights and label-noise variance."""

    eigvals: np.ndarray
    wbar: np.ndarray
    noise_var: float = 0.0

    def __post_init__(self):
        lam = np.ascontiguousarray(self.eigvals, dtype=np.float64).ravel()
        w = np.ascontiguousarray(self.wbar, dtype=np.float64).ravel()
        if lam.size == 0:
            raise AmsimError("the spectrum needs at least one eigenvalue")
        if w.shape != lam.shape:
            raise AmsimError(f"eigvals and wbar differ in length ({lam.size} != {w.size})")
        if not (np.all(np.isfinite(lam)) and np.all(np.isfinite(w))):
            raise AmsimError("eigvals and wbar must be finite")
        if np.any(lam < 0) or not np.any(lam > 0):
            raise AmsimError("eigvals must be >= 0 with at least one > 0")
        nv = float(self.noise_var)
        if not (np.isfinite(nv) and nv >= 0):
            raise AmsimError(f"noise variance must be finite and >= 0, got {self.noise_var}")
        keep = lam > 0  # zero modes carry no power and never enter Df1, Df2, tf1
        object.__setattr__(self, "eigvals", lam[keep])
        object.__setattr__(self, "wbar", w[keep])
        object.__setattr__(self, "noise_var", nv)

    @property
    def modes(self) -> int:
        """Number of nonzero eigenvalues (D of the spec)."""
        return int(self.eigvals.size)

    @property
    def signal(self) -> float:
        """Signal variance ``sum_k lambda_k wbar_k^2`` (= 1 for the normalised power law)."""
        return float(np.sum(self.eigvals * self.wbar**2))

    def with_noise(self, noise_var: float) -> "Spectrum":
        return Spectrum(self.eigvals, self.wbar, noise_var)


def power_law_spectrum(alpha: float, r: float, modes: int, noise_var: float = 0.0) -> Spectrum:
    """The synthetic Gaussian task of spec §2.1.

    ``lambda_k = k^-alpha / sum_i i^-alpha`` (trace 1), ``wbar_k ∝ k^(-(1 - alpha + 2 alpha r)/2)``
    normalised so that ``sum_k lambda_k wbar_k^2 = 1``; mode power ``∝ k^-(1 + 2 alpha r)``.
    """
    if not (np.isfinite(alpha) and alpha > 0):
        raise AmsimError(f"alpha must be > 0, got {alpha}")
    if not np.isfinite(r):
        raise AmsimError(f"r must be finite, got {r}")
    if int(modes) != modes or modes < 1:
        raise AmsimError(f"the number of modes must be an integer >= 1, got {modes}")
    k = np.arange(1, int(modes) + 1, dtype=np.float64)
    lam = k**-alpha
    lam /= lam.sum()
    w = k ** (-(1.0 - alpha + 2.0 * alpha * r) / 2.0)
    w /= np.sqrt(np.sum(lam * w**2))
    return Spectrum(lam, w, noise_var)


# --------------------------------------------------------------------------------------------------
# spectral functions (§3.2)
# --------------------------------------------------------------------------------------------------


def spectral_functions(spec: Spectrum, kappa) -> dict[str, np.ndarray]:
    """``Df1, Df2, tf1, tf1p`` (tf1' = d tf1/d kappa) at every ``kappa`` (any shape, > 0)."""
    kappa = np.asarray(kappa, dtype=np.float64)
    flat = kappa.reshape(-1, 1)
    lam = spec.eigvals[None, :]
    frac = lam / (lam + flat)  # l/(l+k)
    w2 = spec.wbar[None, :] ** 2
    out = {
        "Df1": frac.sum(axis=1),
        "Df2": (frac**2).sum(axis=1),
        "tf1": (w2 * frac).sum(axis=1),
        "tf1p": -(w2 * frac / (lam + flat)).sum(axis=1),
    }
    return {k: v.reshape(kappa.shape) for k, v in out.items()}


def _df1(spec: Spectrum, kappa: np.ndarray) -> np.ndarray:
    kappa = np.asarray(kappa, dtype=np.float64)
    lam = spec.eigvals[None, :]
    return (lam / (lam + kappa.reshape(-1, 1))).sum(axis=1).reshape(kappa.shape)


# --------------------------------------------------------------------------------------------------
# the self-consistent equation (§3.3)
# --------------------------------------------------------------------------------------------------


def _check_size(name: str, value: float) -> float:
    value = float(value)
    if not (np.isfinite(value) and value > 0):
        raise AmsimError(f"{name} must be a finite number > 0, got {value}")
    return value


def _check_ridges(lam) -> np.ndarray:
    lam = np.asarray(lam, dtype=np.float64)
    if lam.size == 0:
        raise AmsimError("no ridge values given")
    if not np.all(np.isfinite(lam)) or np.any(lam <= 0):
        bad = lam[~(np.isfinite(lam) & (lam > 0))].ravel()[0]
        raise AmsimError(
            f"the theory needs a ridge lam > 0 (it diverges or is undefined at lam = 0; use a tiny "
            f"positive value for the ridgeless limit), got {bad}"
        )
    return lam


def kappa0(spec: Spectrum, bound: float) -> float:
    """The edge of the admissible branch: ``Df1(kappa0) = bound`` (0 when ``bound >= D``).

    Returned nudged upward so that ``Df1(kappa0) < bound`` holds in floating point (spec §3.3).
    """
    d = spec.modes
    if bound >= d:
        return 0.0
    total = float(spec.eigvals.sum())
    # Df1 > bound at lo: every term l/(l+k) >= 1/(1+delta) with k = delta * min(l)
    delta = (d - bound) / (2.0 * d)
    lo = np.log(spec.eigvals.min() * delta)
    hi = np.log(total / bound)  # Df1 < sum l / k = bound there

    def f(t):
        return float(_df1(spec, np.exp(t))) - bound

    if not (f(lo) > 0 > f(hi)):
        raise AmsimError(f"no branch edge: could not bracket Df1(kappa) = {bound} (degenerate spectrum?)")
    t = optimize.brentq(f, lo, hi, xtol=1e-15, rtol=4 * np.finfo(float).eps, maxiter=1000)
    k0 = float(np.exp(t))
    for _ in range(200):
        if _df1(spec, k0) < bound:
            return k0
        k0 *= 1.0 + 1e-13
    raise AmsimError(f"could not place kappa0 on the branch Df1 < {bound}")


def solve_kappa2(spec: Spectrum, P: float, N: float, lam) -> np.ndarray:
    """The renormalised ridge ``kappa2`` for every ridge in ``lam`` (sum-of-squares convention).

    Solves ``kappa (P - Df1) (N - Df1) = lam N`` on the admissible branch ``Df1 < min(N, P)``
    (the unique root there) with scipy's bracketing root finder (Chandrupatla, elementwise over the
    ridges) in ``t = log kappa``, with the brackets of spec §3.3: ``kappa_lo = max(kappa0, lam/P)``,
    ``kappa_hi = lam/P + (P + N)/(P N) sum_k lambda_k``.  Raises :class:`AmsimError` for inputs
    without a solution (``P, N <= 0``, ``lam <= 0``, non-finite values) or if a bracket fails.
    """
    P = _check_size("P", P)
    N = _check_size("N", N)
    lam = _check_ridges(lam)
    shape = lam.shape
    lam = lam.ravel()
    bound = min(N, P)
    k0 = kappa0(spec, bound)
    lo = np.maximum(k0, lam / P)
    hi = lam / P + (P + N) / (P * N) * float(spec.eigvals.sum())
    log_rhs = np.log(lam * N)

    def h(t, log_rhs):
        df1 = _df1(spec, np.exp(t))
        return t + np.log(np.maximum(P - df1, _TINY)) + np.log(np.maximum(N - df1, _TINY)) - log_rhs

    t_lo, t_hi = np.log(lo), np.log(hi)
    h_lo, h_hi = h(t_lo, log_rhs), h(t_hi, log_rhs)
    # the spec's upper bracket holds in exact arithmetic; when rounding swallows its second term
    # (huge lam) widen it: h increases on the branch, so doubling kappa_hi keeps a valid bracket
    for _ in range(64):
        short = ~(h_hi > 0)
        if not short.any():
            break
        t_hi[short] += np.log(2.0)
        h_hi[short] = h(t_hi[short], log_rhs[short])
    if not np.all(h_hi > 0):
        raise AmsimError(
            f"the self-consistent equation has no root below the upper bracket (P={P}, N={N}, "
            f"lam={lam[~(h_hi > 0)][0]}); the spectrum or sizes are degenerate"
        )
    out = np.empty_like(lam)
    # h(t_lo) > 0 only when the root sits within rounding of kappa0 (tiny lam): take the edge
    edge = h_lo >= 0
    out[edge] = lo[edge]
    todo = ~edge
    if np.any(todo):
        res = elementwise.find_root(h, (t_lo[todo], t_hi[todo]), args=(log_rhs[todo],),
                                    tolerances=dict(xatol=1e-15, xrtol=4 * np.finfo(float).eps))
        roots = np.asarray(res.x, dtype=np.float64)
        ok = np.asarray(res.success)
        for i in np.flatnonzero(~ok):  # fall back to Brent's method on the failures
            tl, th, rhs = t_lo[todo][i], t_hi[todo][i], log_rhs[todo][i]
            try:
                roots[i] = optimize.brentq(lambda t: float(h(np.array(t), rhs)), tl, th,
                                           xtol=1e-15, maxiter=1000)
            except (ValueError, RuntimeError) as err:
                raise AmsimError(
                    f"the self-consistent equation for kappa2 has no solution on its branch "
                    f"(P={P}, N={N}, lam={lam[todo][i]}): {err}"
                ) from None
        out[todo] = np.exp(roots)
    return out.reshape(shape)


# --------------------------------------------------------------------------------------------------
# risks (§3.4)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Risk:
    """Deterministic-equivalent quantities at each ridge (arrays of the ridges' shape)."""

    lam: np.ndarray
    kappa2: np.ndarray
    kappa1: np.ndarray
    gamma1: np.ndarray
    gamma2: np.ndarray
    rho: np.ndarray
    E_inf: np.ndarray
    E_1: np.ndarray
    E_K: np.ndarray
    K: float

    @property
    def variance(self) -> np.ndarray:
        """Ensemble variance ``(E_1 - E_inf)/K``."""
        return (self.E_1 - self.E_inf) / self.K


def risk(spec: Spectrum, P: float, N: float, K: float, lam) -> Risk:
    """``E_inf``, ``E_1`` and ``E_K = E_inf + (E_1 - E_inf)/K`` at every ridge ``lam > 0``."""
    K = _check_size("K", K)
    kappa = solve_kappa2(spec, P, N, lam)
    lam = np.asarray(lam, dtype=np.float64)
    fn = spectral_functions(spec, kappa)
    df1, df2, tf1, tf1p = fn["Df1"], fn["Df2"], fn["tf1"], fn["tf1p"]
    s2 = spec.noise_var
    gamma2 = df2 / P
    e_inf = (-(kappa**2) * tf1p + s2) / (1.0 - gamma2)
    rho = (N - df1) / (N - df2)
    gamma1 = (df1 - rho * (df1 - df2)) / P
    e_1 = (-rho * kappa**2 * tf1p + (1.0 - rho) * kappa * tf1 + s2) / (1.0 - gamma1)
    e_k = e_inf + (e_1 - e_inf) / K
    kappa1 = (lam / P) / (1.0 - df1 / P)
    return Risk(lam, kappa, kappa1, gamma1, gamma2, rho, e_inf, e_1, e_k, float(K))


def ensemble_risk(spec: Spectrum, P: float, N: float, K: float, lam) -> np.ndarray:
    """Shorthand for ``risk(...).E_K``."""
    return risk(spec, P, N, K, lam).E_K


@dataclass(frozen=True)
class Optimum:
    """The ridge-optimised risk ``E*_K = min_lam E_K`` and its minimiser."""

    ridge: float
    risk: float
    E_inf: float
    E_1: float
    at_boundary: bool  # True when the minimum sits at an end of the searched ridge range


def ridge_range(spec: Spectrum, P: float) -> tuple[float, float]:
    """The ridges searched by :func:`optimal_ridge`: mean-loss ridge ``lam/P`` from ``1e-10`` to
    ``1e3`` times the trace ``sum_k lambda_k``."""
    tr = float(spec.eigvals.sum())
    return 1e-10 * tr * P, 1e3 * tr * P


def optimal_ridge(spec: Spectrum, P: float, N: float, K: float, bounds=None,
                  points_per_decade: int = 8) -> Optimum:
    """Minimise ``E_K`` over the ridge: a log grid (``points_per_decade``) over ``bounds`` (default
    :func:`ridge_range`), then bounded Brent refinement in ``log lam`` around the best grid point.

    When the best grid point is an end of the range, that end is returned with ``at_boundary``
    (e.g. ridgeless-optimal noiseless tasks, where the infimum is the ``lam -> 0`` limit).
    """
    lo, hi = bounds if bounds is not None else ridge_range(spec, P)
    _check_ridges([lo, hi])
    if hi <= lo:
        raise AmsimError(f"empty ridge range [{lo}, {hi}]")
    num = max(int(np.ceil(np.log10(hi / lo) * points_per_decade)) + 1, 3)
    grid = np.logspace(np.log10(lo), np.log10(hi), num)
    curve = ensemble_risk(spec, P, N, K, grid)
    i = int(np.nanargmin(curve))
    if i in (0, num - 1):
        best = grid[i]
        boundary = True
    else:
        res = optimize.minimize_scalar(
            lambda t: float(ensemble_risk(spec, P, N, K, [np.exp(t)])[0]),
            bounds=(np.log(grid[i - 1]), np.log(grid[i + 1])), method="bounded",
            options={"xatol": 1e-7},
        )
        best = float(np.exp(res.x)) if res.fun <= curve[i] else float(grid[i])
        boundary = False
    r = risk(spec, P, N, K, [best])
    return Optimum(float(best), float(r.E_K[0]), float(r.E_inf[0]), float(r.E_1[0]), boundary)


# --------------------------------------------------------------------------------------------------
# limits used as references (§3.5)
# --------------------------------------------------------------------------------------------------


def krr_kappa(spec: Spectrum, P: float, lam) -> np.ndarray:
    """Kernel-ridge renormalised ridge (N -> inf): ``kappa (1 - Df1(kappa)/P) = lam/P``."""
    P = _check_size("P", P)
    lam = _check_ridges(lam)

    def one(l):
        k0 = kappa0(spec, P)
        lo = max(k0, l / P)
        hi = l / P + float(spec.eigvals.sum()) / P * 2 + l / P

        def g(t):
            k = np.exp(t)
            return t + np.log(max(1.0 - float(_df1(spec, k)) / P, _TINY)) - np.log(l / P)

        if g(np.log(lo)) >= 0:
            return lo
        return float(np.exp(optimize.brentq(g, np.log(lo), np.log(hi), xtol=1e-15, maxiter=1000)))

    return np.vectorize(one, otypes=[float])(lam)


def krr_risk(spec: Spectrum, P: float, lam) -> np.ndarray:
    """The kernel-ridge learning curve ``[-kappa^2 tf1'(kappa) + s^2] / (1 - Df2(kappa)/P)``."""
    kappa = krr_kappa(spec, P, lam)
    fn = spectral_functions(spec, kappa)
    return (-(kappa**2) * fn["tf1p"] + spec.noise_var) / (1.0 - fn["Df2"] / P)


# --------------------------------------------------------------------------------------------------
# scaling exponents (§5)
# --------------------------------------------------------------------------------------------------


def scaling_exponents(alpha: float, r: float, ell) -> dict[str, np.ndarray | float]:
    """The exponent lines of spec §5 at growth exponent(s) ``ell`` (N ∝ M^ell, K ∝ M^(1-ell)).

    Returns ``bias = 2 alpha ell min(r,1)``, ``variance = 1 - ell + 2 alpha ell min(r,1/2)``,
    ``s = min(bias, variance)`` and ``ell_star``, the crossover of the two lines,
    ``1/(1 + 2 alpha (min(r,1) - min(r,1/2)))`` (= ``1/(1 + alpha (2 min(r,1) - 1))`` for r >= 1/2,
    and 1 for hard tasks r < 1/2, where the bias line is the smaller for every ell <= 1).
    """
    ell = np.asarray(ell, dtype=np.float64)
    m1, m2 = min(r, 1.0), min(r, 0.5)
    bias = 2.0 * alpha * ell * m1
    variance = 1.0 - ell + 2.0 * alpha * ell * m2
    return {
        "bias": bias,
        "variance": variance,
        "s": np.minimum(bias, variance),
        "ell_star": 1.0 / (1.0 + 2.0 * alpha * (m1 - m2)),
    }


def fit_exponent(M, E) -> float:
    """``s = -slope`` of an ordinary least-squares fit of ``log E`` against ``log M`` (points with
    ``E <= 0`` or non-finite dropped); NaN with fewer than two usable points."""
    M = np.asarray(M, dtype=np.float64).ravel()
    E = np.asarray(E, dtype=np.float64).ravel()
    keep = np.isfinite(E) & (E > 0) & np.isfinite(M) & (M > 0)
    if keep.sum() < 2:
        return float("nan")
    slope = np.polyfit(np.log(M[keep]), np.log(E[keep]), 1)[0]
    return float(-slope)


def growth_sizes(M: float, ell: float) -> tuple[int, int, float, float]:
    """Sizes of a scaling-law point (spec §2.6): integer ``K = max(round(M^(1-ell)), 1)``,
    ``N = max(round(M/K), 1)`` for simulation, and fractional ``K = M^(1-ell)``, ``N = M^ell`` for
    the theory exponents."""
    k = max(int(round(M ** (1.0 - ell))), 1)
    n = max(int(round(M / k)), 1)
    return k, n, float(M ** (1.0 - ell)), float(M**ell)
