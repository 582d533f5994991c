"""Circularity in depth: Finn's cycling index (enaR oyster reef), Hodge potentials and
trophic levels (derived examples), circular and robust cores, and the whole
``finflow cycles`` report on the bundled network (library and CLI)."""
from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from finflow.analysis.circularity import circular_financing
from finflow.analysis.circulation import max_circulation
from finflow.analysis.decomposition import circular_decomposition
from finflow.analysis.flowmeasures import (circular_cores, finn_cycling, finn_indices,
                                           hodge_decomposition, hodge_potentials,
                                           trophic_levels)
from finflow.cli import main
from finflow.errors import FinflowError

from helpers import make_network

# ---------------------------------------------------------------------------------------
# Finn cycling index
# ---------------------------------------------------------------------------------------
# Oyster reef model (Dame and Patten 1981) as published in the enaR vignette (Borrett and
# Lau 2014; SEELab/enaR vignettes/enaR-vignette.tex, commit 0610785; data oyster.dat,
# commit e484ebf), docs/worked_examples.md section 6.1. F[i, j] = flow from i to j; node
# order Filter Feeders, Microbiota, Meiofauna, Deposit Feeders, Predators, Deposited
# Detritus.
OYSTER_F = np.array([
    [0, 0, 0, 0, 0.5135, 15.7910],
    [0, 0, 1.2060, 1.2060, 0, 0],
    [0, 0, 0, 0.6609, 0, 4.2403],
    [0, 0, 0, 0, 0.1721, 1.9076],
    [0, 0, 0, 0, 0, 0.3262],
    [0, 8.1721, 7.2745, 0.6431, 0, 0],
])
OYSTER_Z = np.array([41.47, 0, 0, 0, 0, 0])


def test_finn_oyster_reef_published():
    # published by enaR's enaFlow (docs/worked_examples.md section 6.3):
    # TST 83.5833, APL 2.015512, FCI 0.1101686; T = (41.47, 8.1721, 8.4805, 2.51,
    # 0.6856, 22.2651); cycled throughflow TSTc = mode2 = 9.208256
    r = finn_indices(OYSTER_F, OYSTER_Z)
    np.testing.assert_allclose(r.throughflow, [41.47, 8.1721, 8.4805, 2.51, 0.6856, 22.2651],
                               atol=1e-12)
    assert round(r.tst, 4) == 83.5833
    assert round(r.apl, 6) == 2.015512
    assert round(r.fci, 7) == 0.1101686
    assert round(float(r.cycled.sum()), 6) == 9.208256
    # the same through the sparse path (orientation-free: FCI of the transpose with the
    # same throughflow is not asserted, only the sparse input)
    assert finn_indices(sp.csr_array(OYSTER_F), OYSTER_Z).fci == pytest.approx(r.fci, abs=1e-15)
    # filter feeders take no inflow from inside the model: nothing cycles through them
    assert r.cycled_share[0] == 0.0


def test_finn_hand_example_and_closure():
    # 0 -> 1 10, 1 -> 0 5, 10 entering node 0: T = (15, 10), return probability to 0 =
    # 10/15 x 5/10 = 1/3, n_00 = 1.5; to 1: 5/10 x 10/15 = 1/3: each node cycles 1/3 of
    # its throughflow: FCI = (5 + 10/3) / 25 = 1/3; APL = 25 / 10
    r = finn_indices(np.array([[0, 10.0], [5, 0]]), np.array([10.0, 0]))
    assert (r.tst, r.boundary) == (25.0, 10.0)
    assert r.fci == pytest.approx(1 / 3) and r.apl == pytest.approx(2.5)
    np.testing.assert_allclose(r.cycled_share, [1 / 3, 1 / 3])
    # as a money network a pays b 10, b pays a 5: the rest of the world supplies a's
    # missing 5 and takes b's extra 5, so T = (10, 10), both return probabilities
    # 10/10 x 5/10 = 1/2: FCI = 1/2 and each self-financed share 1/2
    net = make_network([("a", "b", "equity", 10.0), ("b", "a", "purchase", 5.0)])
    f = finn_cycling(net)
    assert f.fci == pytest.approx(0.5) and f.tst == pytest.approx(20.0)
    assert f.boundary == pytest.approx(5.0) and f.apl == pytest.approx(4.0)
    ent = f.entities.set_index("id")
    assert ent["cycled_share"].tolist() == pytest.approx([0.5, 0.5])
    assert ent.loc["a", "from_rest_of_world"] == 5.0 and ent.loc["b", "to_rest_of_world"] == 5.0
    # a chain cycles nothing
    chain = make_network([("a", "b", "loan", 3.0), ("b", "c", "loan", 2.0)])
    assert finn_cycling(chain).fci == 0.0


