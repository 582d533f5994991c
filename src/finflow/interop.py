"""networkx, exposure matrices and Gephi, both ways (issue 19).

In:

* :func:`from_networkx`: any directed networkx graph (edge direction = payer -> payee,
  one commitment per edge, a multigraph's keys as commitment ids) as a
  :class:`~finflow.model.Network`;
* :func:`from_matrix`: an exposure matrix and capital buffers, the way
  NetworkRiskMeasures (Cinelli 2016) and most of the interbank-contagion literature
  state a network: ``E[i, j]`` = what ``i`` loses if ``j`` defaults.

Out:

* :func:`to_networkx` (also :meth:`Network.to_networkx`): a MultiDiGraph, one edge per
  commitment (or a DiGraph of the money flows with ``aggregate=True``), whose attributes
  are single values only (text, numbers, booleans; lists joined, missing values left
  out, dates as ISO text), so that :func:`networkx.write_graphml` and
  :func:`networkx.write_gexf` take it as it is;
* :func:`to_gexf`: a GEXF 1.2 file for Gephi with ``weight`` on the edges, colours by
  entity type and commitment kind (the explorer's, :data:`finflow.view.TYPE_COLORS` and
  :data:`finflow.view.KIND_COLORS`), node size by total flow, dynamic ``start``/``end``
  for Gephi's timeline, and chosen results (systemic impact, circular share, default
  round ...) as node attributes.

The analyses take a :class:`~finflow.model.Network` only; :func:`ensure_network` turns a
networkx graph or a matrix given instead into a :class:`TypeError` that says which of
the two converters to use.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import networkx as nx
import numpy as np
import pandas as pd

from .errors import FinflowError
from .kinds import KINDS
from .netcheck import ensure_network

if TYPE_CHECKING:
    from .model import Network

__all__ = ["from_networkx", "from_matrix", "to_networkx", "to_gexf", "ensure_network",
           "result_columns", "GEXF_NS", "GEXF_VIZ_NS"]

GEXF_NS = "http://www.gexf.net/1.2draft"
GEXF_VIZ_NS = "http://www.gexf.net/1.2draft/viz"
_GEXF_RESERVED = {"id", "label", "start", "end", "weight", "type", "key", "pid", "viz"}
_GEXF_NODE_RESERVED = {"id", "label", "start", "end", "pid", "viz"}
_META_KEYS = ("name", "description", "as_of", "currency", "unit")


def _is_sparse(obj: Any) -> bool:
    import scipy.sparse as sp
    return sp.issparse(obj)


# ---- single values for graph files ---------------------------------------------------------
def _scalar(value: Any) -> Any:
    """A value GraphML and GEXF can hold: text, int, float, bool; None when missing.
    Lists and tuples are joined with ``"; "``, dates written as ISO text, mappings as
    JSON."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, (pd.Timestamp, _dt.datetime, _dt.date)):
        return value.isoformat()[:10]
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else list(value)
        return "; ".join(str(_scalar(v)) for v in items if _scalar(v) is not None)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return str(value)


def _attrs(row: Mapping[str, Any], skip: Iterable[str] = ()) -> dict[str, Any]:
    skip = set(skip)
    return {str(k): v for k, v in ((k, _scalar(v)) for k, v in row.items() if k not in skip)
            if v is not None}


def _graph_attrs(metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in ((k, _scalar(v)) for k, v in metadata.items()
                                   if k != "path") if v is not None}


