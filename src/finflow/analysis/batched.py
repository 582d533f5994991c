"""Batched capped dynamics of linear DebtRank for many single-entity defaults at once.

The systemic ranking (:mod:`finflow.analysis.ranking`) defaults every entity alone. Under
linear DebtRank (Bardoscia, Battiston, Caccioli and Caldarelli 2015) each scenario's answer
is the least fixed point ``y*`` of ``Phi(y) = min(1, e_j + Lambda y)``, reached from below
by the capped dynamics (``propagation.linear_debtrank_fixed_point``). This module runs
those dynamics for a block of scenarios as one sparse-matrix times dense-block product per
step, and shortens them with two exact facts:

* **Lifting.** If the iterate of scenario j has saturated k (``y_k = 1``) and ``y*(k)`` is
  known, then ``y*(k) <= y*(j)`` (``y*(j)`` is a supersolution of k's map), so
  ``max(iterate, y*(k))`` is a valid lower bound from which the same dynamics converge to
  ``y*(j)``; if moreover ``y*(k)`` saturates j, then ``y*(j) = y*(k)`` exactly.
* **Reduction.** Above ``1_K`` (K = the saturated set of a known answer) the map is the
  map restricted to the other nodes A, with the constant input ``Lambda_AK 1``: a lifted
  scenario iterates on ``Lambda_AA`` only. On networks whose defaults saturate a common
  dense core this removes most of the matrix from every later step.

Each column stops at a floating-point fixed point of its map (no further step changes
it), as before; scenarios the dynamics do not settle within the step budget go back to
the caller's exact stage.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .propagation import TOL

__all__ = ["DynamicsCache", "ReducedMap", "batched_linear_dynamics"]

#: a known answer is used to reduce the map when its saturated set holds at least this
#: share of the matrix's nonzeros (rows and columns); a smaller one only lifts
REDUCE_SHARE = 0.1
#: steps between two counts of each column's saturated entries (the stall rule)
NSAT_EVERY = 4
#: the full-map group tries to lift its columns every this many steps
LIFT_EVERY = 2
#: at most this many answers found by the dynamics are kept for lifting (the first
#: scenarios, hubs first, saturate the most)
MAX_REGISTERED = 64
#: at most this many reduced maps are kept (each costs about one copy of the matrix)
MAX_REDUCED = 8


@dataclass
class ReducedMap:
    """``Lambda`` restricted to the nodes A outside a saturated set K, with the constant
    input ``b = Lambda_AK 1_K`` (and, for zero-capital nodes, the pattern restricted the
    same way and which of them K already hits)."""

    K: np.ndarray                      #: bool (n,), the saturated set (all False: full map)
    A: np.ndarray                      #: indices of the other nodes
    pos: np.ndarray                    #: node -> row in A (-1 for K)
    L: sp.csr_array                    #: Lambda_AA (zero-capital rows emptied)
    b: np.ndarray | None               #: Lambda_AK 1 (None for the full map)
    pattern: sp.csr_array | None       #: 0/1 pattern of zero-capital rows, on A x A
    zc: np.ndarray | None              #: zero-capital nodes among A
    hit_k: np.ndarray | None           #: zero-capital nodes of A exposed to K

    @classmethod
    def build(cls, Lfin: sp.csr_array, pattern: sp.csr_array | None, zc: np.ndarray,
              K: np.ndarray) -> "ReducedMap":
        n = Lfin.shape[0]
        A = np.flatnonzero(~K)
        pos = np.full(n, -1)
        pos[A] = np.arange(len(A))
        if not K.any():
            return cls(K, A, pos, Lfin, None, pattern if zc.any() else None,
                       zc if zc.any() else None,
                       np.zeros(n, dtype=bool) if zc.any() else None)
        rows = sp.csr_array(Lfin[A])
        L = sp.csr_array(rows[:, A])
        b = np.asarray(rows @ K.astype(float)).ravel()
        pat = zcA = hit = None
        if zc.any():
            prow = sp.csr_array(pattern[A])
            pat = sp.csr_array(prow[:, A])
            zcA = zc[A]
            hit = np.asarray(prow @ K.astype(float)).ravel() > 0
        return cls(K, A, pos, L, b, pat, zcA, hit)

    def step(self, Yc: np.ndarray, jpos: np.ndarray) -> np.ndarray:
        """One capped step ``max(Y, min(1, e_j + b + Lambda_AA Y))`` of every column,
        values within :data:`TOL` of 1 set to 1 (the kernel's convention)."""
        P = np.asarray(self.L @ Yc)
        if self.b is not None:
            P += self.b[:, None]
        sh = jpos >= 0
        if sh.any():
            P[jpos[sh], np.flatnonzero(sh)] += 1.0
        if self.pattern is not None:
            hit = ((self.pattern @ (Yc > 0).astype(float)) > 0) | self.hit_k[:, None]
            P[self.zc[:, None] & hit] = 1.0
        np.putmask(P, P >= 1.0 - TOL, 1.0)
        np.maximum(P, Yc, out=P)
        return P


@dataclass
class _Group:
    op: ReducedMap
    cols: np.ndarray                   #: block columns
    jpos: np.ndarray                   #: row of each column's shock in A (-1: in K)
    Y: np.ndarray                      #: iterate on A
    nsat: np.ndarray
    quiet: np.ndarray
    movable: bool = True               #: may its columns still be lifted / moved


@dataclass
class DynamicsCache:
    """What the batched dynamics keep between blocks (held by the ranking's memo)."""

    full: ReducedMap | None = None
    reduced: dict = field(default_factory=dict)      #: answer id -> ReducedMap
    nnz_rows: np.ndarray | None = None                #: nonzeros per row + per column
    registered: int = 0                               #: answers added to the memo here


def batched_linear_dynamics(Lfin: sp.csr_array, pattern: sp.csr_array | None,
                            zc: np.ndarray, J: np.ndarray, memo, stats: dict,
                            max_steps: int, register: bool = True
                            ) -> tuple[np.ndarray, list[int]]:
    """Capped linear-DebtRank dynamics of the default of each ``J[c]`` (one column each),
    lifted and reduced by the known answers of ``memo``.

    Parameters
    ----------
    Lfin, pattern, zc
        The leverage matrix with zero-capital rows emptied, the 0/1 pattern of those rows
        (None when there are none), the zero-capital mask.
    J : array of int
        The defaulted entity of each column.
    memo : ranking._LinearMemo
        Known answers (``result_of``, ``ys``, ``sat``, ``nsat``); answers found here are
        added to it when ``register``.
    stats : dict
        ``steps`` and ``shared`` are incremented.
    max_steps : int
        Step budget per column.

    Returns
    -------
    (Y, handoff)
        Y (n, len(J)): each column's fixed point, or its last iterate (a lower bound of
        the answer) for the columns listed in ``handoff`` (not settled: saturation
        stalled for 60 steps or the budget ran out), which the caller finishes exactly.

    Notes
    -----
    See the module docstring for why lifting and reduction keep each answer exact:
    every iterate stays below ``y*(j)`` and the dynamics from any such lower bound
    converge to it (Bardoscia et al. 2015, PLoS ONE 10(6): e0130406).
    """
    n, k = Lfin.shape[0], len(J)
    cache: DynamicsCache = memo.cache
    if cache.full is None:
        cache.full = ReducedMap.build(Lfin, pattern, zc, np.zeros(n, dtype=bool))
        A = sp.csr_array(Lfin)
        cache.nnz_rows = np.diff(A.indptr) + np.bincount(A.indices, minlength=n)
    total_nnz = max(1, Lfin.nnz)
    Y = np.zeros((n, k))
    Y[J, np.arange(k)] = 1.0
    groups = [_Group(cache.full, np.arange(k), np.asarray(J).copy(),
                     Y.copy(), np.ones(k, dtype=int), np.zeros(k, dtype=int))]
    handoff: list[int] = []
    def finish(g: _Group, mask: np.ndarray, P: np.ndarray) -> None:
        cs = g.cols[mask]
        out = np.ones((n, len(cs)))
        out[g.op.A] = P[:, mask]
        Y[:, cs] = out
        if register and cache.registered < MAX_REGISTERED:
            top = max(memo.nsat, default=0)
            for c, col in zip(cs, out.T):
                j = int(J[c])
                ns = int((col >= 1.0).sum())
                if (memo.result_of[j] < 0 and ns > 1 and ns >= 0.5 * top
                        and cache.registered < MAX_REGISTERED):
                    rid = memo.add(col.copy(), [np.packbits(col >= 1.0).tobytes()])
                    if rid >= 0:
                        memo.result_of[j] = rid
                        cache.registered += 1

    for step in range(max_steps):
        if not groups:
            break
        new_groups: list[_Group] = []
        for g in groups:
            stats["steps"] += 1
            P = g.op.step(g.Y, g.jpos)
            done = (P == g.Y).all(axis=0)
            if step % NSAT_EVERY == 0:      # saturation counts: for the stall rule only
                ns = (P == 1.0).sum(axis=0)
                g.quiet = np.where(ns > g.nsat, 0, g.quiet + NSAT_EVERY)
                g.nsat = ns
            ns = g.nsat
            if done.any():
                finish(g, done, P)
            leave = ~done & (ns + int(g.op.K.sum()) > 1) & (g.quiet >= 60)
            last = memo.useful() and step + 1 >= max_steps
            if last:
                leave = ~done
            if leave.any():
                cs = g.cols[leave]
                out = np.ones((n, len(cs)))
                out[g.op.A] = P[:, leave]
                Y[:, cs] = out
                handoff.extend(cs.tolist())
            keep = ~(done | leave)
            moved = np.zeros(len(keep), dtype=bool)
            if g.movable and keep.any() and step % LIFT_EVERY == 0 \
                    and (memo.result_of >= 0).any():
                moved = _lift(g, P, keep, J, memo, cache, Lfin, pattern, zc, total_nnz,
                              new_groups, Y, stats, n)
                keep &= ~moved
            if keep.all():
                g.Y = P
            elif keep.any():
                g.cols, g.jpos, g.Y = g.cols[keep], g.jpos[keep], P[:, keep]
                g.nsat, g.quiet = g.nsat[keep], g.quiet[keep]
            if keep.any():
                new_groups.append(g)
        groups = _merge(new_groups)
    for g in groups:                    # the budget ran out
        out = np.ones((n, len(g.cols)))
        out[g.op.A] = g.Y
        Y[:, g.cols] = out
        handoff.extend(g.cols.tolist())
    return Y, sorted(handoff)


def _merge(groups: list[_Group]) -> list[_Group]:
    """One group per map: the columns moved to a map at different steps iterate
    together (every group's iterate is at the same step)."""
    by_op: dict[int, _Group] = {}
    for g in groups:
        h = by_op.get(id(g.op))
        if h is None:
            by_op[id(g.op)] = g
            continue
        h.cols = np.concatenate([h.cols, g.cols])
        h.jpos = np.concatenate([h.jpos, g.jpos])
        h.Y = np.concatenate([h.Y, g.Y], axis=1)
        h.nsat = np.concatenate([h.nsat, g.nsat])
        h.quiet = np.concatenate([h.quiet, g.quiet])
    return list(by_op.values())


def _lift(g: _Group, P: np.ndarray, keep: np.ndarray, J, memo, cache: DynamicsCache, Lfin,
          pattern, zc, total_nnz: int, new_groups: list, Y: np.ndarray, stats: dict,
          n: int) -> np.ndarray:
    """Lift the columns of the full-map group by the known answers of the shocks they
    saturate (exact; see the module docstring); a column whose answer is thereby known
    is finished, one lifted by a large answer moves to that answer's reduced map.
    Returns the mask of the columns that left the group."""
    known = np.flatnonzero(memo.result_of >= 0)
    rows = g.op.pos[known]
    ok = rows >= 0
    known, rows = known[ok], rows[ok]
    moved = np.zeros(len(keep), dtype=bool)
    if not len(known):
        return moved
    satk = P[rows] >= 1.0                               # (known, columns)
    cand = np.flatnonzero(keep & satk.any(axis=0))
    moves: dict[int, list[int]] = {}
    for c in cand:
        j = int(J[g.cols[c]])
        rids = np.unique(memo.result_of[known[satk[:, c]]])
        same = rids[memo.sat[rids, j]]
        if len(same):                                   # y*(j) = y*(k) exactly
            col = memo.ys[int(same[0])]
            Y[:, g.cols[c]] = col
            stats["shared"] += 1
            memo.hits += 1
            memo.tries += 1
            moved[c] = True
            continue
        best = int(rids[np.argmax(np.asarray(memo.nsat)[rids])])
        if memo.nsat[best] <= int(g.nsat[c]):
            continue
        full_col = np.ones(n)
        full_col[g.op.A] = P[:, c]
        lifted = np.maximum(full_col, memo.ys[best])
        P[:, c] = lifted[g.op.A]
        K = memo.sat[best]
        if int(cache.nnz_rows[K].sum()) >= REDUCE_SHARE * 2 * total_nnz:
            moves.setdefault(best, []).append(c)
    for rid, cs in moves.items():
        op = cache.reduced.get(rid)
        if op is None:
            if len(cache.reduced) >= MAX_REDUCED:
                continue
            op = ReducedMap.build(Lfin, pattern, zc, memo.sat[rid].copy())
            cache.reduced[rid] = op
        cs = np.asarray(cs)
        full = np.ones((n, len(cs)))
        full[g.op.A] = P[:, cs]
        Yr = full[op.A]
        jr = op.pos[np.asarray(J)[g.cols[cs]]]
        new_groups.append(_Group(op, g.cols[cs], jr, Yr, (Yr >= 1.0).sum(axis=0),
                                 np.zeros(len(cs), dtype=int), movable=False))
        moved[cs] = True
    return moved


# ---------------------------------------------------------------------------------------
# threshold cascade: sparse results
# ---------------------------------------------------------------------------------------
def cascade_block_sparse(E: sp.csr_array, cap: np.ndarray, J: np.ndarray, rule: str,
                         stats: dict, spread, is_default, work: dict | None = None
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Threshold cascade (Furfine 2003; Gai and Kapadia 2010) of the default of each
    ``J[c]`` at once, returned as the entries it touched: ``(rows, cols, rel, defaulted)``
    (relative loss 1 for a default, loss / capital capped at 1 otherwise, 0 for entities
    without capital), the shocks included.

    Same rounds as the dense block kernel of the ranking (each round spreads only the
    new defaults through ``E``, ``spread`` being its frontier product); what differs is
    that nothing is computed on the entries no default reaches, so the cost follows the
    size of the cascades, not entities x scenarios. ``work`` (a dict kept between blocks)
    holds the n x k work arrays, reset entry by entry after each block instead of
    allocated anew (fresh pages cost more system time than the cascades at 100,000
    entities)."""
    n, k = len(cap), len(J)
    modelled = np.isfinite(cap)
    capz = np.where(modelled, cap, np.inf)
    work = {} if work is None else work
    if work.get("loss") is None or work["loss"].shape[1] < k:
        work["loss"] = np.zeros((n, k))
        work["D"] = np.zeros((n, k), dtype=bool)
    loss, D = work["loss"], work["D"]
    fr_r, fr_c = np.asarray(J), np.arange(k)
    D[fr_r, fr_c] = True
    touched = [fr_r * k + fr_c]
    while len(fr_r):
        stats["steps"] += 1
        inc = spread(E, fr_r, fr_c, np.ones(len(fr_r)), k)
        r, c = inc.row, inc.col
        loss[r, c] += inc.data
        touched.append(r.astype(np.int64) * k + c)
        lv = loss[r, c]
        with np.errstate(divide="ignore", invalid="ignore"):
            pressure = np.where(lv > 0, lv / capz[r], 0.0)
        new = modelled[r] & ~D[r, c] & (lv > 0) & is_default(pressure, rule)
        fr_r, fr_c = r[new], c[new]
        D[fr_r, fr_c] = True
    keys = np.unique(np.concatenate(touched))
    rows, cols = keys // k, keys % k
    lv = loss[rows, cols]
    dv = D[rows, cols]
    cr = cap[rows]
    fin = np.isfinite(cr)
    c1 = np.where(fin, cr, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(c1 > 0, lv / np.where(c1 > 0, c1, 1.0), np.where(lv > 0, 1.0, 0.0))
    rel = np.where(fin, np.minimum(1.0, rel), 0.0)
    rel = np.where(dv & fin, 1.0, rel)
    loss[rows, cols] = 0.0                   # clean for the next block
    D[rows, cols] = False
    return rows, cols, rel, dv
