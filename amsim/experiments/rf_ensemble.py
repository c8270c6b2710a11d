"""The ``rf_ensemble`` kind: one random-feature ridge ensemble on the Gaussian task, with its theory.

One task is one repetition (trial) of one grid point: it draws ``P`` training samples from the
task's spectrum, ``K`` members of ``N`` linear random features each, fits every member by ridge in
the spec's sum-of-squares convention on a whole ridge grid (one eigendecomposition per member), and
measures the ensemble risk at every ridge (held-out MSE on ``n_test`` fresh samples, or the exact
population risk when ``n_test = 0``).  Beside it, on the same ridge grid, the deterministic
equivalent ``E_K``, ``E_inf`` and ``E_1`` (spec §3), and the theory's own ridge optimum.

Sizes (spec §2.6): give two of ``K``, ``N``, ``M`` (``N = max(M // K, 1)`` when ``M`` and ``K`` are
given, ``K = max(M // N, 1)`` for ``M`` and ``N``), or ``ell`` with ``M`` (scaling-law sweeps:
``K = max(round(M^(1-ell)), 1)``, ``N = max(round(M/K), 1)``; theory also at the fractional
``K = M^(1-ell)``, ``N = M^ell``).
"""

from __future__ import annotations

import json

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from amsim.experiments import TaskResult
from amsim.models import rf_ensemble as sim
from amsim.models import rf_theory as theory

#: parameters of the power-law spectrum (dropped when eigvals/wbar are given)
POWER_LAW_KEYS = ("alpha", "r", "modes")
#: parameters of the ridge grid (dropped when a single ridge is given)
GRID_KEYS = ("ridge_min", "ridge_max", "ridge_num")
#: largest number of modes accepted (memory of P x D inputs is checked separately)
MAX_MODES = 200_000


class Params(BaseModel):
    """Parameters of one rf_ensemble task (every field may be scanned)."""

    model_config = ConfigDict(extra="forbid")

    # the task (spec §2.1): power law, or a spectrum given as arrays
    alpha: float = Field(1.2, gt=1, description="capacity exponent: lambda_k ∝ k^-alpha")
    r: float = Field(0.4, ge=0, description="source exponent: mode power ∝ k^-(1 + 2 alpha r)")
    modes: int = Field(2000, ge=1, le=MAX_MODES, description="number of modes D (input dimension)")
    eigvals: list[float] | None = Field(None, min_length=1, description="kernel eigenvalues (array spectrum)")
    wbar: list[float] | None = Field(None, min_length=1, description="target eigen-weights (array spectrum)")
    noise_var: float = Field(0.0, ge=0, description="label-noise variance sigma_eps^2")
    # sizes (spec §2.6)
    P: int = Field(ge=1, description="training samples")
    K: int | None = Field(None, ge=1, description="ensemble members")
    N: int | None = Field(None, ge=1, description="features per member")
    M: int | None = Field(None, ge=1, description="total features K N")
    ell: float | None = Field(None, ge=0, le=1, description="growth exponent: N ≈ M^ell, K ≈ M^(1-ell)")
    # ridge (sum-of-squares convention, spec §2.4)
    ridge: float | None = Field(None, ge=0, description="a single ridge (else the log grid below)")
    ridge_min: float = Field(1e-4, gt=0)
    ridge_max: float = Field(1e2, gt=0)
    ridge_num: int = Field(25, ge=1, le=1000)
    # risk
    n_test: int = Field(10000, ge=0, description="held-out samples; 0: exact population risk")

    @model_validator(mode="after")
    def _consistent(self):
        given = {k for k in ("K", "N", "M") if getattr(self, k) is not None}
        if self.ell is not None:
            if given != {"M"}:
                raise ValueError("with ell give M and neither K nor N (K = round(M^(1-ell)), N = round(M/K))")
        elif len(given) != 2:
            raise ValueError(
                f"give exactly two of K, N, M (M = K N), or ell with M; got {', '.join(sorted(given)) or 'none'}"
            )
        if (self.eigvals is None) != (self.wbar is None):
            raise ValueError("eigvals and wbar go together (an array spectrum needs both)")
        if self.eigvals is not None:
            if len(self.eigvals) != len(self.wbar):
                raise ValueError(f"eigvals and wbar differ in length ({len(self.eigvals)} != {len(self.wbar)})")
            if len(self.eigvals) > MAX_MODES:
                raise ValueError(f"at most {MAX_MODES} modes")
            if any(not np.isfinite(v) or v < 0 for v in self.eigvals) or not any(v > 0 for v in self.eigvals):
                raise ValueError("eigvals must be finite, >= 0, and at least one > 0")
            if any(not np.isfinite(v) for v in self.wbar):
                raise ValueError("wbar must be finite")
            clash = [k for k in POWER_LAW_KEYS if k in self.model_fields_set]
            if clash:
                raise ValueError(f"{', '.join(clash)} describe the power-law spectrum; leave them out with eigvals")
        if self.ridge is None and self.ridge_min > self.ridge_max:
            raise ValueError(f"ridge_min = {self.ridge_min} exceeds ridge_max = {self.ridge_max}")
        return self


class Record(BaseModel):
    """What to store besides the risk curves."""

    model_config = ConfigDict(extra="forbid")

    cumulative: bool = Field(True, description="population risk of the first K' = 1..K members' ensembles")


# --------------------------------------------------------------------------------------------------
# helpers shared with the plots and the CLI
# --------------------------------------------------------------------------------------------------


