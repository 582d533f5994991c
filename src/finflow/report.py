"""``finflow report``: every analysis of a network in one folder.

:func:`build_report` runs the analyses once and keeps their result objects;
:func:`write_report` renders those same objects into ``index.html`` (self-contained,
offline: key findings in plain sentences, tables, charts, the interactive network view,
the assumptions and the sources), ``report.md``, ``results.json`` and a file per table
(CSV up to 1,000 rows, Parquet past it: :mod:`finflow.report_files`). Every number in the
three documents comes from the same result objects: nothing is computed twice. The key
findings are written by :mod:`finflow.report_text`; every analysis the report leaves out
is named, with what would run it, by :mod:`finflow.report_skips`.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

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
from .render import html_table, markdown_table, md_text, terminal_text
from .report_files import JSON_ROW_CAP, TABLE_FORMATS, JsonWriter, TableFiles, table_files_of
from .report_skips import Skip, analysis_skips, equity_data, has_no_equity
from .report_text import BINDING, CAVEATS, findings
from .results import jsonable
from .stress_chart import stress_chart_svg
from .timeline_chart import timeline_chart_svg
from .view import view_html
from .netcheck import ensure_network

__all__ = ["Report", "build_report", "write_report", "estimate", "REPORT_FILES",
           "JSON_ROW_CAP", "TABLE_FORMATS", "REPORT_VIEW_EDGES", "CAVEATS", "BINDING"]

#: the files every report writes (a CSV or Parquet file per table comes on top)
REPORT_FILES = ("index.html", "report.md", "results.json")

Progress = Callable[[str], None]

#: (id of a result, name of one of its tables) -> the file that holds the table
Links = Mapping[tuple[int, str], str]


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
    ensure_network(network, "build_report")
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
    report.findings = findings(report)
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
    Size: 1.5 MB (the page, its scripts and the short tables) + 1 kB per commitment the
    network view draws (at most :data:`REPORT_VIEW_EDGES`) + 1.6 kB per entity (the
    per-entity tables, Parquet past 1,000 rows, above all the timeline's ten years per
    entity) + 0.03 kB per commitment (the pair tables of circulation and Hodge
    potentials); fitted to the reports of the bundled network (2.0 MB) and of a generated
    network of 5,000 entities and 50,000 commitments (13.3 MB, issue 20). Time, on an
    idle 2-core machine: 5 s + 1.5 ms per entity + 0.1 ms per commitment + the systemic
    ranking, from its measured time at 10,000 entities (5 s as a cascade, 23 s under
    linear DebtRank; the README's Performance table), growing as n^1.5 as a cascade and
    n^2.7 under linear DebtRank (the CPU times of the two 30,000-entity reports: 111 s
    and 571 s) + the uncertainty draws. An order of magnitude, not a promise: the time also grows with
    the cycles and strongly connected components the network has.
    """
    n, m = network.n, len(network.commitments)
    megabytes = 1.5 + min(m, REPORT_VIEW_EDGES) * 1.0e-3 + n * 1.6e-3 + m * 3.0e-5
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
    # the tables' file names first (CSV or Parquet), so that the pages can link them
    tables: Links = {(id(result), name): files.plan(stem, frame)
                     for stem, result, name, frame in table_files_of(report.sections())}
    say("writing index.html")
    folder.write_text("index.html", _html(report, tables))
    say("writing report.md")
    folder.write_text("report.md", _markdown(report, tables))
    say(f"writing {len(tables)} tables")
    files.flush()
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


def _result_html(result: Any, tables: Links, *, limit: int,
                 heading: str = "h3", summary: list[str] | None = None,
                 before_notes: Iterable[str] = (), titled: bool = True) -> str:
    """One result as HTML: its summary sentences, each table (with its CSV's name), any
    extra pieces (charts), then its conventions folded away."""
    parts = [_lines_html(result.summary() if summary is None else summary)]
    for name, frame in result.tables().items():
        if titled:
            parts.append(f"<{heading}>{escape(name.replace('_', ' ').capitalize())}</{heading}>")
        parts.append(_table_block(frame, _csv_name(tables, result, name), limit=limit))
    parts.extend(before_notes)
    parts.append(_notes_html(result.notes()))
    return "".join(parts)


def _csv_name(tables: Links, result: Any, name: str) -> str | None:
    """The file of a result's table, if the report wrote one."""
    return tables.get((id(result), name))


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


def _html(r: Report, tables: Links) -> str:
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
    add(_table_block(ent_frame, _csv_name(tables, tl, "entities"), limit=20))
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


def _markdown(r: Report, tables: Links) -> str:
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
            csv = _csv_name(tables, result, name)
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
