"""The engine of the stress test (:mod:`finflow.analysis.stress`): a network's schedule
and balance sheets as arrays, one year-by-year run, the claims on a defaulted entity and
the seniority waterfall. Internal: the public API, its result and its documentation are
in :mod:`finflow.analysis.stress`.

External holders and holder classes (network format v2) are read through the network's
own accessors (:meth:`Network.external_mask`, :meth:`Network.holder_classes`), so the stress
test sees them exactly as the contagion models do.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import FinflowError
from ..kinds import DEFAULT_HOLDER_CLASS
from ..kinds import HOLDER_CLASSES as _CLASS_TABLE
from ..kinds import resolve_kinds, resolve_statuses
from ..model import Network
from .timeline import resolve_rules, schedule

#: holder classes of the network-v2 contract (issue 15), in reporting order
HOLDER_CLASSES = tuple(_CLASS_TABLE)
#: the class an entity of each type belongs to when its ``holder_class`` is empty
TYPE_CLASS = DEFAULT_HOLDER_CLASS
#: new-funding rules: what an entity short of cash may raise in a year
FUNDING_RULES = {
    "none": "no new funding: a shortfall is a default",
    "valuation": "up to a share of its valuation each year (valuation:0.1 = 10%; no "
                 "valuation figure, no funding)",
    "last-year": "up to what it raised last year (the equity, loan, bond and credit money "
                 "it received the year before)",
    "unlimited": "any shortfall is funded (a benchmark: nobody defaults for lack of cash)",
}
#: within-year propagation of credit losses
MODELS = {
    "cascade": "threshold cascade (Gai and Kapadia 2010): an entity whose credit losses "
               "reach its book equity defaults in the same year",
    "liquidity": "liquidity only: credit losses are reported but default nobody; only a "
                 "cash shortfall does",
}
#: how a defaulted entity's cash is shared among its claimants
SENIORITY = {
    "absolute": "absolute priority: lenders (loan, bond, credit: outstanding principal) "
                "first, then contract counterparties (purchase, compute, lease: unpaid "
                "remainder), then equity and warrant holders; pro rata within a class",
    "pari-passu": "lenders and contract counterparties share pro rata, equity holders last",
}

_CASH_LEGS = ("payment", "principal_out", "principal_due")
_LENDING = ("loan", "bond", "credit")
_CONTRACT = ("purchase", "compute", "lease")
_FINANCING = ("equity", "loan", "bond", "credit")
_NONCASH = ("warrant",)
_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}
_TOL = 1e-9


# ---- network-v2 columns: the network's own accessors ---------------------------------
def _types(network: Network) -> np.ndarray:
    ents = network.entities
    if "type" not in ents.columns:
        return np.full(network.n, "other", dtype=object)
    return ents["type"].fillna("other").astype(str).str.strip().str.lower().to_numpy(dtype=object)


def _external_mask(network: Network) -> np.ndarray:
    """External holders over the network's index (:meth:`Network.external_mask`)."""
    return np.asarray(network.external_mask(), dtype=bool)


def _holder_class(network: Network) -> np.ndarray:
    """Holder class per entity over the network's index (:meth:`Network.holder_classes`)."""
    return network.holder_classes().to_numpy(dtype=object)


