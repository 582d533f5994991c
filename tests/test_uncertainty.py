"""Uncertainty and significance: the amount distribution, presence and deal coupling,
reproducible seeds, bands that collapse to the point analyses' own numbers, each draw
equal to the analyses run on that draw's network, the degree-preserving null model, and
the command line."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

import finflow
from finflow import Network
from finflow.analysis.nullmodel import (circularity_significance, circularity_statistics,
                                        swap_payees)
from finflow.analysis.scenario import MODELS
from finflow.analysis.uncertainty import (DEFAULT_PRESENCE, draw_commitments, kendall_tau,
                                          parse_presence, sample_amounts, uncertainty)
from finflow.cli import main
from finflow.errors import FinflowError
from finflow.kinds import STATUSES
from finflow.render import to_json
from helpers import make_network

ALL_PRESENT = {s: 1.0 for s in STATUSES}


def without_ranges(net: Network) -> Network:
    """The network with every amount and equity range removed (zero-width ranges)."""
    com = net.commitments.copy()
    com["amount_low"] = np.nan
    com["amount_high"] = np.nan
    ent = net.entities.copy()
    ent["equity_low"] = np.nan
    ent["equity_high"] = np.nan
    return Network(ent, com, net.metadata, validated=True)


# --------------------------------------------------------------------------------------
# the amount distribution, presence and deal coupling
# --------------------------------------------------------------------------------------
def test_triangular_by_hand():
    # triangular(2, 5, 11): mean (2 + 5 + 11) / 3 = 6, P(X <= mode) = (5 - 2) / (11 - 2)
    # = 1/3; the inverse CDF at u = 1/3 is the mode, at 0 the low end, at 1 the high end
    lo, mode, hi = np.array([2.0]), np.array([5.0]), np.array([11.0])
    u = np.random.default_rng(0).random(200_000)
    x = sample_amounts(lo, mode, hi, u)
    assert x.mean() == pytest.approx(6.0, rel=0.01)
    assert np.mean(x <= 5.0) == pytest.approx(1 / 3, abs=0.01)
    assert x.min() >= 2.0 and x.max() <= 11.0
    edges = sample_amounts(lo, mode, hi, np.array([0.0, 1 / 3, 1.0]))
    assert edges.tolist() == pytest.approx([2.0, 5.0, 11.0])
    # the same law as scipy's triangular distribution (c = 1/3, loc 2, scale 9)
    ks = stats.kstest(x[:5000], stats.triang(c=1 / 3, loc=2.0, scale=9.0).cdf)
    assert ks.pvalue > 0.01


def test_up_to_uniform_fixed_and_zero_width():
    u = np.random.default_rng(1).random(100_000)
    # "up to 20" with a headline of 8: triangle falling from 8; mean (8 + 8 + 20) / 3 = 12
    x = sample_amounts(np.array([8.0]), np.array([8.0]), np.array([20.0]), u)
    assert x.mean() == pytest.approx(12.0, rel=0.01) and x.min() >= 8.0
    y = sample_amounts(np.array([8.0]), np.array([8.0]), np.array([20.0]), u, "uniform")
    assert y.mean() == pytest.approx(14.0, rel=0.01)               # (8 + 20) / 2
    z = sample_amounts(np.array([8.0]), np.array([8.0]), np.array([20.0]), u, "fixed")
    assert (z == 8.0).all()
    w = sample_amounts(np.array([7.0]), np.array([7.0]), np.array([7.0]), u)
    assert (w == 7.0).all()                                          # no range: the amount
    with pytest.raises(FinflowError):
        sample_amounts(lo := np.array([0.0]), lo, lo, u, "lognormal")


def range_network():
    return make_network([
        ("a", "b", "other", 10.0, {"amount_high": 20.0, "status": "committed"}),   # up to
        ("b", "c", "other", 10.0, {"amount_low": 4.0, "status": "closed"}),
        ("c", "a", "other", 6.0, {"amount_low": 5.0, "amount_high": 9.0, "status": "loi"}),
        ("c", "b", "other", 3.0, {"status": "reported"}),
        ("a", "c", "other", 2.0, {"status": "closed", "cancelable": True}),
    ])


def test_draws_stay_in_their_ranges_and_presence_frequencies():
    net = range_network()
    d = draw_commitments(net, 4000, seed=5)
    a = pd.DataFrame(d.amounts.T, columns=d.ids)
    assert a["e1"].between(10, 20).all() and a["e2"].between(4, 10).all()
    assert a["e3"].between(5, 9).all() and (a["e4"] == 3).all() and (a["e5"] == 2).all()
    assert a["e1"].mean() == pytest.approx((10 + 10 + 20) / 3, rel=0.02)
    p = pd.DataFrame(d.present.T, columns=d.ids).mean()
    # binomial sd at 4,000 draws is below 0.008: a margin of 0.03 is about 4 sd
    assert p["e1"] == 1.0 and p["e2"] == 1.0 and p["e5"] == 1.0
    assert p["e3"] == pytest.approx(0.5, abs=0.03) and p["e4"] == pytest.approx(0.5, abs=0.03)
    d = draw_commitments(net, 4000, seed=5, presence=["loi=0.2", "cancelable=0.25"])
    p = pd.DataFrame(d.present.T, columns=d.ids).mean()
    assert p["e3"] == pytest.approx(0.2, abs=0.03) and p["e5"] == pytest.approx(0.25, abs=0.03)
    assert p["e1"] == 1.0


def test_parse_presence():
    assert parse_presence(None) == DEFAULT_PRESENCE
    assert parse_presence({"reported": 0})["reported"] == 0.0
    for bad in (["loi=2"], ["nope=0.5"], ["loi=x"]):
        with pytest.raises(FinflowError):
            parse_presence(bad)


def test_legs_of_a_deal_move_together():
    # two loi legs of one deal with proportional ranges (10..20 and 100..200, both
    # "up to"): present together in every draw, at the same quantile
    net = make_network([
        ("a", "b", "equity", 10.0, {"amount_high": 20.0, "status": "loi", "deal": "d1"}),
        ("b", "a", "purchase", 100.0, {"amount_high": 200.0, "status": "loi", "deal": "d1"}),
        ("a", "c", "equity", 10.0, {"amount_high": 20.0, "status": "loi"}),
    ])
    d = draw_commitments(net, 2000, seed=2)
    assert (d.present[0] == d.present[1]).all()
    assert d.amounts[1] == pytest.approx(10 * d.amounts[0])
    # the leg outside the deal is independent of it
    assert abs(np.corrcoef(d.present[0], d.present[2])[0, 1]) < 0.1
    u = draw_commitments(net, 2000, seed=2, couple_deals=False)
    assert abs(np.corrcoef(u.present[0], u.present[1])[0, 1]) < 0.1


# --------------------------------------------------------------------------------------
# reproducibility
# --------------------------------------------------------------------------------------
def _figures(r):
    return r.figures.set_index("name")[["point", "median", "p05", "p95"]]


def test_seeded_runs_are_reproducible(default_network):
    kw = dict(null_samples=19, bff_draws=10, scenarios="none")
    a = uncertainty(default_network, 40, seed=3, **kw)
    b = uncertainty(default_network, 40, seed=3, **kw)
    pd.testing.assert_frame_equal(a.samples, b.samples)
    pd.testing.assert_frame_equal(a.null_model.statistics, b.null_model.statistics)
    da, db = a.to_dict(), b.to_dict()
    da.pop("diagnostics"), db.pop("diagnostics")
    assert da == db
    # the draws do not depend on the block size (the disjoint unions differ: rounding)
    c = uncertainty(default_network, 40, seed=3, block_size=7, **kw)
    pd.testing.assert_frame_equal(a.samples, c.samples, rtol=1e-9)
    # another seed gives other draws and other null samples
    e = uncertainty(default_network, 40, seed=4, **kw)
    assert not np.allclose(a.samples["total_flow"], e.samples["total_flow"])
    assert not np.allclose(a.null_model.null["max_circulation"],
                           e.null_model.null["max_circulation"])
    # the draws are those of draw_commitments with the same seed
    d = draw_commitments(default_network, 40, seed=3)
    assert d.present.sum(axis=0).tolist() == a.samples["commitments"].tolist()


# --------------------------------------------------------------------------------------
# bands collapse to the point analyses' own numbers
# --------------------------------------------------------------------------------------
def _assert_point_matches_analyses(fig, ent, net, shock, status=None):
    """The point figures of one column equal the analyses run on the network."""
    cf = finflow.circular_financing(net, max_length=4, status=status)
    assert fig["max_circulation_share"] == pytest.approx(cf.circularity, rel=1e-12)
    assert fig["max_circulation"] == pytest.approx(cf.max_circulation, rel=1e-12)
    assert fig["total_flow"] == pytest.approx(cf.total_flow, rel=1e-12)
    assert fig["cycles"] == cf.cycle_count
    assert fig["bff_circular_share"] == pytest.approx(cf.decomposition.circularity, rel=1e-9)
    heavy = finflow.heaviest_cycles(net, 1, max_length=4, status=status).cycles
    assert fig["heaviest_cycle"] == pytest.approx(heavy[0].bottleneck if heavy else 0.0)
    comp = finflow.contagion(net, list(shock), status=status)
    for m, r in comp.results.items():
        assert fig[f"{m}_equity_lost"] == pytest.approx(r.total_loss, rel=1e-9), m
        assert fig[f"{m}_defaults"] == len(r.defaulted), m
    rank = finflow.systemic_ranking(net, status=status).entities.set_index("id")
    shown = ent.dropna(subset=["rank"])
    assert shown["rank"].astype(float).tolist() == pytest.approx(
        rank.loc[shown.index, "impact_rank"].astype(float).tolist())
    assert shown["impact"].tolist() == pytest.approx(
        rank.loc[shown.index, "impact"].tolist(), rel=1e-9, abs=1e-12)
    return comp


def test_zero_width_and_certain_presence_collapse_to_the_point(default_network):
    net = without_ranges(default_network)
    r = uncertainty(net, 30, seed=1, presence=ALL_PRESENT, null_samples=0, bff_draws=30,
                    scenarios="binding-only")
    f = r.figures.set_index("name")
    # every band collapses to the point estimate
    for name, row in f.iterrows():
        assert row["median"] == pytest.approx(row["point"], rel=1e-9, abs=1e-12), name
        assert row["p05"] == pytest.approx(row["point"], rel=1e-9, abs=1e-12), name
        assert row["p95"] == pytest.approx(row["point"], rel=1e-9, abs=1e-12), name
        assert row["draws"] == 30
    ent = r.entities.set_index("id")
    for key in ("coverage", "inflow_hhi", "impact"):
        pt = ent[f"{key}_point"]
        for q in ("median", "p05", "p95"):
            np.testing.assert_allclose(ent[f"{key}_{q}"], pt, rtol=1e-9, atol=1e-12)
    assert r.rank_stability["top_stays_top"] == 1.0
    assert r.rank_stability["kendall_tau"]["p05"] == pytest.approx(1.0)
    # ... and the point estimate is the point analyses' own numbers
    assert r.shock == {"openai": 1.0}             # the ranking's top entity (see below)
    point = {k: v["point"] for k, v in f.iterrows()}
    comp = _assert_point_matches_analyses(
        point, ent.assign(rank=ent["impact_rank_point"], impact=ent["impact_point"]),
        net, r.shock)
    rank = finflow.systemic_ranking(net)
    assert rank.entities.iloc[0]["id"] == "openai"
    conc = finflow.concentration(net).entities.set_index("id").loc[ent.index]
    np.testing.assert_allclose(ent["coverage_point"], conc["coverage"], rtol=1e-12)
    np.testing.assert_allclose(ent["inflow_hhi_point"], conc["inflow_hhi"], rtol=1e-12)
    # how often each entity defaults: always what the point model says
    dflt = r.entity_defaults.set_index("id")
    for m, res in comp.results.items():
        expected = ent.index.isin(res.defaulted).astype(float)
        assert dflt[m].tolist() == expected.tolist(), m
    # the scenario column equals the analyses on the scenario's statuses
    sc = r.scenarios.set_index("name")["binding_only"]
    fig_b = {k: sc[k] for k in sc.index if k != "top_entity"}
    cf_b = finflow.circular_financing(net, max_length=4, status="closed,committed")
    assert fig_b["max_circulation_share"] == pytest.approx(cf_b.circularity, rel=1e-12)
    comp_b = finflow.contagion(net, ["openai"], status="closed,committed")
    for m, res in comp_b.results.items():
        assert fig_b[f"{m}_equity_lost"] == pytest.approx(res.total_loss, rel=1e-9)
        assert fig_b[f"{m}_defaults"] == len(res.defaulted)
    rk_b = finflow.systemic_ranking(net, status="closed,committed").entities
    assert sc["top_entity"] == rk_b.iloc[0]["id"]


def test_each_draw_equals_the_analyses_on_that_draws_network(default_network):
    # the vectorised evaluation (disjoint unions of draws) against every analysis run on
    # a network rebuilt from one draw's commitments
    r = uncertainty(default_network, 6, seed=11, null_samples=0, bff_draws=6,
                    scenarios="none")
    d = draw_commitments(default_network, 6, seed=11)
    eq = finflow.draw_equity(default_network, 6, seed=11)   # estimated equity drawn too
    for k in range(6):
        net = d.network(default_network, k, equity=eq.equity[:, k])
        fig = r.samples.iloc[k].to_dict()
        imp = r.impact_samples.iloc[k]
        ent = pd.DataFrame({"impact": imp, "rank": stats.rankdata(-imp.to_numpy(), "min")},
                           index=imp.index)
        _assert_point_matches_analyses(fig, ent, net, r.shock)
        assert fig["commitments"] == len(net.commitments)


@st.composite
def uncertain_network(draw):
    """A small network with every kind of claim, uncertain amounts and statuses, equity
    that may be zero or missing, outside debt, an external entity, and a shock."""
    n = draw(st.integers(3, 6))
    ids = [f"x{i}" for i in range(n)]
    ext = draw(st.integers(-1, n - 1))                          # -1: no market entity
    ent = pd.DataFrame({
        "id": ids, "type": ["market" if i == ext else "other" for i in range(n)],
        "equity": draw(st.lists(st.sampled_from([0.0, 1.0, 3.0, 8.0, np.nan]),
                                min_size=n, max_size=n)),
        "debt": draw(st.lists(st.sampled_from([np.nan, 2.0, 20.0]), min_size=n, max_size=n)),
        "revenue": draw(st.lists(st.sampled_from([np.nan, 5.0]), min_size=n, max_size=n)),
    })
    rows = []
    for t in range(draw(st.integers(2, 10))):
        i, j = draw(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                    .filter(lambda p: p[0] != p[1]))
        amount = draw(st.sampled_from([1.0, 2.0, 5.0, 9.0]))
        rows.append({
            "id": f"c{t}", "payer": ids[i], "payee": ids[j],
            "kind": draw(st.sampled_from(["loan", "bond", "purchase", "compute", "equity",
                                          "backstop", "other"])),
            "amount": amount,
            "funded": draw(st.sampled_from([np.nan, 0.0, amount / 2])),
            "amount_high": draw(st.sampled_from([np.nan, amount * 2])),
            "status": draw(st.sampled_from(["closed", "committed", "loi", "reported"])),
            "deal": draw(st.sampled_from([None, "d1", "d2"])),
        })
    net = Network.from_frames(ent, pd.DataFrame(rows), name="random")
    inside = [x for k, x in enumerate(ids) if k != ext]
    who = draw(st.sampled_from(inside))
    with_equity = [x for x in inside if np.isfinite(ent.set_index("id").loc[x, "equity"])]
    if with_equity and draw(st.booleans()):
        return net, None, {draw(st.sampled_from(with_equity)): 0.5}
    return net, [who], None


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(uncertain_network(), st.integers(0, 1000))
def test_vectorised_draws_equal_the_models_on_random_networks(case, seed):
    net, defaults, shocks = case
    kw = dict(missing_equity="zero", lgd={"purchase": 0.3})
    r = uncertainty(net, 4, seed, null_samples=0, scenarios="none", bff_draws=4,
                    defaults=defaults, shocks=shocks, block_size=3, **kw)
    d = draw_commitments(net, 4, seed)
    for k in range(4):
        one = d.network(net, k)
        fig = r.samples.iloc[k]
        comp = finflow.contagion(one, defaults, shocks, **kw)
        for m, res in comp.results.items():
            assert fig[f"{m}_equity_lost"] == pytest.approx(res.total_loss, rel=1e-9,
                                                            abs=1e-9), m
            assert fig[f"{m}_defaults"] == len(res.defaulted), m
        rank = finflow.systemic_ranking(one, **kw).entities.set_index("id")
        imp = r.impact_samples.iloc[k]
        assert imp.tolist() == pytest.approx(rank.loc[imp.index, "impact"].tolist(),
                                             rel=1e-9, abs=1e-9)
        assert fig["max_circulation_share"] == pytest.approx(
            finflow.max_circulation(one).circularity, rel=1e-12, nan_ok=True)
        bff_share = finflow.circular_decomposition(one).circularity
        assert fig["bff_circular_share"] == pytest.approx(
            np.nan if bff_share is None else bff_share, rel=1e-9, abs=1e-12, nan_ok=True)


def test_shares_of_draws_with_an_loi_leg():
    # a -> b closed, b -> a loi: the cycle exists in the draws where the loi is present,
    # about half of them; circularity is then 1 (20 of 20 goes round), else 0
    net = make_network([("a", "b", "other", 10.0, {"status": "closed"}),
                        ("b", "a", "other", 10.0, {"status": "loi"})])
    r = uncertainty(net, 400, seed=0, null_samples=0, contagion=False, scenarios="none")
    c = r.samples["max_circulation_share"]
    assert set(np.unique(c)) == {0.0, 1.0}
    assert (c == 1.0).mean() == pytest.approx(0.5, abs=0.08)
    assert r.figure("cycles")["point"] == 1.0
    top = r.top_cycles.iloc[0]
    assert top["cycle"] == "a > b" and top["present"] == pytest.approx((c == 1.0).mean())


def test_missing_equity_skips_contagion_with_a_reason():
    net = make_network([("a", "b", "loan", 5.0), ("b", "a", "loan", 4.0)])
    r = uncertainty(net, 5, null_samples=0)
    assert "contagion" in r.skipped and "equity" in r.skipped["contagion"]
    assert not any(n.endswith("_equity_lost") for n in r.figures["name"])
    json.dumps(r.to_dict())                          # still JSON-ready


def test_no_draws_and_empty_networks_are_json_ready(default_network):
    r = uncertainty(default_network, 0, null_samples=0)
    data = json.loads(to_json(r))
    fig = {f["name"]: f for f in data["figures"]}
    assert fig["max_circulation_share"]["median"] is None and fig["max_circulation_share"]["draws"] == 0
    assert fig["max_circulation_share"]["point"] == pytest.approx(
        finflow.max_circulation(default_network).circularity)
    empty = make_network([], equity={"a": 1.0, "b": 2.0})
    r = uncertainty(empty, 5, null_samples=5)
    json.loads(to_json(r))
    assert r.figure("total_flow")["p95"] == 0.0 and "first by id" in r.shock_source


def test_bad_parameters():
    net = range_network()
    for kw in ({"draws": -1}, {"seed": -2}, {"scenarios": "nope"}, {"distribution": "x"},
               {"presence": ["loi=7"]}, {"null_samples": 1.5}):
        with pytest.raises(FinflowError):
            uncertainty(net, **({"draws": 5} | kw))


def test_kendall_tau_matches_scipy():
    rng = np.random.default_rng(4)
    x = rng.integers(0, 5, 12).astype(float)                 # with ties
    Y = rng.integers(0, 5, (12, 7)).astype(float)
    Y[:, 0] = x
    ours = kendall_tau(x, Y)
    ref = [stats.kendalltau(x, Y[:, c]).statistic for c in range(7)]
    assert ours == pytest.approx(ref)
    assert ours[0] == pytest.approx(1.0)


# --------------------------------------------------------------------------------------
# the null model
# --------------------------------------------------------------------------------------
@st.composite
def multigraph(draw):
    n = draw(st.integers(2, 7))
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1))
                          .filter(lambda p: p[0] != p[1]), min_size=1, max_size=25))
    return n, np.array([p[0] for p in pairs]), np.array([p[1] for p in pairs])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(multigraph(), st.integers(0, 30), st.integers(1, 4), st.integers(0, 2**16))
def test_swaps_keep_degrees_and_edge_count(case, rounds, samples, seed):
    n, tails, heads = case
    h, acc = swap_payees(tails, np.tile(heads, (samples, 1)), rounds,
                         np.random.default_rng(seed))
    assert h.shape == (samples, len(heads))                 # no commitment dropped
    for row in h:
        assert np.bincount(row, minlength=n).tolist() == np.bincount(heads, minlength=n).tolist()
        assert (row != tails).all()                          # no self-loop created
    assert (acc >= 0).all() and (acc <= rounds * (len(heads) // 2)).all()


def test_swap_chain_is_uniform_on_a_small_case():
    # tails 0,1,2,3 and heads 1,2,3,0: the payee assignments without a self-loop are the
    # 9 derangements of (0, 1, 2, 3); the chain's stationary law is uniform over them
    tails, heads = np.arange(4), np.array([1, 2, 3, 0])
    h, _ = swap_payees(tails, np.tile(heads, (4500, 1)), 30, np.random.default_rng(0))
    counts = pd.Series([tuple(r) for r in h.tolist()]).value_counts()
    derangements = [p for p in itertools.permutations(range(4))
                    if all(p[i] != i for i in range(4))]
    assert sorted(counts.index) == sorted(derangements)
    assert stats.chisquare(counts.to_numpy()).pvalue > 0.001


def test_observed_statistics_are_the_analyses(default_network):
    net = default_network
    m = net.mask()
    a = net._arrays
    s = circularity_statistics(net.n, a["payer"][m], a["payee"][m], a["amount"][m])
    assert s["max_circulation_share"] == pytest.approx(finflow.max_circulation(net).circularity,
                                             rel=1e-12)
    assert s["cycles"] == finflow.count_cycles(net, max_length=4)[0]
    cyc = finflow.find_cycles(net, max_length=4).cycles
    assert s["cycle_weight"] == pytest.approx(sum(c.bottleneck for c in cyc))


def ring_with_light_edges(k: int = 8):
    """A heavy ring and its reverse (100 each way) among r0..r7, plus light edges from
    sources s_i and to sinks t_i (1 each): the heavy money goes round."""
    edges = [(f"r{i}", f"r{(i + 1) % k}", "other", 100.0) for i in range(k)]
    edges += [(f"r{(i + 1) % k}", f"r{i}", "other", 100.0) for i in range(k)]
    edges += [(f"s{i}", f"r{i}", "other", 1.0) for i in range(k)]
    edges += [(f"r{i}", f"t{i}", "other", 1.0) for i in range(k)]
    return make_network(edges)


def test_circular_network_is_significant():
    r = circularity_significance(ring_with_light_edges(), 199, seed=0)
    c = r.stat("max_circulation_share")
    # observed 1600 / 1616 goes round; rewired heavy edges mostly lead out of the ring
    assert c["observed"] == pytest.approx(1600 / 1616)
    assert c["p_value"] <= 0.05 and c["z"] > 2
    assert r.stat("cycle_weight")["p_value"] <= 0.05
    assert "configuration model" in r.description and "self-loop" in r.description


def test_acyclic_network_is_not_significant():
    # a DAG has circularity 0, the least possible value: every sample is >= it, p = 1.
    # Its rewired versions can be circular (c -> d, a -> b may become c -> b, a -> d,
    # closing b -> c -> b), so the null mean is positive: the network is *less* circular
    # than chance, which a one-sided test for "more circular" does not flag.
    dag = make_network([("a", "b", "other", 5.0), ("b", "c", "other", 4.0),
                        ("c", "d", "other", 3.0), ("a", "c", "other", 2.0),
                        ("b", "d", "other", 1.0), ("a", "d", "other", 1.0)])
    r = circularity_significance(dag, 199, seed=0)
    for name in ("max_circulation_share", "cycles", "cycle_weight"):
        s = r.stat(name)
        assert s["observed"] == 0.0 and s["p_value"] == 1.0
    assert r.stat("max_circulation_share")["mean"] > 0


def test_p_values_are_on_the_grid(default_network):
    r = circularity_significance(default_network, 49, seed=9)
    for p in r.statistics["p_value"]:
        assert 1 / 50 <= p <= 1 and (p * 50) == pytest.approx(round(p * 50))


# --------------------------------------------------------------------------------------
# the command line
# --------------------------------------------------------------------------------------
def invoke(*args, code=0):
    result = CliRunner().invoke(main, ["uncertainty", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_cli_json(default_network):
    out = invoke("--draws", "25", "--null-samples", "19", "--bff-draws", "5", "--format",
                 "json").stdout
    data = json.loads(out)
    assert data["draws"] == 25 and data["seed"] == 0
    fig = {f["name"]: f for f in data["figures"]}
    assert {"point", "median", "p05", "p95"} <= set(fig["max_circulation_share"])
    assert fig["max_circulation_share"]["point"] == pytest.approx(
        finflow.max_circulation(default_network).circularity)
    assert fig["bff_circular_share"]["draws"] == 5
    assert {e["id"] for e in data["entity_defaults"]} == set(default_network.index)
    assert all(0 <= e[m] <= 1 for e in data["entity_defaults"] for m in MODELS)
    assert [s["name"] for s in data["scenarios"]] == ["binding-only", "announced",
                                                     "no-cancelable", "low-amounts",
                                                     "high-amounts"]
    nm = data["null_model"]
    assert "configuration model" in nm["description"] and nm["samples"] == 19
    assert {s["statistic"] for s in nm["statistics"]} >= {"max_circulation_share", "cycles",
                                                          "cycle_weight"}
    assert all({"observed", "mean", "sd", "z", "p_value"} <= set(s) for s in nm["statistics"])
    rs = data["rank_stability"]
    assert rs["top_entity"] == "openai" and 0 <= rs["top_stays_top"] <= 1
    # the library gives the same numbers
    lib = uncertainty(default_network, 25, null_samples=19, bff_draws=5)
    assert [f["median"] for f in data["figures"]] == pytest.approx(
        [f["median"] for f in lib.to_dict()["figures"]])


def test_cli_options_and_text():
    out = invoke("--draws", "10", "--null-samples", "0", "--scenario", "binding-only",
                 "--presence", "loi=1", "--presence", "reported=1", "--distribution", "fixed",
                 "--default", "oracle", "--format", "json").stdout
    data = json.loads(out)
    assert data["shock"] == {"oracle": 1.0} and data["shock_source"] == "given"
    assert [s["name"] for s in data["scenarios"]] == ["binding-only"]
    for f in data["figures"]:                      # nothing varies: bands = point
        if f["median"] is not None:
            assert f["p05"] == pytest.approx(f["point"]) and f["p95"] == pytest.approx(f["point"])
    text = invoke("--draws", "10", "--null-samples", "9", "--scenario", "none").stdout
    assert "max_circulation_share" in text and "Null model" in text and "Figures" in text
    assert "Examples:" in invoke("--help").stdout


def test_cli_as_of(default_network):
    data = json.loads(invoke("--draws", "5", "--null-samples", "0", "--scenario", "none",
                             "--as-of", "2025-12-31", "--format", "json").stdout)
    then = default_network.as_of("2025-12-31")
    fig = {f["name"]: f for f in data["figures"]}
    assert fig["commitments"]["point"] == int(then.mask().sum())
    assert fig["total_flow"]["point"] == pytest.approx(float(then.flow_matrix().sum()))


def test_cli_bad_input_exits_2():
    for args in (["--presence", "loi=3"], ["--default", "nobody"], ["--shock", "oracle=2"],
                 ["--scenario", "nope"]):
        r = invoke("--draws", "2", "--null-samples", "0", *args, code=2)
        assert "Traceback" not in r.output
