"""One-pass capacity curves: the errors of every nested prefix of one pattern set (issue 6).

The descending search of spec §4.1 draws a fresh pattern set for every P it tries and evaluates each
from scratch, ``O(N P^2)`` per probe.  Here one set ``xi^0 .. xi^{Pmax-1}`` is drawn and the
teacher-forced errors of *every* prefix ``P = 1 .. Pmax`` (the set ``xi^0 .. xi^{P-1}`` with its own
periodic successor) come out of one ``O(N Pmax^2)`` pass.

Algorithm
---------
For a state ``xi^nu`` the field of prefix P is a prefix sum over the patterns (spec §1, §2.3):

- auto form:      ``h_i(nu, P) = sum_{mu < P} xi_i^mu f(R_i^mu)``, target ``xi^nu``;
- sequence form:  ``h_i(nu, P) = C_i(nu, P-1) + xi_i^0 f(R_i^{P-1})`` with the running sum
  ``C_i(nu, K) = sum_{mu < K} xi_i^{mu+1} f(R_i^mu)``; the last term is the wrap-around
  correction (pattern ``P-1`` of the prefix points back to ``xi^0``, not to ``xi^P``), and the
  target is ``xi^{nu+1}`` for ``nu < P-1`` and ``xi^0`` for ``nu = P-1``.

``R_i^mu = g^mu - xi_i^mu xi_i^nu`` is the self-excluded raw overlap (``g^mu`` itself for the
included overlap), so ``f`` is read from a table of its ``2N+1`` values.  Walking ``mu`` upwards
and checking the field after each step gives every prefix's errors for that state; the states are
independent (``prange`` in the Numba kernel of :mod:`amsim.engine.prefix_kernels`).

Exactness (the engine's sign contract, ties included)
-----------------------------------------------------
The table holds ``R^d`` (polynomial, a positive factor ``norm^d`` dropped) or ``exp(R - norm)``
(exponential, the self term is exactly 1, so nothing overflows).  When every partial sum is an
integer below ``2^53`` (polynomial, ``Pmax * max|R|^d <= 2^53``) float64 is exact in any order and
a tie is ``h == 0``.  Otherwise each field carries the rigorous bound of
:meth:`amsim.engine.separation.Separation.error_bound` (``2 (units u M + units TINY)``,
``units = 2P + 8 + rel_err``, ``M`` the prefix's sum of ``max|f|``); a field within its bound is
*ambiguous*, and that (state, prefix) is recomputed by the exact field core of
:mod:`amsim.engine.fields`.  The result therefore equals :func:`amsim.engine.measures.transition_errors`
on every prefix, bit for bit (tests/test_prefix.py checks it against that brute force).

Scopes (which transitions of prefix P are scored, :mod:`amsim.engine.protocols`)
-------------------------------------------------------------------------------
``all`` and ``cycle``: states ``nu < P`` (a serial cycle from ``xi^0`` is correct iff every
teacher-forced transition is, under the ``error`` tie policy); ``open``: ``nu < P-1`` (no
wrap-around transition; the field still has the wrap-around term); ``first``: ``nu = 0``.  For an
auto-form model ``cycle`` and ``open`` mean every pattern (``all``).

Statistics of nested prefixes
-----------------------------
Each prefix *is* a set of P i.i.d. patterns, so the errors at any single P have exactly the law of
a fresh draw: the fraction of nested sets that succeed at P is an unbiased estimate of ``p(P)``.
Prefixes of one set are strongly positively correlated across P, though, and a descending search run
on them (:func:`amsim.engine.protocols.nested_descending_search`) finds, for a monotone realisation,
the largest successful P of that one set, with ``Pr[capacity >= P] ~ p(P)``; with fresh draws every
probe is another chance to succeed, ``Pr[capacity >= P] = 1 - prod_{probes P_j >= P}(1 - p(P_j))``,
so fresh-draw capacities are stochastically larger by about the width of the transition region of
``p(P)``, which shrinks relative to P as N grows.
"""

from __future__ import annotations

import numpy as np

from amsim.engine.memory import require
from amsim.engine.separation import EPS, TINY, Exponential, Polynomial, bound_units
from amsim.errors import AmsimError
from amsim.models.base import BinaryModel

