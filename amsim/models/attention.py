"""The parameterized pre-LayerNorm transformer of spec attention-limits §2-§4, and its training (JAX).

Model (vision form, spec §2, §3): tokens ``x`` of shape ``(B, S, d_in)``; residual width ``NH = N*H``.

    x0(s)  = c_in * W_in x(s) / sqrt(d_in)  (+ c_in * E_pos(s))          read-in (+ positional embedding)
    per block l = 1..L, with u = LN(h):
        q_h(s) = N^(alpha_A - 1) W_Q^h u(s) / sqrt(NH) [/ sqrt 2]        W_Q, W_K ~ N(0, N^(2(1 - alpha_A)))
        k_h(s) = N^(alpha_A - 1) W_K^h u(s) / sqrt(NH) [/ sqrt 2]
        v_h(s) = W_V^h u(s) / sqrt(NH)                                    W_V ~ N(0, 1)
        A_h(s, s') = q_h(s) . k_h(s') / N^alpha_A
        MHSA(u)(s) = W_O concat_h sum_s' softmax_s'(A_h(s, .)) v_h(s') / sqrt(NH)
        h <- h + b_L MHSA(LN(h));   h <- h + b_L W_2 GELU(W_1 LN(h) / sqrt(NH)) / sqrt(NH)
    f(x) = c_out * W_out mean_s LN(h_L(s)) / NH     (SGD: mean-field readout)
    f~(x) = (f(x; theta) - f(x; theta_0)) / gamma_0  inside a softmax cross-entropy

with b_L = beta_0 (L/L_0)^(-alpha_L) and, for SGD, c_in = c_out = (L/L_0)^(-(2 alpha_L - 1)/2) with the
read-in, positional and readout weights drawn with standard deviation 1/c (spec §3.4, depth-variant ViT
script).  For Adam the read-in and positional multipliers are sqrt(NH) (weights std 1/sqrt(NH)) and the
readout is W_out h / sqrt(NH) with W_out ~ N(0, 1) (spec §3.4, "Adam versions").  LayerNorm has no
affine parameters and eps = 1e-6; GELU is the tanh approximation; there are no biases.

Learning rates (spec §4): SGD ``eta = eta_0 gamma_0^2 N H (L/L_0)^(2 alpha_L - 1)`` (optax-style
momentum: ``m <- mu m + g``, ``theta <- theta - eta m``); Adam ``eta = eta_0 / sqrt(NH)`` with eps 1e-20.

The forward pass is written once for any array module ``xp`` (numpy or ``jax.numpy``): the
initialisation statistics (:mod:`amsim.models.attention_init`) run it in numpy without JAX, training
runs it under ``jax.jit`` and takes gradients with ``jax.value_and_grad``.  JAX is imported lazily
(:func:`jax_modules`), only by the training functions.

Parameters are a dict of arrays (leading axis = layer for the block weights):
``W_in (NH, d_in)``, ``E_pos (S, NH)``, ``WQ, WK, WV (L, H, N, NH)``, ``WO, W1, W2 (L, NH, NH)``,
``W_out (n_out, NH)``.  Weights are drawn from per-block child generators (read-in; block 1; ...;
block L; readout), so a layer-by-layer numpy forward (:func:`stream_layers`) draws exactly the weights
:func:`init_params` draws.
"""

from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass

import numpy as np

LN_EPS = 1e-6
ADAM_EPS = 1e-20
#: the block weights, in the order they are drawn and reported
BLOCK_WEIGHTS = ("WQ", "WK", "WV", "WO", "W1", "W2")


