"""Cycles of the money-flow graph F: enumeration with limits, the heaviest cycles without
enumerating them all, each entity's heaviest cycle, and round-trip (vendor financing)
labels (``../shared/DESIGN.md`` section 3).

Every function works on F (``network.flow_matrix(status, kinds)``): payer -> payee, weight
= the summed amount of the selected commitments on that pair. The kernels run over CSR
arrays of F restricted to its strongly connected components (a cycle never leaves one).

Conventions used throughout:

* A cycle is listed starting from the **lexicographically smallest entity id** among its
  members, then in the direction money flows (``a > b > c`` means a pays b, b pays c, c
  pays a). One rule everywhere, so the same loop always prints the same way.
* ``bottleneck`` = the smallest edge amount on the cycle (the money that can go round it),
  ``total`` = the sum of its edge amounts, ``length`` = its number of edges.
* ``min_amount`` drops payer -> payee pairs whose summed amount is below it.
* Cycles are ordered by bottleneck (largest first), then total, then members.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from ..errors import FinflowError
from ..kinds import FINANCING_KINDS, PRODUCT_KINDS, resolve_kinds, resolve_statuses
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable
from ..netcheck import ensure_network

__all__ = [
    "Cycle",
    "CycleSet",
    "DEFAULT_LIMIT",
    "find_cycles",
    "count_cycles",
    "heaviest_cycles",
    "entity_heaviest_cycles",
    "round_trip_entities",
]


#: default hard limit on the number of cycles a count or an enumeration visits
DEFAULT_LIMIT = 100_000


# --------------------------------------------------------------------------------------
# graph preparation
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Edges:
    """F as parallel arrays (no self-loops, amounts > 0 and >= min_amount)."""

    n: int
    src: np.ndarray
    dst: np.ndarray
    w: np.ndarray
    #: edges in (payer, payee) order without repeats: csr() needs no sort
    ordered: bool = False

    def csr(self, keep: np.ndarray | None = None) -> sp.csr_array:
        s, d, w = (self.src, self.dst, self.w) if keep is None else (
            self.src[keep], self.dst[keep], self.w[keep])
        if not self.ordered:
            m = sp.csr_array((w, (s, d)), shape=(self.n, self.n))
            m.sum_duplicates()
            m.sort_indices()
            return m
        # edges in (payer, payee) order without repeats (as _edges_of makes them): the
        # CSR arrays directly, no sort
        indptr = np.zeros(self.n + 1, dtype=np.int64)
        np.cumsum(np.bincount(s, minlength=self.n), out=indptr[1:])
        m = sp.csr_array((w, d, indptr), shape=(self.n, self.n))
        m.has_sorted_indices = True
        m.has_canonical_format = True
        return m


def _edges_of(matrix: sp.spmatrix | sp.sparray, min_amount: float | None) -> _Edges:
    if isinstance(matrix, (sp.csr_array, sp.csr_matrix)):
        a = sp.csr_array(matrix)
        if not a.has_canonical_format:
            a = a.copy()
            a.sum_duplicates()
        src = np.repeat(np.arange(a.shape[0], dtype=np.int64), np.diff(a.indptr))
        dst, w = a.indices.astype(np.int64), a.data.astype(float)
    else:
        coo = sp.coo_array(matrix)
        coo.sum_duplicates()
        src, dst, w = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(float)
        order = np.lexsort((dst, src))
        src, dst, w = src[order], dst[order], w[order]
    keep = (src != dst) & (w > 0) & np.isfinite(w)
    if min_amount is not None:
        keep &= w >= float(min_amount)
    return _Edges(int(matrix.shape[0]), src[keep], dst[keep], w[keep], ordered=True)


def _network_edges(network: Network, status, kinds, min_amount) -> _Edges:
    if min_amount is not None and (not np.isfinite(min_amount) or min_amount < 0):
        raise FinflowError(f"min amount must be a number >= 0, got {min_amount!r}")
    return _edges_of(network.flow_matrix(status, kinds, copy=False), min_amount)


def _check_length(max_length: int | None) -> int | None:
    if max_length is None:
        return None
    if int(max_length) != max_length or max_length < 1:
        raise FinflowError(f"max length must be a whole number >= 1 (or none), got {max_length!r}")
    return int(max_length)


def _check_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    if int(limit) != limit or limit < 0:
        raise FinflowError(f"limit must be a whole number >= 0 (or none), got {limit!r}")
    return int(limit)


def _components(a: sp.csr_array) -> np.ndarray:
    """SCC label per node; -1 for nodes outside every SCC of more than one node."""
    n = a.shape[0]
    if a.nnz == 0:
        return np.full(n, -1, dtype=np.int64)
    _, lab = csgraph.connected_components(a, directed=True, connection="strong")
    sizes = np.bincount(lab)
    return np.where(sizes[lab] > 1, lab, -1).astype(np.int64)


class _Adjacency:
    """Sorted out- and in-neighbour lists inside the nontrivial SCCs of a CSR matrix
    (built on first use: counts that the circuit rank settles never need them)."""

    def __init__(self, a: sp.csr_array):
        self.n = a.shape[0]
        comp = _components(a)
        self.comp = comp
        coo = a.tocoo()
        r, c = coo.row, coo.col
        inside = (comp[r] >= 0) & (comp[r] == comp[c])
        self._r, self._c = r[inside], c[inside]
        self.n_edges = int(len(self._r))
        self.n_nodes = int(np.count_nonzero(comp >= 0))
        # circuit rank summed over components: a lower bound on the number of simple
        # cycles of a strongly connected digraph (each ear of an ear decomposition
        # closes one)
        self.n_components = int(np.count_nonzero(np.bincount(comp[comp >= 0]))) \
            if self.n_nodes else 0
        self.circuit_rank = self.n_edges - self.n_nodes + self.n_components
        self._out: dict[int, list[int]] | None = None
        self._inn: dict[int, list[int]] | None = None

    @property
    def out(self) -> dict[int, list[int]]:
        if self._out is None:
            order = np.lexsort((self._c, self._r))
            self._out = _group(self._r[order], self._c[order])
        return self._out

    @property
    def inn(self) -> dict[int, list[int]]:
        if self._inn is None:
            order = np.lexsort((self._r, self._c))
            self._inn = _group(self._c[order], self._r[order])
        return self._inn

    @property
    def starts(self) -> list[int]:
        return sorted(self.out)


def _group(keys: np.ndarray, vals: np.ndarray) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    if len(keys) == 0:
        return out
    cut = np.flatnonzero(np.diff(keys)) + 1
    for ks, vs in zip(np.split(keys, cut), np.split(vals, cut)):
        out[int(ks[0])] = vs.tolist()
    return out


# --------------------------------------------------------------------------------------
# enumeration kernels
# --------------------------------------------------------------------------------------
def _johnson(adj: _Adjacency, copy: bool = True) -> Iterator[list[int]]:
    """Every simple cycle once, from its smallest node (Johnson 1975, iterative).

    For each start s the search is confined to s's SCC and nodes > s; nodes that cannot
    reach s stay blocked, so a start costs O(n_C + m_C) beyond its output. With
    ``copy=False`` the yielded list is the live search path (for counting only).
    """
    out = adj.out
    for s in adj.starts:

        def nbrs(v: int, s: int = s) -> list[int]:
            lst = out.get(v, ())
            return lst[bisect.bisect_left(lst, s):] if lst else []

        blocked = {s}
        b_sets: dict[int, set[int]] = {}
        path = [s]
        stack = [iter(nbrs(s))]
        closed = [False]
        while stack:
            for w in stack[-1]:
                if w == s:
                    yield path[:] if copy else path
                    closed[-1] = True
                elif w not in blocked:
                    path.append(w)
                    closed.append(False)
                    stack.append(iter(nbrs(w)))
                    blocked.add(w)
                    break
            else:
                stack.pop()
                v = path.pop()
                if closed.pop():
                    if closed:
                        closed[-1] = True
                    todo = {v}
                    while todo:
                        u = todo.pop()
                        if u in blocked:
                            blocked.discard(u)
                            todo.update(b_sets.pop(u, ()))
                else:
                    for w in nbrs(v):
                        b_sets.setdefault(w, set()).add(v)


def _bounded(adj: _Adjacency, max_length: int, copy: bool = True) -> Iterator[list[int]]:
    """Every simple cycle of at most ``max_length`` edges once, from its smallest node.

    Depth-first search from each start s over nodes > s in its SCC, pruned by the
    breadth-first distance back to s (a node is entered only if the cycle can still close
    within the bound).
    """
    out, inn = adj.out, adj.inn
    if max_length < 2:
        return
    for s in adj.starts:
        # distance of every node > s back to s, through nodes > s, up to max_length - 1
        dist = {s: 0}
        frontier = [s]
        d = 0
        while frontier and d < max_length - 1:
            d += 1
            nxt = []
            for x in frontier:
                for y in inn.get(x, ()):
                    if y > s and y not in dist:
                        dist[y] = d
                        nxt.append(y)
            frontier = nxt
        if len(dist) == 1:
            continue

        def nbrs(v: int, s: int = s) -> list[int]:
            lst = out.get(v, ())
            return lst[bisect.bisect_left(lst, s):] if lst else []

        path = [s]
        on_path = {s}
        stack = [iter(nbrs(s))]
        while stack:
            k = len(path)
            for w in stack[-1]:
                if w == s:
                    yield path[:] if copy else path
                elif w not in on_path:
                    dw = dist.get(w)
                    if dw is not None and k + dw <= max_length:
                        path.append(w)
                        on_path.add(w)
                        stack.append(iter(nbrs(w)))
                        break
            else:
                stack.pop()
                on_path.discard(path.pop())


def _cycles_of(adj: _Adjacency, max_length: int | None,
               copy: bool = True) -> Iterator[list[int]]:
    return _johnson(adj, copy) if max_length is None else _bounded(adj, max_length, copy)


def _capped(it: Iterator[list[int]], cap: int | None) -> tuple[list[list[int]], bool]:
    """At most ``cap`` items of ``it`` and whether more were left."""
    if cap is None:
        return list(it), False
    got = list(itertools.islice(it, cap + 1))
    if len(got) > cap:
        return got[:cap], True
    return got, False


def _count(it: Iterator[list[int]], cap: int | None) -> tuple[int, bool]:
    n = 0
    for _ in it:
        n += 1
        if cap is not None and n > cap:
            return cap, True
    return n, False


def _count_adj(adj: _Adjacency, max_length: int | None, cap: int | None) -> tuple[int, bool]:
    """Count cycles up to ``cap``; without a length bound, a circuit rank above ``cap``
    already proves the count exceeds it (no enumeration)."""
    if max_length is None and cap is not None and adj.circuit_rank > cap:
        return cap, True
    return _count(_cycles_of(adj, max_length, copy=False), cap)


# --------------------------------------------------------------------------------------
# the cycle record
# --------------------------------------------------------------------------------------
def round_trip_entities(nodes: Sequence[str], edge_kinds: Sequence[Iterable[str]]) -> tuple[str, ...]:
    """Members of a cycle through which money round-trips as vendor financing.

    Member X round-trips when the cycle's edge out of X carries a financing kind
    (:data:`finflow.kinds.FINANCING_KINDS`: equity, warrant, loan, bond, credit) and the
    cycle's edge into X carries a product kind (:data:`finflow.kinds.PRODUCT_KINDS`:
    purchase, compute, lease): X's money leaves as financing and comes back as payment
    for its product.

    Parameters
    ----------
    nodes : sequence of str
        The members in cycle order; edge ``k`` runs ``nodes[k] -> nodes[k + 1]`` (the last
        back to ``nodes[0]``).
    edge_kinds : sequence of iterables of str
        The kinds present on each edge. The flow graph sums every kind of a payer-payee
        pair, so a pair counts as financing (product) when *any* of its commitments is.

    Returns
    -------
    tuple of str
        The round-tripping members, in cycle order.

    Examples
    --------
    >>> round_trip_entities(["nvidia", "openai", "oracle"],
    ...                     [["equity"], ["compute"], ["purchase"]])
    ('nvidia',)
    """
    k = len(nodes)
    out = []
    for i in range(k):
        leaving = set(edge_kinds[i])
        arriving = set(edge_kinds[i - 1])
        if leaving & FINANCING_KINDS and arriving & PRODUCT_KINDS:
            out.append(nodes[i])
    return tuple(out)


@dataclass(frozen=True)
class Cycle:
    """One simple cycle of the flow graph.

    ``nodes`` start from the lexicographically smallest id; edge ``k`` runs
    ``nodes[k] -> nodes[k+1]`` (the last one back to ``nodes[0]``) and ``edges[k]`` holds
    its payer, payee, amount (summed over the pair's selected commitments), kinds,
    statuses and commitment ids.
    """

    nodes: tuple[str, ...]
    edges: tuple[dict[str, Any], ...]

    @property
    def amounts(self) -> tuple[float, ...]:
        return tuple(float(e["amount"]) for e in self.edges)

    @property
    def bottleneck(self) -> float:
        """The smallest edge amount: the money that can go round."""
        return min(self.amounts)

    @property
    def total(self) -> float:
        return float(sum(self.amounts))

    @property
    def length(self) -> int:
        return len(self.nodes)

    @property
    def round_trip_entities(self) -> tuple[str, ...]:
        return round_trip_entities(self.nodes, [e["kinds"] for e in self.edges])

    @property
    def round_trip(self) -> str | None:
        """``"vendor financing: X"`` when money round-trips through X (see
        :func:`round_trip_entities`), else None."""
        who = self.round_trip_entities
        return f"vendor financing: {', '.join(who)}" if who else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": list(self.nodes),
            "bottleneck": self.bottleneck,
            "total": self.total,
            "length": self.length,
            "round_trip": self.round_trip,
            "round_trip_entities": list(self.round_trip_entities),
            "edges": jsonable(list(self.edges)),
        }

    def describe(self) -> str:
        """``a > b > c > a`` with each edge's kinds and amount."""
        parts = [f"{e['payer']} -[{'+'.join(e['kinds'])} {format_number(e['amount'])}]-> "
                 for e in self.edges]
        return "".join(parts) + self.nodes[0]


def _rotate(cycle: Sequence[int], names: Sequence[str]) -> list[int]:
    k = min(range(len(cycle)), key=lambda i: names[cycle[i]])
    return list(cycle[k:]) + list(cycle[:k])


class _Weights:
    """Edge amount lookup on a CSR matrix with sorted indices."""

    def __init__(self, a: sp.csr_array):
        self.indptr, self.indices, self.data = a.indptr, a.indices, a.data

    def __call__(self, u: int, v: int) -> float:
        lo, hi = self.indptr[u], self.indptr[u + 1]
        k = lo + int(np.searchsorted(self.indices[lo:hi], v))
        return float(self.data[k])

    def of(self, cyc: Sequence[int]) -> list[float]:
        return [self(cyc[i], cyc[(i + 1) % len(cyc)]) for i in range(len(cyc))]


def _sort_key(c: Cycle) -> tuple:
    return (-c.bottleneck, -c.total, c.length, c.nodes)


def _pair_details(network: Network, status, kinds,
                  pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], dict[str, Any]]:
    """Kinds, statuses and commitment ids of the selected commitments on given pairs."""
    pairs = set(pairs)
    if not pairs:
        return {}
    n = network.n
    rows, payer, payee = network.endpoints(status, kinds)
    code = payer.astype(np.int64) * n + payee
    wanted = np.array([u * n + v for u, v in pairs], dtype=np.int64)
    hit = np.isin(code, wanted)
    rows, codes = rows[hit], code[hit]
    com = network.commitments
    kind = com["kind"].to_numpy(dtype=object)[rows]
    status_ = com["status"].to_numpy(dtype=object)[rows]
    ids = com["id"].to_numpy(dtype=object)[rows]
    cancel = (com["cancelable"].to_numpy(dtype=object)[rows] if "cancelable" in com
              else np.full(len(rows), False, dtype=object))
    out: dict[tuple[int, int], dict[str, Any]] = {}
    for c, k, st, i, cn in zip(codes.tolist(), kind, status_, ids, cancel):
        key = (c // n, c % n)
        d = out.setdefault(key, {"kinds": set(), "statuses": set(), "commitments": [],
                                 "cancelable": False})
        d["kinds"].add(k)
        d["statuses"].add(st)
        d["commitments"].append(i)
        d["cancelable"] = d["cancelable"] or bool(cn)
    return out


def _make_cycles(network: Network, status, kinds, raw: Iterable[Sequence[int]],
                 weights: _Weights) -> list[Cycle]:
    names = network.index
    raw = [_rotate(c, names) for c in raw]
    pairs = {(c[i], c[(i + 1) % len(c)]) for c in raw for i in range(len(c))}
    details = _pair_details(network, status, kinds, pairs)
    out = []
    for c in raw:
        edges = []
        for i in range(len(c)):
            u, v = c[i], c[(i + 1) % len(c)]
            d = details.get((u, v), {"kinds": set(), "statuses": set(), "commitments": [],
                                     "cancelable": False})
            edges.append({"payer": names[u], "payee": names[v], "amount": weights(u, v),
                          "kinds": sorted(d["kinds"]), "statuses": sorted(d["statuses"]),
                          "commitments": list(d["commitments"]),
                          "cancelable": bool(d["cancelable"])})
        out.append(Cycle(tuple(names[i] for i in c), tuple(edges)))
    out.sort(key=_sort_key)
    return out


# --------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------
def ties_sentence(cycles, ties_left: int, ties_cut: bool) -> str:
    """The sentence saying that cycles tie at the cut-off of a top-K list ("" if none)."""
    if not ties_left or not cycles:
        return ""
    more = f"At least {ties_left:,}" if ties_cut else f"{ties_left:,}"
    return (f"{more} more cycle{' ties' if ties_left == 1 and not ties_cut else 's tie'} at the "
            f"last bottleneck listed ({format_number(cycles[-1].bottleneck)}) and "
            f"{'is' if ties_left == 1 and not ties_cut else 'are'} not listed: the "
            "list is cut inside a tie (ask for more with --top).")


@dataclass(frozen=True)
class CycleSet(Result):
    """Cycles found on the flow graph, with the search's parameters.

    ``count`` is the number of cycles found; when ``truncated`` is true the search
    stopped at ``limit`` and ``count`` is a lower bound.
    """

    cycles: tuple[Cycle, ...]
    count: int
    truncated: bool
    method: str
    max_length: int | None
    min_amount: float | None
    limit: int | None
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    unit: str
    ties_cut: bool = False
    ties_left: int = 0
    title: str = "Cycles"

    def to_frame(self) -> pd.DataFrame:
        return cycles_frame(self.cycles)

    def summary(self) -> list[str]:
        bound = " (a lower bound: the limit stopped the search)" if self.truncated else ""
        lines = [f"{self.count} cycle{'s' if self.count != 1 else ''} "
                 f"{'listed' if self.method == 'heaviest' else 'found'}{bound}."]
        if self.cycles:
            c = self.cycles[0]
            lines.append(f"Heaviest: {' > '.join(c.nodes)} > {c.nodes[0]}, bottleneck "
                         f"{format_number(c.bottleneck)} {self.unit}.")
        tie = ties_sentence(self.cycles, self.ties_left, self.ties_cut)
        if tie:
            lines.append(tie)
        return lines

    def notes(self) -> list[str]:
        out = [f"statuses counted: {', '.join(self.statuses)}",
               f"kinds counted: {', '.join(self.kinds)}",
               "flow graph F: payer -> payee, amounts summed per pair",
               "cycles start from their lexicographically smallest member"]
        if self.max_length is not None:
            out.append(f"cycles of at most {self.max_length} edges")
        if self.min_amount is not None:
            out.append(f"pairs below {format_number(self.min_amount)} dropped")
        if self.ties_cut:
            out.append("more cycles tie at the last bottleneck listed than were examined; "
                       "the bottleneck values are exact, the choice among ties is not by total")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"cycles": [c.to_dict() for c in self.cycles], "count": self.count,
                "truncated": self.truncated, "method": self.method,
                "max_length": self.max_length, "min_amount": self.min_amount,
                "limit": self.limit, "statuses": list(self.statuses),
                "kinds": list(self.kinds), "unit": self.unit, "ties_cut": self.ties_cut,
                "ties_left": self.ties_left}