#: scope -> code used by the kernels: which states a prefix scores
SCOPE_CODES = {"all": 0, "cycle": 0, "open": 1, "first": 2}
#: elements of one block of the overlap matrix ``g`` (bounds that block's memory)
BLOCK_ELEMENTS = 1 << 22
#: states of the first witness batch of :meth:`PrefixPass.success` (the batches double)
WITNESS_BATCH = 16


def unsupported_reason(model: BinaryModel) -> str | None:
    """Why nested prefixes cannot be evaluated in one pass for ``model`` (None if they can).

    The pass needs a field that is one Hebbian sum over patterns with targets ``xi^mu`` or
    ``xi^{mu+1}``: Hopfield, SeqNet and the polynomial and exponential DenseNet.  The pseudoinverse
    rule couples every pattern to every other (a prefix's field is not a prefix sum), and MixedNet,
    delay kernels and the two-layer network are not implemented here.
    """
    from amsim.models.densenet import DenseNet

    if not isinstance(model, DenseNet):
        return f"the one-pass prefix curve supports the Hebbian DenseNet family, not {model.name}"
    if model.rule != "hebbian":
        return "the pseudoinverse (GPI) field of a prefix is not a prefix sum; use fresh draws"
    return None


def value_table(model, n: int, p_max: int) -> tuple[np.ndarray, bool]:
    """``(table, exact)``: float64 ``f`` at raw overlaps ``-N-1..N+1`` (index ``raw + N + 1``; the
    candidates ``g -+ 1`` of the two-value form reach one past ``+-N``), up to a positive constant,
    and whether every prefix sum of ``p_max`` such terms is exact in float64."""
    raw = range(-n - 1, n + 2)
    if isinstance(model.separation, Polynomial):
        d = model.separation.d
        exact = p_max * (n + 1) ** d <= 2**53
        return np.array([float(r**d) for r in raw]), exact
    if isinstance(model.separation, Exponential):
        norm = n - 1 if model.overlap == "excluded" else n
        return model.separation.values(np.arange(-n - 1, n + 2, dtype=np.float64), norm, float(norm)), False
    raise AmsimError(f"no prefix table for the separation {model.separation.label}")


