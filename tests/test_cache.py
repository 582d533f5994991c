"""The per-network caches (issue 20): cached and uncached paths give the same matrices and
the same results, selections never share a cache entry, and every kernel equals a
straightforward dense numpy re-computation on small random networks.

The dense references below are written from the definitions in the docstrings of
``finflow.model`` (F, E, L from the commitment rows and ``finflow.KINDS``) and of
``finflow.analysis.propagation`` (Furfine's cascade, DebtRank of Battiston et al. 2012,
linear DebtRank of Bardoscia et al. 2015, Eisenberg and Noe 2001), not from finflow's
sparse code."""
from __future__ import annotations

import itertools
import pickle

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.optimize import linprog

import finflow
from finflow.analysis.propagation import (DIRECT_LIMIT, solve_linear, solve_resolvent)
from finflow.kinds import KINDS, resolve_statuses

SEEDS = [1, 2, 3, 4]


def random_network(seed: int, n: int = 24, m: int = 160) -> finflow.Network:
    """A generated network, with one entity made a market (external) holder."""
    net = finflow.generate(n, m, seed=seed)
    ent = net.entities.copy()
    ent.loc[n - 1, "type"] = "market"
    return finflow.Network.from_frames(ent, net.commitments.copy(), name=f"random {seed}")


def dense_matrices(net: finflow.Network, lgd=None, status=None, kinds=None):
    """F, E, L by a loop over the commitment rows (the rules of finflow.model)."""
    table = net.lgd(lgd)
    statuses = set(resolve_statuses(status))
    kind_set = set(KINDS) if kinds is None else set(kinds)
    n = net.n
    pos = {e: i for i, e in enumerate(net.entities["id"])}
    F, E, L = np.zeros((n, n)), np.zeros((n, n)), np.zeros((n, n))
    for r in net.commitments.itertuples(index=False):
        if r.status not in statuses or r.kind not in kind_set or pd.isna(r.amount) \
                or not bool(r.in_totals):
            continue
        u, v = pos[r.payer], pos[r.payee]
        F[u, v] += r.amount
        k = KINDS[r.kind]
        funded = None if pd.isna(r.funded) else float(r.funded)
        if k.basis == "stake":
            base = funded if funded is not None else r.amount
        elif k.basis:
            base = max(r.amount - (funded or 0.0), 0.0)
        else:
            base = 0.0
        if k.exposed is None:
            continue
        holder, obligor = (v, u) if k.exposed == "payee" else (u, v)
        E[holder, obligor] += base * table[r.kind]
        if k.obligation is not None:
            L[obligor, holder] += base
    return F, E, L