# ---- out: networkx --------------------------------------------------------------------------
def to_networkx(network: Any, *, aggregate: bool = False,
                status: str | Iterable[str] | None = None,
                kinds: str | Iterable[str] | None = None) -> nx.MultiDiGraph | nx.DiGraph:
    """A network as a networkx graph with single-valued attributes only.

    Parameters
    ----------
    network : Network
    aggregate : bool
        False (default): a :class:`networkx.MultiDiGraph` with one edge per commitment
        (``payer -> payee``, keyed by the commitment id), every commitment field as an
        edge attribute and ``weight`` = its amount where known. True: a
        :class:`networkx.DiGraph` of the money flows (:meth:`Network.flow_graph`: the
        counted commitments of the selected statuses and kinds summed per pair,
        ``weight`` = the sum), with ``kinds``, ``statuses`` and ``commitments`` joined
        with ``"; "`` and ``count`` = the number of commitments.
    status, kinds : optional
        Which commitments (default: every status but ``lapsed`` for ``aggregate``; every
        row otherwise, filtered when given).

    Returns
    -------
    networkx.MultiDiGraph or networkx.DiGraph
        Nodes are entity ids with the entity fields; graph attributes are the metadata
        (``sources`` and other structured values as JSON text). Every attribute is text,
        a number or a boolean, missing values are left out, so :func:`networkx.write_graphml`
        and :func:`networkx.write_gexf` write it as it is.

    References
    ----------
    Hagberg, A., Schult, D., Swart, P. (2008). Exploring network structure, dynamics, and
    function using NetworkX. Proceedings of SciPy 2008. Brandes, U. et al. (2013). Graph
    markup language (GraphML). Handbook of Graph Drawing and Visualization, CRC Press.

    Examples
    --------
    >>> import finflow
    >>> g = to_networkx(finflow.load_default())
    >>> g.number_of_edges(), isinstance(g, nx.MultiDiGraph)
    (122, True)
    """
    net = ensure_network(network, "to_networkx")
    if aggregate:
        flow = net.flow_graph(status, kinds)
        g = nx.DiGraph()
        g.graph.update(_graph_attrs(net.metadata))
        for n, d in flow.nodes(data=True):
            g.add_node(n, **_attrs(d))
        for u, v, d in flow.edges(data=True):
            g.add_edge(u, v, **_attrs(d), count=len(d.get("commitments", ())))
        return g
    sel = net if status is None and kinds is None else net.select(status, kinds)
    g = nx.MultiDiGraph()
    g.graph.update(_graph_attrs(net.metadata))
    for rec in sel.entities.to_dict("records"):
        g.add_node(str(rec["id"]), **_attrs(rec, skip=("id",)))
    for rec in sel.commitments.to_dict("records"):
        data = _attrs(rec, skip=("payer", "payee"))
        if "amount" in data:
            data["weight"] = float(data["amount"])
        g.add_edge(str(rec["payer"]), str(rec["payee"]), key=str(rec["id"]), **data)
    return g


