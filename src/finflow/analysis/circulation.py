"""Maximum circulation and netting on the money-flow graph F (``../shared/DESIGN.md``
section 3).

The **maximum circulation** is the largest flow that fits inside the edge amounts of F and
is conserved at every entity: the money that goes round in loops, which multilateral
netting of the existing deals (conservative compression, D'Errico and Roukny 2017) would
cancel. Its *value* is unique; its split over edges and entities is not (many optimal
circulations can exist), so per-entity figures from it are labelled "one optimal
solution". The balanced-flow-forwarding decomposition (:mod:`finflow.analysis.decomposition`)
gives the unique per-entity attribution.

**Netting** (D'Errico and Roukny 2017): gross volume, each entity's net position, the
minimum gross volume that settles every net position, the excess above it, and the
conservative compression beside it; per layer when commitments are grouped.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse import csgraph

from ..errors import FinflowError
from ..kinds import resolve_kinds, resolve_statuses
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from ..netcheck import ensure_network

__all__ = [
    "DEFAULT_SCALE",
    "MaxCirculation",
    "Netting",
    "circulation_matrix",
    "max_circulation",
    "net_positions",
    "netting",
]

#: amounts are multiplied by this and rounded down to integers for the min-cost-flow solver
DEFAULT_SCALE = 1e6
_INT_BUDGET = 2.0 ** 62
_ULPS = 8 * np.finfo(float).eps


def _scale_for(total: float, scale: float | None) -> float:
    """The solver's scale: ``scale`` (default 1e6), cut by powers of ten until the scaled
    total fits in 62 bits."""
    s = DEFAULT_SCALE if scale is None else float(scale)
    if not (s > 0 and math.isfinite(s)):
        raise FinflowError(f"scale must be a positive number, got {scale!r}")
    while total * s >= _INT_BUDGET:
        s /= 10.0
    return s


def _circulate(n: int, src: np.ndarray, dst: np.ndarray, cap: np.ndarray,
               scale: float | None) -> tuple[np.ndarray, float]:
    """Per-edge flows of a maximum circulation (see :func:`circulation_matrix`)."""
    from ortools.graph.python import min_cost_flow

    if (cap < 0).any():
        raise FinflowError("circulation: amounts must be non-negative")
    usable = np.isfinite(cap) & (cap > 0)
    s = _scale_for(float(cap[usable].sum()), scale)
    loops = (src == dst) & usable
    flow = np.where(loops, cap, 0.0)
    arcs_ok = usable & ~loops
    if arcs_ok.any():
        a = sp.csr_array((np.ones(int(arcs_ok.sum())), (src[arcs_ok], dst[arcs_ok])),
                         shape=(n, n))
        _, lab = csgraph.connected_components(a, directed=True, connection="strong")
        inside = arcs_ok & (lab[src] == lab[dst])
        if inside.any():
            nodes, inv = np.unique(np.concatenate([src[inside], dst[inside]]),
                                   return_inverse=True)
            k = int(inside.sum())
            tails, heads = inv[:k].astype(np.int32), inv[k:].astype(np.int32)
            # rounded down, after a few ulps of allowance for binary floating point
            # (1.031 x 1e6 is 1030999.9999999999 in doubles; it must give 1031000)
            caps = np.floor(cap[inside] * s * (1.0 + _ULPS)).astype(np.int64)
            smcf = min_cost_flow.SimpleMinCostFlow()
            arcs = smcf.add_arcs_with_capacity_and_unit_cost(
                tails, heads, caps, np.full(k, -1, dtype=np.int64))
            status = smcf.solve()
            if status != smcf.OPTIMAL:
                raise FinflowError(f"maximum circulation: the min-cost-flow solver returned "
                                   f"{status}; try a smaller scale")
            flow[inside] = np.asarray(smcf.flows(arcs), dtype=float) / s
    return flow, s


def circulation_matrix(matrix: sp.spmatrix | sp.sparray,
                       scale: float | None = None) -> tuple[sp.csr_array, float]:
    """A maximum circulation inside a non-negative sparse capacity matrix.

    Parameters
    ----------
    matrix : scipy sparse (n x n)
        ``matrix[i, j]`` = the amount i pays j (the capacity of edge i -> j).
    scale : float, optional
        Amounts are multiplied by ``scale`` and rounded **down** to integers for the solver
        (default 1e6: exact to a millionth of the network's unit; reduced by powers of ten
        when the scaled total would not fit in 62 bits). A relative allowance of a few
        units in the last place is added before rounding, so that an amount with at most
        log10(scale) decimals (1.031) is not cut by its binary representation.

    Returns
    -------
    (flow, scale) : (scipy.sparse.csr_array, float)
        A circulation ``flow`` (``0 <= flow <= matrix`` on every edge, inflow = outflow at
        every node) of the largest total ``flow.sum()``, and the scale used.

    Raises
    ------
    FinflowError
        When the solver does not report an optimal solution.

    Notes
    -----
    Maximum circulation = min-cost circulation with cost -1 per unit on every edge and no
    supplies, solved with OR-Tools' ``SimpleMinCostFlow`` (cost scaling push-relabel) on
    the edges inside strongly connected components (no other edge can carry a
    circulation). Capacities are ``floor(amount x scale)``, so the flow is feasible for
    the true amounts and its value is within (number of edges) / scale of the true
    optimum; it is exact when every amount has at most log10(scale) decimals.
    Self-loops carry their full amount. About 4 s at a million commitments.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> w = sp.csr_array(np.array([[0, 2.0, 1], [0, 0, 1], [1, 0, 0]]))
    >>> flow, _ = circulation_matrix(w)
    >>> float(flow.sum())     # the unit cycle 0 -> 1 -> 2 -> 0: 3 edges of 1
    3.0

    References
    ----------
    R. K. Ahuja, T. L. Magnanti and J. B. Orlin (1993), Network Flows: Theory, Algorithms,
    and Applications, Prentice Hall, ch. 9-10 (minimum cost flows, circulations).
    A. V. Goldberg (1997), "An efficient implementation of a scaling minimum-cost flow
    algorithm", J. Algorithms 22(1):1-29.
    """
    coo = sp.coo_array(matrix)
    coo.sum_duplicates()
    n = coo.shape[0]
    src, dst = coo.row.astype(np.int64), coo.col.astype(np.int64)
    flow, s = _circulate(n, src, dst, coo.data.astype(float), scale)
    out = sp.csr_array((flow, (src, dst)), shape=(n, n))
    out.eliminate_zeros()
    return out, s


@dataclass(frozen=True)
class MaxCirculation(Result):
    """The maximum circulation of the flow graph.

    ``value`` (the sum over edges of the circulation) is unique; ``edges`` and the
    per-entity ``circular_throughput`` come from **one optimal solution** returned by the
    solver (other optimal circulations may split the same value differently).
    """

    value: float
    total_flow: float
    circularity: float
    scale: float
    edges: pd.DataFrame
    entities: pd.DataFrame
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    unit: str
    title: str = "Maximum circulation"

    def to_frame(self) -> pd.DataFrame:
        return self.edges

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"edges": self.edges, "entities": self.entities}

    def summary(self) -> list[str]:
        return [f"Maximum circulation {format_number(self.value)} of total flow "
                f"{format_number(self.total_flow)} {self.unit} "
                f"({format_number(100 * self.circularity, 1)}%)."]

    def notes(self) -> list[str]:
        return [f"statuses counted: {', '.join(self.statuses)}",
                f"kinds counted: {', '.join(self.kinds)}",
                "value = sum over edges of the circulation; the split over edges and "
                "entities is one optimal solution (not unique)",
                f"solved with OR-Tools min-cost flow on amounts x {self.scale:g}, rounded down"]

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "total_flow": self.total_flow,
                "max_circulation_share": jsonable(self.circularity), "scale": self.scale,
                "statuses": list(self.statuses), "kinds": list(self.kinds), "unit": self.unit,
                "edges": records(self.edges), "entities": records(self.entities)}


def max_circulation(network: Network, status: str | Iterable[str] | None = None,
                    kinds: str | Iterable[str] | None = None,
                    scale: float | None = None) -> MaxCirculation:
    """The maximum circulation of the money-flow graph and the netting view of it.

    Parameters
    ----------
    network : Network
    status, kinds : str or list of str, optional
        Filters that make the flow graph F (default: every status but lapsed, all kinds).
    scale : float, optional
        Integer scaling for the solver (default 1e6; see :func:`circulation_matrix`).

    Returns
    -------
    MaxCirculation
        ``value`` (sum over edges of the circulation: the volume netting would cancel),
        ``total_flow`` (sum of F), ``circularity = value / total_flow`` (NaN on an empty
        graph), per edge ``amount``, ``circulation`` and ``remaining`` (gross vs what is
        left after cancelling the circulation), and per entity ``outflow``, ``inflow``,
        ``circular_throughput`` (one optimal solution) and the remaining flows.

    Raises
    ------
    FinflowError
        On a bad filter or a solver failure.

    Notes
    -----
    Maximise sum_e x_e subject to 0 <= x_e <= F_e and, at every entity, inflow = outflow:
    the largest circulation inside F (see :func:`circulation_matrix`). Its value is at
    least any single cycle's bottleneck x length, and at least the circular volume of
    the balanced-flow-forwarding decomposition (BFF's circular part is one feasible
    circulation). Cancelling it is conservative compression: every remaining edge is an
    existing deal reduced, none is created.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "b"], "payee": ["b", "c", "a"],
    ...                   "kind": "other", "amount": [10.0, 15.0, 5.0]}))
    >>> res = max_circulation(net)      # a <-> b carries 5 each way
    >>> res.value, res.total_flow
    (10.0, 30.0)

    References
    ----------
    M. D'Errico and T. Roukny (2017), "Compressing over-the-counter markets", ESRB
    Working Paper 44.
    R. K. Ahuja, T. L. Magnanti and J. B. Orlin (1993), Network Flows, Prentice Hall.
    """
    ensure_network(network, "max_circulation")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    w = network.flow_matrix(statuses, kind_list)
    return _max_circulation_of(network, w, statuses, kind_list, scale)


def _max_circulation_of(network: Network, w: sp.csr_array, statuses, kind_list,
                        scale) -> MaxCirculation:
    coo = sp.coo_array(w)
    coo.sum_duplicates()
    src, dst, amt = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data.astype(float)
    circ, s = _circulate(network.n, src, dst, amt, scale)
    names = np.array(network.index, dtype=object)
    edges = pd.DataFrame({"payer": names[src], "payee": names[dst], "amount": amt,
                          "circulation": circ, "remaining": amt - circ})
    edges = edges.sort_values(["circulation", "amount"], ascending=False,
                              kind="stable").reset_index(drop=True)
    n = network.n
    out_f = np.bincount(src, weights=amt, minlength=n)
    in_f = np.bincount(dst, weights=amt, minlength=n)
    thru = np.bincount(src, weights=circ, minlength=n)
    ent = pd.DataFrame({"id": list(network.index), "outflow": out_f, "inflow": in_f,
                        "circular_throughput": thru,
                        "remaining_outflow": out_f - thru, "remaining_inflow": in_f - thru})
    total = float(amt.sum())
    value = float(circ.sum())
    return MaxCirculation(value, total, value / total if total > 0 else float("nan"), s,
                          edges, ent, statuses, kind_list, network.unit_label)


# --------------------------------------------------------------------------------------
# netting
# --------------------------------------------------------------------------------------
def net_positions(matrix: sp.spmatrix | sp.sparray) -> np.ndarray:
    """Each entity's net position: outflow minus inflow (positive = net payer).

    Parameters
    ----------
    matrix : (n, n) sparse matrix
        ``matrix[i, j]`` = the amount i pays j.

    Returns
    -------
    numpy.ndarray
        Row sums minus column sums. They add up to zero.

    Notes
    -----
    D'Errico and Roukny's (2017) net position of a dealer; compnet's ``net_flow`` is the
    opposite sign (inflow - outflow).

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> net_positions(sp.csr_array(np.array([[0, 10.0, 0], [5, 0, 15], [0, 0, 0]])))
    array([  5.,  10., -15.])
    """
    m = sp.csr_array(matrix)
    return np.asarray(m.sum(axis=1)).ravel() - np.asarray(m.sum(axis=0)).ravel()


@dataclass(frozen=True)
class _Layer:
    gross: float
    net_settlement: float
    excess: float
    max_circulation: float

    def row(self) -> dict[str, float]:
        compressed = self.gross - self.max_circulation
        residual = compressed - self.net_settlement
        return {"gross": self.gross, "net_settlement": self.net_settlement,
                "excess": self.excess, "max_circulation": self.max_circulation,
                "compressed_gross": compressed, "residual_excess": residual,
                "compression_efficiency": (1.0 - residual / self.excess)
                if self.excess > 1e-12 else float("nan")}


def _layer(w: sp.csr_array, scale, circulation: float | None = None) -> _Layer:
    net = net_positions(w)
    gross = float(w.sum())
    cms = float(net[net > 0].sum())
    if circulation is None:
        flow, _ = circulation_matrix(w, scale)
        circulation = float(flow.sum())
    return _Layer(gross, cms, gross - cms, circulation)


@dataclass(frozen=True)
class Netting(Result):
    """Gross and net volumes and what compression would cancel (D'Errico and Roukny 2017).

    ``gross`` = sum of F; ``net_settlement`` = the minimum gross volume that settles every
    net position (sum of the positive net positions); ``excess = gross - net_settlement``;
    ``max_circulation`` = what conservative compression (reducing existing deals only)
    cancels; ``compressed_gross = gross - max_circulation``; ``residual_excess`` =
    what is left above ``net_settlement`` after it; ``compression_efficiency = 1 -
    residual_excess / excess``. ``positions`` holds each entity's ``net_position``
    (outflow - inflow); ``layers`` the same figures per group when grouped.
    """

    gross: float
    net_settlement: float
    excess: float
    max_circulation: float
    compressed_gross: float
    residual_excess: float
    compression_efficiency: float
    positions: pd.DataFrame
    layers: pd.DataFrame | None
    by: str | None
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    unit: str
    title: str = "Netting and compression"

    def to_frame(self) -> pd.DataFrame:
        return self.layers if self.layers is not None else self.positions

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"net_positions": self.positions}
        if self.layers is not None:
            out = {f"layers_by_{self.by}": self.layers, **out}
        return out

    def summary(self) -> list[str]:
        g = self.gross
        pct = (lambda x: f"{format_number(100 * x / g, 1)}%") if g > 0 else (lambda x: "-")
        return [
            f"Gross {format_number(g)} {self.unit}; settling every net position needs "
            f"{format_number(self.net_settlement)}, so {format_number(self.excess)} "
            f"({pct(self.excess)}) is excess.",
            f"Conservative compression (netting the loops of existing deals) cancels "
            f"{format_number(self.max_circulation)} ({pct(self.max_circulation)}), leaving "
            f"{format_number(self.compressed_gross)}.",
        ]

    def notes(self) -> list[str]:
        return [f"statuses counted: {', '.join(self.statuses)}",
                f"kinds counted: {', '.join(self.kinds)}",
                "net position = outflow - inflow (positive: net payer); compnet prints "
                "inflow - outflow",
                "conservative compression = maximum circulation (existing deals reduced, "
                "none created)"]

    def to_dict(self) -> dict[str, Any]:
        return {"gross": self.gross, "net_settlement": self.net_settlement,
                "excess": self.excess, "max_circulation": self.max_circulation,
                "compressed_gross": self.compressed_gross,
                "residual_excess": self.residual_excess,
                "compression_efficiency": jsonable(self.compression_efficiency),
                "by": self.by, "statuses": list(self.statuses), "kinds": list(self.kinds),
                "unit": self.unit, "positions": records(self.positions),
                "layers": records(self.layers) if self.layers is not None else None}


def _layer_keys(rows: pd.DataFrame, by: str) -> pd.Series:
    if by == "year":
        start = rows["start"].astype(object) if "start" in rows.columns else pd.Series(
            [None] * len(rows), index=rows.index, dtype=object)
        return start.map(lambda s: str(s)[:4] if isinstance(s, str) and s else "unknown")
    if by not in rows.columns:
        raise FinflowError(f"netting: cannot group by {by!r}; use kind, status, year or a "
                           f"commitments column ({', '.join(map(str, rows.columns))})")
    return rows[by].astype(object).map(lambda v: "unknown" if v is None or (
        isinstance(v, float) and np.isnan(v)) else str(v))


def netting(network: Network, by: str | None = None,
            status: str | Iterable[str] | None = None,
            kinds: str | Iterable[str] | None = None,
            scale: float | None = None) -> Netting:
    """Gross, net and compressible volumes of the flow graph (D'Errico and Roukny 2017).

    Parameters
    ----------
    network : Network
    by : str, optional
        Also report every figure per layer: ``"kind"``, ``"status"``, ``"year"`` (the
        year of ``start``; ``unknown`` when missing) or any commitments column.
    status, kinds : str or list of str, optional
        Filters that make the flow graph F.
    scale : float, optional
        Integer scaling for the min-cost-flow solver (see :func:`circulation_matrix`).

    Returns
    -------
    Netting

    Raises
    ------
    FinflowError
        On a bad filter or grouping.

    Notes
    -----
    With net position ``n_i = outflow_i - inflow_i``: gross market size GMS = sum of F;
    compressed (minimum) market size CMS = sum of positive ``n_i`` = half the sum of
    ``|n_i|`` (no set of payments settling the net positions can be smaller); excess
    EMS = GMS - CMS. Conservative compression reduces existing deals only; the most it
    can remove is the maximum circulation, after which the remaining excess is
    ``GMS - max_circulation - CMS``. Non-conservative compression (new deals allowed) can
    remove all of EMS. In a layer the figures use only that layer's commitments.

    Examples
    --------
    The compnet README example (L. Mingarelli, ``compnet``; A->B 10, B->C 15, B->A 5):
    gross 30, compressed 15, excess 15; conservative compression cancels A<->B 5 each way.

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["A", "B", "C"]}),
    ...     pd.DataFrame({"payer": ["A", "B", "B"], "payee": ["B", "C", "A"],
    ...                   "kind": "other", "amount": [10.0, 15.0, 5.0]}))
    >>> r = netting(net)
    >>> r.gross, r.net_settlement, r.excess, r.max_circulation
    (30.0, 15.0, 15.0, 10.0)

    References
    ----------
    M. D'Errico and T. Roukny (2017), "Compressing over-the-counter markets", ESRB
    Working Paper 44.
    L. Mingarelli, ``compnet`` (Python package), README examples.
    """
    ensure_network(network, "netting")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    return _netting_of(network, network.flow_matrix(statuses, kind_list), by, statuses,
                       kind_list, scale)


def _netting_of(network: Network, w: sp.csr_array, by: str | None, statuses, kind_list,
                scale, circulation: float | None = None) -> Netting:
    whole = _layer(w, scale, circulation)
    f = sp.csr_array(w)
    inflow = np.asarray(f.sum(axis=0)).ravel()
    outflow = np.asarray(f.sum(axis=1)).ravel()
    positions = pd.DataFrame({"id": list(network.index), "inflow": inflow, "outflow": outflow,
                              "net_position": outflow - inflow})
    layers = None
    if by is not None:
        by = {"kinds": "kind", "statuses": "status", "years": "year"}.get(by, by)
        rows = network.commitments[network.mask(statuses, kind_list)]
        keys = _layer_keys(rows, by)
        idx = pd.Index(network.index)
        out = []
        for key in sorted(keys.unique(), key=str):
            sub = rows[(keys == key).to_numpy()]
            m = sp.csr_array((sub["amount"].to_numpy(dtype=float),
                              (idx.get_indexer(sub["payer"]), idx.get_indexer(sub["payee"]))),
                             shape=(network.n, network.n))
            m.sum_duplicates()
            out.append({"layer": key, "commitments": len(sub), **_layer(m, scale).row()})
        layers = pd.DataFrame(out, columns=["layer", "commitments", "gross", "net_settlement",
                                            "excess", "max_circulation", "compressed_gross",
                                            "residual_excess", "compression_efficiency"])
    r = whole.row()
    return Netting(r["gross"], r["net_settlement"], r["excess"], r["max_circulation"],
                   r["compressed_gross"], r["residual_excess"], r["compression_efficiency"],
                   positions, layers, by, statuses, kind_list, network.unit_label)
