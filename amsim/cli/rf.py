"""``amsim rf-theory`` and ``amsim rf-simulate``: one random-feature ensemble, theory or simulation.

Both take the power-law Gaussian task of spec §2.1 truncated to ``--modes`` modes, ``-M`` total
features split over ``-K`` members (``N = M/K``), ``-P`` samples, label-noise variance
``--noise-var`` and either ``--ridge L`` (sum-of-squares convention, spec §2.4) or
``--optimal-ridge`` (the default when neither is given).  ``--json`` prints one JSON object.
"""

from __future__ import annotations

import json
import math

import click

from amsim.errors import AmsimError

#: default ridge grid of ``rf-simulate --optimal-ridge``: logspace(-4, 2, 25) (spec §2.4 grids)
SIM_GRID = (-4.0, 2.0, 25)


def task_options(func):
    """The flags shared by rf-theory and rf-simulate."""
    opts = [
        click.option("--alpha", type=float, default=1.2, show_default=True,
                     help="Capacity exponent alpha > 1 (lambda_k ∝ k^-alpha)."),
        click.option("--r", "r", type=float, default=0.4, show_default=True,
                     help="Source exponent r >= 0 (mode power ∝ k^-(1+2 alpha r))."),
        click.option("--modes", type=int, default=2000, show_default=True, help="Number of modes D."),
        click.option("-M", "m", type=int, required=True, help="Total features M = K N."),
        click.option("-P", "p", type=int, required=True, help="Training samples."),
        click.option("-K", "k", type=int, default=1, show_default=True, help="Ensemble members."),
        click.option("--noise-var", type=float, default=0.0, show_default=True,
                     help="Label-noise variance sigma_eps^2."),
        click.option("--ridge", type=float, default=None,
                     help="Ridge lambda (sum-of-squares loss, features / sqrt(N))."),
        click.option("--optimal-ridge", is_flag=True,
                     help="Minimise over the ridge (default when --ridge is not given)."),
        click.option("--json", "as_json", is_flag=True, help="Print one JSON object."),
    ]
    for opt in reversed(opts):
        func = opt(func)
    return func


def _check(alpha, r, modes, m, p, k, noise_var, ridge, optimal_ridge, ridge_positive: bool) -> None:
    if not (math.isfinite(alpha) and alpha > 1):
        raise AmsimError(f"--alpha must be > 1, got {alpha}")
    if not (math.isfinite(r) and r >= 0):
        raise AmsimError(f"--r must be >= 0, got {r}")
    if modes < 1:
        raise AmsimError(f"--modes must be >= 1, got {modes}")
    for flag, v in (("-M", m), ("-P", p), ("-K", k)):
        if v < 1:
            raise AmsimError(f"{flag} must be >= 1, got {v}")
    if k > m:
        raise AmsimError(f"-K = {k} exceeds -M = {m}: every member needs at least one feature")
    if not (math.isfinite(noise_var) and noise_var >= 0):
        raise AmsimError(f"--noise-var must be >= 0, got {noise_var}")
    if ridge is not None and optimal_ridge:
        raise AmsimError("give either --ridge or --optimal-ridge, not both")
    if ridge is not None and ridge_positive and not (math.isfinite(ridge) and ridge > 0):
        raise AmsimError(
            f"--ridge must be > 0 for the theory (for the lam -> 0 limit use a tiny value), got {ridge}"
        )
    if ridge is not None and not (math.isfinite(ridge) and ridge >= 0):
        raise AmsimError(f"--ridge must be >= 0 (0: the minimum-norm solution), got {ridge}")


def _emit(out: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(out))
        return
    width = max(len(k) for k in out)
    for key, value in out.items():
        text = f"{value:.6g}" if isinstance(value, float) else str(value)
        click.echo(f"{key:<{width}}  {text}")


