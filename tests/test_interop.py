"""networkx, exposure matrices and Gephi both ways (issue 19, "Out to the tools people use"
and from_networkx / from_matrix of "Any table in").

Expected values are hand-computed small cases (cited inline), the NetworkRiskMeasures
three-bank example (Cinelli 2016, docs/worked_examples.md section 3.1), or the library's
own analyses of the same network compared with what a file read back holds.
"""
from __future__ import annotations

import math
import xml.etree.ElementTree as ET

import networkx as nx
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import finflow
from finflow.errors import FinflowError, NetworkFileError
from finflow.interop import (GEXF_NS, GEXF_VIZ_NS, from_matrix, from_networkx, node_size,
                             to_gexf, to_networkx)
from finflow.io.output import OutputError
from finflow.model import date_floor
from finflow.view import KIND_COLORS, TYPE_COLORS


def dense(net: finflow.Network, **kw) -> np.ndarray:
    return net.exposure_matrix(**kw).toarray()


# ---- from_networkx ------------------------------------------------------------------------
def test_from_networkx_hand_made():
    G = nx.DiGraph()
    G.add_node("bank", equity=10.0, type="lender", name="A bank")
    G.add_node("firm", equity=2.0)
    G.add_edge("bank", "firm", weight=4.0, kind="loan", status="closed")
    G.add_edge("firm", "fund", weight=2.0, kind="equity")
    net = from_networkx(G, name="toy")
    assert net.index == ("bank", "firm", "fund") and net.name == "toy"
    ent = net.entities.set_index("id")
    assert ent.loc["bank", "equity"] == 10.0 and ent.loc["bank", "type"] == "lender"
    assert ent.loc["bank", "name"] == "A bank" and math.isnan(ent.loc["fund", "equity"])
    com = net.commitments.set_index("id")
    assert com.loc["bank->firm", "status"] == "closed" and com.loc["firm->fund", "status"] == "committed"
    # by hand (finflow.kinds): the lender holds the loan (LGD 0.45): 4 x 0.45 = 1.8 on firm;
    # the investor holds the equity stake (LGD 1): firm loses 2 if fund defaults
    assert dense(net).tolist() == [[0, 1.8, 0], [0, 0, 2.0], [0, 0, 0]]
    assert net.flow_matrix().toarray().tolist() == [[0, 4, 0], [0, 0, 2], [0, 0, 0]]


def test_from_networkx_constant_kind_unweighted_and_missing_weight():
    G = nx.DiGraph([("a", "b"), ("b", "c")])
    net = from_networkx(G, kind="loan", weight=None)
    assert net.commitments["amount"].tolist() == [1.0, 1.0]
    assert set(net.commitments["kind"]) == {"loan"}
    G["a"]["b"]["weight"] = 5.0
    net = from_networkx(G, kind="loan")
    amounts = net.commitments.set_index("id")["amount"]
    assert amounts["a->b"] == 5.0 and math.isnan(amounts["b->c"])     # missing, never 0


def test_from_networkx_multigraph_keys_become_ids():
    G = nx.MultiDiGraph()
    G.add_edge("a", "b", key="deal1", weight=1.0, kind="loan")
    G.add_edge("a", "b", key="deal2", weight=2.0, kind="bond")
    G.add_edge("b", "a", key="x", weight=3.0, kind="purchase", id="own-id")
    net = from_networkx(G)
    assert net.commitments["id"].tolist() == ["deal1", "deal2", "own-id"]
    # networkx's default keys (0, 1 ...) repeat across pairs: made unique with the pair
    H = nx.MultiDiGraph()
    H.add_edge("a", "b", weight=1.0, kind="loan")
    H.add_edge("a", "b", weight=2.0, kind="loan")
    H.add_edge("b", "a", weight=3.0, kind="loan")
    assert from_networkx(H).commitments["id"].tolist() == ["a->b:0", "a->b:1", "b->a:0"]


