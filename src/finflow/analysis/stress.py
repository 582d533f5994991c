"""Who ends up paying: a year-by-year stress test from the funding gap to defaults, with
every loss traced to the holder that bears it (issue 18).

:func:`stress` joins the two halves finflow already has: the obligation schedule of
:func:`finflow.analysis.timeline.schedule` (when each payment falls due) and the default
cascade of :mod:`finflow.analysis.contagion` (who loses when whom defaults). Each year
every entity pays what falls due from its cash, its revenue and the inflows it actually
receives; one that cannot, after the new funding the rule allows, defaults that year; its
cash goes to its creditors by seniority, the rest of their claims is lost by kind and LGD,
and those losses can default further entities in the same year (threshold cascade).
Survivors carry their cash to the next year.

:func:`stress_scenarios` runs named scenarios side by side; :func:`read_scenarios` reads
them from a CSV file. The required revenue growth of the labs (bisection) is part of
every :class:`StressResult`.

The simulation itself (arrays, one run, claims, seniority) is in
:mod:`finflow.analysis.stress_engine`, which also keeps the reading of the external-holder
columns of the network-v2 format (``external``, ``holder_class``) to
:func:`_external_mask` and :func:`_holder_class` until the network-v2 accessors are
merged.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import FinflowError
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from .timeline import growth_phrase, parse_growth, read_projections
from .stress_engine import (FUNDING_RULES, HOLDER_CLASSES, MODELS, SENIORITY, TYPE_CLASS,
                            _TRUE, _FALSE, _Run, _Web, _prepare, _revenue, _simulate, _year_of)
from .stress_engine import _external_mask, _holder_class  # noqa: F401  (the v2 columns)
from ..netcheck import ensure_network

__all__ = [
    "HOLDER_CLASSES",
    "TYPE_CLASS",
    "FUNDING_RULES",
    "MODELS",
    "SENIORITY",
    "StressResult",
    "StressComparison",
    "stress",
    "stress_scenarios",
    "read_scenarios",
    "parse_funding",
]

# ---- options ---------------------------------------------------------------------------
def parse_funding(rule: str | None) -> tuple[str, float]:
    """A new-funding rule as ``(name, share)``: ``none``, ``unlimited``, ``last-year`` or
    ``valuation[:SHARE]`` (SHARE as 0.1 or 10%, default 0.1).

    >>> parse_funding("valuation:5%"), parse_funding(None), parse_funding("last-year")
    (('valuation', 0.05), ('none', 0.0), ('last-year', 0.0))
    """
    text = (rule or "none").strip().lower().replace("_", "-")
    name, _, arg = text.replace("=", ":").partition(":")
    name = name.strip()
    if name not in FUNDING_RULES:
        raise FinflowError(f"--new-funding: unknown rule {rule!r}; choose from none, "
                           "valuation:SHARE, last-year, unlimited")
    if name != "valuation":
        if arg:
            raise FinflowError(f"--new-funding {name} takes no value (got {rule!r})")
        return name, 0.0
    share = 0.1
    if arg.strip():
        try:
            a = arg.strip()
            share = float(a[:-1]) / 100 if a.endswith("%") else float(a)
        except ValueError:
            raise FinflowError(f"--new-funding: {arg!r} is not a share (use 0.1 or 10%)") from None
    if not math.isfinite(share) or share < 0:
        raise FinflowError(f"--new-funding: the share {arg!r} must be a number >= 0")
    return name, share


def _funding_text(rule: tuple[str, float]) -> str:
    name, share = rule
    if name == "valuation":
        return f"valuation:{share:g} (up to {share:.0%} of its valuation a year)"
    return f"{name} ({FUNDING_RULES[name]})"


def _parse_years(years: str | Sequence[int] | None, network: Network) -> tuple[int, int]:
    if years is None:
        y0 = _year_of(network.metadata.get("as_of"))
        if y0 is None:
            raise FinflowError("the network has no as_of date: give the years, e.g. "
                               "--years 2026-2035")
        return y0, y0 + 9
    if isinstance(years, str):
        a, sep, b = years.strip().partition("-")
        try:
            y0, y1 = int(a), int(b) if sep else int(a)
        except ValueError:
            raise FinflowError(f"--years: {years!r} is not YEAR-YEAR (e.g. 2026-2035)") from None
    else:
        y0, y1 = int(years[0]), int(years[-1])
    if y0 > y1:
        raise FinflowError(f"--years: the first year ({y0}) is after the last ({y1})")
    return y0, y1


# ---- the result --------------------------------------------------------------------------
_LEDGER_COLUMNS = ["year", "round", "debtor", "creditor", "commitment", "kind", "channel",
                   "claim", "recovered", "shortfall", "lgd", "loss"]


@dataclass(frozen=True)
class StressResult(Result):
    """A year-by-year stress test: who defaults when, and who bears the losses.

    Tables: ``defaults`` (entity, holder_class, year, cause, round, cash shared out to
    its creditors, what it owed them, what they did not recover, the losses it caused
    after LGD), ``holders`` (per entity: cash received from and paid to the web over the
    years, new funding raised, cash recovered from defaulted debtors, shortfall before
    LGD, loss after LGD), ``classes`` (the same per holder class), ``cumulative_losses``
    (year x holder class, cumulative loss after LGD), ``years`` (per year: defaults,
    payments made, new funding, losses), ``required_revenue`` (the lab revenue path at
    the required growth or scale, beside the revenue of the first year under the
    scenario) and ``ledger`` (one row per claim on a defaulted entity).
    """

    network: str
    unit: str
    as_of: str | None
    scenario: str
    from_year: int
    to_year: int
    loss_year: int
    revenue: str
    revenue_growth: float
    scale: float
    grow_classes: tuple[str, ...]
    new_funding: str
    model: str
    seniority: str
    missing_cash: str
    refinance: bool
    revenue_share: float
    lgd: dict
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    skipped: tuple[str, ...]
    unscheduled: int
    first_default: tuple[str, ...]
    first_default_year: int | None
    requirement: dict
    rules: dict
    defaults: pd.DataFrame = field(repr=False)
    holders: pd.DataFrame = field(repr=False)
    classes: pd.DataFrame = field(repr=False)
    cumulative_losses: pd.DataFrame = field(repr=False)
    years: pd.DataFrame = field(repr=False)
    required_revenue: pd.DataFrame = field(repr=False)
    ledger: pd.DataFrame = field(repr=False)
    cumulative_received: pd.DataFrame = field(repr=False)
    title: str = "Stress test: who ends up paying"

    def to_frame(self) -> pd.DataFrame:
        return self.holders

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"defaults": self.defaults, "losses_by_holder_class": self.classes,
                "cumulative_losses_by_year": self.cumulative_losses,
                "holders": self.holders, "years": self.years,
                "required_revenue": self.required_revenue, "ledger": self.ledger,
                "cumulative_received_by_year": self.cumulative_received}

    def class_loss(self, year: int | None = None) -> dict[str, float]:
        """Cumulative loss after LGD per holder class by the end of ``year`` (default:
        :attr:`loss_year`)."""
        y = self.loss_year if year is None else year
        cum = self.cumulative_losses
        row = cum[cum["year"] <= y].tail(1)
        if row.empty:
            return {c: 0.0 for c in cum.columns if c not in ("year", "total")}
        return {c: float(row[c].iloc[0]) for c in cum.columns if c not in ("year", "total")}

    def class_received(self, holder_class: str, year: int | None = None) -> float:
        """Cash the entities of a holder class received from the web from the first year
        through ``year`` (default: :attr:`loss_year`)."""
        y = self.loss_year if year is None else year
        cum = self.cumulative_received
        row = cum[cum["year"] <= y].tail(1)
        if row.empty or holder_class not in cum.columns:
            return 0.0
        return float(row[holder_class].iloc[0])

    def summary(self) -> list[str]:
        u = self.unit
        grow = ", ".join(self.grow_classes)
        lines = [f"Scenario {self.scenario}: {self.from_year}-{self.to_year}, amounts in {u}"
                 + (f", as of {self.as_of}" if self.as_of else "") + f"; revenue of {grow} "
                 + ((f"from {self.revenue}" + (f" grown {self.revenue_growth:.0%} a year"
                                                if self.revenue_growth else ""))
                    if self.revenue != "latest figure" else
                    growth_phrase(self.revenue_growth).replace(" from its latest figure",
                                                                " from the latest figure"))
                 + (f" and scaled by {self.scale:g}" if self.scale != 1 else "")
                 + (f"; {self.revenue_share:.0%} of every firm's revenue counted"
                    if self.revenue_share < 1 else "")
                 + f"; new funding {self.new_funding.split(' (')[0]}."]
        d = self.defaults
        if d.empty:
            lines.append(f"Nobody defaults through {self.to_year}.")
        else:
            lines.append(f"First to fail: {', '.join(self.first_default)} in "
                         f"{self.first_default_year}, short of cash; {len(d)} default"
                         f"{'s' if len(d) != 1 else ''} in all.")
            for y, g in d.groupby("year", sort=True):
                lines.append(f"{int(y)}: " + ", ".join(
                    f"{e} ({c}" + (f", after {v}" if v else "") + ")"
                    for e, c, v in zip(g["entity"], g["cause"], g["via"])) + ".")
        losses = {k: v for k, v in self.class_loss().items() if v > 0}
        if losses:
            lines.append(f"Losses by {self.loss_year} (after LGD): " + ", ".join(
                f"{k} {format_number(v)}" for k, v in sorted(losses.items(),
                                                             key=lambda kv: -kv[1])) + ".")
        chip = self.class_received("chipmakers")
        cl = self.classes.set_index("holder_class")
        before = float(cl.loc["chipmakers", "received_before"]) if "chipmakers" in cl.index else 0.0
        if chip > 0 or before > 0:
            lines.append(f"Chipmakers were paid {format_number(before)} {u} by the web before "
                         f"{self.from_year} (funded parts included) and {format_number(chip)} "
                         f"in {self.from_year}-{self.loss_year}.")
        req = self.requirement
        if req.get("value") is not None:
            what = "growth" if req["variable"] == "growth" else "scale factor"
            v = req["value"]
            text = f"{v:.1%} a year" if what == "growth" else f"{v:.3g}x the given path"
            now = (f" (current {grow} revenue {format_number(req['current'])} {u})"
                   if req.get("current") else "")
            if req.get("at_bound"):
                low = "falling 90% a year" if what == "growth" else "at zero"
                lines.append(f"Revenue it would take: nobody defaults through {self.to_year} "
                             f"even with {grow} revenue {low}{now}.")
            else:
                lines.append(f"Revenue it would take: {grow} revenue {what} of {text} for "
                             f"nobody to default through {self.to_year}{now}.")
        elif req.get("reason"):
            lines.append(f"Revenue it would take: {req['reason']}.")
        return lines

    def notes(self) -> list[str]:
        lgd = ", ".join(f"{k} {v:g}" for k, v in self.lgd.items() if k != "other")
        out = [
            f"years: {self.from_year}-{self.to_year}, each counted whole; payments fall due "
            f"by the timeline schedule (rules: "
            + "; ".join(f"{k} {v}" for k, v in self.rules.items())
            + "); payments before the first year and funded parts count as made and are not "
              "in the cash flows",
            f"revenue: {', '.join(self.grow_classes)} "
            + growth_phrase(self.revenue_growth, "each entity's").replace(
                "latest figure", "latest revenue figure")
            + (f" (x{self.scale:g})" if self.scale != 1 else "")
            + ", dated by its as_of year"
            + (f"; per-year paths from {self.revenue} replace it where given" if
               self.revenue != "latest figure" else "")
            + "; every other entity's revenue is held at its latest figure; "
            + (f"{self.revenue_share:.0%} of each entity's revenue is available for its "
               "commitments" if self.revenue_share < 1 else
               "all revenue is available for the commitments: revenue is not profit, other "
               "costs are ignored (--revenue-share for a margin), so defaults here are late, "
               "not early"),
            "cash: the entity's cash figure, available at the start of the first year; a "
            "missing cash figure is zero when revenue is known; missing cash rule "
            f"{self.missing_cash} (auto: an SPV with neither figure lives on its contracted "
            "inflows; any other entity with neither is skipped: assumed to pay as due)"
            + (f"; skipped: {', '.join(self.skipped)}" if self.skipped else ""),
            "each year an entity pays what falls due from cash + revenue + the inflows it "
            "actually receives from counterparties still standing; a shortfall beyond the "
            f"new funding allowed defaults it that year (liquidity); new funding: "
            f"{self.new_funding}, drawn only as needed; survivors carry their cash forward",
            "a defaulted entity pays and receives nothing from its default year on; every "
            "later contract with it lapses",
            f"seniority: {SENIORITY[self.seniority]}; the defaulted entity's cash at hand "
            "(cash carried + that year's revenue) is shared out, the rest of each claim is "
            "the shortfall (before LGD)",
            "claims on a defaulted entity: contracts it buys under (the unpaid remainder, "
            "after the horizon too), loans to it (principal drawn minus repaid), equity and "
            "warrants (what was paid in); funding it had still to pay out (loans to draw, "
            "equity to invest) is withdrawn: a missed inflow with no credit loss",
            ("principal falling due on loans, bonds and credit is refinanced (rolled over) "
             "while the borrower stands; the lender's claim stays outstanding" if self.refinance
             else "principal falling due on loans, bonds and credit must be repaid in cash "
                  "(no refinancing; --refinance rolls it over)"),
            f"loss after LGD = shortfall x LGD of the kind ({lgd}); backstops are contingent "
            "and not modelled; interest is ignored",
            f"within-year propagation: {MODELS[self.model]}; capital = book equity (an "
            "entity without an equity figure defaults only for lack of cash); losses "
            "accumulate over the years",
            "external holders (column external; type market by default) never default, "
            "always pay and carry no cash account; their losses are reported by holder "
            "class (column holder_class, else from the type)",
            f"statuses: {', '.join(self.statuses)}; kinds: {', '.join(self.kinds)}"
            + (f"; {self.unscheduled} commitments are not (wholly) placed in time: "
               "contingent backstops, rows without a date or an amount are left out, and a "
               "loan without an end is drawn but never falls due (`finflow timeline` lists "
               "them)" if self.unscheduled else ""),
            "revenue it would take: the smallest constant growth (or scale factor on the "
            "given paths) of the grown classes' revenue for which nobody defaults through "
            "the last year, found by bisection; valid because when nobody defaults every "
            "scheduled payment is made whatever the revenue, and more revenue leaves every "
            "entity at least as much cash, so no-default at one level implies no-default at "
            "every higher level",
        ]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network, "unit": self.unit, "as_of": self.as_of,
            "scenario": self.scenario, "from_year": self.from_year, "to_year": self.to_year,
            "loss_year": self.loss_year, "revenue": self.revenue,
            "revenue_growth": self.revenue_growth, "scale": self.scale,
            "grow_classes": list(self.grow_classes), "new_funding": self.new_funding,
            "model": self.model, "seniority": self.seniority,
            "missing_cash": self.missing_cash, "refinance": self.refinance,
            "revenue_share": self.revenue_share,
            "lgd": jsonable(self.lgd),
            "statuses": list(self.statuses), "kinds": list(self.kinds),
            "skipped": list(self.skipped), "unscheduled": self.unscheduled,
            "first_default": list(self.first_default),
            "first_default_year": self.first_default_year,
            "requirement": jsonable(self.requirement), "rules": dict(self.rules),
            "class_loss": jsonable(self.class_loss()),
            **{name: records(frame) for name, frame in self.tables().items()},
            "summary": self.summary(), "notes": self.notes(),
        }


# ---- the analysis ------------------------------------------------------------------------
def _paths(network: Network, revenue) -> tuple[dict[str, dict[int, float]], str]:
    """Revenue paths as ``{entity: {year: revenue}}`` and a label."""
    if revenue is None:
        return {}, "latest figure"
    if isinstance(revenue, (str, Path)):
        frame, label = read_projections(revenue), str(revenue)
    elif isinstance(revenue, pd.DataFrame):
        missing = [c for c in ("entity", "year", "revenue") if c not in revenue.columns]
        if missing:
            raise FinflowError(f"revenue paths: missing column(s) {', '.join(missing)}")
        frame, label = revenue, "the paths given"
    else:
        frame = pd.DataFrame([(e, y, v) for e, p in dict(revenue).items() for y, v in p.items()],
                             columns=["entity", "year", "revenue"])
        label = "the paths given"
    unknown = sorted(set(map(str, frame["entity"])) - set(network.index))
    if unknown:
        raise FinflowError(f"revenue paths: unknown entit{'y' if len(unknown) == 1 else 'ies'} "
                           f"{', '.join(unknown)} (see `finflow show` for the ids)")
    out: dict[str, dict[int, float]] = {}
    for e, y, v in zip(frame["entity"], frame["year"], frame["revenue"]):
        out.setdefault(str(e), {})[int(y)] = float(v)
    return out, label


def _grow_mask(web: _Web, grow: Iterable[str]) -> tuple[np.ndarray, tuple[str, ...]]:
    chosen = tuple(dict.fromkeys(str(g).strip().lower() for g in
                                 ([grow] if isinstance(grow, str) else grow) if str(g).strip()))
    bad = [g for g in chosen if g not in HOLDER_CLASSES]
    if bad:
        raise FinflowError(f"--grow: unknown holder class {', '.join(map(repr, bad))}; choose "
                           f"from {', '.join(HOLDER_CLASSES)}")
    if not chosen:
        raise FinflowError("--grow: name at least one holder class (e.g. labs)")
    return np.isin(web.cls, chosen), chosen


def _requirement(web: _Web, grow: np.ndarray, grow_names: tuple[str, ...],
                 revenue_at, funding, model: str, seniority: str, variable: str
                 ) -> tuple[dict, pd.DataFrame]:
    """Bisection for the smallest growth (or scale) with no default (see :func:`stress`)."""
    lo, hi = (-0.9, 10.0) if variable == "growth" else (0.0, 1000.0)
    base = revenue_at(lo if variable == "growth" else 1.0)
    current = float(np.sum(np.where(grow & web.modelled, web.rev_base, 0.0)))
    req: dict[str, Any] = {"variable": variable, "value": None, "current": current,
                           "bounds": [lo, hi], "at_bound": False, "reason": None,
                           "still_default": []}
    empty = pd.DataFrame(columns=["entity", "year", "revenue_now", "required_revenue"])
    if not (grow & web.modelled & (np.abs(base).sum(axis=1) > 0)).any():
        req["reason"] = (f"no entity of {', '.join(grow_names)} has a revenue figure, so no "
                         "revenue growth changes the outcome")
        return req, empty

    def nobody(x: float) -> bool:
        run = _simulate(web, revenue_at(x), funding, model, seniority, stop_at_first=True)
        return not (run.default_year >= 0).any()

    if not nobody(hi):
        run = _simulate(web, revenue_at(hi), funding, model, seniority, stop_at_first=True)
        who = list(web.ids[run.default_year >= 0])
        req["still_default"] = who
        top = "1,000% a year" if variable == "growth" else "1,000 times the given path"
        req["reason"] = (f"no {variable} up to {top} is enough: {', '.join(who)} still "
                         f"default{'s' if len(who) == 1 else ''} in "
                         f"{int(run.default_year[run.default_year >= 0].min())}")
        return req, empty
    if nobody(lo):
        value = lo
        req["at_bound"] = True
    else:
        a, b = lo, hi
        for _ in range(60):
            mid = (a + b) / 2
            if nobody(mid):
                b = mid
            else:
                a = mid
            if b - a <= 1e-9 * max(1.0, abs(b)):
                break
        value = b
    req["value"] = value
    need = revenue_at(value)
    rows = np.flatnonzero(grow & web.modelled & (np.abs(need).sum(axis=1) > 0))
    years = np.arange(web.y0, web.y1 + 1)
    table = pd.DataFrame({
        "entity": np.repeat(web.ids[rows], len(years)),
        "year": np.tile(years, len(rows)).astype(np.int64),
        "revenue_now": np.repeat(web.rev_base[rows], len(years)),
        "required_revenue": need[rows].ravel(),
    })
    return req, table


def stress(network: Network, *, revenue_growth: float | str = 0.0,
           revenue: str | Path | pd.DataFrame | Mapping | None = None, scale: float = 1.0,
           years: str | Sequence[int] | None = None, new_funding: str = "none",
           model: str = "cascade", seniority: str = "absolute",
           grow: Iterable[str] | str = ("labs",), other_growth: float | str = 0.0,
           loss_year: int | None = None, lgd=None, status=None, kinds=None, rules=None,
           missing_cash: str = "auto", refinance: bool = False,
           revenue_share: float = 1.0, requirement: bool = True,
           scenario: str = "main") -> StressResult:
    """Year-by-year stress test: when each firm runs out of money, what its failure does
    that year and the next, and who ends up bearing the losses.

    Parameters
    ----------
    network : Network
        Apply :meth:`Network.as_of` first for a past view.
    revenue_growth : float or str, default 0
        Constant yearly growth of the revenue of the ``grow`` classes (``0.5`` or
        ``"50%"``), from each entity's latest revenue figure and its ``as_of`` year.
    revenue : path, DataFrame or mapping, optional
        Per-year revenue paths (columns entity, year, revenue, as for ``finflow
        timeline --projections``); they replace the grown figure where given, and later
        years grow from the last value.
    scale : float, default 1
        Factor on the revenue of the ``grow`` classes (for a given path).
    years : "YYYY-YYYY" or (first, last), optional
        The horizon (default: the network's as_of year and the nine after it).
    new_funding : str, default "none"
        ``none``, ``valuation:SHARE`` (up to SHARE of the valuation a year),
        ``last-year`` (up to what the entity raised the year before) or ``unlimited``.
    model : {"cascade", "liquidity"}
        Within-year propagation of credit losses (:data:`MODELS`).
    seniority : {"absolute", "pari-passu"}
        How a defaulted entity's cash is shared among its claimants (:data:`SENIORITY`).
    grow : holder classes, default ("labs",)
        Whose revenue ``revenue_growth`` and ``scale`` apply to; every other entity's
        revenue grows at ``other_growth`` (default: held at its latest figure).
    other_growth : float or str, default 0
        Constant yearly growth of every other entity's revenue (``0.05`` or ``"5%"``;
        0 holds it at its latest figure).
    loss_year : int, optional
        The year of the headline losses (default: the last year).
    lgd, status, kinds, rules
        LGD overrides, status and kind filters, schedule rules (as for
        :func:`finflow.analysis.timeline.funding_gap`).
    missing_cash : {"auto", "skip", "zero"}
        Entities with neither a cash nor a revenue figure: ``skip`` assumes they pay as
        due; ``zero`` gives them nothing but their inflows; ``auto`` (default) does
        ``zero`` for SPVs (pass-through vehicles) and ``skip`` for the rest.
    refinance : bool, default False
        Principal falling due on loans, bonds and credit is rolled over while the
        borrower stands (no cash moves; the claim stays outstanding) instead of being
        repaid in cash.
    revenue_share : float in [0, 1], default 1
        The share of every entity's revenue available for its commitments (1: all of
        it, as ``finflow timeline`` counts it; an operating margin is a stricter
        reading, since revenue is not profit).
    requirement : bool, default True
        Also find the revenue growth (or scale) it would take for nobody to default.
    scenario : str
        A name for the run (shown in tables).

    Returns
    -------
    StressResult

    Raises
    ------
    FinflowError
        Bad years, rule, model, seniority, growth, class or revenue paths.

    Notes
    -----
    Each year t of the horizon, in rounds until nothing changes:

    1. Every standing entity i owes ``out_i`` (the schedule's payments, principal paid
       out and principal due in year t, to counterparties still standing) and receives
       ``in_i`` from standing counterparties. Its shortfall is ``out_i - (cash_i +
       revenue_i(t) + in_i)``. An entity whose shortfall exceeds the new funding the rule
       allows defaults in year t (the liquidity channel: an entity fails for want of
       cash, not of capital; Kapadia, Drehmann, Elliott and Sterne 2013; Cont and
       Schaanning 2017).
    2. A defaulted entity pays and receives nothing from year t on. Its cash at hand
       (cash carried + revenue of year t) goes to its claimants by seniority
       (``absolute``: lenders' outstanding principal first, then the unpaid remainder of
       the contracts it buys under, then equity and warrants; pro rata within a class,
       the proportional rule of Eisenberg and Noe 2001; debt ahead of equity, as in the
       clearing of Rogers and Veraart 2013, where a defaulted firm's realised assets go
       to its creditors and its equity is worth nothing). What a claim does not recover
       is its *shortfall*; ``shortfall x LGD(kind)`` is the claimant's credit *loss*. Funding
       it had still to pay out (loans to draw, equity to invest) is withdrawn: a missed
       inflow, no loss.
    3. With ``model="cascade"`` an entity whose accumulated credit losses reach its book
       equity defaults in the same year (threshold cascade: Gai and Kapadia 2010) and is
       treated as in 2; its claimants may default in turn.

    Survivors then draw the new funding they need (only what they need) and carry
    ``cash + revenue + in - out + funding`` to t+1. External holders never default,
    always pay and keep no cash account; entities skipped for lack of figures pay as
    due but can default by solvency.

    Conservation: what the defaulted entities fail to pay (their claims minus the cash
    they share out) equals the sum of their counterparties' shortfalls, before LGD.

    The revenue it would take is the smallest growth g (or scale k) of the ``grow``
    classes' revenue for which nobody defaults through the horizon, by bisection on
    [-90%, 1,000%] (or [0, 1,000]). Monotonicity: if nobody defaults at g, every
    scheduled payment is made, so the payments do not depend on g; at any g' > g each
    entity has at least the revenue, hence at every step at least the cash it had at
    g, so nobody falls short at g' either (and with no default there is no credit loss).
    The set of levels without a default is therefore an interval [g*, inf).

    Examples
    --------
    A lab with revenue 10 and cash 5 owes a cloud 20 a year in 2026-2027: it is short
    by 5 in 2026 and defaults; the cloud's claim is the unpaid 40, of which it recovers
    the lab's 15 of cash at hand, so it loses (40 - 15) x LGD 0.5 = 12.5.

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["lab", "cloud"], "type": ["ai_lab", "cloud"],
    ...                   "cash": [5.0, 100.0], "revenue": [10.0, 0.0]}),
    ...     pd.DataFrame({"payer": ["lab"], "payee": ["cloud"], "kind": ["compute"],
    ...                   "amount": [40.0], "start": ["2026"], "end": ["2027"]}),
    ...     as_of="2026-01-01")
    >>> r = stress(net, years="2026-2027")
    >>> h = r.holders.set_index("entity")
    >>> r.first_default, r.first_default_year, float(h.loc["cloud", "loss"])
    (('lab',), 2026, 12.5)

    References
    ----------
    Kapadia, Drehmann, Elliott, Sterne (2013), "Liquidity risk, cash flow constraints,
    and systemic feedbacks", in Quantifying Systemic Risk, NBER/University of Chicago
    Press. Cont, Schaanning (2017), "Fire sales, indirect contagion and systemic stress
    testing", Norges Bank WP 2/2017. Eisenberg, Noe (2001), "Systemic risk in financial
    systems", Management Science 47(2). Rogers, Veraart (2013), "Failure and rescue in
    an interbank network", Management Science 59(4). Gai, Kapadia (2010), "Contagion in
    financial networks", Proc. R. Soc. A 466.
    """
    ensure_network(network, "stress")
    y0, y1 = _parse_years(years, network)
    if model not in MODELS:
        raise FinflowError(f"--model: unknown model {model!r}; choose from {', '.join(MODELS)}")
    if seniority not in SENIORITY:
        raise FinflowError(f"--seniority: unknown rule {seniority!r}; choose from "
                           f"{', '.join(SENIORITY)}")
    g = parse_growth(revenue_growth)
    og = parse_growth(other_growth)
    try:
        scale = float(scale)
    except (TypeError, ValueError):
        raise FinflowError(f"--scale: {scale!r} is not a number") from None
    if not math.isfinite(scale) or scale < 0:
        raise FinflowError(f"--scale: {scale} must be a number >= 0")
    funding = parse_funding(new_funding)
    try:
        share = float(revenue_share)
    except (TypeError, ValueError):
        raise FinflowError(f"--revenue-share: {revenue_share!r} is not a number") from None
    if not 0.0 <= share <= 1.0:
        raise FinflowError(f"--revenue-share: {share} must lie in [0, 1]")
    ly = y1 if loss_year is None else int(loss_year)
    if not y0 <= ly <= y1:
        raise FinflowError(f"--loss-year: {ly} is outside the years {y0}-{y1}")
    paths, label = _paths(network, revenue)
    web = _prepare(network, y0, y1, status=status, kinds=kinds, rules=rules, lgd=lgd,
                   missing_cash=missing_cash, with_path=paths)
    if refinance:
        web.r_cash = web.r_cash & (web.r_leg != "principal_due")
    grow_mask, grow_names = _grow_mask(web, grow)
    def rev_of(growth: float, k: float) -> np.ndarray:
        return _revenue(web, growth, grow_mask, paths, k, og) * share

    rev = rev_of(g, scale)
    run = _simulate(web, rev, funding, model, seniority)
    req: dict[str, Any] = {"variable": "growth" if not paths else "scale", "value": None}
    need = pd.DataFrame(columns=["entity", "year", "revenue_now", "required_revenue"])
    if requirement:
        if paths:
            def at(x: float) -> np.ndarray:
                return rev_of(g, x)
        else:
            def at(x: float) -> np.ndarray:
                return rev_of(x, scale)
        req, need = _requirement(web, grow_mask, grow_names, at, funding, model, seniority,
                                 "scale" if paths else "growth")
    return _assemble(web, run, rev, req, need, scenario=scenario, label=label, growth=g,
                     scale=scale, grow_names=grow_names, funding=funding, model=model,
                     seniority=seniority, loss_year=ly, refinance=bool(refinance),
                     revenue_share=share)


def _assemble(web: _Web, run: _Run, rev: np.ndarray, req: dict, need: pd.DataFrame, *,
              scenario: str, label: str, growth: float, scale: float,
              grow_names: tuple[str, ...], funding, model: str, seniority: str,
              loss_year: int, refinance: bool, revenue_share: float) -> StressResult:
    n = len(web.ids)
    years = np.arange(web.y0, web.y1 + 1)
    led = pd.DataFrame(run.ledger, columns=_LEDGER_COLUMNS)
    led["year"] = led["year"].astype(np.int64)
    pos = {e: i for i, e in enumerate(web.ids)}
    obligations = led["channel"] != "equity"

    def by(col: str, value: str, mask=None) -> np.ndarray:
        f = led if mask is None else led[mask]
        out = np.zeros(n)
        if len(f):
            np.add.at(out, f[col].map(pos).to_numpy(dtype=np.int64), f[value].to_numpy(float))
        return out

    d_idx = np.flatnonzero(run.default_year >= 0)
    d_idx = d_idx[np.argsort(run.order[d_idx], kind="stable")]
    owed = by("debtor", "claim", led["channel"].isin(("senior debt", "contract")))
    unpaid = by("debtor", "shortfall", obligations)
    caused = by("debtor", "loss")
    defaults = pd.DataFrame({
        "entity": web.ids[d_idx], "type": web.types[d_idx], "holder_class": web.cls[d_idx],
        "year": run.default_year[d_idx].astype(np.int64), "cause": run.cause[d_idx],
        "round": run.rnd[d_idx].astype(np.int64), "via": run.via[d_idx],
        "cash_shared_out": run.estate[d_idx],
        "owed_to_creditors": owed[d_idx], "unpaid": unpaid[d_idx],
        "losses_caused": caused[d_idx],
    })
    shortfall = by("creditor", "shortfall", obligations)
    dy = pd.array([int(y) if y >= 0 else None for y in run.default_year], dtype="Int64")
    holders = pd.DataFrame({
        "entity": web.ids, "type": web.types, "holder_class": web.cls,
        "external": web.external, "default_year": dy,
        "received_before": run.received_before,
        "received": run.received.sum(axis=1), "paid": run.paid.sum(axis=1),
        "new_funding": run.funding.sum(axis=1), "recovered": run.recovered,
        "shortfall": shortfall, "loss": run.loss,
        "cash_end": run.cash_end[:, -1] if len(years) else np.full(n, np.nan),
    })
    money = ["received_before", "received", "paid", "new_funding", "recovered", "shortfall",
             "loss"]
    active = (holders[money].abs().sum(axis=1) > 0) | holders["default_year"].notna()
    holders = holders[active.to_numpy()].sort_values(
        ["loss", "received", "entity"], ascending=[False, False, True]).reset_index(drop=True)
    present = [c for c in HOLDER_CLASSES if c in set(web.cls)]
    cls_rows = []
    for c in present:
        m = web.cls == c
        cls_rows.append({
            "holder_class": c, "entities": int(m.sum()),
            "defaults": int((m & (run.default_year >= 0)).sum()),
            "received_before": float(run.received_before[m].sum()),
            "received": float(run.received[m].sum()), "paid": float(run.paid[m].sum()),
            "new_funding": float(run.funding[m].sum()), "recovered": float(run.recovered[m].sum()),
            "shortfall": float(shortfall[m].sum()), "loss": float(run.loss[m].sum()),
            "external_loss": float(run.loss[m & web.external].sum()),
        })
    classes = pd.DataFrame(cls_rows).sort_values(["loss", "received"], ascending=False,
                                                 kind="stable").reset_index(drop=True)
    cum = pd.DataFrame({"year": years.astype(np.int64)})
    cumr = pd.DataFrame({"year": years.astype(np.int64)})
    cred_cls = led["creditor"].map(dict(zip(web.ids, web.cls)))
    for c in present:
        per_year = led[cred_cls == c].groupby("year")["loss"].sum()
        cum[c] = np.cumsum(per_year.reindex(years, fill_value=0.0).to_numpy())
        cumr[c] = np.cumsum(run.received[web.cls == c].sum(axis=0))
    cum["total"] = cum[present].sum(axis=1) if present else 0.0
    per_year_rows = []
    for j, y in enumerate(years):
        dd = defaults[defaults["year"] == y]
        ly = led[led["year"] == y]
        per_year_rows.append({
            "year": int(y), "defaults": len(dd), "defaulted": ", ".join(dd["entity"]),
            "paid": float(run.paid[:, j].sum()), "new_funding": float(run.funding[:, j].sum()),
            "shortfall": float(ly.loc[ly["channel"] != "equity", "shortfall"].sum()),
            "loss": float(ly["loss"].sum()),
        })
    years_frame = pd.DataFrame(per_year_rows)
    first_year = int(defaults["year"].min()) if len(defaults) else None
    first: tuple[str, ...] = ()
    if first_year is not None:  # the liquidity defaults of the first round start it all
        f = defaults[(defaults["year"] == first_year) & (defaults["round"] == 0)
                     & (defaults["cause"] == "liquidity")]
        first = tuple(f["entity"])
    net = web.network
    return StressResult(
        network=net.name, unit=net.unit_label, as_of=net.metadata.get("as_of"),
        scenario=scenario, from_year=web.y0, to_year=web.y1, loss_year=loss_year,
        revenue=label, revenue_growth=growth, scale=scale, grow_classes=grow_names,
        new_funding=_funding_text(funding), model=model, seniority=seniority,
        missing_cash=web.missing_cash, refinance=refinance, revenue_share=revenue_share,
        lgd={k: v for k, v in web.lgd.items() if k in web.kinds},
        statuses=web.statuses, kinds=web.kinds, skipped=web.skipped,
        unscheduled=web.n_unscheduled, first_default=first,
        first_default_year=first_year, requirement=req, rules=dict(web.rules),
        defaults=defaults, holders=holders, classes=classes, cumulative_losses=cum,
        years=years_frame, required_revenue=need, ledger=led, cumulative_received=cumr)


# ---- scenarios -----------------------------------------------------------------------
#: the columns of a scenarios file (name is required; the rest default as in :func:`stress`)
SCENARIO_COLUMNS = ("name", "revenue_growth", "revenue", "scale", "revenue_share",
                    "new_funding", "refinance", "model")


@dataclass(frozen=True)
class StressComparison(Result):
    """Named stress scenarios side by side: one row per scenario in ``table`` (first to
    fail and the year, defaults by year, losses per holder class by ``loss_year``, what
    the chipmakers were paid, the revenue it would take), each scenario's full
    :class:`StressResult` in ``results``."""

    unit: str
    loss_year: int
    source: str | None
    results: dict = field(repr=False)
    table: pd.DataFrame = field(repr=False)
    title: str = "Stress test: scenarios side by side"

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"scenarios": self.table}
        if self.results:
            for name, attr in (("defaults", "defaults"), ("losses_by_holder_class", "classes"),
                               ("cumulative_losses_by_year", "cumulative_losses"),
                               ("holders", "holders")):
                parts = [getattr(r, attr).assign(scenario=s) for s, r in self.results.items()]
                frame = pd.concat(parts, ignore_index=True)
                out[name] = frame[["scenario"] + [c for c in frame.columns if c != "scenario"]]
        return out

    def summary(self) -> list[str]:
        out = []
        for name, r in self.results.items():
            lines = r.summary()
            out.append(f"{name}: " + " ".join(lines[1:]))
        return out

    def notes(self) -> list[str]:
        out = [f"scenarios from {self.source}" if self.source else "scenarios given in code",
               f"losses per holder class are cumulative through {self.loss_year}, after LGD"]
        if self.results:
            out += next(iter(self.results.values())).notes()[:-1]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"unit": self.unit, "loss_year": self.loss_year, "source": self.source,
                "table": records(self.table),
                "scenarios": {k: v.to_dict() for k, v in self.results.items()},
                "summary": self.summary(), "notes": self.notes()}


def read_scenarios(path: str | Path) -> list[dict[str, Any]]:
    """Read a scenarios CSV: one named scenario per row, columns :data:`SCENARIO_COLUMNS`
    (``name`` required; ``revenue`` is a revenue-paths CSV, relative to the scenarios
    file; ``refinance`` true or false). Every problem is reported at once as
    ``file:line: field: problem``.

    Raises
    ------
    FinflowError
        A missing file, an unknown column, or bad values.
    """
    p = Path(path)
    if not p.is_file():
        raise FinflowError(f"{p}: no such scenarios file (columns {', '.join(SCENARIO_COLUMNS)})")
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    problems = []
    unknown = [c for c in raw.columns if c not in SCENARIO_COLUMNS]
    if unknown:
        problems.append(f"{p}:1: columns: unknown column(s) {', '.join(unknown)} (use "
                        f"{', '.join(SCENARIO_COLUMNS)})")
    if "name" not in raw.columns:
        problems.append(f"{p}:1: name: the column is required")
    if problems:
        raise FinflowError("\n".join(problems))
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, row in enumerate(raw.to_dict("records")):
        line = i + 2
        row = {k: str(v).strip() for k, v in row.items()}
        sc: dict[str, Any] = {"name": row["name"]}
        if not row["name"]:
            problems.append(f"{p}:{line}: name: empty")
        elif row["name"] in seen:
            problems.append(f"{p}:{line}: name: duplicate scenario {row['name']!r}")
        seen.add(row["name"])
        checks = {"revenue_growth": parse_growth, "new_funding": parse_funding}
        for col, check in checks.items():
            if row.get(col):
                try:
                    check(row[col])
                    sc[col] = row[col]
                except FinflowError as exc:
                    problems.append(f"{p}:{line}: {col}: {str(exc).split(': ', 1)[-1]}")
        if row.get("scale"):
            try:
                x = float(row["scale"])
                if not math.isfinite(x) or x < 0:
                    raise ValueError
                sc["scale"] = x
            except ValueError:
                problems.append(f"{p}:{line}: scale: {row['scale']!r} is not a number >= 0")
        if row.get("revenue_share"):
            try:
                x = float(row["revenue_share"])
                if not 0.0 <= x <= 1.0:
                    raise ValueError
                sc["revenue_share"] = x
            except ValueError:
                problems.append(f"{p}:{line}: revenue_share: {row['revenue_share']!r} is not a "
                                "share in [0, 1]")
        if row.get("refinance"):
            low = row["refinance"].lower()
            if low in _TRUE | _FALSE:
                sc["refinance"] = low in _TRUE
            else:
                problems.append(f"{p}:{line}: refinance: {row['refinance']!r} is not true or false")
        if row.get("model"):
            if row["model"] in MODELS:
                sc["model"] = row["model"]
            else:
                problems.append(f"{p}:{line}: model: {row['model']!r} is not one of "
                                f"{', '.join(MODELS)}")
        if row.get("revenue"):
            rp = Path(row["revenue"])
            rp = rp if rp.is_absolute() else p.parent / rp
            if rp.is_file():
                sc["revenue"] = str(rp)
            else:
                problems.append(f"{p}:{line}: revenue: no such file {str(rp)!r}")
        out.append(sc)
    if not out and not problems:
        problems.append(f"{p}:2: name: the file lists no scenario")
    if problems:
        raise FinflowError(f"{len(problems)} problem(s) in the scenarios:\n" + "\n".join(problems))
    return out


def stress_scenarios(network: Network, scenarios: str | Path | Sequence[Mapping[str, Any]],
                     *, loss_year: int | None = None, **common: Any) -> StressComparison:
    """Run named stress scenarios side by side.

    Parameters
    ----------
    network : Network
    scenarios : path or list of mappings
        A scenarios CSV (:func:`read_scenarios`) or mappings with a ``name`` and any of
        the keyword arguments of :func:`stress` (``revenue_growth``, ``revenue``,
        ``scale``, ``new_funding``, ``refinance``, ``model`` ...).
    loss_year : int, optional
        The year through which losses are tabulated (default: the last year).
    **common
        Keyword arguments of :func:`stress` shared by every scenario (a scenario's own
        value wins).

    Returns
    -------
    StressComparison

    Examples
    --------
    >>> import finflow
    >>> cmp_ = stress_scenarios(finflow.load_default(), [
    ...     {"name": "stalled"}, {"name": "funded", "new_funding": "unlimited"}])
    >>> cmp_.table["defaults"].tolist()[1]
    0
    """
    ensure_network(network, "stress_scenarios")
    source = str(scenarios) if isinstance(scenarios, (str, Path)) else None
    items = read_scenarios(scenarios) if source else [dict(s) for s in scenarios]
    results: dict[str, StressResult] = {}
    for sc in items:
        sc = dict(sc)
        name = str(sc.pop("name", f"scenario {len(results) + 1}"))
        results[name] = stress(network, **{**common, **sc, "scenario": name,
                                           "loss_year": loss_year})
    rows = []
    for name, r in results.items():
        req = r.requirement
        if req.get("value") is None:
            need = "none enough" if req.get("still_default") else "n/a"
        elif req["variable"] == "growth":
            need = f"{req['value']:.1%}" + (" or less" if req.get("at_bound") else "")
        else:
            need = f"x{req['value']:.3g}" + (" or less" if req.get("at_bound") else "")
        by_year = "; ".join(f"{int(y)}: {', '.join(g['entity'])}"
                            for y, g in r.defaults.groupby("year", sort=True))
        row = {"scenario": name, "revenue": r.revenue,
               "revenue_growth": r.revenue_growth, "scale": r.scale,
               "revenue_share": r.revenue_share,
               "new_funding": r.new_funding.split(" (")[0], "refinance": r.refinance,
               "first_to_fail": ", ".join(r.first_default),
               "first_default_year": r.first_default_year if r.first_default_year else None,
               "defaults": len(r.defaults), "defaults_by_year": by_year}
        cl = r.classes.set_index("holder_class")
        for c, v in r.class_loss().items():
            row[f"loss_{c}"] = v
        row["loss_total"] = sum(r.class_loss().values())
        row["chipmakers_paid_before"] = (float(cl.loc["chipmakers", "received_before"])
                                         if "chipmakers" in cl.index else 0.0)
        row["chipmakers_paid"] = r.class_received("chipmakers")
        row["required_growth" if req.get("variable") == "growth" else "required_scale"] = need
        rows.append(row)
    table = pd.DataFrame(rows)
    if "first_default_year" in table.columns:
        table["first_default_year"] = pd.array(table["first_default_year"], dtype="Int64")
    ly = next(iter(results.values())).loss_year if results else (loss_year or 0)
    return StressComparison(unit=network.unit_label, loss_year=int(ly), source=source,
                            results=results, table=table.fillna({"defaults_by_year": ""}))
