"""Time: the obligation schedule and the funding gap (``../shared/DESIGN.md``, "Time").

:func:`schedule` spreads every commitment over the calendar years in which its money
moves, by a documented rule per kind; :func:`funding_gap` sets each entity's year-by-year
outflows due against its contracted inflows, its revenue (under a stated growth
assumption or per-year projections) and its cash, and finds the first year the
cumulative shortfall exceeds the cash ("runway").

How a year's share of a term is apportioned
-------------------------------------------
A term runs over the interval ``[start, end)`` measured in months:

* a start date marks the first instant of its period: ``2027`` = 2027-01-01,
  ``2025-10`` = 2025-10-01, ``2025-10-21`` = that day's start (a day is the fraction
  ``(day - 1) / days in the month`` of its month);
* an end given as a year marks the *end* of that year, because year terms are read
  inclusively ("5 years from 2027" is written 2027-2031 and covers 60 months); an end
  given as a month or a day marks the *start* of that month or day, because month terms
  add whole years ("7 years from 2025-11" is written 2025-11 to 2032-11 and covers 84
  months). "Through December 2031" is therefore written ``2031``.

Each calendar year receives the share of the interval that falls inside it: a contract
2025-10 to 2030-10 pays 3/60 of its amount in 2025, 12/60 in each of 2026-2029 and 9/60
in 2030. A term that ends where (or before) it starts puts everything in its start year.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..errors import FinflowError
from ..kinds import (
    KINDS,
    STATUSES,
    parse_assignments,
    resolve_kinds,
    resolve_statuses,
)
from ..model import Network
from ..text import format_number
from ..results import Result, jsonable, records
from ..netcheck import ensure_network

__all__ = [
    "RULES",
    "DEFAULT_RULES",
    "LEGS",
    "ScheduleResult",
    "FundingGapResult",
    "schedule",
    "funding_gap",
    "resolve_rules",
    "read_projections",
    "network_projections",
    "parse_growth",
]

#: The spreading rules and what each does with a commitment of amount A, funded F
#: (F missing is read as 0: nothing known to be paid yet).
RULES: dict[str, str] = {
    "auto": "evenly over start..end when the row has an end; otherwise at the stated "
            "annual amount from start until A - F is used up; otherwise all at start",
    "even": "F at start (already paid); A - F evenly over start..end, all at start when "
            "there is no end",
    "annual": "F at start (already paid); A - F at the stated annual amount from start "
              "until used up (as 'even' when annual is missing)",
    "start": "F at start (already paid); A - F at start",
    "end": "F at start (already paid); A - F in the end year (at start when there is no "
           "end)",
    "principal": "principal out (payer -> payee) at start: F already drawn, A - F still to "
                 "draw; the whole principal A falls due (payee -> payer) in the end year, "
                 "unscheduled when there is no end",
    "contingent": "not scheduled (listed as unscheduled with its amount and term)",
}

#: The rule each kind follows unless overridden (``rules={"compute": "even"}``).
DEFAULT_RULES: dict[str, str] = {
    "equity": "even",
    "warrant": "even",
    "loan": "principal",
    "bond": "principal",
    "credit": "principal",
    "purchase": "auto",
    "compute": "auto",
    "lease": "auto",
    "backstop": "contingent",
    "other": "start",
}

#: The legs of the schedule: who pays whom, and whether the money is still to move.
LEGS: dict[str, str] = {
    "paid": "the funded part, already paid (payer -> payee), placed in the start year",
    "payment": "a payment still to make, payer -> payee",
    "principal_out": "principal still to be drawn, lender (payer) -> borrower (payee)",
    "principal_due": "principal falling due, borrower (payee) -> lender (payer)",
}

_DUE_LEGS = ("payment", "principal_out", "principal_due")
_UNSCHEDULED_COLUMNS = ["commitment", "kind", "status", "payer", "payee", "amount", "start",
                        "end", "reason"]
_DATE_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*$")


# ---- rules ---------------------------------------------------------------------------
def resolve_rules(rules: Mapping[str, str] | Iterable[str] | str | None) -> dict[str, str]:
    """The spreading rule per kind: :data:`DEFAULT_RULES` updated by ``rules``.

    ``rules`` is a mapping ``{kind: rule}`` or CLI-style ``"compute=even"`` items.

    Examples
    --------
    >>> resolve_rules({"compute": "even"})["compute"]
    'even'
    >>> resolve_rules(None)["loan"]
    'principal'
    """
    table = dict(DEFAULT_RULES)
    if rules is None:
        return table
    pairs = dict(rules) if isinstance(rules, Mapping) else parse_assignments(rules, "--rule")
    for key, value in pairs.items():
        kind = str(key).strip().lower()
        rule = str(value).strip().lower()
        if kind not in KINDS:
            raise FinflowError(f"--rule: unknown kind {key!r}; choose from {', '.join(KINDS)}")
        if rule not in RULES:
            raise FinflowError(f"--rule {kind}: unknown rule {value!r}; choose from "
                               f"{', '.join(RULES)}")
        table[kind] = rule
    return table


def parse_growth(value: str | float | None) -> float:
    """A growth rate from ``0.1``, ``"0.1"`` or ``"10%"`` (must be above -100%).

    >>> parse_growth("10%"), parse_growth(0.05), parse_growth(None)
    (0.1, 0.05, 0.0)
    """
    if value is None:
        return 0.0
    text = str(value).strip()
    try:
        g = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
    except ValueError:
        raise FinflowError(f"revenue growth: {value!r} is not a number (use 0.1 or 10%)") from None
    if not math.isfinite(g) or g <= -1.0:
        raise FinflowError(f"revenue growth: {value!r} must be a finite rate above -100%")
    return g


# ---- dates -------------------------------------------------------------------------------
def _date_parts(col: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month, day of partial ISO dates as float arrays (NaN where absent).

    Dates repeat a lot, so each distinct value is parsed once (``pd.factorize``)."""
    codes, uniques = pd.factorize(col.astype(object), use_na_sentinel=True)
    table = np.full((len(uniques) + 1, 3), np.nan)  # last row: missing
    for i, value in enumerate(uniques):
        m = _DATE_RE.match(str(value))
        if m:
            table[i] = [float(g) if g else np.nan for g in m.groups()]
    parts = table[np.where(codes < 0, len(uniques), codes)]
    return parts[:, 0], parts[:, 1], parts[:, 2]


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    mm = np.nan_to_num(m, nan=1.0).astype(int)
    yy = np.nan_to_num(y, nan=2001.0).astype(int)
    days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(mm, 1, 12) - 1]
    leap = (yy % 4 == 0) & ((yy % 100 != 0) | (yy % 400 == 0))
    return np.where(leap & (mm == 2), 29, days).astype(float)