def test_from_networkx_errors():
    with pytest.raises(NetworkFileError, match="undirected"):
        from_networkx(nx.Graph([("a", "b", {"weight": 1.0, "kind": "loan"})]))
    with pytest.raises(NetworkFileError, match=r"edge 'a->b'.*kind"):
        from_networkx(nx.DiGraph([("a", "b", {"weight": 1.0, "kind": "gift"})]))
    with pytest.raises(NetworkFileError, match="amount"):
        from_networkx(nx.DiGraph([("a", "b", {"weight": -1.0, "kind": "loan"})]))
    with pytest.raises(FinflowError, match='kind="loan"'):
        from_networkx(nx.DiGraph([("a", "b", {"weight": 1.0})]))
    with pytest.raises(TypeError):
        from_networkx(np.zeros((2, 2)))


def test_from_networkx_of_to_networkx_is_the_network(default_network):
    net = default_network
    back = from_networkx(to_networkx(net), **{k: v for k, v in net.metadata.items()
                                              if k not in ("name", "path")})
    assert back.index == net.index
    # edges come out of networkx by payer, not in table order: compare by id
    mine = net.commitments.sort_values("id").reset_index(drop=True)
    theirs = back.commitments.sort_values("id").reset_index(drop=True)
    for col in ("id", "payer", "payee", "kind", "amount", "funded", "status", "start", "end"):
        a = mine[col].astype(object).where(mine[col].notna(), None)
        b = theirs[col].astype(object).where(theirs[col].notna(), None)
        assert a.tolist() == b.tolist(), col
    assert (abs(back.exposure_matrix() - net.exposure_matrix())).max() == 0
    assert np.array_equal(back.entity_vector("equity"), net.entity_vector("equity"),
                          equal_nan=True)


# ---- from_matrix ------------------------------------------------------------------------------
E3 = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, 0.25], [0.0, 3.0, 0.0]])


@pytest.mark.parametrize("make", [lambda: E3, lambda: sp.csr_array(E3), lambda: E3.tolist(),
                                  lambda: pd.DataFrame(E3, index=list("xyz"),
                                                       columns=list("xyz"))])
def test_from_matrix_gives_back_the_matrix_exactly(make):
    net = from_matrix(make(), equity=[1.0, 2.0, 3.0], ids=list("xyz"))
    assert net.index == ("x", "y", "z")
    assert np.array_equal(dense(net), E3)               # exactly, LGD 1 for the claims' kind
    assert net.entity_vector("equity").tolist() == [1.0, 2.0, 3.0]
    assert len(net.commitments) == np.count_nonzero(E3)


def test_from_matrix_ids_from_the_dataframe_and_equity_by_id():
    df = pd.DataFrame(E3, index=["p", "q", "r"], columns=["p", "q", "r"])
    net = from_matrix(df, equity=pd.Series({"r": 3.0, "p": 1.0, "q": 2.0}))
    assert net.index == ("p", "q", "r") and net.entity_vector("equity").tolist() == [1, 2, 3]


@pytest.mark.parametrize("kind", ["loan", "bond", "equity", "purchase", "compute", "warrant"])
def test_from_matrix_any_claim_kind_keeps_the_holder(kind):
    net = from_matrix(E3, ids=list("abc"), kind=kind)
    assert np.array_equal(dense(net), E3)
    first = net.commitments.iloc[0]            # E[a, b] = 1.5: a holds the claim on b
    payer_holds = finflow.KINDS[kind].exposed == "payer"
    assert (first["payer"], first["payee"]) == (("a", "b") if payer_holds else ("b", "a"))


def test_from_matrix_errors():
    with pytest.raises(FinflowError, match="square"):
        from_matrix(np.zeros((2, 3)))
    with pytest.raises(FinflowError, match="negative"):
        from_matrix([[0, -1], [0, 0]])
    with pytest.raises(FinflowError, match="diagonal"):
        from_matrix([[1, 0], [0, 0]])
    with pytest.raises(FinflowError, match="no claim"):
        from_matrix(E3, kind="other")
    with pytest.raises(FinflowError, match="3 values for 2"):
        from_matrix([[0, 1], [0, 0]], equity=[1, 2, 3])


