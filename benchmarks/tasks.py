"""The benchmark tasks: for each, finflow's way and the plain way (a straightforward
networkx / Python-loop implementation of the same work). Each function takes the network
folder, does the work, and may return a short note (e.g. a result to compare)."""
from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx

import finflow


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
    f = net.flow_matrix()
    e = net.exposure_matrix()
    ell = net.obligation_matrix()
    return f"E sum {e.sum():.6g}"


def matrices_plain(folder: str) -> str:
    g = plain_graph(folder)
    e = plain_exposures(g)
    return f"E sum {sum(sum(r.values()) for r in e.values()):.6g}"


def decomposition_finflow(folder: str) -> str:
    net = finflow.load(folder)
    d = finflow.circular_decomposition(net)
    return f"circularity {d.circularity:.4f}"


def concentration_finflow(folder: str) -> str:
    net = finflow.load(folder)
    r = finflow.concentration(net, self_financed=False)
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


#: name -> (finflow way, plain way or None, largest size to run at or None)
TASKS = {
    "load (validate) files": (load_finflow, load_plain, None),
    "load + F, E, L": (matrices_finflow, matrices_plain, None),
    "BFF decomposition": (decomposition_finflow, None, 1_000),
    "concentration (no BFF)": (concentration_finflow, concentration_plain, None),
}