@dataclass(frozen=True)
class TransformerConfig:
    """Sizes and parameterization of one transformer (spec §3)."""

    N: int
    H: int
    L: int
    alpha_A: float = 1.0
    alpha_L: float = 1.0
    beta0: float = 4.0
    gamma0: float = 0.1
    L0: float = 1.0
    optimizer: str = "sgd"          # 'sgd' | 'adam': chooses the read-in/readout form (spec §3.4)
    d_in: int = 4
    S: int = 16
    n_out: int = 4
    qk_sqrt2: bool = True           # ViT convention: q and k divided by sqrt(2) (c_qk = 1/2)
    pos_embedding: bool = True

    @property
    def width(self) -> int:
        """Residual-stream width N*H."""
        return self.N * self.H

    @property
    def branch(self) -> float:
        """Residual branch multiplier b_L = beta_0 (L/L_0)^(-alpha_L)."""
        return self.beta0 * (self.L / self.L0) ** (-self.alpha_L)

    @property
    def depth_mult(self) -> float:
        """SGD read-in/readout multiplier c_L = (L/L_0)^(-(2 alpha_L - 1)/2)."""
        return (self.L / self.L0) ** (-(2 * self.alpha_L - 1) / 2)

    @property
    def readin_mult(self) -> float:
        return self.depth_mult if self.optimizer == "sgd" else math.sqrt(self.width)

    @property
    def c_qk(self) -> float:
        """Factor of the q, k variance: 1/2 with the ViT sqrt(2), else 1 (spec §3.6)."""
        return 0.5 if self.qk_sqrt2 else 1.0

    def learning_rate(self, eta0: float) -> float:
        """The spec §4 rule: SGD eta0 gamma0^2 NH (L/L0)^(2 alpha_L - 1); Adam eta0 / sqrt(NH)."""
        if self.optimizer == "sgd":
            return eta0 * self.gamma0**2 * self.width * (self.L / self.L0) ** (2 * self.alpha_L - 1)
        return eta0 / math.sqrt(self.width)

    def n_params(self) -> int:
        nh = self.width
        blocks = self.L * (3 * self.H * self.N * nh + 3 * nh * nh)
        return nh * self.d_in + (self.S * nh if self.pos_embedding else 0) + blocks + self.n_out * nh

    def asdict(self) -> dict:
        return asdict(self)


# --------------------------------------------------------------------------------------------------
# initialisation (numpy)


def block_generators(rng: np.random.Generator, L: int) -> list[np.random.Generator]:
    """L + 2 independent child generators: read-in, block 1 .. block L, readout."""
    seq = np.random.SeedSequence(int(rng.integers(2**63)))
    return [np.random.default_rng(s) for s in seq.spawn(L + 2)]


def _normal(rng, shape, std, dtype):
    return (rng.standard_normal(shape, dtype=dtype) * dtype(std)).astype(dtype, copy=False)


def init_readin(cfg: TransformerConfig, rng: np.random.Generator, dtype=np.float64) -> dict:
    std = 1.0 / cfg.readin_mult
    out = {"W_in": _normal(rng, (cfg.width, cfg.d_in), std, dtype)}
    if cfg.pos_embedding:
        out["E_pos"] = _normal(rng, (cfg.S, cfg.width), std, dtype)
    return out


def init_block(cfg: TransformerConfig, rng: np.random.Generator, dtype=np.float64, qk_only: bool = False) -> dict:
    """One block's weights: W_Q, W_K ~ N(0, N^(2(1-alpha_A))), the others N(0, 1).

    Drawn in the order of :data:`BLOCK_WEIGHTS`; ``qk_only`` stops after W_Q and W_K (the same values).
    """
    nh, qk_std = cfg.width, cfg.N ** (1.0 - cfg.alpha_A)
    out = {
        "WQ": _normal(rng, (cfg.H, cfg.N, nh), qk_std, dtype),
        "WK": _normal(rng, (cfg.H, cfg.N, nh), qk_std, dtype),
    }
    if qk_only:
        return out
    out["WV"] = _normal(rng, (cfg.H, cfg.N, nh), 1.0, dtype)
    for name in ("WO", "W1", "W2"):
        out[name] = _normal(rng, (nh, nh), 1.0, dtype)
    return out


def init_readout(cfg: TransformerConfig, rng: np.random.Generator, dtype=np.float64) -> dict:
    std = 1.0 / cfg.depth_mult if cfg.optimizer == "sgd" else 1.0
    return {"W_out": _normal(rng, (cfg.n_out, cfg.width), std, dtype)}


def init_params(cfg: TransformerConfig, rng: np.random.Generator, dtype=np.float64) -> dict:
    """All weights at initialisation (numpy arrays), drawn from the per-block child generators."""
    gens = block_generators(rng, cfg.L)
    params = init_readin(cfg, gens[0], dtype)
    blocks = [init_block(cfg, gens[1 + l], dtype) for l in range(cfg.L)]
    for name in BLOCK_WEIGHTS:
        params[name] = np.stack([b[name] for b in blocks])
    params.update(init_readout(cfg, gens[cfg.L + 1], dtype))
    return params