@click.command("rf-theory")
@task_options
def rf_theory(alpha, r, modes, m, p, k, noise_var, ridge, optimal_ridge, as_json):
    """Deterministic-equivalent risk of K members with N = M/K features each (spec §3).

    N may be fractional (the theory allows it).  Example:

    amsim rf-theory --alpha 1.2 --r 0.4 --modes 2000 -M 256 -P 128 -K 4 --noise-var 0 --optimal-ridge --json
    """
    from amsim.models import rf_theory as th

    _check(alpha, r, modes, m, p, k, noise_var, ridge, optimal_ridge, ridge_positive=True)
    spec = th.power_law_spectrum(alpha, r, modes, noise_var)
    n = m / k
    out = {"alpha": alpha, "r": r, "modes": modes, "M": m, "P": p, "K": k, "N": n, "noise_var": noise_var}
    if ridge is None:
        opt = th.optimal_ridge(spec, p, n, k)
        ridge = opt.ridge
        out["optimal_ridge"] = True
        out["ridge_at_search_boundary"] = opt.at_boundary
    else:
        out["optimal_ridge"] = False
    res = th.risk(spec, p, n, k, [ridge])
    out.update(
        ridge=float(ridge), risk=float(res.E_K[0]), E_K=float(res.E_K[0]), E_inf=float(res.E_inf[0]),
        E_1=float(res.E_1[0]), variance=float(res.variance[0]), kappa2=float(res.kappa2[0]),
        mean_loss_ridge=float(ridge) / p,
    )
    _emit(out, as_json)


@click.command("rf-simulate")
@task_options
@click.option("--trials", type=int, default=10, show_default=True, help="Independent repetitions.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--n-test", type=int, default=10000, show_default=True,
              help="Held-out samples per trial (0: exact population risk).")
def rf_simulate(alpha, r, modes, m, p, k, noise_var, ridge, optimal_ridge, as_json, trials, seed, n_test):
    """Simulated test risk of K members with N = M/K features each: mean and standard error over
    trials.  --optimal-ridge takes the minimum of the trial-mean curve over logspace(-4, 2, 25)
    (spec §1) and reports the standard error at that ridge.  Example:

    amsim rf-simulate --alpha 1.2 --r 0.4 --modes 2000 -M 256 -P 128 -K 4 --ridge 0.1 --trials 10 --json
    """
    import numpy as np

    from amsim.engine.memory import require
    from amsim.engine.rng import task_rng
    from amsim.models import rf_ensemble as sim
    from amsim.models import rf_theory as th

    _check(alpha, r, modes, m, p, k, noise_var, ridge, optimal_ridge, ridge_positive=False)
    if m % k:
        raise AmsimError(f"-M = {m} is not a multiple of -K = {k}; the simulation needs integer N = M/K")
    if trials < 2:
        raise AmsimError(f"--trials must be >= 2 for a standard error, got {trials}")
    if n_test < 0:
        raise AmsimError(f"--n-test must be >= 0, got {n_test}")
    n = m // k
    ridges = np.logspace(*SIM_GRID) if ridge is None else np.array([ridge])
    require(sim.estimate_bytes(modes, p, k, n, ridges.size, n_test, 1), "one rf-simulate trial")
    spec = th.power_law_spectrum(alpha, r, modes, noise_var)
    res = sim.simulate(spec, p, k, n, ridges, task_rng(seed), trials=trials, n_test=n_test)
    mean = res.risk.mean(axis=0)
    std = res.risk.std(axis=0, ddof=1)
    best = int(np.argmin(mean))
    lam = float(ridges[best])
    out = {"alpha": alpha, "r": r, "modes": modes, "M": m, "P": p, "K": k, "N": n, "noise_var": noise_var,
           "optimal_ridge": ridge is None, "trials": trials, "seed": seed, "n_test": n_test,
           "risk_kind": "held-out" if n_test else "population",
           "ridge": lam, "risk": float(mean[best]), "risk_se": float(std[best] / np.sqrt(trials)),
           "risk_std": float(std[best])}
    if lam > 0:
        t = th.risk(spec, p, n, k, [lam])
        out.update(theory_risk=float(t.E_K[0]), E_inf=float(t.E_inf[0]), E_1=float(t.E_1[0]))
    else:
        out.update(theory_risk=None, E_inf=None, E_1=None)
    out["E_1_sim"] = float(res.risk_members[:, best].mean())
    _emit(out, as_json)
