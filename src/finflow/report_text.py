"""The report's key findings: plain sentences that can be quoted as they stand.

Each finding names entities by name, compares like with like, says how firm the deals
it rests on are (the figure on binding deals only) and carries the caveat of its kind
(:data:`CAVEATS`). Every number comes from the report's results, or, for firmness, from
the same analysis run on the binding deals only.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

import numpy as np
import pandas as pd

from .analysis.concentration import concentration
from .analysis.contagion import contagion
from .analysis.timeline import funding_gap, growth_phrase
from .errors import FinflowError
from .render import format_number

if TYPE_CHECKING:                       # pragma: no cover
    from .report import Report

__all__ = ["findings", "CAVEATS", "BINDING"]


def _fmt(x: Any) -> str:
    return format_number(x)


def _pct(x: float | None) -> str:
    return "n/a" if x is None or not np.isfinite(x) else f"{x:.1%}"


_MODEL_NAMES = {"cascade": "threshold cascade", "debtrank": "DebtRank",
                "linear-debtrank": "linear DebtRank", "eisenberg-noe": "Eisenberg-Noe clearing"}

#: statuses of binding deals (money moved, or a definitive agreement)
BINDING = ("closed", "committed")
_STATUS_WORDS = {"loi": "a letter of intent", "reported": "press reports only",
                 "committed": "committed", "closed": "closed"}

#: the one caveat line each kind of finding carries
CAVEATS = {
    "loop": "A loop is commitments that could go round, not money seen going round.",
    "circular": "Circular commitments are real deals; the share says how much of the money "
                "comes back to where it started, not that it is fictitious.",
    "dependence": "Inflow is contracted money over the contracts' terms, not money received.",
    "exposure": "An exposure is a claim at risk, not a realised loss.",
    "coverage": "Revenue is the latest annual figure; it may grow, and a commitment is "
                "not yet a payment.",
    "contagion": "An exposure is a claim at risk, not a realised loss: these are losses "
                 "under stress assumptions (loss given default by kind), not forecasts.",
    "uncertainty": "The band covers the stated amount ranges and deal status only, not "
                   "errors in the data.",
    "time": "Revenue is not profit, and new funding is not modelled: the year says when "
            "commitments outrun revenue and cash, not when a firm fails.",
}


def _and(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _others_lost(res: Any, shocked: str) -> float:
    """Equity lost by the entities with known equity other than the shocked one (what
    the ranking's impact counts), from one contagion result."""
    e = res.entities.assign(buffer=res.buffer())
    return float(e.loc[(e["id"] != shocked) & (e["buffer"] == "known"), "loss"].sum())


def _some(names: list[str], k: int = 5) -> str:
    """At most ``k`` names, then how many more: a finding stays a sentence."""
    if len(names) <= k:
        return _and(names)
    return ", ".join(names[:k]) + f" and {len(names) - k:,} more"


class _Facts:
    """What the findings need from the network: names, and how firm a set of
    commitments is."""

    def __init__(self, r: "Report") -> None:
        net = r.network
        self.net = net
        self.unit = net.unit_label
        self.statuses = tuple(r.options["status"])
        self.kinds = tuple(r.options["kinds"])
        self.binding = tuple(s for s in self.statuses if s in BINDING)
        self.all_binding = set(self.statuses) <= set(BINDING)
        ent = net.entities.set_index("id")
        self._names = {str(i): (str(n) if isinstance(n, str) and n.strip() else str(i))
                       for i, n in zip(ent.index, ent["name"] if "name" in ent.columns
                                       else ent.index)}
        self.com = net.commitments.set_index("id")

    def name(self, entity: Any) -> str:
        return self._names.get(str(entity), str(entity))

    def names(self, entities: Iterable[Any]) -> list[str]:
        return [self.name(e) for e in entities]

    def by_status(self, ids: Iterable[str]) -> dict[str, float]:
        rows = self.com.loc[[i for i in ids if i in self.com.index]]
        amount = rows["amount"].fillna(0.0).astype(float)
        return {str(k): float(v) for k, v in amount.groupby(rows["status"]).sum().items()}

    def nonbinding_words(self, ids: Iterable[str], total: float) -> str:
        """"35.00 of the 50.00 is a letter of intent" (or "all of it binding")."""
        parts = [f"{_fmt(v)} of the {_fmt(total)} is {_STATUS_WORDS.get(k, k)}"
                 for k, v in sorted(self.by_status(ids).items()) if k not in BINDING and v > 0]
        return "; ".join(parts) if parts else "all of it binding (closed or committed)"


def _loop_text(f: _Facts, c: Any) -> str:
    return " → ".join(f.names(list(c.nodes) + [c.nodes[0]]))


def _loop_firmness(f: _Facts, c: Any) -> str:
    """How firm a loop is: how much goes round on binding deals only (the smallest binding
    amount of its links), and what of the link that limits it is not binding."""
    binding = [sum(v for k, v in f.by_status(e["commitments"]).items() if k in BINDING)
               for e in c.edges]
    low = min(binding)
    if low >= c.bottleneck - 1e-9:
        return (f"Firmness: every link is binding (closed or committed) for the "
                f"{_fmt(c.bottleneck)} that goes round.")
    k = int(np.argmin(binding))
    weak = c.edges[k]
    return (f"Firmness: on the link {f.name(weak['payer'])} → {f.name(weak['payee'])}, "
            f"{f.nonbinding_words(weak['commitments'], weak['amount'])}; binding deals only: "
            + (f"{_fmt(low)} can go round." if low > 0 else "the loop does not close."))


def _round_trip_text(f: _Facts, c: Any) -> str:
    who = getattr(c, "round_trip_entities", ())
    if not getattr(c, "round_trip", None):
        return ""
    return f" (vendor financing: {_and(f.names(who))})" if who else f" ({c.round_trip})"


def findings(r: "Report") -> list[str]:
    """The key findings, in plain sentences that can be quoted as they stand: entities
    by name, like compared with like, the firmness of the deals each rests on and the
    caveat that applies. Every number comes from the report's results (or, for
    firmness, the same analysis on the binding deals only)."""
    f = _Facts(r)
    unit = f.unit
    out: list[str] = []
    cyc = r.cycles
    if cyc.cycles:
        c = cyc.cycles[0]
        rt = _round_trip_text(f, c)
        count = (f"{cyc.cycle_count:,}{'+' if cyc.truncated else ''} simple cycles in all"
                 if cyc.cycle_count is not None else "")
        out.append(f"Money goes round: the heaviest loop is {_loop_text(f, c)} "
                   f"({c.length} firms), where {_fmt(c.bottleneck)} {unit} can go all the way "
                   f"round{rt}" + (f"; {count}." if count else ".") + " "
                   + _loop_firmness(f, c) + " " + CAVEATS["loop"])
        three = [x for x in cyc.cycles if x.length >= 3]
        if three and three[0] is not c:
            t = three[0]
            out.append(f"The heaviest loop through three or more firms is {_loop_text(f, t)}: "
                       f"{_fmt(t.bottleneck)} {unit} can go round. "
                       + _loop_firmness(f, t) + " " + CAVEATS["loop"])
    else:
        out.append("No money goes round: the flow graph has no cycle.")
    dec, circ = cyc.decomposition, cyc.circulation
    if (dec is not None and dec.circularity is not None) or circ is not None:
        if dec is not None and dec.circularity is not None:
            line = (f"{_fmt(dec.circular_volume)} of {_fmt(dec.total_volume)} {unit} of "
                    f"commitments ({_pct(dec.circularity)}) comes back round to where it "
                    "started (bff_circular_share, balanced flow forwarding)")
            if circ is not None:
                line += (f"; netting every loop would cancel at most {_fmt(circ.value)} "
                         f"({_pct(circ.circularity)}, max_circulation_share)")
        else:
            line = (f"Netting every loop would cancel {_fmt(circ.value)} {unit} "
                    f"({_pct(circ.circularity)} of all commitments, max_circulation_share)")
        if f.all_binding:
            line += ". Firmness: binding deals only were counted."
        elif f.binding:
            from .analysis.circulation import max_circulation
            b = max_circulation(f.net, status=f.binding, kinds=f.kinds)
            line += (f". Firmness: on binding deals only, netting would cancel "
                     f"{_fmt(b.value)} of {_fmt(b.total_flow)} ({_pct(b.circularity)}).")
        else:
            line += ". Firmness: no binding deal is counted."
        out.append(line + " " + CAVEATS["circular"])
    e = r.concentration.entities
    dep = e[(e["top_share"] >= 0.5) & e["inflow"].gt(0)].sort_values(
        ["inflow", "id"], ascending=[False, True])
    if len(dep):
        d = dep.iloc[0]
        F = f.net.flow_graph(f.statuses, f.kinds)
        edge = F.get_edge_data(d["top_counterparty"], d["id"]) or {}
        from_top = float(edge.get("weight", d["top_share"] * d["inflow"]))
        out.append(f"Dependence: {f.name(d['id'])} gets {_fmt(from_top)} of its "
                   f"{_fmt(d['inflow'])} {unit} of inflow ({d['top_share']:.0%}) from "
                   f"{f.name(d['top_counterparty'])}. Firmness: "
                   + f.nonbinding_words(edge.get("commitments", []), from_top)
                   + ". " + CAVEATS["dependence"])
    large = e[e["large_exposure"] == True].sort_values(  # noqa: E712 (None = unknown)
        ["max_exposure_to_equity", "id"], ascending=[False, True])
    if len(large):
        x = large.iloc[0]
        holder, on = str(x["id"]), str(x["largest_exposure_to"])
        line = (f"{len(large)} entities hold a single exposure above 25% of their equity "
                f"(the Basel large-exposure limit); the largest: {f.name(holder)}'s exposure "
                f"to {f.name(on)} ({_fmt(x['largest_exposure'])} {unit}, loss given default "
                f"applied) is {x['max_exposure_to_equity']:.2f} times its equity "
                f"({_fmt(x['equity'])}).")
        if not f.all_binding and f.binding:
            E = f.net.exposure_matrix(r.options["lgd"], f.binding, f.kinds)
            b = float(E[f.net.position[holder], f.net.position[on]])
            line += (" Firmness: all of it rests on binding deals." if b >= x["largest_exposure"]
                     - 1e-9 else f" Firmness: on binding deals only it is {_fmt(b)} "
                     f"({b / x['equity']:.2f} times its equity).")
        out.append(line + " " + CAVEATS["exposure"])
    cov = e.dropna(subset=["annual_coverage"]).sort_values(
        ["annual_coverage", "id"], ascending=[False, True])
    if len(cov) and cov.iloc[0]["annual_coverage"] > 1:
        x = cov.iloc[0]
        who = str(x["id"])
        line = (f"Over-commitment: {f.name(who)}'s commitments fall due at "
                f"{_fmt(x['annual_due'])} {unit} a year at the contracts' own rates, "
                f"{x['annual_coverage']:.1f} times its annual revenue ({_fmt(x['revenue'])}); "
                f"over the contracts' full terms it has committed {_fmt(x['commitments_due'])}.")
        if not f.all_binding and f.binding:
            bc = concentration(f.net, status=f.binding, kinds=f.kinds, lgd=r.options["lgd"],
                               self_financed=False).entities.set_index("id")
            if who in bc.index and pd.notna(bc.loc[who, "annual_due"]) and abs(
                    bc.loc[who, "commitments_due"] - x["commitments_due"]) < 1e-9:
                line += " Firmness: all of it binding (closed or committed)."
            elif who in bc.index and pd.notna(bc.loc[who, "annual_due"]):
                line += (f" Firmness: binding deals only: {_fmt(bc.loc[who, 'annual_due'])} a "
                         f"year ({bc.loc[who, 'annual_coverage']:.1f} times revenue), "
                         f"{_fmt(bc.loc[who, 'commitments_due'])} in all.")
        out.append(line + " " + CAVEATS["coverage"])
    rk = (r.rank.entities.dropna(subset=["impact"]).sort_values(["impact_rank", "id"])
          if r.rank is not None else ())
    if len(rk):
        t = rk.iloc[0]
        tid = str(t["id"])
        model = _MODEL_NAMES.get(r.rank.model, r.rank.model)
        cmp_ = r.contagion.get(tid)
        line = (f"Most systemic: if {f.name(tid)} alone defaults, the other entities with known "
                f"equity lose {_fmt(t['impact'])} {unit} of it ({model}) and "
                f"{int(t['defaults_caused'])} of them default")
        if cmp_ is not None and r.rank.model in cmp_.results:
            res = cmp_.results[r.rank.model]
            ent = res.entities.assign(buffer=res.buffer())
            others = ent[(ent["id"] != tid) & ent["buffer"].isin(["equity unknown", "external"])]
            hidden = float(others["loss"].fillna(0).sum())
            who = [x for x in res.defaulted if x != tid]
            if who:
                line += f" ({_some(f.names(who))})"
            if hidden > 0:
                top = others[others["loss"] > 0].sort_values(["loss", "id"],
                                                             ascending=[False, True]).head(3)
                line += (f"; entities without a known buffer lose a further {_fmt(hidden)} "
                         f"(largest: {_and(f'{f.name(i)} {_fmt(v)}' for i, v in zip(top['id'], top['loss']))})")
        line += "."
        if not f.all_binding and f.binding:
            b = contagion(f.net, [tid], model=r.rank.model, lgd=r.options["lgd"],
                          status=f.binding, kinds=f.kinds,
                          missing_equity=r.options.get("missing_equity"))
            nb = len([x for x in b.defaulted if x != tid])
            line += (f" Firmness: on binding deals only, {_fmt(_others_lost(b, tid))} is lost and "
                     f"{nb} default.")
        out.append(line + " " + CAVEATS["contagion"])
        if cmp_ is not None:
            sets = {m: tuple(x for x in res.defaulted if x != tid)
                    for m, res in cmp_.results.items()}
            losses = {m: _others_lost(res, tid) for m, res in cmp_.results.items()}
            firm = ""
            if not f.all_binding and f.binding:
                bb = contagion(f.net, [tid], model="all", lgd=r.options["lgd"],
                               status=f.binding, kinds=f.kinds,
                               missing_equity=r.options.get("missing_equity"))
                bl = [_others_lost(res, tid) for res in bb.results.values()]
                firm = (f" Firmness: on binding deals only, {_fmt(min(bl))} to "
                        f"{_fmt(max(bl))} is lost.")
            if len(set(sets.values())) == 1:
                who = next(iter(sets.values()))
                names = _some(f.names(who)) if who else "nobody else"
                out.append(f"Under every model ({', '.join(_MODEL_NAMES.get(m, m) for m in sets)}) "
                           f"{names} {'defaults' if len(who) == 1 else 'default'} after "
                           f"{f.name(tid)}; the equity the others lose ranges "
                           f"from {_fmt(min(losses.values()))} to {_fmt(max(losses.values()))} "
                           f"{unit}." + firm + " " + CAVEATS["contagion"])
            else:
                # what every model agrees on once, then each group of models that adds the
                # same entities (a finding stays a sentence, not a table)
                common = set.intersection(*(set(w) for w in sets.values()))
                order = [x for w in sets.values() for x in w]
                ordered = lambda xs: sorted(xs, key=order.index)
                groups: dict[tuple, list[str]] = {}
                for m, w in sets.items():
                    groups.setdefault(tuple(ordered(set(w) - common)), []).append(m)
                parts = []
                for extra, ms in groups.items():
                    who = _and([_MODEL_NAMES.get(m, m) for m in ms])
                    lost = _and([_fmt(losses[m]) for m in ms])
                    parts.append(f"{who}: {'also ' + _some(f.names(list(extra))) if extra else 'no other'}"
                                 f" ({lost} of the others' equity lost)")
                agreed = (f"every model defaults {_some(f.names(ordered(common)))}"
                          if common else "no entity defaults under every model")
                out.append(f"After {f.name(tid)}'s default the models disagree: {agreed}; "
                           f"{'; '.join(parts)}." + firm + " " + CAVEATS["contagion"])
    unc = r.uncertainty
    if unc is not None:
        try:
            c = unc.figure("max_circulation_share")
            line = (f"How sure: over {c['draws']:,} draws of the uncertain amounts and deals, "
                    f"the max_circulation_share is {_pct(c['median'])} (5-95%: "
                    f"{_pct(c['p05'])} to {_pct(c['p95'])}; point {_pct(c['point'])})")
            if unc.null_model is not None and not unc.null_model.statistics.empty:
                st = unc.null_model.stat("max_circulation_share")
                line += (f"; against degree-preserving random networks p = "
                         f"{st['p_value']:.3f}")
            pres = getattr(unc, "presence", {}) or {}
            kept = [f"{_STATUS_WORDS.get(k, k)} {v:.0%}" for k, v in pres.items()
                    if k not in BINDING and k != "cancelable" and v < 1]
            line += (". Firmness: each draw keeps a deal with a probability by status ("
                     + ", ".join(kept) + "; binding deals always)") if kept else ""
            out.append(line + ". " + CAVEATS["uncertainty"])
        except FinflowError:
            pass
    over = r.timeline.over_committed()
    if over:
        ent = r.timeline.entities.set_index("entity")
        first = over[0]
        basis = ent.loc[first, "runway_basis"] if "runway_basis" in ent.columns else ""
        line = (f"Time: {f.name(first)}'s cumulative commitments outrun its revenue"
                f"{' and cash' if 'cash' in str(basis) and 'unknown' not in str(basis) else ''}"
                f" in {int(ent.loc[first, 'runway_year'])} (revenue "
                f"{growth_phrase(r.timeline.revenue_growth)}).")
        if not f.all_binding and f.binding:
            b = funding_gap(f.net, [first], revenue_growth=r.timeline.revenue_growth,
                            status=f.binding, kinds=f.kinds,
                            from_year=r.timeline.from_year, to_year=r.timeline.to_year)
            y = b.entities.set_index("entity").loc[first, "runway_year"]
            line += (" Firmness: on binding deals only (fewer commitments, but also fewer "
                     "contracted inflows) the year is "
                     + (f"{int(y)}." if pd.notna(y) else f"after {r.timeline.to_year}."))
        out.append(line + " " + CAVEATS["time"])
    return out