# ---- in: networkx ---------------------------------------------------------------------------
def from_networkx(G: nx.Graph, *, weight: str | None = "weight", kind: str = "kind",
                  status: str | None = None, name: str | None = None, **metadata: Any
                  ) -> Network:
    """A :class:`~finflow.model.Network` from a directed networkx graph.

    Parameters
    ----------
    G : networkx.DiGraph or networkx.MultiDiGraph
        Each edge ``u -> v`` is a commitment with payer ``u`` and payee ``v`` (money flows
        along the edge). A multigraph's edge keys become the commitment ids (made unique
        as ``u->v:key`` when they repeat, as networkx's default keys 0, 1 ... do); an
        ``id`` edge attribute wins over the key. Node attributes become entity fields
        (``name``, ``type``, ``equity``, ``cash``, ``revenue`` ... of
        :mod:`finflow.schema`, others are kept as extra columns); edge attributes other
        than ``weight`` and ``kind`` become commitment fields (``status``, ``start``,
        ``end``, ``funded`` ...).
    weight : str or None
        The edge attribute holding the amount (default ``"weight"``, networkx's); an edge
        without it has an undisclosed amount (missing, never 0). None: every edge has
        amount 1 (an unweighted graph, as networkx's algorithms read it).
    kind : str
        The edge attribute holding the commitment kind (default ``"kind"``), or one of
        :data:`finflow.KINDS` (``"loan"``, ``"equity"`` ...) for every edge.
    status : str, optional
        The status of edges without a ``status`` attribute (default: ``committed``).
    name : str, optional
        The network's name (default: ``G.graph["name"]``, else ``"networkx graph"``).
    **metadata
        More metadata (``as_of``, ``currency``, ``unit``, ``lgd`` ...); graph attributes
        ``description``, ``as_of``, ``currency`` and ``unit`` are taken from ``G.graph``.

    Returns
    -------
    Network
        Validated like a file: every problem (an unknown kind, a negative amount ...) is
        reported at once in a :class:`~finflow.errors.NetworkFileError` naming the node or
        edge.

    Raises
    ------
    TypeError
        ``G`` is not a networkx graph.
    NetworkFileError
        ``G`` is undirected, or an attribute is invalid.

    References
    ----------
    Hagberg, A., Schult, D., Swart, P. (2008). Exploring network structure, dynamics, and
    function using NetworkX. Proceedings of SciPy 2008.

    Examples
    --------
    >>> G = nx.DiGraph()
    >>> G.add_node("bank", equity=10.0, type="lender")
    >>> G.add_edge("bank", "firm", weight=4.0)
    >>> net = from_networkx(G, kind="loan")
    >>> net.index, net.exposure_matrix(lgd={"loan": 1.0}).toarray().tolist()
    (('bank', 'firm'), [[0.0, 4.0], [0.0, 0.0]])
    """
    from .io.graphformats import graph_to_tables
    from .model import Network
    if not isinstance(G, nx.Graph):
        raise TypeError(f"from_networkx: expects a networkx graph, got {type(G).__name__}")
    constant = kind in KINDS
    h = nx.MultiDiGraph() if G.is_directed() else nx.MultiGraph()
    for n, d in G.nodes(data=True):
        h.add_node(str(n), **{k: _scalar(v) for k, v in d.items() if _scalar(v) is not None})
    if G.is_multigraph():
        edges = [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)]
        keys = [str(k) for _, _, k, _ in edges]
        unique = len(set(keys)) == len(keys)
        ids = [k if unique else f"{u}->{v}:{k}" for (u, v, _, _), k in zip(edges, keys)]
    else:
        edges = [(u, v, None, d) for u, v, d in G.edges(data=True)]
        ids = [f"{u}->{v}" for u, v, _, _ in edges]
    for (u, v, _, d), cid in zip(edges, ids):
        rec = {k: _scalar(x) for k, x in d.items()
               if k not in (weight, kind, "id") and _scalar(x) is not None}
        if weight is None:
            rec["amount"] = 1.0
        else:
            rec["amount"] = _scalar(d.get(weight))
        rec["kind"] = kind if constant else _scalar(d.get(kind))
        if status is not None:
            rec.setdefault("status", status)
        own = _scalar(d.get("id"))
        rec["commitment"] = str(own) if own is not None else cid
        h.add_edge(str(u), str(v), **rec)
    if not constant and h.number_of_edges() and all(
            d.get("kind") is None for _, _, d in h.edges(data=True)):
        raise FinflowError(f"from_networkx: no edge has a {kind!r} attribute; pass the "
                           "attribute that holds the kind (kind=...) or one kind for every "
                           f"edge, e.g. kind=\"loan\" (one of {', '.join(KINDS)})")
    entities, commitments = graph_to_tables(h, "<networkx graph>")
    meta = {k: G.graph[k] for k in _META_KEYS if k in G.graph and _scalar(G.graph[k]) is not None}
    meta["name"] = name or str(G.graph.get("name") or "networkx graph")
    meta.update(metadata)
    return Network(entities, commitments, meta, validated=True)


# ---- in: exposure matrix --------------------------------------------------------------------
def _matrix(E: Any) -> tuple[np.ndarray, list[str] | None]:
    labels = None
    if isinstance(E, pd.DataFrame):
        if list(map(str, E.index)) != list(map(str, E.columns)):
            raise FinflowError("from_matrix: the DataFrame's index and columns must name the "
                               "same entities in the same order")
        labels = [str(i) for i in E.index]
        arr = E.to_numpy(dtype=float)
    elif _is_sparse(E):
        arr = E.toarray().astype(float)
    else:
        arr = np.asarray(E, dtype=float)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise FinflowError(f"from_matrix: E must be a square matrix, not of shape {arr.shape}")
    return arr, labels


def _per_entity(values: Any, ids: Sequence[str], what: str) -> np.ndarray:
    n = len(ids)
    if values is None:
        return np.full(n, np.nan)
    if isinstance(values, pd.Series):
        s = values.copy()
        s.index = [str(i) for i in s.index]
        missing = [i for i in ids if i not in s.index]
        if missing:
            raise FinflowError(f"from_matrix: {what} has no value for {', '.join(missing[:5])}")
        return s.reindex(list(ids)).to_numpy(dtype=float)
    if isinstance(values, Mapping):
        return np.array([float(values[i]) if values.get(i) is not None else np.nan
                         for i in ids], dtype=float)
    if np.isscalar(values):
        return np.full(n, float(values))
    arr = np.asarray(values, dtype=float).ravel()
    if len(arr) != n:
        raise FinflowError(f"from_matrix: {what} has {len(arr)} values for {n} entities")
    return arr


