"""Everything ``finflow cycles`` reports, in one result: the heaviest cycles and the cycle
count, the maximum circulation and netting, the balanced-flow-forwarding decomposition,
Finn's cycling index, Hodge potentials and the circular and robust cores, with one row
per entity that gathers each measure.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
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
from .circulation import MaxCirculation, Netting, _max_circulation_of, _netting_of
from .cycles import (Cycle, ties_sentence, _Adjacency, _check_length, _check_limit,
                     _count_adj, _entity_frame, _network_edges, cycles_frame, heaviest_cycles)
from .decomposition import DEFAULT_MAX_CYCLE_ENTITIES, Decomposition, circular_decomposition
from .flowmeasures import (FINN_MAX_COMPONENT, Cores, FinnCycling, HodgeDecomposition,
                           circular_cores, finn_cycling, hodge_decomposition)
from ..netcheck import ensure_network

__all__ = ["MEASURES", "COUNT_LIMIT", "CircularFinancing", "circular_financing"]

#: default limit of the cycle count in the report: past it the count is a lower bound
#: either way, and each cycle costs about 0.1 ms of pure-Python search
COUNT_LIMIT = 10_000
#: the measures :func:`circular_financing` can compute beside the cycles
MEASURES = ("circulation", "netting", "decomposition", "finn", "hodge", "cores",
            "entity_cycles")
_ALIASES = {"bff": "decomposition", "circular": "decomposition", "max_circulation":
            "circulation", "compression": "netting", "fci": "finn", "cycling": "finn",
            "potentials": "hodge", "core": "cores", "all": "all"}


def _resolve_measures(measures: str | Iterable[str] | None) -> tuple[str, ...]:
    if measures is None:
        return MEASURES
    items = measures.split(",") if isinstance(measures, str) else [
        p for m in measures for p in str(m).split(",")]
    items = [_ALIASES.get(i.strip().lower(), i.strip().lower()) for i in items if i.strip()]
    if not items or "all" in items:
        return MEASURES
    bad = [i for i in items if i not in MEASURES]
    if bad:
        raise FinflowError(f"unknown measure {', '.join(map(repr, bad))}; choose from "
                           f"{', '.join(MEASURES)} (or bff, all)")
    return tuple(m for m in MEASURES if m in items)


def _pct(x: float | None) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else \
        f"{format_number(100 * x, 1)}%"


@dataclass(frozen=True)
class CircularFinancing(Result):
    """Where the money goes round: cycles, circulation, netting and flow measures.

    ``cycles`` are the ``top`` heaviest (largest bottleneck) cycles; ``cycle_count`` is
    the number of simple cycles, a lower bound when ``truncated``; ``max_circulation`` /
    ``total_flow`` = ``circularity``. The other measures are None when not asked for (or,
    with a reason in ``skipped``, when they could not be computed).
    """

    name: str
    unit: str
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    max_length: int | None
    min_amount: float | None
    top: int
    count_limit: int | None
    measures: tuple[str, ...]
    cycles: tuple[Cycle, ...]
    cycle_count: int | None
    truncated: bool
    ties_cut: bool
    total_flow: float
    circulation: MaxCirculation | None
    netting: Netting | None
    decomposition: Decomposition | None
    finn: FinnCycling | None
    hodge: HodgeDecomposition | None
    cores: Cores | None
    entities: pd.DataFrame = field(repr=False)
    skipped: dict[str, str] = field(default_factory=dict)
    members_cut: bool = False
    ties_left: int = 0
    #: per skipped measure: ``{"needed": N, "limit": L, "option": "--finn-max",
    #: "argument": "finn_max_component", "rerun": "finflow cycles --finn-max N"}``
    skipped_limits: dict[str, dict] = field(default_factory=dict)
    title: str = "Circular financing"

    # ---- headline numbers ---------------------------------------------------------
    @property
    def max_circulation(self) -> float | None:
        return self.circulation.value if self.circulation is not None else None

    @property
    def circularity(self) -> float | None:
        if self.circulation is None or not self.total_flow > 0:
            return None
        return self.circulation.value / self.total_flow

    # ---- Result protocol ---------------------------------------------------------------
    def to_frame(self) -> pd.DataFrame:
        return cycles_frame(self.cycles)

    def _entity_view(self) -> pd.DataFrame:
        cols = ["id", "inflow", "circular_inflow", "self_financed_share", "cycled_share",
                "max_circulation_throughput", "potential", "core", "robust_core",
                "heaviest_cycle_bottleneck", "heaviest_cycle"]
        ent = self.entities
        view = ent[[c for c in cols if c in ent.columns]].copy()
        view["heaviest_cycle"] = [" > ".join(m) if isinstance(m, (list, tuple)) else None
                                  for m in view["heaviest_cycle"]]
        active = view["inflow"].gt(0) | ent["outflow"].gt(0)
        return view[active.to_numpy()].reset_index(drop=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"heaviest_cycles": self.to_frame(), "entities": self._entity_view()}
        if self.netting is not None and self.netting.layers is not None:
            out[f"netting_by_{self.netting.by}"] = self.netting.layers
        if self.cores is not None:
            out["cores"] = self.cores.tables()["components"]
        return out

    def summary(self) -> list[str]:
        u = self.unit
        t = self.total_flow
        lines = []
        # 1. the circular share of all commitments
        d, c = self.decomposition, self.circulation
        if d is not None:
            line = (f"Circular share of all commitments: {format_number(d.circular_volume)} of "
                    f"{format_number(t)} {u} ({_pct(d.circularity)}) goes round in loops "
                    f"(balanced flow forwarding)")
            if c is not None:
                line += f"; the maximum circulation is {format_number(c.value)} ({_pct(self.circularity)})"
            lines.append(line + ".")
        elif c is not None:
            lines.append(f"Circular share of all commitments: at most "
                         f"{format_number(c.value)} of {format_number(t)} {u} "
                         f"({_pct(self.circularity)}, maximum circulation)"
                         + ("; the balanced-flow-forwarding split was not computed"
                            if "decomposition" in self.skipped else "") + ".")
        # 2. what netting would cancel
        nt = self.netting
        if nt is not None:
            lines.append(
                f"Netting would cancel {format_number(nt.max_circulation)} {u} "
                f"({_pct(nt.max_circulation / nt.gross if nt.gross else None)} of gross "
                f"{format_number(nt.gross)}) by netting loops of existing deals; settling "
                f"every net position needs only {format_number(nt.net_settlement)}, so "
                f"{format_number(nt.excess)} ({_pct(nt.excess / nt.gross if nt.gross else None)}) "
                f"is excess.")
        # 3. the cycling index
        f = self.finn
        if f is not None:
            top = f.entities[f.entities["cycled_share"] > 1e-12].head(3)
            most = (f"; highest cycled share: " + ", ".join(
                f"{r.id} {_pct(r.cycled_share)}" for r in top.itertuples())) if len(top) else ""
            lines.append(f"Cycling index (Finn, closed by a rest-of-world boundary): FCI = "
                         f"{format_number(f.fci)}; {format_number(f.cycled_throughflow)} of "
                         f"total system throughflow {format_number(f.tst)} {u} has cycled"
                         f"{most}.")
        elif "finn" in self.skipped:
            lines.append(f"Cycling index (Finn): not computed: {self.skipped['finn']}.")
        # 4. each firm's self-financed share (BFF circular share of its inflow)
        if d is not None:
            ent = d.entities[d.entities["circular_inflow"] > 1e-12]
            if len(ent):
                lines.append("Self-financed share (inflow that came back round, balanced flow "
                             "forwarding): " + ", ".join(
                                 f"{r.id} {_pct(r.self_financed_share)}"
                                 for r in ent.head(5).itertuples()) + ".")
            else:
                lines.append("Self-financed share: no entity's inflow comes back round.")
        elif "decomposition" in self.skipped:
            lines.append(f"Self-financed share (balanced flow forwarding): not computed: "
                         f"{self.skipped['decomposition']}.")
        # cycles
        if self.cycle_count is not None:
            what = "simple cycle" + ("s" if self.cycle_count != 1 else "")
            cond = []
            if self.max_length is not None:
                cond.append(f"of at most {self.max_length} edges")
            if self.min_amount is not None:
                cond.append(f"on pairs of at least {format_number(self.min_amount)}")
            count = (f"At least {self.cycle_count:,} {what} {' '.join(cond)} (a lower bound: "
                     f"the count stopped at the limit of {self.count_limit:,})"
                     if self.truncated else f"{self.cycle_count:,} {what} {' '.join(cond)}")
            lines.append(count.replace("  ", " ").strip() + ".")
        if self.cycles:
            h = self.cycles[0]
            rt = f" ({h.round_trip})" if h.round_trip else ""
            lines.append(f"Heaviest cycle: {' > '.join(h.nodes + (h.nodes[0],))}, bottleneck "
                         f"{format_number(h.bottleneck)} {u}{rt}.")
            n_rt = sum(1 for x in self.cycles if x.round_trip)
            lines.append(f"{n_rt} of the {len(self.cycles)} heaviest cycles are vendor-financing "
                         f"round trips.")
            tie = ties_sentence(self.cycles, self.ties_left, self.ties_cut)
            if tie:
                lines.append(tie)
        elif self.top > 0 or self.cycle_count == 0:
            lines.append("No cycles: no money goes round.")
        if self.hodge is not None:
            ent = self.hodge.entities
            k = min(3, len(ent) // 2)
            lines.append(f"Hodge: {_pct(self.hodge.circular_share)} of the net flow is "
                         f"circular; money runs downhill in potential from "
                         f"{', '.join(ent.head(k)['id'])} (highest) to "
                         f"{', '.join(ent.tail(k)['id'][::-1])} (lowest).")
        if self.cores is not None:
            lines.extend(self.cores.summary())
        return lines

    def notes(self) -> list[str]:
        out = [f"statuses counted: {', '.join(self.statuses)}",
               f"kinds counted: {', '.join(self.kinds)}",
               "flow graph F: payer -> payee, amounts of the selected commitments summed per pair",
               "cycles start from their lexicographically smallest member; bottleneck = "
               "smallest edge; round trip = a member's edge out carries a financing kind and "
               "its edge in a product kind (decided from the kinds present on each pair)",
               f"heaviest {self.top} cycles found by threshold search over strongly "
               "connected components, without enumerating every cycle"]
        if self.max_length is not None or self.min_amount is not None:
            out.append("--max-length and --min-amount apply to the cycles and the count only; "
                       "the other measures use all of F")
        if self.ties_cut:
            out.append("more cycles tie at the last bottleneck listed than were examined; "
                       "the bottleneck values are exact, the choice among ties is not by total")
        if self.circulation is not None:
            out.append("max_circulation_share = maximum circulation / total flow (OR-Tools min-cost flow, "
                       f"amounts x {self.circulation.scale:g} rounded down); "
                       "max_circulation_throughput per entity is ONE optimal solution, not "
                       "unique")
        if self.decomposition is not None:
            out.append("circular_inflow and self_financed_share per "
                       "entity: balanced flow forwarding (Homs-Dones, MacKay, Sansom and Zhou "
                       "2025), the unique attribution")
        if self.netting is not None:
            out.append("net position = outflow - inflow; netting = conservative compression "
                       "(D'Errico and Roukny 2017)")
        if self.finn is not None:
            out.append("Finn: rest-of-world boundary supplies max(outflow - inflow, 0) and takes "
                       "max(inflow - outflow, 0); cycled_share = (n_ii - 1) / n_ii")
        if self.hodge is not None:
            out.append("potential: HodgeRank on the net flow, unweighted Laplacian, high = "
                       "upstream; circular share of net flow = |circular|^2 / |net|^2")
        if self.cores is not None:
            out.append("robust core: without cancelable commitments and non-binding statuses "
                       "(loi, reported)")
        if self.members_cut:
            out.append("heaviest_cycle members listed for part of the entities only (search "
                       "limit); heaviest_cycle_bottleneck is exact for all")
        for k, why in self.skipped.items():
            out.append(f"{k} not computed: {why}")
        return out

    def to_dict(self) -> dict[str, Any]:
        def sub(obj: Any) -> Any:
            return obj.to_dict() if obj is not None else None

        ent = self.entities.copy()
        ent["heaviest_cycle"] = [list(m) if isinstance(m, (list, tuple)) else None
                                 for m in ent["heaviest_cycle"]]
        return {
            "network": self.name,
            "unit": self.unit,
            "statuses": list(self.statuses),
            "kinds": list(self.kinds),
            "parameters": {"max_length": self.max_length, "min_amount": self.min_amount,
                           "top": self.top, "count_limit": self.count_limit,
                           "measures": list(self.measures)},
            "cycles": [c.to_dict() for c in self.cycles],
            "cycle_count": self.cycle_count,
            "truncated": self.truncated,
            "ties_cut": self.ties_cut,
            "ties_left": self.ties_left,
            "total_flow": self.total_flow,
            "max_circulation": jsonable(self.max_circulation),
            "max_circulation_share": jsonable(self.circularity),
            "circular_volume": jsonable(self.decomposition.circular_volume
                                        if self.decomposition is not None else None),
            "entities": records(ent),
            "circulation": sub(self.circulation),
            "netting": sub(self.netting),
            "decomposition": sub(self.decomposition),
            "finn": sub(self.finn),
            "hodge": sub(self.hodge),
            "cores": sub(self.cores),
            "skipped": dict(self.skipped),
            "skipped_limits": jsonable(self.skipped_limits),
            "summary": self.summary(),
            "notes": self.notes(),
        }


def circular_financing(network: Network, max_length: int | None = None,
                       min_amount: float | None = None, top: int = 10,
                       count_limit: int | None = COUNT_LIMIT,
                       measures: str | Iterable[str] | None = None,
                       by: str | None = None,
                       status: str | Iterable[str] | None = None,
                       kinds: str | Iterable[str] | None = None,
                       scale: float | None = None,
                       finn_max_component: int | None = FINN_MAX_COMPONENT,
                       bff_max_entities: int | None | str = "default",
                       entity_searches: int | None = 500) -> CircularFinancing:
    """Where the money goes round: what ``finflow cycles`` reports.

    Parameters
    ----------
    network : Network
    max_length : int, optional
        Only cycles of at most this many edges (the listing and the count).
    min_amount : float, optional
        Drop payer -> payee pairs below this amount (the listing and the count).
    top : int, default 10
        How many of the heaviest cycles to list (found without enumerating every cycle).
    count_limit : int or None, default 10,000
        Count simple cycles up to this many (``truncated`` says when the limit stopped
        the count); 0 skips the count, None counts without a limit. Past the limit the
        count is a lower bound, and each cycle costs about 0.1 ms of search, so the default
        keeps large networks fast (:func:`~finflow.analysis.cycles.count_cycles` defaults
        to 100,000).
    measures : str or list of str, optional
        Which of :data:`MEASURES` to compute (default all): ``circulation`` (maximum
        circulation), ``netting``, ``decomposition`` (balanced flow forwarding; alias
        ``bff``), ``finn``, ``hodge``, ``cores``, ``entity_cycles`` (each entity's
        heaviest cycle).
    by : str, optional
        Netting per layer: ``kind``, ``status``, ``year`` or a commitments column.
    status, kinds : str or list of str, optional
        Filters that make the flow graph F (default: every status but lapsed, all kinds).
    scale : float, optional
        Integer scaling of amounts for the min-cost-flow solver (default 1e6).
    finn_max_component : int or None, default 4,000
        Largest strongly connected component for the exact Finn index; above it the
        index is skipped and ``skipped["finn"]`` says why.
    bff_max_entities : int, None or "default"
        Largest number of entities on cycles for the balanced-flow-forwarding
        decomposition (one sparse solve per such entity; "default": the limit of
        :func:`~finflow.analysis.decomposition.bff`, 3,000); above it the decomposition
        is skipped and ``skipped["decomposition"]`` says why.
    entity_searches : int or None, default 500
        At most this many breadth-first searches to list each entity's heaviest cycle's
        members (bottlenecks are exact for all).

    Returns
    -------
    CircularFinancing

    Raises
    ------
    FinflowError
        On a bad filter, parameter or measure name.

    Notes
    -----
    Each part is documented in its own function: :func:`~finflow.analysis.cycles.heaviest_cycles`,
    :func:`~finflow.analysis.cycles.count_cycles`,
    :func:`~finflow.analysis.cycles.entity_heaviest_cycles`,
    :func:`~finflow.analysis.circulation.max_circulation`,
    :func:`~finflow.analysis.circulation.netting`,
    :func:`~finflow.analysis.decomposition.circular_decomposition`,
    :func:`~finflow.analysis.flowmeasures.finn_cycling`,
    :func:`~finflow.analysis.flowmeasures.hodge_decomposition` and
    :func:`~finflow.analysis.flowmeasures.circular_cores`. Per entity the unique
    attribution is BFF's circular share; the maximum circulation's throughput is one
    optimal solution among possibly many and is labelled so.

    Examples
    --------
    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b", "c"]}),
    ...     pd.DataFrame({"payer": ["a", "b", "c"], "payee": ["b", "c", "a"],
    ...                   "kind": ["equity", "compute", "purchase"],
    ...                   "amount": [30.0, 300.0, 40.0]}))
    >>> r = circular_financing(net)
    >>> r.cycles[0].bottleneck, r.cycle_count, r.max_circulation, r.cycles[0].round_trip
    (30.0, 1, 90.0, 'vendor financing: a')

    References
    ----------
    See the functions above.
    """
    ensure_network(network, "circular_financing")
    statuses, kind_list = resolve_statuses(status), resolve_kinds(kinds)
    max_length = _check_length(max_length)
    count_limit = _check_limit(count_limit)
    chosen = _resolve_measures(measures)
    skipped: dict[str, str] = {}

    heavy = heaviest_cycles(network, top, max_length, min_amount, statuses, kind_list)
    count: int | None = None
    truncated = False
    if count_limit != 0:
        e = _network_edges(network, statuses, kind_list, min_amount)
        count, truncated = _count_adj(_Adjacency(e.csr()), max_length, count_limit)

    w = network.flow_matrix(statuses, kind_list)
    total = float(w.sum())
    circ = _max_circulation_of(network, w, statuses, kind_list, scale) \
        if "circulation" in chosen else None
    nett = _netting_of(network, w, by, statuses, kind_list, scale,
                       circ.value if circ is not None else None) if "netting" in chosen else None
    dec = None
    limits: dict[str, dict] = {}
    need = _cycle_sizes(w) if {"decomposition", "finn"} & set(chosen) else None
    if "decomposition" in chosen:
        try:
            dec = circular_decomposition(network, statuses, kind_list,
                                         max_cycle_entities=bff_max_entities)
        except FinflowError as exc:
            limit = DEFAULT_MAX_CYCLE_ENTITIES if bff_max_entities == "default" \
                else bff_max_entities
            limits["decomposition"] = _limit_note("decomposition", need[1], limit)
            skipped["decomposition"] = (_reason(exc, "balanced flow forwarding: ")
                                        + "; " + limits["decomposition"]["text"])
    finn = None
    if "finn" in chosen:
        try:
            finn = finn_cycling(network, statuses, kind_list, finn_max_component)
        except FinflowError as exc:
            if need is not None and finn_max_component is not None \
                    and need[0] > finn_max_component:
                limits["finn"] = _limit_note("finn", need[0], finn_max_component)
                skipped["finn"] = _reason(exc, "finn: ") + "; " + limits["finn"]["text"]
            else:
                skipped["finn"] = str(exc).removeprefix("finn: ")
    hodge = hodge_decomposition(network, statuses, kind_list) if "hodge" in chosen else None
    cores = circular_cores(network, statuses, kind_list) if "cores" in chosen else None

    # one row per entity
    inflow = np.asarray(w.sum(axis=0)).ravel()
    outflow = np.asarray(w.sum(axis=1)).ravel()
    ent = pd.DataFrame({"id": list(network.index), "inflow": inflow, "outflow": outflow,
                        "net_position": outflow - inflow})
    if dec is not None:
        ent = ent.merge(dec.entities[["id", "circular_inflow", "self_financed_share"]],
                        on="id", how="left")
    if finn is not None:
        ent = ent.merge(finn.entities[["id", "throughflow", "cycled_share"]],
                        on="id", how="left")
    if circ is not None:
        ent = ent.merge(circ.entities[["id", "circular_throughput"]].rename(
            columns={"circular_throughput": "max_circulation_throughput"}), on="id", how="left")
    if hodge is not None:
        ent = ent.merge(hodge.entities[["id", "potential", "trophic_level"]], on="id", how="left")
    if cores is not None:
        ent = ent.merge(cores.entities[["id", "core", "robust_core", "fragile"]], on="id",
                        how="left")
    members_cut = False
    if "entity_cycles" in chosen:
        e = _network_edges(network, statuses, kind_list, min_amount)
        hc = _entity_frame(network, e, entity_searches)
        members_cut = bool(hc.attrs.get("members_cut", False))
        ent = ent.merge(hc[["id", "heaviest_cycle_bottleneck", "heaviest_cycle"]], on="id",
                        how="left")
    else:
        ent["heaviest_cycle_bottleneck"] = np.nan
        ent["heaviest_cycle"] = None
    sort_cols = [c for c in ("circular_inflow", "max_circulation_throughput", "inflow")
                 if c in ent.columns]
    ent = ent.sort_values(sort_cols + ["id"], ascending=[False] * len(sort_cols) + [True],
                          kind="stable", na_position="last").reset_index(drop=True)
    return CircularFinancing(
        name=network.name, unit=network.unit_label, statuses=statuses, kinds=kind_list,
        max_length=max_length, min_amount=min_amount, top=int(top), count_limit=count_limit,
        measures=chosen, cycles=heavy.cycles, cycle_count=count, truncated=truncated,
        ties_cut=heavy.ties_cut, ties_left=heavy.ties_left, total_flow=total, circulation=circ, netting=nett,
        decomposition=dec, finn=finn, hodge=hodge, cores=cores, entities=ent,
        skipped=skipped, members_cut=members_cut, skipped_limits=limits)


#: the option of ``finflow cycles`` and the argument of :func:`circular_financing` that
#: lift the size limit of each measure
LIMIT_OPTIONS = {"finn": ("--finn-max", "finn_max_component"),
                 "decomposition": ("--bff-max", "bff_max_entities")}


def _cycle_sizes(w: sp.csr_array) -> tuple[int, int]:
    """(largest strongly connected component, entities on cycles) of the flow graph:
    what the Finn index and balanced flow forwarding are limited by."""
    if not w.nnz:
        return 0, 0
    _, lab = csgraph.connected_components(w, directed=True, connection="strong")
    sizes = np.bincount(lab)
    big = sizes[sizes > 1]
    return (int(big.max()) if len(big) else 0), int(big.sum())


def _reason(exc: Exception, prefix: str) -> str:
    """The refusal's reason without its prefix and its generic "raise the limit" tail
    (the note that follows names the option)."""
    return str(exc).removeprefix(prefix).split("; raise the limit")[0]


def _limit_note(measure: str, needed: int, limit: int | None) -> dict:
    """How to run a measure that its size limit skipped: the option naming the size."""
    option, argument = LIMIT_OPTIONS[measure]
    text = f"to run it: finflow cycles {option} {needed} (library: {argument}={needed})"
    return {"needed": needed, "limit": limit, "option": option, "argument": argument,
            "rerun": f"finflow cycles {option} {needed}", "text": text}