def _year_of(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return int(text[:4]) if len(text) >= 4 and text[:4].isdigit() else None


# ---- the prepared web --------------------------------------------------------------------
@dataclass
class _Web:
    """A network's schedule and balance sheets as arrays over ``network.index`` (internal)."""

    network: Network
    y0: int
    y1: int
    ids: np.ndarray
    types: np.ndarray
    cls: np.ndarray
    external: np.ndarray
    modelled: np.ndarray        # liquidity modelled (cash tracked; can default by shortfall)
    skipped: tuple[str, ...]
    equity: np.ndarray
    cash0: np.ndarray
    rev_base: np.ndarray
    rev_year: np.ndarray
    valuation: np.ndarray
    lgd: dict[str, float]
    # schedule rows (cash legs, paid legs and noncash rows included; see flags)
    r_com: np.ndarray
    r_kind: np.ndarray          # kind name per row (object)
    r_leg: np.ndarray
    r_year: np.ndarray
    r_amount: np.ndarray
    r_pays: np.ndarray
    r_recv: np.ndarray
    r_cash: np.ndarray          # a cash leg (payment / principal out / due) of a cash kind
    c_ids: np.ndarray
    c_kind: np.ndarray
    c_payer: np.ndarray
    c_payee: np.ndarray
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    rules: dict[str, str]
    missing_cash: str
    n_unscheduled: int
    pays_order: np.ndarray = field(default=None, repr=False)   # rows sorted by payer
    pays_start: np.ndarray = field(default=None, repr=False)
    recv_order: np.ndarray = field(default=None, repr=False)   # rows sorted by receiver
    recv_start: np.ndarray = field(default=None, repr=False)

    def __post_init__(self) -> None:
        n = len(self.ids)
        for who in ("pays", "recv"):
            col = getattr(self, f"r_{who}")
            order = np.argsort(col, kind="stable")
            setattr(self, f"{who}_order", order)
            setattr(self, f"{who}_start", np.searchsorted(col[order], np.arange(n + 1)))


def _prepare(network: Network, y0: int, y1: int, *, status, kinds, rules, lgd,
             missing_cash: str, with_path: Iterable[str] = ()) -> _Web:
    """The arrays of one stress test; ``with_path``: entities given a revenue path (they
    have a revenue, so they are never skipped for lack of figures)."""
    if missing_cash not in ("auto", "skip", "zero"):
        raise FinflowError(f"missing cash rule must be auto, skip or zero, not {missing_cash!r}")
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    rule_table = resolve_rules(rules)
    sch = schedule(network, status=statuses, kinds=kind_list, rules=rule_table)
    s = sch.schedule
    index = pd.Index(network.index, dtype=object)
    ids = np.asarray(network.index, dtype=object)
    types = _types(network)
    external = _external_mask(network)
    cls = _holder_class(network)

    def field_of(name: str) -> np.ndarray:
        if name not in network.entities.columns:
            return np.full(network.n, np.nan)
        return pd.to_numeric(network.entities[name], errors="coerce").to_numpy(dtype=float)

    cash, revenue, equity, valuation = (field_of(f) for f in
                                        ("cash", "revenue", "equity", "valuation"))
    unknown = (np.isnan(cash) & np.isnan(revenue) & ~external
               & ~np.isin(np.asarray(network.index, dtype=object), list(with_path)))
    if missing_cash == "skip":
        skip = unknown
    elif missing_cash == "zero":
        skip = np.zeros(network.n, dtype=bool)
    else:  # auto: a pass-through vehicle lives on its contracted inflows
        skip = unknown & (types != "spv")
    modelled = ~external & ~skip
    as_of = _year_of(network.metadata.get("as_of")) or y0
    ents = network.entities
    rev_year = np.array([_year_of(v) or as_of for v in
                         (ents["as_of"] if "as_of" in ents.columns else [None] * network.n)],
                        dtype=float)
    com = network.commitments
    c_index = pd.Index(com["id"].astype(object))
    kind_txt = s["kind"].astype(object).to_numpy()
    leg_txt = s["leg"].astype(object).to_numpy()
    r_cash = np.isin(leg_txt, _CASH_LEGS) & ~np.isin(kind_txt, _NONCASH)
    return _Web(
        network=network, y0=y0, y1=y1, ids=ids, types=types, cls=cls, external=external,
        modelled=modelled, skipped=tuple(ids[skip]), equity=equity,
        cash0=np.where(modelled, np.nan_to_num(cash, nan=0.0), 0.0),
        rev_base=np.where(modelled, np.nan_to_num(revenue, nan=0.0), 0.0),
        rev_year=rev_year, valuation=np.nan_to_num(valuation, nan=0.0),
        lgd=network.lgd(lgd),
        r_com=c_index.get_indexer(s["commitment"].astype(object)),
        r_kind=kind_txt, r_leg=leg_txt, r_year=s["year"].to_numpy(dtype=np.int64),
        r_amount=s["amount"].to_numpy(dtype=float),
        r_pays=index.get_indexer(s["pays"].astype(object)),
        r_recv=index.get_indexer(s["receives"].astype(object)), r_cash=r_cash,
        c_ids=com["id"].to_numpy(dtype=object), c_kind=com["kind"].to_numpy(dtype=object),
        c_payer=index.get_indexer(com["payer"].astype(object)),
        c_payee=index.get_indexer(com["payee"].astype(object)),
        statuses=statuses, kinds=kind_list, rules={k: rule_table[k] for k in kind_list},
        missing_cash=missing_cash, n_unscheduled=len(sch.unscheduled))


def _revenue(web: _Web, growth: float, grow: np.ndarray, paths: Mapping[str, Mapping[int, float]],
             scale: float, other_growth: float) -> np.ndarray:
    """Revenue per entity (rows) and year (columns): the latest figure grown at ``growth``
    (entities of the grown classes) or ``other_growth`` (the rest) from its year; a path
    replaces it where given (later years grow from its last value); the grown classes'
    revenue is multiplied by ``scale``."""
    years = np.arange(web.y0, web.y1 + 1, dtype=float)
    g = np.where(grow, growth, other_growth)
    out = web.rev_base[:, None] * (1.0 + g[:, None]) ** (years[None, :] - web.rev_year[:, None])
    pos = {e: i for i, e in enumerate(web.ids)}
    for e, p in paths.items():
        i = pos[e]
        if not web.modelled[i]:
            continue
        for j, y in enumerate(years):
            earlier = [q for q in p if q <= y]
            if earlier:
                q = max(earlier)
                out[i, j] = p[q] * (1.0 + g[i]) ** (y - q)
    out = np.where(grow[:, None], out * scale, out)
    return np.where(web.modelled[:, None], out, 0.0)


# ---- one run -----------------------------------------------------------------------------
@dataclass
class _Run:
    default_year: np.ndarray
    cause: np.ndarray
    rnd: np.ndarray
    estate: np.ndarray
    received: np.ndarray       # cash received from the web, by year (n, Y)
    paid: np.ndarray           # cash paid to the web, by year (n, Y)
    funding: np.ndarray        # new funding raised, by year (n, Y)
    cash_end: np.ndarray       # cash at the end of each year (n, Y), NaN after default
    received_before: np.ndarray  # cash received before the first year (funded parts too)
    recovered: np.ndarray      # cash recovered from defaulted debtors (n,)
    loss: np.ndarray           # credit loss after LGD (n,)
    ledger: list[tuple]
    via: np.ndarray            # for a solvency default: the debtor whose loss tipped it
    order: np.ndarray          # the order of default (-1: none)


def _simulate(web: _Web, revenue: np.ndarray, funding: tuple[str, float], model: str,
              seniority: str, *, stop_at_first: bool = False) -> _Run:
    """Run the year-by-year stress test (see :func:`stress`, Notes)."""
    n, Y = len(web.ids), web.y1 - web.y0 + 1
    alive = np.ones(n, dtype=bool)
    default_year = np.full(n, -1, dtype=np.int64)
    cause = np.full(n, "", dtype=object)
    rnd = np.full(n, -1, dtype=np.int64)
    estate = np.full(n, np.nan)
    via = np.full(n, "", dtype=object)
    order = np.full(n, -1, dtype=np.int64)     # the order in which entities default
    seq = [0]
    cash = web.cash0.copy()
    received = np.zeros((n, Y))
    paid_y = np.zeros((n, Y))
    funding_y = np.zeros((n, Y))
    cash_end = np.full((n, Y), np.nan)
    recovered = np.zeros(n)
    loss = np.zeros(n)
    ledger: list[tuple] = []
    # rows of the past (before the first year) and funded parts count as paid
    paid_row = (web.r_year < web.y0) | (web.r_leg == "paid")
    past = paid_row & ~np.isin(web.r_kind, _NONCASH)
    before = np.bincount(web.r_recv[past], weights=web.r_amount[past], minlength=n)
    cap = np.where(np.isfinite(web.equity) & ~web.external, np.maximum(web.equity, 0.0), np.nan)
    financing_in = np.isin(web.r_kind, _FINANCING) & np.isin(web.r_leg, ("paid", "payment",
                                                                          "principal_out"))
    rule, share = funding

    def allowance(t: int) -> np.ndarray:
        if rule == "none":
            return np.zeros(n)
        if rule == "unlimited":
            return np.full(n, np.inf)
        if rule == "valuation":
            return share * web.valuation
        rows = financing_in & paid_row & (web.r_year == t - 1)
        return np.bincount(web.r_recv[rows], weights=web.r_amount[rows], minlength=n)

    def mark(ids: Iterable[int], t: int, why: str, r: int) -> None:
        for d in ids:
            alive[d] = False
            default_year[d], cause[d], rnd[d] = t, why, r
            order[d] = seq[0]
            seq[0] += 1

    def default(batch: list[int], t: int, why: str, r: int, rev_t: np.ndarray) -> None:
        """Settle a batch of simultaneous defaults, then the solvency defaults they cause
        (the next batch), until none. Within a batch every claimant standing at its start
        keeps its claims on every member, so the order of the members does not matter."""
        mark(batch, t, why, r)
        while batch:
            standing = alive.copy()
            worst: dict[int, tuple[float, int]] = {}   # holder -> (largest loss, debtor)
            for d in batch:
                pool = max(0.0, cash[d] + rev_t[d]) if web.modelled[d] else 0.0
                estate[d] = pool
                cash[d] = 0.0
                claims = _claims(web, d, t, paid_row, standing)
                _waterfall(claims, pool, seniority)
                for c in claims:
                    h = c["holder"]
                    c["loss"] = c["shortfall"] * c["lgd"]
                    recovered[h] += c["recovered"]
                    if web.modelled[h]:
                        cash[h] += c["recovered"]
                    loss[h] += c["loss"]
                    if c["loss"] > worst.get(h, (0.0, -1))[0]:
                        worst[h] = (c["loss"], d)
                    ledger.append((t, int(rnd[d]), web.ids[d], web.ids[h], c["commitment"],
                                   c["kind"], c["channel"], c["claim"], c["recovered"],
                                   c["shortfall"], c["lgd"], c["loss"]))
            if model != "cascade":
                break
            hit = alive & np.isfinite(cap) & (loss > 0) & (loss >= np.nan_to_num(cap) * (1 - 1e-12))
            batch = [int(h) for h in np.flatnonzero(hit)]
            mark(batch, t, "solvency", r)
            for h in batch:
                via[h] = web.ids[worst[h][1]] if h in worst else ""

    for j, t in enumerate(range(web.y0, web.y1 + 1)):
        rev_t = revenue[:, j]
        allow = allowance(t)
        year_rows = web.r_cash & (web.r_year == t)
        r = 0
        while True:
            act = year_rows & alive[web.r_pays] & alive[web.r_recv]
            out = np.bincount(web.r_pays[act], weights=web.r_amount[act], minlength=n)
            inn = np.bincount(web.r_recv[act], weights=web.r_amount[act], minlength=n)
            need = out - (cash + rev_t + inn)
            short = web.modelled & alive & (need > allow + _TOL * (1.0 + np.abs(out)))
            if not short.any():
                break
            if stop_at_first:
                default_year[np.flatnonzero(short)] = t
                return _Run(default_year, cause, rnd, estate, received, paid_y, funding_y,
                            cash_end, before, recovered, loss, ledger, via, order)
            default(list(np.flatnonzero(short)), t, "liquidity", r, rev_t)
            r += 1
        draw = np.where(web.modelled & alive, np.clip(need, 0.0, None), 0.0)
        funding_y[:, j] = draw
        cash = np.where(web.modelled & alive, np.maximum(0.0, cash + rev_t + inn - out), cash)
        cash_end[:, j] = np.where(web.modelled & alive, cash, np.nan)
        received[:, j] = inn
        paid_y[:, j] = out
        paid_row |= act
    return _Run(default_year, cause, rnd, estate, received, paid_y, funding_y, cash_end,
                before, recovered, loss, ledger, via, order)


def _rows_of(order: np.ndarray, starts: np.ndarray, d: int) -> np.ndarray:
    return order[starts[d]:starts[d + 1]]


def _claims(web: _Web, d: int, t: int, paid_row: np.ndarray, alive: np.ndarray) -> list[dict]:
    """What the claimants that are still standing (or external) hold on ``d`` when it
    defaults in year ``t``, one entry per commitment. Works on ``d``'s own schedule rows
    only (looked up by position), so a default costs O(its rows), not O(schedule)."""
    rows = np.unique(np.concatenate([_rows_of(web.pays_order, web.pays_start, d),
                                     _rows_of(web.recv_order, web.recv_start, d)]))
    out: list[dict] = []
    if len(rows) == 0:
        return out
    com, leg, amt = web.r_com[rows], web.r_leg[rows], web.r_amount[rows]
    kind = web.r_kind[rows]
    pays, recv = web.r_pays[rows] == d, web.r_recv[rows] == d
    paid = paid_row[rows]
    future = ~paid & (web.r_year[rows] >= t)
    ucom, inv = np.unique(com, return_inverse=True)

    def per_com(mask: np.ndarray) -> np.ndarray:
        return np.bincount(inv[mask], weights=amt[mask], minlength=len(ucom))

    # contracts d buys under: the unpaid remainder, to the seller
    unpaid_pay = per_com(future & (leg == "payment") & pays)
    # loans to d: drawn (paid out) minus repaid
    drawn = per_com(paid & np.isin(leg, ("paid", "principal_out")) & np.isin(kind, _LENDING)
                    & recv)
    repaid = per_com(paid & (leg == "principal_due") & pays)
    # stakes: what was paid in (equity it received, warrants it granted)
    stake = per_com(paid & np.isin(leg, ("paid", "payment")))
    # funding d still had to provide: loans it was to pay out, equity it was to invest
    unpaid_fund = per_com(future & pays & ((leg == "principal_out") | (
        (leg == "payment") & np.isin(kind, ("equity", "other")))))

    def add(c: int, holder: int, channel: str, claim: float, prio: int) -> None:
        if claim <= 0 or holder < 0 or holder == d or not alive[holder]:
            return
        k = str(web.c_kind[c])
        out.append({"commitment": str(web.c_ids[c]), "kind": k, "holder": int(holder),
                    "channel": channel, "claim": float(claim), "prio": prio,
                    "lgd": 0.0 if channel == "funding withdrawn" else float(web.lgd.get(k, 1.0))})

    for i, c in enumerate(ucom):
        k, payer, payee = web.c_kind[c], web.c_payer[c], web.c_payee[c]
        if k in _CONTRACT and payer == d:
            add(c, payee, "contract", unpaid_pay[i], 2)
        elif k in _LENDING and payee == d:
            add(c, payer, "senior debt", drawn[i] - repaid[i], 1)
        elif k == "equity" and payee == d:
            add(c, payer, "equity", stake[i], 3)
        elif k == "warrant" and payer == d:
            add(c, payee, "equity", stake[i], 3)
        if unpaid_fund[i] > 0:
            add(c, payee, "funding withdrawn", unpaid_fund[i], 9)
    return out


def _waterfall(claims: list[dict], pool: float, seniority: str) -> None:
    """Share ``pool`` among the claims by priority (pro rata within a class); funding that
    was never paid out gets nothing. Sets ``recovered`` and ``shortfall``."""
    for c in claims:
        c["recovered"] = 0.0
    prios = [1, 2, 3] if seniority == "absolute" else [(1, 2), 3]
    left = pool
    for p in prios:
        group = [c for c in claims if (c["prio"] in p if isinstance(p, tuple) else c["prio"] == p)]
        total = sum(c["claim"] for c in group)
        if total <= 0 or left <= 0:
            continue
        paid = min(left, total)
        for c in group:
            c["recovered"] = paid * c["claim"] / total
        left -= paid
    for c in claims:
        c["shortfall"] = c["claim"] - c["recovered"]