def cycles_frame(cycles: Sequence[Cycle]) -> pd.DataFrame:
    """One row per cycle: rank, members, length, bottleneck, total, round trip, kinds."""
    return pd.DataFrame({
        "rank": np.arange(1, len(cycles) + 1, dtype=int),
        "cycle": [" > ".join(c.nodes + (c.nodes[0],)) for c in cycles],
        "length": np.array([c.length for c in cycles], dtype=int),
        "bottleneck": np.array([c.bottleneck for c in cycles], dtype=float),
        "total": np.array([c.total for c in cycles], dtype=float),
        "round_trip": [c.round_trip or "" for c in cycles],
        "kinds": [" / ".join("+".join(e["kinds"]) for e in c.edges) for c in cycles],
        "statuses": [" / ".join("+".join(e["statuses"]) for e in c.edges) for c in cycles],
    })


# --------------------------------------------------------------------------------------
# public functions
# --------------------------------------------------------------------------------------
def find_cycles(network: Network, max_length: int | None = None,
                min_amount: float | None = None, limit: int | None = DEFAULT_LIMIT,
                status: str | Iterable[str] | None = None,
                kinds: str | Iterable[str] | None = None) -> CycleSet:
    """Enumerate the simple cycles of the flow graph, up to a hard limit.

    Parameters
    ----------
    network : Network
    max_length : int, optional
        Only cycles of at most this many edges.
    min_amount : float, optional
        Drop payer -> payee pairs whose summed amount is below this.
    limit : int or None, default 100,000
        Stop after this many cycles; the result then has ``truncated`` true and its
        ``count`` is a lower bound. ``None`` enumerates every cycle (their number can grow
        exponentially with the size of the network).
    status, kinds : str or list of str, optional
        The status and kind filters that make the flow graph (default: every status but
        lapsed, every kind).

    Returns
    -------
    CycleSet
        The cycles ordered by bottleneck, then total (of those visited when truncated).

    Raises
    ------
    FinflowError
        On a bad filter, length, amount or limit.

    Notes
    -----
    Cycles are searched only inside strongly connected components (scipy's
    ``connected_components(connection="strong")``). Without a length bound, Johnson's
    algorithm (1975) over sorted adjacency lists: each cycle is found once, from its
    smallest node, in O((n + m)(c + 1)) time for c cycles. With a bound, a depth-first
    search from each start pruned by the breadth-first distance back to the start. A
    limit bounds the output, so a search on a large dense component stops quickly.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "c", "b"], "payee": ["b", "c", "a", "a"],
    ...                   "kind": ["equity", "compute", "purchase", "other"],
    ...                   "amount": [5.0, 3.0, 4.0, 1.0]}))
    >>> res = find_cycles(net)
    >>> [(c.nodes, c.bottleneck) for c in res.cycles]
    [(('a', 'b', 'c'), 3.0), (('a', 'b'), 1.0)]
    >>> res.cycles[0].round_trip
    'vendor financing: a'

    References
    ----------
    D. B. Johnson (1975), "Finding all the elementary circuits of a directed graph",
    SIAM J. Computing 4(1):77-84.
    """
    ensure_network(network, "find_cycles")
    max_length = _check_length(max_length)
    limit = _check_limit(limit)
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    e = _network_edges(network, statuses, kind_list, min_amount)
    a = e.csr()
    raw, truncated = _capped(_cycles_of(_Adjacency(a), max_length), limit)
    cycles = _make_cycles(network, statuses, kind_list, raw, _Weights(a))
    return CycleSet(tuple(cycles), len(cycles), truncated, "enumerate", max_length,
                    min_amount, limit, statuses, kind_list, network.unit_label)