# --------------------------------------------------------------------------------------------------
# forward pass, for any array module xp (numpy or jax.numpy)


def layer_norm(x, xp):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / xp.sqrt(var + LN_EPS)


def gelu(x, xp):
    """GELU, tanh approximation (the Flax default)."""
    return 0.5 * x * (1.0 + xp.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def softmax(a, xp):
    a = a - a.max(axis=-1, keepdims=True)
    e = xp.exp(a)
    return e / e.sum(axis=-1, keepdims=True)


def read_in(params: dict, x, cfg: TransformerConfig, xp):
    """Residual stream after the read-in (and positional embedding): ``(B, S, NH)``."""
    c = cfg.readin_mult
    h = c * xp.einsum("bsd,nd->bsn", x, params["W_in"]) / math.sqrt(cfg.d_in)
    if cfg.pos_embedding:
        h = h + c * params["E_pos"][None, : x.shape[1]]
    return h


def attention_logits(block: dict, u, cfg: TransformerConfig, xp):
    """Per-head logits A_h(s, s') of one block for normalised input ``u`` (B, S, NH): (B, H, S, S)."""
    n, nh = cfg.N, cfg.width
    scale = n ** (cfg.alpha_A - 1.0) / math.sqrt(nh) / (math.sqrt(2.0) if cfg.qk_sqrt2 else 1.0)
    q = scale * xp.einsum("bsd,hnd->bhsn", u, block["WQ"])
    k = scale * xp.einsum("bsd,hnd->bhsn", u, block["WK"])
    return xp.einsum("bhsn,bhtn->bhst", q, k) / n**cfg.alpha_A


def block_forward(block: dict, h, cfg: TransformerConfig, xp):
    """One block (attention then MLP sub-block) on the residual stream; returns (h, logits)."""
    nh, root = cfg.width, math.sqrt(cfg.width)
    u = layer_norm(h, xp)
    logits = attention_logits(block, u, cfg, xp)
    v = xp.einsum("bsd,hnd->bhsn", u, block["WV"]) / root
    o = xp.einsum("bhst,bhtn->bshn", softmax(logits, xp), v)
    o = o.reshape(o.shape[0], o.shape[1], nh)
    h = h + cfg.branch * xp.einsum("bsm,nm->bsn", o, block["WO"]) / root
    u = layer_norm(h, xp)
    hidden = gelu(xp.einsum("bsm,nm->bsn", u, block["W1"]) / root, xp)
    h = h + cfg.branch * xp.einsum("bsm,nm->bsn", hidden, block["W2"]) / root
    return h, logits


def read_out(params: dict, h, cfg: TransformerConfig, xp):
    """Output f(x) from the last residual stream (final LN, token mean, mean-field readout)."""
    hbar = layer_norm(h, xp).mean(axis=1)
    out = xp.einsum("bn,kn->bk", hbar, params["W_out"])
    if cfg.optimizer == "sgd":
        return cfg.depth_mult * out / cfg.width
    return out / math.sqrt(cfg.width)


def block_of(params: dict, layer: int) -> dict:
    return {name: params[name][layer] for name in BLOCK_WEIGHTS}


def forward(params: dict, x, cfg: TransformerConfig, xp=np, with_logits: bool = False):
    """f(x) of shape (B, n_out); with ``with_logits`` also the per-layer logits (L, B, H, S, S).

    With numpy the blocks run in a Python loop; with ``jax.numpy`` in ``jax.lax.scan`` over the stacked
    block weights, so compilation time does not grow with L.
    """
    h = read_in(params, x, cfg, xp)
    if xp is np:
        logits = []
        for layer in range(cfg.L):
            h, a = block_forward(block_of(params, layer), h, cfg, xp)
            logits.append(a)
        logits = xp.stack(logits) if with_logits else None
    else:
        import jax

        def body(carry, block):
            carry, a = block_forward(block, carry, cfg, xp)
            return carry, (a if with_logits else None)

        h, logits = jax.lax.scan(body, h, {name: params[name] for name in BLOCK_WEIGHTS})
    f = read_out(params, h, cfg, xp)
    if with_logits:
        return f, logits
    return f


def stream_layers(cfg: TransformerConfig, x: np.ndarray, rng: np.random.Generator, dtype=np.float64):
    """Numpy forward at initialisation, one block at a time (weights drawn and dropped per block).

    Yields ``(layer, h, logits)``: ``layer = 0`` is the read-in stream (logits None), then each block's
    output stream and its logits.  Draws exactly the weights of :func:`init_params` with the same ``rng``
    state, so memory stays at one block's weights even for H = 1024.
    """
    gens = block_generators(rng, cfg.L)
    h = read_in(init_readin(cfg, gens[0], dtype), x.astype(dtype), cfg, np)
    yield 0, h, None
    for layer in range(cfg.L):
        h, logits = block_forward(init_block(cfg, gens[1 + layer], dtype), h, cfg, np)
        yield layer + 1, h, logits


# --------------------------------------------------------------------------------------------------
# training (JAX)


def jax_modules():
    """``(jax, jax.numpy)`` with float64 enabled; an :class:`AmsimError` if JAX is missing."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        from amsim.errors import AmsimError

        raise AmsimError("attention training needs JAX: pip install 'amsim[attention]'") from None
    jax.config.update("jax_enable_x64", True)
    return jax, jnp


def cross_entropy(logits, y, xp):
    """Mean softmax cross-entropy of integer labels ``y``."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    logz = xp.log(xp.exp(shifted).sum(axis=-1))
    picked = xp.take_along_axis(shifted, y[:, None], axis=-1)[:, 0]
    return (logz - picked).mean()


def centred_loss(params, params0, x, y, cfg: TransformerConfig, xp):
    """Cross-entropy of f~ = (f(x; theta) - f(x; theta_0)) / gamma_0 (spec §3.5)."""
    ft = (forward(params, x, cfg, xp) - forward(params0, x, cfg, xp)) / cfg.gamma0
    return cross_entropy(ft, y, xp)


def loss_and_grad(cfg: TransformerConfig):
    """A jitted ``(params, params0, x, y) -> (loss, grads)`` (JAX autodiff)."""
    jax, jnp = jax_modules()
    return jax.jit(jax.value_and_grad(lambda p, p0, x, y: centred_loss(p, p0, x, y, cfg, jnp)))


def make_optimizer(cfg: TransformerConfig, momentum: float = 0.9):
    """``(init(params) -> state, update(params, grads, state, lr) -> (params, state))``, pure JAX.

    SGD: optax-style heavy ball (m <- mu m + g; theta <- theta - lr m).  Adam: betas (0.9, 0.999),
    eps 1e-20 (spec §4), bias-corrected.  ``lr`` is an argument so one compilation serves every rate.
    """
    jax, jnp = jax_modules()
    tmap = jax.tree_util.tree_map
    if cfg.optimizer == "sgd":
        def init(params):
            return tmap(jnp.zeros_like, params)

        def update(params, grads, state, lr):
            state = tmap(lambda m, g: momentum * m + g, state, grads)
            return tmap(lambda p, m: p - lr * m, params, state), state

        return init, update

    b1, b2 = 0.9, 0.999

    def init(params):
        return (tmap(jnp.zeros_like, params), tmap(jnp.zeros_like, params), jnp.zeros((), jnp.int32))

    def update(params, grads, state, lr):
        m, v, t = state
        t = t + 1
        m = tmap(lambda m_, g: b1 * m_ + (1 - b1) * g, m, grads)
        v = tmap(lambda v_, g: b2 * v_ + (1 - b2) * g * g, v, grads)
        dt = grads["W_out"].dtype
        c1 = (1 - b1 ** t.astype(dt))
        c2 = (1 - b2 ** t.astype(dt))
        new = tmap(lambda p, m_, v_: p - lr * (m_ / c1) / (jnp.sqrt(v_ / c2) + ADAM_EPS), params, m, v)
        return new, (m, v, t)

    return init, update


@functools.lru_cache(maxsize=16)
def compiled(cfg: TransformerConfig, momentum: float):
    """Jitted training functions for one configuration (cached: repetitions and rate sweeps reuse them).

    ``step(p, state, p0, x, y, lr) -> (p, state, loss)``, ``evaluate(p, x) -> (f, logits (L, B, H, S, S))``,
    ``movement(p, p0) -> (L, 6)``, ``init(p) -> state``.
    """
    jax, jnp = jax_modules()
    opt_init, opt_update = make_optimizer(cfg, momentum)

    def step(p, state, p0, x, y, lr):
        loss, g = jax.value_and_grad(lambda q: centred_loss(q, p0, x, y, cfg, jnp))(p)
        p, state = opt_update(p, g, state, lr)
        return p, state, loss

    def move(p, p0):
        rows = []
        for name in BLOCK_WEIGHTS:
            axes = tuple(range(1, p[name].ndim))
            num = jnp.sqrt(((p[name] - p0[name]) ** 2).sum(axis=axes))
            rows.append(num / jnp.sqrt((p0[name] ** 2).sum(axis=axes)))
        return jnp.stack(rows, axis=-1)

    return {
        "step": jax.jit(step),
        "evaluate": jax.jit(lambda p, x: forward(p, x, cfg, jnp, with_logits=True)),
        "movement": jax.jit(move),
        "init": opt_init,
    }


@dataclass
class TrainResult:
    """What :func:`train` measured (numpy arrays)."""

    loss: np.ndarray          # (steps,) batch loss before each update
    times: np.ndarray         # (R,) steps at which the rest is recorded (0 .. steps)
    test_loss: np.ndarray     # (R,) loss on the fixed test set
    movement: np.ndarray      # (R, L, 6) |W(t) - W(0)|_F / |W(0)|_F per block weight
    logits_init: np.ndarray   # (L, H, P, S, S) per-head logits of the probe inputs at init
    logits_final: np.ndarray  # (L, H, P, S, S) the same after training
    predictions: np.ndarray   # (n_test, n_out) f~ on the test set at the end
    lr: float
    diverged: bool


def train(
    cfg: TransformerConfig, params0: dict, batches, steps: int, eta0: float, *, test=None,
    probe=None, momentum: float = 0.9, every: int = 10, lr: float | None = None, dtype="float32",
) -> TrainResult:
    """Train from ``params0`` (numpy) on ``batches(step) -> (x, y)``; a pure function of its inputs.

    ``lr`` overrides the spec §4 rule (for tests of the rule itself).  A non-finite loss stops the run
    (``diverged``); later entries stay NaN.
    """
    jax, jnp = jax_modules()
    dt = jnp.dtype(dtype)
    lr = cfg.learning_rate(eta0) if lr is None else float(lr)
    fn = compiled(cfg, float(momentum))
    p0 = {k: jnp.asarray(v, dtype=dt) for k, v in params0.items()}
    lr_arr = jnp.asarray(lr, dt)

    times = np.unique(np.r_[np.arange(0, steps, every), steps]).astype(np.int64)
    loss = np.full(steps, np.nan)
    test_loss = np.full(len(times), np.nan)
    move = np.full((len(times), cfg.L, len(BLOCK_WEIGHTS)), np.nan)
    if test is not None:
        tx, ty = jnp.asarray(test[0], dt), np.asarray(test[1])
        f0_test = np.asarray(fn["evaluate"](p0, tx)[0], np.float64)
    px = jnp.asarray(probe, dt) if probe is not None else None

    def logits_of(p):
        if px is None:
            return np.zeros((cfg.L, cfg.H, 0, cfg.S, cfg.S), np.float32)
        return np.asarray(fn["evaluate"](p, px)[1], np.float32).transpose(0, 2, 1, 3, 4)

    def centred_test(p):
        return (np.asarray(fn["evaluate"](p, tx)[0], np.float64) - f0_test) / cfg.gamma0

    p, state = p0, fn["init"](p0)
    logits_init = logits_of(p0)
    diverged = False
    r = 0
    for t in range(steps + 1):
        if r < len(times) and times[r] == t:
            if test is not None:
                test_loss[r] = cross_entropy(centred_test(p), ty, np)
            move[r] = np.asarray(fn["movement"](p, p0))
            r += 1
        if t == steps:
            break
        x, y = batches(t)
        p, state, batch_loss = fn["step"](p, state, p0, jnp.asarray(x, dt), jnp.asarray(y), lr_arr)
        loss[t] = float(batch_loss)
        if not np.isfinite(loss[t]):
            diverged = True
            break
    n_test = 0 if test is None else len(test[1])
    if diverged:
        predictions = np.full((n_test, cfg.n_out), np.nan, np.float32)
        logits_final = np.full_like(logits_init, np.nan)
    else:
        predictions = (centred_test(p).astype(np.float32) if test is not None
                       else np.zeros((0, cfg.n_out), np.float32))
        logits_final = logits_of(p)
    return TrainResult(loss, times, test_loss, move, logits_init, logits_final, predictions, lr, diverged)
