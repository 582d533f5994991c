"""Interactive HTML views of a network: one self-contained page that opens offline.

A view draws every entity as a node (size by throughput or exposure, colour by entity type
or by a contagion outcome) and every commitment as an arrow payer -> payee (width by
amount, colour by kind, dashed when non-binding), with tooltips, a legend, a title and a
note of the filters used (``../shared/DESIGN.md`` section 7). The page is an explorer
(issue 16): filters, search, a focus panel, a cycle list, cascade playback, deep links
and PNG export run in the browser (``templates/view_explorer.js``, inlined) on the data
of :mod:`finflow.view_explore`. The graph is assembled with
pyvis's :class:`pyvis.network.Network` and drawn by the vis-network library that pyvis
ships, inlined into the page; finflow's own template replaces pyvis's, which links
Bootstrap from a CDN even with ``cdn_resources="in_line"``. The page's markup has no
``src`` or ``href`` attribute at all: it loads nothing, so it works with no network
access (the side panel's source links are made by the script, only from ``http(s)`` URLs,
and open only when clicked).

Safety: text from data files (ids, names, notes, sources, the network's name) reaches the
page in two ways only: HTML-escaped by the template (title, notices, legend), or inside a
``<script type="application/json">`` block in which ``<``, ``>`` and ``&`` are written as
``\\u003c``, ``\\u003e`` and ``\\u0026``. Node labels are drawn on a canvas, and tooltips
are DOM elements filled with ``textContent``, so no data text is ever parsed as HTML.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from .analysis.overview import throughput
from .errors import FinflowError
from .kinds import ENTITY_TYPES, KINDS, NONBINDING_STATUSES, resolve_kinds, resolve_statuses
from .model import Network
from .render import format_number
from .text import cell_text as _text
from .results import jsonable
from .view_explore import explore_data, playback_data
from .netcheck import ensure_network

__all__ = ["view", "view_html", "view_data", "ViewHTML", "script_json", "TYPE_COLORS",
           "KIND_COLORS",
           "CYCLE_COLOR", "DEFAULTED_COLOR", "LOSS_AMOUNT_COLOR"]

log = logging.getLogger(__name__)

#: node colour per entity type
TYPE_COLORS: dict[str, str] = {
    "chipmaker": "#4daf4a",
    "ai_lab": "#984ea3",
    "cloud": "#17becf",
    "hyperscaler": "#377eb8",
    "lender": "#a65628",
    "investor": "#e6ab02",
    "spv": "#999999",
    "market": "#d9d9d9",
    "other": "#bcbd22",
}
#: edge colour per commitment kind (financing in blues and browns, products in greens)
KIND_COLORS: dict[str, str] = {
    "equity": "#2166ac",
    "warrant": "#67a9cf",
    "loan": "#b35806",
    "bond": "#f1a340",
    "credit": "#7f3b08",
    "purchase": "#1b9e77",
    "compute": "#66a61e",
    "lease": "#c9b000",
    "backstop": "#7b3294",
    "other": "#737373",
}
#: colour of an undisclosed amount's line
UNDISCLOSED_COLOR = "#b0b0b0"
#: highlight colour of the edges and node rings on the given cycles
CYCLE_COLOR = "#e7008a"
#: fill of an entity that defaulted in the given contagion outcome
DEFAULTED_COLOR = "#67000d"
#: fills of the loss-share ramp (0 -> 100 % of equity) and of entities without an outcome
LOSS_LOW, LOSS_HIGH, NO_OUTCOME_COLOR = "#fff5eb", "#e6550d", "#c8ccd4"
#: fill of an entity whose loss is an amount (no equity figure, or an external holder)
LOSS_AMOUNT_COLOR = "#6baed6"

SIZE_BY = ("throughput", "exposure")
_NODE_MIN, _NODE_MAX = 8.0, 48.0      # node radius in px: area grows with the metric
_EDGE_MIN, _EDGE_MAX = 1.0, 12.0      # line width in px: grows with sqrt(amount)
_TEXT_MAX = 400                       # longest source or note shown in a tooltip
_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")

#: vis-network options: forceAtlas2 tuned for 30-300 entities, stabilised before display
#: (the page then turns physics off, so the drawing stays still).
PHYSICS = {
    "enabled": True,
    "solver": "forceAtlas2Based",
    "forceAtlas2Based": {"gravitationalConstant": -120, "centralGravity": 0.012,
                         "springLength": 130, "springConstant": 0.05, "damping": 0.5,
                         "avoidOverlap": 0.8},
    "maxVelocity": 60,
    "minVelocity": 1.0,
    "timestep": 0.4,
    "stabilization": {"enabled": True, "iterations": 1200, "updateInterval": 100, "fit": True},
}


def _iterations(n: int) -> int:
    """Stabilisation iterations for n drawn entities: 1,200 up to 166 entities, then fewer
    (about 200,000 / n, at least 300), so that 300 entities lay out in about 3 s in a
    headless browser without a GPU (measured: 5 ms per iteration at 300 entities)."""
    return int(min(PHYSICS["stabilization"]["iterations"], max(300, 200_000 // max(n, 1))))


def script_json(obj: Any) -> str:
    """``obj`` as JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026`` (and the
    line separators U+2028/U+2029 as escapes), so that no string can close the script or
    open a tag; the JSON means the same to a parser.

    Parameters
    ----------
    obj : JSON-ready value (NaN is refused: convert it to ``None`` first)

    Returns
    -------
    str

    Raises
    ------
    ValueError
        For NaN or infinite floats (JSON has no such values).
    TypeError
        For objects JSON cannot hold.

    Notes
    -----
    The same escaping as Jinja's ``tojson`` filter and Django's ``json_script``: inside
    ``<script>`` the HTML parser looks only for ``</script`` (and ``<!--``), which can no
    longer occur. O(length of the text).

    Examples
    --------
    >>> script_json({"name": "</script><b>"})
    '{"name":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    >>> json.loads(script_json(["a<b&c"]))
    ['a<b&c']
    """
    text = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# ---- inputs ------------------------------------------------------------------------------
def _cycle_list(cycles: Any, known: Mapping[str, int]) -> list[list[str]]:
    """Cycles as lists of entity ids (from lists of ids, objects with ``.nodes`` or
    mappings with a ``"nodes"`` key); a closing repeat of the first id is dropped."""
    if cycles is None:
        return []
    if isinstance(cycles, (str, bytes)):
        raise FinflowError("cycles: expected a list of cycles, each a list of entity ids")
    out: list[list[str]] = []
    for k, c in enumerate(cycles, 1):
        nodes = getattr(c, "nodes", None)
        if nodes is None and isinstance(c, Mapping):
            nodes = c.get("nodes")
        if nodes is None:
            nodes = c
        if isinstance(nodes, (str, bytes)) or not isinstance(nodes, Iterable):
            raise FinflowError(f"cycles: cycle {k} is not a list of entity ids: {nodes!r}")
        ids = [str(x) for x in nodes]
        if len(ids) > 1 and ids[0] == ids[-1]:
            ids = ids[:-1]
        if not ids:
            raise FinflowError(f"cycles: cycle {k} is empty")
        unknown = [x for x in ids if x not in known]
        if unknown:
            raise FinflowError(f"cycles: cycle {k} names unknown entities: "
                               f"{', '.join(map(repr, unknown))}")
        out.append(ids)
    return out


def _outcome_table(outcome: Any, known: Mapping[str, int]) -> dict[str, tuple[bool, float]]:
    """id -> (defaulted, relative loss) from a mapping or a DataFrame (or a result with
    ``to_frame()``) with columns ``id``, ``defaulted``, ``relative_loss``."""
    if outcome is None:
        return {}
    if not isinstance(outcome, (pd.DataFrame, Mapping)) and hasattr(outcome, "to_frame"):
        outcome = outcome.to_frame()
    table: dict[str, tuple[bool, float]] = {}
    if isinstance(outcome, pd.DataFrame):
        missing = [c for c in ("id", "defaulted", "relative_loss") if c not in outcome.columns]
        if missing:
            raise FinflowError(f"outcome: the table lacks column(s) {', '.join(missing)} "
                               "(expected id, defaulted, relative_loss)")
        items = zip(outcome["id"], outcome["defaulted"], outcome["relative_loss"])
    elif isinstance(outcome, Mapping):
        rows = []
        for key, rec in outcome.items():
            if isinstance(rec, Mapping):
                rows.append((key, rec.get("defaulted", False), rec.get("relative_loss")))
            else:
                rows.append((key, getattr(rec, "defaulted", False),
                             getattr(rec, "relative_loss", None)))
        items = iter(rows)
    else:
        raise FinflowError("outcome: expected a mapping id -> {'defaulted', 'relative_loss'} "
                           "or a DataFrame with columns id, defaulted, relative_loss")
    unknown = []
    for key, defaulted, loss in items:
        key = str(key)
        if key not in known:
            unknown.append(key)
            continue
        try:
            x = float(loss) if loss is not None else math.nan
        except (TypeError, ValueError):
            raise FinflowError(f"outcome: {key}: relative_loss {loss!r} is not a number") from None
        table[key] = (bool(defaulted) if defaulted is not None and not (
            isinstance(defaulted, float) and math.isnan(defaulted)) else False, x)
    if unknown:
        raise FinflowError(f"outcome names unknown entities: {', '.join(map(repr, unknown[:20]))}")
    return table


# ---- small helpers ----------------------------------------------------------------------
def _clip(text: str, n: int = _TEXT_MAX) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def _short_label(name: str, n: int = 24) -> str:
    """A node label: the name before any parenthesis, at most ``n`` characters."""
    short = name.split(" (")[0].strip() or name
    return _clip(short, n)


def _mix(c0: str, c1: str, t: float) -> str:
    """The colour a share ``t`` of the way from ``c0`` to ``c1`` (hex RGB)."""
    t = min(1.0, max(0.0, t))
    a = [int(c0[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(c1[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(a, b))


def _roundness(k: int, n: int) -> float:
    """Curve of the k-th of n parallel edges: 0.12, 0.28, 0.44 ... spaced at most 0.16
    apart and never beyond 0.72, so many parallel deals fan out instead of looping."""
    step = 0.16 if n <= 4 else 0.6 / (n - 1)
    return round(0.12 + step * k, 3)


def _amount(x: float, unit: str) -> str:
    return f"{format_number(float(x))} {unit}"


@dataclass(frozen=True)
class _Options:
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    size_by: str
    max_nodes: int
    max_edges: int


def _positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise FinflowError(f"{name}: expected a positive whole number, got {value!r}")
    return int(value)


def _check(status, kinds, size_by, max_nodes, max_edges) -> _Options:
    if size_by not in SIZE_BY:
        raise FinflowError(f"size_by: {size_by!r} is not one of {', '.join(SIZE_BY)}")
    return _Options(resolve_statuses(status), resolve_kinds(kinds), size_by,
                    _positive("max_nodes", max_nodes), _positive("max_edges", max_edges))


# ---- the view's data --------------------------------------------------------------------
def view_data(network: Network, *, status: str | Iterable[str] | None = None,
              kinds: str | Iterable[str] | None = None, size_by: str = "throughput",
              cycles: Sequence[Any] | None = None, outcome: Any = None,
              title: str | None = None, max_nodes: int = 300,
              max_edges: int = 2000, contagion: Any = None,
              top_cycles: int = 10) -> dict[str, Any]:
    """What a view draws, as JSON-ready data (the page's nodes, edges, legend and notices).

    Parameters
    ----------
    network : Network
    status, kinds : str or list of str, optional
        Which commitments to draw (default: every status but ``lapsed``, every kind).
        Commitments without a disclosed amount are drawn too (thin, dotted, grey).
    size_by : {"throughput", "exposure"}
        Node area grows with the entity's throughput (inflow + outflow on the flow graph
        F) or with the network's exposure to it (column sum of the exposure matrix E with
        the default LGDs: what the others stand to lose if it defaults).
    cycles : list, optional
        Cycles to highlight, each a list of entity ids in order (``[a, b, c]`` means
        a -> b -> c -> a), an object with a ``.nodes`` list, or a mapping with a
        ``"nodes"`` key. Every drawn commitment on a step of a cycle, and every entity on
        one, gets the highlight colour :data:`CYCLE_COLOR`.
    contagion : ContagionResult, optional
        One model's outcome (``finflow.analysis.contagion.contagion(..., model=M)``):
        nodes are coloured by it and the page can play its rounds back (who defaults
        in each round, the equity lost so far; losses of entities without equity and of
        external holders are shown as amounts).
    top_cycles : int
        How many of the heaviest cycles (``finflow cycles``) the page lists.
    outcome : mapping or DataFrame, optional
        A contagion outcome per entity: ``{id: {"defaulted": bool, "relative_loss":
        float}}`` or a table with columns ``id``, ``defaulted``, ``relative_loss`` (loss
        as a share of equity). Nodes are then coloured by it instead of by type.
    title : str, optional
        The heading (default: the network's name).
    max_nodes : int
        Draw at most this many entities, grown from the one with the highest throughput
        by adding each time the busiest entity adjacent to those already chosen (ties:
        more commitments first, then file order), so that the drawing hangs together;
        and the commitments among them. A notice says what was left out.
    max_edges : int
        Draw at most this many commitments: when the kept entities have more among them,
        each entity's largest one is drawn, then the largest of the rest (undisclosed
        amounts last, then file order); an entity left without any is not drawn. A dense core can hold tens of thousands of deals among 300
        entities, and a page with that many lines freezes a browser.

    Returns
    -------
    dict
        ``title``, ``subtitle``, ``filters`` (one line), ``notices`` (list of str),
        ``nodes`` and ``edges`` (vis-network items as built by pyvis; ``tip`` holds each
        tooltip's rows of ``[label, text]``; an edge outside the opening filters has
        ``hidden`` true), ``options`` (vis-network), ``legend``, ``counts``
        (``entities``, ``entities_with_commitments``, ``entities_drawn`` (in the page),
        ``entities_visible`` (at opening), ``entities_left_out``,
        ``entities_isolated_dropped``, ``commitments_selected`` (by the opening filters,
        in the network), ``commitments_in_page``, ``commitments_drawn`` (visible at
        opening), ``commitments_left_out``) and ``explore`` (what the page's controls
        need: :func:`finflow.view_explore.explore_data`, with ``playback`` from
        :func:`finflow.view_explore.playback_data` or None).

    Raises
    ------
    FinflowError
        An unknown status, kind or ``size_by``; a cycle or outcome naming an unknown
        entity; a ``max_nodes`` or ``max_edges`` below 1.

    Notes
    -----
    One drawn edge per commitment (the network's MultiDiGraph), so that parallel deals
    between the same two entities stay visible: each gets its own curve (vis-network
    ``curvedCW`` with growing roundness, from 0.12 to at most 0.72; the two directions of
    a pair bend to opposite sides). Edge width is ``1 + 11 sqrt(amount / largest drawn amount)`` px; node radius
    is ``8 + 40 sqrt(metric / largest metric)`` px, so areas grow linearly. Non-binding
    statuses (``loi``, ``reported``) are dashed, undisclosed amounts dotted grey, lapsed
    commitments faded. The page carries every commitment among its entities (all
    statuses and kinds); ``status`` and ``kinds`` only set what is visible when it opens,
    and the page's filters hide and show drawn items without a new layout.
    Cost: O(n log n + m) for n entities and m commitments, plus one Python pass over the
    drawn items (at most ``max_nodes`` entities and ``max_edges`` commitments).

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "b"], "payee": ["b", "a", "a"],
    ...                   "kind": ["equity", "purchase", "compute"],
    ...                   "amount": [3.0, 2.0, None]}))
    >>> d = view_data(net, cycles=[["a", "b"]])
    >>> len(d["nodes"]), len(d["edges"])   # c has no commitment; one edge per commitment
    (2, 3)
    >>> sorted(e["color"]["color"] == CYCLE_COLOR for e in d["edges"])
    [True, True, True]
    """
    ensure_network(network, "view_data")
    from pyvis.network import Network as PyvisNetwork

    opts = _check(status, kinds, size_by, max_nodes, max_edges)
    pos = network.position
    cycle_list = _cycle_list(cycles, pos)
    if contagion is not None and outcome is None:
        outcome = contagion.entities[["id", "defaulted", "relative_loss"]]
    outcome_map = _outcome_table(outcome, pos)
    unit = network.unit_label

    ents = network.entities
    com_all = network.commitments
    # the page carries every commitment among the drawn entities; the filters it opens
    # with (statuses, kinds) only decide which are visible at first
    init_all = network.mask(opts.statuses, opts.kinds, counted=False)
    selected = com_all

    tp = throughput(network, opts.statuses, opts.kinds)
    tp_val = tp["throughput"].to_numpy(dtype=float)
    exp = network.exposure_matrix(None, opts.statuses, opts.kinds)
    exp_in = np.asarray(exp.sum(axis=0)).ravel()      # what the others lose if j defaults
    exp_out = np.asarray(exp.sum(axis=1)).ravel()     # what i loses if all others default
    metric = tp_val if opts.size_by == "throughput" else exp_in

    # which entities: those with a drawn commitment, top max_nodes by throughput
    payer_pos = network._pos(selected["payer"])
    payee_pos = network._pos(selected["payee"])
    degree = np.bincount(np.concatenate([payer_pos, payee_pos]), minlength=network.n)
    active = np.flatnonzero(degree > 0)
    order = np.lexsort((active, -degree[active], -tp_val[active]))
    ranked = active[order]
    if len(active) > opts.max_nodes:
        kept = _connected_top(network.n, payer_pos, payee_pos, ranked, opts.max_nodes)
    else:
        kept = np.sort(ranked)
    keep_mask = np.zeros(network.n, dtype=bool)
    keep_mask[kept] = True
    drawn_mask = keep_mask[payer_pos] & keep_mask[payee_pos] if len(selected) else np.zeros(0, bool)
    drawn = selected[drawn_mask]
    among = len(drawn)
    if among > opts.max_edges:
        pick = _edge_pick(drawn["amount"].to_numpy(dtype=float),
                          network._pos(drawn["payer"]), network._pos(drawn["payee"]),
                          opts.max_edges)
        drawn = drawn.iloc[pick]
    # an entity left without a drawn commitment by the caps is not drawn: no lone dots
    isolated = 0
    if len(kept) and (len(active) > opts.max_nodes or among > opts.max_edges):
        ends = np.zeros(network.n, dtype=bool)
        ends[network._pos(drawn["payer"])] = True
        ends[network._pos(drawn["payee"])] = True
        isolated = int((~ends[kept]).sum())
        kept = kept[ends[kept]]
    init = init_all[drawn_mask] if len(selected) else np.zeros(0, bool)
    if among > opts.max_edges:
        init = init[pick]
    n_selected = int(init_all.sum())

    counts = {
        "entities": network.n,
        "entities_with_commitments": int(len(active)),
        "entities_drawn": int(len(kept)),
        "entities_left_out": int(len(active) - len(kept)),
        "entities_isolated_dropped": isolated,
        "commitments_selected": n_selected,
        "commitments_in_page": int(len(drawn)),
        "commitments_drawn": int(init.sum()),
        "commitments_left_out": int(len(selected) - len(drawn)),
    }
    if len(drawn):
        vis_ends = np.zeros(network.n, dtype=bool)
        vis_ends[network._pos(drawn["payer"][init])] = True
        vis_ends[network._pos(drawn["payee"][init])] = True
        counts["entities_visible"] = int(vis_ends.sum())
    else:
        counts["entities_visible"] = 0

    # cycles: steps (a, b) and memberships
    node_cycles: dict[str, list[int]] = {}
    step_cycles: dict[tuple[str, str], list[int]] = {}
    for k, ids in enumerate(cycle_list, 1):
        for a in ids:
            node_cycles.setdefault(a, []).append(k)
        for a, b in zip(ids, ids[1:] + ids[:1]):
            if a != b or len(ids) == 1:
                step_cycles.setdefault((a, b), []).append(k)

    names = ents["name"].map(_text).to_numpy(dtype=object)
    ids_arr = ents["id"].to_numpy(dtype=object)
    display = np.array([n if n else i for n, i in zip(names, ids_arr)], dtype=object)

    pv = PyvisNetwork(directed=True, cdn_resources="in_line", height="100%", width="100%")
    mmax = float(np.max(metric[kept])) if len(kept) and np.max(metric[kept]) > 0 else 0.0
    types_seen: list[str] = []
    for i in kept:
        eid = str(ids_arr[i])
        row = ents.iloc[i]
        etype = _text(row.get("type")) or "other"
        if etype not in types_seen:
            types_seen.append(etype)
        size = _NODE_MIN + (_NODE_MAX - _NODE_MIN) * (math.sqrt(metric[i] / mmax) if mmax else 0.0)
        tip = [[None, str(display[i])],
               ["id", eid],
               ["type", etype],
               ["equity", _amount(row["equity"], unit) if pd.notna(row.get("equity")) else "unknown"],
               ["revenue", _amount(row["revenue"], unit) if pd.notna(row.get("revenue")) else "unknown"],
               ["throughput", f"{_amount(tp_val[i], unit)} (in {format_number(float(tp['inflow'].iat[i]))}, "
                              f"out {format_number(float(tp['outflow'].iat[i]))})"],
               ["others exposed to it", _amount(exp_in[i], unit)],
               ["its exposure to others", _amount(exp_out[i], unit)]]
        fill = TYPE_COLORS.get(etype, TYPE_COLORS["other"])
        border, border_width = "#333333", 1
        extra: dict[str, Any] = {}
        if outcome_map:
            if eid in outcome_map:
                dflt, loss = outcome_map[eid]
                extra["ffDefaulted"] = dflt
                extra["ffLoss"] = None if math.isnan(loss) else loss
                if dflt:
                    fill = DEFAULTED_COLOR
                    tip.append(["outcome", "defaulted" + (
                        "" if math.isnan(loss) else f" (loss {loss:.0%} of equity)")])
                elif math.isnan(loss):
                    fill = NO_OUTCOME_COLOR
                    tip.append(["outcome", "loss unknown"])
                else:
                    fill = _mix(LOSS_LOW, LOSS_HIGH, loss)
                    tip.append(["outcome", f"loss {loss:.0%} of equity"])
            else:
                fill = NO_OUTCOME_COLOR
                tip.append(["outcome", "not in the scenario"])
        if eid in node_cycles:
            border, border_width = CYCLE_COLOR, 4
            extra["ffCycles"] = node_cycles[eid]
            tip.append(["cycles", ", ".join(map(str, node_cycles[eid]))])
        source = _text(row.get("source"))
        if source:
            tip.append(["source", _clip(source)])
        pv.add_node(eid, label=_short_label(str(display[i])), shape="dot", size=round(size, 2),
                    color={"background": fill, "border": border,
                           "highlight": {"background": fill, "border": "#000000"},
                           "hover": {"background": fill, "border": "#000000"}},
                    font={"size": round(16 + 0.45 * size)}, ffName=str(display[i]),
                    borderWidth=border_width, borderWidthSelected=border_width + 2,
                    mass=round(1.0 + 2.0 * size / _NODE_MAX, 3),
                    ffType=etype, ffMetric=float(metric[i]), tip=tip, **extra)

    amounts = drawn["amount"].to_numpy(dtype=float)
    amax = float(np.nanmax(amounts)) if len(amounts) and np.isfinite(amounts).any() else 0.0
    kinds_seen: list[str] = []
    styles_seen: set[str] = set()
    pair_count: dict[tuple[str, str], int] = {}
    pair_total = drawn.groupby(["payer", "payee"], sort=False).size().to_dict()
    for rec, visible in zip(drawn.itertuples(index=False), init):
        r = rec._asdict()
        payer, payee, kind, status_ = str(r["payer"]), str(r["payee"]), str(r["kind"]), str(r["status"])
        if kind not in kinds_seen:
            kinds_seen.append(kind)
        amount = r["amount"]
        known = amount is not None and not (isinstance(amount, float) and math.isnan(amount))
        nonbinding = status_ in NONBINDING_STATUSES
        color = KIND_COLORS.get(kind, KIND_COLORS["other"])
        opacity = 0.85
        if known:
            width = _EDGE_MIN + (_EDGE_MAX - _EDGE_MIN) * (math.sqrt(float(amount) / amax) if amax else 0.0)
            dashes: Any = [10, 7] if nonbinding else False
            styles_seen.add("nonbinding" if nonbinding else "binding")
        else:
            width, color, dashes = _EDGE_MIN, UNDISCLOSED_COLOR, [2, 5]
            styles_seen.add("undisclosed")
        if status_ == "lapsed":
            opacity = 0.3
            styles_seen.add("lapsed")
        k = pair_count.get((payer, payee), 0)
        pair_count[(payer, payee)] = k + 1
        steps = step_cycles.get((payer, payee), [])
        tip = [[None, f"{display[pos[payer]]} \u2192 {display[pos[payee]]}"],
               ["id", _text(r["id"])],
               ["kind", kind],
               ["amount", _amount(amount, unit) if known else "amount undisclosed"]]
        low, high = r.get("amount_low"), r.get("amount_high")
        if pd.notna(low) or pd.notna(high):
            tip.append(["range", f"{format_number(low) if pd.notna(low) else '?'} to "
                                 f"{format_number(high) if pd.notna(high) else '?'}"])
        if pd.notna(r.get("funded")):
            tip.append(["funded", _amount(r["funded"], unit)])
        tip.append(["status", status_ + (" (non-binding)" if nonbinding else "")])
        dates = [f"{label} {_text(r.get(col))}" for col, label in
                 (("announced", "announced"), ("start", "start"), ("end", "end"),
                  ("lapsed_on", "lapsed"))
                 if _text(r.get(col))]
        tip.append(["dates", "; ".join(dates) if dates else "not given"])
        tip.append(["confidence", _text(r.get("confidence")) or "not given"])
        if not bool(r.get("in_totals", True)):
            tip.append(["note", "umbrella figure, not counted in totals (its parts are listed)"])
        if steps:
            tip.append(["cycles", ", ".join(map(str, steps))])
        tip.append(["source", _clip(_text(r.get("source"))) or "not given"])
        if _text(r.get("note")):
            tip.append(["details", _clip(_text(r.get("note")))])
        if steps:
            color = CYCLE_COLOR
            opacity = 1.0
            width = max(width, 3.0)
        extra = {"ffCycles": steps} if steps else {}
        pv.add_edge(payer, payee, id=_text(r["id"]), width=round(width, 2),
                    hidden=not bool(visible),
                    color={"color": color, "highlight": color, "hover": color,
                           "opacity": opacity},
                    dashes=dashes,
                    smooth={"enabled": True, "type": "curvedCW",
                            "roundness": _roundness(k, pair_total[(payer, payee)])},
                    arrows={"to": {"enabled": True, "scaleFactor": 0.55}},
                    ffKind=kind, ffStatus=status_, ffAmount=float(amount) if known else None,
                    tip=tip, **extra)

    # notices: what was left out, and cycle steps that are not drawn
    notices: list[str] = []
    if not counts["commitments_selected"]:
        notices.append("No commitment matches these filters: nothing to draw." if not len(drawn)
                       else "No commitment matches the filters the page opens with; "
                            "change them above.")
    node_cut = len(active) > opts.max_nodes
    edge_cut = among > opts.max_edges
    if node_cut or edge_cut:
        parts = []
        if node_cut:
            parts.append(f"the {opts.max_nodes:,} busiest entities that hang together (of "
                         f"{counts['entities_with_commitments']:,} with commitments)")
        if edge_cut:
            parts.append(f"{opts.max_edges:,} of the {among:,} commitments "
                         + ("among them" if node_cut else "in the network")
                         + " (each entity's largest, then the largest others)")
        notices.append(
            f"Showing {' and '.join(parts)}: {counts['entities_left_out']:,} entities and "
            f"{counts['commitments_left_out']:,} commitments are left out."
            + (" The entities are the busiest ones connected to the busiest entity "
               "(each added is the busiest neighbour of those already drawn)."
               if node_cut else "")
            + (f" {isolated:,} of them had no drawn commitment left and are not shown."
               if isolated else ""))
    drawn_pairs = {(str(a), str(b)) for a, b, v in
                   zip(drawn["payer"], drawn["payee"], init) if v}
    for k, ids in enumerate(cycle_list, 1):
        missing = [f"{a} \u2192 {b}" for a, b in zip(ids, ids[1:] + ids[:1])
                   if (a, b) not in drawn_pairs]
        if missing:
            notices.append(f"Cycle {k} has steps with no drawn commitment under these filters: "
                           + ", ".join(missing) + ".")

    name = network.name
    as_of = _text(network.metadata.get("as_of"))
    heading = title if title else name
    subtitle = " \u00b7 ".join(p for p in [
        f"{name}" if title else "",
        f"as of {as_of}" if as_of else "",
        f"amounts in {unit}"] if p)
    idle = network.n - counts["entities_with_commitments"]
    filters = (
        f"Statuses: {', '.join(opts.statuses)}"
        f" \u00b7 kinds: {'all' if len(opts.kinds) == len(KINDS) else ', '.join(opts.kinds)}"
        f" \u00b7 node size: {opts.size_by}"
        f" \u00b7 {counts['entities_drawn']:,} entities, {counts['commitments_drawn']:,} "
        f"commitments drawn"
        + (f" \u00b7 {idle:,} entities without commitments under these filters not shown"
           if idle else ""))

    legend = _legend(types_seen, kinds_seen, styles_seen, bool(cycle_list), bool(outcome_map),
                     opts.size_by, unit)
    options = {
        "autoResize": True,
        "nodes": {"font": {"face": "DejaVu Sans, Arial, sans-serif",
                           "strokeWidth": 4, "strokeColor": "#ffffff"},
                  "scaling": {"label": {"enabled": False}}},
        "edges": {"selectionWidth": 2, "hoverWidth": 1.5},
        "interaction": {"hover": True, "tooltipDelay": 120, "hideEdgesOnDrag": False,
                        "multiselect": True, "navigationButtons": False,
                        "keyboard": False},
        "layout": {"randomSeed": 7, "improvedLayout": len(kept) <= 150},
        "physics": {**PHYSICS, "stabilization": {
            **PHYSICS["stabilization"], "iterations": _iterations(len(kept))}},
    }
    pv.options = options
    nodes, edges, _, _, _, _ = pv.get_network_data()
    kept_ids = [str(ids_arr[i]) for i in kept]
    explore = explore_data(network, drawn, kept_ids, statuses=opts.statuses,
                           kinds=opts.kinds, top_cycles=top_cycles)
    explore["colors"] = {"defaulted": DEFAULTED_COLOR, "low": LOSS_LOW, "high": LOSS_HIGH,
                         "missing": NO_OUTCOME_COLOR, "amount": LOSS_AMOUNT_COLOR,
                         "cycle": CYCLE_COLOR}
    explore["playback"] = playback_data(contagion, kept_ids) if contagion is not None else None
    return jsonable({
        "explore": explore,
        "title": heading,
        "subtitle": subtitle,
        "filters": filters,
        "notices": notices,
        "nodes": nodes,
        "edges": edges,
        "options": options,
        "legend": legend,
        "counts": counts,
    })


def _edge_pick(amount: np.ndarray, src: np.ndarray, dst: np.ndarray, k: int) -> np.ndarray:
    """Which of the commitments among the drawn entities to draw when there are more than
    ``k``: first each entity's largest one (so that none is left without a line), then
    the largest of the rest (undisclosed amounts last, ties in file order). Returns
    sorted row positions. O(m log m)."""
    key = np.where(np.isnan(amount), -np.inf, amount)
    order = np.lexsort((np.arange(len(key)), -key))          # largest first
    ends = np.stack([src[order], dst[order]], axis=1).ravel()   # payer, payee of each
    _, first = np.unique(ends, return_index=True)               # each entity's largest
    must = np.unique(order[first // 2])
    if len(must) >= k:
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key))
        return np.sort(must[np.argsort(rank[must], kind="stable")[:k]])
    taken = np.zeros(len(key), dtype=bool)
    taken[must] = True
    rest = order[~taken[order]][: k - len(must)]
    return np.sort(np.concatenate([must, rest]))


def _connected_top(n: int, payer_pos: np.ndarray, payee_pos: np.ndarray,
                   ranked: np.ndarray, k: int) -> np.ndarray:
    """At most ``k`` entities that hang together: start from the busiest (first in
    ``ranked``), then repeatedly add the busiest entity adjacent to those chosen; when
    the component is used up, start again from the busiest entity not yet reached.

    The chosen set is connected whenever the busiest entity's component has ``k``
    entities or more; it never holds an entity with no commitment to another chosen one
    unless its whole component is smaller than what is left to choose. O(m log n).
    """
    import heapq

    import scipy.sparse as sp

    if len(payer_pos) == 0:
        return np.sort(ranked[:k])
    adj = sp.coo_array((np.ones(2 * len(payer_pos)),
                        (np.concatenate([payer_pos, payee_pos]),
                         np.concatenate([payee_pos, payer_pos]))), shape=(n, n)).tocsr()
    rank = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    rank[ranked] = np.arange(len(ranked))
    seen = np.zeros(n, dtype=bool)
    chosen: list[int] = []
    heap: list[tuple[int, int]] = []
    ptr = 0
    while len(chosen) < k:
        if not heap:
            while ptr < len(ranked) and seen[ranked[ptr]]:
                ptr += 1
            if ptr == len(ranked):
                break
            v = int(ranked[ptr])
            seen[v] = True
            heapq.heappush(heap, (int(rank[v]), v))
        _, v = heapq.heappop(heap)
        chosen.append(v)
        for u in adj.indices[adj.indptr[v]:adj.indptr[v + 1]]:
            if not seen[u]:
                seen[u] = True
                heapq.heappush(heap, (int(rank[u]), int(u)))
    return np.sort(np.asarray(chosen, dtype=np.int64))


def _legend(types_seen, kinds_seen, styles_seen, has_cycles, has_outcome, size_by, unit):
    types = [{"label": t.replace("_", " "), "value": t,
              "color": TYPE_COLORS.get(t, TYPE_COLORS["other"])}
             for t in ENTITY_TYPES if t in types_seen]
    kinds = [{"label": k, "color": KIND_COLORS[k]} for k in KINDS if k in kinds_seen]
    lines = []
    if "binding" in styles_seen or not styles_seen:
        lines.append({"label": "binding (closed, committed)", "color": "#444444",
                      "style": "solid", "opacity": 1})
    if "nonbinding" in styles_seen:
        lines.append({"label": "non-binding (loi, reported)", "color": "#444444",
                      "style": "dashed", "opacity": 1})
    if "undisclosed" in styles_seen:
        lines.append({"label": "amount undisclosed", "color": UNDISCLOSED_COLOR,
                      "style": "dotted", "opacity": 1})
    if "lapsed" in styles_seen:
        lines.append({"label": "lapsed (faded)", "color": "#444444", "style": "solid",
                      "opacity": 0.3})
    highlights = []
    if has_cycles:
        highlights.append({"label": "on a highlighted cycle (entities and deals)",
                           "color": CYCLE_COLOR})
    sizes = [
        ("Entity area: throughput (inflow + outflow), " if size_by == "throughput" else
         "Entity area: the others' exposure to it (what they lose if it defaults, default "
         "LGDs), ") + unit + ".",
        "Line width: amount (square root scale); arrows point from payer to payee.",
    ]
    return {
        "types": types, "kinds": kinds, "lines": lines, "highlights": highlights,
        "sizes": sizes,
        "outcome": ({"defaulted": DEFAULTED_COLOR, "low": LOSS_LOW, "high": LOSS_HIGH,
                     "missing": NO_OUTCOME_COLOR, "amount": LOSS_AMOUNT_COLOR}
                    if has_outcome else None),
    }


# ---- the page ---------------------------------------------------------------------------
def _vis_js() -> str:
    """vis-network's JavaScript as pyvis ships it (the newest bundled version)."""
    import pyvis

    lib = Path(pyvis.__file__).parent / "templates" / "lib"
    found = sorted(lib.glob("vis-*/vis-network.min.js"),
                   key=lambda p: tuple(int(x) for x in re.findall(r"\d+", p.parent.name)))
    if not found:
        raise FinflowError(f"pyvis ships no vis-network.min.js under {lib}; "
                           "reinstall pyvis (pip install 'pyvis>=0.3.2')")
    js = found[-1].read_text(encoding="utf-8")
    # a script element ends at the first "</script": keep the library from containing one
    return re.sub(r"<(/?script|!--)", r"<\\\1", js, flags=re.IGNORECASE)


