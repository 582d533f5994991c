"""The benchmark tasks: for each, finflow's way, the bare kernel and the plain way.

* **finflow**: the library, from the network folder. A one-scenario task loads the
  network (not timed as the call), then times the call :data:`REPEAT` + 1 times with
  :func:`timed`: the first call is *cold* (the network's caches of masks and matrices are
  empty, so it builds them), the later ones *warm* (what every further scenario on the
  loaded network costs).
* **bare**: the same algorithm written directly in numpy / scipy / OR-Tools on the
  matrices finflow builds (so the conventions and the answer are the same), none of
  finflow's bookkeeping; only the kernel is timed (its matrices are built untimed).
* **plain**: the straightforward way without finflow: read the CSVs row by row into a
  networkx graph and loop in Python; the whole function is timed, reading included.

Each function takes the network folder and returns a short note (the answer, to compare
between the ways). ``TASKS`` maps a task name to ``{"finflow": fn, "bare": fn or None,
"plain": fn or None}`` (optional ``"max_size"``: skip larger networks); other engineers
add tasks in ``benchmarks/tasks_<name>.py`` files of the same format, collected by
``run.py``.
"""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any, Callable

import networkx as nx
import numpy as np
import scipy.sparse as sp

import finflow


#: seconds of each :func:`timed` call in this process, in order (read by run.py)
ANALYSIS_SECONDS: list[float] = []
#: warm repeats after the first (cold) call of a one-scenario task
REPEAT = 3


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one analysis call and remember how long it took (loading excluded)."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    ANALYSIS_SECONDS.append(time.perf_counter() - t0)
    return out


def repeated(fn: Callable[[], Any]) -> Any:
    """``fn()`` timed once cold and :data:`REPEAT` times warm; the last answer."""
    out = None
    for _ in range(REPEAT + 1):
        out = timed(fn)
    return out


