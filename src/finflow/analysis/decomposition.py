"""The unique circular/directional decomposition of a money-flow network by balanced flow
forwarding (BFF), after Homs-Dones, MacKay, Sansom and Zhou (2025).

Every edge's amount splits into a *circular* part C (money that goes round: C is balanced,
in = out at every entity) and a *directional* part D (money that passes through: D is
acyclic), W = C + D. Many such splits exist (the maximum circulation is one, and its split
over edges is not unique); BFF picks one by a rule that depends only on the network, so a
per-entity circular share is well defined.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph
from scipy.sparse import linalg as spla

from ..errors import FinflowError
from ..kinds import resolve_kinds, resolve_statuses
from ..model import Network
from ..render import format_number
from ..results import Result, jsonable, records

__all__ = ["bff", "stationary_distribution", "circular_decomposition", "Decomposition"]


def stationary_distribution(p: sp.csr_array) -> np.ndarray:
    """Stationary distribution pi (pi P = pi, sum 1) of an irreducible row-stochastic
    sparse matrix, by one sparse LU solve of (I - P)^T pi = 0 with one equation replaced
    by sum(pi) = 1."""
    m = p.shape[0]
    if m == 1:
        return np.ones(1)
    a = (sp.identity(m, format="csr") - p).T.tolil()
    a[m - 1, :] = np.ones(m)
    b = np.zeros(m)
    b[m - 1] = 1.0
    pi = spla.spsolve(sp.csc_matrix(a.tocsr()), b)
    pi = np.clip(np.asarray(pi, dtype=float), 0.0, None)
    return pi / pi.sum()


def bff(w: sp.spmatrix | np.ndarray, *, max_rounds: int | None = None,
        rtol: float = 1e-12) -> tuple[sp.csr_array, sp.csr_array]:
    """Split a non-negative flow matrix into circular and directional parts by balanced
    flow forwarding.

    Parameters
    ----------
    w : sparse or dense (n, n) array
        ``w[i, j]`` >= 0 = flow from i to j.
    max_rounds : int, optional
        Stop with an error after this many rounds (default: the number of edges, which
        always suffices: each round removes at least one edge).
    rtol : float
        Remaining amounts below ``rtol`` x the largest amount count as zero.

    Returns
    -------
    (C, D) : tuple of scipy.sparse.csr_array
        ``C`` balanced (row sums equal column sums), ``D`` acyclic, ``C + D = w``, both
        non-negative and supported on w's edges. Self-loops go to C.

    Notes
    -----
    Balanced flow forwarding (Homs-Dones, MacKay, Sansom and Zhou 2025): while the
    remaining flow W has a strongly connected component S with more than one node, let
    P be W restricted to S and row-normalised (each entity forwards money in proportion
    to what it pays), pi its stationary distribution, and c_ij = pi_i P_ij (a balanced
    flow on S). Scale c by lambda = min over edges of W_ij / c_ij, the largest multiple
    that fits, move lambda c from W to C and repeat; at least one edge is used up each
    round, so the loop ends, and what remains (D) has no cycle. The result depends only
    on the network, unlike a maximum circulation's split over edges; its circular
    volume is at most the maximum circulation's.

    Complexity: one sparse LU per component per round; the number of rounds is at most
    the number of edges inside strongly connected components.

    Examples
    --------
    The worked example of ``docs/worked_examples.md`` section 7 (derived): 1->2 = 2,
    1->3 = 1, 2->3 = 1, 3->1 = 1 gives C = (2/3, 1/3, 2/3, 1), circularity 8/15.

    >>> import numpy as np
    >>> w = np.array([[0, 2, 1], [0, 0, 1], [1, 0, 0]], dtype=float)
    >>> c, d = bff(w)
    >>> np.round(c.toarray() * 3, 6)
    array([[0., 2., 1.],
           [0., 0., 2.],
           [3., 0., 0.]])
    >>> print(round(float(c.sum() / w.sum()), 6), round(8 / 15, 6))
    0.533333 0.533333

    References
    ----------
    M. Homs-Dones, R. S. MacKay, B. Sansom, Y. Zhou (2025), "Circular Directional Flow
    Decomposition of Networks", arXiv:2506.12546.
    """
    w = sp.csr_array(w, dtype=float)
    w.sum_duplicates()
    if w.shape[0] != w.shape[1]:
        raise FinflowError("the flow matrix must be square")
    if w.nnz and w.data.min() < 0:
        raise FinflowError("flows must be non-negative")
    n = w.shape[0]
    w.eliminate_zeros()
    # self-loops are circular by definition
    diag = w.diagonal()
    c_parts = [sp.diags_array(diag, format="csr")] if np.any(diag) else []
    rem = (w - sp.diags_array(diag)).tocsr() if np.any(diag) else w.copy()
    rem.eliminate_zeros()
    tol = rtol * (w.data.max() if w.nnz else 0.0)
    limit = max_rounds if max_rounds is not None else rem.nnz + 1
    rounds = 0
    while rem.nnz:
        ncomp, labels = csgraph.connected_components(rem, directed=True, connection="strong")
        sizes = np.bincount(labels, minlength=ncomp)
        big = np.flatnonzero(sizes > 1)
        if big.size == 0:
            break
        rounds += 1
        if rounds > limit:
            raise FinflowError(f"balanced flow forwarding did not finish in {limit} rounds")
        coo = rem.tocoo()
        inside = labels[coo.row] == labels[coo.col]
        inside &= sizes[labels[coo.row]] > 1
        rows, cols, vals = coo.row[inside], coo.col[inside], coo.data[inside]
        comp = labels[rows]
        add_r, add_c, add_v = [], [], []
        for k in big:
            sel = comp == k
            r, c_, v = rows[sel], cols[sel], vals[sel]
            nodes = np.flatnonzero(labels == k)
            local = np.full(n, -1)
            local[nodes] = np.arange(nodes.size)
            lr, lc = local[r], local[c_]
            out = np.bincount(lr, weights=v, minlength=nodes.size)
            p = sp.csr_array((v / out[lr], (lr, lc)), shape=(nodes.size, nodes.size))
            pi = stationary_distribution(p)
            cflow = pi[lr] * (v / out[lr])
            ok = cflow > 0
            lam = np.min(v[ok] / cflow[ok])
            add_r.append(r)
            add_c.append(c_)
            add_v.append(np.minimum(lam * cflow, v))
        step = sp.csr_array((np.concatenate(add_v), (np.concatenate(add_r), np.concatenate(add_c))),
                            shape=(n, n))
        c_parts.append(step)
        rem = (rem - step).tocsr()
        rem.data[rem.data <= tol] = 0.0
        rem.eliminate_zeros()
    circ = sp.csr_array((n, n))
    for part in c_parts:
        circ = circ + part
    circ = sp.csr_array(circ)
    circ.eliminate_zeros()
    # D is what remains of w once C is taken out (exact on w's support)
    direc = sp.csr_array(w - circ)
    direc.data[direc.data <= tol] = 0.0
    direc.eliminate_zeros()
    return circ, direc


@dataclass(frozen=True)
class Decomposition(Result):
    """Circular/directional decomposition of the flow graph (balanced flow forwarding)."""

    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    unit: str
    total_volume: float
    circular_volume: float
    circularity: float | None
    edges: pd.DataFrame = field(repr=False)
    entities: pd.DataFrame = field(repr=False)
    title: str = "Circular and directional flow (balanced flow forwarding)"

    def to_frame(self) -> pd.DataFrame:
        return self.entities

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"entities": self.entities, "edges": self.edges}

    def summary(self) -> list[str]:
        if self.circularity is None:
            return ["The network has no flow."]
        return [f"{format_number(self.circular_volume)} of {format_number(self.total_volume)} "
                f"{self.unit} ({self.circularity:.1%}) goes round in loops (balanced flow "
                "forwarding); the rest passes through."]

    def notes(self) -> list[str]:
        return ["Balanced flow forwarding (Homs-Dones, MacKay, Sansom and Zhou 2025): the "
                "unique split W = C + D with C balanced and D acyclic; circular_share = "
                "circular inflow / inflow.",
                f"statuses: {', '.join(self.statuses)}; kinds: {', '.join(self.kinds)}"]

    def to_dict(self) -> dict[str, Any]:
        return {"method": "balanced_flow_forwarding", "statuses": list(self.statuses),
                "kinds": list(self.kinds), "unit": self.unit,
                "total_volume": jsonable(self.total_volume),
                "circular_volume": jsonable(self.circular_volume),
                "circularity": jsonable(self.circularity),
                "entities": records(self.entities), "edges": records(self.edges)}


def circular_decomposition(network: Network, status: str | Iterable[str] | None = None,
                           kinds: str | Iterable[str] | None = None) -> Decomposition:
    """The circular/directional decomposition of the network's flow graph F.

    Parameters
    ----------
    network : Network
    status, kinds : filters, as in :meth:`Network.flow_matrix` (default: every status but
        lapsed, every kind).

    Returns
    -------
    Decomposition
        ``edges``: payer, payee, amount, circular, directional (one row per payer-payee
        pair of F); ``entities``: id, inflow, outflow, circular_inflow (= circular
        outflow, C being balanced), circular_share = circular_inflow / inflow (None
        without inflow); ``circularity`` = circular volume / total volume.

    Notes
    -----
    An entity's circular inflow is money that went round a loop through it: every unit
    of C entering an entity leaves it along C and, C being a sum of cycles, comes back.
    It is the share of its receipts that it financed itself, directly or through others.
    See :func:`bff` for the method.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "b"], "payee": ["b", "a", "c"],
    ...                   "kind": ["equity", "purchase", "purchase"],
    ...                   "amount": [4.0, 3.0, 1.0]}))
    >>> d = circular_decomposition(net)
    >>> d.circular_volume, float(d.entities.set_index("id").loc["a", "circular_share"])
    (6.0, 1.0)

    References
    ----------
    M. Homs-Dones, R. S. MacKay, B. Sansom, Y. Zhou (2025), "Circular Directional Flow
    Decomposition of Networks", arXiv:2506.12546.
    """
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    w = network.flow_matrix(statuses, kind_list)
    c, d = bff(w)
    ids = np.asarray(network.index, dtype=object)
    coo = w.tocoo()
    circ_vals = np.asarray(c[coo.row, coo.col]).ravel() if coo.nnz else np.zeros(0)
    edges = pd.DataFrame({"payer": ids[coo.row], "payee": ids[coo.col], "amount": coo.data,
                          "circular": circ_vals, "directional": coo.data - circ_vals})
    edges = edges.sort_values(["circular", "amount"], ascending=False, kind="stable")
    inflow = np.asarray(w.sum(axis=0)).ravel()
    outflow = np.asarray(w.sum(axis=1)).ravel()
    cin = np.asarray(c.sum(axis=0)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(inflow > 0, cin / np.where(inflow > 0, inflow, 1.0), np.nan)
    entities = pd.DataFrame({"id": ids, "inflow": inflow, "outflow": outflow,
                             "circular_inflow": cin, "circular_share": share})
    entities = entities.sort_values(["circular_inflow", "id"], ascending=[False, True],
                                    kind="stable").reset_index(drop=True)
    total = float(w.sum())
    circ_total = float(c.sum())
    return Decomposition(
        statuses=statuses, kinds=kind_list, unit=network.unit_label,
        total_volume=total, circular_volume=circ_total,
        circularity=(circ_total / total) if total > 0 else None,
        edges=edges.reset_index(drop=True), entities=entities)