def test_from_matrix_reproduces_the_networkriskmeasures_debtrank():
    # NetworkRiskMeasures README (Cinelli 2016), its assets matrix: a lent b 1; b lent a 10
    # and c 3; c lent a 3 and b 2; buffers (2, 5, 2), economic weights (10, 100, 30). Its
    # printed DebtRank table: a 0.9285714 with 2 further defaults, c 0.6642857 with 0, b
    # 0.25 with 1 (PUBLISHED; docs/worked_examples.md section 3.1).
    E = [[0, 1, 0], [10, 0, 3], [3, 2, 0]]
    net = from_matrix(E, equity=[2, 5, 2], weights=[10, 100, 30], ids=["a", "b", "c"])
    for shocked, additional, further in [("a", 0.9285714, 2), ("c", 0.6642857, 0),
                                         ("b", 0.25, 1)]:
        r = finflow.debtrank(net, shocked)
        assert r.debtrank == pytest.approx(additional, abs=5e-8), shocked
        assert len(r.defaulted) - 1 == further, shocked
    # and it is the bundled textbook network's exposure matrix
    book = finflow.load("debtrank_3bank")
    assert np.array_equal(dense(book), dense(net)) and book.index == net.index


# ---- to_networkx -> GraphML / GEXF ---------------------------------------------------------
def scalar_only(g: nx.Graph) -> bool:
    ok = (str, int, float, bool)
    return (all(isinstance(v, ok) for _, d in g.nodes(data=True) for v in d.values())
            and all(isinstance(v, ok) for *_, d in g.edges(data=True) for v in d.values())
            and all(isinstance(v, ok) for v in g.graph.values()))


def test_to_networkx_has_scalar_attributes(default_network):
    g = default_network.to_networkx()
    assert isinstance(g, nx.MultiDiGraph) and scalar_only(g)
    assert g.number_of_nodes() == default_network.n
    assert g.number_of_edges() == len(default_network.commitments)
    c = default_network.commitments.iloc[0]
    d = g.edges[c["payer"], c["payee"], c["id"]]
    assert d["weight"] == d["amount"] == c["amount"] and d["kind"] == c["kind"]
    assert not any(isinstance(v, float) and math.isnan(v)
                   for _, dd in g.nodes(data=True) for v in dd.values())
    # the network's own graph is what fails (the issue): list-valued attributes
    with pytest.raises(Exception):
        nx.write_graphml(default_network.flow_graph(), "/dev/null")


def test_to_networkx_aggregate_is_the_flow_matrix(default_network):
    g = to_networkx(default_network, aggregate=True)
    assert isinstance(g, nx.DiGraph) and not g.is_multigraph() and scalar_only(g)
    F = default_network.flow_matrix().toarray()
    pos = default_network.position
    for u, v, d in g.edges(data=True):
        assert d["weight"] == pytest.approx(F[pos[u], pos[v]])
        assert d["count"] == len(d["commitments"].split("; "))
    assert g.number_of_edges() == np.count_nonzero(F)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
@pytest.mark.parametrize("aggregate", [False, True])
def test_networkx_files_round_trip(default_network, tmp_path, fmt, aggregate):
    g = to_networkx(default_network, aggregate=aggregate)
    path = tmp_path / f"n.{fmt}"
    if fmt == "graphml":
        nx.write_graphml(g, path)
        h = nx.read_graphml(path, force_multigraph=not aggregate)
    else:
        nx.write_gexf(g, path)
        h = nx.read_gexf(path)
    assert h.number_of_nodes() == g.number_of_nodes()
    assert h.number_of_edges() == g.number_of_edges()
    for n, d in g.nodes(data=True):
        got = {k: v for k, v in h.nodes[n].items() if k != "label"}   # GEXF adds a label
        assert got == d, n
    if aggregate:
        for u, v, d in g.edges(data=True):
            got = {k: x for k, x in h.edges[u, v].items() if k != "id"}
            assert got == d, (u, v)
    else:
        for u, v, k, d in g.edges(keys=True, data=True):
            assert h.edges[u, v, k] == d, k
    if fmt == "graphml":
        assert h.graph["name"] == default_network.name