def count_cycles(network: Network, max_length: int | None = None,
                 min_amount: float | None = None, limit: int | None = DEFAULT_LIMIT,
                 status: str | Iterable[str] | None = None,
                 kinds: str | Iterable[str] | None = None) -> tuple[int, bool]:
    """Count the simple cycles of the flow graph, up to a hard limit.

    Parameters
    ----------
    network : Network
        The network (its money-flow graph: payer -> payee, amounts summed per pair).
    max_length : int, optional
        Only cycles of at most this many edges.
    min_amount : float, optional
        Drop payer -> payee pairs whose summed amount is below this.
    limit : int or None
        Stop counting after this many cycles (the result then says the count is a lower
        bound); ``None`` counts every cycle.
    status, kinds : str or list of str, optional
        The status and kind filters that make the flow graph (default: every status but
        lapsed, every kind).

    Returns
    -------
    (count, truncated) : (int, bool)
        When ``truncated`` is true the count stopped at ``limit`` and is a lower bound.

    Raises
    ------
    FinflowError
        On a bad filter, length, amount or limit.

    Notes
    -----
    The search of :func:`find_cycles` without building the cycle records. Without a
    length bound, when the circuit rank m - n + (number of strongly connected components)
    exceeds the limit the count stops at once: a strongly connected digraph has at least
    that many simple cycles (each ear of an ear decomposition closes a new one). The
    complete digraph on n nodes has sum over k = 2..n of C(n, k) (k - 1)! simple cycles.

    Examples
    --------
    >>> import itertools, pandas as pd, finflow
    >>> ids = ["a", "b", "c", "d"]
    >>> pairs = list(itertools.permutations(ids, 2))
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ids}), pd.DataFrame(
    ...     {"payer": [p for p, _ in pairs], "payee": [q for _, q in pairs],
    ...      "kind": "other", "amount": 1.0}))
    >>> count_cycles(net)            # 6 + 4*2 + 1*6
    (20, False)
    >>> count_cycles(net, limit=10)
    (10, True)

    References
    ----------
    D. B. Johnson (1975), "Finding all the elementary circuits of a directed graph",
    SIAM J. Computing 4(1):77-84.
    """
    ensure_network(network, "count_cycles")
    max_length = _check_length(max_length)
    limit = _check_limit(limit)
    e = _network_edges(network, status, kinds, min_amount)
    return _count_adj(_Adjacency(e.csr()), max_length, limit)