# ---------------------------------------------------------------- helpers for plain ways
def plain_graph(folder: str) -> nx.DiGraph:
    """Read the CSVs row by row into a networkx DiGraph (amounts summed per pair)."""
    g = nx.DiGraph()
    with open(Path(folder) / "entities.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            eq = row.get("equity") or ""
            g.add_node(row["id"], equity=float(eq) if eq else None, type=row.get("type"))
    with open(Path(folder) / "commitments.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["status"] == "lapsed" or not row["amount"]:
                continue
            u, v, a = row["payer"], row["payee"], float(row["amount"])
            if g.has_edge(u, v):
                g[u][v]["weight"] += a
                g[u][v]["rows"].append(row)
            else:
                g.add_edge(u, v, weight=a, rows=[row])
    return g


def plain_exposures(g: nx.DiGraph) -> dict[str, dict[str, float]]:
    """E as dict of dicts, by a loop over every commitment (same rules as finflow)."""
    lgd = {k: v.lgd for k, v in finflow.KINDS.items()}
    e: dict[str, dict[str, float]] = {}
    for u, v, d in g.edges(data=True):
        for row in d["rows"]:
            kind = finflow.KINDS[row["kind"]]
            if kind.exposed is None:
                continue
            amount = float(row["amount"])
            funded = float(row["funded"]) if row["funded"] else None
            if kind.basis == "stake":
                base = funded if funded is not None else amount
            else:
                base = max(amount - (funded or 0.0), 0.0)
            holder, obligor = (u, v) if kind.exposed == "payer" else (v, u)
            e.setdefault(holder, {}).setdefault(obligor, 0.0)
            e[holder][obligor] += base * lgd[row["kind"]]
    return e


# ---------------------------------------------------------------------------- tasks
def load_plain(folder: str) -> str:
    g = plain_graph(folder)
    return f"{g.number_of_edges():,} pairs"


def matrices_finflow(folder: str) -> str:
    net = finflow.load(folder)
    f, e, ell = timed(lambda: (net.flow_matrix(), net.exposure_matrix(),
                               net.obligation_matrix()))
    return f"E sum {e.sum():.6g}"


def matrices_plain(folder: str) -> str:
    g = plain_graph(folder)
    e = plain_exposures(g)
    return f"E sum {sum(sum(r.values()) for r in e.values()):.6g}"


def decomposition_finflow(folder: str) -> str:
    net = finflow.load(folder)
    d = timed(finflow.circular_decomposition, net)
    return f"circularity {d.circularity:.4f}"


def concentration_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = timed(finflow.concentration, net, self_financed=False)
    return f"throughput Gini {r.network['gini']:.6f}"


def concentration_plain(folder: str) -> str:
    """Inflow HHI per entity and throughput Gini by loops over a networkx graph, and
    networkx PageRank (the same work as finflow.concentration without BFF, in part)."""
    g = plain_graph(folder)
    hhi = {}
    for v in g.nodes:
        amounts = [d["weight"] for _, _, d in g.in_edges(v, data=True)]
        total = sum(amounts)
        hhi[v] = sum((a / total) ** 2 for a in amounts) if total > 0 else None
    t = sorted(x for x in (g.in_degree(v, weight="weight") + g.out_degree(v, weight="weight")
                           for v in g.nodes) if x > 0)
    n, total = len(t), sum(t)
    gini_ = 2 * sum((i + 1) * x for i, x in enumerate(t)) / (n * total) - (n + 1) / n
    nx.pagerank(g, alpha=0.85, weight="weight")
    return f"throughput Gini {gini_:.6f}"


# ---- cycles and circulation ---------------------------------------------------------------
def top_cycles_finflow(folder: str) -> str:
    net = finflow.load(folder)
    cs = timed(finflow.heaviest_cycles, net, top=10)
    return f"top bottleneck {cs.cycles[0].bottleneck:.6g}" if cs.cycles else "no cycle"


def top_cycles_plain(folder: str) -> str:
    """Enumerate every cycle of length <= 3 with networkx and keep the 10 heaviest."""
    g = plain_graph(folder)
    best: list[float] = []
    for cyc in nx.simple_cycles(g, length_bound=3):
        w = min(g[u][v]["weight"] for u, v in zip(cyc, cyc[1:] + cyc[:1]))
        best = sorted(best + [w], reverse=True)[:10]
    return f"top bottleneck {best[0]:.6g} (length <= 3)" if best else "no cycle"


def circulation_plain(folder: str) -> str:
    """networkx network_simplex on the circulation problem (cost -1 per unit of flow,
    integer capacities scaled by 1e6, as finflow does)."""
    g = plain_graph(folder)
    h = nx.DiGraph()
    for u, v, d in g.edges(data=True):
        h.add_edge(u, v, capacity=int(d["weight"] * 1e6), weight=-1)
    cost, flow = nx.network_simplex(h)
    return f"max circulation {-cost / 1e6:.6g}"


# ---- contagion ---------------------------------------------------------------------------
def _largest(folder: str) -> str:
    """The shocked entity: the largest by construction (finflow.generate sorts by size)."""
    with open(Path(folder) / "entities.csv", newline="", encoding="utf-8") as f:
        return next(csv.DictReader(f))["id"]


def cascade_plain(folder: str) -> str:
    g = plain_graph(folder)
    e = plain_exposures(g)
    creditors: dict[str, list[tuple[str, float]]] = {}
    for holder, row in e.items():
        for obligor, x in row.items():
            creditors.setdefault(obligor, []).append((holder, x))
    equity = {v: d["equity"] for v, d in g.nodes(data=True)}
    loss = {v: 0.0 for v in g.nodes}
    dead = {_largest(folder)}
    frontier = list(dead)
    while frontier:
        nxt = []
        for j in frontier:
            for i, x in creditors.get(j, []):
                if i in dead:
                    continue
                loss[i] += x
                if equity[i] is not None and loss[i] >= equity[i]:
                    dead.add(i)
                    nxt.append(i)
        frontier = nxt
    return f"{len(dead)} defaults"


def debtrank_plain(folder: str) -> str:
    """Linear DebtRank by iterating h(t+1) = min(1, h(t) + Lambda dh(t)) over dicts until
    the change is below 1e-9."""
    g = plain_graph(folder)
    e = plain_exposures(g)
    equity = {v: d["equity"] for v, d in g.nodes(data=True)}
    s = _largest(folder)
    h = {v: 0.0 for v in g.nodes}
    h[s] = 1.0
    dh = dict(h)
    for _ in range(100_000):
        new = dict(h)
        for i, row in e.items():
            if i == s or not equity[i]:
                continue
            inc = sum(x / equity[i] * dh[j] for j, x in row.items() if dh[j])
            if inc:
                new[i] = min(1.0, h[i] + inc)
        dh = {v: new[v] - h[v] for v in h}
        h = new
        if sum(abs(x) for x in dh.values()) < 1e-9:
            break
    total = sum(equity[v] or 0 for v in g.nodes)
    return f"R {sum((equity[v] or 0) * h[v] for v in g.nodes if v != s) / total:.6g}"


def clearing_plain(folder: str) -> str:
    """Eisenberg-Noe by the plain fixed point p <- min(pbar, e + Pi^T p) over dicts until
    the change is below 1e-9 (external assets from the balance-sheet identity, as
    finflow derives them)."""
    net = finflow.load(folder)
    ell = net.obligation_matrix().tocoo()
    ids = net.index
    owes: dict[str, dict[str, float]] = {}
    for i, j, x in zip(ell.row, ell.col, ell.data):
        owes.setdefault(ids[i], {})[ids[j]] = float(x)
    pbar = {v: sum(owes.get(v, {}).values()) for v in ids}
    claims = {v: 0.0 for v in ids}
    for i, row in owes.items():
        for j, x in row.items():
            claims[j] += x
    eq = dict(zip(ids, net.entity_vector("equity")))
    e = {v: max(0.0, eq[v] + pbar[v] - claims[v]) for v in ids}
    e[_largest(folder)] = 0.0
    p = dict(pbar)
    for _ in range(10_000):
        inc = {v: 0.0 for v in ids}
        for i, row in owes.items():
            if pbar[i] > 0:
                for j, x in row.items():
                    inc[j] += x / pbar[i] * p[i]
        new = {v: min(pbar[v], e[v] + inc[v]) for v in ids}
        change = sum(abs(new[v] - p[v]) for v in ids)
        p = new
        if change < 1e-9:
            break
    # the shocked entity counts as defaulted, as in finflow
    dead = {v for v in ids if p[v] < pbar[v] - 1e-9} | {_largest(folder)}
    return f"{len(dead)} defaults"


def ranking_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = timed(finflow.systemic_ranking, net, model="linear-debtrank")
    return f"top {r.entities.iloc[0]['id']}"


def ranking_cascade_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = timed(finflow.systemic_ranking, net, model="cascade")
    return f"top {r.entities.iloc[0]['id']}"


def ranking_plain(folder: str) -> str:
    """Each entity defaulted alone, one linear-DebtRank iteration at a time."""
    import numpy as np
    import scipy.sparse as sp
    net = finflow.load(folder)
    eq = net.entity_vector("equity")
    lam = sp.csr_array(sp.diags_array(1.0 / eq) @ net.exposure_matrix())
    impact = []
    for j in range(net.n):
        h = np.zeros(net.n)
        h[j] = 1.0
        dh = h.copy()
        for _ in range(100_000):
            new = np.minimum(1.0, h + lam @ dh)
            new[j] = 1.0
            dh, h = new - h, new
            if np.abs(dh).sum() < 1e-9:
                break
        impact.append(float(np.dot(np.delete(h, j), np.delete(eq, j))))
    return f"top {net.index[int(np.argmax(impact))]}"


def view_finflow(folder: str) -> str:
    import tempfile
    net = finflow.load(folder)
    with tempfile.TemporaryDirectory() as d:
        timed(finflow.view, net, Path(d) / "v.html")
        size = (Path(d) / "v.html").stat().st_size
    return f"{size / 1e6:.1f} MB page"


def view_plain(folder: str) -> str:
    """pyvis straight from the networkx graph, every edge, default template."""
    import tempfile
    from pyvis.network import Network as PyvisNetwork
    g = plain_graph(folder)
    for u, v, d in g.edges(data=True):
        d.pop("rows", None)
    pv = PyvisNetwork(directed=True, cdn_resources="in_line")
    pv.from_nx(g)
    with tempfile.TemporaryDirectory() as d:
        pv.write_html(str(Path(d) / "v.html"))
        size = (Path(d) / "v.html").stat().st_size
    return f"{size / 1e6:.1f} MB page"


# ---- bare kernels: numpy / scipy on finflow's own matrices ------------------------------
def _bare_inputs(folder: str):
    """finflow's E, F, L, equity and the shocked entity, built untimed."""
    net = finflow.load(folder)
    s = net.position[_largest(folder)]
    eq = net.entity_vector("equity")
    return net, s, eq


def load_bare(folder: str) -> str:
    """pandas' own read of the two CSVs and the CSR flow matrix (no validation)."""
    import pandas as pd
    e = pd.read_csv(Path(folder) / "entities.csv")
    c = pd.read_csv(Path(folder) / "commitments.csv")
    c = c[(c["status"] != "lapsed") & c["amount"].notna()]
    idx = pd.Index(e["id"])
    f = sp.csr_array((c["amount"].to_numpy(float), (idx.get_indexer(c["payer"]),
                                                    idx.get_indexer(c["payee"]))),
                     shape=(len(idx),) * 2)
    f.sum_duplicates()
    return f"{len(c):,} rows read"


def load_finflow(folder: str) -> str:
    net = timed(finflow.load, folder)
    return f"{len(net.commitments):,} rows validated"


def _one_shock(folder: str, model: Callable[..., Any], **kwargs: Any) -> Any:
    """finflow's one-scenario call: ``model(net, [largest entity], **kwargs)`` on the
    loaded network, timed cold and warm (:func:`repeated`); the last result."""
    net = finflow.load(folder)
    top = _largest(folder)
    return repeated(lambda: model(net, [top], **kwargs))


def cascade_finflow(folder: str) -> str:
    r = _one_shock(folder, finflow.threshold_cascade)
    return f"{len(r.defaulted)} defaults"


def cascade_bare(folder: str) -> str:
    """Furfine's rule: iterate the default vector, loss = E @ d, default at loss >= equity."""
    net, s, eq = _bare_inputs(folder)
    E = net.exposure_matrix()

    def run():
        dead = np.zeros(net.n, dtype=bool)
        dead[s] = True
        new = dead.copy()
        loss = np.zeros(net.n)
        while new.any():
            loss += E @ new.astype(float)
            new = (loss >= eq * (1 - 1e-12)) & (loss > 0) & ~dead
            dead |= new
        return int(dead.sum())
    return f"{repeated(run)} defaults"


def _leverage(net, eq: np.ndarray, capped: bool) -> sp.csr_array:
    lam = sp.csr_array(sp.diags_array(1.0 / eq) @ net.exposure_matrix())
    if capped:
        lam.data = np.minimum(1.0, lam.data)
    return lam


def debtrank_finflow(folder: str) -> str:
    r = _one_shock(folder, finflow.linear_debtrank)
    return f"R {r.debtrank:.6g}"


def debtrank_bare(folder: str) -> str:
    """Bardoscia et al. 2015: h(t+1) = min(1, h(t) + Lambda (h(t) - h(t-1))) until the
    largest change is below 1e-12, on Lambda = E / equity."""
    net, s, eq = _bare_inputs(folder)
    lam = _leverage(net, eq, capped=False)
    v = eq / eq.sum()

    def run():
        h = np.zeros(net.n)
        h[s] = 1.0
        prev = np.zeros(net.n)
        h0 = h.copy()
        for _ in range(100_000):
            nh = np.minimum(1.0, h + lam @ (h - prev))
            nh[s] = 1.0
            if np.max(nh - h) < 1e-12:
                h = nh
                break
            prev, h = h, nh
        return float(v @ (h - h0))
    return f"R {repeated(run):.6g}"


def debtrank_original_finflow(folder: str) -> str:
    r = _one_shock(folder, finflow.debtrank)
    return f"R {r.debtrank:.6g}"


def debtrank_original_bare(folder: str) -> str:
    """Battiston et al. 2012: each distressed entity passes on its distress once, over
    W = min(1, E / equity)."""
    net, s, eq = _bare_inputs(folder)
    w = _leverage(net, eq, capped=True)
    v = eq / eq.sum()

    def run():
        h = np.zeros(net.n)
        h[s] = 1.0
        h0 = h.copy()
        distressed = h > 0
        inactive = np.zeros(net.n, dtype=bool)
        while distressed.any():
            h = np.minimum(1.0, h + w @ np.where(distressed, h, 0.0))
            inactive |= distressed
            distressed = (h > 0) & ~inactive
        return float(v @ (h - h0))
    return f"R {repeated(run):.6g}"


def clearing_finflow(folder: str) -> str:
    r = _one_shock(folder, finflow.eisenberg_noe, outside_debt="ignore")
    return f"{len(r.defaulted)} defaults"


def clearing_bare(folder: str) -> str:
    """Eisenberg-Noe by the fixed point p <- min(pbar, e + Pi^T p) in scipy until the
    largest change is below 1e-9 (external assets from the balance-sheet identity)."""
    net, s, eq = _bare_inputs(folder)
    ell = net.obligation_matrix()
    pbar = np.asarray(ell.sum(axis=1)).ravel()
    a = np.asarray(ell.sum(axis=0)).ravel()
    e = np.maximum(0.0, eq + pbar - a)
    e[s] = 0.0
    inv = np.divide(1.0, pbar, out=np.zeros(net.n), where=pbar > 0)
    pit = sp.csr_array((sp.diags_array(inv) @ ell).T)

    def run():
        p = pbar.copy()
        for _ in range(100_000):
            nxt = np.minimum(pbar, e + pit @ p)
            if np.max(np.abs(nxt - p)) < 1e-9:
                p = nxt
                break
            p = nxt
        dead = (p < pbar - 1e-9 * (pbar + 1))
        dead[s] = True
        return int(dead.sum())
    return f"{repeated(run)} defaults"


def heaviest_finflow(folder: str) -> str:
    net = finflow.load(folder)
    cs = repeated(lambda: finflow.heaviest_cycles(net, top=1))
    return f"bottleneck {cs.cycles[0].bottleneck:.6g}" if cs.cycles else "no cycle"


def heaviest_bare(folder: str) -> str:
    """Binary search over the distinct amounts of F for the largest threshold whose
    subgraph has a strongly connected component of two or more nodes (scipy)."""
    from scipy.sparse.csgraph import connected_components
    net = finflow.load(folder)
    f = net.flow_matrix()
    f.setdiag(0)
    f.eliminate_zeros()

    def has_cycle(th):
        g = f.copy()
        g.data[g.data < th] = 0
        g.eliminate_zeros()
        nc, lab = connected_components(g, directed=True, connection="strong")
        return nc < g.shape[0]

    def run():
        vals = np.unique(f.data)
        lo, hi, best = 0, len(vals) - 1, None
        while lo <= hi:
            mid = (lo + hi) // 2
            if has_cycle(vals[mid]):
                best, lo = vals[mid], mid + 1
            else:
                hi = mid - 1
        return best
    best = repeated(run)
    return f"bottleneck {best:.6g}" if best is not None else "no cycle"


def heaviest_plain(folder: str) -> str:
    """The same threshold search with networkx strongly connected components."""
    g = plain_graph(folder)
    g.remove_edges_from(nx.selfloop_edges(g))
    vals = sorted({d["weight"] for _, _, d in g.edges(data=True)})

    def has_cycle(th):
        h = nx.DiGraph((u, v) for u, v, d in g.edges(data=True) if d["weight"] >= th)
        return any(len(c) > 1 for c in nx.strongly_connected_components(h))
    lo, hi, best = 0, len(vals) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if has_cycle(vals[mid]):
            best, lo = vals[mid], mid + 1
        else:
            hi = mid - 1
    return f"bottleneck {best:.6g}" if best is not None else "no cycle"


def circulation_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = repeated(lambda: finflow.max_circulation(net))
    return f"max circulation {r.value:.6g}"


def circulation_bare(folder: str) -> str:
    """OR-Tools' min-cost flow on F directly (cost -1 a unit, capacities x 1e6 rounded
    down, as finflow scales them)."""
    from ortools.graph.python import min_cost_flow
    net = finflow.load(folder)
    f = sp.coo_array(net.flow_matrix())
    keep = f.row != f.col
    cap = np.floor(f.data[keep] * 1e6).astype(np.int64)

    def run():
        m = min_cost_flow.SimpleMinCostFlow()
        m.add_arcs_with_capacity_and_unit_cost(f.row[keep].astype(np.int32),
                                               f.col[keep].astype(np.int32), cap,
                                               -np.ones(len(cap), dtype=np.int64))
        m.solve()
        return -m.optimal_cost() / 1e6 + float(f.data[~keep].sum())
    return f"max circulation {repeated(run):.6g}"


#: task name -> {"finflow": fn, "bare": fn or None, "plain": fn or None[, "max_size": n]}
TASKS: dict[str, dict[str, Any]] = {
    "load (validate) files": {"finflow": load_finflow, "bare": load_bare, "plain": load_plain},
    "load + F, E, L": {"finflow": matrices_finflow, "bare": None, "plain": matrices_plain},
    "threshold cascade, one shock": {"finflow": cascade_finflow, "bare": cascade_bare,
                                     "plain": cascade_plain},
    "linear DebtRank, one shock": {"finflow": debtrank_finflow, "bare": debtrank_bare,
                                   "plain": debtrank_plain},
    "DebtRank, one shock": {"finflow": debtrank_original_finflow,
                            "bare": debtrank_original_bare, "plain": None},
    "Eisenberg-Noe, one shock": {"finflow": clearing_finflow, "bare": clearing_bare,
                                 "plain": clearing_plain},
    "heaviest cycle": {"finflow": heaviest_finflow, "bare": heaviest_bare,
                       "plain": heaviest_plain},
    "top-10 cycles": {"finflow": top_cycles_finflow, "bare": None, "plain": top_cycles_plain},
    "maximum circulation": {"finflow": circulation_finflow, "bare": circulation_bare,
                            "plain": circulation_plain},
    "BFF decomposition": {"finflow": decomposition_finflow, "bare": None, "plain": None,
                          "max_size": 1_000},
    "concentration (no BFF)": {"finflow": concentration_finflow, "bare": None,
                               "plain": concentration_plain},
    "ranking, linear DebtRank": {"finflow": ranking_finflow, "bare": None,
                                 "plain": ranking_plain, "max_size": 10_000},
    "ranking, cascade": {"finflow": ranking_cascade_finflow, "bare": None, "plain": None,
                         "max_size": 10_000},
    "HTML view": {"finflow": view_finflow, "bare": None, "plain": view_plain},
}