# ---- to_gexf -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gexf(default_network, tmp_path_factory):
    net = default_network
    rank = finflow.systemic_ranking(net)
    circ = finflow.circular_financing(net)
    shock = finflow.debtrank(net, "openai")
    path = tmp_path_factory.mktemp("gexf") / "net.gexf"
    to_gexf(net, path, results=[rank, circ, shock])
    return path, nx.read_gexf(path), rank, circ, shock


def rgb(hex_colour):
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def test_gexf_edges_weights_colours_and_time(default_network, gexf):
    path, g, *_ = gexf
    sel = default_network.select()                 # every status but lapsed
    com = sel.commitments.set_index("id")
    assert g.number_of_edges() == len(com)
    seen = 0
    for u, v, d in g.edges(data=True):
        c = com.loc[d["id"]]
        assert (u, v) == (c["payer"], c["payee"])
        if pd.notna(c["amount"]):
            assert d["weight"] == c["amount"]
        else:
            assert d["undisclosed"] is True
        assert d["label"] == c["kind"]
        start = c["start"] if isinstance(c["start"], str) else c["announced"]
        if isinstance(start, str):
            assert d["start"] == date_floor(start).isoformat()
            seen += 1
        if isinstance(c["end"], str):
            # a partial end lasts to its period's last day: "2026" -> 2026-12-31
            text = c["end"]
            last = {0: f"{text}-12-31", 2: text}.get(text.count("-"))
            if last is None:
                month_end = (pd.Timestamp(f"{text}-01") + pd.offsets.MonthEnd(0))
                last = month_end.date().isoformat()
            assert d["end"] == last, c.name
            assert d["end"] >= d.get("start", "")
        if isinstance(c["start"], str):
            assert d["ff_start"] == c["start"]        # the date as written, too
    assert seen > 0.9 * len(com)
    root = ET.parse(path).getroot()
    graph = root.find(f"{{{GEXF_NS}}}graph")
    assert root.get("version") == "1.2"
    assert graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    assert graph.get("defaultedgetype") == "directed"
    # networkx reads no edge colours: the file's own viz:color of each edge, by kind
    edges = graph.find(f"{{{GEXF_NS}}}edges")
    for el in edges:
        colour = el.find(f"{{{GEXF_VIZ_NS}}}color")
        kind = com.loc[el.get("id"), "kind"]
        assert tuple(int(colour.get(x)) for x in "rgb") == rgb(KIND_COLORS[kind])
    assert len(edges) == len(com)


def test_gexf_nodes_colour_size_and_results(default_network, gexf):
    _, g, rank, circ, shock = gexf
    net = default_network
    F = net.select().flow_matrix().toarray()
    total = F.sum(axis=0) + F.sum(axis=1)
    ent = net.entities.set_index("id")
    impact = rank.entities.set_index("id")
    share = circ.tables()["entities"].set_index("id")
    hit = shock.entities.set_index("id")
    for k, eid in enumerate(net.index):
        d = g.nodes[eid]
        assert d["label"] == (ent.loc[eid, "name"] if isinstance(ent.loc[eid, "name"], str)
                              else eid)
        assert (d["viz"]["color"]["r"], d["viz"]["color"]["g"], d["viz"]["color"]["b"]) == \
            rgb(TYPE_COLORS[ent.loc[eid, "type"]])
        assert d["total_flow"] == pytest.approx(total[k])
        assert d["viz"]["size"] == pytest.approx(node_size(total[k], total.max()), abs=1e-3)
        if pd.notna(impact.loc[eid, "impact"]):
            assert d["impact"] == pytest.approx(impact.loc[eid, "impact"])
            assert d["impact_rank"] == int(impact.loc[eid, "impact_rank"])
        else:
            assert "impact" not in d
        if eid in share.index and pd.notna(share.loc[eid, "self_financed_share"]):
            assert d["self_financed_share"] == pytest.approx(share.loc[eid, "self_financed_share"])
        if bool(hit.loc[eid, "defaulted"]):
            assert d["default_round"] == int(hit.loc[eid, "round"]) and d["defaulted"] is True
        else:
            assert "default_round" not in d and d["defaulted"] is False
    # the largest node is the one with the most flow, at size 50
    top = net.index[int(total.argmax())]
    assert g.nodes[top]["viz"]["size"] == 50.0
    assert g.nodes["openai"]["default_round"] == 0                  # the shocked one