# ------------------------------------------------------------------ cached vs uncached
@pytest.mark.parametrize("seed", SEEDS)
def test_matrices_equal_dense_loop_and_fresh_network(seed):
    net = random_network(seed)
    for lgd, status, kinds in [(None, None, None), ({"loan": 1.0}, "closed,committed", None),
                               (None, "all", ["loan", "equity", "purchase"])]:
        F, E, L = dense_matrices(net, lgd, status, kinds)
        for _ in range(2):                                   # built, then from the cache
            np.testing.assert_allclose(net.flow_matrix(status, kinds).toarray(), F,
                                       rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(net.exposure_matrix(lgd, status, kinds).toarray(), E,
                                       rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(net.obligation_matrix(status, kinds).toarray(), L,
                                       rtol=1e-12, atol=1e-12)
        fresh = finflow.Network.from_frames(net.entities.copy(), net.commitments.copy())
        assert (fresh.exposure_matrix(lgd, status, kinds)
                != net.exposure_matrix(lgd, status, kinds)).nnz == 0


def test_selections_do_not_share_a_cache_entry():
    net = random_network(5)
    e_default = net.exposure_matrix()
    e_loan1 = net.exposure_matrix(lgd={"loan": 1.0})
    e_closed = net.exposure_matrix(status="closed")
    _, E1, _ = dense_matrices(net, {"loan": 1.0})
    _, Ec, _ = dense_matrices(net, None, "closed")
    np.testing.assert_allclose(e_loan1.toarray(), E1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(e_closed.toarray(), Ec, rtol=1e-12, atol=1e-12)
    # the generated network has loans (LGD 0.45 by default), so the tables differ
    assert abs(e_default - e_loan1).sum() > 0
    assert abs(e_default - e_closed).sum() > 0
    # the same selection spelled another way is the same entry, and the same numbers
    assert (net.exposure_matrix(status=["reported", "loi", "committed", "closed"])
            != e_default).nnz == 0
    assert net.mask("closed").sum() < net.mask().sum()


def test_kept_matrix_is_read_only_and_copies_are_independent():
    net = random_network(6)
    kept = net.exposure_matrix(copy=False)
    assert not kept.data.flags.writeable
    with pytest.raises(ValueError):
        kept.data[0] = 1.0
    mine = net.exposure_matrix()
    mine.data[:] = 0.0                                    # the caller's own copy
    _, E, _ = dense_matrices(net)
    np.testing.assert_allclose(net.exposure_matrix().toarray(), E, rtol=1e-12, atol=1e-12)
    m = net.mask()
    m[:] = False
    assert net.mask().any()


def test_select_and_as_of_networks_have_their_own_caches():
    net = random_network(7)
    net.exposure_matrix()                                  # fill the parent's cache
    sel = net.select(status="closed")
    _, E, _ = dense_matrices(sel)
    np.testing.assert_allclose(sel.exposure_matrix().toarray(), E, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sel.exposure_matrix().toarray(),
                               net.exposure_matrix(status="closed").toarray(), rtol=1e-12)
    past = net.as_of("2024-06-30")
    _, Ep, _ = dense_matrices(past)
    np.testing.assert_allclose(past.exposure_matrix().toarray(), Ep, rtol=1e-12, atol=1e-12)
    assert len(past.commitments) < len(net.commitments)


@pytest.mark.parametrize("model", ["cascade", "debtrank", "linear-debtrank", "eisenberg-noe"])
def test_results_equal_on_repeat_and_on_a_fresh_network(model):
    net = random_network(8)
    top = net.index[0]
    first = finflow.contagion(net, [top], model=model, missing_equity="zero")
    again = finflow.contagion(net, [top], model=model, missing_equity="zero")
    fresh_net = finflow.Network.from_frames(net.entities.copy(), net.commitments.copy(),
                                            name=net.name)
    fresh = finflow.contagion(fresh_net, [top], model=model, missing_equity="zero")
    for r in (again, fresh):
        pd.testing.assert_frame_equal(r.entities, first.entities)
        assert r.defaulted == first.defaulted and r.debtrank == first.debtrank
        assert r.to_dict() == first.to_dict()
    # the lazily built frame survives pickling, built
    back = pickle.loads(pickle.dumps(first))
    pd.testing.assert_frame_equal(back.entities, first.entities)


# ---------------------------------------------------------- kernels vs dense numpy
def _capital(net):
    eq = net.entity_vector("equity")
    ext = net.external_mask()
    return np.where(ext, np.nan, eq), ext


@pytest.mark.parametrize("seed", SEEDS)
def test_cascade_equals_dense_loop(seed):
    net = random_network(seed)
    cap, ext = _capital(net)
    _, E, _ = dense_matrices(net)
    E[:, ext] = 0.0                                  # external holders do not propagate
    s = 0
    dead = np.zeros(net.n, bool)
    dead[s] = True
    while True:                                      # Furfine: losses of every default
        loss = E @ dead.astype(float)
        new = ~dead & ~ext & (loss > 0) & (loss >= cap * (1 - 1e-12))
        if not new.any():
            break
        dead |= new
    r = finflow.threshold_cascade(net, [net.index[s]])
    assert set(r.defaulted) == {net.index[i] for i in np.flatnonzero(dead)}
    got = r.entities.set_index("id").loc[list(net.index), "loss"].to_numpy()
    want = np.where(ext, loss, np.minimum(loss, np.nan_to_num(cap)))
    want[s] = cap[s]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_linear_debtrank_equals_dense_iteration(seed):
    net = random_network(seed)
    cap, ext = _capital(net)
    _, E, _ = dense_matrices(net)
    lam = np.where(ext[:, None], 0.0, E / np.where(ext, 1.0, cap)[:, None])
    lam[:, ext] = 0.0
    s = np.zeros(net.n)
    s[0] = 1.0
    y = np.zeros(net.n)
    for _ in range(200_000):                         # Picard from 0: the least fixed point
        nxt = np.minimum(1.0, s + lam @ y)
        if np.max(np.abs(nxt - y)) < 1e-15:
            break
        y = nxt
    r = finflow.linear_debtrank(net, [net.index[0]])
    got = r.entities.set_index("id").loc[list(net.index), "relative_loss"].to_numpy()
    np.testing.assert_allclose(got[~ext], y[~ext], rtol=1e-9, atol=1e-9)
    v = np.where(ext, 0.0, cap) / np.nansum(np.where(ext, 0.0, cap))
    assert r.debtrank == pytest.approx(float(np.nansum(v * (y - s))), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_debtrank_equals_dense_dynamics(seed):
    net = random_network(seed)
    cap, ext = _capital(net)
    _, E, _ = dense_matrices(net)
    W = np.where(ext[:, None], 0.0, np.minimum(1.0, E / np.where(ext, 1.0, cap)[:, None]))
    W[:, ext] = 0.0
    h = np.zeros(net.n)
    h[0] = 1.0
    distressed, inactive = h > 0, np.zeros(net.n, bool)
    while distressed.any():                          # Battiston et al. 2012, step by step
        h = np.minimum(1.0, h + W @ np.where(distressed, h, 0.0))
        inactive |= distressed
        distressed = (h > 0) & ~inactive
    r = finflow.debtrank(net, [net.index[0]])
    got = r.entities.set_index("id").loc[list(net.index), "relative_loss"].to_numpy()
    np.testing.assert_allclose(got[~ext], h[~ext], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", SEEDS)
def test_eisenberg_noe_equals_dense_fixed_point(seed):
    net = random_network(seed)
    cap, ext = _capital(net)
    _, _, L = dense_matrices(net)
    pbar = L.sum(axis=1)
    a = L.sum(axis=0)
    e = np.maximum(0.0, np.nan_to_num(cap) + pbar - a)
    e[0] = 0.0                                       # the default wipes external assets
    Pi = np.divide(L, pbar[:, None], out=np.zeros_like(L), where=pbar[:, None] > 0)
    p = pbar.copy()
    for _ in range(100_000):                         # from pbar down: the greatest vector
        nxt = np.where(ext, pbar, np.minimum(pbar, e + Pi.T @ p))
        if np.max(np.abs(nxt - p)) < 1e-14:
            break
        p = nxt
    r = finflow.eisenberg_noe(net, [net.index[0]], outside_debt="ignore")
    got = r.payments.set_index("id").loc[list(net.index), "paid"].to_numpy()
    np.testing.assert_allclose(got, p, rtol=1e-9, atol=1e-9)


def _has_cycle(adj: np.ndarray) -> bool:
    reach = adj.copy()
    for k in range(len(adj)):                        # Warshall's transitive closure
        reach |= reach[:, [k]] & reach[[k], :]
    return bool(np.diag(reach).any())


@pytest.mark.parametrize("seed", SEEDS)
def test_heaviest_cycle_equals_dense_threshold_search(seed):
    net = random_network(seed, n=14, m=40)
    F, _, _ = dense_matrices(net)
    np.fill_diagonal(F, 0.0)
    best = None
    for t in sorted(set(F[F > 0]), reverse=True):    # the largest t with a cycle in F >= t
        if _has_cycle(F >= t):
            best = t
            break
    cs = finflow.heaviest_cycles(net, top=1)
    if best is None:
        assert not cs.cycles
    else:
        assert cs.cycles[0].bottleneck == pytest.approx(best, rel=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_max_circulation_equals_linear_program(seed):
    net = random_network(seed, n=12, m=50)
    F, _, _ = dense_matrices(net)
    loops = float(np.trace(F))
    np.fill_diagonal(F, 0.0)
    edges = list(zip(*np.nonzero(F)))
    A = np.zeros((net.n, len(edges)))                # conservation at every entity
    for k, (u, v) in enumerate(edges):
        A[u, k] -= 1.0
        A[v, k] += 1.0
    lp = linprog(-np.ones(len(edges)), A_eq=A, b_eq=np.zeros(net.n),
                 bounds=[(0, F[u, v]) for u, v in edges], method="highs")
    got = finflow.max_circulation(net).value
    # finflow rounds capacities down to 1e-6 units: at most 1e-6 per edge below
    assert -lp.fun + loops - len(edges) * 1e-6 - 1e-9 <= got <= -lp.fun + loops + 1e-9


# --------------------------------------------------------------- the Neumann solver
def test_solve_resolvent_matches_lu_beyond_the_direct_limit():
    rng = np.random.default_rng(0)
    n = DIRECT_LIMIT + 500
    N = sp.random_array((n, n), density=4 / n, rng=rng, format="csr")
    N = sp.csr_array(N * (0.6 / max(1e-12, np.abs(N).sum(axis=1).max())))  # rho <= 0.6
    b = rng.uniform(0, 1, n)
    x = solve_resolvent(N, b)
    want = sp.linalg.spsolve(sp.csc_array(sp.identity(n) - N), b)
    np.testing.assert_allclose(x, want, rtol=1e-11, atol=1e-12)


def test_solve_resolvent_falls_back_when_not_contracting():
    # N = 2 I: (I - N) x = b has x = -b, which the Neumann steps never reach
    n = DIRECT_LIMIT + 10
    N = sp.csr_array(sp.identity(n) * 2.0)
    b = np.ones(n)
    x = solve_resolvent(N, b)
    y = solve_linear(sp.csr_array(sp.identity(n) - N), b)
    assert x is not None and y is not None
    np.testing.assert_allclose(x, -b, rtol=1e-9)
    np.testing.assert_allclose(x, y, rtol=1e-12)