def _top_raw(e: _Edges, top: int, max_length: int | None,
             tie_cap: int | None = None) -> tuple[list[list[int]], bool, int]:
    """The ``top`` cycles with the largest bottlenecks (node index lists), whether
    cycles tying at the last bottleneck were cut before all were seen, and how many
    cycles seen tie at the last bottleneck but are not listed (a lower bound when cut)."""
    if top <= 0 or len(e.w) == 0:
        return [], False, 0
    vals = np.unique(e.w)[::-1]          # distinct amounts, largest first
    cache: dict[int, _Adjacency] = {}

    def adj(i: int) -> _Adjacency:
        if i not in cache:
            cache[i] = _Adjacency(e.csr(e.w >= vals[i]))
        return cache[i]

    def enough(i: int) -> bool:
        a = adj(i)
        if a.n_components == 0:
            return False
        if max_length is None and a.circuit_rank >= top:
            return True
        got = list(itertools.islice(_cycles_of(a, max_length), top))
        return len(got) >= top

    last = len(vals) - 1
    if not enough(last):
        # fewer than `top` cycles in the whole graph: all of them
        return list(_cycles_of(adj(last), max_length)), False, 0
    lo, hi = 0, last
    while lo < hi:                       # smallest i with at least `top` cycles
        mid = (lo + hi) // 2
        if enough(mid):
            hi = mid
        else:
            lo = mid + 1
        cache = {k: v for k, v in cache.items() if k in (lo, hi, lo - 1)}
    star = lo
    above: list[list[int]] = []
    if star > 0:                         # fewer than `top` cycles above vals[star]
        above = list(_cycles_of(adj(star - 1), max_length))
    need = top - len(above)
    cap = len(above) + max(tie_cap if tie_cap is not None else 10 * top, need, 1000)
    a = adj(star)
    seen, cut = _capped(_cycles_of(a, max_length), cap)
    wt = _Weights(e.csr(e.w >= vals[star]))
    t = vals[star]
    ties = [c for c in seen if min(wt.of(c)) == t]
    ties.sort(key=lambda c: -sum(wt.of(c)))
    return above + ties[:need], cut and len(ties) > need, max(0, len(ties) - need)