def test_finn_refuses_big_components_and_bad_input():
    ids = [f"n{i}" for i in range(6)]
    ring = make_network([(ids[i], ids[(i + 1) % 6], "other", 1.0) for i in range(6)])
    with pytest.raises(FinflowError, match="6 nodes"):
        finn_cycling(ring, max_component=5)
    with pytest.raises(FinflowError):
        finn_indices(np.array([[0, -1.0], [0, 0]]), np.zeros(2))


def test_finn_closed_ring_cycles_everything():
    # a ring of equal amounts is balanced: the rest of the world supplies and takes
    # nothing, money goes round forever: every node's cycled share is 1 (the limit of a
    # vanishing leak), FCI = 1 and the average path length is infinite
    ids = [f"n{i}" for i in range(4)]
    ring = make_network([(ids[i], ids[(i + 1) % 4], "other", 2.0) for i in range(4)])
    f = finn_cycling(ring)
    assert f.fci == 1.0 and f.boundary == 0.0 and f.apl == float("inf")
    assert (f.entities["cycled_share"] == 1.0).all()
    assert f.to_dict()["apl"] is None
    # with a leak (n3 also pays 1 to an outsider) the share falls below 1: by hand,
    # T = (2, 2, 2, 3) (n0 receives 2, n3 pays 3 so the rest of the world supplies 1);
    # from n3 a unit goes on round with probability 2/3, so n_ii = 1 / (1 - 2/3) = 3 and
    # every ring member cycles 2/3 of its throughflow
    leaky = make_network([(ids[i], ids[(i + 1) % 4], "other", 2.0) for i in range(4)]
                         + [("n3", "out", "other", 1.0)])
    ent = finn_cycling(leaky).entities.set_index("id")["cycled_share"]
    assert ent[ids].tolist() == pytest.approx([2 / 3] * 4)
    assert ent["out"] == 0.0


# ---------------------------------------------------------------------------------------
# Hodge potentials and trophic levels
# ---------------------------------------------------------------------------------------
W_DERIVED = np.array([[0, 2.0, 1], [0, 0, 1], [1, 0, 0]])


def test_hodge_derived_example():
    # docs/worked_examples.md section 8.2 (derived; HodgeRank / Kichikawa et al. 2019
    # convention): net flow 1->2 2, 2->3 1, 1<->3 cancel; div = (2, -1, -1) and the binary
    # Laplacian of the triangle [[2,-1,-1],[-1,2,-1],[-1,-1,2]] give phi = div / 3 =
    # (2/3, -1/3, -1/3); gradient 1->2 1, 1->3 1, 2->3 0; circular part = the unit cycle
    # 1 -> 2 -> 3 -> 1; |y|^2 = 4 + 0 + 1 = 5, |circular|^2 = 3: share 3/5
    h = hodge_potentials(W_DERIVED)
    np.testing.assert_allclose(h["potential"], [2 / 3, -1 / 3, -1 / 3])
    pairs = {(int(a), int(b)): (y, g, c) for a, b, y, g, c in
             zip(h["src"], h["dst"], h["net"], h["gradient"], h["circular"])}
    assert pairs.keys() == {(0, 1), (0, 2), (1, 2)}
    np.testing.assert_allclose(pairs[(0, 1)], [2, 1, 1])
    np.testing.assert_allclose(pairs[(0, 2)], [0, 1, -1])      # circular 3 -> 1: +1
    np.testing.assert_allclose(pairs[(1, 2)], [1, 0, 1], atol=1e-12)
    assert h["circular_share"] == pytest.approx(0.6)


