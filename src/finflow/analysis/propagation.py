"""Array kernels of the contagion models: threshold cascade, DebtRank (original and
linear), Eisenberg-Noe / Rogers-Veraart clearing.

These functions work on numpy arrays and ``scipy.sparse`` matrices over a fixed node
order and know nothing of networks, ids or equity rules; :mod:`finflow.analysis.contagion`
builds their inputs from a :class:`~finflow.model.Network`. Every kernel is vectorised
(sparse matrix-vector or matrix-block products); none loops over edges in Python.

Conventions shared by the kernels
---------------------------------
* ``E[i, j]`` = what ``i`` loses if ``j`` defaults (LGD-weighted exposure).
* ``cap[i]`` = ``i``'s capital (book equity), ``>= 0``; ``NaN`` marks an entity that
  carries no relative loss (external or skipped): its row is ignored.
* ``s[i]`` = initial relative loss (shock fraction), ``forced[i]`` = the entity defaults
  at the start whatever its capital.
* Comparisons with 1 (or with equity) allow a relative tolerance of :data:`TOL` for
  floating-point rounding.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.csgraph as csgraph
import scipy.sparse.linalg as spla

from ..errors import FinflowError

__all__ = [
    "TOL",
    "reaches",
    "cascade_kernel",
    "debtrank_kernel",
    "linear_debtrank_fixed_point",
    "FixedPoint",
    "linear_dynamics_rounds",
    "clearing_vector",
    "Clearing",
    "solve_linear",
    "solve_resolvent",
]

log = logging.getLogger(__name__)

#: relative tolerance of the comparisons "loss reaches equity", "h reaches 1", "income
#: covers obligations" (floating-point rounding only; far below any economic figure)
TOL = 1e-12

#: systems up to this many unknowns are solved by sparse LU; larger ones by GMRES
DIRECT_LIMIT = 3000
#: GMRES restarts (of 60 iterations) before a solve counts as failed
GMRES_RESTARTS = 10


def _is_default(pressure: np.ndarray, rule: str) -> np.ndarray:
    """``pressure`` = loss / capital (uncapped); defaulted under ``>=`` or ``>``."""
    if rule == ">=":
        return pressure >= 1.0 - TOL
    if rule == ">":
        return pressure > 1.0 + TOL
    raise FinflowError(f"default rule must be '>=' or '>', not {rule!r}")


def reaches(adjacency: sp.csr_array, sources: np.ndarray) -> np.ndarray:
    """Nodes from which a directed path ``i -> ... -> t`` along the nonzeros of
    ``adjacency`` (``adjacency[i, j] != 0`` is an edge ``i -> j``) leads to a source
    ``t``; sources reach themselves.

    Breadth-first search from a super-node over the reversed graph: O(n + nnz).

    >>> A = sp.csr_array(np.array([[0, 1, 0], [0, 0, 0], [0, 0, 0]]))
    >>> reaches(A, np.array([False, True, False])).tolist()
    [True, True, False]
    """
    n = adjacency.shape[0]
    sources = np.asarray(sources, dtype=bool)
    if not sources.any():
        return np.zeros(n, dtype=bool)
    # the reversed graph (edge t -> i when i is exposed to t) is the CSC form of the
    # adjacency read as CSR; one more row, the super-node n, points to every source
    rev = sp.csc_array(adjacency)
    src = np.flatnonzero(sources)
    indptr = np.concatenate([rev.indptr, [rev.indptr[-1] + len(src)]])
    indices = np.concatenate([rev.indices, src])
    aug = sp.csr_array((np.ones(len(indices)), indices, indptr), shape=(n + 1, n + 1))
    order = csgraph.breadth_first_order(aug, n, directed=True, return_predecessors=False)
    out = np.zeros(n + 1, dtype=bool)
    out[order] = True
    return out[:n]


# ---------------------------------------------------------------------------------------
# threshold cascade
# ---------------------------------------------------------------------------------------
def cascade_kernel(E: sp.csr_array, cap: np.ndarray, base: np.ndarray, forced: np.ndarray,
                   rule: str = ">=", *, path: bool = False):
    """Threshold cascade (Furfine 2003; Gai and Kapadia 2010) on arrays.

    Round 0 defaults: the ``forced`` entities and those whose initial loss ``base``
    (an amount, e.g. shock fraction x equity) meets the rule. At round t every modelled
    entity's loss is ``base_i + sum_{j defaulted} E[i, j]``; it defaults when loss >= cap (``>=``)
    or loss > cap (``>``), and a positive loss is needed (an entity with zero capital and
    no loss does not default).

    Returns ``(loss, defaulted, round, rounds[, path])``: uncapped losses (NaN-capital
    rows get their loss amount too), the default mask, the round of default (-1 = never),
    the number of rounds with new defaults, and optionally the list of loss vectors after
    each round (for the "losses never fall" invariant).
    """
    n = len(cap)
    modelled = np.isfinite(cap)
    capz = np.where(modelled, cap, np.inf)
    base = np.nan_to_num(np.asarray(base, dtype=float), nan=0.0)
    d = forced.copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.where(base > 0, base / capz, 0.0)
    d |= modelled & (base > 0) & _is_default(p0, rule)
    rnd = np.where(d, 0, -1)
    loss = base + E @ d.astype(float)
    history = [loss.copy()]
    t = 0
    while True:
        with np.errstate(divide="ignore", invalid="ignore"):
            pressure = np.where(loss > 0, loss / capz, 0.0)
        new = modelled & ~d & (loss > 0) & _is_default(pressure, rule)
        if not new.any():
            break
        t += 1
        d |= new
        rnd[new] = t
        loss = loss + E @ new.astype(float)
        history.append(loss.copy())
    out = (loss, d, rnd, t)
    return out + (history,) if path else out


# ---------------------------------------------------------------------------------------
# DebtRank, original (Battiston et al. 2012)
# ---------------------------------------------------------------------------------------
def impact_matrix(E: sp.csr_array, cap: np.ndarray, propagating: np.ndarray, *,
                  capped: bool) -> sp.csr_array:
    """``W[i, j] = E[i, j] / cap_i`` (``min(1, .)`` when ``capped``) for modelled rows
    ``i`` (finite capital) and propagating columns ``j``; zero capital: any positive
    exposure gives ``W = 1`` (capped) or ``inf`` (linear; see
    :func:`linear_debtrank_fixed_point`)."""
    E = sp.csr_array(E, copy=True)
    E.sum_duplicates()
    modelled = np.isfinite(cap)
    rows = np.repeat(np.arange(E.shape[0]), np.diff(E.indptr))
    keep = modelled[rows] & propagating[E.indices] & (E.data > 0)
    c = np.where(modelled, cap, 1.0)[rows]
    with np.errstate(divide="ignore", over="ignore"):  # tiny equity: huge leverage
        w = np.where(c > 0, E.data / np.where(c > 0, c, 1.0), np.inf)
    if capped:
        w = np.minimum(1.0, w)
    w = np.where(keep, w, 0.0)
    W = sp.csr_array((w, E.indices.copy(), E.indptr.copy()), shape=E.shape)
    W.eliminate_zeros()
    return W


def debtrank_kernel(W: sp.csr_array, s: np.ndarray, forced: np.ndarray, rule: str = ">=",
                    *, zero_cap: np.ndarray | None = None, path: bool = False):
    """Original DebtRank (Battiston et al. 2012) on arrays.

    ``W`` = impact matrix ``min(1, E / cap)``. States undistressed / distressed /
    inactive; ``h(0) = s`` (forced entities: 1); every node with ``h > 0`` starts
    distressed. Each step
    ``h_i(t) = min(1, h_i(t-1) + sum_{j distressed at t-1} W[i, j] h_j(t-1))`` for every
    node ``i`` (inactive ones included); the nodes distressed at ``t-1`` become inactive,
    nodes with ``h > 0`` that are not inactive become distressed; stop when none is
    distressed. Each node propagates once.

    Returns ``(h, u, defaulted, round, steps[, path])`` where ``u`` is the uncapped
    relative loss (``h = min(1, u)``), used for the default rule. Rows of ``zero_cap``
    nodes (no capital) turn ``u`` infinite as soon as a distressed node they are exposed
    to passes on a positive loss.
    """
    zc = np.zeros(len(s), dtype=bool) if zero_cap is None else np.asarray(zero_cap, bool)
    if zc.any():
        W, pattern = _split_zero_capital(W, zc)
    u = np.where(forced, np.maximum(s, 1.0), s).astype(float)
    h = np.minimum(1.0, u)
    distressed = h > 0
    inactive = np.zeros(len(h), dtype=bool)
    defaulted = forced | _is_default(u, rule) & (u > 0)
    rnd = np.where(defaulted, 0, -1)
    history = [h.copy()]
    t = 0
    while distressed.any():
        t += 1
        push = np.where(distressed, h, 0.0)
        u = u + W @ push
        if zc.any():
            u = np.where(zc & ((pattern @ (push > 0).astype(float)) > 0), np.inf, u)
        h = np.minimum(1.0, u)
        inactive |= distressed
        distressed = (h > 0) & ~inactive
        new = ~defaulted & (u > 0) & _is_default(u, rule)
        defaulted |= new
        rnd[new] = t
        history.append(h.copy())
    h = np.where(h >= 1.0 - TOL, 1.0, h)
    out = (h, u, defaulted, rnd, t)
    return out + (history,) if path else out


# ---------------------------------------------------------------------------------------
# linear systems
# ---------------------------------------------------------------------------------------
def solve_linear(A: sp.csr_array, b: np.ndarray) -> np.ndarray | None:
    """Solve ``A x = b``: sparse LU up to :data:`DIRECT_LIMIT` unknowns, else restarted
    GMRES to a relative residual of 1e-14. Returns None when the solve fails (singular
    or no convergence); the residual is checked either way."""
    n = A.shape[0]
    if n == 0:
        return np.zeros(0)
    A = sp.csc_array(A)
    bnorm = float(np.abs(b).max()) if len(b) else 0.0
    if bnorm == 0.0:
        return np.zeros(n)
    try:
        if n <= DIRECT_LIMIT:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter("error", spla.MatrixRankWarning)
                x = spla.splu(A).solve(b)
        else:
            x, info = spla.gmres(A, b, rtol=1e-14, atol=0.0, restart=60, maxiter=GMRES_RESTARTS)
            if info != 0:
                log.info("GMRES stopped (info %s); refining", info)
    except (RuntimeError, spla.MatrixRankWarning, ValueError):
        return None
    if not np.all(np.isfinite(x)):
        return None
    r = b - A @ x
    scale = bnorm + float(np.abs(x).max())
    for _ in range(3):                       # iterative refinement when needed
        if float(np.abs(r).max()) <= 1e-12 * scale:
            return x
        if n <= DIRECT_LIMIT:
            dx = spla.splu(A).solve(r)
        else:
            dx, _ = spla.gmres(A, r, rtol=1e-14, atol=0.0, restart=60, maxiter=GMRES_RESTARTS)
        x = x + dx
        r = b - A @ x
    return x if float(np.abs(r).max()) <= 1e-9 * scale else None


#: relative residual at which the Neumann iteration of :func:`solve_resolvent` stops
NEUMANN_RTOL = 1e-13
#: Neumann steps before :func:`solve_resolvent` hands the system to :func:`solve_linear`
NEUMANN_MAX = 2000


def solve_resolvent(N: sp.csr_array, b: np.ndarray, x0: np.ndarray | None = None
                    ) -> np.ndarray | None:
    """Solve ``(I - N) x = b`` for a nonnegative ``N`` (the systems of linear DebtRank
    and of Eisenberg-Noe clearing).

    Up to :data:`DIRECT_LIMIT` unknowns: :func:`solve_linear` (sparse LU). Beyond, the
    Neumann (Jacobi) iteration ``x <- b + N x`` from ``x0`` (default 0), which converges
    to the solution whenever ``rho(N) < 1`` and costs one sparse mat-vec a step; it
    stops when the residual ``max |b + N x - x|`` is at most :data:`NEUMANN_RTOL` x
    (``max |b| + max |x|``) and the answer passes the residual check of
    :func:`solve_linear` (1e-12 relative). When the increments stop shrinking (``rho``
    near or above 1, where a solution may have negative entries) or after
    :data:`NEUMANN_MAX` steps, the system goes to :func:`solve_linear` (GMRES), so the
    answer, or the failure, is the same as solving it directly.

    References
    ----------
    Y. Saad (2003), *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM,
    section 4.1 (Jacobi iteration; convergence iff the spectral radius is below 1).
    """
    n = N.shape[0]
    b = np.asarray(b, dtype=float)
    if n <= DIRECT_LIMIT:
        return solve_linear(sp.identity(n, format="csr") - N, b)
    N = sp.csr_array(N)
    x = np.zeros(n) if x0 is None else np.array(x0, dtype=float)
    bnorm = float(np.abs(b).max()) if n else 0.0
    prev = np.inf
    slow = 0
    for _ in range(NEUMANN_MAX):
        nxt = b + N @ x
        inc = float(np.abs(nxt - x).max())
        x = nxt
        scale = bnorm + float(np.abs(x).max())
        if not np.isfinite(scale):
            break
        if inc <= NEUMANN_RTOL * scale:
            r = b - x + N @ x
            if float(np.abs(r).max()) <= 1e-12 * scale:
                return x
            break
        slow = slow + 1 if inc >= 0.99 * prev else 0
        if slow >= 20:                      # not contracting: rho(N) near or above 1
            break
        prev = inc
    return solve_linear(sp.identity(n, format="csr") - N, b)


# ---------------------------------------------------------------------------------------
# linear DebtRank (Bardoscia et al. 2015): exact least fixed point
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FixedPoint:
    """The least fixed point of ``y = min(1, s + Lambda y)`` and how it was found."""

    y: np.ndarray
    pressure: np.ndarray       #: s + Lambda y, uncapped (for the default rule)
    iterations: int            #: capped dynamics steps taken
    solves: int                #: linear solves
    method: str                #: which steps settled it


def linear_debtrank_fixed_point(Lam: sp.csr_array, s: np.ndarray, *,
                                zero_cap: np.ndarray | None = None,
                                max_iter: int = 10_000,
                                lower: np.ndarray | None = None) -> FixedPoint:
    """Exact limit of linear DebtRank: the least fixed point of ``y = min(1, s + Lam y)``.

    Parameters
    ----------
    Lam : sparse (n, n), nonnegative
        Leverage matrix ``E[i, j] / cap_i`` (rows of zero-capital nodes: any pattern;
        mark them in ``zero_cap``).
    s : array (n,)
        Initial relative losses in [0, 1].
    zero_cap : bool array (n,), optional
        Nodes with zero capital: ``Lam`` is infinite on their positive entries, so they
        saturate as soon as a counterparty they are exposed to has a positive loss.
    max_iter : int
        Budget of capped-dynamics steps (phase b below) before the always-exact
        fallback (phase c).
    lower : array (n,), optional
        A known lower bound of the answer (e.g. an iterate of the dynamics): a warm
        start. Must not exceed the least fixed point.

    Returns
    -------
    FixedPoint

    Notes
    -----
    The linear DebtRank dynamics ``h(t+1) = min(1, h(t) + Lam (h(t) - h(t-1)))``,
    ``h(0) = s``, ``h(-1) = 0`` coincide step by step with the Picard iteration
    ``y <- min(1, s + Lam y)`` from 0 (by induction: an unsaturated node's increment is
    ``Lam`` times the previous increment, a saturated node stays at 1), so their limit
    is the *least* fixed point ``y*`` of the monotone map ``Phi(y) = min(1, s + Lam y)``
    (Kleene). Iterating to a tolerance can stop far from it when the spectral radius of
    ``Lam`` is near 1 (``docs/worked_examples.md`` section 3.4), so ``y*`` is found by
    linear solves:

    0. Restrict to the set R of nodes from which an exposure path leads to a shocked
       node: ``y* = 0`` outside R. On R the fixed point is *unique*: if ``y** >= y*``
       were another, ``d = y** - y*`` would satisfy ``0 <= d <= Lam d`` on the
       unsaturated set ``U* = {y* < 1}``, whose submatrix has spectral radius < 1 (next
       point), forcing ``d = 0``.
    a. Let S be the nodes the current lower bound (an iterate) has at 1, so ``y*_S = 1``
       for sure, and ``U = R \\ S``. Solve ``(I - Lam_UU) x = s_U + Lam_US 1``. Every
       node of U reaches, inside U, a node with a positive right-hand side, so a
       nonnegative solution forces ``rho(Lam_UU) < 1`` (scale by ``diag(x) > 0``: a
       substochastic matrix leaking from every class). If ``0 <= x <= 1`` then
       ``z = (x, 1_S)`` is a fixed point, ``y* <= z``, and on U
       ``(I - Lam_UU)(x - y*_U) = 0`` (or 0 <= d <= Lam_UU d where y* saturates), so
       ``x = y*_U`` exactly. This is the answer.
    b. If the solve fails or has a negative entry, ``rho(Lam_UU) >= 1`` and some node of
       U must saturate: run the capped dynamics (vectorised mat-vec) from the lower
       bound until a new node reaches 1, then go to (a).
    c. If ``x >= 0`` but some ``x_i > 1`` (the naive "saturate every node above 1" is
       wrong here: a node can be pushed above 1 only by a neighbour's excess), then
       ``z = min(1, (x, 1_S))`` is a *supersolution* (``Phi(z) <= z``) above ``y*``, and
       the fictitious-default iteration from above finishes exactly: ``D = {s + Lam z <
       1}``, solve on D with the rest at 1, repeat until D stops changing. D only grows
       and stays inside ``{y* < 1}``, so every solve has ``rho < 1`` and a nonnegative
       inverse; at the end z is a fixed point above ``y*``, hence ``y*`` by uniqueness.
       The same iteration from ``z = 1`` is the fallback when (b) exceeds ``max_iter``.

    Linear solves use sparse LU up to 3,000 unknowns and GMRES to a relative residual of
    1e-14 beyond (:func:`solve_linear`). Cost: a few solves on typical shocks.

    Examples
    --------
    The counterexample to "saturate every node whose solution is >= 1": i is exposed to
    j (0.95), j to k (1); s = (0, 0.5, 0.6). The linear solution is (1.045, 1.1, 0.6),
    but only j saturates:

    >>> Lam = sp.csr_array(np.array([[0, .95, 0], [0, 0, 1.], [0, 0, 0]]))
    >>> fp = linear_debtrank_fixed_point(Lam, np.array([0, .5, .6]))
    >>> np.round(fp.y, 12).tolist()
    [0.95, 1.0, 0.6]

    References
    ----------
    Bardoscia, Battiston, Caccioli, Caldarelli (2015), "DebtRank: A microscopic
    foundation for shock propagation", PLoS ONE 10(6): e0130406.
    """
    n = len(s)
    s0 = np.clip(np.asarray(s, dtype=float), 0.0, 1.0)
    Lam = sp.csr_array(Lam)
    zc = np.zeros(n, dtype=bool) if zero_cap is None else np.asarray(zero_cap, dtype=bool)
    y = np.zeros(n)
    R = reaches(Lam, s0 > 0)
    if not R.any():
        return FixedPoint(y, s0.copy(), 0, 0, "no shock")
    Lam, s = _absorb_zero_capital(Lam, s0, zc, R)
    idx = np.flatnonzero(R)
    L = Lam[idx][:, idx].tocsr()
    sR = s[idx]
    lower = sR.copy() if lower is None else np.maximum(sR, np.clip(lower[idx], 0.0, 1.0))
    iterations = solves = 0
    method = []

    def from_above(z):
        nonlocal solves
        D_prev = None
        while True:
            v = sR + L @ z
            D = v < 1.0 - TOL
            if D_prev is not None and np.array_equal(D, D_prev):
                return z
            S_ = ~D
            LD = L[D]
            b = sR[D] + LD[:, S_] @ np.ones(int(S_.sum()))
            x = solve_resolvent(LD[:, D], b)
            solves += 1
            if x is None:
                raise FinflowError("linear DebtRank: a linear solve failed in the "
                                   "fictitious-default iteration (ill-conditioned system)")
            z = np.ones(len(sR))
            z[D] = np.clip(x, 0.0, 1.0)
            D_prev = D

    def step(v):
        nxt = np.maximum(v, np.minimum(1.0, sR + L @ v))
        return np.where(nxt >= 1.0 - TOL, 1.0, nxt)

    shrinking = 0                  # consecutive steps whose increment shrank
    quiet = 0                      # steps since the saturated set last grew
    prev_inc = np.inf
    must_grow = False              # a solve failed: some node must saturate first
    yR = None
    inc = np.inf
    while yR is None:
        S = lower >= 1.0
        # (b) capped dynamics while the saturated set grows or the increments do not
        # shrink (a solve is worth trying only on a contracting remainder)
        while iterations < max_iter:
            nxt = step(lower)
            iterations += 1
            inc = float(np.max(nxt - lower)) if len(nxt) else 0.0
            grew = bool(np.any((nxt >= 1.0) & ~S))
            lower = nxt
            if inc == 0.0:
                break
            if grew:
                S = lower >= 1.0
                quiet, must_grow, shrinking = 0, False, 0
                prev_inc = inc
                continue
            quiet += 1
            shrinking = shrinking + 1 if inc < 0.9 * prev_inc else 0
            prev_inc = inc
            if not must_grow and quiet >= 4 and shrinking >= 3:
                break
        else:
            yR = from_above(np.ones(len(sR)))
            method.append("fictitious default from above (fallback)")
            break
        U = ~S
        if not U.any():
            yR = np.ones(len(sR))
            method.append("all saturated")
            break
        if must_grow and inc == 0.0:
            # the iterate is a fixed point in floating point although the solve failed
            # (ill-conditioned): reached from below, it is the least fixed point
            yR = lower
            method.append("dynamics to a floating-point fixed point")
            break
        # (a) solve on the unsaturated set
        LU = L[U]
        b = sR[U] + LU[:, S] @ np.ones(int(S.sum()))
        # from the iterate below (a subsolution): the Neumann steps continue the dynamics
        x = solve_resolvent(LU[:, U], b, x0=lower[U])
        solves += 1
        if x is not None and x.min() >= -TOL * max(1.0, float(np.abs(x).max())):
            if x.max() <= 1.0 + TOL:                            # exact answer
                yR = np.ones(len(sR))
                yR[U] = np.clip(x, 0.0, 1.0)
                method.append("solve")
                break
            z = np.ones(len(sR))                                # (c) supersolution
            z[U] = np.minimum(1.0, x)
            yR = from_above(z)
            method.append("solve, then fictitious default from above")
            break
        must_grow = True                                        # back to (b)
        method.append("dynamics")
    y[idx] = yR
    y = np.where(y >= 1.0 - TOL, 1.0, y)
    p = s + Lam @ y
    p = np.where(zc & (s >= 1) & (s0 < 1), np.inf, p)
    return FixedPoint(y, p, iterations, solves, ", ".join(dict.fromkeys(method)))


def _split_zero_capital(Lam: sp.csr_array, zc: np.ndarray) -> tuple[sp.csr_array, sp.csr_array]:
    """(Lam with the rows of zero-capital nodes emptied, 0/1 pattern of those rows)."""
    Lam = sp.csr_array(Lam, copy=True)
    rows = np.repeat(np.arange(Lam.shape[0]), np.diff(Lam.indptr))
    zrow = zc[rows]
    pattern = sp.csr_array((zrow.astype(float), Lam.indices.copy(), Lam.indptr.copy()),
                           shape=Lam.shape)
    pattern.eliminate_zeros()
    Lam.data[zrow] = 0.0
    Lam.eliminate_zeros()
    return Lam, pattern


def _absorb_zero_capital(Lam: sp.csr_array, s: np.ndarray, zc: np.ndarray,
                         R: np.ndarray) -> tuple[sp.csr_array, np.ndarray]:
    """An equivalent problem without infinite leverage: every node of R ends with a
    positive loss, so a zero-capital node exposed to a node of R saturates (``s = 1``);
    the rows of zero-capital nodes are then emptied (their values are fixed)."""
    s = s.copy()
    if not zc.any():
        return Lam, s
    Lam, pattern = _split_zero_capital(Lam, zc)
    s[zc & R & ((pattern @ R.astype(float)) > 0)] = 1.0
    return Lam, s


def linear_dynamics_rounds(Lam: sp.csr_array, s: np.ndarray, target: np.ndarray,
                           zero_cap: np.ndarray | None = None,
                           max_rounds: int = 1000) -> np.ndarray:
    """Step of the linear DebtRank dynamics at which each ``target`` node first reaches
    1 (-1 when it does not within ``max_rounds`` steps, e.g. when it reaches 1 only in
    the limit); shocked nodes at 1 have step 0. Vectorised: one mat-vec per step."""
    n = len(s)
    zc = np.zeros(n, dtype=bool) if zero_cap is None else np.asarray(zero_cap, dtype=bool)
    Lfin, pattern = _split_zero_capital(Lam, zc) if zc.any() else (sp.csr_array(Lam), None)
    rnd = np.full(n, -1)
    h = np.clip(s, 0, 1).astype(float)
    rnd[h >= 1.0 - TOL] = 0
    todo = target & (rnd < 0)
    t = 0
    while todo.any() and t < max_rounds:
        t += 1
        p = np.minimum(1.0, s + Lfin @ h)
        if zc.any():
            p = np.where(zc & ((pattern @ (h > 0).astype(float)) > 0), 1.0, p)
        nxt = np.maximum(h, p)
        hit = todo & (nxt >= 1.0 - TOL)
        rnd[hit] = t
        todo &= ~hit
        if np.array_equal(nxt, h):
            break
        h = nxt
    return rnd


# ---------------------------------------------------------------------------------------
# Eisenberg-Noe / Rogers-Veraart clearing
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Clearing:
    """The greatest clearing vector and how it was reached."""

    payments: np.ndarray       #: p_i
    obligations: np.ndarray    #: pbar_i (in-network + outside debt paid pari passu)
    received: np.ndarray       #: sum_j Pi[j, i] p_j (in-network inflows)
    paid_outside: np.ndarray   #: p_i * b_i / pbar_i
    insolvent: np.ndarray      #: bool
    round: np.ndarray          #: round of default (1-based; -1 never)
    rounds: int


def clearing_vector(L: sp.csr_array, e: np.ndarray, *, outside: np.ndarray | None = None,
                    alpha: float = 1.0, beta: float = 1.0,
                    never_default: np.ndarray | None = None) -> Clearing:
    """Greatest clearing vector of Eisenberg and Noe (2001), with the default costs of
    Rogers and Veraart (2013) when ``alpha`` or ``beta`` < 1.

    Parameters
    ----------
    L : sparse (n, n)
        ``L[i, j]`` = nominal amount ``i`` owes ``j``.
    e : array (n,)
        External assets, ``>= 0`` (``inf`` for an entity that always pays).
    outside : array (n,), optional
        Outside debt ``b_i``, part of the obligations and paid pari passu with ``L``
        (the share ``b_i / pbar_i`` of every payment leaves the network).
    alpha, beta : float in [0, 1]
        A defaulting entity realises ``alpha`` of its external assets and ``beta`` of
        its interbank inflows.
    never_default : bool array, optional
        Entities held solvent (they pay ``pbar`` in full).

    Returns
    -------
    Clearing

    Notes
    -----
    ``pbar_i = sum_j L[i, j] + b_i``, ``Pi[i, j] = L[i, j] / pbar_i``. An entity is
    solvent iff ``e_i + sum_j Pi[j, i] p_j >= pbar_i`` (``>=``: equality is solvent, as
    in ``docs/worked_examples.md`` 1.2 and 2.2) and then pays ``pbar_i``; otherwise it
    pays ``alpha e_i + beta sum_j Pi[j, i] p_j``. The greatest clearing vector is found
    by the fictitious-default algorithm (Rogers-Veraart's GA): start at ``p = pbar``,
    find the insolvent set D, solve
    ``(I - beta Pi_DD^T) p_D = alpha e_D + beta Pi_SD^T pbar_S`` exactly, repeat until D
    stops changing (D only grows: at most n rounds, each one sparse solve).

    Examples
    --------
    Two banks owing each other 2 and 2.2, external assets 1 each, alpha = beta = 1/2:
    both solvent (Rogers and Veraart 2013, Example 3.3):

    >>> L = sp.csr_array(np.array([[0, 2.0], [2.2, 0]]))
    >>> clearing_vector(L, np.array([1.0, 1.0]), alpha=.5, beta=.5).payments.tolist()
    [2.0, 2.2]

    References
    ----------
    Eisenberg, Noe (2001), "Systemic risk in financial systems", Management Science
    47(2): 236-249. Rogers, Veraart (2013), "Failure and rescue in an interbank
    network", Management Science 59(4): 882-898.
    """
    n = L.shape[0]
    L = sp.csr_array(L, dtype=float)
    b = np.zeros(n) if outside is None else np.asarray(outside, dtype=float)
    pbar = np.asarray(L.sum(axis=1)).ravel() + b
    inv = np.divide(1.0, pbar, out=np.zeros(n), where=pbar > np.finfo(float).tiny)
    rows = np.repeat(np.arange(n), np.diff(L.indptr))
    Pi = sp.csr_array((L.data * inv[rows], L.indices, L.indptr), shape=L.shape)
    PiT = Pi.T                        # a CSC view: mat-vecs need no conversion
    safe = np.zeros(n, dtype=bool) if never_default is None else np.asarray(never_default, bool)
    e = np.asarray(e, dtype=float)
    e_fin = np.where(np.isfinite(e), e, 0.0)
    p = pbar.copy()
    D = np.zeros(n, dtype=bool)
    rnd = np.full(n, -1)
    k = 0
    while True:
        received = PiT @ p
        income = e + received
        D_new = D | (~safe & (pbar > 0) & (income < pbar - TOL * (pbar + np.abs(income))))
        if np.array_equal(D_new, D):
            break
        k += 1
        rnd[D_new & ~D] = k
        D = D_new
        S = ~D
        # Pi_DD^T from the rows D of Pi (few); the solvent part of the income in one
        # mat-vec over the whole matrix
        rhs = alpha * e_fin[D] + beta * (PiT @ np.where(S, pbar, 0.0))[D]
        x = solve_resolvent(sp.csr_array((beta * Pi[D][:, D]).T), rhs)
        if x is None:
            raise FinflowError("Eisenberg-Noe: the linear solve of the fictitious-default "
                               "algorithm failed")
        p = pbar.copy()
        p[D] = np.clip(x, 0.0, pbar[D])
    received = PiT @ p
    paid_out = np.where(pbar > 0, p * b * inv, 0.0)
    return Clearing(p, pbar, received, paid_out, D, rnd, k)