def heaviest_cycles(network: Network, top: int = 10, max_length: int | None = None,
                    min_amount: float | None = None,
                    status: str | Iterable[str] | None = None,
                    kinds: str | Iterable[str] | None = None) -> CycleSet:
    """The ``top`` cycles with the largest bottlenecks, without enumerating every cycle.

    Parameters
    ----------
    network : Network
    top : int, default 10
        How many cycles.
    max_length : int, optional
        Only cycles of at most this many edges.
    min_amount : float, optional
        Drop payer -> payee pairs whose summed amount is below this.
    status, kinds : str or list of str, optional
        The status and kind filters that make the flow graph (default: every status but
        lapsed, every kind).

    Returns
    -------
    CycleSet
        At most ``top`` cycles ordered by bottleneck, then total. Their bottleneck values
        are exactly the ``top`` largest over all simple cycles (with multiplicity).

    Raises
    ------
    FinflowError
        On a bad filter, length, amount or ``top``.

    Notes
    -----
    Let G(t) be F restricted to pairs of amount >= t and c(t) its number of simple cycles,
    which grows as t falls. A cycle has bottleneck >= t exactly when it lies in G(t). A
    binary search over the distinct amounts finds the largest t* with c(t*) >= top; each
    test computes the strongly connected components of G(t) (scipy) and then counts
    cycles only up to ``top``: without a length bound it first uses the circuit rank
    m - n + (number of components), a lower bound on the number of cycles of strongly
    connected digraphs, and enumerates nothing when that already reaches ``top``. The
    answer is then every cycle of G(next amount above t*) (fewer than ``top``, enumerated
    in full) plus cycles of bottleneck exactly t* to fill ``top``. When more cycles tie at
    t* than were examined (at least 10 x top or 1,000), the choice among them is by
    enumeration order, not by total, and ``ties_cut`` says so. Cost: O(log m) SCC
    computations plus enumeration of O(top) cycles in graphs that hold few cycles.

    The heaviest cycle alone (``top=1``) is the smallest threshold search: the largest t
    for which G(t) has a strongly connected component of more than one node.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "c", "b"], "payee": ["b", "c", "a", "a"],
    ...                   "kind": "other", "amount": [5.0, 3.0, 4.0, 1.0]}))
    >>> [c.bottleneck for c in heaviest_cycles(net, top=1).cycles]
    [3.0]

    References
    ----------
    P. M. Camerini (1978), "The min-max spanning tree problem and some extensions",
    Information Processing Letters 7(1):10-14 (threshold search for bottleneck problems).
    D. B. Johnson (1975), "Finding all the elementary circuits of a directed graph",
    SIAM J. Computing 4(1):77-84.
    """
    ensure_network(network, "heaviest_cycles")
    if int(top) != top or top < 0:
        raise FinflowError(f"top must be a whole number >= 0, got {top!r}")
    max_length = _check_length(max_length)
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    e = _network_edges(network, statuses, kind_list, min_amount)
    raw, cut, left = _top_raw(e, int(top), max_length)
    cycles = _make_cycles(network, statuses, kind_list, raw, _Weights(e.csr()))[: int(top)]
    return CycleSet(tuple(cycles), len(cycles), False, "heaviest", max_length, min_amount,
                    None, statuses, kind_list, network.unit_label, ties_cut=cut,
                    ties_left=left)


