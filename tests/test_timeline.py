"""Time: as-of views, the obligation schedule, the funding gap and its charts.

Answers are hand-computed (the arithmetic is in the comments), taken from the fact sheet
behind the bundled network (shared/research/ai-financing-facts.md, rows c01-c93), or
invariants checked with hypothesis (each commitment's schedule sums to its amount).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import finflow
from finflow.analysis.timeline import (
    DEFAULT_RULES,
    funding_gap,
    parse_growth,
    read_projections,
    resolve_rules,
    schedule,
)
from finflow.cli import main
from finflow.errors import FinflowError
from finflow.timeline_chart import timeline_chart_svg, timeline_charts
from helpers import make_network

SVG = "{http://www.w3.org/2000/svg}"


def run(*args, code=0):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def legs(result, commitment):
    s = result.schedule
    return s[s["commitment"] == commitment]


def by_year(frame, leg=None):
    f = frame if leg is None else frame[frame["leg"] == leg]
    return {int(y): round(float(a), 9) for y, a in f.groupby("year")["amount"].sum().items()}


# ---- as of a date -----------------------------------------------------------------------
def test_as_of_boundaries_announced_and_lapsed_that_day():
    net = make_network([
        ("a", "b", "equity", 1.0, {"announced": "2025-09-22"}),
        ("a", "b", "loan", 2.0, {"announced": "2025-01-01", "status": "lapsed",
                                 "lapsed_on": "2025-09-22", "prior_status": "committed"}),
        ("a", "b", "purchase", 4.0, {"announced": "2025-01-01", "status": "lapsed",
                                     "lapsed_on": "2026-02-27", "prior_status": "loi"}),
    ])
    day = net.as_of("2025-09-22").commitments.set_index("id")
    # announced that day: in; lapsed that day: out; lapsed later: alive with prior_status
    assert "e1" in day.index and "e2" not in day.index
    assert day.loc["e3", "status"] == "loi"
    before = net.as_of("2025-09-21").commitments.set_index("id")
    assert "e1" not in before.index and before.loc["e2", "status"] == "committed"
    # and the schedule follows: the revived LOI is scheduled, the lapsed loan is not
    sched = schedule(net.as_of("2025-09-22"), status="all").schedule
    assert set(sched["commitment"]) == {"e1", "e3"}


# The deals of September 2025 in the fact sheet (a.1-a.6, column `announced`):
# c01/c03 Nvidia-OpenAI LOI 2025-09-22, c06 Oracle bond 2025-09-24, c39 Nvidia backstop
# 2025-09-09, c42 Meta-CoreWeave 2025-09-30, c51 Microsoft-Nebius 2025-09-08,
# c55 Nvidia-Lambda "reported Sep 2025", c88 Nvidia-Intel 2025-09-18.
SEPTEMBER_2025 = {"c01", "c03", "c06", "c39", "c42", "c51", "c55", "c88"}


def test_as_of_before_september_2025_holds_none_of_its_deals(default_network):
    ids = set(default_network.as_of("2025-08-31").commitments["id"])
    assert not ids & SEPTEMBER_2025
    # August deals are there: c74 Meta-Google 2025-08-21, c89 SoftBank-Intel 2025-08-18
    assert {"c74", "c89"} <= ids
    # and the September view has them all
    assert SEPTEMBER_2025 <= set(default_network.as_of("2025-09-30").commitments["id"])


def test_as_of_october_2025_holds_the_nvidia_openai_loi(default_network):
    oct1 = default_network.as_of("2025-10-01").select()  # default statuses
    row = oct1.commitments.set_index("id").loc["c01"]
    assert row["status"] == "loi" and row["amount"] == 100.0
    # the equity round that replaced it (c02, 2026-02-27) is not there yet
    assert "c02" not in set(oct1.commitments["id"])
    # the default view (as of the network's date, 2026-06-11) does not count c01 ...
    assert "c01" not in set(default_network.select().commitments["id"])
    # ... and its as-of view drops it altogether (lapsed on 2026-02-27), keeping c02
    today = default_network.as_of(default_network.metadata["as_of"])
    assert "c01" not in set(today.commitments["id"]) and "c02" in set(today.commitments["id"])


def test_show_as_of_october_2025_differs_from_show_today():
    then = json.loads(run("show", "--as-of", "2025-10-01", "--format", "json").output)
    now = json.loads(run("show", "--format", "json").output)
    assert then["network"]["as_of"] == "2025-10-01"
    loi_then = {r["status"]: r for r in then["by_status"]}["loi"]
    # c01 (100, counted) and c03 (purchase leg, amount undisclosed) are the LOIs of Oct 2025
    assert loi_then["commitments"] == 2 and loi_then["counted_amount"] == pytest.approx(100.0)
    loi_now = {r["status"]: r for r in now["by_status"]}["loi"]
    assert loi_now["counted_amount"] == pytest.approx(85.0)  # c91 20 + c92 30 + c93 35
    assert then["n_commitments"] < now["n_commitments"]


# ---- the schedule: hand-computed ----------------------------------------------------------
@pytest.fixture
def small():
    """A five-year compute contract, a loan due at its end, an equity stake, and more."""
    return make_network([
        ("lab", "cloud", "compute", 300.0, {"start": "2027", "end": "2031"}),          # e1
        ("bank", "lab", "loan", 10.0, {"start": "2025", "end": "2030"}),               # e2
        ("fund", "lab", "equity", 5.0, {"start": "2026-03"}),                          # e3
        ("lab", "cloud", "compute", 60.0, {"start": "2025-10", "end": "2030-10"}),     # e4
        ("lab", "chips", "purchase", 30.0, {"start": "2026-07", "annual": 12.0}),      # e5
        ("lab", "cloud", "compute", 100.0, {"start": "2026", "end": "2029",
                                            "funded": 20.0}),                          # e6
        ("fund", "lab", "equity", 8.0, {"announced": "2025-05-02"}),                   # e7
        ("chips", "lab", "backstop", 7.0, {"start": "2025", "end": "2028"}),           # e8
        ("bank", "cloud", "credit", 4.0, {"start": "2026"}),                           # e9
        ("lab", "chips", "purchase", float("nan"), {"start": "2026"}),                 # e10
        ("fund", "lab", "equity", 6.0, {"start": "2026-01", "end": "2027-01",
                                        "funded": 2.0}),                               # e11
    ], revenue={"lab": 10.0}, cash={"lab": 25.0}, as_of={"lab": "2025-12-31"})


def test_five_year_compute_contract_pays_60_a_year(small):
    e1 = legs(schedule(small), "e1")
    # 300 over 2027-2031 inclusive = 60 months: 12/60 x 300 = 60 a year
    assert by_year(e1) == {2027: 60.0, 2028: 60.0, 2029: 60.0, 2030: 60.0, 2031: 60.0}
    assert set(e1["pays"]) == {"lab"} and set(e1["receives"]) == {"cloud"}
    assert set(e1["leg"]) == {"payment"}


def test_loan_principal_out_at_start_and_due_at_end(small):
    e2 = legs(schedule(small), "e2")
    out = e2[e2["leg"] == "principal_out"]
    due = e2[e2["leg"] == "principal_due"]
    # 10 goes lender -> borrower in 2025 and falls due borrower -> lender in 2030
    assert (out["year"].tolist(), out["amount"].tolist()) == ([2025], [10.0])
    assert (out["pays"].iloc[0], out["receives"].iloc[0]) == ("bank", "lab")
    assert (due["year"].tolist(), due["amount"].tolist()) == ([2030], [10.0])
    assert (due["pays"].iloc[0], due["receives"].iloc[0]) == ("lab", "bank")


def test_equity_stake_paid_at_start(small):
    e3 = legs(schedule(small), "e3")
    assert by_year(e3) == {2026: 5.0}
    assert e3["pays"].iloc[0] == "fund" and e3["receives"].iloc[0] == "lab"


def test_partial_years_pro_rata_by_months(small):
    # 60 from 2025-10 to 2030-10 = 60 months, 1 a month: Oct-Dec 2025 = 3, 12 a year,
    # Jan-Sep 2030 = 9
    assert by_year(legs(schedule(small), "e4")) == {2025: 3.0, 2026: 12.0, 2027: 12.0,
                                                     2028: 12.0, 2029: 12.0, 2030: 9.0}


def test_annual_amount_until_used_up(small):
    # 30 at 12 a year from 2026-07: 6 in Jul-Dec 2026, 12 in 2027, the last 12 in 2028
    e5 = legs(schedule(small), "e5")
    assert by_year(e5) == {2026: 6.0, 2027: 12.0, 2028: 12.0}
    assert set(e5["rule"]) == {"annual"}


def test_funded_part_is_already_paid(small):
    e6 = legs(schedule(small), "e6")
    # 20 funded sits in 2026 as 'paid'; the unpaid 80 spreads over 2026-2029, 20 a year
    assert by_year(e6, "paid") == {2026: 20.0}
    assert by_year(e6, "payment") == {2026: 20.0, 2027: 20.0, 2028: 20.0, 2029: 20.0}
    # equity with a term: funded 2 at start, the other 4 over 2026-01..2027-01 (12 months)
    e11 = legs(schedule(small), "e11")
    assert by_year(e11, "paid") == {2026: 2.0} and by_year(e11, "payment") == {2026: 4.0}


def test_no_start_uses_announced_and_says_so(small):
    e7 = legs(schedule(small), "e7")
    assert by_year(e7) == {2025: 8.0}
    assert set(e7["basis"]) == {"announced (no start)"}
    assert set(legs(schedule(small), "e1")["basis"]) == {"start"}


def test_unscheduled_backstop_undisclosed_and_no_maturity(small):
    res = schedule(small)
    uns = res.unscheduled.set_index("commitment")["reason"]
    assert uns["e8"].startswith("contingent")
    assert uns["e10"] == "amount not disclosed"
    assert uns["e9"] == "principal due date unknown (no end)"
    # the credit's principal still goes out at its start
    assert by_year(legs(res, "e9"), "principal_out") == {2026: 4.0}
    assert "e8" not in set(res.schedule["commitment"])


def test_rules_override(small):
    res = schedule(small, rules={"compute": "start", "equity": "end"})
    assert by_year(legs(res, "e1")) == {2027: 300.0}
    # equity by 'end': funded 2 at start (paid), the rest 4 in the end year 2027
    assert by_year(legs(res, "e11"), "payment") == {2027: 4.0}
    # a purchase with no end spread "even" has no term: all at start
    assert by_year(legs(schedule(small, rules=["purchase=even"]), "e5")) == {2026: 30.0}
    with pytest.raises(FinflowError, match="unknown rule"):
        resolve_rules({"compute": "sometimes"})
    with pytest.raises(FinflowError, match="unknown kind"):
        resolve_rules("cash=even")
    assert resolve_rules(None) == DEFAULT_RULES


def test_window_and_network_tables(small):
    res = schedule(small, start_year=2026, end_year=2028)
    assert res.schedule["year"].between(2026, 2028).all()
    assert res.by_kind["year"].tolist() == [2026, 2027, 2028]
    # 2027 due: e1 60 + e4 12 + e5 12 + e6 20 + e11 none = 104
    assert res.by_kind.set_index("year").loc[2027, "total"] == pytest.approx(104.0)
    assert res.by_kind["total"].tolist() == pytest.approx(res.by_status["total"].tolist())
    # outside the window: 2025 = e2 out 10 + e4 3 + e7 8 = 21; after 2028 = e1 3 x 60 +
    # e4 12 + 9 + e6 20 + e2 due 10 = 231
    assert res.outside == {"before": pytest.approx(21.0), "after": pytest.approx(231.0)}
    with pytest.raises(FinflowError):
        schedule(small, start_year=2030, end_year=2026)


# ---- conservation -----------------------------------------------------------------------
def assert_conserved(net, result):
    com = net.commitments.set_index("id")
    s = result.schedule
    pay = s[s["leg"].isin(["paid", "payment", "principal_out"])].groupby("commitment")["amount"].sum()
    due = s[s["leg"] == "principal_due"].groupby("commitment")["amount"].sum()
    for cid, total in pay.items():
        assert total == pytest.approx(com.loc[cid, "amount"], rel=1e-9, abs=1e-9), cid
    for cid, total in due.items():
        assert total == pytest.approx(com.loc[cid, "amount"], rel=1e-9, abs=1e-9), cid
    return pay, due


def test_conservation_on_every_row_of_the_bundled_network(default_network):
    res = schedule(default_network, status="all")
    pay, due = assert_conserved(default_network, res)
    com = default_network.commitments
    counted = com[com["in_totals"]]
    scheduled = set(pay.index)
    # every counted row is scheduled or listed as unscheduled with a reason
    assert set(counted["id"]) == scheduled | set(res.unscheduled["commitment"])
    # every loan/bond/credit with an end has its principal falling due
    fin = counted[counted["kind"].isin(["loan", "bond", "credit"]) & counted["end"].notna()
                  & counted["amount"].notna()]
    assert set(fin["id"]) == set(due.index)


dates = st.builds(
    lambda y, m, d, p: f"{y}" if p == 0 else (f"{y}-{m:02d}" if p == 1 else f"{y}-{m:02d}-{d:02d}"),
    st.integers(2020, 2035), st.integers(1, 12), st.integers(1, 28), st.integers(0, 2))


def floor(date: str) -> str:
    return date + "-01" * (2 - date.count("-"))


@st.composite
def networks(draw):
    n = draw(st.integers(1, 8))
    edges = []
    for _ in range(n):
        kind = draw(st.sampled_from(list(finflow.KINDS)))
        amount = draw(st.floats(0.0, 500.0, allow_nan=False))
        start, end = draw(st.none() | dates), draw(st.none() | dates)
        if start and end and floor(end) < floor(start):
            start, end = end, start  # files must not end before they start
        extra = {"start": start, "end": end, "announced": draw(dates)}
        if draw(st.booleans()):
            extra["funded"] = amount * draw(st.floats(0.0, 1.0, allow_nan=False))
        if draw(st.booleans()):
            extra["annual"] = draw(st.floats(0.5, 100.0, allow_nan=False))
        payer, payee = draw(st.sampled_from([("a", "b"), ("b", "c"), ("c", "a"), ("a", "c")]))
        edges.append((payer, payee, kind, amount, extra))
    return make_network(edges)


@settings(max_examples=40, deadline=None)
@given(networks(), st.sampled_from(["auto", "even", "annual", "start", "end", "principal"]))
def test_conservation_property(net, rule):
    for rules in (None, {k: rule for k in finflow.KINDS if k != "backstop"}):
        res = schedule(net, status="all", rules=rules)
        pay, _ = assert_conserved(net, res)
        # no money moves before the commitment starts (or, without a start, is announced)
        s = res.schedule
        assert (s["amount"] > 0).all()
        com = net.commitments.set_index("id")
        for cid, first in s[s["leg"] != "principal_due"].groupby("commitment")["year"].min().items():
            start = com.loc[cid, "start"] or com.loc[cid, "announced"]
            assert first >= int(str(start)[:4])


# ---- the funding gap ----------------------------------------------------------------------
@pytest.fixture
def lab():
    # lab: revenue 10 (2025), cash 25; owes cloud 90 over 2026-2028 (30 a year);
    # receives 20 of equity in 2027
    return make_network([
        ("lab", "cloud", "compute", 90.0, {"start": "2026", "end": "2028"}),
        ("fund", "lab", "equity", 20.0, {"start": "2027-06"}),
    ], revenue={"lab": 10.0}, cash={"lab": 25.0}, as_of={"lab": "2025-12-31"})


def test_funding_gap_by_hand(lab):
    gap = funding_gap(lab, "lab", revenue_growth=0.10, from_year=2026, to_year=2028)
    t = gap.entity_table("lab").set_index("year")
    # revenue 10 x 1.1^(year - 2025): 11, 12.1, 13.31
    assert t["revenue"].tolist() == pytest.approx([11.0, 12.1, 13.31])
    assert t["outflows"].tolist() == pytest.approx([30.0, 30.0, 30.0])
    assert t["inflows"].tolist() == pytest.approx([0.0, 20.0, 0.0])
    # net = revenue + inflows - outflows: -19, 2.1, -16.69; cumulative -19, -16.9, -33.59
    assert t["net"].tolist() == pytest.approx([-19.0, 2.1, -16.69])
    assert t["cumulative_net"].tolist() == pytest.approx([-19.0, -16.9, -33.59])
    assert t["cumulative_gap"].tolist() == pytest.approx([19.0, 16.9, 33.59])
    # against cash 25: 6, 8.1, -8.59: the shortfall first exceeds the cash in 2028
    assert t["cash_left"].tolist() == pytest.approx([6.0, 8.1, -8.59])
    assert t["out_compute"].tolist() == pytest.approx([30.0, 30.0, 30.0])
    row = gap.entities.set_index("entity").loc["lab"]
    assert row["runway_year"] == 2028 and row["runway_basis"] == "cash"
    assert gap.over_committed() == ["lab"]
    # growth_needed closes the gap exactly: no shortfall above cash at it, one just below
    g = row["growth_needed"]
    assert g > 0.10
    at = funding_gap(lab, "lab", revenue_growth=g, from_year=2026, to_year=2028)
    below = funding_gap(lab, "lab", revenue_growth=g - 1e-6, from_year=2026, to_year=2028)
    assert pd.isna(at.entities["runway_year"].iloc[0])
    assert below.entities["runway_year"].iloc[0] == 2028
    assert any("10.0%" in n for n in gap.notes())


def test_runway_with_cash_unknown_is_against_revenue_alone(lab):
    net = make_network([
        ("lab", "cloud", "compute", 90.0, {"start": "2026", "end": "2028"}),
    ], revenue={"lab": 10.0}, as_of={"lab": "2025"})
    gap = funding_gap(net, "lab", from_year=2026, to_year=2028)
    row = gap.entities.iloc[0]
    assert pd.isna(row["cash"])
    # 10 - 30 = -20 in 2026 already: runway 2026, measured without cash
    assert row["runway_year"] == 2026 and "cash unknown" in row["runway_basis"]
    assert gap.table["cash_left"].isna().all()
    assert any("cash unknown" in line for line in gap.summary())


def test_missing_revenue_stays_missing(lab):
    net = make_network([("lab", "cloud", "compute", 90.0, {"start": "2026", "end": "2028"})],
                       cash={"lab": 5.0})
    gap = funding_gap(net, "lab", from_year=2026, to_year=2028)
    t = gap.entity_table("lab")
    assert t["revenue"].isna().all() and t["net"].isna().all()
    assert t["outflows"].tolist() == pytest.approx([30.0, 30.0, 30.0])
    row = gap.entities.iloc[0]
    assert pd.isna(row["runway_year"]) and row["runway_basis"] == "revenue unknown"
    assert gap.over_committed() == []
    assert any("Revenue unknown" in line for line in gap.summary())
    assert gap.to_dict()["table"][0]["revenue"] is None


def test_projections_replace_the_grown_figure(lab, tmp_path):
    proj = pd.DataFrame({"entity": ["lab"], "year": [2027], "revenue": [50.0]})
    gap = funding_gap(lab, "lab", projections=proj, revenue_growth=0.1, from_year=2026,
                      to_year=2028)
    # 2026: 10 x 1.1 = 11 (no projection yet); 2027: 50; 2028: 50 x 1.1 = 55
    assert gap.entity_table("lab")["revenue"].tolist() == pytest.approx([11.0, 50.0, 55.0])
    # a projections.csv in the network folder is used by default
    folder = lab.save(tmp_path / "net")
    (folder / "projections.csv").write_text("entity,year,revenue\nlab,2026,40\n")
    net = finflow.load(folder)
    g2 = funding_gap(net, "lab", from_year=2026, to_year=2027)
    assert g2.entity_table("lab")["revenue"].tolist() == pytest.approx([40.0, 40.0])
    assert g2.projections.endswith("projections.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("entity,year,revenue\nlab,soon,1\n,2027,-3\n")
    with pytest.raises(FinflowError) as err:
        read_projections(bad)
    assert "bad.csv:2: year" in str(err.value) and "bad.csv:3: revenue" in str(err.value)
    with pytest.raises(FinflowError, match="unknown entity"):
        funding_gap(lab, "lab", projections=pd.DataFrame(
            {"entity": ["nobody"], "year": [2026], "revenue": [1.0]}))


def test_funding_gap_errors(lab):
    with pytest.raises(FinflowError, match="unknown entity 'nobody'"):
        funding_gap(lab, ["lab", "nobody"])
    with pytest.raises(FinflowError, match="revenue growth"):
        funding_gap(lab, revenue_growth="fast")
    with pytest.raises(FinflowError):
        funding_gap(lab, from_year=2030, to_year=2026)
    assert parse_growth("25%") == 0.25 and parse_growth("-0.5") == -0.5


def test_warrants_are_not_cash_by_default():
    net = make_network([("issuer", "holder", "warrant", 12.0, {"start": "2026"})],
                       revenue={"holder": 1.0}, as_of={"holder": "2026"})
    assert funding_gap(net, "holder", from_year=2026, to_year=2026).table["inflows"].iloc[0] == 0
    counted = funding_gap(net, "holder", from_year=2026, to_year=2026, noncash_kinds=())
    assert counted.table["inflows"].iloc[0] == 12.0


# ---- the bundled network: OpenAI ------------------------------------------------------------
def test_openai_timeline_on_the_bundled_network():
    data = json.loads(run("timeline", "--entity", "openai", "--format", "json").output)
    assert (data["from_year"], data["to_year"]) == (2026, 2035)  # network as_of 2026-06-11
    ent = data["entities"][0]
    assert ent["entity"] == "openai" and ent["revenue_base"] == 13.1
    assert ent["revenue_year"] == 2025 and ent["cash"] is None
    rows = {r["year"]: r for r in data["table"]}
    assert all(r["revenue"] == pytest.approx(13.1) for r in rows.values())  # 0% growth
    # 2027 by hand (fact sheet terms): Oracle c04 300/5 = 60; AWS c27 100/8 = 12.5;
    # Azure c29 250 over 60 months = 50; AMD c32 90 over 48 months = 22.5; Cerebras c99
    # 20 over 36 months (2026-04..2029-04) = 6.667 (it replaced the lapsed c34 in the
    # 2026-12 audit); CoreWeave c36 22.4 over 60 months = 4.48; AWS c26 38 over 84 months
    # = 5.429; Stargate equity c19 19 over 48 months = 4.75
    expected = 60 + 12.5 + 50 + 22.5 + 20 * 12 / 36 + 4.48 + 38 * 12 / 84 + 4.75
    assert rows[2027]["outflows"] == pytest.approx(expected)
    # 2026: inflows SoftBank c23 30 + Amazon c24 15 + c93 35 + SoftBank purchases c35
    # (3 a year from 2025-02: 0.25 left for 2026) = 80.25 against outflows of
    # 50 + 4.48 + 5.429 + 11.25 + 5.0 (c99, 9 of 36 months) + 4.75 + 1 (c101, other)
    # = 81.91: net +11.4, no gap yet
    assert rows[2026]["inflows"] == pytest.approx(80.25)
    assert rows[2026]["outflows"] == pytest.approx(50 + 4.48 + 38 * 12 / 84 + 11.25 + 20 * 9 / 36
                                                   + 4.75 + 1)
    assert rows[2026]["cumulative_gap"] == 0
    # 2027: 13.1 - 166.33 more than wipes it out: the runway ends in 2027, measured
    # against revenue alone because OpenAI's cash is unknown
    assert ent["runway_year"] == 2027
    assert "cash unknown" in ent["runway_basis"]
    assert rows[2027]["cash_left"] is None
    assert any("openai" in s and "cash unknown" in s for s in data["summary"])
    assert any("13.1" in n or "revenue field" in n for n in data["notes"])


def test_openai_as_of_october_2025_counts_the_loi():
    data = json.loads(run("timeline", "-e", "openai", "--as-of", "2025-10-01",
                          "-f", "json").output)
    assert data["from_year"] == 2025
    rows = {r["year"]: r for r in data["table"]}
    # Oct 2025: Nvidia's 100 LOI (c01, loi, start 2026-07, no end: at start) and 0.25 of
    # SoftBank's c35; the 2026 round (c23, c24, c93) was not announced yet
    assert rows[2026]["inflows"] == pytest.approx(100.25)
    only_firm = json.loads(run("timeline", "-e", "openai", "--as-of", "2025-10-01",
                               "--status", "closed,committed", "-f", "json").output)
    assert {r["year"]: r for r in only_firm["table"]}[2026]["inflows"] == pytest.approx(0.25)


def test_network_tables_match_the_schedule(default_network):
    gap = funding_gap(default_network, from_year=2026, to_year=2030)
    sched = schedule(default_network, start_year=2026, end_year=2030)
    assert gap.due_by_kind["total"].tolist() == pytest.approx(sched.by_kind["total"].tolist())
    assert gap.due_by_status["total"].tolist() == pytest.approx(gap.due_by_kind["total"].tolist())
    # the year's total is the sum of the due legs of the schedule
    s = sched.schedule
    due = s[s["leg"] != "paid"].groupby("year")["amount"].sum()
    assert sched.by_kind.set_index("year")["total"].to_dict() == pytest.approx(due.to_dict())


# ---- CLI --------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["table", "markdown", "csv"])
def test_timeline_formats(fmt):
    out = run("timeline", "-e", "openai", "--to", "2030", "--format", fmt).output
    assert "openai" in out and "2027" in out and "2,027" not in out


def test_timeline_bad_input_exits_2(tmp_path):
    res = run("timeline", "--entity", "nobody", code=2)
    assert "unknown entity 'nobody'" in res.output and "Traceback" not in res.output
    assert "revenue growth" in run("timeline", "--revenue-growth", "lots", code=2).output
    assert "unknown rule" in run("timeline", "--rule", "compute=never", code=2).output
    run("timeline", "--projections", str(tmp_path / "none.csv"), code=2)
    run("timeline", "--from", "2030", "--to", "2026", code=2)


def test_timeline_cli_options(tmp_path):
    proj = tmp_path / "p.csv"
    proj.write_text("entity,year,revenue\nopenai,2027,200\n")
    data = json.loads(run("timeline", "-e", "openai", "--projections", str(proj),
                          "--revenue-growth", "10%", "--rule", "compute=start",
                          "-f", "json").output)
    assert data["projections"] == str(proj) and data["revenue_growth"] == 0.1
    assert data["rules"]["compute"] == "start"
    rows = {r["year"]: r for r in data["table"]}
    assert rows[2027]["revenue"] == pytest.approx(200.0)
    assert rows[2028]["revenue"] == pytest.approx(220.0)
    assert rows[2026]["revenue"] == pytest.approx(13.1 * 1.1)


def test_timeline_charts_written(tmp_path):
    res = CliRunner().invoke(main, ["timeline", "--charts", str(tmp_path / "c"), "-f", "csv"],
                             catch_exceptions=False)
    assert res.exit_code == 0
    files = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert "timeline_openai.svg" in files
    ET.parse(tmp_path / "c" / "timeline_openai.svg")


# ---- charts ----------------------------------------------------------------------------
def test_chart_is_valid_svg_with_one_bar_per_year(lab):
    gap = funding_gap(lab, "lab", from_year=2026, to_year=2031)
    svg = timeline_chart_svg(gap, "lab")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert [int(b.get("data-year")) for b in bars] == list(range(2026, 2032))
    # bar heights follow the outflows: 30, 30, 30 then nothing
    heights = [float(b.get("height")) for b in bars]
    assert heights[0] == pytest.approx(heights[1]) and heights[0] > 0 and heights[3] == 0
    assert root.find(f"{SVG}polyline[@class='revenue']") is not None
    assert root.find(f"{SVG}line[@class='cash']") is not None
    assert "runway ends 2028" in svg
    assert "<script" not in svg and "http" not in svg.replace("http://www.w3.org/2000/svg", "")


def test_chart_escapes_text_and_handles_missing_revenue():
    ents = pd.DataFrame({"id": ["lab", "x"], "name": ['R&D <"Lab">', "X"],
                         "as_of": ["2026", None]})
    coms = pd.DataFrame({"payer": ["lab"], "payee": ["x"], "kind": ["compute"],
                         "amount": [10.0], "start": ["2026"], "end": ["2027"]})
    net = finflow.Network.from_frames(ents, coms, name="a<b")
    gap = funding_gap(net, "lab", from_year=2026, to_year=2027)
    svg = timeline_chart_svg(gap, "lab")
    root = ET.fromstring(svg)  # parses: the name's <, > and & are escaped
    assert 'R&D <"Lab">' in root.find(f"{SVG}title").text
    assert "revenue is missing" in svg
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]) == 2
    with pytest.raises(FinflowError):
        timeline_chart_svg(gap, "nobody")


def test_charts_for_over_committed_entities(default_network):
    gap = funding_gap(default_network)
    charts = timeline_charts(gap)
    assert list(charts) == gap.over_committed() and "openai" in charts
    for svg in charts.values():
        ET.fromstring(svg)