def test_gexf_refuses_to_overwrite_and_unknown_results(default_network, tmp_path):
    path = tmp_path / "x.gexf"
    path.write_text("mine")
    with pytest.raises(OutputError, match="overwrite=True"):
        to_gexf(default_network, path)
    assert path.read_text() == "mine"
    to_gexf(default_network, path, overwrite=True)
    assert nx.read_gexf(path).number_of_nodes() == default_network.n
    with pytest.raises(FinflowError, match="no per-entity columns for Overview"):
        to_gexf(default_network, tmp_path / "y.gexf",
                results=[finflow.overview(default_network)])
    assert not (tmp_path / "y.gexf").exists()
    # a DataFrame with an id column is a result too (entity_heaviest_cycles returns one)
    cyc = finflow.entity_heaviest_cycles(default_network)
    to_gexf(default_network, tmp_path / "z.gexf", results=[cyc])
    z = nx.read_gexf(tmp_path / "z.gexf")
    row = cyc.dropna(subset=["heaviest_cycle_bottleneck"]).iloc[0]
    assert z.nodes[row["id"]]["heaviest_cycle_bottleneck"] == row["heaviest_cycle_bottleneck"]


# ---- analyses given a graph or a matrix --------------------------------------------------------
ENTRY_POINTS = ["overview", "throughput", "circular_decomposition", "find_cycles",
                "count_cycles", "heaviest_cycles", "entity_heaviest_cycles", "max_circulation",
                "netting", "finn_cycling", "hodge_decomposition", "circular_cores",
                "circular_financing", "concentration", "schedule", "funding_gap",
                "contagion", "threshold_cascade", "debtrank", "linear_debtrank",
                "eisenberg_noe", "systemic_ranking", "uncertainty", "draw_commitments",
                "draw_equity", "circularity_significance", "stress", "view_data", "view_html",
                "view", "diff"]


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_analyses_say_how_to_convert_a_graph_or_a_matrix(name, default_network):
    fn = getattr(finflow, name)
    G = nx.DiGraph([("a", "b", {"weight": 1.0})])
    args = {"diff": (default_network,), "view": ("/nonexistent/v.html",)}.get(name, ())
    with pytest.raises(TypeError, match=rf"{name}: expects a finflow.Network.*from_networkx"):
        fn(G, *args)
    with pytest.raises(TypeError, match=r"networkx DiGraph"):
        fn(G, *args)
    with pytest.raises(TypeError, match=rf"{name}:.*from_matrix"):
        fn(np.zeros((2, 2)), *args)
    with pytest.raises(TypeError, match=r"from_matrix"):
        fn(pd.DataFrame(np.zeros((2, 2))), *args)


def test_report_and_stress_scenarios_check_too(default_network):
    from finflow.analysis.stress import stress_scenarios
    from finflow.report import build_report
    G = nx.MultiDiGraph()
    with pytest.raises(TypeError, match="build_report: .*from_networkx"):
        build_report(G)
    with pytest.raises(TypeError, match="stress_scenarios: .*from_networkx"):
        stress_scenarios(G, [{"name": "x"}])
    with pytest.raises(TypeError, match="to_gexf: .*from_networkx"):
        to_gexf(G, "/nonexistent/x.gexf")