def _template():
    import jinja2

    text = (resources.files("finflow") / "templates" / "view.html").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, keep_trailing_newline=True)
    return env.from_string(text)


class ViewHTML(str):
    """The HTML text of a view (a ``str``: write it, embed it, search it as before) that a
    Jupyter notebook displays inline: :meth:`_repr_html_` puts the page in an
    ``<iframe srcdoc="...">`` (the page HTML-escaped into the attribute, a fragment
    first wrapped into a page of its own), sandboxed to run its scripts without access
    to the notebook."""

    #: the iframe's height in pixels
    height = 780

    def _repr_html_(self) -> str:
        from html import escape
        page = str(self)
        if not page.lstrip()[:15].lower().startswith("<!doctype html"):
            page = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"></head>'
                    f"<body>{page}</body></html>")
        return (f'<iframe class="finflow-view" sandbox="allow-scripts" '
                f'style="width: 100%; height: {int(self.height)}px; border: 1px solid #ddd" '
                f'srcdoc="{escape(page, quote=True)}"></iframe>')


def view_html(network: Network, *, status: str | Iterable[str] | None = None,
              kinds: str | Iterable[str] | None = None, size_by: str = "throughput",
              cycles: Sequence[Any] | None = None, outcome: Any = None,
              title: str | None = None, max_nodes: int = 300, max_edges: int = 2000,
              full: bool = True, element_id: str | None = None,
              contagion: Any = None) -> str:
    """A network view as HTML text: a whole page, or a fragment to embed in another page.

    Parameters
    ----------
    network : Network
        The network to draw.
    status, kinds : str or list of str, optional
        Which commitments to draw (default: every status but ``lapsed``, every kind).
        Commitments without a disclosed amount are drawn too (thin, dotted, grey).
    size_by : {"throughput", "exposure"}
        Node area grows with the entity's throughput (inflow + outflow on the flow graph
        F) or with the network's exposure to it (column sum of the exposure matrix E with
        the default LGDs: what the others stand to lose if it defaults).
    cycles : list, optional
        Cycles to highlight, each a list of entity ids in order (``[a, b, c]`` means
        a -> b -> c -> a), an object with a ``.nodes`` list, or a mapping with a
        ``"nodes"`` key. Every drawn commitment on a step of a cycle, and every entity on
        one, gets the highlight colour :data:`CYCLE_COLOR`.
    outcome : mapping or DataFrame, optional
        A contagion outcome per entity: ``{id: {"defaulted": bool, "relative_loss":
        float}}`` or a table with columns ``id``, ``defaulted``, ``relative_loss`` (loss
        as a share of equity). Nodes are then coloured by it instead of by type.
    title : str, optional
        The heading (default: the network's name).
    max_nodes : int
        Draw at most this many entities, grown from the one with the highest throughput
        by adding each time the busiest entity adjacent to those already chosen (ties:
        more commitments first, then file order), so that the drawing hangs together;
        and the commitments among them. A notice says what was left out.
    max_edges : int
        Draw at most this many commitments: when the kept entities have more among them,
        each entity's largest one is drawn, then the largest of the rest (undisclosed
        amounts last, then file order); an entity left without any is not drawn. A dense core can hold tens of thousands of deals among 300
        entities, and a page with that many lines freezes a browser.

    contagion : ContagionResult, optional
        One model's outcome (``finflow.analysis.contagion.contagion(..., model=M)``):
        nodes are coloured by it and the page can play its rounds back (who defaults
        in each round, the equity lost so far; losses of entities without equity and of
        external holders are shown as amounts).
    full : bool
        ``True`` (default): a complete, self-contained HTML document (write it to a file,
        or embed it in an ``<iframe srcdoc="...">`` after HTML-escaping it). ``False``: a
        fragment (``<style>``, a ``<div class="finflow-view">`` and its scripts, with
        vis-network inlined) to paste into the body of a bigger page; its CSS is scoped to
        the fragment's element id.
    element_id : str, optional
        The id of the fragment's outer ``div`` (letters, digits, ``-``, ``_``; default: a
        hash of the data). Give each view on a page its own id.

    Returns
    -------
    ViewHTML
        The HTML, a ``str`` that a notebook displays inline (:class:`ViewHTML`). The page
        needs no network access. Its script keeps the drawn view in
        ``window.finflowViews[element_id]`` (``network``, ``nodes``, ``edges``,
        ``counts``, ``ready``) and, for a full page, also in the globals ``network``,
        ``nodes`` and ``edges`` that pyvis pages define. The outer ``div`` gets
        ``data-ready="1"`` once the layout has stabilised and physics is off.

    Raises
    ------
    FinflowError
        As :func:`view_data`; also for an ``element_id`` that is not a plain identifier.

    Notes
    -----
    About 480 kB of the page is vis-network itself; the data adds about 1.5 kB per
    commitment. See :func:`view_data` for the drawing conventions and the module's
    docstring for how data text is kept from being read as HTML.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["a", "b"], "name": ["<b>A</b>", "B"]}),
    ...     pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["loan"],
    ...                   "amount": [1.0]}), name="toy")
    >>> page = view_html(net)
    >>> page.startswith("<!DOCTYPE html>"), "<b>A</b>" in page, "\\\\u003cb\\\\u003eA" in page
    (True, False, True)
    """
    ensure_network(network, "view_html")
    data = view_data(network, status=status, kinds=kinds, size_by=size_by, cycles=cycles,
                     outcome=outcome, title=title, max_nodes=max_nodes, max_edges=max_edges,
                     contagion=contagion)
    return ViewHTML(_page(data, full=full, element_id=element_id))