def from_matrix(E: Any, *, equity: Any = None, ids: Sequence[Any] | None = None,
                kind: str = "loan", weights: Any = None, name: str = "exposure matrix",
                **metadata: Any) -> Network:
    """A :class:`~finflow.model.Network` from an exposure matrix and capital buffers.

    The NetworkRiskMeasures way (Cinelli 2016; Battiston et al. 2012): ``E[i, j]`` = what
    ``i`` loses if ``j`` defaults, i.e. ``i`` holds a claim of ``E[i, j]`` on ``j``. Each
    non-zero entry becomes one commitment of ``kind`` whose claim holder is ``i`` and
    obligor ``j`` (for a loan, bond, credit or equity: ``i`` pays ``j``; for a purchase,
    compute, lease, warrant or backstop, whose payee holds the claim: ``j`` pays
    ``i``), and the network's LGD of ``kind`` is set to 1, so that
    ``net.exposure_matrix()`` is ``E`` exactly.

    Parameters
    ----------
    E : array-like, scipy sparse matrix or pandas DataFrame
        Square, finite, non-negative, zero diagonal. A DataFrame's index (= its columns)
        gives the ids.
    equity : array-like, mapping or pandas Series, optional
        The capital buffers (book equity), in the order of ``ids`` (a Series or mapping:
        by id). Missing: unknown.
    ids : sequence, optional
        Entity ids (default: the DataFrame's index, else ``"0"``, ``"1"`` ...).
    kind : str
        The claims' kind (default ``loan``); not ``other``, which carries no claim.
    weights : array-like, mapping or Series, optional
        DebtRank's economic weights (default: equity), kept as the network's
        ``debtrank_weights``.
    name : str
    **metadata
        More metadata (``as_of``, ``currency``, ``unit``).

    Returns
    -------
    Network
        Entities ``ids`` with ``equity``; commitments ``"i->j"``, status ``committed``.

    Raises
    ------
    FinflowError
        E is not square, has a negative, non-finite or diagonal entry, ids repeat, or
        ``kind`` carries no claim.

    References
    ----------
    Cinelli, C. (2016). NetworkRiskMeasures: risk measures for (financial) networks
    (R package). Battiston, S. et al. (2012). DebtRank: too central to fail? Scientific
    Reports 2, 541.

    Examples
    --------
    >>> net = from_matrix([[0, 3.0], [1.0, 0]], equity=[2.0, 5.0], ids=["a", "b"])
    >>> net.exposure_matrix().toarray().tolist()
    [[0.0, 3.0], [1.0, 0.0]]
    """
    from .model import Network
    if kind not in KINDS or KINDS[kind].exposed is None:
        raise FinflowError(f"from_matrix: kind {kind!r} carries no claim; choose from "
                           + ", ".join(k for k, v in KINDS.items() if v.exposed))
    arr, labels = _matrix(E)
    n = arr.shape[0]
    if ids is not None:
        names = [str(i) for i in ids]
        if len(names) != n:
            raise FinflowError(f"from_matrix: {len(names)} ids for a {n} x {n} matrix")
    else:
        names = labels or [str(i) for i in range(n)]
    if len(set(names)) != n:
        raise FinflowError("from_matrix: ids repeat")
    if not np.isfinite(arr).all():
        raise FinflowError("from_matrix: E has missing or infinite entries")
    if (arr < 0).any():
        i, j = map(int, np.argwhere(arr < 0)[0])
        raise FinflowError(f"from_matrix: E[{names[i]}, {names[j]}] = {arr[i, j]} is negative")
    if np.diag(arr).any():
        i = int(np.flatnonzero(np.diag(arr))[0])
        raise FinflowError(f"from_matrix: E[{names[i]}, {names[i]}] = {arr[i, i]}: an entity "
                           "holds no claim on itself (the diagonal must be 0)")
    holder, obligor = np.nonzero(arr)
    payer_is_holder = KINDS[kind].exposed == "payer"
    entities = pd.DataFrame({"id": names, "equity": _per_entity(equity, names, "equity")})
    commitments = pd.DataFrame({
        "id": [f"{names[i]}->{names[j]}" for i, j in zip(holder, obligor)],
        "payer": [names[i] if payer_is_holder else names[j] for i, j in zip(holder, obligor)],
        "payee": [names[j] if payer_is_holder else names[i] for i, j in zip(holder, obligor)],
        "kind": kind, "amount": arr[holder, obligor], "status": "committed"})
    meta: dict[str, Any] = {"name": name, **metadata}
    lgd = dict(meta.get("lgd") or {})
    lgd[kind] = 1.0
    meta["lgd"] = lgd
    if weights is not None:
        w = _per_entity(weights, names, "weights")
        meta["debtrank_weights"] = {i: float(x) for i, x in zip(names, w)}
    return Network.from_frames(entities, commitments, **meta)


