"""The gated-attention toy model of spec attention-limits §8.1: its DMFT (numpy) and finite-N networks.

Data: XOR, D = 2, P = 4, x = (1,1), (1,-1), (-1,-1), (-1,1), y = (1,-1,1,-1); C(mu,nu) = x_mu.x_nu / D.

Network (G gates of N units, exponent alpha):

    q_g(x) = N^(alpha-1) W_q^g x / sqrt(D),  k_g = N^(alpha-1) k~_g,  A_g(x) = q_g(x).k_g / N^alpha
    v_g(x) = W_v^g x / sqrt(D),              f(x) = (1/(N gamma)) sum_g exp(A_g(x)) a_g.v_g(x)

initialised with W_v, a ~ N(0,1), k~ ~ N(0, N^(2(1-alpha))), Z ~ N(0,1), u_g ~ N(0, I_D) and
W_q^g = N^(alpha-1) rho_g k~_g u_g^T + N^(1-alpha) sqrt(1-rho_g^2) Z_g (rho = linspace(-0.9, 0.9, G):
warm start; rho = 0: cold start).  Loss (1/P) sum_mu (f(x_mu) - f_0(x_mu) - y_mu)^2, full-batch
gradient descent with step eta_net = 0.5 N gamma^2 eta on W_q, k~, W_v, a.

The forward pass is written once for any array module (:func:`forward`, numpy or ``jax.numpy``).  The
network's gradient comes from JAX autodiff (``jax.grad`` of the loss, float64) in :func:`network_step`
and :func:`simulate_network`; JAX is the optional 'attention' extra, imported lazily by those functions
(and :func:`compare`), which raise a one-line :class:`~amsim.errors.AmsimError` without it.  The DMFT
(:func:`evolve`, :func:`solve_dmft`), the initialisation and the order parameters of a network are
numpy only and need no JAX.

Order parameters (per gate): F = a.v/N, Z = |a|^2/N, V = v.v/N, Q = q.q/N, K = |k|^2/N and A.  With
s = eta gamma / P, w = phi(A) Delta and r = phi'(A) F Delta (phi = exp), gradient descent moves them by

    F += s (V w + Z Cw)                  [+ s^2 Cw (w.F)]
    V += s (Cw F^T + F Cw^T)             [+ s^2 Z Cw Cw^T]
    Z += 2 s w.F                         [+ s^2 w^T V w]
    A += s (Q r + K Cr)                  [+ lam s^2 Cr (r.A)]
    Q += lam s (Cr A^T + A Cr^T)         [+ lam s^2 K Cr Cr^T]
    K += 2 lam s r.A                     [+ lam s^2 r^T Q r]

with lam = N^(2 alpha - 2) (= 1 at alpha = 1).  Without the bracketed terms this is the spec's DMFT
(forward Euler of the gradient-flow DMFT, ``discretization = "euler"``); with them it is *exact* for
gradient descent at every N (``"exact"``): the order parameters of a finite network obey it to rounding
error, so the only finite-N effect left is the fluctuation of the initial order parameters around
their N -> infinity values (F = 0, Z = 1, V = C, K = 1, A = rho u.x/sqrt(D),
Q = rho^2 (u.x)(u.x')/D + (1 - rho^2) C; ``q_init = "notebook"`` uses the authors' Q = C).

Time alignment: every loss curve here has T + 1 entries, the loss before update t = 0..T-1 and after
the last one (spec §8.1 "record both at the same times").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

D = 2
X = np.array([[1.0, 1.0], [1.0, -1.0], [-1.0, -1.0], [-1.0, 1.0]])
Y = np.array([1.0, -1.0, 1.0, -1.0])
P = X.shape[0]
C = X @ X.T / D


def gate_correlations(G: int, init: str = "warm") -> np.ndarray:
    """rho_g: ``linspace(-0.9, 0.9, G)`` for a warm start, zeros for a cold start."""
    if init == "warm":
        return np.linspace(-0.9, 0.9, G)
    if init == "cold":
        return np.zeros(G)
    raise ValueError(f"init must be 'warm' or 'cold', got {init!r}")


def draw_u(rng: np.random.Generator, G: int) -> np.ndarray:
    """The gate directions u_g ~ N(0, I_D), ``(G, D)``; the DMFT is conditional on them."""
    return rng.standard_normal((G, D))


@dataclass
class OrderParams:
    """Per-gate order parameters: F (G,P), Z (G,), V (G,P,P), Q (G,P,P), K (G,), A (G,P)."""

    F: np.ndarray
    Z: np.ndarray
    V: np.ndarray
    Q: np.ndarray
    K: np.ndarray
    A: np.ndarray

    def copy(self) -> "OrderParams":
        return OrderParams(*(np.array(getattr(self, k)) for k in "FZVQKA"))


def dmft_initial(rho: np.ndarray, u: np.ndarray, q_init: str = "exact") -> OrderParams:
    """The N -> infinity limits of the order parameters at initialisation (alpha = 1)."""
    G = len(rho)
    ux = u @ X.T  # (G, P)
    A = rho[:, None] * ux / np.sqrt(D)
    if q_init == "exact":
        Q = (rho**2)[:, None, None] * ux[:, :, None] * ux[:, None, :] / D + (1 - rho**2)[:, None, None] * C
    elif q_init == "notebook":
        Q = np.broadcast_to(C, (G, P, P)).copy()
    else:
        raise ValueError(f"q_init must be 'exact' or 'notebook', got {q_init!r}")
    return OrderParams(F=np.zeros((G, P)), Z=np.ones(G), V=np.broadcast_to(C, (G, P, P)).copy(),
                       Q=Q, K=np.ones(G), A=A)


def output(op: OrderParams, gamma: float) -> np.ndarray:
    """f(x_mu) = (1/gamma) sum_g exp(A_g(mu)) F_g(mu), ``(P,)``."""
    return (np.exp(op.A) * op.F).sum(axis=0) / gamma


def evolve(
    op: OrderParams, eta: float, gamma: float, steps: int, *, discretization: str = "euler",
    lam: float = 1.0, f0: np.ndarray | None = None, record_A: bool = False,
):
    """Run the order-parameter recursion for ``steps`` updates from ``op``.

    ``f0`` is the output subtracted in the loss (zero for the DMFT; the initial output of a finite
    network when the recursion replays it).  Returns ``(loss (T+1,), A (T+1, G, P) or None, final op)``.
    """
    if discretization not in ("euler", "exact"):
        raise ValueError(f"discretization must be 'euler' or 'exact', got {discretization!r}")
    exact = discretization == "exact"
    op = op.copy()
    s = eta * gamma / P
    f0 = np.zeros(P) if f0 is None else np.asarray(f0, dtype=float)
    losses = np.empty(steps + 1)
    a_hist = np.empty((steps + 1,) + op.A.shape) if record_A else None
    for t in range(steps + 1):
        phi = np.exp(op.A)
        delta = Y - (output(op, gamma) - f0)
        losses[t] = np.mean(delta**2)
        if record_A:
            a_hist[t] = op.A
        if t == steps:
            break
        w = phi * delta                     # (G, P)
        r = phi * op.F * delta              # phi' = phi for exp
        cw, cr = w @ C, r @ C               # C symmetric
        wF, rA = (w * op.F).sum(1), (r * op.A).sum(1)
        dF = s * (np.einsum("gmn,gn->gm", op.V, w) + op.Z[:, None] * cw)
        dV = s * (cw[:, :, None] * op.F[:, None, :] + op.F[:, :, None] * cw[:, None, :])
        dZ = 2 * s * wF
        dA = s * (np.einsum("gmn,gn->gm", op.Q, r) + op.K[:, None] * cr)
        dQ = lam * s * (cr[:, :, None] * op.A[:, None, :] + op.A[:, :, None] * cr[:, None, :])
        dK = 2 * lam * s * rA
        if exact:
            s2 = s * s
            dF += s2 * cw * wF[:, None]
            dV += s2 * op.Z[:, None, None] * cw[:, :, None] * cw[:, None, :]
            dZ += s2 * np.einsum("gm,gmn,gn->g", w, op.V, w)
            dA += lam * s2 * cr * rA[:, None]
            dQ += lam * s2 * op.K[:, None, None] * cr[:, :, None] * cr[:, None, :]
            dK += lam * s2 * np.einsum("gm,gmn,gn->g", r, op.Q, r)
        op.F += dF
        op.V += dV
        op.Z += dZ
        op.A += dA
        op.Q += dQ
        op.K += dK
    return losses, a_hist, op


def solve_dmft(
    rho: np.ndarray, u: np.ndarray, eta: float, gamma: float, steps: int, *,
    discretization: str = "euler", q_init: str = "exact", record_A: bool = True,
):
    """The DMFT (alpha = 1, N -> infinity) loss curve ``(T+1,)`` and gate matrices ``(T+1, G, P)``."""
    losses, a_hist, _ = evolve(dmft_initial(rho, u, q_init), eta, gamma, steps,
                               discretization=discretization, record_A=record_A)
    return losses, a_hist


# --------------------------------------------------------------------------------------------------
# finite-N network


@dataclass
class Network:
    """Weights of all gates: Wq (G,D,N), kt (G,N), Wv (G,D,N), a (G,N) (W^T layout); exponent alpha."""

    Wq: np.ndarray
    kt: np.ndarray
    Wv: np.ndarray
    a: np.ndarray
    alpha: float

    @property
    def N(self) -> int:
        return self.a.shape[1]


def init_network(N: int, rho: np.ndarray, u: np.ndarray, alpha: float, rng: np.random.Generator) -> Network:
    """Draw a network (spec §8.1 initialisation); the draws in order: W_v, a, k~, Z."""
    G = len(rho)
    Wv = rng.standard_normal((G, D, N))
    a = rng.standard_normal((G, N))
    kt = N ** (1.0 - alpha) * rng.standard_normal((G, N))
    Z = rng.standard_normal((G, D, N))
    Wq = (N ** (alpha - 1.0) * rho[:, None, None] * u[:, :, None] * kt[:, None, :]
          + N ** (1.0 - alpha) * np.sqrt(1.0 - rho**2)[:, None, None] * Z)
    return Network(Wq=Wq, kt=kt, Wv=Wv, a=a, alpha=float(alpha))


def forward(Wq, kt, Wv, a, alpha: float, xp=np):
    """q (G,P,N), k (G,N), v (G,P,N), A (G,P) and F (G,P) on the P data points, for array module ``xp``.

    A and F contract the N units first: A_g(x) = q_g(x).k_g / N^alpha = N^(alpha-2) x.(W_q^g k~_g) / sqrt(D)
    and F_g(x) = a_g.v_g(x) / N = x.(W_v^g a_g) / (N sqrt(D)) (the same numbers as q.k and a.v up to
    rounding, without the (G, P, N) intermediates: under ``jax.jit`` the unused q and v are dropped).
    """
    n = a.shape[-1]
    x = xp.asarray(X)
    q = (n ** (alpha - 1.0) / np.sqrt(D)) * (x @ Wq)
    k = n ** (alpha - 1.0) * kt
    v = (x @ Wv) / np.sqrt(D)
    A = (n ** (alpha - 2.0) / np.sqrt(D)) * ((Wq @ kt[:, :, None])[:, :, 0] @ x.T)
    F = (1.0 / (n * np.sqrt(D))) * ((Wv @ a[:, :, None])[:, :, 0] @ x.T)
    return q, k, v, A, F


def centred_loss(theta, f0, alpha: float, gamma: float, xp=np):
    """``(L, A)``: L = (1/P) sum_mu (f(x_mu; theta) - f0_mu - y_mu)^2 with theta = (Wq, kt, Wv, a)."""
    A, F = forward(*theta, alpha, xp)[3:]
    f = (xp.exp(A) * F).sum(axis=0) / gamma
    return xp.mean((f - f0 - xp.asarray(Y)) ** 2), A


def features(net: Network):
    """q (G,P,N), k (G,N), v (G,P,N), A (G,P) and F (G,P) of the network on the P data points (numpy)."""
    return forward(net.Wq, net.kt, net.Wv, net.a, net.alpha, np)


def network_output(net: Network, gamma: float) -> np.ndarray:
    A, F = features(net)[3:]
    return (np.exp(A) * F).sum(axis=0) / gamma


def network_loss(net: Network, gamma: float, f0: np.ndarray) -> float:
    return float(centred_loss((net.Wq, net.kt, net.Wv, net.a), f0, net.alpha, gamma, np)[0])


def order_params(net: Network) -> OrderParams:
    """The order parameters of a finite network."""
    q, k, v, A, F = features(net)
    n = net.N
    return OrderParams(
        F=F, Z=(net.a**2).sum(1) / n, V=v @ v.transpose(0, 2, 1) / n, Q=q @ q.transpose(0, 2, 1) / n,
        K=(k**2).sum(1) / n, A=A,
    )


# --------------------------------------------------------------------------------------------------
# training: JAX autodiff (the 'attention' extra)


def jax_modules():
    """``(jax, jax.numpy)`` with float64 enabled; a one-line :class:`AmsimError` if JAX is missing.

    Called on every entry to the training functions (a cached import is cheap), so a missing JAX is
    reported even after the compiled functions below were built.
    """
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        from amsim.errors import AmsimError

        raise AmsimError("the finite-N gated-attention network is trained with JAX autodiff: "
                         "pip install 'amsim[attention]'") from None
    jax.config.update("jax_enable_x64", True)  # the DMFT comparisons are float64
    return jax, jnp


_COMPILED: dict = {}


def _compiled():
    """Jitted ``step(theta, f0, alpha, gamma, lr) -> (theta', L, A)`` and ``train(..., steps)``.

    ``alpha``, ``gamma`` and ``lr`` are traced arguments, so one compilation per array shape (and
    number of steps) serves every setting.
    """
    if not _COMPILED:
        jax, jnp = jax_modules()
        grad = jax.value_and_grad(lambda th, f0, al, ga: centred_loss(th, f0, al, ga, jnp), has_aux=True)

        def step(theta, f0, alpha, gamma, lr):
            (loss, A), g = grad(theta, f0, alpha, gamma)
            return tuple(p - lr * gp for p, gp in zip(theta, g)), loss, A

        def train(theta, f0, alpha, gamma, lr, steps):
            def body(th, _):
                th, loss, A = step(th, f0, alpha, gamma, lr)
                return th, (loss, A)

            theta, (losses, a_hist) = jax.lax.scan(body, theta, None, length=steps)
            loss, A = centred_loss(theta, f0, alpha, gamma, jnp)
            return theta, jnp.append(losses, loss), jnp.concatenate([a_hist, A[None]])

        _COMPILED["step"] = jax.jit(step)
        _COMPILED["train"] = jax.jit(train, static_argnames="steps")
    return _COMPILED


def _args(net: Network, eta: float, gamma: float, f0):
    """``(theta, f0, alpha, gamma, eta_net)`` as float64 JAX arrays; eta_net = 0.5 N gamma^2 eta."""
    _, jnp = jax_modules()
    theta = tuple(jnp.asarray(p, dtype=jnp.float64) for p in (net.Wq, net.kt, net.Wv, net.a))
    lr = 0.5 * net.N * gamma**2 * eta
    f64 = jnp.float64
    return theta, jnp.asarray(f0, dtype=f64), f64(net.alpha), f64(gamma), f64(lr)


def _network(theta, alpha: float) -> Network:
    return Network(*(np.array(p) for p in theta), alpha=alpha)


def network_step(net: Network, eta: float, gamma: float, f0: np.ndarray):
    """One full-batch gradient-descent step theta -= eta_net grad L, eta_net = 0.5 N gamma^2 eta, with
    the gradient of L = (1/P) sum_mu (f(x_mu; theta) - f0_mu - y_mu)^2 over (W_q, k~, W_v, a) from
    ``jax.grad`` (float64).  Needs JAX.

    Returns ``(new network, loss before the step, A before the step)``.
    """
    jax_modules()
    theta, loss, A = _compiled()["step"](*_args(net, eta, gamma, f0))
    return _network(theta, net.alpha), float(loss), np.array(A)


def simulate_network(net: Network, eta: float, gamma: float, steps: int, record_A: bool = True):
    """Gradient descent from ``net`` (the steps of :func:`network_step`, run in one ``jax.lax.scan``):
    loss ``(T+1,)`` (centred on the initial output) and A ``(T+1, G, P)`` (None unless ``record_A``),
    and the final network.  Needs JAX."""
    jax_modules()
    f0 = network_output(net, gamma)
    theta, losses, a_hist = _compiled()["train"](*_args(net, eta, gamma, f0), steps=int(steps))
    return np.array(losses), (np.array(a_hist) if record_A else None), _network(theta, net.alpha)


def compare(
    widths, seeds: int, G: int, eta: float, gamma: float, steps: int, u: np.ndarray, rngs, *,
    init: str = "warm", discretization: str = "euler", q_init: str = "exact",
) -> dict:
    """DMFT against finite-N networks: ``{"dmft_loss", "losses" {N: [curves]}, "max_deviation" {N: [...]}}``.

    ``rngs(N, k)`` gives the generator of seed ``k`` at width ``N``.  Needs JAX (the networks' training).
    """
    jax_modules()
    rho = gate_correlations(G, init)
    dmft_loss, _ = solve_dmft(rho, u, eta, gamma, steps, discretization=discretization, q_init=q_init,
                              record_A=False)
    losses, devs = {}, {}
    for n in widths:
        curves = []
        for k in range(seeds):
            net = init_network(int(n), rho, u, 1.0, rngs(int(n), k))
            curve, _, _ = simulate_network(net, eta, gamma, steps, record_A=False)
            curves.append(curve)
        losses[int(n)] = curves
        devs[int(n)] = [float(np.max(np.abs(c - dmft_loss))) for c in curves]
    return {"dmft_loss": dmft_loss, "losses": losses, "max_deviation": devs}


def fit_rate(widths, deviations) -> float:
    """Least-squares slope of log(mean deviation) against log N (the convergence exponent)."""
    n = np.log(np.asarray(widths, dtype=float))
    d = np.log(np.array([np.mean(v) for v in deviations], dtype=float))
    return float(np.polyfit(n, d, 1)[0])