def test_trophic_derived_examples():
    # docs/worked_examples.md section 8.1 (derived from MacKay, Johnson and Sansom 2020):
    # v = w_in - w_out = (-2, 1, 1), Lambda = [[4,-2,-2],[-2,3,-1],[-2,-1,3]], h = (0, .5, .5);
    # F0 = (2 x .25 + .25 + 1 + 2.25) / 5 = 0.8
    h, f0 = trophic_levels(W_DERIVED)
    np.testing.assert_allclose(h, [0, 0.5, 0.5], atol=1e-12)
    assert f0 == pytest.approx(0.8)
    # chain 1 -> 2 -> 3: h = (0, 1, 2), F0 = 0; directed 3-cycle: h = 0, F0 = 1
    h, f0 = trophic_levels(np.array([[0, 1.0, 0], [0, 0, 1], [0, 0, 0]]))
    np.testing.assert_allclose(h, [0, 1, 2], atol=1e-12)
    assert f0 == pytest.approx(0.0, abs=1e-12)
    h, f0 = trophic_levels(np.array([[0, 1.0, 0], [0, 0, 1], [1, 0, 0]]))
    np.testing.assert_allclose(h, [0, 0, 0], atol=1e-12)
    assert f0 == pytest.approx(1.0)


@st.composite
def flow_matrices(draw, max_n=8):
    n = draw(st.integers(2, max_n))
    pairs = [(i, j) for i in range(n) for j in range(n) if i != j]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs)))
    vals = draw(st.lists(st.floats(0.01, 100.0, allow_nan=False), min_size=len(chosen),
                         max_size=len(chosen)))
    w = np.zeros((n, n))
    for (i, j), v in zip(chosen, vals):
        w[i, j] = v
    return w


@settings(max_examples=100, deadline=None)
@given(flow_matrices())
def test_hodge_invariants(w):
    h = hodge_potentials(w)
    y, g, c = h["net"], h["gradient"], h["circular"]
    scale = max(1.0, float(np.abs(y).max(initial=0)))
    # the parts sum to the net flow and are orthogonal
    np.testing.assert_allclose(g + c, y, atol=1e-9 * scale)
    assert abs(float(g @ c)) <= 1e-7 * scale ** 2 * max(1, len(y))
    # the circular part has no divergence: at every node, in = out
    n = w.shape[0]
    div_c = np.bincount(h["src"], weights=c, minlength=n) - np.bincount(h["dst"], weights=c,
                                                                      minlength=n)
    np.testing.assert_allclose(div_c, 0, atol=1e-7 * scale)
    # the gradient part keeps every node's net outflow
    div_g = np.bincount(h["src"], weights=g, minlength=n) - np.bincount(h["dst"], weights=g,
                                                                      minlength=n)
    np.testing.assert_allclose(div_g, w.sum(axis=1) - w.sum(axis=0), atol=1e-7 * scale)
    # potentials have mean zero on every connected component
    _, lab = sp.csgraph.connected_components(sp.csr_array(w + w.T), directed=False)
    for k in np.unique(lab):
        assert abs(h["potential"][lab == k].mean()) <= 1e-9 * scale
    assert 0.0 <= h["circular_share"] <= 1.0 + 1e-12 or np.isnan(h["circular_share"])
    # trophic levels: lowest 0 per component, F0 in [0, 1]
    lv, f0 = trophic_levels(w)
    for k in np.unique(lab):
        assert lv[lab == k].min() == pytest.approx(0.0, abs=1e-12)
    if w.sum() > 0:
        assert -1e-9 <= f0 <= 1 + 1e-9


def test_hodge_two_components_and_network_api():
    # two separate chains: a -> b (3) and c -> d -> e (1, 1); potentials per component:
    # a, b = +1.5, -1.5; c, d, e = +1, 0, -1 (L phi = div on the path c-d-e: div (1,0,-1))
    net = make_network([("a", "b", "loan", 3.0), ("c", "d", "loan", 1.0),
                        ("d", "e", "loan", 1.0)])
    r = hodge_decomposition(net)
    pot = r.entities.set_index("id")["potential"]
    assert pot.to_dict() == pytest.approx({"a": 1.5, "b": -1.5, "c": 1.0, "d": 0.0, "e": -1.0})
    assert r.entities["id"].iloc[0] == "a"          # most upstream first
    assert r.circular_share == pytest.approx(0.0, abs=1e-12)