# ---- out: GEXF for Gephi --------------------------------------------------------------------
def _entity_frame(obj: Any) -> pd.DataFrame:
    """The per-entity columns a result contributes to the GEXF nodes (``id`` first)."""
    name = type(obj).__name__
    if isinstance(obj, pd.DataFrame):
        if "id" not in obj.columns:
            raise FinflowError("results: a DataFrame needs an 'id' column of entity ids")
        return obj
    if name == "RankingResult":
        cols = ["impact", "impact_rank", "debtrank", "defaults_caused", "vulnerability",
                "vulnerability_rank"]
        return obj.entities[["id"] + [c for c in cols if c in obj.entities.columns]]
    if name in ("CircularFinancing", "Decomposition"):
        ent = obj.tables()["entities"]
        cols = ["circular_inflow", "self_financed_share", "cycled_share", "core",
                "robust_core", "heaviest_cycle_bottleneck", "heaviest_cycle"]
        return ent[["id"] + [c for c in cols if c in ent.columns]]
    if name == "ContagionResult":
        ent = obj.entities
        out = pd.DataFrame({"id": ent["id"], "loss": ent["loss"],
                            "relative_loss": ent["relative_loss"],
                            "defaulted": ent["defaulted"].astype(bool),
                            "default_round": ent["round"].where(ent["defaulted"].astype(bool))})
        return out
    if name == "ContagionComparison":
        parts = [_entity_frame(res).rename(columns=lambda c, m=m: c if c == "id" else f"{m}_{c}")
                 .set_index("id") for m, res in obj.results.items()]
        return pd.concat(parts, axis=1).reset_index()
    if name == "StressResult":
        h = obj.holders
        return pd.DataFrame({"id": h["entity"], "stress_default_year": h["default_year"]})
    if name == "FundingGapResult":
        e = obj.entities
        return pd.DataFrame({"id": e["entity"], "runway_year": e["runway_year"]})
    raise FinflowError(f"results: no per-entity columns for {name}; give a RankingResult, "
                       "CircularFinancing, Decomposition, ContagionResult, "
                       "ContagionComparison, StressResult, FundingGapResult or a DataFrame "
                       "with an 'id' column")


def result_columns(results: Iterable[Any], ids: Sequence[str]) -> pd.DataFrame:
    """The per-entity columns of ``results`` over ``ids`` (one row per id, missing where a
    result has no row): systemic ranking ``impact``, ``impact_rank``, ``debtrank``,
    ``defaults_caused``, ``vulnerability``; circular financing ``circular_inflow``,
    ``self_financed_share`` (the circular share of the entity's inflow), ``cycled_share``,
    ``core``, ``heaviest_cycle``; contagion ``loss``, ``relative_loss``, ``defaulted``,
    ``default_round`` (prefixed by the model for a comparison); stress
    ``stress_default_year``; funding gap ``runway_year``; a DataFrame's own columns."""
    out = pd.DataFrame(index=pd.Index(list(ids), name="id"))
    for res in results:
        frame = _entity_frame(res)
        frame = frame.assign(id=frame["id"].astype(str)).drop_duplicates("id").set_index("id")
        clash = [c for c in frame.columns if c in out.columns]
        if clash:
            raise FinflowError(f"results: two results give the column {clash[0]!r}; pass one "
                               "of them (or rename the DataFrame's columns)")
        out = out.join(frame, how="left")
    return out


def _date(value: Any, *, last: bool = False) -> str | None:
    """An ISO day for GEXF: the first day of a partial date (``2026`` -> 2026-01-01), or
    with ``last`` its last day (``2026`` -> 2026-12-31, ``2026-02`` -> 2026-02-28)."""
    from .io.tables import normalise_date
    from .model import date_floor
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        day = date_floor(value)
        parts = (normalise_date(value) or "").count("-")
    except (FinflowError, ValueError):
        return None
    if day is None:
        return None
    if last and parts == 0:
        day = _dt.date(day.year, 12, 31)
    elif last and parts == 1:
        nxt = _dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        day = nxt - _dt.timedelta(days=1)
    return day.isoformat()