# --------------------------------------------------------------------------------------
# each entity's heaviest cycle
# --------------------------------------------------------------------------------------
def _merge_times(e: _Edges, rank: np.ndarray, n_ranks: int) -> np.ndarray:
    """For every edge, the first rank t at which its endpoints are strongly connected in
    the graph of edges of rank <= t (``n_ranks`` when never).

    Offline incremental strongly connected components by divide and conquer over rank:
    solve(lo, hi, E) holds the edges whose answer lies in [lo, hi]; with the components
    merged before lo contracted by union-find, the SCCs of E's edges of rank <= mid
    split E into answers <= mid and > mid. Each edge takes part in O(log m) SCC
    computations.
    """
    n = e.n
    parent = np.arange(n, dtype=np.int64)
    times = np.full(len(e.src), n_ranks, dtype=np.int64)

    def find(x: np.ndarray) -> np.ndarray:
        r = parent[x]
        while True:
            rr = parent[r]
            if np.array_equal(rr, r):
                break
            r = rr
        parent[x] = r
        return r

    def union(ids: np.ndarray) -> None:
        # connected components of the edges' endpoints by min-label propagation with
        # pointer jumping: every root ends up pointing to its component's smallest root
        u, v = find(e.src[ids]), find(e.dst[ids])
        while not np.array_equal(u, v):
            m = np.minimum(u, v)
            np.minimum.at(parent, u, m)
            np.minimum.at(parent, v, m)
            u, v = find(u), find(v)

    stack = [(0, n_ranks, np.arange(len(e.src)))]
    # depth-first, left half first: a stack popped from the end, right pushed first
    while stack:
        lo, hi, ids = stack.pop()
        if ids.size == 0:
            continue
        if lo == hi:
            times[ids] = lo
            if lo < n_ranks:
                union(ids)
            continue
        mid = (lo + hi) // 2
        u, v = find(e.src[ids]), find(e.dst[ids])
        early = rank[ids] <= mid
        same = np.zeros(ids.size, dtype=bool)
        if early.any():
            eu, ev = u[early], v[early]
            nodes, inv = np.unique(np.concatenate([eu, ev]), return_inverse=True)
            k = len(nodes)
            g = sp.csr_array((np.ones(len(eu)), (inv[:len(eu)], inv[len(eu):])), shape=(k, k))
            _, lab = csgraph.connected_components(g, directed=True, connection="strong")
            pu = np.searchsorted(nodes, u)
            pv = np.searchsorted(nodes, v)
            ok = (pu < k) & (pv < k)
            ok[ok] &= (nodes[pu[ok]] == u[ok]) & (nodes[pv[ok]] == v[ok])
            same[ok] = lab[pu[ok]] == lab[pv[ok]]
        stack.append((mid + 1, hi, ids[~same]))
        stack.append((lo, mid, ids[same]))
    return times