def _instants(col: pd.Series, *, end: bool) -> tuple[np.ndarray, np.ndarray]:
    """(instant in months since year 0, calendar year) of each date (NaN when missing).

    A start marks its period's first instant; an end given as a year marks the end of
    that year, an end given as a month or day marks its first instant (module docstring).
    """
    y, m, d = _date_parts(col)
    month0 = np.where(np.isnan(m), 0.0, m - 1.0)
    dayfrac = np.where(np.isnan(d), 0.0, (d - 1.0) / _days_in_month(y, m))
    t = 12.0 * y + month0 + dayfrac
    if end:
        t = np.where(np.isnan(m), 12.0 * (y + 1.0), t)
    return t, y


def _spread(rows: np.ndarray, u0: np.ndarray, u1: np.ndarray,
            amount: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spread ``amount[i]`` over ``[u0[i], u1[i])`` (months) by calendar year.

    Returns (row, year, amount) arrays, one entry per row and year touched: the year's
    share is the length of the interval inside the year over the interval's length.
    Vectorised: the output is built with ``np.repeat``, with no loop over rows.
    """
    if len(rows) == 0:
        return rows, np.zeros(0, dtype=int), np.zeros(0)
    first = np.floor(u0 / 12.0).astype(np.int64)
    last = np.maximum(np.ceil(u1 / 12.0).astype(np.int64) - 1, first)
    n = last - first + 1
    rep = np.repeat(np.arange(len(rows)), n)
    offset = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)
    year = first[rep] + offset
    a0, a1 = u0[rep], u1[rep]
    inside = np.minimum(a1, 12.0 * (year + 1)) - np.maximum(a0, 12.0 * year)
    # amount x months inside / months of the term (multiplied first: 300 x 12 / 60 = 60.0)
    with np.errstate(invalid="ignore", divide="ignore"):  # empty terms are dropped below
        part = amount[rep] * inside / (a1 - a0)
    keep = inside > 0
    return rows[rep][keep], year[keep], part[keep]


# ---- the schedule ------------------------------------------------------------------------
def growth_phrase(growth: float, whose: str = "its") -> str:
    """How revenue moves after its latest figure, in words: ``held at its latest figure``
    when the growth is zero (not "grown 0.0% a year"), else ``grown 10.0% a year from its
    latest figure``.

    >>> growth_phrase(0.0), growth_phrase(0.1, "each entity's")
    ('held at its latest figure', "grown 10.0% a year from each entity's latest figure")
    """
    if not growth:
        return f"held at {whose} latest figure"
    return f"grown {growth:.1%} a year from {whose} latest figure"


@dataclass(frozen=True)
class ScheduleResult(Result):
    """Every commitment spread over the years its money moves.

    ``schedule`` has one row per commitment, leg and year (columns commitment, kind,
    status, payer, payee, leg, year, amount, pays, receives, rule, basis); ``unscheduled``
    lists what could not be placed in time and why; ``by_kind`` and ``by_status`` are the
    network-wide amounts falling due per year (legs ``payment``, ``principal_out`` and
    ``principal_due``: the funded part is already paid and left out).
    """

    unit: str
    as_of: str | None
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    rules: dict[str, str]
    start_year: int | None
    end_year: int | None
    n_excluded: int
    outside: dict[str, float]
    schedule: pd.DataFrame = field(repr=False)
    unscheduled: pd.DataFrame = field(repr=False)
    by_kind: pd.DataFrame = field(repr=False)
    by_status: pd.DataFrame = field(repr=False)
    title: str = "Obligation schedule"

    def to_frame(self) -> pd.DataFrame:
        return self.schedule

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"due_by_year_and_kind": self.by_kind, "due_by_year_and_status": self.by_status,
                "schedule": self.schedule, "unscheduled": self.unscheduled}

    def summary(self) -> list[str]:
        due = self.schedule[self.schedule["leg"].isin(_DUE_LEGS)]
        lines = [f"{self.schedule['commitment'].nunique()} commitments scheduled; amounts in "
                 f"{self.unit}" + (f", as of {self.as_of}" if self.as_of else "") + "."]
        if len(due):
            per_year = due.groupby("year")["amount"].sum()
            lines.append(f"Falling due {int(per_year.index.min())}-{int(per_year.index.max())}: "
                         f"{format_number(float(per_year.sum()))} in all; peak "
                         f"{int(per_year.idxmax())} with {format_number(float(per_year.max()))}.")
        if self.outside.get("before") or self.outside.get("after"):
            lines.append(f"Outside the years shown: {format_number(self.outside['before'])} "
                         f"before, {format_number(self.outside['after'])} after.")
        if len(self.unscheduled):
            reasons = self.unscheduled["reason"].value_counts()
            lines.append("Not scheduled: " + "; ".join(f"{n} {r}" for r, n in reasons.items())
                         + ".")
        return lines

    def notes(self) -> list[str]:
        return _schedule_notes(self.rules, self.statuses, self.kinds, self.n_excluded)

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit, "as_of": self.as_of, "statuses": list(self.statuses),
            "kinds": list(self.kinds), "rules": dict(self.rules),
            "start_year": self.start_year, "end_year": self.end_year,
            "n_excluded": self.n_excluded, "outside": jsonable(self.outside),
            "by_kind": records(self.by_kind), "by_status": records(self.by_status),
            "schedule": records(self.schedule), "unscheduled": records(self.unscheduled),
            "notes": self.notes(),
        }


def _schedule_notes(rules: Mapping[str, str], statuses: Iterable[str], kinds: Iterable[str],
                    n_excluded: int) -> list[str]:
    by_rule: dict[str, list[str]] = {}
    for k in kinds:
        by_rule.setdefault(rules[k], []).append(k)
    out = [f"statuses: {', '.join(statuses)}; kinds: {', '.join(kinds)}",
           "rules: " + "; ".join(f"{', '.join(ks)}: {r} ({RULES[r]})" for r, ks in by_rule.items()),
           "a term runs from its start's first instant to the end of an end year, or to the "
           "start of an end month or day; each calendar year gets the share of the term "
           "inside it (months; a day is a fraction of its month)",
           "a commitment without a start starts at its announcement (basis 'announced')",
           "funded (already paid) parts sit in the start year as leg 'paid' and do not fall "
           "due again; a missing funded figure is read as nothing paid yet"]
    if n_excluded:
        out.append(f"{n_excluded} commitments with in_totals false (umbrella or overlapping "
                   "figures) are left out so nothing is counted twice")
    return out


def _cat(codes: np.ndarray, categories) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))


def _full_schedule(network: Network, statuses: tuple[str, ...], kind_list: tuple[str, ...],
                   rule_table: Mapping[str, str]) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """(schedule, unscheduled, number left out as in_totals false) over every year.

    Works on integer codes (rules, legs, methods) and returns categorical text columns,
    so that a million commitments stay fast.
    """
    com = network.commitments
    m = network.mask(statuses, kind_list, counted=False)
    in_totals = com["in_totals"].to_numpy(dtype=bool)
    n_excluded = int((m & ~in_totals).sum())
    take = np.flatnonzero(m & in_totals)
    n = len(take)

    def col(name: str, dtype=object) -> np.ndarray:
        return com[name].to_numpy(dtype=dtype)[take]

    def instants(name: str, end: bool) -> tuple[np.ndarray, np.ndarray]:
        t, y = _instants(com[name], end=end)
        return t[take], y[take]

    rule_names = list(RULES)
    R = {name: i for i, name in enumerate(rule_names)}
    kind_codes, kind_cats = pd.factorize(col("kind"))
    rule = np.array([R[rule_table[k]] for k in kind_cats], dtype=np.int64)[kind_codes] \
        if n else np.zeros(0, dtype=np.int64)
    amount = col("amount", float)
    funded = np.clip(np.nan_to_num(col("funded", float), nan=0.0), 0.0, None)
    funded = np.minimum(funded, np.nan_to_num(amount, nan=0.0))
    rest = amount - funded
    annual = col("annual", float)
    t_start, _ = instants("start", False)
    t_ann, _ = instants("announced", False)
    no_start = np.isnan(t_start)
    t0 = np.where(no_start, t_ann, t_start)
    y0 = np.floor(t0 / 12.0)
    t1, y1 = instants("end", True)
    has_end = ~np.isnan(t1) & (t1 > t0)
    y1 = np.where(np.isnan(y1), np.nan, np.fmax(y1, y0))  # an end before the start: start year

    # why a row is not scheduled (0: it is)
    REASONS = ["", "contingent: not scheduled", "no start or announced date",
               "amount not disclosed", "principal due date unknown (no end)"]
    reason = np.zeros(n, dtype=np.int64)
    reason[rule == R["contingent"]] = 1
    reason[(reason == 0) & np.isnan(t0)] = 2
    reason[(reason == 0) & np.isnan(amount)] = 3
    ok = reason == 0

    # what was applied, for the `rule` column
    METHODS = ["paid", "start", "start (no term)", "end", "end (no end: at start)", "even",
               "annual", "principal"]
    M = {name: i for i, name in enumerate(METHODS)}
    leg_code = {name: i for i, name in enumerate(LEGS)}
    legs: list[tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]] = []
    idx = np.arange(n)

    def at(rows: np.ndarray, years: np.ndarray, amounts: np.ndarray, leg: str,
           method: int | np.ndarray) -> None:
        if len(rows):
            meth = np.broadcast_to(np.asarray(method, dtype=np.int64), rows.shape)
            legs.append((rows, years.astype(np.int64), amounts, leg_code[leg], meth))

    # the funded part: already paid, in the start year (every rule that schedules)
    paid = ok & (funded > 0)
    at(idx[paid], y0[paid], funded[paid], "paid", M["paid"])

    # the remainder, by the rule in effect
    eff = rule.copy()
    auto = rule == R["auto"]
    has_annual = ~np.isnan(annual) & (annual > 0)
    eff[auto & has_end] = R["even"]
    eff[auto & ~has_end & has_annual] = R["annual"]
    eff[auto & ~has_end & ~has_annual] = R["start"]
    eff[(eff == R["annual"]) & ~has_annual] = R["even"]
    eff[(eff == R["even"]) & ~has_end] = R["start"]
    live = ok & (rest > 0)
    r = idx[live & (eff == R["start"])]
    at(r, y0[r], rest[r], "payment",
       np.where(rule[r] == R["start"], M["start"], M["start (no term)"]))
    r = idx[live & (eff == R["end"])]
    no_end = np.isnan(y1[r])
    at(r, np.where(no_end, y0[r], y1[r]), rest[r], "payment",
       np.where(no_end, M["end (no end: at start)"], M["end"]))
    r = idx[live & (eff == R["even"])]
    rr, yy, aa = _spread(r, t0[r], t1[r], rest[r])
    at(rr, yy, aa, "payment", M["even"])
    r = idx[live & (eff == R["annual"])]
    rr, yy, aa = _spread(r, t0[r], t0[r] + 12.0 * rest[r] / annual[r], rest[r])
    at(rr, yy, aa, "payment", M["annual"])
    principal = ok & (rule == R["principal"]) & (amount > 0)
    r = idx[live & (eff == R["principal"])]
    at(r, y0[r], rest[r], "principal_out", M["principal"])
    r = idx[principal & ~np.isnan(y1)]
    at(r, y1[r], amount[r], "principal_due", M["principal"])
    reason[principal & np.isnan(y1)] = 4

    if legs:
        rows = np.concatenate([lg[0] for lg in legs])
        years = np.concatenate([lg[1] for lg in legs])
        amounts = np.concatenate([lg[2] for lg in legs])
        codes = np.concatenate([np.full(len(lg[0]), lg[3]) for lg in legs])
        methods = np.concatenate([lg[4] for lg in legs])
        order = np.lexsort((years, codes, rows))  # by commitment, leg, year
        order = order[amounts[order] != 0]        # a zero part moves no money
        rows, years, amounts = rows[order], years[order], amounts[order]
        codes, methods = codes[order], methods[order]
    else:
        rows = years = codes = methods = np.zeros(0, dtype=np.int64)
        amounts = np.zeros(0)
    ent_cats = pd.Index(network.index, dtype=object)
    payer_all = ent_cats.get_indexer(col("payer"))
    payee_all = ent_cats.get_indexer(col("payee"))
    payer_c, payee_c = payer_all[rows], payee_all[rows]
    back = codes == leg_code["principal_due"]
    status_codes, status_cats = pd.factorize(col("status"))
    ids = col("id")
    out = pd.DataFrame({
        "commitment": _cat(rows, ids),
        "kind": _cat(kind_codes[rows], kind_cats),
        "status": _cat(status_codes[rows], status_cats),
        "payer": _cat(payer_c, ent_cats),
        "payee": _cat(payee_c, ent_cats),
        "leg": _cat(codes, list(LEGS)),
        "year": years,
        "amount": amounts,
        "pays": _cat(np.where(back, payee_c, payer_c), ent_cats),
        "receives": _cat(np.where(back, payer_c, payee_c), ent_cats),
        "rule": _cat(methods, METHODS),
        "basis": _cat(no_start[rows].astype(np.int64), ["start", "announced (no start)"]),
    })

    bad = np.flatnonzero(reason > 0)
    unscheduled = pd.DataFrame({
        "commitment": ids[bad],
        "kind": col("kind")[bad],
        "status": col("status")[bad],
        "payer": col("payer")[bad],
        "payee": col("payee")[bad],
        "amount": amount[bad],
        "start": col("start")[bad],
        "end": col("end")[bad],
        "reason": np.array(REASONS, dtype=object)[reason[bad]],
    }, columns=_UNSCHEDULED_COLUMNS)
    return out, unscheduled, n_excluded


def _by_year(due: pd.DataFrame, col: str, order: Iterable[str],
             years: Iterable[int] | None = None) -> pd.DataFrame:
    """Year rows x ``col`` columns of summed amounts (only the columns that occur), with
    a total."""
    if len(due) == 0:
        return pd.DataFrame({"year": pd.Series(dtype=np.int64), "total": pd.Series(dtype=float)})
    wide = due.pivot_table(index="year", columns=col, values="amount", aggfunc="sum",
                           fill_value=0.0)
    wide = wide[[c for c in order if c in wide.columns]]
    if years is not None:
        wide = wide.reindex(list(years), fill_value=0.0)
    wide["total"] = wide.sum(axis=1)
    wide.columns.name = None
    wide.index.name = "year"
    out = wide.reset_index()
    out["year"] = out["year"].astype(np.int64)
    return out


def schedule(network: Network, *, status: str | Iterable[str] | None = None,
             kinds: str | Iterable[str] | None = None,
             rules: Mapping[str, str] | Iterable[str] | str | None = None,
             start_year: int | None = None, end_year: int | None = None) -> ScheduleResult:
    """Spread every commitment over the calendar years in which its money moves.

    Parameters
    ----------
    network : Network
        The network (apply :meth:`Network.as_of` first for a past view).
    status, kinds : str or iterable, optional
        Status and kind filters (default: every status but ``lapsed``; every kind).
    rules : mapping or ``"kind=rule"`` items, optional
        Overrides of :data:`DEFAULT_RULES`, e.g. ``{"compute": "even"}``; the rules are
        in :data:`RULES`.
    start_year, end_year : int, optional
        Show only these years (inclusive). The amounts outside are reported in
        ``outside``; the rules are applied to the whole term either way.

    Returns
    -------
    ScheduleResult
        ``schedule`` (one row per commitment, leg and year), ``unscheduled``, and the
        network-wide amounts falling due per year by kind and by status.

    Raises
    ------
    FinflowError
        An unknown status, kind or rule, or ``start_year`` after ``end_year``.

    Notes
    -----
    Default rules per kind (:data:`DEFAULT_RULES`; F = funded, already paid, placed in
    the start year as leg ``paid``; a missing F is read as 0):

    * purchase, compute, lease (``auto``): A - F evenly over ``start``..``end`` when the
      row has an end, otherwise at the stated ``annual`` amount from ``start`` until
      used up, otherwise all at start;
    * loan, bond, credit (``principal``): principal paid out payer -> payee at ``start``
      (F already drawn, A - F still to draw) and the whole principal A falling due
      payee -> payer in the ``end`` year; with no end the repayment is unscheduled;
    * equity, warrant (``even``): F at start, the rest evenly over the stated term (staged
      rounds such as Stargate's 4-year programme), all at start when there is no end;
    * backstop (``contingent``): not scheduled, listed in ``unscheduled``;
    * other (``start``): at start.

    A commitment without ``start`` uses its ``announced`` date (``basis`` says so);
    one with neither, or without an amount, is unscheduled. Rows with ``in_totals``
    false are left out (they overlap other rows). How a partial year is apportioned is
    in the module docstring: by months of the term inside each calendar year.

    Conservation: for every scheduled commitment the legs ``paid`` + ``payment`` +
    ``principal_out`` sum to its amount, and ``principal_due`` sums to its amount
    when scheduled. Complexity O(rows x years spanned), vectorised with numpy.

    Examples
    --------
    A five-year compute contract of 300 from 2027 pays 60 a year:

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["lab", "cloud"]}),
    ...     pd.DataFrame({"payer": ["lab"], "payee": ["cloud"], "kind": ["compute"],
    ...                   "amount": [300.0], "start": ["2027"], "end": ["2031"]}))
    >>> schedule(net).schedule[["year", "amount"]].to_dict("list")
    {'year': [2027, 2028, 2029, 2030, 2031], 'amount': [60.0, 60.0, 60.0, 60.0, 60.0]}

    References
    ----------
    finflow design notes (shared/DESIGN.md), section "Time": the spreading rules per kind.
    """
    ensure_network(network, "schedule")
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    rule_table = resolve_rules(rules)
    if start_year is not None and end_year is not None and start_year > end_year:
        raise FinflowError(f"the first year ({start_year}) is after the last ({end_year})")
    full, unscheduled, n_excluded = _full_schedule(network, statuses, kind_list, rule_table)
    due = full[full["leg"].isin(_DUE_LEGS)]
    before = float(due.loc[due["year"] < start_year, "amount"].sum()) if start_year else 0.0
    after = float(due.loc[due["year"] > end_year, "amount"].sum()) if end_year else 0.0
    shown = full
    if start_year is not None:
        shown = shown[shown["year"] >= start_year]
    if end_year is not None:
        shown = shown[shown["year"] <= end_year]
    shown = shown.reset_index(drop=True)
    due_shown = shown[shown["leg"].isin(_DUE_LEGS)]
    years = None
    if len(due_shown):
        lo = start_year if start_year is not None else int(due_shown["year"].min())
        hi = end_year if end_year is not None else int(due_shown["year"].max())
        years = range(lo, hi + 1)
    return ScheduleResult(
        unit=network.unit_label,
        as_of=network.metadata.get("as_of"),
        statuses=statuses,
        kinds=kind_list,
        rules={k: rule_table[k] for k in kind_list},
        start_year=start_year,
        end_year=end_year,
        n_excluded=n_excluded,
        outside={"before": before, "after": after},
        schedule=shown,
        unscheduled=unscheduled,
        by_kind=_by_year(due_shown, "kind", KINDS, years),
        by_status=_by_year(due_shown, "status", STATUSES, years),
    )


# ---- projections ------------------------------------------------------------------------
def read_projections(path: str | Path) -> pd.DataFrame:
    """Read a revenue projections CSV with columns ``entity``, ``year``, ``revenue``.

    Every problem is reported at once (``file:line: field: problem``).

    Raises
    ------
    FinflowError
        The file is missing or has bad rows.
    """
    p = Path(path)
    if not p.is_file():
        raise FinflowError(f"{p}: no such projections file (columns entity, year, revenue)")
    raw = pd.read_csv(p, dtype=str, keep_default_na=False)
    return _check_projections(raw, str(p))


def _check_projections(raw: pd.DataFrame, where: str) -> pd.DataFrame:
    missing = [c for c in ("entity", "year", "revenue") if c not in raw.columns]
    if missing:
        raise FinflowError(f"{where}: missing column(s) {', '.join(missing)} "
                           "(need entity, year, revenue)")
    problems = []
    ent = raw["entity"].astype(str).str.strip()
    year = pd.to_numeric(raw["year"], errors="coerce")
    rev_text = raw["revenue"].astype(str).str.strip()
    rev = pd.to_numeric(rev_text.where(rev_text != "", np.nan), errors="coerce")
    for i in range(len(raw)):
        line = i + 2
        if not ent.iloc[i]:
            problems.append(f"{where}:{line}: entity: empty")
        y = year.iloc[i]
        if pd.isna(y) or float(y) != int(y):
            problems.append(f"{where}:{line}: year: {raw['year'].iloc[i]!r} is not a year")
        r = rev.iloc[i]
        if pd.isna(r) or r < 0:
            problems.append(f"{where}:{line}: revenue: {raw['revenue'].iloc[i]!r} is not a "
                            "number >= 0")
    dup = pd.DataFrame({"e": ent, "y": year}).duplicated()
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(f"{where}:{i + 2}: year: duplicate entity and year")
    if problems:
        raise FinflowError(f"{len(problems)} problem(s) in the projections:\n"
                           + "\n".join(problems))
    return pd.DataFrame({"entity": ent, "year": year.astype(int), "revenue": rev.astype(float)})


def network_projections(network: Network) -> pd.DataFrame | None:
    """The ``projections.csv`` of the folder a network was read from, if there is one."""
    path = network.metadata.get("path")
    if not path:
        return None
    p = Path(str(path)) / "projections.csv"
    return read_projections(p) if p.is_file() else None


# ---- the funding gap ----------------------------------------------------------------------
@dataclass(frozen=True)
class FundingGapResult(Result):
    """Per entity and year: outflows due, contracted inflows, revenue, net position and
    cumulative gap against cash; per entity: the runway; network-wide: amounts falling
    due per year by kind and status.

    ``table`` columns: entity, year, revenue, inflows, outflows, ``out_<kind>`` (the
    outflows by kind), net (= revenue + inflows - outflows), cumulative_net (running sum
    from ``from_year``), cumulative_gap (max(0, -cumulative_net)), cash_left (cash +
    cumulative_net; missing when cash is unknown). ``entities`` has one row per entity
    (revenue figure and year, cash, totals, runway_year, runway_basis, growth_needed,
    due_after, unscheduled). ``by_commitment`` (filled when entities are named) shows
    what each of their commitments pays or brings in per year; ``flows_by_kind`` the
    same by kind and leg.
    """

    unit: str
    as_of: str | None
    from_year: int
    to_year: int
    revenue_growth: float
    projections: str | None
    statuses: tuple[str, ...]
    kinds: tuple[str, ...]
    noncash_kinds: tuple[str, ...]
    rules: dict[str, str]
    n_excluded: int
    table: pd.DataFrame = field(repr=False)
    entities: pd.DataFrame = field(repr=False)
    flows_by_kind: pd.DataFrame = field(repr=False)
    by_commitment: pd.DataFrame = field(repr=False)
    due_by_kind: pd.DataFrame = field(repr=False)
    due_by_status: pd.DataFrame = field(repr=False)
    unscheduled: pd.DataFrame = field(repr=False)
    title: str = "Timeline: obligations and funding gap"

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def tables(self) -> dict[str, pd.DataFrame]:
        out = {"entities": self.entities, "year_by_year": self.table}
        if len(self.by_commitment):  # filled when entities are named
            out["by_commitment"] = self.by_commitment
        out["network_due_by_year_and_kind"] = self.due_by_kind
        out["network_due_by_year_and_status"] = self.due_by_status
        return out

    def entity_table(self, entity: str) -> pd.DataFrame:
        """The year-by-year rows of one entity."""
        return self.table[self.table["entity"] == entity].reset_index(drop=True)

    def over_committed(self) -> list[str]:
        """Entities whose cumulative shortfall exceeds their cash (or, cash unknown, is
        positive) within the horizon, by runway year."""
        e = self.entities[self.entities["runway_year"].notna()]
        return list(e.sort_values(["runway_year", "entity"])["entity"])

    def summary(self) -> list[str]:
        lines = [f"Years {self.from_year}-{self.to_year}, amounts in {self.unit}"
                 + (f", as of {self.as_of}" if self.as_of else "") + "; revenue "
                 + growth_phrase(self.revenue_growth, "each entity's")
                 + (f" (projections from {self.projections})" if self.projections else "")
                 + "."]
        ents = self.entities.set_index("entity")
        shown = self.over_committed()
        for e in shown[:12]:
            lines.append(self._entity_sentence(e, ents.loc[e]))
        if len(shown) > 12:
            lines.append(f"... and {len(shown) - 12} more over-committed entities.")
        fine = ents[ents["runway_year"].isna() & ents["revenue_base"].notna()]
        if len(fine):
            lines.append(f"{len(fine)} entities with known revenue cover their commitments "
                         f"through {self.to_year}: {', '.join(list(fine.index)[:10])}"
                         + (" ..." if len(fine) > 10 else "") + ".")
        unknown = ents[ents["revenue_base"].isna()]
        if len(unknown):
            short = unknown[unknown["outflows"] > unknown["inflows"]].copy()
            short["excess"] = short["outflows"] - short["inflows"]
            short = short.sort_values("excess", ascending=False)
            text = (f"Revenue unknown (net position and runway left missing) for "
                    f"{len(unknown)} entities")
            if len(short):
                text += "; outflows exceed contracted inflows for " + ", ".join(
                    f"{e} ({format_number(float(r['outflows']))} vs "
                    f"{format_number(float(r['inflows']))})"
                    for e, r in short.head(5).iterrows())
                if len(short) > 5:
                    text += f" and {len(short) - 5} more"
            lines.append(text + ".")
        return lines

    def _entity_sentence(self, e: str, row: pd.Series) -> str:
        rows = self.entity_table(e)
        peak = rows.loc[rows["outflows"].idxmax()] if len(rows) else None
        cash_known = not pd.isna(row["cash"])
        runway = int(row["runway_year"])
        at_runway = rows[rows["year"] == runway].iloc[0]
        if cash_known:
            how = (f"cumulative shortfall {format_number(float(at_runway['cumulative_gap']))} "
                   f"exceeds its cash of {format_number(float(row['cash']))} in {runway}")
        else:
            how = (f"cash unknown, so measured against revenue and contracted inflows alone: "
                   f"cumulative shortfall {format_number(float(at_runway['cumulative_gap']))} "
                   f"in {runway}")
        rev_base = (f"revenue {format_number(float(row['revenue_base']))} in "
                    f"{int(row['revenue_year'])}, "
                    + growth_phrase(self.revenue_growth, "its").replace(
                        "from its latest figure", "from then on"))
        text = (f"{e}: owes {format_number(float(row['outflows']))} in {self.from_year}-"
                f"{self.to_year} against {rev_base} ({format_number(float(row['revenue']))} "
                f"in all) and contracted inflows {format_number(float(row['inflows']))}")
        if peak is not None:
            text += (f"; peak {int(peak['year'])}: owes {format_number(float(peak['outflows']))} "
                     f"vs revenue {format_number(float(peak['revenue']))}")
        text += f"; {how}"
        if not pd.isna(row["growth_needed"]):
            text += (f"; revenue growth of {float(row['growth_needed']):.0%} a year would "
                     f"close the gap through {self.to_year}")
        else:
            text += "; no revenue growth up to 1,000% a year closes the gap"
        if float(row["due_after"]) > 0:
            text += f"; {format_number(float(row['due_after']))} more falls due after {self.to_year}"
        uns = self.unscheduled[(self.unscheduled["payer"] == e) | (self.unscheduled["payee"] == e)]
        if len(uns):
            text += "; not scheduled: " + ", ".join(
                f"{c} ({r})" for c, r in zip(uns["commitment"], uns["reason"]))
        return text + "."

    def notes(self) -> list[str]:
        held = not self.revenue_growth
        out = [f"revenue: each entity's revenue field, dated by its as_of year (the "
               f"network's when missing), "
               + ("held at that figure in every year" if held else
                  f"grown at {self.revenue_growth:.1%} a year (also backwards for earlier "
                  "years)")
               + (f"; per-year projections from {self.projections} replace it where given, "
                  "and later years are "
                  + ("held at the last projection" if held else
                     "grown from the last projection") if self.projections else ""),
               "revenue is not profit: costs other than these commitments are ignored, so a "
               "gap here understates the need for funding",
               "contracted inflows include sales under compute, purchase and lease contracts, "
               "which may already be part of the revenue figure: the flows by kind are in the "
               "JSON output (flows_by_kind) for a reader who wants to drop them",
               f"cash: the entity's cash figure, taken as available at the start of "
               f"{self.from_year}; missing cash stays missing, and the runway is then the "
               "first year revenue and contracted inflows fall short of commitments "
               "(runway_basis says which)",
               "runway: first year the cumulative shortfall (max(0, -cumulative net)) exceeds "
               "cash; growth_needed: the smallest constant revenue growth with no such year "
               "through the horizon",
               f"the first year ({self.from_year}) is counted whole; amounts due after "
               f"{self.to_year} are in due_after"]
        if self.noncash_kinds:
            out.append(f"left out of the gap as non-cash: {', '.join(self.noncash_kinds)} "
                       "(a warrant grants shares, not money)")
        out += _schedule_notes(self.rules, self.statuses, self.kinds, self.n_excluded)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit, "as_of": self.as_of, "from_year": self.from_year,
            "to_year": self.to_year, "revenue_growth": self.revenue_growth,
            "projections": self.projections, "statuses": list(self.statuses),
            "kinds": list(self.kinds), "noncash_kinds": list(self.noncash_kinds),
            "rules": dict(self.rules),
            "entities": records(self.entities), "table": records(self.table),
            "flows_by_kind": records(self.flows_by_kind),
            "by_commitment": records(self.by_commitment),
            "due_by_kind": records(self.due_by_kind),
            "due_by_status": records(self.due_by_status),
            "unscheduled": records(self.unscheduled),
            "summary": self.summary(), "notes": self.notes(),
        }


def _year_of(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return int(text[:4]) if len(text) >= 4 and text[:4].isdigit() else None


def _revenue_paths(base: np.ndarray, base_year: np.ndarray, years: np.ndarray,
                   growth: np.ndarray, proj: Mapping[str, Mapping[int, float]],
                   ids: list[str]) -> np.ndarray:
    """Revenue per entity (rows) and year (columns): ``base`` grown at ``growth`` (one
    rate per row) from ``base_year``; projections replace it where given and later years
    grow from the last projection."""
    rate = 1.0 + np.asarray(growth, dtype=float)[:, None]
    out = base[:, None] * rate ** (years[None, :] - base_year[:, None])
    for i, e in enumerate(ids):
        p = proj.get(e)
        if not p:
            continue
        for j, y in enumerate(years):
            earlier = [q for q in p if q <= y]
            if earlier:
                q = max(earlier)
                out[i, j] = p[q] * rate[i, 0] ** (y - q)
    return out


def funding_gap(network: Network, entity: str | Iterable[str] | None = None, *,
                revenue_growth: float | str = 0.0,
                projections: pd.DataFrame | str | Path | None = None,
                from_year: int | None = None, to_year: int | None = None,
                status: str | Iterable[str] | None = None,
                kinds: str | Iterable[str] | None = None,
                rules: Mapping[str, str] | Iterable[str] | str | None = None,
                noncash_kinds: Iterable[str] = ("warrant",)) -> FundingGapResult:
    """When does the money run out? Each entity's obligations, inflows, revenue and cash
    year by year.

    Parameters
    ----------
    network : Network
        The network (apply :meth:`Network.as_of` first for a past view).
    entity : str or iterable of str, optional
        The entities to tabulate (default: every entity with money due to or from it in
        the years shown).
    revenue_growth : float or str, default 0.0
        Constant yearly growth of each entity's ``revenue`` from its ``as_of`` year
        (``0.1`` or ``"10%"``).
    projections : DataFrame or path, optional
        Per-year revenue with columns entity, year, revenue; they replace the grown
        figure where given and later years grow from the last projection. Default: the
        ``projections.csv`` of the network's folder, if any.
    from_year, to_year : int, optional
        The years tabulated (inclusive). Default: from the year of the network's
        ``as_of`` date (the year it was last updated, or the ``as_of`` view's date) for
        ten years.
    status, kinds : str or iterable, optional
        Status and kind filters (default: every status but ``lapsed``; every kind).
    rules : mapping or ``"kind=rule"`` items, optional
        Overrides of :data:`DEFAULT_RULES`, e.g. ``{"compute": "even"}``; the rules are
        in :data:`RULES`.
    noncash_kinds : iterable of str, default ("warrant",)
        Kinds whose flows are not money and are left out of the gap.

    Returns
    -------
    FundingGapResult

    Raises
    ------
    FinflowError
        An unknown entity, status, kind or rule, a bad growth rate, a bad projections
        file, or ``from_year`` after ``to_year``.

    Notes
    -----
    Per entity e and year y, from the schedule without the funded (already paid) legs:
    outflows(e, y) = amounts e pays (contract payments, investments, loans it makes and
    principal it repays), inflows(e, y) = amounts e receives, revenue(e, y) = revenue_e x
    (1 + g)^(y - as_of year of e), net = revenue + inflows - outflows, cumulative_net =
    running sum from ``from_year``, cumulative_gap = max(0, -cumulative_net), cash_left =
    cash + cumulative_net. The runway is the first year cumulative_gap > cash; when cash
    is unknown, the first year cumulative_gap > 0 (``runway_basis`` says so: it is never
    silently zero cash). When revenue is unknown, net, the cumulative figures and the
    runway stay missing. ``growth_needed`` is found by bisection (the cumulative net
    grows with g). Complexity O(schedule rows + entities x years).

    Examples
    --------
    A lab with revenue 10 that owes 30 a year from 2026 and holds 25 of cash runs out in
    2027 (cumulative shortfall 20 in 2026, 40 in 2027 > 25):

    >>> import pandas as pd, finflow
    >>> net = finflow.Network.from_frames(
    ...     pd.DataFrame({"id": ["lab", "cloud"], "revenue": [10.0, None],
    ...                   "cash": [25.0, None], "as_of": ["2026", None]}),
    ...     pd.DataFrame({"payer": ["lab"], "payee": ["cloud"], "kind": ["compute"],
    ...                   "amount": [90.0], "start": ["2026"], "end": ["2028"]}))
    >>> gap = funding_gap(net, "lab", from_year=2026, to_year=2028)
    >>> gap.table["cumulative_gap"].tolist(), gap.entities["runway_year"].tolist()
    ([20.0, 40.0, 60.0], [2027])

    References
    ----------
    finflow design notes (shared/DESIGN.md), section "Time". The question it answers is
    the one behind Morgan Stanley's 2025 estimate of a ~1.5 trillion data-centre
    financing gap to 2028 (row x08 of the bundled network's fact sheet).
    """
    ensure_network(network, "funding_gap")
    statuses = resolve_statuses(status)
    kind_list = resolve_kinds(kinds)
    rule_table = resolve_rules(rules)
    g = parse_growth(revenue_growth)
    noncash = tuple(resolve_kinds(list(noncash_kinds))) if list(noncash_kinds) else ()

    proj_map, proj_label = _projections(network, projections)
    full, unscheduled, n_excluded = _full_schedule(network, statuses, kind_list, rule_table)
    due = full[full["leg"].isin(_DUE_LEGS) & ~full["kind"].isin(noncash)]

    as_of_year = _year_of(network.metadata.get("as_of"))
    if from_year is None:
        from_year = as_of_year if as_of_year is not None else (
            int(due["year"].min()) if len(due) else 2000)
    if to_year is None:
        to_year = from_year + 9
    if from_year > to_year:
        raise FinflowError(f"the first year ({from_year}) is after the last ({to_year})")
    years = np.arange(from_year, to_year + 1)
    window = due[(due["year"] >= from_year) & (due["year"] <= to_year)]
    ids = _chosen_entities(network, entity, window)
    n_e, n_y = len(ids), len(years)
    index = pd.Index(ids)
    w_pays = _positions(window["pays"], index)
    w_recv = _positions(window["receives"], index)
    w_year = (window["year"] - from_year).to_numpy(dtype=np.int64)
    w_amount = window["amount"].to_numpy(dtype=float)
    w_kind = _positions(window["kind"], pd.Index(list(KINDS)))

    def grid(who: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """Sum of amounts by (entity, year) over the chosen entities (``who`` >= 0)."""
        sel_rows = who >= 0 if keep is None else (who >= 0) & keep
        flat = np.bincount(who[sel_rows] * n_y + w_year[sel_rows], weights=w_amount[sel_rows],
                           minlength=n_e * n_y)
        return flat.reshape(n_e, n_y)

    outflows = grid(w_pays)
    inflows = grid(w_recv)

    ents = network.entities.set_index("id").reindex(ids)
    def field_of(name: str) -> np.ndarray:
        if name not in ents.columns:
            return np.full(n_e, np.nan)
        return pd.to_numeric(ents[name], errors="coerce").to_numpy(dtype=float)

    base, cash = field_of("revenue"), field_of("cash")
    fallback = as_of_year if as_of_year is not None else from_year
    base_year = np.array([_year_of(v) or fallback for v in
                          (ents["as_of"] if "as_of" in ents.columns else [None] * n_e)],
                         dtype=float)

    def revenue_for(growth: np.ndarray, rows: np.ndarray) -> np.ndarray:
        return _revenue_paths(base[rows], base_year[rows], years.astype(float), growth,
                              proj_map, [ids[i] for i in rows])

    every = np.arange(n_e)
    revenue = revenue_for(np.full(n_e, g), every)
    net = revenue + inflows - outflows
    cum = np.cumsum(net, axis=1)
    gap = np.where(np.isnan(cum), np.nan, np.maximum(0.0, -cum))
    limit = np.where(np.isnan(cash), 0.0, cash)
    runway = _runway(cum, limit, years)
    over = np.flatnonzero(runway >= 0)

    def still_short(growth: np.ndarray, rows: np.ndarray) -> np.ndarray:
        c = np.cumsum(revenue_for(growth, rows) + inflows[rows] - outflows[rows], axis=1)
        return _runway(c, limit[rows], years) >= 0

    growth_needed = np.full(n_e, np.nan)
    growth_needed[over] = _bisect_growth(still_short, over, g)

    out_cols = {f"out_{k}": grid(w_pays, w_kind == i) for i, k in enumerate(KINDS)}
    out_cols = {c: v for c, v in out_cols.items() if v.any()}
    table = pd.DataFrame({
        "entity": np.repeat(np.array(ids, dtype=object), n_y),
        "year": np.tile(years, n_e).astype(np.int64),
        "revenue": revenue.ravel(),
        "inflows": inflows.ravel(),
        "outflows": outflows.ravel(),
        **{c: v.ravel() for c, v in out_cols.items()},
        "net": net.ravel(),
        "cumulative_net": cum.ravel(),
        "cumulative_gap": gap.ravel(),
        "cash_left": (cash[:, None] + cum).ravel(),
    })

    later = due[due["year"] > to_year]
    due_after = np.bincount(_positions(later["pays"], index) + 1,
                            weights=later["amount"].to_numpy(dtype=float),
                            minlength=n_e + 1)[1:]
    uns_count = np.bincount(index.get_indexer(pd.concat(
        [unscheduled["payer"], unscheduled["payee"]]).astype(object)) + 1, minlength=n_e + 1)[1:]
    revenue_known = ~np.isnan(cum).any(axis=1) if n_y else np.zeros(n_e, dtype=bool)
    basis = np.where(~revenue_known, "revenue unknown",
                     np.where(np.isnan(cash), "revenue and contracted inflows alone "
                              "(cash unknown)", "cash"))
    entities = pd.DataFrame({
        "entity": ids,
        "name": ents["name"].to_numpy(dtype=object) if "name" in ents.columns else None,
        "revenue_base": base,
        "revenue_year": base_year.astype(np.int64),
        "cash": cash,
        "revenue": revenue.sum(axis=1),
        "inflows": inflows.sum(axis=1),
        "outflows": outflows.sum(axis=1),
        "worst_cumulative_net": cum.min(axis=1) if n_y else np.full(n_e, np.nan),
        "runway_year": pd.array([int(y) if y >= 0 else None for y in runway], dtype="Int64"),
        "runway_basis": basis.astype(object),
        "growth_needed": growth_needed,
        "due_after": due_after,
        "unscheduled": uns_count.astype(np.int64),
    })
    all_due = full[full["leg"].isin(_DUE_LEGS) & (full["year"] >= from_year)
                   & (full["year"] <= to_year)]
    span = range(from_year, to_year + 1)
    return FundingGapResult(
        unit=network.unit_label,
        as_of=network.metadata.get("as_of"),
        from_year=int(from_year),
        to_year=int(to_year),
        revenue_growth=g,
        projections=proj_label,
        statuses=statuses,
        kinds=kind_list,
        noncash_kinds=noncash,
        rules={k: rule_table[k] for k in kind_list},
        n_excluded=n_excluded,
        table=table,
        entities=entities,
        flows_by_kind=_flows_by_kind(window, ids, from_year, n_y),
        by_commitment=_by_commitment(window, ids if entity is not None else [], span),
        due_by_kind=_by_year(all_due, "kind", KINDS, span),
        due_by_status=_by_year(all_due, "status", STATUSES, span),
        unscheduled=unscheduled,
    )


def _projections(network: Network, projections) -> tuple[dict[str, dict[int, float]], str | None]:
    """Projections as {entity: {year: revenue}} and a label saying where they came from."""
    label: str | None = None
    if projections is None:
        proj = network_projections(network)
        if proj is not None:
            label = str(Path(str(network.metadata["path"])) / "projections.csv")
    elif isinstance(projections, pd.DataFrame):
        proj = _check_projections(projections.astype(str), "projections")
        label = "the projections given"
    else:
        proj = read_projections(projections)
        label = str(projections)
    out: dict[str, dict[int, float]] = {}
    if proj is None:
        return out, None
    unknown = sorted(set(proj["entity"]) - set(network.index))
    if unknown:
        raise FinflowError(f"projections: unknown entit{'y' if len(unknown) == 1 else 'ies'} "
                           f"{', '.join(unknown)}")
    for rec in proj.itertuples(index=False):
        out.setdefault(rec.entity, {})[int(rec.year)] = float(rec.revenue)
    return out, label


def _chosen_entities(network: Network, entity, window: pd.DataFrame) -> list[str]:
    if entity is None:
        touched = set(window["pays"]) | set(window["receives"])
        return [e for e in network.index if e in touched]
    wanted = [entity] if isinstance(entity, str) else list(entity)
    wanted = [w.strip() for x in wanted for w in str(x).split(",") if w.strip()]
    unknown = [w for w in wanted if w not in network.position]
    if unknown:
        raise FinflowError(f"unknown entit{'y' if len(unknown) == 1 else 'ies'} "
                           f"{', '.join(map(repr, unknown))}; see `finflow show` for the "
                           "entity ids")
    return list(dict.fromkeys(wanted))


def _runway(cum: np.ndarray, limit: np.ndarray, years: np.ndarray) -> np.ndarray:
    """First year (per row) in which max(0, -cum) exceeds ``limit``; -1 when none (or
    when the row is missing)."""
    if cum.shape[1] == 0:
        return np.full(cum.shape[0], -1, dtype=np.int64)
    short = (np.maximum(0.0, -cum) > limit[:, None] + 1e-9) & ~np.isnan(cum)
    hit = short.any(axis=1)
    return np.where(hit, years[np.argmax(short, axis=1)], -1).astype(np.int64)


def _bisect_growth(still_short, rows: np.ndarray, g: float, top: float = 10.0) -> np.ndarray:
    """The smallest growth in (g, top] with no runway end, for all ``rows`` at once (NaN
    where even ``top`` is not enough). The cumulative net rises with growth, so bisection
    on the yes/no answer converges."""
    if len(rows) == 0:
        return np.zeros(0)
    lo = np.full(len(rows), g)
    hi = np.full(len(rows), top)
    hopeless = still_short(hi, rows)
    for _ in range(60):
        mid = (lo + hi) / 2
        short = still_short(mid, rows)
        lo = np.where(short, mid, lo)
        hi = np.where(short, hi, mid)
    return np.where(hopeless, np.nan, hi)


def _positions(values: pd.Series, index: pd.Index) -> np.ndarray:
    """Position of each value in ``index`` (-1 when absent); fast for categoricals."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        lookup = np.append(index.get_indexer(values.cat.categories), -1)
        return lookup[values.cat.codes.to_numpy()]
    return index.get_indexer(values.astype(object))


def _flows_by_kind(window: pd.DataFrame, ids: list[str], first_year: int,
                   n_years: int) -> pd.DataFrame:
    """Per chosen entity, year, direction, kind and leg: the amount (one integer key per
    group, summed with ``np.bincount``: no Python loop, no pandas groupby)."""
    cols = ["entity", "year", "direction", "kind", "leg", "amount"]
    index = pd.Index(ids)
    kinds, legs = list(KINDS), list(LEGS)
    k = _positions(window["kind"], pd.Index(kinds))
    g = _positions(window["leg"], pd.Index(legs))
    y = (window["year"] - first_year).to_numpy(dtype=np.int64)
    amount = window["amount"].to_numpy(dtype=float)
    keys, weights = [], []
    for d, who in enumerate(("receives", "pays")):  # 0: in, 1: out
        e = _positions(window[who], index)
        keep = e >= 0
        keys.append((((e[keep] * n_years + y[keep]) * 2 + d) * len(kinds) + k[keep])
                    * len(legs) + g[keep])
        weights.append(amount[keep])
    key = np.concatenate(keys)
    if key.size == 0:
        return pd.DataFrame(columns=cols)
    uniq, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=np.concatenate(weights))
    leg_i = uniq % len(legs)
    rest = uniq // len(legs)
    kind_i = rest % len(kinds)
    rest //= len(kinds)
    dir_i = rest % 2
    rest //= 2
    return pd.DataFrame({
        "entity": np.asarray(ids, dtype=object)[rest // n_years],
        "year": (rest % n_years + first_year).astype(np.int64),
        "direction": np.array(["in", "out"], dtype=object)[dir_i],
        "kind": np.asarray(kinds, dtype=object)[kind_i],
        "leg": np.asarray(legs, dtype=object)[leg_i],
        "amount": total,
    })


def _by_commitment(window: pd.DataFrame, ids: list[str], years: range) -> pd.DataFrame:
    """Per chosen entity and commitment: what it pays (out) or receives (in) each year."""
    pos = {e: i for i, e in enumerate(ids)}
    keys = ["entity", "direction", "commitment", "counterparty", "kind", "status", "leg"]
    cols = [str(y) for y in years]
    if not ids:
        return pd.DataFrame(columns=keys + cols + ["total"])
    parts = []
    for who, other, direction in (("pays", "receives", "out"), ("receives", "pays", "in")):
        f = window[window[who].isin(pos)]
        parts.append(pd.DataFrame({"entity": f[who], "direction": direction,
                                   "commitment": f["commitment"], "counterparty": f[other],
                                   "kind": f["kind"], "status": f["status"], "leg": f["leg"],
                                   "year": f["year"], "amount": f["amount"]}))
    long = pd.concat(parts)
    for c in ("entity", "commitment", "counterparty", "kind", "status", "leg"):
        long[c] = long[c].astype(object)
    if long.empty:
        return pd.DataFrame(columns=keys + cols + ["total"])
    wide = long.pivot_table(index=keys, columns="year", values="amount", aggfunc="sum",
                            fill_value=0.0)
    wide = wide.reindex(columns=list(years), fill_value=0.0)
    wide.columns = cols
    wide["total"] = wide.sum(axis=1)
    wide = wide.reset_index()
    wide["_o"] = wide["entity"].map(pos)
    wide["_d"] = wide["direction"].map({"out": 0, "in": 1})
    return wide.sort_values(["_o", "_d", "total"], ascending=[True, True, False]).drop(
        columns=["_o", "_d"]).reset_index(drop=True)
