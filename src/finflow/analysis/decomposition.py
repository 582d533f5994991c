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
from ..text import format_number
from ..results import Result, jsonable, records
from ..netcheck import ensure_network

__all__ = ["bff", "stationary_distribution", "circular_decomposition", "Decomposition"]


def stationary_distribution(p: sp.csr_array, guess: np.ndarray | None = None, *,
                            tol: float = 1e-14, max_iter: int = 300) -> np.ndarray:
    """Stationary distribution pi (pi P = pi, sum 1) of an irreducible row-stochastic
    sparse matrix.

    With a ``guess`` (for example the previous round's answer) it first tries power
    iteration on the lazy chain (I + P) / 2, which has the same stationary distribution
    and no periodicity, and accepts the result when the residual ``|pi P - pi|_1`` is
    below ``tol``; otherwise (or without a guess) one sparse LU solve of
    (I - P)^T pi = 0 with one equation replaced by sum(pi) = 1.
    """
    m = p.shape[0]
    if m == 1:
        return np.ones(1)
    if guess is not None and m > 64:
        x = np.clip(np.asarray(guess, dtype=float), 0.0, None)
        x = x / x.sum() if x.sum() > 0 else np.full(m, 1.0 / m)
        pt = p.T.tocsr()
        for _ in range(max_iter):
            y = 0.5 * (x + pt @ x)
            y /= y.sum()
            if np.abs(pt @ y - y).sum() < tol:
                return y
            x = y
    a = (sp.identity(m, format="csr") - p).T.tolil()
    a[m - 1, :] = np.ones(m)
    b = np.zeros(m)
    b[m - 1] = 1.0
    pi = spla.spsolve(sp.csc_matrix(a.tocsr()), b)
    pi = np.clip(np.asarray(pi, dtype=float), 0.0, None)
    return pi / pi.sum()


#: the largest number of entities in cycles that :func:`bff` takes by default
DEFAULT_MAX_CYCLE_ENTITIES = 3000