def _entity_levels(e: _Edges) -> tuple[np.ndarray, np.ndarray]:
    """Per node: the rank of the heaviest cycle through it (``len(vals)`` when none) and
    the distinct amounts (largest first)."""
    vals = np.unique(e.w)[::-1]
    if len(vals) == 0:
        return np.zeros(e.n, dtype=np.int64), vals
    rank = len(vals) - 1 - np.searchsorted(vals[::-1], e.w)
    times = _merge_times(e, rank, len(vals))
    level = np.full(e.n, len(vals), dtype=np.int64)
    np.minimum.at(level, e.src, times)
    np.minimum.at(level, e.dst, times)
    return level, vals


def _entity_cycles(e: _Edges, level: np.ndarray, vals: np.ndarray,
                   max_searches: int | None) -> tuple[dict[int, list[int]], bool]:
    """A heaviest cycle through each node (node index lists), reusing a cycle for every
    member whose heaviest bottleneck it attains; at most ``max_searches`` searches."""
    found: dict[int, list[int]] = {}
    searches = 0
    cut = False
    for t in np.unique(level[level < len(vals)]):
        members = [v for v in np.flatnonzero(level == t).tolist() if v not in found]
        if not members:
            continue
        h = e.csr(e.w >= vals[t])
        ht = h.T.tocsr()
        for v in members:
            if v in found:
                continue
            if max_searches is not None and searches >= max_searches:
                cut = True
                break
            searches += 1
            preds_in = ht.indices[ht.indptr[v]:ht.indptr[v + 1]]
            dist, pred = csgraph.shortest_path(h, directed=True, unweighted=True,
                                               indices=v, return_predecessors=True)
            d = dist[preds_in]
            x = int(preds_in[np.argmin(d)])
            path = [x]
            while path[-1] != v:
                path.append(int(pred[path[-1]]))
            cyc = path[::-1]
            for u in cyc:
                if level[u] == t and u not in found:
                    found[u] = cyc
        if cut:
            break
    return found, cut


