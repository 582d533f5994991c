"""``finflow report``: every analysis of a network in one folder.

:func:`build_report` runs the analyses once and keeps their result objects;
:func:`write_report` renders those same objects into ``index.html`` (self-contained,
offline: key findings in plain sentences, tables, charts, the interactive network view,
the assumptions and the sources), ``report.md``, ``results.json`` and one CSV per table.
Every number in the three documents comes from the same result objects: nothing is
computed twice.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np
import pandas as pd

from . import __version__
from .analysis.circularity import CircularFinancing, circular_financing
from .analysis.concentration import Concentration, concentration
from .analysis.contagion import ContagionComparison, contagion
from .analysis.overview import Overview, overview
from .analysis.ranking import RankingResult, systemic_ranking
from .analysis.stress import StressComparison, stress_scenarios
from .analysis.timeline import FundingGapResult, funding_gap, growth_phrase
from .analysis.uncertainty import UncertaintyResult, uncertainty
from .charts import bar_chart_svg
from .errors import FinflowError
from .kinds import resolve_kinds, resolve_lgd, resolve_statuses
from .model import Network
from .io.output import OutputFolder
from .render import format_number, html_table, markdown_table, md_text, terminal_text
from .report_files import JSON_ROW_CAP, TABLE_FORMATS, JsonWriter, TableFiles, table_files_of
from .report_skips import Skip, analysis_skips, equity_data, has_no_equity
from .results import jsonable
from .stress_chart import stress_chart_svg
from .timeline_chart import timeline_chart_svg
from .view import view_html

__all__ = ["Report", "build_report", "write_report", "estimate", "REPORT_FILES",
           "JSON_ROW_CAP", "TABLE_FORMATS"]

#: the files every report writes (a CSV or Parquet file per table comes on top)
REPORT_FILES = ("index.html", "report.md", "results.json")

Progress = Callable[[str], None]


@dataclass
class Report:
    """The results behind a report, computed once.

    ``rank`` is None and ``contagion`` empty when the network has no equity figures (and
    no missing-equity rule says what to do); ``skipped`` names every analysis the report
    left out, why, and the option or data that would run it."""

    network: Network
    overview: Overview
    cycles: CircularFinancing
    concentration: Concentration
    rank: RankingResult | None
    contagion: dict[str, ContagionComparison]
    timeline: FundingGapResult
    findings: list[str]
    assumptions: list[str]
    generated: str
    options: dict[str, Any] = field(default_factory=dict)
    uncertainty: UncertaintyResult | None = None
    stress: StressComparison | None = None
    skipped: list[Skip] = field(default_factory=list)

    def sections(self) -> dict[str, Any]:
        """Section name -> result object, in reading order (the JSON keys); a section
        left out is not there."""
        out: dict[str, Any] = {"overview": self.overview, "cycles": self.cycles,
                               "concentration": self.concentration}
        out["contagion"] = self.contagion
        if self.rank is not None:
            out["rank"] = self.rank
        out["timeline"] = self.timeline
        if self.uncertainty is not None:
            out["uncertainty"] = self.uncertainty
        if self.stress is not None:
            out["stress"] = self.stress
        return out

    def skips(self, section: str) -> list[Skip]:
        """What was left out of one section."""
        return [s for s in self.skipped if s.section == section]

    def to_dict(self) -> dict[str, Any]:
        net = self.network
        return {
            "finflow_version": __version__,
            # the generation time is one line in the header of index.html and report.md,
            # not here: the same data and options give the same results.json bytes
            "network": {"name": net.name, "as_of": net.metadata.get("as_of"),
                        "unit": net.unit_label, "path": net.metadata.get("path"),
                        "entities": net.n, "commitments": len(net.commitments)},
            "options": jsonable(self.options),
            "findings": list(self.findings),
            "assumptions": list(self.assumptions),
            "skipped": [s.to_dict() for s in self.skipped],
            **{k: ({e: c.to_dict() for e, c in v.items()} if k == "contagion"
                   else v.to_dict()) for k, v in self.sections().items()},
            "sources": jsonable(net.metadata.get("sources") or []),
        }


# ---- building ----------------------------------------------------------------------------
def build_report(network: Network, *, status: str | Iterable[str] | None = None,
                 kinds: str | Iterable[str] | None = None,
                 lgd: Mapping[str, float] | Iterable[str] | None = None,
                 rank_model: str = "linear-debtrank", top_systemic: int = 3,
                 top_cycles: int = 10, missing_equity: str | None = None,
                 revenue_growth: float = 0.0, draws: int = 0, seed: int = 0,
                 bff_max: int | None = None, finn_max: int | None = None,
                 progress: Progress | None = None) -> Report:
    """Run every analysis of a network for the report.

    Parameters
    ----------
    network : Network
        Apply :meth:`Network.as_of` first for a past view.
    status, kinds, lgd : the usual filters and LGD overrides, used by every section.
    rank_model : str
        The contagion model of the systemic ranking (default linear DebtRank).
    top_systemic : int
        How many of the most systemic entities get a full contagion run under every
        model.
    top_cycles : int
        How many heaviest cycles are listed.
    missing_equity : {"error", "skip", "zero"}, optional
        The rule for entities without equity (default: the network's own, else
        ``error``).
    revenue_growth : float
        The revenue growth assumption of the timeline.
    draws, seed : int
        With ``draws`` > 0, the report adds how sure each finding is: bands over the
        amount ranges and deal status (:func:`finflow.analysis.uncertainty.uncertainty`
        with that many Monte Carlo draws and that seed), the status scenarios, the
        significance of circularity against degree-preserving random networks and the
        stability of the ranking.
    bff_max, finn_max : int, optional
        The size limits of the balanced-flow-forwarding decomposition (entities on
        cycles) and of Finn's cycling index (largest strongly connected component);
        default: the analysis's own (:func:`finflow.analysis.circularity
        .circular_financing`). An analysis past its limit is left out and named in
        ``Report.skipped`` with the value that would run it.
    progress : callable(str), optional
        Told what is being computed (the CLI prints it on stderr).

    Returns
    -------
    Report
        ``skipped`` lists what was left out. A network without any equity figure (and
        no ``missing_equity`` rule, given or the network's own) gets every analysis that
        does not need equity; the ranking and the contagion runs are left out, and
        ``skipped`` says that an ``equity`` column would fill them. With some equity
        figures missing, the rule applies as in :func:`finflow.contagion` (``error``
        raises :class:`~finflow.errors.MissingDataError`).

    Examples
    --------
    >>> import finflow
    >>> r = build_report(finflow.load("eisenberg_noe_3bank"), missing_equity="skip")
    >>> sorted(r.sections())
    ['concentration', 'contagion', 'cycles', 'overview', 'rank', 'stress', 'timeline']
    """
    say = progress or (lambda message: None)
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    lgd_table = network.lgd(lgd)
    say("overview")
    ov = overview(network, statuses, kind_list)
    say("cycles, circulation and netting")
    limits = {k: v for k, v in (("bff_max_entities", bff_max), ("finn_max_component", finn_max))
              if v is not None}
    cyc = circular_financing(network, top=top_cycles, status=statuses, kinds=kind_list,
                             **limits)
    say("concentration and coverage")
    conc = concentration(network, status=statuses, kinds=kind_list, lgd=lgd_table)
    no_equity = not (missing_equity or network.metadata.get("missing_equity")) \
        and has_no_equity(network)
    skips: list[Skip] = []
    rank, top, runs = None, [], {}
    if no_equity:
        why = ("no entity has a book equity figure, and the contagion models need it as "
               "the loss-absorbing buffer")
        skips += [Skip("rank", "Systemic ranking", why, equity_data(network)),
                  Skip("contagion", "Contagion runs (who falls if one firm cannot pay)", why,
                       equity_data(network))]
    else:
        say(f"systemic ranking ({rank_model})")
        rank = systemic_ranking(network, model=rank_model, lgd=lgd_table, status=statuses,
                                kinds=kind_list, missing_equity=missing_equity,
                                progress=_ticker(say, "systemic ranking", "scenarios"))
        top = [str(i) for i in rank.entities.dropna(subset=["impact"])
               .sort_values("impact_rank")["id"].head(top_systemic)]
        if not top:
            skips.append(Skip(
                "contagion", "Contagion runs (who falls if one firm cannot pay)",
                "--top-systemic 0" if top_systemic == 0 else
                "the ranking found no entity whose default costs the others known equity",
                "--top-systemic N (1 to 20)" if top_systemic == 0 else equity_data(network)))
    for entity in top:
        say(f"contagion: {entity} defaults, every model")
        runs[entity] = contagion(network, [entity], model="all", lgd=lgd_table,
                                 status=statuses, kinds=kind_list,
                                 missing_equity=missing_equity)
    say("timeline and funding gap")
    tl = funding_gap(network, revenue_growth=revenue_growth, status=statuses, kinds=kind_list)
    unc = None
    if draws and draws > 0:
        say(f"uncertainty ({draws:,} draws, seed {seed})")
        unc = uncertainty(network, draws, seed, progress=_ticker(say, "uncertainty", "steps"),
                          status=statuses, kinds=kind_list, lgd=lgd_table,
                          missing_equity=missing_equity, defaults=[top[0]] if top else None)
    else:
        skips.append(Skip("uncertainty", "How sure the findings are (uncertainty bands, "
                          "the null model and the ranking's stability)",
                          "not asked for (--draws 0, the default)",
                          "--draws N, e.g. --draws 1000"))
    report = Report(network=network, overview=ov, cycles=cyc, concentration=conc, rank=rank,
                    contagion=runs, timeline=tl, uncertainty=unc, findings=[], assumptions=[],
                    generated=_dt.datetime.now().isoformat(timespec="seconds"),
                    options={"status": list(statuses), "kinds": list(kind_list),
                             "lgd": lgd_table, "rank_model": rank_model,
                             "top_systemic": top_systemic, "top_cycles": top_cycles,
                             "missing_equity": missing_equity,
                             "revenue_growth": revenue_growth, "draws": draws,
                             "seed": seed if draws else None,
                             "as_of": network.metadata.get("as_of"),
                             "bff_max": bff_max, "finn_max": finn_max})
    report.stress = _stress_section(network, statuses, kind_list, lgd_table, say)
    if report.stress is None:
        skips.append(Skip("stress", "Stress test (who ends up paying)",
                          "the network has no as-of date, and the stress test needs a first "
                          "year", "an `as_of: YYYY-MM-DD` line in the network's network.yaml "
                          "(its first year)"))
    elif no_equity:
        skips.append(Skip("stress", "Solvency defaults in the stress test",
                          "no entity has a book equity figure: firms default only for lack "
                          "of cash", equity_data(network)))
    report.skipped = skips + analysis_skips(report.sections(), network, no_equity)
    report.findings = _findings(report)
    report.assumptions = _assumptions(report)
    return report


#: the most commitments the report's embedded network view draws (the view says how many it
#: left out; ``finflow view`` draws up to 2,000): each costs about 1.5 kB of index.html, so
#: that a big network's page stays near 2 MB (issue 20: outputs that stay small)
REPORT_VIEW_EDGES = 1_000

#: the stress-test scenarios of the report: revenue stalled or growing, each firm able to
#: raise what it raised the year before, maturing debt rolled over
REPORT_STRESS_SCENARIOS = (
    {"name": "stalled revenue", "revenue_growth": 0.0, "new_funding": "last-year",
     "refinance": True},
    {"name": "labs grow 50% a year", "revenue_growth": 0.5, "new_funding": "last-year",
     "refinance": True},
)


def _stress_section(network: Network, statuses, kinds, lgd, say: Progress
                    ) -> StressComparison | None:
    """The stress scenarios side by side, losses through 2030 when the horizon reaches it
    (None for a network without an as_of date: the stress test needs a first year)."""
    as_of = str(network.metadata.get("as_of") or "")
    if not as_of[:4].isdigit():
        return None
    y0 = int(as_of[:4])
    say("stress test: who ends up paying")
    return stress_scenarios(network, REPORT_STRESS_SCENARIOS,
                            loss_year=2030 if y0 <= 2030 <= y0 + 9 else None,
                            status=statuses, kinds=kinds, lgd=lgd)


def _ticker(say: Progress, stage: str, unit: str,
            every: float = 10.0) -> Callable[[int, int], None]:
    """A ``progress(done, total)`` callback that tells ``say`` how far a long stage is,
    at most once every ``every`` seconds (and not at all for a stage that ends sooner)."""
    import time
    started = time.perf_counter()
    last = [started]

    def tick(done: int, total: int) -> None:
        now = time.perf_counter()
        if total and 0 < done < total and now - last[0] >= every:
            last[0] = now
            left = (now - started) / done * (total - done)
            say(f"{stage}: {done:,} of {total:,} {unit} ({done / total:.0%}), about "
                f"{left:.0f} s left")
    return tick


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


def _findings(r: Report) -> list[str]:
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


def _assumptions(r: Report) -> list[str]:
    o = r.options
    out = [f"Statuses counted: {', '.join(o['status'])}; kinds: {', '.join(o['kinds'])}"
           + (f"; as of {o['as_of']}" if o.get("as_of") else "") + ".",
           "Loss given default by kind: " + ", ".join(f"{k} {v:g}" for k, v in o["lgd"].items())
           + " (stress assumptions; see the method in the README).",
           (f"Systemic ranking model: {r.rank.title.split(': ', 1)[-1]}; contagion runs for "
            f"the {len(r.contagion)} most systemic entities under every model."
            if r.rank is not None else "Systemic ranking and contagion: left out (see "
            "What this report leaves out)."),
           "Timeline: revenue " + growth_phrase(o["revenue_growth"], "each entity's") + ".",
           "Firmness: each finding says how much of what it rests on is binding (closed or "
           "committed) and gives the figure on binding deals only; an exposure is a claim at "
           "risk, not a realised loss.",
           (f"Uncertainty: {o['draws']:,} Monte Carlo draws, seed {o['seed']} (the same seed "
            "gives the same bands)." if o.get("draws") else
            "Uncertainty bands not computed (finflow report --draws N adds them)."),
           "Each section's own conventions are listed under it (Conventions)."]
    return out


# ---- writing -----------------------------------------------------------------------------
#: the systemic ranking's seconds at 10,000 entities by model (README, Performance) and
#: the power of n it grows with (fitted to the 30,000-entity reports of issue 21)
_RANK_TIME = {"cascade": (5.0, 1.5), "linear-debtrank": (23.4, 2.7)}


def estimate(network: Network, *, draws: int = 0, top_systemic: int = 3,
             rank_model: str = "linear-debtrank") -> dict[str, float]:
    """A rough size and time of the report of ``network``, from its size alone.

    Returns ``{"megabytes": ..., "seconds": ..., "entities": ..., "commitments": ...}``.

    Notes
    -----
    Size: 1.5 MB (the page and its network view) + 6.3 kB per entity (the per-entity
    tables, above all the timeline's ten years per entity) + 0.1 kB per commitment (the
    pair tables of circulation and Hodge potentials); fitted to the report of a generated
    network of 30,000 entities and 300,000 commitments (226 MB, issue 21). Time, on an
    idle 2-core machine: 5 s + 1.5 ms per entity + 0.1 ms per commitment + the systemic
    ranking, from its measured time at 10,000 entities (5 s as a cascade, 23 s under
    linear DebtRank; the README's Performance table), growing as n^1.5 as a cascade and
    n^2.7 under linear DebtRank (the CPU times of the two 30,000-entity reports: 111 s
    and 571 s) + the uncertainty draws. An order of magnitude, not a promise: the time also grows with
    the cycles and strongly connected components the network has.
    """
    n, m = network.n, len(network.commitments)
    megabytes = 1.5 + n * 6.3e-3 + m * 1.0e-4
    base, power = _RANK_TIME.get(rank_model, _RANK_TIME["linear-debtrank"])
    rank = base * (n / 1e4) ** power
    seconds = 5.0 + n * 1.5e-3 + m * 1.0e-4 + rank + draws * (n + m) * 2e-5
    return {"entities": n, "commitments": m, "megabytes": megabytes, "seconds": seconds}


def write_report(report: Report, out_dir: str | Path, *, force: bool = False,
                 progress: Progress | None = None, csv_raw: bool = False,
                 json_row_cap: int = JSON_ROW_CAP, table_format: str = "auto") -> list[Path]:
    """Write the report folder; returns the paths written.

    Every file goes through :class:`finflow.io.output.OutputFolder`: a folder that exists
    and is not empty is refused unless ``force``; with ``force``, the report's files are
    replaced, the files of a previous report that this one does not write again are
    removed (only those listed in the folder's ``.finflow-manifest.json`` and unchanged
    since), and every other file is kept. Nothing is written through a symbolic link or
    outside the folder; each file is written atomically.

    Tables (:mod:`finflow.report_files`): a table of at most ``json_row_cap`` rows is a
    CSV file and is held whole in results.json; a longer one is a Parquet file, and
    results.json holds a reference to it (file name, format, rows, columns) in its place,
    listed again under ``large_tables``. ``table_format`` ``"csv"`` or ``"parquet"``
    writes every table in that format. The CSVs neutralise text cells a spreadsheet would
    run as formulas (a leading ``'``) unless ``csv_raw``; Parquet holds the values as
    computed.
    """
    say = progress or (lambda message: None)
    folder = OutputFolder(out_dir, force=force, writer="report", require_empty=True,
                          option="-o")
    files = TableFiles(folder, cap=json_row_cap, table_format=table_format, csv_raw=csv_raw)
    stems = table_files_of(report.sections())
    say(f"writing {len(stems)} tables")
    tables = {files.write(stem, frame): frame for stem, frame in stems.items()}
    say("writing index.html")
    folder.write_text("index.html", _html(report, tables))
    say("writing report.md")
    folder.write_text("report.md", _markdown(report, tables))
    say("writing results.json")
    jw = JsonWriter(report, files)
    with folder.open("results.json") as f:
        jw.write(f)
    if jw.large:
        say(f"  {len(jw.large)} tables of more than {json_row_cap:,} rows are files beside "
            "results.json, which names them (large_tables)")
    written = folder.finish()
    if folder.removed:
        say(f"removed {len(folder.removed)} files of the previous report: "
            + ", ".join(folder.removed[:5]) + (" ..." if len(folder.removed) > 5 else ""))
    if folder.kept_stale:
        say(f"kept {len(folder.kept_stale)} files of a previous report that were changed "
            "since: " + ", ".join(folder.kept_stale[:5]))
    return written


# ---- the documents -----------------------------------------------------------------------
_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1180px; padding: 18px 28px 60px; color: #1d1d1d;
       line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.1em; }
h2 { border-bottom: 2px solid #e4e4e4; padding-bottom: 4px; margin-top: 2.2em; }
h3 { margin-top: 1.6em; }
.sub { color: #555; margin-top: 0; }
ol.findings li { margin: 0.45em 0; font-size: 1.05em; }
table.data { border-collapse: collapse; font-size: 0.86em; margin: 0.6em 0 1.2em; }
table.data th, table.data td { padding: 3px 8px; border-bottom: 1px solid #e6e6e6; }
table.data th { background: #f4f6f8; text-align: left; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; }
.note { color: #555; font-size: 0.9em; }
ul.notes li { color: #444; font-size: 0.88em; }
nav a { margin-right: 1em; }
code { background: #f3f3f3; padding: 0 3px; }
.sources li { font-size: 0.85em; margin: 0.2em 0; word-break: break-word; }
"""


def _lines_html(lines: Iterable[str]) -> str:
    return "".join(f"<p>{escape(x)}</p>" for x in lines)


def _notes_html(notes: Iterable[str]) -> str:
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f'<details><summary>Conventions</summary><ul class="notes">{items}</ul></details>'


def _file_link(name: str) -> str:
    """A link to a file of the report folder (a plain name finflow chose, never data)."""
    kind = " (Parquet)" if name.endswith(".parquet") else ""
    return f'<a href="{escape(name)}"><code>{escape(name)}</code></a>{kind}'


def _table_block(frame: pd.DataFrame, csv_name: str | None, limit: int | None = None) -> str:
    shown = frame if limit is None else frame.head(limit)
    more = (f'<p class="note">First {limit} of {len(frame):,} rows'
            + (f"; all in {_file_link(csv_name)}" if csv_name else "") + ".</p>"
            if limit is not None and len(frame) > limit else
            (f'<p class="note">Table: {_file_link(csv_name)}</p>' if csv_name else ""))
    return f'<div class="scroll">{html_table(shown)}</div>{more}'


def _skips_html(skips: Iterable[Skip]) -> str:
    items = "".join(f"<li>{escape(s.sentence())}</li>" for s in skips)
    return f'<ul class="skipped">{items}</ul>' if items else ""


def _result_html(result: Any, tables: Mapping[str, pd.DataFrame], *, limit: int,
                 heading: str = "h3", summary: list[str] | None = None,
                 before_notes: Iterable[str] = (), titled: bool = True) -> str:
    """One result as HTML: its summary sentences, each table (with its CSV's name), any
    extra pieces (charts), then its conventions folded away."""
    parts = [_lines_html(result.summary() if summary is None else summary)]
    for name, frame in result.tables().items():
        if titled:
            parts.append(f"<{heading}>{escape(name.replace('_', ' ').capitalize())}</{heading}>")
        parts.append(_table_block(frame, _csv_name(tables, frame), limit=limit))
    parts.extend(before_notes)
    parts.append(_notes_html(result.notes()))
    return "".join(parts)


def _csv_name(tables: Mapping[str, pd.DataFrame], frame: pd.DataFrame) -> str | None:
    for name, f in tables.items():
        if f is frame:
            return name
    return None


def _charts(r: Report) -> dict[str, str]:
    """The report's pictures: circular share by entity, losses by entity for the most
    systemic entity's default, and the funding-gap chart of the over-committed."""
    out: dict[str, str] = {}
    dec = r.cycles.decomposition
    if dec is not None:
        ent = dec.entities.dropna(subset=["self_financed_share"])
        ent = ent[ent["circular_inflow"] > 0].sort_values("circular_inflow", ascending=False)
        ent = ent.head(15)
        if len(ent):
            out["circular"] = bar_chart_svg(
                list(ent["id"]), list(ent["self_financed_share"]), percent=True,
                title="Share of each entity's inflow that came back round (self-financed)",
                value_label="circular inflow / inflow (balanced flow forwarding); the 15 "
                            "entities with the most circular inflow")
    for ent_id, cmp_ in list(r.contagion.items())[:1]:
        res = cmp_.results.get(r.rank.model) or next(iter(cmp_.results.values()))
        e = res.entities.assign(buffer=res.buffer())
        e = e[(e["loss"].fillna(0) > 0) & (e["id"] != ent_id)]
        e = e.sort_values(["loss", "id"], ascending=[False, True]).head(15)
        if len(e):
            # loss amounts, so that entities of unknown equity are in the picture too
            labels = [f"{i} ({b})" if b != "known" else str(i)
                      for i, b in zip(e["id"], e["buffer"])]
            out["losses"] = bar_chart_svg(
                labels, list(e["loss"]), percent=False,
                marked=list(e["defaulted"].astype(bool)), mark_label="defaults",
                title=f"What each entity loses if {ent_id} defaults ({res.model}), "
                      f"in {r.network.unit_label}",
                value_label="loss amount: equity lost where equity is known (capped at it), "
                            "else the claims lost; the 15 largest")
    for ent_id in r.timeline.over_committed()[:3]:
        try:
            out[f"timeline-{ent_id}"] = timeline_chart_svg(r.timeline, ent_id)
        except FinflowError:
            continue
    return out


def _html(r: Report, tables: Mapping[str, pd.DataFrame]) -> str:
    net = r.network
    title = f"finflow report: {net.name}"
    charts = _charts(r)
    parts: list[str] = []
    add = parts.append
    add(f"<h1>{escape(net.name)}</h1>")
    add(f'<p class="sub">as of {escape(str(net.metadata.get("as_of") or "n/a"))} · '
        f"{net.n} entities, {len(net.commitments)} commitments · amounts in "
        f"{escape(net.unit_label)} · generated {escape(r.generated)} by finflow "
        f"{escape(__version__)}</p>")
    add('<nav><a href="#findings">Findings</a><a href="#cycles">Loops</a>'
        '<a href="#concentration">Dependence</a><a href="#contagion">Contagion</a>'
        '<a href="#rank">Systemic ranking</a><a href="#timeline">Timeline</a>'
        + ('<a href="#stress">Who pays</a>' if r.stress is not None else "")
        + '<a href="#network">Network</a><a href="#assumptions">Assumptions</a>'
        + ('<a href="#skipped">Left out</a>' if r.skipped else "")
        + '<a href="#sources">Sources</a></nav>')
    add('<h2 id="findings">Key findings</h2><ol class="findings">'
        + "".join(f"<li>{escape(f)}</li>" for f in r.findings) + "</ol>")
    desc = net.metadata.get("description")
    if desc:
        add(f'<p class="note">{escape(str(desc))}</p>')
    if r.skipped:
        add('<h2 id="skipped">What this report leaves out</h2>')
        add("<p>Each analysis below was not run; the option or the data that would run it "
            "follows each one (results.json lists them under <code>skipped</code>).</p>")
        add(_skips_html(r.skipped))

    cyc = r.cycles
    add('<h2 id="cycles">Where the money goes round</h2>')
    add(_result_html(cyc, tables, limit=25,
                     before_notes=[charts["circular"]] if "circular" in charts else []))

    add('<h2 id="concentration">Who depends on whom</h2>')
    add(_result_html(r.concentration, tables, limit=25))

    add('<h2 id="contagion">Who falls if one firm cannot pay</h2>')
    add(_skips_html(r.skips("contagion")))
    if r.contagion:
        add(f"<p>The {len(r.contagion)} most systemic entities of the ranking below, each "
            "defaulting alone, under every model side by side.</p>")
    if "losses" in charts:
        add(charts["losses"])
    for ent_id, cmp_ in r.contagion.items():
        add(f"<h3>If {escape(ent_id)} defaults</h3>")
        add(_result_html(cmp_, tables, limit=20, heading="h4"))

    add('<h2 id="rank">Systemic ranking</h2>')
    add(_skips_html(r.skips("rank")))
    if r.rank is not None:
        add(_result_html(r.rank, tables, limit=30, titled=False))

    tl = r.timeline
    add('<h2 id="timeline">When the money runs out</h2>')
    add(_lines_html(tl.summary()[:8]))
    for key, svg in charts.items():
        if key.startswith("timeline-"):
            add(svg)
    ent_frame = tl.tables()["entities"]
    add(_table_block(ent_frame, _csv_name(tables, ent_frame), limit=20))
    add(_notes_html(tl.notes()))

    if r.uncertainty is not None:
        add('<h2 id="uncertainty">How sure are these findings</h2>')
        add(_result_html(r.uncertainty, tables, limit=25))

    if r.stress is not None:
        add('<h2 id="stress">Who ends up paying: the stress test</h2>')
        add(_skips_html(r.skips("stress")))
        add(_result_html(r.stress, tables, limit=25, before_notes=[
            stress_chart_svg(res) for res in r.stress.results.values()]))

    add('<h2 id="network">The network</h2>')
    add('<p class="note">The explorer: filter by kind and type (the legend), status, '
        'confidence, amount and date; search a firm or click one for its deals and '
        'sources; pick a loop from the cycle list; step through the most systemic '
        'entity\'s default round by round; "Link to this view" keeps what you see. Drag '
        'to move, scroll to zoom.</p>')
    add(view_html(net, status=r.options["status"], kinds=r.options["kinds"], full=False,
                  max_edges=REPORT_VIEW_EDGES, element_id="report-network", cycles=list(r.cycles.cycles[:5]),
                  contagion=next((c.results.get(r.options.get("rank_model", "linear-debtrank"))
                                  for c in r.contagion.values()), None)))

    add('<h2 id="assumptions">Assumptions</h2><ul>'
        + "".join(f"<li>{escape(a)}</li>" for a in r.assumptions) + "</ul>")
    add(_sources_html(net))
    body = "\n".join(parts)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
            f"<body>\n{body}\n</body></html>\n")


def _sources_html(net: Network) -> str:
    sources = net.metadata.get("sources") or []
    if not sources:
        return ('<h2 id="sources">Sources</h2><p class="note">The network names no sources; '
                "see the source column of its files.</p>")
    items = []
    for s in sources:
        if isinstance(s, Mapping):
            sid = s.get("id", "")
            text = " · ".join(str(s[k]) for k in ("publisher", "title", "date") if s.get(k))
            url = s.get("url")
            items.append(f"<li><b>{escape(str(sid))}</b> {escape(text)}"
                         + (f" <code>{escape(str(url))}</code>" if url else "") + "</li>")
        else:
            items.append(f"<li>{escape(str(s))}</li>")
    return ('<h2 id="sources">Sources</h2><p class="note">Addresses are given as text: the '
            'report loads nothing from the network.</p><ol class="sources">'
            + "".join(items) + "</ol>")


def _md_code(text: Any) -> str:
    """``text`` as a Markdown code span (never a link, never HTML): fenced with one more
    backtick than its longest run of backticks (CommonMark 6.1), control characters
    removed."""
    body = terminal_text(text, keep_newlines=False)
    fence = "`" * (1 + max((len(m) for m in re.findall(r"`+", body)), default=0))
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"


def _markdown(r: Report, tables: Mapping[str, pd.DataFrame]) -> str:
    """report.md; every piece of data text goes through :func:`finflow.render.md_text`
    (names, findings, notes, sources: no HTML or link syntax from a data file survives),
    and source addresses are code spans, never links."""
    t = md_text
    net = r.network
    md: list[str] = [f"# {t(net.name)}", "",
                     f"As of {t(net.metadata.get('as_of') or 'n/a')}; {net.n} entities, "
                     f"{len(net.commitments)} commitments; amounts in {t(net.unit_label)}; "
                     f"generated {r.generated} by finflow {__version__}. The interactive "
                     "network view and the charts are in `index.html`.", "",
                     "## Key findings", ""]
    md += [f"{k}. {t(f)}" for k, f in enumerate(r.findings, 1)]
    if r.skipped:
        md.extend(["", "## What this report leaves out", "",
                   "Each analysis below was not run; the option or the data that would run it "
                   "follows each one (results.json lists them under `skipped`).", ""])
        md.extend(f"- {t(s.sentence())}" for s in r.skipped)

    def skipped(name: str) -> None:
        md.extend(f"- Left out: {t(s.sentence())}" for s in r.skips(name))

    def section(title: str, result: Any, limit: int = 25, skips: str = "") -> None:
        md.extend(["", f"## {t(title)}", ""])
        skipped(skips)
        if result is None:
            return
        md.extend(f"- {t(line)}" for line in result.summary())
        for name, frame in result.tables().items():
            csv = _csv_name(tables, frame)
            md.extend(["", f"### {t(name.replace('_', ' ').capitalize())}", ""])
            md.append(markdown_table(frame.head(limit)))
            if csv:
                # the file names are finflow's own (safe slugs), never data text
                link = f"[`{csv}`]({csv})" + (" (Parquet)" if csv.endswith(".parquet") else "")
                md.extend(["", f"First {limit} of {len(frame):,} rows; all in {link}."
                           if len(frame) > limit else f"Table: {link}."])
        notes = result.notes()
        if notes:
            md.extend(["", "Conventions:", ""])
            md.extend(f"- {t(n)}" for n in notes)

    section("Where the money goes round", r.cycles)
    section("Who depends on whom", r.concentration)
    if not r.contagion:
        section("Who falls if one firm cannot pay", None, skips="contagion")
    for ent_id, cmp_ in r.contagion.items():
        section(f"If {ent_id} defaults", cmp_, limit=20)
    section("Systemic ranking", r.rank, limit=30, skips="rank")
    section("When the money runs out", r.timeline, limit=20)
    if r.uncertainty is not None:
        section("How sure are these findings", r.uncertainty, limit=25)
    if r.stress is not None:
        section("Who ends up paying: the stress test", r.stress, limit=25, skips="stress")
    md.extend(["", "## Assumptions", ""])
    md.extend(f"- {t(a)}" for a in r.assumptions)
    sources = net.metadata.get("sources") or []
    if sources:
        md.extend(["", "## Sources", ""])
        for s in sources:
            if isinstance(s, Mapping):
                text = " · ".join(t(s[k]) for k in ("publisher", "title", "date") if s.get(k))
                url = f" {_md_code(s['url'])}" if s.get("url") else ""
                md.append(f"- **{t(s.get('id', ''))}** {text}{url}".rstrip())
            else:
                md.append(f"- {t(s)}")
    return "\n".join(md) + "\n"
