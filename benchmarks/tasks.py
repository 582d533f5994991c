"""The benchmark tasks: for each, finflow's way and the plain way (a straightforward
networkx / Python-loop implementation of the same work). Each function takes the network
folder, does the work, and returns a short note (a result to compare between the two
ways); finflow's tasks also report the time of the analysis itself, after loading, with
:func:`timed`."""
from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any, Callable

import networkx as nx

import finflow


ANALYSIS_SECONDS: list[float] = []


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one analysis call and remember how long it took (loading excluded)."""
    t0 = time.perf_counter()
    out = fn(*args, **kwargs)
    ANALYSIS_SECONDS.append(time.perf_counter() - t0)
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
def load_finflow(folder: str) -> str:
    net = finflow.load(folder)
    return f"{len(net.commitments):,} rows validated"


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


def circulation_finflow(folder: str) -> str:
    net = finflow.load(folder)
    return f"max circulation {timed(finflow.max_circulation, net).value:.6g}"


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


def cascade_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = timed(finflow.threshold_cascade, net, [_largest(folder)])
    return f"{len(r.defaulted)} defaults"


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


def debtrank_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = timed(finflow.linear_debtrank, net, [_largest(folder)])
    return f"R {r.debtrank:.6g}"


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


def clearing_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = timed(finflow.eisenberg_noe, net, [_largest(folder)], outside_debt="ignore")
    return f"{len(r.defaulted)} defaults"


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


#: name -> (finflow way, plain way or None, largest size to run at or None)
TASKS = {
    "load (validate) files": (load_finflow, load_plain, None),
    "load + F, E, L": (matrices_finflow, matrices_plain, None),
    "BFF decomposition": (decomposition_finflow, None, 1_000),
    "concentration (no BFF)": (concentration_finflow, concentration_plain, None),
    "top-10 cycles": (top_cycles_finflow, top_cycles_plain, None),
    "maximum circulation": (circulation_finflow, circulation_plain, None),
    "cascade, one shock": (cascade_finflow, cascade_plain, None),
    "linear DebtRank, one shock": (debtrank_finflow, debtrank_plain, None),
    "Eisenberg-Noe, one shock": (clearing_finflow, clearing_plain, None),
    "ranking, linear DebtRank": (ranking_finflow, ranking_plain, 10_000),
    "ranking, cascade": (ranking_cascade_finflow, None, 10_000),
    "HTML view": (view_finflow, view_plain, None),
}