def entity_heaviest_cycles(network: Network, min_amount: float | None = None,
                           status: str | Iterable[str] | None = None,
                           kinds: str | Iterable[str] | None = None,
                           max_searches: int | None = 2_000) -> pd.DataFrame:
    """Each entity's heaviest cycle: the largest bottleneck of a cycle through it.

    Parameters
    ----------
    network : Network
        The network (its money-flow graph: payer -> payee, amounts summed per pair).
    min_amount : float, optional
        Drop payer -> payee pairs whose summed amount is below this.
    status, kinds : str or list of str, optional
        The status and kind filters that make the flow graph (default: every status but
        lapsed, every kind).
    max_searches : int or None, default 2,000
        At most this many breadth-first searches to list the members of the cycles
        (the bottleneck is computed for every entity regardless); entities beyond it get
        their bottleneck but no member list, and the frame's ``attrs["members_cut"]``
        is true.

    Returns
    -------
    pandas.DataFrame
        ``id``, ``heaviest_cycle_bottleneck`` (NaN when on no cycle),
        ``heaviest_cycle`` (members from the smallest id, a list; None when on no cycle
        or not searched) and ``heaviest_cycle_length``.

    Raises
    ------
    FinflowError
        On a bad filter or amount.

    Notes
    -----
    Entity v's heaviest bottleneck is the largest t such that v lies in a strongly
    connected component of more than one node of G(t), F restricted to amounts >= t.
    It is found for every entity at once by offline incremental strongly connected
    components (divide and conquer over the edges sorted by amount, union-find
    contraction; O(m log m) work in O(m) scipy SCC calls at most). The cycle itself is a
    shortest cycle through v in G(t) (breadth-first search), and is reused for each of
    its members whose heaviest bottleneck it attains.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "b", "c"], "payee": ["b", "a", "c", "b"],
    ...                   "kind": "other", "amount": [5.0, 4.0, 1.0, 2.0]}))
    >>> entity_heaviest_cycles(net)["heaviest_cycle_bottleneck"].tolist()
    [4.0, 4.0, 1.0]

    References
    ----------
    R. E. Tarjan (1972), "Depth-first search and linear graph algorithms", SIAM J.
    Computing 1(2):146-160 (strongly connected components; scipy implements Pearce's
    variant of it).
    """
    ensure_network(network, "entity_heaviest_cycles")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    e = _network_edges(network, statuses, kind_list, min_amount)
    return _entity_frame(network, e, max_searches)


def _entity_frame(network: Network, e: _Edges, max_searches: int | None) -> pd.DataFrame:
    level, vals = _entity_levels(e)
    on = level < len(vals)
    bottleneck = np.full(e.n, np.nan)
    bottleneck[on] = vals[level[on]]
    found, cut = _entity_cycles(e, level, vals, max_searches)
    names = network.index
    members: list[Any] = [None] * e.n
    for v, cyc in found.items():
        members[v] = [names[i] for i in _rotate(cyc, names)]
    frame = pd.DataFrame({
        "id": list(names),
        "heaviest_cycle_bottleneck": bottleneck,
        "heaviest_cycle": members,
        "heaviest_cycle_length": pd.array([len(m) if m else None for m in members],
                                          dtype="Int64"),
    })
    frame.attrs["members_cut"] = bool(cut)
    return frame