def _page(data: dict[str, Any], *, full: bool, element_id: str | None) -> str:
    from markupsafe import Markup

    payload = script_json(data)
    if element_id is None:
        element_id = "ffv-" + hashlib.sha1(payload.encode("utf-8")).hexdigest()[:10]
    elif not _ID_RE.match(element_id):
        raise FinflowError(f"element_id: {element_id!r} is not a plain identifier "
                           "(a letter, then letters, digits, '-' or '_')")
    page_title = data["title"] + (f" ({data['subtitle']})" if data["subtitle"] else "")
    return _template().render(
        full=full,
        element_id=element_id,
        element_id_json=Markup(script_json(element_id)),
        page_title=page_title,
        title=data["title"],
        subtitle=data["subtitle"],
        filters=data["filters"],
        notices=data["notices"],
        legend=data["legend"],
        counts=data["counts"],
        height="78vh" if full else "720px",
        data_json=Markup(payload),
        vis_js=Markup(_vis_js()),
        explorer_js=Markup(_explorer_js()),
        confidence=data["explore"]["confidence"],
        unit=data["explore"]["unit"],
        has_playback=data["explore"]["playback"] is not None,
        playback_title=(data["explore"]["playback"] or {}).get("title", ""),
        has_cycles=bool(data["explore"]["cycles"]),
        cycle_color=CYCLE_COLOR,
    )