def _gexf_type(values: list[Any]) -> str:
    vals = [v for v in values if v is not None]
    if vals and all(isinstance(v, bool) for v in vals):
        return "boolean"
    if vals and all(isinstance(v, int) and not isinstance(v, bool) for v in vals):
        return "long"
    if vals and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
        return "double"
    return "string"


def _text(v: Any, kind: str) -> str:
    if kind == "boolean":
        return "true" if v else "false"
    if kind == "double":
        return repr(float(v))
    return str(v)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def node_size(total_flow: float, largest: float) -> float:
    """A node's GEXF ``viz:size``: 5 plus up to 45 by the square root of its total flow
    (inflow + outflow) over the largest (areas grow with the flow)."""
    if not largest > 0 or not total_flow > 0:
        return 5.0
    return round(5.0 + 45.0 * math.sqrt(total_flow / largest), 3)


def to_gexf(network: Any, path: str | Path, *, results: Iterable[Any] = (),
            status: str | Iterable[str] | None = None,
            kinds: str | Iterable[str] | None = None, overwrite: bool = False) -> Path:
    """Write a GEXF 1.2 file for Gephi: weights, colours, sizes, time and results.

    Parameters
    ----------
    network : Network
    path : str or Path
        The ``.gexf`` file; an existing one is refused unless ``overwrite``.
    results : iterable
        Result objects (or DataFrames with an ``id`` column) whose per-entity columns
        become node attributes (:func:`result_columns`): for example
        ``[systemic_ranking(net), circular_financing(net), debtrank(net, "openai")]``
        gives ``impact``, ``self_financed_share``, ``default_round`` ... on every node.
    status, kinds : optional
        Which commitments become edges (default: every status but ``lapsed``, every
        kind; :meth:`Network.select`).
    overwrite : bool

    Returns
    -------
    Path

    Notes
    -----
    The graph is ``mode="dynamic"``, ``timeformat="date"``, directed. Each edge has
    ``weight`` = its amount (an undisclosed amount: no weight, attribute
    ``undisclosed`` true), ``label`` = its kind, ``viz:color`` = the explorer's colour of
    its kind, ``start`` = its ``start`` date (else ``announced``) and ``end`` = its
    ``end`` (else ``lapsed_on``); a partial start counts from its first day, a partial
    end to its last (``2028`` -> 2028-12-31), and an end before the start is left out. Each node
    has ``label`` = its name, ``viz:color`` = the explorer's colour of its type,
    ``viz:size`` by :func:`node_size` of its total flow (counted inflow + outflow,
    attribute ``total_flow``), its entity fields and the results' columns. Every
    commitment field is an edge attribute (``kind``, ``status``, ``amount`` ...); fields
    named like GEXF's own attributes (``start``, ``end``, an edge's ``type`` ...) get the prefix
    ``ff_`` (``ff_start`` holds the commitment's date as written, ``start`` the day Gephi
    uses).

    References
    ----------
    GEXF Working Group (2009-2012). GEXF 1.2 file format specification,
    https://gexf.net/. Bastian, M., Heymann, S., Jacomy, M. (2009). Gephi: an open source
    software for exploring and manipulating networks. ICWSM.
    """
    import xml.etree.ElementTree as ET
    from .io.output import atomic_file, check_file_target
    from .view import KIND_COLORS, TYPE_COLORS
    net = ensure_network(network, "to_gexf")
    target = Path(path)
    check_file_target(target, overwrite=overwrite,
                      exists_hint="choose another file or pass overwrite=True")
    sel = net.select(status, kinds)
    flows = sel.flow_matrix()
    total = np.asarray(flows.sum(axis=0)).ravel() + np.asarray(flows.sum(axis=1)).ravel()
    largest = float(total.max()) if len(total) else 0.0
    ids = list(net.index)
    extra = result_columns(list(results), ids)

    ent = net.entities
    node_attrs: list[dict[str, Any]] = []
    for k, rec in enumerate(ent.to_dict("records")):
        d = {(f"ff_{k}" if k in _GEXF_NODE_RESERVED else k): v
             for k, v in _attrs(rec, skip=("id",)).items()}
        d["total_flow"] = float(total[k])
        d.update(_attrs(extra.iloc[k].to_dict()) if len(extra.columns) else {})
        node_attrs.append(d)
    com = sel.commitments
    # GEXF's own start, end, weight, label ... are the element's attributes: a commitment
    # field of such a name is kept as ``ff_<name>`` (finflow's GEXF files do the same)
    edge_attrs = [{(f"ff_{k}" if k in _GEXF_RESERVED else k): v
                   for k, v in _attrs(rec, skip=("id", "payer", "payee")).items()}
                  for rec in com.to_dict("records")]
    for d in edge_attrs:
        if "amount" not in d:
            d["undisclosed"] = True

    ET.register_namespace("", GEXF_NS)
    ET.register_namespace("viz", GEXF_VIZ_NS)
    g_, v_ = f"{{{GEXF_NS}}}", f"{{{GEXF_VIZ_NS}}}"
    root = ET.Element(f"{g_}gexf", {"version": "1.2"})
    meta = ET.SubElement(root, f"{g_}meta", {"lastmodifieddate": _dt.date.today().isoformat()})
    ET.SubElement(meta, f"{g_}creator").text = "finflow"
    ET.SubElement(meta, f"{g_}description").text = (
        f"{net.name}; amounts in {net.unit_label}"
        + (f"; as of {net.metadata['as_of']}" if net.metadata.get("as_of") else ""))
    graph = ET.SubElement(root, f"{g_}graph", {"defaultedgetype": "directed",
                                              "mode": "dynamic", "timeformat": "date"})

    def declare(cls: str, rows: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
        names = sorted({k for r in rows for k in r})
        el = ET.SubElement(graph, f"{g_}attributes", {"class": cls, "mode": "static"})
        out: dict[str, tuple[str, str]] = {}
        for i, nm in enumerate(names):
            t = _gexf_type([r.get(nm) for r in rows])
            out[nm] = (str(i), t)
            ET.SubElement(el, f"{g_}attribute", {"id": str(i), "title": nm, "type": t})
        return out

    node_keys = declare("node", node_attrs)
    edge_keys = declare("edge", edge_attrs)

    def values(el: ET.Element, d: dict[str, Any], keys: dict[str, tuple[str, str]]) -> None:
        av = ET.SubElement(el, f"{g_}attvalues")
        for nm, v in d.items():
            aid, t = keys[nm]
            ET.SubElement(av, f"{g_}attvalue", {"for": aid, "value": _text(v, t)})

    nodes = ET.SubElement(graph, f"{g_}nodes")
    for k, eid in enumerate(ids):
        d = node_attrs[k]
        el = ET.SubElement(nodes, f"{g_}node", {"id": str(eid),
                                                "label": str(d.get("name") or eid)})
        values(el, d, node_keys)
        etype = str(d.get("type", "other"))
        r, g, b = _rgb(TYPE_COLORS.get(etype, TYPE_COLORS["other"]))
        ET.SubElement(el, f"{v_}color", {"r": str(r), "g": str(g), "b": str(b)})
        ET.SubElement(el, f"{v_}size", {"value": repr(node_size(float(total[k]), largest))})
    edges = ET.SubElement(graph, f"{g_}edges")
    for rec, d in zip(com.to_dict("records"), edge_attrs):
        att = {"id": str(rec["id"]), "source": str(rec["payer"]),
               "target": str(rec["payee"]), "label": str(rec["kind"])}
        if "amount" in d:
            att["weight"] = repr(float(d["amount"]))
        start = _date(rec.get("start")) or _date(rec.get("announced"))
        end = _date(rec.get("end"), last=True) or _date(rec.get("lapsed_on"))
        if start:
            att["start"] = start
        if end and (start is None or end >= start):
            att["end"] = end
        el = ET.SubElement(edges, f"{g_}edge", att)
        values(el, d, edge_keys)
        r, g, b = _rgb(KIND_COLORS.get(str(rec["kind"]), KIND_COLORS["other"]))
        ET.SubElement(el, f"{v_}color", {"r": str(r), "g": str(g), "b": str(b)})
    ET.indent(root)
    with atomic_file(target, overwrite=overwrite, binary=True) as f:
        ET.ElementTree(root).write(f, encoding="utf-8", xml_declaration=True)
    return target
