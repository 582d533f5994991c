"""Network format v2 (issue 15): external holders, holder classes, equity ranges, mergers.

Every expected number is computed by hand in the comments from the small networks below
and the LGDs of DESIGN.md section 2 (credit 0.40, bond 0.60, loan 0.45, equity 1).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import finflow
from finflow.analysis.contagion import MODELS
from finflow.errors import MissingDataError, NetworkFileError


def _holders(external_cell: str = "true", market_external: str = "") -> finflow.Network:
    """a defaults in the tests. fund (a lender flagged external, class credit_funds) lent a
    1000 (credit) and b 50 (credit); mkt (type market) holds a's bond 200; b lent a 20
    (loan); c holds equity 30 in fund (it would lose it if fund could default)."""
    ent = pd.DataFrame({
        "id": ["a", "b", "c", "fund", "mkt"],
        "type": ["ai_lab", "cloud", "investor", "lender", "market"],
        "equity": [10.0, 5.0, 10.0, None, None],
        "external": ["", "", "", external_cell, market_external],
        "holder_class": ["", "", "", "credit_funds", ""],
    })
    com = pd.DataFrame({
        "id": ["f1", "f2", "m1", "b1", "c1"],
        "payer": ["fund", "fund", "mkt", "b", "c"],
        "payee": ["a", "b", "a", "a", "fund"],
        "kind": ["credit", "credit", "bond", "loan", "equity"],
        "amount": [1000.0, 50.0, 200.0, 20.0, 30.0],
    })
    return finflow.Network.from_frames(ent, com, name="holders")


# ---- the columns ----------------------------------------------------------------------
def test_external_mask_and_holder_classes_default_from_type():
    net = _holders()
    assert dict(zip(net.index, net.external_mask())) == {
        "a": False, "b": False, "c": False, "fund": True, "mkt": True}
    # contract: ai_lab->labs, cloud->neoclouds, investor->equity_investors, market->other;
    # fund's own holder_class wins over lender->banks
    assert net.holder_classes().to_dict() == {
        "a": "labs", "b": "neoclouds", "c": "equity_investors", "fund": "credit_funds",
        "mkt": "other"}


def test_market_can_be_declared_not_external():
    net = _holders(market_external="false")
    assert not net.external_mask()[net.position["mkt"]]
    # then it is a firm like any other and needs equity
    with pytest.raises(MissingDataError, match="mkt"):
        finflow.threshold_cascade(net, ["a"])


@pytest.mark.parametrize("column, value, message", [
    ("holder_class", "hedgefunds", "unknown holder_class 'hedgefunds'"),
    ("external", "maybe", "'maybe' is not true or false"),
    ("merged_into", "nobody", "unknown entity 'nobody'"),
    ("merged_into", "a", "an entity cannot merge into itself"),
])
def test_bad_v2_entity_cells_name_file_line_field(tmp_path, column, value, message):
    net = _holders()
    folder = tmp_path / "net"
    net.save(folder)
    ent = pd.read_csv(folder / "entities.csv", dtype=str, keep_default_na=False)
    ent.loc[0, column] = value                     # entity a: line 2 of the file
    ent.to_csv(folder / "entities.csv", index=False)
    with pytest.raises(NetworkFileError) as exc:
        finflow.load(folder)
    assert f"{folder / 'entities.csv'}:2: {column}: {message}" in str(exc.value)


def test_equity_low_above_high_is_an_error(tmp_path):
    ent = pd.DataFrame({"id": ["a", "b"], "equity": [5.0, 1.0], "equity_low": [6.0, None],
                        "equity_high": [4.0, None]})
    com = pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["loan"], "amount": [1.0]})
    with pytest.raises(NetworkFileError, match="equity_low: 6 exceeds equity_high 4"):
        finflow.Network.from_frames(ent, com)


def test_merger_loop_is_an_error():
    ent = pd.DataFrame({"id": ["a", "b"], "merged_into": ["b", "a"]})
    com = pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["loan"], "amount": [1.0]})
    with pytest.raises(NetworkFileError, match="mergers form a loop: a -> b -> a"):
        finflow.Network.from_frames(ent, com)


def test_v2_columns_survive_a_round_trip(tmp_path):
    net = _holders()
    back = finflow.load(net.save(tmp_path / "net"))
    assert back.external_mask().tolist() == net.external_mask().tolist()
    assert back.holder_classes().to_dict() == net.holder_classes().to_dict()


# ---- external holders in every contagion model -------------------------------------------
# Hand computation, a defaults:
#   E[fund, a] = 1000 x 0.40 = 400, E[mkt, a] = 200 x 0.60 = 120, E[b, a] = 20 x 0.45 = 9
#   >= b's equity 5, so b defaults (round 1), and then E[fund, b] = 50 x 0.40 = 20.
#   fund loses 400 + 20 = 420, mkt 120; c's claim is on fund, which never defaults: c 0.
#   DebtRank: h_a = 1, W[b, a] = min(1, 9/5) = 1 -> h_b = 1, so the external losses
#   E[ext, :] h are the same 420 and 120 in both forms.
HAND_LOSS = {"fund": 420.0, "mkt": 120.0}


@pytest.mark.parametrize("model", ["cascade", "debtrank", "linear-debtrank"])
def test_external_holders_lose_exposure_never_default(model):
    r = finflow.contagion(_holders(), ["a"], model=model)   # missing_equity="error"
    e = r.entities.set_index("id")
    for x, loss in HAND_LOSS.items():
        assert e.loc[x, "loss"] == pytest.approx(loss)
        assert not e.loc[x, "defaulted"]
        assert e.loc[x, "role"] == "external"
    assert r.defaulted == ("a", "b")
    assert e.loc["c", "loss"] == 0 and not e.loc["c", "defaulted"]
    assert r.external_loss == pytest.approx(540.0)
    by = r.losses_by_holder_class.set_index("holder_class")
    assert by["loss"].to_dict() == pytest.approx({"credit_funds": 420.0, "other": 120.0})
    assert by["loss"].sum() == pytest.approx(sum(HAND_LOSS.values()))
    assert "losses_by_holder_class" in r.tables()
    assert r.to_dict()["losses_by_holder_class"][0]["holder_class"] == "credit_funds"


def test_external_holders_under_eisenberg_noe():
    # Obligations: a owes fund 1000, mkt 200, b 20; b owes fund 50. External assets by
    # the balance-sheet identity: b: 5 + 50 - 20 = 35. a's default wipes a's, so a pays
    # nothing; b's income 35 < 50 owed: b pays 35, fund misses 15 of it.
    # Unpaid obligations: fund 1000 + 15 = 1015, mkt 200.
    r = finflow.eisenberg_noe(_holders(), ["a"])
    e = r.entities.set_index("id")
    assert e.loc["fund", "loss"] == pytest.approx(1015.0)
    assert e.loc["mkt", "loss"] == pytest.approx(200.0)
    assert not e.loc[["fund", "mkt"], "defaulted"].any()
    assert set(r.defaulted) == {"a", "b"}
    by = r.losses_by_holder_class.set_index("holder_class")["loss"].to_dict()
    assert by == pytest.approx({"credit_funds": 1015.0, "other": 200.0})


def test_huge_external_exposure_never_defaults_in_any_model():
    net = _holders()
    for model in MODELS:
        r = finflow.contagion(net, ["a", "b"], model=model)
        assert "fund" not in r.defaulted and "mkt" not in r.defaulted
        assert r.entities.set_index("id").loc["fund", "loss"] > 400


def test_external_holder_cannot_be_shocked_and_does_not_propagate():
    net = _holders()
    with pytest.raises(finflow.FinflowError, match="external holder"):
        finflow.threshold_cascade(net, ["fund"])
    for model in MODELS:
        rk = finflow.systemic_ranking(net, model=model)
        e = rk.entities.set_index("id")
        assert np.isnan(e.loc["fund", "impact"]) and np.isnan(e.loc["mkt", "impact"])
        assert rk.scenarios == 3                       # a, b, c; never the externals
        # c is only exposed to fund: no scenario hurts it
        assert e.loc["c", "vulnerability"] == 0


def test_plain_firm_without_equity_still_needs_a_rule():
    ent = pd.DataFrame({"id": ["a", "x"], "equity": [1.0, None]})
    com = pd.DataFrame({"payer": ["x"], "payee": ["a"], "kind": ["loan"], "amount": [5.0]})
    with pytest.raises(MissingDataError, match="x"):
        finflow.threshold_cascade(finflow.Network.from_frames(ent, com), ["a"])
    ent["external"] = ["", "true"]
    r = finflow.threshold_cascade(finflow.Network.from_frames(ent, com), ["a"])
    assert r.entities.set_index("id").loc["x", "loss"] == pytest.approx(5 * 0.45)


# ---- mergers ----------------------------------------------------------------------------
def _merger(as_of: str = "2026-06-01") -> finflow.Network:
    """x merges into s on 2026-02-15. s invests 5 in n (2025); n buys compute 3 from x
    (2025); s put 2 of equity into x (2025-03: internal after the merger)."""
    ent = pd.DataFrame({"id": ["s", "x", "n"], "type": ["other", "ai_lab", "cloud"],
                        "equity": [50.0, 4.0, 8.0], "merged_into": [None, "s", None],
                        "merged_on": [None, "2026-02-15", None]})
    com = pd.DataFrame({"id": ["k1", "k2", "k3"], "payer": ["s", "n", "s"],
                        "payee": ["n", "x", "x"], "kind": ["equity", "compute", "equity"],
                        "amount": [5.0, 3.0, 2.0],
                        "announced": ["2025-01", "2025-06", "2025-03"]})
    return finflow.Network.from_frames(ent, com, name="merger", as_of=as_of)


def test_after_the_merger_the_cycle_through_the_merged_entity_appears():
    net = _merger()                               # default view: as_of 2026-06-01
    assert net.index == ("s", "n")
    assert net.mergers == {"x": ("s", "2026-02-15")}
    assert net.merged_internal == ("k3",)
    cyc = finflow.find_cycles(net)
    # s -> n (5) -> s (3, was n -> x): one cycle, bottleneck 3
    assert [(c.nodes, c.bottleneck) for c in cyc.cycles] == [(("n", "s"), 3.0)]
    assert set(net.commitments["id"]) == {"k1", "k2"}


def test_before_the_merger_the_entity_stands_alone():
    net = _merger()
    early = net.as_of("2026-02-14")
    assert early.index == ("s", "x", "n")
    assert finflow.find_cycles(early).count == 0
    assert set(early.commitments["id"]) == {"k1", "k2", "k3"}
    # and forward again from the early view: the merger applies
    late = early.as_of("2026-02-15")
    assert late.index == ("s", "n") and finflow.find_cycles(late).count == 1
    # a network whose own as_of is before the merger
    assert _merger(as_of="2026-01-31").index == ("s", "x", "n")


def test_merged_entity_cannot_be_shocked_by_its_old_id():
    with pytest.raises(finflow.FinflowError, match="x merged into s on 2026-02-15"):
        finflow.threshold_cascade(_merger(), ["x"])


def test_save_keeps_the_unmerged_source(tmp_path):
    back = finflow.load(_merger().save(tmp_path / "m"))
    assert back.index == ("s", "n")               # merged again at load
    assert set(back.source_tables()[0]["id"]) == {"s", "x", "n"}
    assert set(back.source_tables()[1]["id"]) == {"k1", "k2", "k3"}


# ---- uncertainty: equity drawn within its range ---------------------------------------
def _ranged(low: float | None, high: float | None) -> finflow.Network:
    """a defaults; b lent a 20 (loan, LGD 0.45: exposure 9) with equity 10 in
    [low, high]; c lent b 6 (exposure 2.7) with equity 2. b defaults iff its equity
    <= 9, and then c (2.7 >= 2) too: 3 cascade defaults, else 1. Every amount is fixed
    and every row binding, so only the equity varies."""
    ent = pd.DataFrame({"id": ["a", "b", "c"], "equity": [1.0, 10.0, 2.0],
                        "equity_low": [None, low, None], "equity_high": [None, high, None],
                        "estimated": [None, "equity", None]})
    com = pd.DataFrame({"payer": ["b", "c"], "payee": ["a", "b"], "kind": ["loan", "loan"],
                        "amount": [20.0, 6.0], "status": ["closed", "closed"]})
    return finflow.Network.from_frames(ent, com, name="ranged")


def test_equity_draws_stay_within_the_range():
    d = finflow.draw_equity(_ranged(4.0, 30.0), 2000, seed=3)
    b = d.equity[1]
    assert b.min() >= 4.0 and b.max() <= 30.0
    assert set(d.equity[0]) == {1.0} and set(d.equity[2]) == {2.0}
    # triangular(4, 10, 30): mean (4 + 10 + 30) / 3 = 14.67 (Johnson 1997)
    assert b.mean() == pytest.approx(44 / 3, abs=0.4)
    u = finflow.draw_equity(_ranged(4.0, 30.0), 2000, seed=3, distribution="uniform")
    assert u.equity[1].mean() == pytest.approx(17.0, abs=0.5)   # uniform(4, 30): mean 17


def test_zero_width_equity_range_gives_the_point_answer():
    net = _ranged(10.0, 10.0)
    r = finflow.uncertainty(net, 200, seed=1, defaults=["a"], null_samples=0, bff_draws=0)
    point = finflow.threshold_cascade(net, ["a"])
    f = r.figure("cascade_equity_lost")
    # b keeps equity 10 > 9: only a defaults; equity lost = a's 1 + b's 9 + c's 0
    assert point.total_loss == pytest.approx(10.0)
    assert f["point"] == f["p05"] == f["p95"] == pytest.approx(point.total_loss)
    assert r.figure("cascade_defaults")["p95"] == 1


def test_equity_range_moves_the_contagion_answer():
    # triangular(4, 10, 30): P(equity <= 9) = (9 - 4)^2 / ((30 - 4)(10 - 4)) = 0.160
    r = finflow.uncertainty(_ranged(4.0, 30.0), 1000, seed=2, defaults=["a"],
                            null_samples=0, bff_draws=0)
    defaults = r.samples["cascade_defaults"].to_numpy()
    assert set(defaults) == {1.0, 3.0}
    assert (defaults == 3).mean() == pytest.approx(0.16, abs=0.04)
    assert r.figure("cascade_defaults")["point"] == 1     # the point uses equity 10
    assert "equity" in r.conventions and "b" in r.conventions["equity"]
    # a fixed law draws nothing
    fixed = finflow.uncertainty(_ranged(4.0, 30.0), 100, seed=2, defaults=["a"],
                                null_samples=0, bff_draws=0, distribution="fixed")
    assert set(fixed.samples["cascade_defaults"]) == {1.0}


def test_ranking_reports_the_external_holders_loss_per_scenario():
    # a alone defaults: as in HAND_LOSS, fund 420 + mkt 120 = 540 (cascade and both
    # DebtRanks); Eisenberg-Noe: the unpaid 1015 + 200 = 1215. b alone: fund loses
    # E[fund, b] = 20 (b's default passes nothing on: a holds no claim on b);
    # Eisenberg-Noe: b's external assets are wiped but a (solvent) still pays it 20,
    # which b passes on: fund misses 50 - 20 = 30 of b's 50. c alone:
    # nobody holds a claim on c: 0.
    want = {"cascade": {"a": 540.0, "b": 20.0, "c": 0.0},
            "debtrank": {"a": 540.0, "b": 20.0, "c": 0.0},
            "linear-debtrank": {"a": 540.0, "b": 20.0, "c": 0.0},
            "eisenberg-noe": {"a": 1215.0, "b": 30.0, "c": 0.0}}
    net = _holders()
    for model, by_id in want.items():
        e = finflow.systemic_ranking(net, model=model).entities.set_index("id")
        for x, v in by_id.items():
            assert e.loc[x, "impact_external"] == pytest.approx(v), (model, x)
        r = finflow.contagion(net, ["a"], model=model)
        assert r.external_loss == pytest.approx(by_id["a"])


def test_merged_on_without_merged_into_is_an_error():
    ent = pd.DataFrame({"id": ["a", "b"], "merged_on": ["2026-01", None]})
    com = pd.DataFrame({"payer": ["a"], "payee": ["b"], "kind": ["loan"], "amount": [1.0]})
    with pytest.raises(NetworkFileError, match="merged_on: is given without merged_into"):
        finflow.Network.from_frames(ent, com)


@pytest.mark.parametrize("suffix", ["json", "graphml", "gexf"])
def test_v2_columns_survive_graph_formats(tmp_path, suffix):
    h = finflow.load(_holders().save(tmp_path / f"h.{suffix}"))
    assert h.external_mask().tolist() == [False, False, False, True, True]
    assert h.holder_classes()["fund"] == "credit_funds"
    m = finflow.load(_merger().save(tmp_path / f"m.{suffix}"))
    assert m.index == ("s", "n") and m.as_of("2026-01-01").index == ("s", "x", "n")


def test_side_by_side_contagion_sums_holder_classes_per_model():
    # HAND_LOSS per class for the three exposure models; Eisenberg-Noe's unpaid amounts
    t = finflow.contagion(_holders(), ["a"], model="all").tables()["losses_by_holder_class"]
    got = t.set_index("holder_class").to_dict("index")
    assert got["credit_funds"] == pytest.approx(
        {"cascade": 420.0, "debtrank": 420.0, "linear": 420.0, "en": 1015.0})
    assert got["other"] == pytest.approx(
        {"cascade": 120.0, "debtrank": 120.0, "linear": 120.0, "en": 200.0})


def test_each_equity_draw_equals_the_models_on_that_draws_network():
    # the vectorised draws (one copy of the network per draw) against the models run on
    # the network rebuilt with that draw's equity
    net = _ranged(4.0, 30.0)
    r = finflow.uncertainty(net, 8, seed=5, defaults=["a"], null_samples=0, bff_draws=0)
    eq = finflow.draw_equity(net, 8, seed=5)
    d = finflow.draw_commitments(net, 8, seed=5)
    assert len(set(eq.equity[1].round(9))) == 8                  # b's equity varies
    for k in range(8):
        one = d.network(net, k, equity=eq.equity[:, k])
        comp = finflow.contagion(one, ["a"])
        for m, res in comp.results.items():
            assert r.samples[f"{m}_equity_lost"].iloc[k] == pytest.approx(res.total_loss), m
            assert r.samples[f"{m}_defaults"].iloc[k] == len(res.defaulted), m
        rank = finflow.systemic_ranking(one).entities.set_index("id")["impact"]
        assert r.impact_samples.iloc[k].to_dict() == pytest.approx(
            rank.loc[r.impact_samples.columns].to_dict())


def test_cli_views_before_and_after_the_merger(tmp_path):
    import json
    from click.testing import CliRunner
    from finflow.cli import main
    folder = _merger().save(tmp_path / "m")
    r = CliRunner().invoke(main, ["validate", str(folder)])
    assert r.exit_code == 0, r.output
    assert "note: mergers applied in the default view (the network's as_of): x into s on " \
           "2026-02-15" in r.output
    now = json.loads(CliRunner().invoke(main, ["show", str(folder), "-f", "json"]).output)
    then = json.loads(CliRunner().invoke(main, ["show", str(folder), "-f", "json",
                                                "--as-of", "2026-02-14"]).output)
    assert (now["n_entities"], now["n_commitments"]) == (2, 2)     # x folded, k3 internal
    assert (then["n_entities"], then["n_commitments"]) == (3, 3)