def _explorer_js() -> str:
    """The explorer's script (templates/view_explorer.js), kept from closing its element."""
    js = (resources.files("finflow") / "templates" / "view_explorer.js").read_text(encoding="utf-8")
    return re.sub(r"<(/?script|!--)", r"<\\\1", js, flags=re.IGNORECASE)


def view(network: Network, path: str | Path, *, status: str | Iterable[str] | None = None,
         kinds: str | Iterable[str] | None = None, size_by: str = "throughput",
         cycles: Sequence[Any] | None = None, outcome: Any = None, title: str | None = None,
         max_nodes: int = 300, max_edges: int = 2000, overwrite: bool = False,
         contagion: Any = None) -> Path:
    """Write an interactive HTML view of a network that opens offline in any browser.

    Parameters
    ----------
    network : Network
    path : str or Path
        The HTML file to write.
    status, kinds : str or list of str, optional
        Which commitments to draw (default: every status but ``lapsed``, every kind).
        Commitments without a disclosed amount are drawn too (thin, dotted, grey).
    size_by : {"throughput", "exposure"}
        Node area grows with the entity's throughput (inflow + outflow on the flow graph
        F) or with the network's exposure to it (column sum of the exposure matrix E with
        the default LGDs: what the others stand to lose if it defaults).
    cycles : list, optional
        Cycles to highlight, each a list of entity ids in order (``[a, b, c]`` means
        a -> b -> c -> a), an object with a ``.nodes`` list, or a mapping with a
        ``"nodes"`` key. Every drawn commitment on a step of a cycle, and every entity on
        one, gets the highlight colour :data:`CYCLE_COLOR`.
    outcome : mapping or DataFrame, optional
        A contagion outcome per entity: ``{id: {"defaulted": bool, "relative_loss":
        float}}`` or a table with columns ``id``, ``defaulted``, ``relative_loss`` (loss
        as a share of equity). Nodes are then coloured by it instead of by type.
    title : str, optional
        The heading (default: the network's name).
    max_nodes : int
        Draw at most this many entities, grown from the one with the highest throughput
        by adding each time the busiest entity adjacent to those already chosen (ties:
        more commitments first, then file order), so that the drawing hangs together;
        and the commitments among them. A notice says what was left out.
    max_edges : int
        Draw at most this many commitments: when the kept entities have more among them,
        each entity's largest one is drawn, then the largest of the rest (undisclosed
        amounts last, then file order); an entity left without any is not drawn. A dense core can hold tens of thousands of deals among 300
        entities, and a page with that many lines freezes a browser.

    contagion : ContagionResult, optional
        One model's outcome (``finflow.analysis.contagion.contagion(..., model=M)``):
        nodes are coloured by it and the page can play its rounds back (who defaults
        in each round, the equity lost so far; losses of entities without equity and of
        external holders are shown as amounts).
    overwrite : bool
        Replace an existing file (default: refuse).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FinflowError
        ``path`` exists and ``overwrite`` is false, is a folder, or its folder does not
        exist; and as :func:`view_data`.

    Notes
    -----
    The page is :func:`view_html` with ``full=True``: title with the network's name and
    as-of date, a line with the filters used, notices (what was left out), the drawing
    and a legend of colours and line styles. Nodes: area by throughput or exposure,
    colour by entity type (or by contagion outcome); edges: one per commitment, width by
    amount, colour by kind, dashed when non-binding. The layout is computed by
    vis-network's forceAtlas2 solver until stable, then physics is turned off.

    Examples
    --------
    >>> import tempfile, pathlib, finflow
    >>> net = finflow.load_default()
    >>> out = view(net, pathlib.Path(tempfile.mkdtemp()) / "net.html", status="closed")
    >>> out.suffix, out.stat().st_size > 400_000
    ('.html', True)

    References
    ----------
    Jacomy, M., Venturini, T., Heymann, S. and Bastian, M. (2014). ForceAtlas2, a
    continuous graph layout algorithm for handy network visualization designed for the
    Gephi software. PLoS ONE 9(6): e98679.
    """
    ensure_network(network, "view")
    return _write(network, path, status=status, kinds=kinds, size_by=size_by, cycles=cycles,
                  outcome=outcome, title=title, max_nodes=max_nodes, max_edges=max_edges,
                  overwrite=overwrite, contagion=contagion)[0]


def _write(network: Network, path: str | Path, *, overwrite: bool = False,
           **kwargs: Any) -> tuple[Path, dict[str, Any]]:
    """:func:`view`, also returning the view's data (for the CLI's message). The file is
    written by :func:`finflow.io.output.write_file`: atomically, never through a
    symbolic link, never over an existing file unless ``overwrite``."""
    from .io.output import check_file_target, write_file
    out = Path(path)
    if out.is_dir() and not out.is_symlink():
        raise FinflowError(f"{out} is a folder; give a file name such as {out / 'network.html'}")
    hint = ("choose another file or allow replacing it (overwrite=True, or --force on the "
            "command line)")
    check_file_target(out, overwrite=overwrite, exists_hint=hint)   # before the work
    if not out.parent.is_dir():
        raise FinflowError(f"{out.parent} does not exist; create the folder first")
    data = view_data(network, **kwargs)
    html = _page(data, full=True, element_id=None)
    write_file(out, html, overwrite=overwrite, exists_hint=hint)
    log.info("wrote %s (%d entities, %d commitments)", out, data["counts"]["entities_drawn"],
             data["counts"]["commitments_drawn"])
    return out, data