def sizes(p) -> tuple[int, int, float, float]:
    """``(K, N, K_theory, N_theory)``: integer sizes simulated, and the (possibly fractional) sizes
    of the smooth theory (``M^(1-ell), M^ell`` for ``ell``; ``K, M/K`` for K with M; else K, N)."""
    get = p.get if isinstance(p, dict) else (lambda k: getattr(p, k))
    K, N, M, ell = get("K"), get("N"), get("M"), get("ell")
    if ell is not None:
        return theory.growth_sizes(M, ell)
    if K is not None and N is not None:
        return int(K), int(N), float(K), float(N)
    if K is not None:
        return int(K), max(int(M) // int(K), 1), float(K), float(M) / float(K)
    return max(int(M) // int(N), 1), int(N), float(M) / float(N), float(N)


def ridge_grid(p) -> np.ndarray:
    """The ridges of a task: ``[ridge]`` or ``logspace(ridge_min, ridge_max, ridge_num)``."""
    get = p.get if isinstance(p, dict) else (lambda k: getattr(p, k))
    if get("ridge") is not None:
        return np.array([float(get("ridge"))])
    return np.logspace(np.log10(get("ridge_min")), np.log10(get("ridge_max")), int(get("ridge_num")))


def _array(value):
    if isinstance(value, str):  # lists come back from HDF5 attributes as their text
        value = json.loads(value)
    return np.asarray(value, dtype=np.float64)


def spectrum_of(p) -> theory.Spectrum:
    """The :class:`Spectrum` of a task (a :class:`Params` or its canonical dict, also as read back
    from a result file)."""
    get = p.get if isinstance(p, dict) else (lambda k: getattr(p, k, None))
    noise = float(get("noise_var") or 0.0)
    if get("eigvals") is not None:
        return theory.Spectrum(_array(get("eigvals")), _array(get("wbar")), noise)
    defaults = Params.model_fields
    alpha = get("alpha") if get("alpha") is not None else defaults["alpha"].default
    r = get("r") if get("r") is not None else defaults["r"].default
    modes = get("modes") if get("modes") is not None else defaults["modes"].default
    return theory.power_law_spectrum(float(alpha), float(r), int(modes), noise)


class RFEnsembleKind:
    name = "rf_ensemble"
    Params = Params
    Record = Record

    def canonical(self, params: Params) -> dict:
        """Given parameters only; the power-law keys go when the spectrum is an array, the grid keys
        when a single ridge is given."""
        out = params.model_dump(exclude_none=True)
        if params.eigvals is not None:
            for k in POWER_LAW_KEYS:
                out.pop(k, None)
        if params.ridge is not None:
            for k in GRID_KEYS:
                out.pop(k, None)
        return out

    def estimate_bytes(self, params: Params, record: Record) -> int:
        K, N = sizes(params)[:2]
        D = len(params.eigvals) if params.eigvals is not None else params.modes
        return sim.estimate_bytes(D, params.P, K, N, ridge_grid(params).size, params.n_test, 1,
                                  record.cumulative)

    def run(self, params: Params, record: Record, rng: np.random.Generator, backend) -> TaskResult:
        """Simulate one trial and put the theory beside it (``backend`` is not used: numpy/BLAS)."""
        spec = spectrum_of(params)
        K, N, Kt, Nt = sizes(params)
        ridges = ridge_grid(params)
        res = sim.simulate(spec, params.P, K, N, ridges, rng, trials=1, n_test=params.n_test,
                           cumulative=record.cumulative)
        arrays = {
            "ridges": ridges,
            "risk": res.risk[0],
            "risk_pop": res.risk_pop[0],
            "risk_members": res.risk_members[0],
        }
        if res.risk_cumulative is not None:
            arrays["risk_cumulative"] = res.risk_cumulative[0]
        # theory on the same grid (lam > 0 only; lam = 0 is the pseudo-inverse, theory NaN there)
        th = {k: np.full(ridges.size, np.nan) for k in ("E_K", "E_inf", "E_1", "kappa2")}
        pos = ridges > 0
        if pos.any():
            t = theory.risk(spec, params.P, N, K, ridges[pos])
            for k in th:
                th[k][pos] = getattr(t, k)
        arrays.update({f"theory_{k}": v for k, v in th.items()})
        best = int(np.argmin(res.risk[0]))
        opt = theory.optimal_ridge(spec, params.P, N, K)
        attrs = {
            "K": K, "N": N, "M_used": K * N, "form": res.form,
            "risk_opt": float(res.risk[0, best]),
            "ridge_opt": float(ridges[best]),
            "theory_at_ridge_opt": float(th["E_K"][best]),
            "theory_risk_opt": opt.risk,
            "theory_ridge_opt": opt.ridge,
            "theory_E_inf_opt": opt.E_inf,
            "theory_E_1_opt": opt.E_1,
            "theory_opt_at_boundary": bool(opt.at_boundary),
        }
        if (Kt, Nt) != (float(K), float(N)):
            frac = theory.optimal_ridge(spec, params.P, Nt, Kt)
            attrs.update(K_theory=Kt, N_theory=Nt, theory_risk_opt_frac=frac.risk,
                         theory_ridge_opt_frac=frac.ridge)
        return TaskResult(arrays=arrays, attrs=attrs)

    @staticmethod
    def summary_columns() -> tuple[str, ...]:
        return ("K", "N", "risk_opt", "theory_risk_opt", "ridge_opt", "theory_ridge_opt")


KIND = RFEnsembleKind()
