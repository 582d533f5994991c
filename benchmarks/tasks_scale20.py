"""Benchmark tasks of issue 20 (scale): the systemic ranking under linear DebtRank and
the threshold cascade, Finn's cycling index and balanced flow forwarding.

``finflow``: the library call. ``bare``: the same work in plain scipy on finflow's own
matrices (for the ranking: every default propagated as columns of a dense block through
the same sparse matrix, iterated to a floating-point fixed point, without the lifting
and reduction of :mod:`finflow.analysis.batched`; for the cascade: one sparse
cascade per default). ``plain``: the old way when feasible (Finn: one dense inverse of
the whole system). The network and its matrices are loaded once per folder and cached,
so only a first call includes loading.

Sizes: ``finflow generate 10000 100000 -o /tmp/scale20-10k`` for the ranking,
``finflow generate 30000 300000 -o /tmp/scale20-30k`` for Finn and BFF.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np
import scipy.sparse as sp

import finflow
from finflow.analysis.decomposition import circular_decomposition
from finflow.analysis.flowmeasures import finn_cycling
from finflow.analysis.propagation import TOL, cascade_kernel, impact_matrix
from finflow.analysis.ranking import systemic_ranking
from finflow.analysis.scenario import prepare
from finflow.kinds import resolve_kinds, resolve_statuses


@lru_cache(maxsize=4)
def _net(folder: str) -> finflow.Network:
    return finflow.load(folder)


@lru_cache(maxsize=4)
def _mats(folder: str):
    sc = prepare(_net(folder), None, None, missing_equity="skip", require_shock=False)
    E = sc.exposure()
    prop = ~sc.external
    return sc, E, prop


def _note(r) -> str:
    e = r.entities
    return (f"{r.scenarios} scenarios; top {e['id'].iloc[0]} impact "
            f"{float(e['impact'].iloc[0]):.6g}; sum of impacts {float(e['impact'].sum()):.6g}")


def rank_linear_finflow(folder: str) -> str:
    return _note(systemic_ranking(_net(folder), model="linear-debtrank",
                                  missing_equity="skip"))


def rank_linear_bare(folder: str) -> str:
    """Batched capped dynamics in plain scipy: blocks of 128 unit shocks, iterated until
    no entry changes (the fixed point the dynamics reach from below)."""
    sc, E, prop = _mats(folder)
    cap = sc.capital
    Lam = impact_matrix(E, cap, prop, capped=False)
    capz = np.nan_to_num(cap)
    shocks = np.flatnonzero(prop)
    n = sc.n
    impact = np.zeros(n)
    for a in range(0, len(shocks), 128):
        J = shocks[a:a + 128]
        S = np.zeros((n, len(J)))
        S[J, np.arange(len(J))] = 1.0
        Y = S.copy()
        for _ in range(10_000):
            P = np.minimum(1.0, S + Lam @ Y)
            np.maximum(P, Y, out=P)
            P[P >= 1.0 - TOL] = 1.0
            if np.array_equal(P, Y):
                break
            Y = P
        Y[J, np.arange(len(J))] = 0.0
        impact[J] = capz @ Y
    j = int(np.argmax(impact))
    return (f"{len(shocks)} scenarios; top {sc.ids[j]} impact {impact[j]:.6g}; "
            f"sum of impacts {impact.sum():.6g}")


def rank_cascade_finflow(folder: str) -> str:
    return _note(systemic_ranking(_net(folder), model="cascade", missing_equity="skip"))


def rank_cascade_bare(folder: str) -> str:
    """One sparse threshold cascade per default (propagation.cascade_kernel)."""
    sc, E, prop = _mats(folder)
    cap = sc.capital
    Ep = sp.csr_array(E @ sp.diags_array(prop.astype(float)))
    capz = np.nan_to_num(cap)
    modelled = np.isfinite(cap)
    n = sc.n
    impact = np.zeros(n)
    zero = np.zeros(n)
    for j in np.flatnonzero(prop):
        forced = np.zeros(n, dtype=bool)
        forced[j] = True
        loss, d, _, _ = cascade_kernel(Ep, cap, zero, forced)
        lost = np.where(d, capz, np.minimum(loss, capz))
        lost[j] = 0.0
        impact[j] = float(lost[modelled].sum())
    j = int(np.argmax(impact))
    return (f"{int(prop.sum())} scenarios; top {sc.ids[j]} impact {impact[j]:.6g}; "
            f"sum of impacts {impact.sum():.6g}")


def finn_finflow(folder: str) -> str:
    r = finn_cycling(_net(folder))
    return f"FCI {r.fci:.12g}; TST {r.tst:.6g}"


def finn_plain(folder: str) -> str:
    """The textbook way: one dense inverse of I - G for the whole network."""
    net = _net(folder)
    f = net.flow_matrix(resolve_statuses(None), resolve_kinds(None))
    inflow = np.asarray(f.sum(axis=0)).ravel()
    outflow = np.asarray(f.sum(axis=1)).ravel()
    z = np.clip(outflow - inflow, 0.0, None)
    t = inflow + z
    safe = np.where(t > 0, t, 1.0)
    G = (f.toarray() / safe[:, None]).T
    N = np.linalg.inv(np.eye(len(t)) - G)
    nii = np.diag(N)
    share = (nii - 1.0) / nii
    return f"FCI {float((share * t).sum() / t.sum()):.12g}; TST {float(t.sum()):.6g}"


def bff_finflow(folder: str) -> str:
    d = circular_decomposition(_net(folder))
    return f"circularity {d.circularity:.12g}"


TASKS = {
    "rank linear debtrank": {"finflow": rank_linear_finflow, "bare": rank_linear_bare,
                             "plain": None},
    "rank cascade": {"finflow": rank_cascade_finflow, "bare": rank_cascade_bare,
                     "plain": None},
    "finn": {"finflow": finn_finflow, "bare": None, "plain": finn_plain},
    "bff": {"finflow": bff_finflow, "bare": None, "plain": None},
}