# ---------------------------------------------------------------------------------------
# circular and robust cores
# ---------------------------------------------------------------------------------------
def test_cores_hand_made():
    # a <-> b closed and binding: robust. b -> c closed, c -> b only by a letter of intent:
    # c is circular only through a non-binding deal. d -> e closed and e -> d cancelable:
    # d and e are circular only through a cancelable deal.
    net = make_network([
        ("a", "b", "equity", 1.0, {"status": "closed"}),
        ("b", "a", "purchase", 1.0, {"status": "committed"}),
        ("b", "c", "loan", 1.0, {"status": "closed"}),
        ("c", "b", "purchase", 1.0, {"status": "loi"}),
        ("d", "e", "loan", 1.0, {"status": "closed"}),
        ("e", "d", "compute", 1.0, {"status": "committed", "cancelable": True}),
    ])
    r = circular_cores(net)
    assert set(r.core) == {"a", "b", "c", "d", "e"}
    assert set(r.robust) == {"a", "b"}
    assert set(r.fragile) == {"c", "d", "e"}
    comps = r.components
    assert sorted(comps.loc[comps["core"] == "circular", "size"]) == [2, 3]
    # only the closed ones: c's letter of intent is gone, so c is not even in the core
    closed = circular_cores(net, status="closed,committed")
    assert "c" not in closed.core and set(closed.fragile) == {"d", "e"}


def test_cores_bundled(default_network):
    r = circular_cores(default_network)
    # alphabet's only way back is c70 (anthropic -> alphabet compute 200, reported);
    # xai_spv's is c60 (xai_spv -> nvidia purchase, reported): both are circular only
    # through non-binding deals. Oracle left the fragile set with the 2026-12 audit: its
    # way back, c05 (oracle -> nvidia purchase), is now committed (deliveries under way).
    assert set(r.fragile) == {"alphabet", "xai_spv"}
    # beignet <-> meta (c83 other closed, c84 lease committed) is robust
    assert {"beignet", "meta", "nvidia", "openai", "coreweave"} <= set(r.robust)


# ---------------------------------------------------------------------------------------
# the report
# ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report(default_network):
    return circular_financing(default_network)


def test_report_opening_lines(report):
    lines = report.summary()
    assert lines[0].startswith("Circular share of all commitments:")
    assert lines[1].startswith("Netting would cancel")
    assert lines[2].startswith("Cycling index (Finn")
    assert lines[3].startswith("Self-financed share (inflow that came back round")
    assert "FCI = " in lines[2] and "anthropic 100.0%" in lines[3]


def test_report_agrees_with_each_measure(report, default_network):
    mc = max_circulation(default_network)
    assert report.max_circulation == pytest.approx(mc.value)
    assert report.circularity == pytest.approx(mc.value / mc.total_flow)
    dec = circular_decomposition(default_network)
    ent = report.entities.set_index("id")
    share = dec.entities.set_index("id")["self_financed_share"]
    pd.testing.assert_series_equal(ent.loc[share.index, "self_financed_share"], share,
                                   check_names=False)
    # BFF's circular volume never exceeds the maximum circulation
    assert dec.circular_volume <= mc.value + 1e-9
    finn = finn_cycling(default_network)
    assert report.finn.fci == pytest.approx(finn.fci)
    assert 0 < finn.fci < 1
    # every cycled share and circular (self-financed) share is a share
    assert ent["cycled_share"].between(0, 1).all()
    assert ent["self_financed_share"].dropna().between(0, 1 + 1e-12).all()
    # anthropic's whole inflow (91: c64 10 + c65 5 + c67/c68/c92 43 + c71/c72/c91 33)
    # comes back round, by BFF
    assert ent.loc["anthropic", "self_financed_share"] == pytest.approx(1.0)
    # an entity on no cycle has no circular inflow, no heaviest cycle, no cycling
    assert ent.loc["dell", "circular_inflow"] == 0 and ent.loc["dell", "cycled_share"] == 0
    assert ent.loc["dell", "heaviest_cycle"] is None
    assert ent.loc["oracle", "heaviest_cycle"] == ["nvidia", "openai", "oracle"]


