"""Concentration and coverage: hand-computed cases, invariants, the bundled network, the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

import finflow
from finflow.analysis.concentration import (SORT_FIELDS, concentration, counterparty_shares,
                                            gini, hhi, pagerank)
from finflow.cli import main

from helpers import make_network

GRAPHS = Path(__file__).resolve().parents[1] / "graphs" / "ai_infrastructure"


# ---- generic measures -----------------------------------------------------------------
def test_gini_hand_values():
    # population definition G = sum_i sum_j |x_i - x_j| / (2 n^2 mean):
    # (1,1,1,1): every difference 0 -> 0.
    # (0,0,0,1): 6 ordered pairs differ by 1 -> 6 / (2 * 16 * 0.25) = 6 / 8 = 0.75.
    # (1,3): 2 ordered pairs differ by 2 -> 4 / (2 * 4 * 2) = 0.25.
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert gini([1, 3]) == pytest.approx(0.25)
    assert np.isnan(gini([0, 0])) and np.isnan(gini([]))
    with pytest.raises(finflow.FinflowError):
        gini([1, -1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), min_size=1,
                max_size=12))
def test_gini_sorted_formula_equals_mean_difference_definition(values):
    x = np.asarray(values)
    if x.sum() <= 0:
        return
    n = x.size
    direct = np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean())
    assert gini(x) == pytest.approx(direct, abs=1e-9)
    assert 0.0 <= gini(x) <= 1 - 1 / n + 1e-12


def test_hhi_hand_values():
    # four equal shares: 4 * (1/4)^2 = 0.25; (3, 1): (3/4)^2 + (1/4)^2 = 10/16 = 0.625
    assert hhi([1, 1, 1, 1]) == pytest.approx(0.25)
    assert hhi([3, 1]) == pytest.approx(0.625)
    assert hhi([7]) == 1.0
    assert np.isnan(hhi([0, 0]))


@pytest.mark.parametrize("seed", range(5))
def test_pagerank_matches_networkx(seed):
    rng = np.random.default_rng(seed)
    n = 8
    m = rng.random((n, n)) * (rng.random((n, n)) < 0.3)
    m[rng.integers(n)] = 0.0  # a dangling node
    g = nx.from_numpy_array(m, create_using=nx.DiGraph)
    ref = nx.pagerank(g, alpha=0.85, weight="weight", tol=1e-14, max_iter=10_000)
    ours = pagerank(sp.csr_array(m), 0.85)
    np.testing.assert_allclose(ours, [ref[i] for i in range(n)], atol=1e-9)
    assert ours.sum() == pytest.approx(1.0)


def test_pagerank_rejects_bad_damping():
    with pytest.raises(finflow.FinflowError, match="damping"):
        pagerank(np.eye(2), 1.0)


# ---- a hand-computed network --------------------------------------------------------
@pytest.fixture
def small():
    """a -> c equity 3, b -> c equity 1, c -> a purchase 6 (2 paid; 2025..2026),
    b -> a loan 5. Equity a 10, b 4, c 2; revenue a 3 (cash 1), b and c unknown."""
    return make_network(
        [("a", "c", "equity", 3.0), ("b", "c", "equity", 1.0),
         ("c", "a", "purchase", 6.0, {"funded": 2.0, "start": "2025", "end": "2026"}),
         ("b", "a", "loan", 5.0)],
        equity={"a": 10.0, "b": 4.0, "c": 2.0}, revenue={"a": 3.0}, cash={"a": 1.0})


def test_small_network_counterparty_concentration(small):
    e = concentration(small).entities.set_index("id")
    # a receives 6 from c and 5 from b: shares 6/11, 5/11; HHI (36 + 25) / 121 = 61/121
    assert e.loc["a", "inflow"] == 11
    assert e.loc["a", "inflow_hhi"] == pytest.approx(61 / 121)
    assert e.loc["a", "inflow_hhi_10k"] == pytest.approx(10_000 * 61 / 121)
    assert e.loc["a", "top_counterparty"] == "c"
    assert e.loc["a", "top_share"] == pytest.approx(6 / 11)
    # c receives 3 from a and 1 from b: HHI 9/16 + 1/16 = 0.625, top a with 3/4
    assert e.loc["c", "inflow_hhi"] == pytest.approx(0.625)
    assert (e.loc["c", "top_counterparty"], e.loc["c", "top_share"]) == ("a", 0.75)
    # b receives nothing: missing HHI and top, not 0
    assert np.isnan(e.loc["b", "inflow_hhi"]) and pd.isna(e.loc["b", "top_counterparty"])
    # b pays 1 to c and 5 to a: outflow HHI (1 + 25) / 36, top payee a with 5/6
    assert e.loc["b", "outflow_hhi"] == pytest.approx(26 / 36)
    assert (e.loc["b", "top_payee"], e.loc["b", "top_payee_share"]) == ("a", pytest.approx(5 / 6))
    assert e.loc["a", "n_payers"] == 2 and e.loc["b", "n_payees"] == 2
    assert list(e.loc[["a", "b", "c"], "n_counterparties"]) == [2, 2, 2]


def test_small_network_exposures_and_large_exposure_flag(small):
    e = concentration(small).entities.set_index("id")
    # a on c: equity 3 x LGD 1 + unpaid purchase (6 - 2) x 0.5 = 5; equity 10 -> 0.5 > 0.25
    assert e.loc["a", "largest_exposure"] == pytest.approx(5.0)
    assert e.loc["a", "largest_exposure_to"] == "c"
    assert e.loc["a", "max_exposure_to_equity"] == pytest.approx(0.5)
    assert e.loc["a", "large_exposure"] is True
    # b on a: loan 5 x 0.45 = 2.25; b on c: equity 1. Largest 2.25 / 4 = 0.5625,
    # total 3.25 / 4 = 0.8125
    assert e.loc["b", "largest_exposure_to"] == "a"
    assert e.loc["b", "max_exposure_to_equity"] == pytest.approx(0.5625)
    assert e.loc["b", "total_exposure_to_equity"] == pytest.approx(0.8125)
    # c holds no claim: 0 / 2 = 0, below the limit (known, so False, not None)
    assert e.loc["c", "max_exposure_to_equity"] == 0.0 and e.loc["c", "large_exposure"] is False
    # what others lose if c defaults: 5 (a) + 1 (b) = 6
    assert e.loc["c", "exposed_to_it"] == pytest.approx(6.0)
    # --lgd purchase=1: a on c = 3 + 4 = 7 -> 0.7
    e1 = concentration(small, lgd=["purchase=1"]).entities.set_index("id")
    assert e1.loc["a", "max_exposure_to_equity"] == pytest.approx(0.7)


def test_small_network_coverage(small):
    e = concentration(small).entities.set_index("id")
    # a owes b the loan principal 5: coverage 5 / 3, with cash 5 / (3 + 1) = 1.25
    assert e.loc["a", "commitments_due"] == pytest.approx(5.0)
    assert e.loc["a", "coverage"] == pytest.approx(5 / 3)
    assert e.loc["a", "coverage_with_cash"] == pytest.approx(1.25)
    # c owes a the unpaid purchase 4 but has no revenue: coverage missing, never 0
    assert e.loc["c", "commitments_due"] == pytest.approx(4.0)
    assert np.isnan(e.loc["c", "coverage"])
    # c's contract 2025..2026 (year-only end = end of 2026): 2 years, 4 / 2 = 2 a year
    assert e.loc["c", "annual_due"] == pytest.approx(2.0)
    # a pays no contract (debt principal is not a yearly payment): 0 / 3 = 0
    assert e.loc["a", "annual_due"] == 0.0 and e.loc["a", "annual_coverage"] == 0.0


def test_small_network_self_financed_share(small):
    e = concentration(small).entities.set_index("id")
    # the only cycle is a -> c (3) -> a (6); BFF puts 3 round it (pi = (1/2, 1/2),
    # lambda = min(3, 6) / (1/2) = 6, so 3 on each edge): a gets 3 of 11 back, c 3 of 4
    assert e.loc["a", "self_financed_share"] == pytest.approx(3 / 11)
    assert e.loc["c", "self_financed_share"] == pytest.approx(3 / 4)
    assert np.isnan(e.loc["b", "self_financed_share"])


def test_small_network_level(small):
    net = concentration(small).network
    # throughput a = 11 + 3 = 14, b = 0 + 6 = 6, c = 4 + 6 = 10; sum 30, volume 15
    # HHI = (14^2 + 6^2 + 10^2) / 30^2 = 332 / 900
    # Gini = sum |x_i - x_j| / (2 n^2 mean) = 2 (4 + 8 + 4) / (2 * 9 * 10) = 32 / 180
    assert net["hhi"] == pytest.approx(332 / 900)
    assert net["hhi_10k"] == pytest.approx(332 / 900 * 10_000)
    assert net["gini"] == pytest.approx(32 / 180)
    assert net["top_entity"] == "a"
    # commitments touching a: 3 + 6 + 5 = 14 of 15
    assert net["top_entity_volume_share"] == pytest.approx(14 / 15)
    assert net["large_exposures"] == 2
    assert net["centralities"]["flow_pagerank"]["damping"] == 0.85


def test_missing_equity_gives_missing_ratios_and_a_note():
    net = make_network([("x", "y", "loan", 10.0)], equity={"y": 5.0})
    r = concentration(net)
    e = r.entities.set_index("id")
    assert e.loc["x", "largest_exposure"] == pytest.approx(4.5)  # 10 x 0.45
    assert np.isnan(e.loc["x", "max_exposure_to_equity"])
    assert e.loc["x", "large_exposure"] is None
    assert r.to_dict()["entities"][[row["id"] for row in r.to_dict()["entities"]].index("x")][
        "max_exposure_to_equity"] is None
    assert any("lack equity" in n and "x" in n for n in r.notes())
    assert any("lack revenue" in n and "y" in n for n in r.notes())  # y owes 10, no revenue


def test_sort_descending_missing_last_and_unknown_field(small):
    rows = concentration(small, sort="coverage").entities
    assert list(rows["id"]) == ["a", "b", "c"]  # a 5/3; b, c missing (ties by id)
    rows = concentration(small, sort="max_exposure_to_equity").entities
    assert list(rows["id"]) == ["b", "a", "c"]  # 0.5625, 0.5, 0
    with pytest.raises(finflow.FinflowError, match="coverage"):
        concentration(small, sort="no_such_field")
    for name in SORT_FIELDS:  # every advertised sort field exists
        assert name in rows.columns


# ---- invariants -----------------------------------------------------------------------
NODES = ["a", "b", "c", "d", "e"]
KINDS = list(finflow.KINDS)


@st.composite
def networks(draw):
    n_edges = draw(st.integers(1, 9))
    edges = []
    for _ in range(n_edges):
        payer = draw(st.sampled_from(NODES))
        payee = draw(st.sampled_from([x for x in NODES if x != payer]))
        edges.append((payer, payee, draw(st.sampled_from(KINDS)),
                      draw(st.floats(0.5, 100, allow_nan=False))))
    maybe = st.one_of(st.none(), st.floats(0.5, 50, allow_nan=False))
    revenue = {x: draw(maybe) for x in NODES}
    equity = {x: draw(maybe) for x in NODES}
    return make_network(edges, equity=equity, revenue=revenue)


@settings(max_examples=40, deadline=None)
@given(networks())
def test_invariants_on_random_networks(net):
    r = concentration(net)
    e = r.entities.set_index("id").loc[list(net.index)]
    for side, col, n_col, top in (("inflow", "inflow_hhi", "n_payers", "top_share"),
                                  ("outflow", "outflow_hhi", "n_payees", "top_payee_share")):
        s = counterparty_shares(net, side)
        sums = np.asarray(s.sum(axis=1)).ravel()
        has = e[side].to_numpy() > 0
        np.testing.assert_allclose(sums[has], 1.0)       # shares sum to 1
        assert np.all(sums[~has] == 0)
        h = e[col].to_numpy()[has]
        k = e[n_col].to_numpy()[has]
        assert np.all(h >= 1 / k - 1e-12) and np.all(h <= 1 + 1e-12)   # 1/n <= HHI <= 1
        t = e[top].to_numpy()[has]
        assert np.all(t * t <= h + 1e-12) and np.all(h <= t + 1e-12)   # top^2 <= HHI <= top
        np.testing.assert_allclose(h, np.asarray(s.multiply(s).sum(axis=1)).ravel()[has])
        assert np.all(np.isnan(e[col].to_numpy()[~has]))
    rev = net.entity_vector("revenue")
    cov = e["coverage"].to_numpy()
    assert np.all(np.isnan(cov[np.isnan(rev)]))                       # no revenue -> missing
    ok = ~np.isnan(rev)
    np.testing.assert_allclose(cov[ok], e["commitments_due"].to_numpy()[ok] / rev[ok])
    eq = net.entity_vector("equity")
    assert all(e["large_exposure"].to_numpy()[np.isnan(eq)] == None)  # noqa: E711
    sf = e["self_financed_share"].dropna().to_numpy()
    assert np.all((sf >= -1e-9) & (sf <= 1 + 1e-9))
    for key in ("flow_pagerank", "exposure_pagerank"):
        assert e[key].sum() == pytest.approx(1.0)
    g = r.network["gini"]
    assert 0 <= g <= 1 - 1 / r.network["n_active"] + 1e-12
    json.dumps(r.to_dict(), allow_nan=False)  # strict JSON: no NaN anywhere


# ---- the bundled network ------------------------------------------------------------
def test_openai_coverage_equals_hand_sum_of_the_data_rows(default_network):
    # From graphs/ai_infrastructure/commitments.csv, OpenAI's commitments due = unpaid
    # purchase/compute/lease contracts it pays + debt principal it owes (none), counted
    # rows only (not lapsed, amount known, in_totals): c04 oracle 300, c26 amazon 38,
    # c27 amazon 100, c29 microsoft 250, c32 amd 90, c36 coreweave 22.4, c99 cerebras 20
    # = 820.4 (c03 and c34 are lapsed: c34's 10 was superseded by c99 in the 2026-12
    # audit; c33 Broadcom has no disclosed amount, c19 is equity, c101 is kind other).
    # Revenue 13.1 (entities.csv, 2025 recognised): coverage 820.4 / 13.1 = 62.63.
    com = pd.read_csv(GRAPHS / "commitments.csv")
    ent = pd.read_csv(GRAPHS / "entities.csv").set_index("id")
    live = com[(com["status"] != "lapsed") & com["amount"].notna()
               & com["in_totals"].astype(str).str.lower().eq("true")]
    pays = live[(live["payer"] == "openai") & live["kind"].isin(["purchase", "compute", "lease"])]
    owes = live[(live["payee"] == "openai") & live["kind"].isin(["loan", "bond", "credit"])]
    due = (pays["amount"] - pays["funded"].fillna(0)).clip(lower=0).sum() + \
        owes["funded"].fillna(owes["amount"]).sum()
    assert sorted(pays["id"]) == ["c04", "c26", "c27", "c29", "c32", "c36", "c99"]
    assert due == pytest.approx(820.4)
    expected = due / ent.loc["openai", "revenue"]
    e = concentration(default_network).entities.set_index("id")
    assert e.loc["openai", "commitments_due"] == pytest.approx(due)
    assert e.loc["openai", "coverage"] == pytest.approx(expected)
    assert e.loc["openai", "coverage"] == pytest.approx(820.4 / 13.1)
    # yearly rates: c04 60 (stated) + c26 5.4 + c27 12.5 + c29 250 / 5 (2025-10..2030-10)
    # + c32 90 / 4 (2026-07..2030-07: "four years" from H2 2026) + c36 22.4 / 5
    # (2025-03..2030-03) + c99 6.7 (stated annual, 20 / 3)
    # = 60 + 5.4 + 12.5 + 50 + 22.5 + 4.48 + 6.7 = 161.58
    assert e.loc["openai", "annual_due"] == pytest.approx(161.58)


def test_bundled_oracle_depends_on_openai(default_network):
    # Oracle's largest claim is on OpenAI: c04 compute 300 unpaid x LGD 0.5 = 150, against
    # book equity 24.7 (entities.csv): 150 / 24.7 = 6.07, far above the 25% limit
    e = concentration(default_network).entities.set_index("id")
    assert e.loc["oracle", "largest_exposure_to"] == "openai"
    assert e.loc["oracle", "max_exposure_to_equity"] == pytest.approx(150 / 24.7)
    assert e.loc["oracle", "large_exposure"] is True
    assert e.loc["oracle", "top_counterparty"] == "openai"


# ---- the CLI -------------------------------------------------------------------------
def run(*args, code=0):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_cli_json_matches_library(default_network):
    data = json.loads(run("concentration", "--format", "json").output)
    assert {"entities", "network"} <= set(data)
    assert len(data["entities"]) == default_network.n
    row = next(r for r in data["entities"] if r["id"] == "openai")
    for key in ("id", "inflow_hhi", "outflow_hhi", "top_counterparty", "top_share",
                "max_exposure_to_equity", "coverage", "large_exposure", "self_financed_share"):
        assert key in row
    assert row["coverage"] == pytest.approx(820.4 / 13.1)
    # OpenAI's largest claim is its Stargate equity c19 (19, LGD 1) against its estimated
    # book equity of 100 (entities.csv, 2026-12 audit): 19 / 100
    assert row["max_exposure_to_equity"] == pytest.approx(19 / 100)
    net = data["network"]
    for key in ("gini", "hhi", "top_entity", "top_entity_volume_share", "centralities"):
        assert key in net
    # the throughput order is the default sort
    tp = [r["throughput"] for r in data["entities"]]
    assert tp == sorted(tp, reverse=True)


def test_cli_sort_lgd_and_filters():
    data = json.loads(run("concentration", "-f", "json", "--sort", "coverage").output)
    cov = [r["coverage"] for r in data["entities"]]
    known = [c for c in cov if c is not None]
    assert known == sorted(known, reverse=True) and cov[: len(known)] == known
    assert data["entities"][0]["id"] == "openai"
    gross = json.loads(run("concentration", "-f", "json", "--lgd", "compute=1").output)
    oracle = next(r for r in gross["entities"] if r["id"] == "oracle")
    assert oracle["largest_exposure"] == pytest.approx(300.0)  # c04 unpaid, LGD 1
    assert gross["lgd"]["compute"] == 1.0
    closed = json.loads(run("concentration", "-f", "json", "--status", "closed").output)
    assert closed["statuses"] == ["closed"]
    assert closed["network"]["total_volume"] < data["network"]["total_volume"]


def test_cli_bad_input_exits_2_with_the_valid_fields():
    out = run("concentration", "--sort", "bogus", code=2).output
    assert "bogus" in out and "coverage" in out and "Traceback" not in out
    out = run("concentration", "--lgd", "purchase=2", code=2).output
    assert "outside [0, 1]" in out


def test_cli_table_shows_dependence_and_coverage():
    out = run("concentration", "--limit", "10").output
    assert "openai: commitments due 820" in out
    # the headline is the entity with the largest exposure relative to equity: since the
    # 2026-12 audit the TPU SPV (Broadcom's backstop c108 31, LGD 1, against its thin
    # estimated equity 1); Oracle's 150 on OpenAI (300 x 0.5 / 24.7) is still listed
    assert "broadcom_xpu_platform: largest exposure 31" in out
    assert "oracle to openai 6.07 x" in out
    assert "top_payer" in out and "due/rev" in out
    assert "Examples:" in run("concentration", "--help").output


def test_ties_go_to_the_entity_listed_first_and_self_financed_can_be_skipped():
    # x receives 2 from a and 2 from b: shares 1/2 each, HHI 1/2, top = a (listed first)
    net = make_network([("a", "x", "equity", 2.0), ("b", "x", "equity", 2.0),
                        ("x", "a", "purchase", 1.0)])
    r = concentration(net)
    e = r.entities.set_index("id")
    assert (e.loc["x", "top_counterparty"], e.loc["x", "top_share"]) == ("a", 0.5)
    assert e.loc["x", "inflow_hhi"] == pytest.approx(0.5)
    # the loop a -> x -> a carries 1 (the smaller edge): a gets back all of its inflow 1
    assert e.loc["a", "self_financed_share"] == pytest.approx(1.0)
    skipped = concentration(net, self_financed=False)
    assert skipped.entities["self_financed_share"].isna().all()
    assert skipped.network["bff_circular_share"] is None
    assert any("Not computed" in n for n in skipped.notes())
    data = json.loads(run("concentration", "-f", "json", "--no-self-financed").output)
    assert all(row["self_financed_share"] is None for row in data["entities"])