def prefix_bytes(n_sets: int, p_max: int, n: int) -> int:
    """Peak bytes of :func:`prefix_errors` / :func:`prefix_success`: the int8 patterns, float copies
    of one set (float32 for the overlaps, three float64 rows per pattern in the Numba kernel, about
    six float64 ``(Pmax, N)`` temporaries per state in the reference), one block of int32 overlaps
    and int32 error / ambiguity rows, and the int64 result."""
    rows = max(1, min(p_max, BLOCK_ELEMENTS // max(1, p_max)))
    return n_sets * p_max * n + 52 * p_max * n + 12 * rows * p_max + 8 * n_sets * p_max


def effective_scope(model, scope: str) -> str:
    """The scope as scored: an auto-form model's ``cycle`` and ``open`` mean every pattern."""
    if scope not in SCOPE_CODES:
        raise AmsimError(f"scope must be one of {', '.join(SCOPE_CODES)}, got {scope!r}")
    return "all" if model.form == "auto" and scope != "first" else scope


def scored_states(scope: str, p_max: int) -> np.ndarray:
    """int64: the states ``nu`` that some prefix ``P <= p_max`` scores."""
    code = SCOPE_CODES[scope]
    return np.arange(1 if code == 2 else max(0, p_max - 1 if code == 1 else p_max))


def scored_prefixes(nu: int, p_max: int, scope_code: int) -> np.ndarray:
    """bool (Pmax,): which prefixes ``P = mu + 1`` score state ``nu`` (see the module docstring)."""
    mu = np.arange(p_max)
    if scope_code == 2:
        return np.full(p_max, nu == 0)
    return mu > nu if scope_code == 1 else mu >= nu


def state_curve_numpy(pats, g_row, table, nu, check, sequence, excluded, scope_code, exact, rel_err):
    """Reference for one state ``xi^nu``: ``(wrong, ambiguous)`` int32 ``(Pmax,)``; entry ``P-1``
    counts the wrong (resp. undecided) bits of this state's transition in prefix P, where
    ``check[P-1]`` and the scope score it (0 elsewhere).

    ``pats`` int8 (Pmax, N); ``g_row`` int (Pmax,) the full overlaps ``xi^nu . xi^mu``.
    """
    p_max, n = pats.shape
    same = pats * pats[nu] > 0  # xi_i^mu xi_i^nu = +1: R = g - 1
    if excluded:
        f_same, f_diff = table[g_row + n], table[g_row + n + 2]
        values = np.where(same, f_same[:, None], f_diff[:, None])
        mass = np.cumsum(np.maximum(np.abs(f_same), np.abs(f_diff)))
    else:
        values = np.broadcast_to(table[g_row + n + 1][:, None], (p_max, n))
        mass = np.cumsum(np.abs(table[g_row + n + 1]))
    if sequence:
        running = np.zeros((p_max, n))
        running[1:] = np.cumsum(pats[1:] * values[:-1], axis=0)  # C(nu, P-1) for P = 1..Pmax
        field = running + pats[0] * values  # the wrap-around term of prefix P
        targets = np.where((np.arange(p_max) > nu)[:, None], pats[(nu + 1) % p_max], pats[0])
    else:
        field = np.cumsum(pats * values, axis=0)
        targets = np.broadcast_to(pats[nu], (p_max, n))
    if exact:
        ambiguous = np.zeros((p_max, n), bool)
    else:
        bound = 2.0 * bound_units(np.arange(1, p_max + 1), rel_err) * (EPS * mass + TINY)
        ambiguous = np.abs(field) <= bound[:, None]
    wrong = ~ambiguous & (field * targets <= 0)  # a tie (h = 0) is an error
    scored = scored_prefixes(nu, p_max, scope_code) & check
    return (np.where(scored, wrong.sum(1), 0).astype(np.int32),
            np.where(scored, ambiguous.sum(1), 0).astype(np.int32))


def numpy_block(pats, table, block, check, sequence, excluded, scope_code, exact, rel_err):
    """The reference kernel: :func:`state_curve_numpy` for each state of ``block`` (int64)."""
    floats = pats.astype(np.float32)
    g = (floats[block] @ floats.T).astype(np.int64)  # exact: |g| <= N < 2^24
    wrong = np.zeros((len(block), pats.shape[0]), np.int32)
    ambiguous = np.zeros_like(wrong)
    for k, nu in enumerate(block):
        wrong[k], ambiguous[k] = state_curve_numpy(pats, g[k], table, int(nu), check, sequence, excluded,
                                                   scope_code, exact, rel_err)
    return wrong, ambiguous


def _numba_block():
    """The Numba kernel, imported lazily (numba is optional); the reference if numba is missing."""
    try:
        from amsim.engine.prefix_kernels import prefix_block
    except ImportError:
        return numpy_block
    return prefix_block


class PrefixPass:
    """The one-pass machinery for one pattern set ``pats`` int8 ``(Pmax, N)`` and one model/scope.

    ``backend`` ``numpy`` selects the reference kernel; any other the Numba kernel (when numba is
    installed).  The exact fallback uses that backend's field core.
    """

    def __init__(self, model, pats: np.ndarray, scope: str, backend):
        from amsim.engine.backends import get_backend

        reason = unsupported_reason(model)
        if reason:
            raise AmsimError(reason)
        self.model, self.pats = model, np.ascontiguousarray(pats, np.int8)
        self.scope = effective_scope(model, scope)
        self.impl = get_backend(backend) if isinstance(backend, str) else backend
        self.kernel = numpy_block if self.impl.name == "numpy" else _numba_block()
        p_max, n = self.pats.shape
        require(prefix_bytes(1, p_max, n), f"the prefix curve of P={p_max}, N={n}")
        self.table, self.exact = value_table(model, n, p_max)

    def block_errors(self, block: np.ndarray, top: int, check: np.ndarray) -> np.ndarray:
        """int32 ``(len(block), top)``: wrong bits of each state of ``block`` in every prefix
        ``P <= top`` that ``check`` (bool ``(top,)``) selects, exact (ambiguous entries recomputed)."""
        pats = self.pats[:top]
        flags = (self.model.form == "sequence", self.model.overlap == "excluded", SCOPE_CODES[self.scope],
                 self.exact, int(self.model.separation.rel_err))
        wrong, ambiguous = self.kernel(pats, self.table, block, check, *flags)
        for k, mu in zip(*np.nonzero(ambiguous)):
            wrong[k, mu] = exact_state_errors(self.model, pats, int(block[k]), int(mu) + 1, self.impl)
        return wrong

    def rows_per_block(self, top: int) -> int:
        return max(1, BLOCK_ELEMENTS // max(1, top))

    def errors(self) -> np.ndarray:
        """int64 (Pmax,): wrong bits of every prefix, summed over its scored states."""
        p_max = self.pats.shape[0]
        check = np.ones(p_max, bool)
        states = scored_states(self.scope, p_max)
        out = np.zeros(p_max, np.int64)
        rows = self.rows_per_block(p_max)
        for lo in range(0, len(states), rows):
            out += self.block_errors(states[lo : lo + rows], p_max, check).sum(0)
        return out

    def success(self, prefixes: np.ndarray) -> np.ndarray:
        """bool ``(len(prefixes),)``: whether each prefix P (``1 <= P <= Pmax``) has no error.

        Witness first: states are taken in increasing order (a small ``nu`` is scored by every
        prefix beyond it, so it can witness an error anywhere), in batches that double in size; a
        prefix with an error found is settled (failed), and the next batch only runs up to the
        largest unsettled prefix and checks only unsettled prefixes.  When every state below that
        prefix has been checked, the survivors passed.  The answer is exact (the batching only
        decides how soon failing prefixes are settled); the cost is about ``N P_top^2`` with
        ``P_top`` the largest passing prefix, instead of ``N Pmax^2``.
        """
        prefixes = np.asarray(prefixes, np.int64)
        alive = np.ones(len(prefixes), bool)
        done, batch = 0, WITNESS_BATCH
        while alive.any():
            top = int(prefixes[alive].max())
            block = scored_states(self.scope, top)[done : done + batch]
            if block.size == 0:
                break
            done += block.size
            live = np.flatnonzero(alive)
            check = np.zeros(top, bool)
            check[prefixes[live] - 1] = True
            failed = self.block_errors(block, top, check).sum(0) > 0
            alive[live] = ~failed[prefixes[live] - 1]
            batch = min(2 * batch, self.rows_per_block(top))
        return alive


def prefix_errors(model: BinaryModel, patterns: np.ndarray, scope: str = "all", backend="auto") -> np.ndarray:
    """Teacher-forced errors of every nested prefix, in one pass.

    Parameters
    ----------
    model : a Hebbian DenseNet-family model (:func:`unsupported_reason`)
    patterns : int8 (Pmax, N) or (S, Pmax, N), S independent sets
    scope : ``all``, ``cycle``, ``open`` or ``first`` (module docstring)
    backend : ``numpy`` runs the reference :func:`state_curve_numpy`; anything else (``numba``,
        ``auto``, ``cupy``) runs the Numba kernel when numba is installed.

    Returns
    -------
    int64 (Pmax,) or (S, Pmax): entry ``P-1`` is the number of wrong bits, summed over the scored
    states of prefix P; the prefix passes the event iff it is 0.  Equal, for every P, to the sum
    over those states of :func:`amsim.engine.measures.transition_errors` on ``patterns[..., :P, :]``.
    """
    pats3 = patterns[None] if patterns.ndim == 2 else patterns
    out = np.stack([PrefixPass(model, pats, scope, backend).errors() for pats in pats3])
    return out[0] if patterns.ndim == 2 else out


def prefix_success(model: BinaryModel, patterns: np.ndarray, prefixes, scope: str = "all",
                   backend="auto") -> np.ndarray:
    """bool ``(len(prefixes),)``: which prefixes P of ``patterns`` int8 ``(Pmax, N)`` pass the
    event (no wrong bit among the scope's transitions); :meth:`PrefixPass.success`."""
    return PrefixPass(model, patterns, scope, backend).success(prefixes)


def exact_state_errors(model, pats: np.ndarray, nu: int, n_prefix: int, backend) -> int:
    """Wrong bits of state ``xi^nu``'s transition in the prefix of ``n_prefix`` patterns, by the
    exact field core (ties count as errors)."""
    prefix = pats[None, :n_prefix]
    codes = model.field_signs([prefix[:, [nu]]], prefix, backend)
    return int((codes != model.targets(prefix)[:, [nu]]).sum())