def test_report_measures_selection_and_skips(default_network):
    r = circular_financing(default_network, measures="circulation", count_limit=0)
    assert r.decomposition is None and r.finn is None and r.netting is None
    assert r.cycle_count is None and r.max_circulation is not None
    assert r.summary()[0].startswith("Circular share of all commitments: at most")
    with pytest.raises(FinflowError):
        circular_financing(default_network, measures="magic")
    # limits: a skipped measure is said so, never silent
    s = circular_financing(default_network, bff_max_entities=5, finn_max_component=3)
    assert "decomposition" in s.skipped and "finn" in s.skipped
    text = " ".join(s.summary() + s.notes())
    assert "balanced-flow-forwarding split was not computed" in text
    assert s.summary()[3].startswith("Self-financed share (balanced flow forwarding): not "
                                     "computed: 14 entities lie on cycles")


def test_cli_cycles_report_json(default_network):
    out = CliRunner().invoke(main, ["cycles", "-f", "json", "--by", "kind"],
                             catch_exceptions=False)
    assert out.exit_code == 0
    data = json.loads(out.output)
    for key in ("cycles", "cycle_count", "truncated", "total_flow", "max_circulation",
                "max_circulation_share", "entities", "netting", "decomposition", "finn", "hodge",
                "cores"):
        assert key in data
    assert data["max_circulation_share"] == pytest.approx(data["max_circulation"] / data["total_flow"])
    ent = {e["id"]: e for e in data["entities"]}
    assert ent["nvidia"]["heaviest_cycle_bottleneck"] == 30.0
    assert set(ent["nvidia"]) >= {"inflow", "circular_inflow", "self_financed_share",
                                  "cycled_share", "potential", "heaviest_cycle"}
    assert data["netting"]["layers"] and data["netting"]["by"] == "kind"
    assert data["finn"]["fci"] == pytest.approx(finn_cycling(default_network).fci)
    assert set(data["cores"]["fragile"]) == {"alphabet", "xai_spv"}


@pytest.mark.parametrize("fmt", ["table", "markdown"])
def test_cli_cycles_text(fmt):
    # the canonical loop is 6th since the 2026-12 audit added amd <-> meta (32) and the
    # Broadcom TPU-SPV loop (31) above its bottleneck of 30
    out = CliRunner().invoke(main, ["cycles", "-f", fmt, "--limit", "6"]).output
    assert "Circular share of all commitments" in out
    assert "nvidia > openai > oracle > nvidia" in out
    assert "vendor financing: nvidia" in out


def test_cli_cycles_csv_tables():
    runner = CliRunner()
    cyc = pd.read_csv(io.StringIO(runner.invoke(main, ["cycles", "-f", "csv"]).stdout))
    assert cyc.loc[0, "bottleneck"] == 50.0 and list(cyc["rank"][:3]) == [1, 2, 3]
    ent = pd.read_csv(io.StringIO(runner.invoke(
        main, ["cycles", "-f", "csv", "--table", "entities"]).output))
    assert "self_financed_share" in ent.columns and "openai" in set(ent["id"])
    assert ent.set_index("id").loc["oracle", "heaviest_cycle"] == "nvidia > openai > oracle"


def test_report_on_an_acyclic_network():
    # a chain a -> b (3) -> c (2): nothing goes round, every circular measure is zero,
    # the net positions are a +3, b -1, c -2 and settling them needs 3 of the gross 5
    net = make_network([("a", "b", "loan", 3.0), ("b", "c", "loan", 2.0)])
    r = circular_financing(net)
    assert r.cycles == () and r.cycle_count == 0 and not r.truncated
    assert r.max_circulation == 0.0 and r.circularity == 0.0
    assert r.decomposition.circular_volume == 0.0 and r.finn.fci == 0.0
    assert (r.netting.net_settlement, r.netting.excess) == (3.0, 2.0)
    assert "No cycles: no money goes round." in r.summary()
    assert r.entities["heaviest_cycle"].isna().all()
    # top=0 lists nothing but still counts
    ring = make_network([("a", "b", "other", 1.0), ("b", "a", "other", 1.0)])
    r0 = circular_financing(ring, top=0)
    assert r0.cycles == () and r0.cycle_count == 1
    assert "No cycles: no money goes round." not in r0.summary()