def bff(w: sp.spmatrix | np.ndarray, *, max_cycle_entities: int | None | str = "default",
        rtol: float = 1e-12) -> tuple[sp.csr_array, sp.csr_array]:
    """Split a non-negative flow matrix into circular and directional parts by balanced
    flow forwarding.

    Parameters
    ----------
    w : sparse or dense (n, n) array
        ``w[i, j]`` >= 0 = flow from i to j.
    max_cycle_entities : int, None or "default"
        Refuse (with :class:`~finflow.errors.FinflowError`) when more entities than this
        lie on cycles (in strongly connected components of more than one entity): the
        method needs one sparse solve per such entity. ``None``: no limit; "default":
        :data:`DEFAULT_MAX_CYCLE_ENTITIES` (3,000, about ten seconds).
    rtol : float
        Remaining amounts below ``rtol`` x the largest amount count as zero.

    Returns
    -------
    (C, D) : tuple of scipy.sparse.csr_array
        ``C`` balanced (row sums equal column sums), ``D`` acyclic, ``C + D = w``, both
        non-negative and supported on w's edges. Self-loops go to C.

    Raises
    ------
    FinflowError
        When the flow matrix is not square or has negative entries, or is too large for
        ``max_cycle_entities``.

    Notes
    -----
    Balanced flow forwarding (Homs-Dones, MacKay, Sansom and Zhou 2025): while the
    remaining flow W has a strongly connected component S with more than one node, let
    P be W restricted to S and row-normalised (each entity forwards money in proportion
    to what it pays), pi its stationary distribution, and c_ij = pi_i P_ij (a balanced
    flow on S). Scale c by lambda = min over edges of W_ij / c_ij, the largest multiple
    that fits, move lambda c from W to C and repeat; what remains (D) has no cycle. The
    result depends only on the network, unlike a maximum circulation's split over edges;
    its circular volume is at most the maximum circulation's.

    Since W_ij / c_ij = out_i / pi_i does not depend on j, a round takes the same share
    of every payment of an entity and uses up *all* the payments (inside S) of the
    entity with the smallest out_i / pi_i at once; that entity leaves every cycle. So
    each component needs at most one round per member, each a sparse LU solve on the
    component: the cost grows like (entities on cycles) x (one solve), fine for
    thousands of entities, too slow for a hundred thousand.

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
    tol = rtol * (w.data.max() if w.nnz else 0.0)
    diag = w.diagonal()
    off = sp.csr_array(w - sp.diags_array(diag)) if np.any(diag) else w.copy()
    off.eliminate_zeros()
    ncomp, labels = csgraph.connected_components(off, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=ncomp)
    on_cycles = int(sizes[sizes > 1].sum())
    if max_cycle_entities == "default":
        max_cycle_entities = DEFAULT_MAX_CYCLE_ENTITIES
    if max_cycle_entities is not None and on_cycles > max_cycle_entities:
        raise FinflowError(
            f"balanced flow forwarding: {on_cycles:,} entities lie on cycles, more than the "
            f"limit of {max_cycle_entities:,} (one sparse solve per entity); raise the limit "
            "to run it anyway")
    coo = off.tocoo()
    er, ec = coo.row, coo.col                 # every off-diagonal edge, by position
    remaining = coo.data.astype(float).copy()
    circular = np.zeros_like(remaining)
    local = np.full(n, -1)
    # a work list of components: (global node ids, positions of their inner edges, pi guess)
    inner = (labels[er] == labels[ec]) & (sizes[labels[er]] > 1)
    stack = []
    order = np.argsort(labels[er][inner], kind="stable")
    edge_pos = np.flatnonzero(inner)[order]
    bounds = np.searchsorted(labels[er][edge_pos], np.arange(ncomp + 1))
    for k in np.flatnonzero(sizes > 1):
        stack.append((np.flatnonzero(labels == k), edge_pos[bounds[k]:bounds[k + 1]], None))
    while stack:
        nodes, edges, guess = stack.pop()
        m = nodes.size
        local[nodes] = np.arange(m)
        lr, lc, v = local[er[edges]], local[ec[edges]], remaining[edges]
        out = np.bincount(lr, weights=v, minlength=m)
        p = sp.csr_array((v / out[lr], (lr, lc)), shape=(m, m))
        pi = stationary_distribution(p, guess)
        ratio = np.where(pi > 0, out / np.where(pi > 0, pi, 1.0), np.inf)
        lam = ratio.min()
        share = np.minimum(lam * pi / out, 1.0)           # share of each row taken
        share[ratio <= lam * (1 + 1e-12)] = 1.0           # the argmin rows are used up
        taken = v * share[lr]
        circular[edges] += taken
        left = v - taken
        left[left <= tol] = 0.0
        remaining[edges] = left
        alive = left > 0
        if not alive.any():
            local[nodes] = -1
            continue
        g = sp.csr_array((left[alive], (lr[alive], lc[alive])), shape=(m, m))
        nc, lab = csgraph.connected_components(g, directed=True, connection="strong")
        sz = np.bincount(lab, minlength=nc)
        e_alive, lr_a, lc_a = edges[alive], lr[alive], lc[alive]
        same = (lab[lr_a] == lab[lc_a]) & (sz[lab[lr_a]] > 1)
        local[nodes] = -1
        for k in np.flatnonzero(sz > 1):
            idx = np.flatnonzero(lab == k)
            stack.append((nodes[idx], e_alive[same & (lab[lr_a] == k)], pi[idx]))
    keep = circular > 0
    circ = sp.coo_array((np.concatenate([circular[keep], diag[diag != 0]]),
                         (np.concatenate([er[keep], np.flatnonzero(diag)]),
                          np.concatenate([ec[keep], np.flatnonzero(diag)]))),
                        shape=(n, n)).tocsr()
    circ.sum_duplicates()
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
                "unique split W = C + D with C balanced and D acyclic; self_financed_share = "
                "circular inflow / inflow.",
                f"statuses: {', '.join(self.statuses)}; kinds: {', '.join(self.kinds)}"]

    def to_dict(self) -> dict[str, Any]:
        return {"method": "balanced_flow_forwarding", "statuses": list(self.statuses),
                "kinds": list(self.kinds), "unit": self.unit,
                "total_volume": jsonable(self.total_volume),
                "circular_volume": jsonable(self.circular_volume),
                "bff_circular_share": jsonable(self.circularity),
                "entities": records(self.entities), "edges": records(self.edges)}


def circular_decomposition(network: Network, status: str | Iterable[str] | None = None,
                           kinds: str | Iterable[str] | None = None, *,
                           max_cycle_entities: int | None | str = "default"
                           ) -> Decomposition:
    """The circular/directional decomposition of the network's flow graph F.

    Parameters
    ----------
    network : Network
    status, kinds : filters, as in :meth:`Network.flow_matrix` (default: every status but
        lapsed, every kind).
    max_cycle_entities : int or None
        Passed to :func:`bff`: refuse networks with more entities on cycles (it needs
        one sparse solve per such entity).

    Returns
    -------
    Decomposition
        ``edges``: payer, payee, amount, circular, directional (one row per payer-payee
        pair of F); ``entities``: id, inflow, outflow, circular_inflow (= circular
        outflow, C being balanced), self_financed_share = circular_inflow / inflow (None
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
    >>> d.circular_volume, float(d.entities.set_index("id").loc["a", "self_financed_share"])
    (6.0, 1.0)

    References
    ----------
    M. Homs-Dones, R. S. MacKay, B. Sansom, Y. Zhou (2025), "Circular Directional Flow
    Decomposition of Networks", arXiv:2506.12546.
    """
    ensure_network(network, "circular_decomposition")
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    w = network.flow_matrix(statuses, kind_list)
    c, d = bff(w, max_cycle_entities=max_cycle_entities)
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
                             "circular_inflow": cin, "self_financed_share": share})
    entities = entities.sort_values(["circular_inflow", "id"], ascending=[False, True],
                                    kind="stable").reset_index(drop=True)
    total = float(w.sum())
    circ_total = float(c.sum())
    return Decomposition(
        statuses=statuses, kinds=kind_list, unit=network.unit_label,
        total_volume=total, circular_volume=circ_total,
        circularity=(circ_total / total) if total > 0 else None,
        edges=edges.reset_index(drop=True), entities=entities)
