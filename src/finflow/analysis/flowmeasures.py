"""Flow measures of circularity: Finn's cycling index, Helmholtz-Hodge potentials,
trophic levels, and the circular and robust cores (``../shared/DESIGN.md`` section 3).

* **Finn cycling index** (Finn 1976, 1980; as computed by enaR's ``enaFlow``): the share
  of total system throughflow that has cycled. A money network is not in steady state,
  so :func:`finn_cycling` closes it with a *rest of the world* boundary that supplies each
  entity's missing inflow and takes its surplus.
* **Helmholtz-Hodge decomposition** of the net flow (HodgeRank, Jiang, Lim, Yao and Ye
  2011; used on firm networks by Kichikawa et al. 2019): node potentials, high for
  upstream funders and low for downstream spenders, and the circular share of net flow.
* **Trophic levels** and trophic incoherence (MacKay, Johnson and Sansom 2020).
* **Circular core** (strongly connected components of F) and **robust core** (the same
  without cancelable and non-binding commitments).

Every kernel runs on scipy.sparse matrices; the Laplacian systems are solved sparse, with
one node grounded per connected component for the constant null space.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from scipy.sparse import csgraph

from ..errors import FinflowError
from ..kinds import NONBINDING_STATUSES, resolve_kinds, resolve_statuses
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from ..netcheck import ensure_network

__all__ = [
    "FinnIndices",
    "FinnCycling",
    "HodgeDecomposition",
    "Cores",
    "finn_indices",
    "finn_cycling",
    "hodge_potentials",
    "hodge_decomposition",
    "trophic_levels",
    "circular_cores",
    "FINN_MAX_COMPONENT",
]

#: default largest strongly connected component for the exact Finn cycling index
FINN_MAX_COMPONENT = 4_000
#: grounded Laplacians up to this size are factorised; larger ones use conjugate gradients
_DIRECT_LIMIT = 2_000


# --------------------------------------------------------------------------------------
# Finn cycling index
# --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FinnIndices:
    """Finn's flow indices of a compartment model (enaR ``enaFlow`` conventions).

    ``throughflow`` T (inflow + boundary input per node), ``tst`` = sum of T, ``boundary``
    = sum of boundary inputs, ``apl`` = TST / boundary (average path length), ``fci`` =
    cycled throughflow / TST, ``cycled_share`` = (n_ii - 1) / n_ii per node (the share of
    its throughflow that has passed through it before), ``cycled`` = cycled_share x T.
    """

    throughflow: np.ndarray
    tst: float
    boundary: float
    apl: float
    fci: float
    cycled_share: np.ndarray
    cycled: np.ndarray


def _diag_of_inverse(a: sp.csr_array) -> np.ndarray:
    """diag(a^-1) for a nonsingular sparse matrix, by a dense LU inverse (LAPACK): O(k^3)
    time and 16 k^2 bytes. A sparse LU of a random-like strongly connected component
    fills in completely and is slower still (a 9,821-node one did not finish in 7
    minutes, where the dense inverse takes 45 s)."""
    return np.diag(np.linalg.inv(a.toarray())).copy()


def finn_indices(flows: sp.spmatrix | sp.sparray | np.ndarray, inputs: np.ndarray,
                 max_component: int | None = FINN_MAX_COMPONENT) -> FinnIndices:
    """Finn's cycling index, total system throughflow and average path length.

    Parameters
    ----------
    flows : (n, n) array or sparse matrix
        ``flows[i, j]`` = flow **from** i **to** j (enaR's default "rc" orientation).
    inputs : (n,) array
        Boundary inputs z (flow entering each node from outside).
    max_component : int or None, default 4,000
        Refuse strongly connected components larger than this (the exact index needs the
        diagonal of the inverse of a k x k matrix per component); None for no limit.

    Returns
    -------
    FinnIndices

    Raises
    ------
    FinflowError
        On a negative flow, a node without throughflow that has outflow, or a component
        above ``max_component``.

    Notes
    -----
    With T = column sums of ``flows`` + z (inflow throughflow) and the output-oriented
    G[i, j] = flows[j, i] / T_j, N = (I - G)^-1; n_ii - 1 is the expected number of
    returns to i. TST = sum T; APL = TST / sum z; FCI = sum_i ((n_ii - 1) / n_ii) T_i / TST
    (Finn 1980; enaR ``enaFlow``). A return to i stays inside i's strongly connected
    component, so diag(N) is computed per component by a dense inverse: O(k^3) time and
    16 k^2 bytes for a component of k nodes (about 1 s at 3,000, 45 s at 10,000). A closed component (no money leaves it)
    cycles everything: its nodes get cycled share 1 (the limit as a leak goes to zero).

    Examples
    --------
    Two nodes exchanging money, 10 entering node 0 from outside: 0 -> 1 carries 10 and
    1 -> 0 carries 5, so T = (15, 10), n_00 = 1 / (1 - 10/15 x 5/10) = 1.5, and both nodes
    cycle a third of their throughflow: FCI = (5 + 10/3) / 25 = 1/3.

    >>> import numpy as np
    >>> r = finn_indices(np.array([[0, 10.0], [5, 0]]), np.array([10.0, 0]))
    >>> round(r.tst, 6), round(r.fci, 6), round(r.apl, 6)
    (25.0, 0.333333, 2.5)

    References
    ----------
    J. T. Finn (1976), "Measures of ecosystem structure and function derived from
    analysis of flows", J. Theoretical Biology 56:363-380.
    J. T. Finn (1980), "Flow analysis of models of the Hubbard Brook ecosystem",
    Ecology 61(3):562-571.
    S. R. Borrett and M. K. Lau (2014), "enaR: An R package for Ecosystem Network
    Analysis", Methods in Ecology and Evolution 5:1206-1213.
    """
    f = sp.csr_array(flows, dtype=float)
    f.sum_duplicates()
    n = f.shape[0]
    z = np.asarray(inputs, dtype=float).ravel()
    if z.shape != (n,):
        raise FinflowError(f"finn: inputs must have {n} entries, got {z.shape}")
    if (f.data < 0).any() or (z < 0).any():
        raise FinflowError("finn: flows and inputs must be non-negative")
    t = np.asarray(f.sum(axis=0)).ravel() + z
    out = np.asarray(f.sum(axis=1)).ravel()
    if ((t <= 0) & (out > 0)).any():
        raise FinflowError("finn: a node has outflow but no inflow or input")
    nii = np.ones(n)
    if f.nnz:
        _, lab = csgraph.connected_components(f, directed=True, connection="strong")
        sizes = np.bincount(lab)
        # P[i, j] = f_ij / T_i; diag((I - P)^-1) = diag((I - G)^-1) as G = P^T
        safe = np.where(t > 0, t, 1.0)
        p = sp.csr_array(sp.diags(1.0 / safe) @ f)
        loops = p.diagonal()
        big = [c for c in np.flatnonzero(sizes > 1)]
        if max_component is not None and big and sizes[big].max() > max_component:
            raise FinflowError(
                f"finn: a strongly connected component has {int(sizes[big].max())} nodes, "
                f"above the limit of {max_component} for the exact cycling index (it needs "
                f"the diagonal of a matrix inverse of that size); raise the limit to compute it")
        for c in big:
            members = np.flatnonzero(lab == c)
            sub = p[members][:, members]
            leak = 1.0 - np.asarray(sub.sum(axis=1)).ravel()
            if (leak <= 1e-12).all():
                # a closed component: money never leaves, every unit returns forever
                # (n_ii -> infinity, cycled share -> 1)
                nii[members] = np.inf
                continue
            a = sp.identity(len(members), format="csr") - sub
            nii[members] = _diag_of_inverse(sp.csr_array(a))
        single = (sizes[lab] == 1) & (loops > 0)
        nii[single] = 1.0 / (1.0 - loops[single])
    with np.errstate(invalid="ignore"):
        share = np.where(np.isinf(nii), 1.0, (nii - 1.0) / nii)
    cycled = share * t
    tst = float(t.sum())
    boundary = float(z.sum())
    return FinnIndices(t, tst, boundary, tst / boundary if boundary > 0 else float("inf"),
                       float(cycled.sum() / tst) if tst > 0 else float("nan"), share, cycled)


@dataclass(frozen=True)
class FinnCycling(Result):
    """Finn's cycling index of a money network closed by a rest-of-world boundary."""

    tst: float
    boundary: float
    apl: float
    fci: float
    cycled_throughflow: float
    entities: pd.DataFrame
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    unit: str
    title: str = "Finn cycling index"

    def to_frame(self) -> pd.DataFrame:
        return self.entities

    def summary(self) -> list[str]:
        top = self.entities[self.entities["cycled_share"] > 0].head(5)
        lines = [f"Cycling index FCI = {format_number(self.fci)}: "
                 f"{format_number(self.cycled_throughflow)} of total system throughflow "
                 f"{format_number(self.tst)} {self.unit} has cycled; average path length "
                 f"{format_number(self.apl)}."]
        if len(top):
            lines.append("Cycled share (throughflow that passed through the entity before): "
                         + ", ".join(
                f"{r.id} {format_number(100 * r.cycled_share, 1)}%"
                for r in top.itertuples()) + ".")
        return lines

    def notes(self) -> list[str]:
        return [f"statuses counted: {', '.join(self.statuses)}",
                f"kinds counted: {', '.join(self.kinds)}",
                "closed by a rest-of-world boundary: it supplies each entity's outflow - "
                "inflow when positive (input z) and takes its inflow - outflow when "
                "positive (output y), so every entity's throughflow is max(inflow, outflow)",
                "cycled share = (n_ii - 1) / n_ii: the share of an entity's throughflow "
                "that has passed through it before (Finn)"]

    def to_dict(self) -> dict[str, Any]:
        return {"fci": jsonable(self.fci), "tst": self.tst, "boundary": self.boundary,
                "apl": jsonable(self.apl), "cycled_throughflow": self.cycled_throughflow,
                "statuses": list(self.statuses), "kinds": list(self.kinds),
                "unit": self.unit, "entities": records(self.entities)}


def finn_cycling(network: Network, status: str | Iterable[str] | None = None,
                 kinds: str | Iterable[str] | None = None,
                 max_component: int | None = FINN_MAX_COMPONENT) -> FinnCycling:
    """Finn's cycling index of the money-flow graph, closed by a rest-of-world boundary.

    Parameters
    ----------
    network : Network
    status, kinds : str or list of str, optional
        Filters that make the flow graph F.
    max_component : int or None, default 4,000
        Refuse strongly connected components larger than this (the exact index needs the
        diagonal of the inverse of a k x k matrix per component); None for no limit.

    Returns
    -------
    FinnCycling
        ``fci``, ``tst``, ``apl``, ``boundary`` (what the rest of the world supplies),
        ``cycled_throughflow`` and per entity ``inflow``, ``outflow``,
        ``from_rest_of_world`` (z), ``to_rest_of_world`` (y), ``throughflow`` and
        ``cycled_share`` ((n_ii - 1) / n_ii: the share of its throughflow that has passed
        through it before), sorted by that share.

    Raises
    ------
    FinflowError
        On a bad filter or a component above ``max_component``.

    Notes
    -----
    Firms are not in steady state: inflow and outflow differ. The rest of the world (a
    boundary, not a compartment) takes each imbalance: z_i = max(outflow_i - inflow_i, 0)
    enters i from outside and y_i = max(inflow_i - outflow_i, 0) leaves it, so
    throughflow T_i = inflow_i + z_i = outflow_i + y_i = max(inflow_i, outflow_i). Then
    the indices of :func:`finn_indices` on F and z. An entity's ``cycled_share``
    is the share of the money through it that has been through it before (Finn's
    per-compartment cycling; the balanced-flow-forwarding ``circular_share`` of
    :func:`~finflow.analysis.decomposition.circular_decomposition` is the per-entity
    self-financed share used elsewhere in finflow).

    Examples
    --------
    a pays b 10 and b pays a 5: the rest of the world supplies a's missing 5 and takes
    b's surplus 5, so T = (10, 10); half of what leaves a comes back (10/10 x 5/10), so
    n_aa = n_bb = 2 and half of every throughflow has cycled.

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b"]}),
    ...     pd.DataFrame({"payer": ["a", "b"], "payee": ["b", "a"],
    ...                   "kind": ["equity", "purchase"], "amount": [10.0, 5.0]}))
    >>> round(finn_cycling(net).fci, 6)
    0.5

    References
    ----------
    J. T. Finn (1980), "Flow analysis of models of the Hubbard Brook ecosystem",
    Ecology 61(3):562-571.
    S. R. Borrett and M. K. Lau (2014), "enaR: An R package for Ecosystem Network
    Analysis", Methods in Ecology and Evolution 5:1206-1213.
    """
    ensure_network(network, "finn_cycling")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    f = network.flow_matrix(statuses, kind_list)
    inflow = np.asarray(f.sum(axis=0)).ravel()
    outflow = np.asarray(f.sum(axis=1)).ravel()
    z = np.clip(outflow - inflow, 0.0, None)
    y = np.clip(inflow - outflow, 0.0, None)
    r = finn_indices(f, z, max_component)
    ent = pd.DataFrame({"id": list(network.index), "inflow": inflow, "outflow": outflow,
                        "from_rest_of_world": z, "to_rest_of_world": y,
                        "throughflow": r.throughflow, "cycled_share": r.cycled_share,
                        "cycled": r.cycled})
    ent = ent.sort_values(["cycled_share", "throughflow", "id"],
                          ascending=[False, False, True], kind="stable").reset_index(drop=True)
    return FinnCycling(r.tst, r.boundary, r.apl, r.fci, float(r.cycled.sum()), ent,
                       statuses, kind_list, network.unit_label)


# --------------------------------------------------------------------------------------
# Laplacian solves
# --------------------------------------------------------------------------------------
def _solve_grounded(lap: sp.csr_array, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``lap x = rhs`` for a graph Laplacian whose null space is the constants on
    each connected component: one node per component is grounded (x = 0) and the rest
    solved sparse. Returns x and the component labels."""
    n = lap.shape[0]
    ncomp, lab = csgraph.connected_components(lap, directed=False)
    first = np.full(ncomp, n, dtype=np.int64)
    np.minimum.at(first, lab, np.arange(n))
    keep = np.ones(n, dtype=bool)
    keep[first] = False
    x = np.zeros(n)
    idx = np.flatnonzero(keep)
    if idx.size:
        a = sp.csr_array(lap[idx][:, idx])
        b = rhs[idx]
        if idx.size <= _DIRECT_LIMIT:
            x[idx] = spla.splu(sp.csc_matrix(a), permc_spec="MMD_AT_PLUS_A").solve(b)
        else:
            # a grounded Laplacian is symmetric positive definite: conjugate gradients
            # with a Jacobi preconditioner, to a relative residual of 1e-12
            m = sp.diags(1.0 / a.diagonal())
            sol, info = spla.cg(a, b, rtol=1e-12, atol=0.0, M=m, maxiter=20 * idx.size)
            if info != 0:
                raise FinflowError("Laplacian solve: conjugate gradients did not converge "
                                   f"in {20 * idx.size} iterations")
            x[idx] = sol
    return x, lab


def hodge_potentials(matrix: sp.spmatrix | sp.sparray | np.ndarray) -> dict[str, Any]:
    """Helmholtz-Hodge decomposition of a network's net flow (unweighted Laplacian).

    Parameters
    ----------
    matrix : (n, n) array or sparse matrix
        ``matrix[i, j]`` = the amount i pays j.

    Returns
    -------
    dict
        ``potential`` (n,): phi, mean zero on each connected component, high upstream;
        ``src``, ``dst``: the node pairs (i < j) of the undirected support;
        ``net``: net flow i -> j on each pair (W_ij - W_ji); ``gradient``: phi_i - phi_j;
        ``circular``: net - gradient; ``circular_share``: |circular|^2 / |net|^2 (NaN
        without net flow).

    Notes
    -----
    The net flow Y = W - W^T lives on the pairs with any flow. HodgeRank's least-squares
    potential minimises sum over pairs (Y_ij - (phi_i - phi_j))^2, i.e. solves
    L phi = div with L the Laplacian of the undirected support (every pair weight 1) and
    div_i = sum_j Y_ij = outflow_i - inflow_i. The gradient part phi_i - phi_j and the
    remainder (the circular part: curl and harmonic flow) are orthogonal and sum to Y;
    the circular part has zero divergence. One node per connected component is grounded
    and the rest solved with a sparse direct solver up to 2,000 nodes, beyond that by
    preconditioned conjugate gradients to a relative residual of 1e-12.

    Examples
    --------
    W: 1->2 2, 1->3 1, 2->3 1, 3->1 1 (docs/worked_examples.md section 8.2, derived):
    net flow 1->2 2, 2->3 1 (1<->3 cancel), div = (2, -1, -1), phi = (2/3, -1/3, -1/3),
    the circular part is the unit cycle 1 -> 2 -> 3 -> 1, circular share 3/5.

    >>> import numpy as np
    >>> h = hodge_potentials(np.array([[0, 2.0, 1], [0, 0, 1], [1, 0, 0]]))
    >>> np.round(h["potential"], 6).tolist(), round(h["circular_share"], 6)
    ([0.666667, -0.333333, -0.333333], 0.6)

    References
    ----------
    X. Jiang, L.-H. Lim, Y. Yao and Y. Ye (2011), "Statistical ranking and combinatorial
    Hodge theory", Mathematical Programming 127:203-244.
    T. Kichikawa, H. Iyetomi, T. Iino and H. Inoue (2019), "Community structure based on
    circular flow in a large-scale transaction network", Applied Network Science 4:92.
    """
    w = sp.csr_array(matrix, dtype=float)
    w.sum_duplicates()
    n = w.shape[0]
    w = sp.csr_array(w - sp.diags(w.diagonal()))
    w.eliminate_zeros()
    y_full = sp.csr_array(w - w.T)
    support = sp.triu(sp.csr_array((w + w.T) > 0), k=1).tocoo()
    src, dst = support.row.astype(np.int64), support.col.astype(np.int64)
    net = np.asarray(y_full[src, dst]).ravel() if len(src) else np.zeros(0)
    # binary Laplacian of the undirected support
    adj = sp.csr_array((np.ones(len(src)), (src, dst)), shape=(n, n))
    adj = adj + adj.T
    deg = np.asarray(adj.sum(axis=1)).ravel()
    lap = sp.csr_array(sp.diags(deg) - adj)
    div = np.bincount(src, weights=net, minlength=n) - np.bincount(dst, weights=net, minlength=n)
    phi, lab = _solve_grounded(lap, div)
    counts = np.bincount(lab)
    phi = phi - (np.bincount(lab, weights=phi) / counts)[lab]
    grad = phi[src] - phi[dst]
    circ = net - grad
    denom = float(net @ net)
    return {"potential": phi, "src": src, "dst": dst, "net": net, "gradient": grad,
            "circular": circ,
            "circular_share": float(circ @ circ) / denom if denom > 0 else float("nan")}


def trophic_levels(matrix: sp.spmatrix | sp.sparray | np.ndarray) -> tuple[np.ndarray, float]:
    """Trophic levels and trophic incoherence (MacKay, Johnson and Sansom 2020).

    Parameters
    ----------
    matrix : (n, n) array or sparse matrix
        ``matrix[i, j]`` = weight of edge i -> j (money i pays j).

    Returns
    -------
    (h, F0) : (ndarray, float)
        Trophic levels (lowest 0 on each connected component; high = downstream, far from
        the sources of money) and the incoherence F0 in [0, 1] (0: perfectly layered,
        1: no direction at all).

    Notes
    -----
    u = w_in + w_out, v = w_in - w_out, Lambda = diag(u) - W - W^T; solve Lambda h = v
    (one node grounded per connected component) and shift h to minimum 0;
    F0 = sum_ij w_ij (h_j - h_i - 1)^2 / sum_ij w_ij.

    Examples
    --------
    W: 1->2 2, 1->3 1, 2->3 1, 3->1 1 (docs/worked_examples.md section 8.1, derived):

    >>> import numpy as np
    >>> h, f0 = trophic_levels(np.array([[0, 2.0, 1], [0, 0, 1], [1, 0, 0]]))
    >>> np.round(h, 6).tolist(), round(f0, 6)
    ([0.0, 0.5, 0.5], 0.8)

    References
    ----------
    R. S. MacKay, S. Johnson and B. Sansom (2020), "How directed is a directed network?",
    Royal Society Open Science 7:201138.
    """
    w = sp.csr_array(matrix, dtype=float)
    w.sum_duplicates()
    n = w.shape[0]
    w_in = np.asarray(w.sum(axis=0)).ravel()
    w_out = np.asarray(w.sum(axis=1)).ravel()
    lap = sp.csr_array(sp.diags(w_in + w_out) - w - w.T)
    h, lab = _solve_grounded(lap, w_in - w_out)
    mins = np.full(lab.max() + 1 if n else 0, np.inf)
    np.minimum.at(mins, lab, h)
    h = h - mins[lab]
    coo = w.tocoo()
    total = float(coo.data.sum())
    f0 = float((coo.data * (h[coo.col] - h[coo.row] - 1.0) ** 2).sum() / total) \
        if total > 0 else float("nan")
    return h, f0


@dataclass(frozen=True)
class HodgeDecomposition(Result):
    """Hodge potentials of the net flow and trophic levels of the gross flow."""

    circular_share: float
    trophic_incoherence: float
    entities: pd.DataFrame
    pairs: pd.DataFrame
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    unit: str
    title: str = "Helmholtz-Hodge decomposition"

    def to_frame(self) -> pd.DataFrame:
        return self.entities

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"potentials": self.entities, "pairs": self.pairs}

    def summary(self) -> list[str]:
        ent = self.entities
        k = min(3, len(ent) // 2)
        up = ", ".join(ent.head(k)["id"])
        down = ", ".join(ent.tail(k)["id"][::-1])
        return [f"Circular share of net flow (Hodge): "
                f"{format_number(100 * self.circular_share, 1)}%; trophic incoherence "
                f"F0 = {format_number(self.trophic_incoherence)}.",
                f"Highest potential (upstream): {up}; lowest (downstream): {down}."]

    def notes(self) -> list[str]:
        return [f"statuses counted: {', '.join(self.statuses)}",
                f"kinds counted: {', '.join(self.kinds)}",
                "potential: HodgeRank least squares on the net flow W - W^T with the "
                "unweighted Laplacian of its support, mean zero per connected component, "
                "high = upstream; potential differences along a pair approximate its net "
                "flow, so a small payer next to a large sink can sit low",
                "circular share = |circular part|^2 / |net flow|^2",
                "trophic level (MacKay, Johnson and Sansom 2020) on the gross flow, "
                "high = downstream"]

    def to_dict(self) -> dict[str, Any]:
        return {"hodge_circular_share": jsonable(self.circular_share),
                "trophic_incoherence": jsonable(self.trophic_incoherence),
                "statuses": list(self.statuses), "kinds": list(self.kinds),
                "unit": self.unit, "entities": records(self.entities),
                "pairs": records(self.pairs)}


def hodge_decomposition(network: Network, status: str | Iterable[str] | None = None,
                        kinds: str | Iterable[str] | None = None) -> HodgeDecomposition:
    """Hodge potentials (upstream funders to downstream spenders), the circular share of
    net flow, and trophic levels of the money-flow graph.

    Parameters
    ----------
    network : Network
    status, kinds : str or list of str, optional
        Filters that make the flow graph F.

    Returns
    -------
    HodgeDecomposition
        ``circular_share`` of the net flow, ``trophic_incoherence`` F0, per entity
        ``potential`` (sorted high to low), ``net_outflow`` (the divergence) and
        ``trophic_level``, per pair the net flow and its gradient and circular parts.

    Raises
    ------
    FinflowError
        On a bad filter.

    Notes
    -----
    See :func:`hodge_potentials` and :func:`trophic_levels`. Entities without flows get
    potential 0 and trophic level 0.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b"], "payee": ["b", "c"],
    ...                   "kind": "other", "amount": [1.0, 1.0]}))
    >>> hodge_decomposition(net).entities["id"].tolist()     # a chain: a upstream
    ['a', 'b', 'c']

    References
    ----------
    X. Jiang, L.-H. Lim, Y. Yao and Y. Ye (2011), "Statistical ranking and combinatorial
    Hodge theory", Mathematical Programming 127:203-244.
    R. S. MacKay, S. Johnson and B. Sansom (2020), "How directed is a directed network?",
    Royal Society Open Science 7:201138.
    """
    ensure_network(network, "hodge_decomposition")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    w = network.flow_matrix(statuses, kind_list)
    h = hodge_potentials(w)
    levels, f0 = trophic_levels(w)
    names = np.array(network.index, dtype=object)
    inflow = np.asarray(w.sum(axis=0)).ravel()
    outflow = np.asarray(w.sum(axis=1)).ravel()
    ent = pd.DataFrame({"id": names, "potential": h["potential"],
                        "net_outflow": outflow - inflow, "trophic_level": levels})
    ent = ent.sort_values(["potential", "id"], ascending=[False, True],
                          kind="stable").reset_index(drop=True)
    net = h["net"]
    flip = net < 0
    a = np.where(flip, h["dst"], h["src"])
    b = np.where(flip, h["src"], h["dst"])
    sign = np.where(flip, -1.0, 1.0)
    pairs = pd.DataFrame({"payer": names[a], "payee": names[b], "net_flow": sign * net,
                          "gradient": sign * h["gradient"], "circular": sign * h["circular"]})
    pairs = pairs.sort_values("net_flow", ascending=False, kind="stable").reset_index(drop=True)
    return HodgeDecomposition(h["circular_share"], f0, ent, pairs, statuses, kind_list,
                              network.unit_label)


# --------------------------------------------------------------------------------------
# circular and robust cores
# --------------------------------------------------------------------------------------
def _scc_labels(w: sp.csr_array) -> np.ndarray:
    """Nontrivial SCC label per node (-1 outside), numbered by size then smallest node."""
    n = w.shape[0]
    if w.nnz == 0:
        return np.full(n, -1, dtype=np.int64)
    _, lab = csgraph.connected_components(w, directed=True, connection="strong")
    sizes = np.bincount(lab)
    big = np.flatnonzero(sizes > 1)
    first = np.full(len(sizes), n)
    np.minimum.at(first, lab, np.arange(n))
    order = sorted(big.tolist(), key=lambda c: (-sizes[c], first[c]))
    relabel = np.full(len(sizes), -1, dtype=np.int64)
    relabel[order] = np.arange(len(order))
    return relabel[lab]


@dataclass(frozen=True)
class Cores(Result):
    """The circular core (SCCs of F) and the robust core (SCCs of F without cancelable or
    non-binding commitments); ``fragile`` entities are circular only through those."""

    entities: pd.DataFrame
    components: pd.DataFrame
    fragile: tuple[str, ...]
    robust_statuses: tuple[str, ...]
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    unit: str
    title: str = "Circular and robust cores"

    def to_frame(self) -> pd.DataFrame:
        return self.components

    def tables(self) -> dict[str, pd.DataFrame]:
        comps = self.components.copy()
        comps["members"] = [", ".join(m) for m in comps["members"]]
        return {"components": comps}

    @property
    def core(self) -> tuple[str, ...]:
        return tuple(self.entities.loc[self.entities["core"].notna(), "id"])

    @property
    def robust(self) -> tuple[str, ...]:
        return tuple(self.entities.loc[self.entities["robust_core"].notna(), "id"])

    def summary(self) -> list[str]:
        lines = [f"Circular core: {len(self.core)} entities in "
                 f"{int((self.components['core'] == 'circular').sum())} strongly connected "
                 f"component(s); robust core (no cancelable or non-binding deals): "
                 f"{len(self.robust)} entities."]
        if self.fragile:
            shown = ", ".join(self.fragile[:12])
            more = len(self.fragile) - 12
            lines.append(f"Circular only through cancelable or non-binding deals "
                         f"({len(self.fragile)}): {shown}"
                         + (f" and {more:,} more (see the entities table)" if more > 0 else "")
                         + ".")
        return lines

    def notes(self) -> list[str]:
        return [f"statuses counted: {', '.join(self.statuses)}",
                f"kinds counted: {', '.join(self.kinds)}",
                f"robust core: statuses {', '.join(self.robust_statuses) or 'none'}, "
                "cancelable commitments dropped"]

    def to_dict(self) -> dict[str, Any]:
        return {"core": list(self.core), "robust_core": list(self.robust),
                "fragile": list(self.fragile), "robust_statuses": list(self.robust_statuses),
                "statuses": list(self.statuses), "kinds": list(self.kinds),
                "components": records(self.components), "entities": records(self.entities)}


def circular_cores(network: Network, status: str | Iterable[str] | None = None,
                   kinds: str | Iterable[str] | None = None) -> Cores:
    """The circular core and the robust core of the money-flow graph.

    Parameters
    ----------
    network : Network
    status, kinds : str or list of str, optional
        Filters that make the flow graph F.

    Returns
    -------
    Cores
        Per entity its ``core`` and ``robust_core`` component (numbered from 1 by size;
        None outside) and ``fragile`` (in the circular core but not the robust one); per
        component its members, size and internal volume; ``fragile``: the entities that
        are circular only through cancelable or non-binding deals.

    Raises
    ------
    FinflowError
        On a bad filter.

    Notes
    -----
    Circular core: the strongly connected components of F with more than one entity
    (every entity in it lies on a cycle). Robust core: the same on F rebuilt without
    commitments that are ``cancelable`` or of a non-binding status (loi, reported).

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "b", "c"], "payee": ["b", "a", "c", "b"],
    ...                   "kind": "other", "amount": 1.0,
    ...                   "status": ["closed", "closed", "closed", "loi"]}))
    >>> circular_cores(net).fragile
    ('c',)
    """
    ensure_network(network, "circular_cores")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    w = network.flow_matrix(statuses, kind_list)
    robust_statuses = tuple(s for s in statuses if s not in NONBINDING_STATUSES)
    com = network.commitments
    keep = network.mask(robust_statuses, kind_list) & ~com["cancelable"].astype(bool).to_numpy() \
        if robust_statuses else np.zeros(len(com), dtype=bool)
    rows = com[keep]
    idx = pd.Index(network.index)
    wr = sp.csr_array((rows["amount"].to_numpy(dtype=float),
                       (idx.get_indexer(rows["payer"]), idx.get_indexer(rows["payee"]))),
                      shape=(network.n, network.n))
    wr.sum_duplicates()
    core = _scc_labels(sp.csr_array(w))
    robust = _scc_labels(wr)
    names = np.array(network.index, dtype=object)

    def label(x: np.ndarray) -> list[Any]:
        return [int(v) + 1 if v >= 0 else None for v in x]

    ent = pd.DataFrame({"id": names, "core": pd.array(label(core), dtype="Int64"),
                        "robust_core": pd.array(label(robust), dtype="Int64"),
                        "fragile": (core >= 0) & (robust < 0)})
    comps = []
    coo = sp.coo_array(w)
    for kind, lab, mat in (("circular", core, w), ("robust", robust, wr)):
        c = sp.coo_array(mat)
        inside = (lab[c.row] >= 0) & (lab[c.row] == lab[c.col])
        vol = np.bincount(lab[c.row][inside], weights=c.data[inside],
                          minlength=max(int(lab.max()) + 1, 0)) if len(lab) else np.zeros(0)
        for k in range(int(lab.max()) + 1 if len(lab) else 0):
            members = names[lab == k].tolist()
            comps.append({"core": kind, "component": k + 1, "size": len(members),
                          "internal_volume": float(vol[k]), "members": members})
    del coo
    components = pd.DataFrame(comps, columns=["core", "component", "size", "internal_volume",
                                              "members"])
    fragile = tuple(names[(core >= 0) & (robust < 0)].tolist())
    return Cores(ent, components, fragile, robust_statuses, statuses, kind_list,
                 network.unit_label)
