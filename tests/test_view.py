"""HTML network views (finflow.view, ``finflow view``).

Two layers. Static tests read the written page: no URL in any src/href, the data block's
JSON, escaping, counts, styles and highlights computed by hand. Browser tests open the
page in Debian's headless Chromium with every non-file request aborted and read what
vis-network actually drew from its DataSets (they skip when Chromium is absent, and fail
instead when FINFLOW_REQUIRE_BROWSER=1, as in CI).
"""
from __future__ import annotations

import html
import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

import finflow
from finflow.cli import main
from finflow.errors import FinflowError
from finflow.view import (CYCLE_COLOR, DEFAULTED_COLOR, KIND_COLORS, LOSS_HIGH, LOSS_LOW,
                          NO_OUTCOME_COLOR, UNDISCLOSED_COLOR, _mix, script_json, view,
                          view_data, view_html)
from helpers import make_network

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"
BINDING = ["closed", "committed"]
DEFAULT_STATUSES = ["closed", "committed", "loi", "reported"]


# ---- helpers ------------------------------------------------------------------------------
class _Attrs(HTMLParser):
    """Every tag and every attribute of a page."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)


def parse_tags(page: str) -> _Attrs:
    p = _Attrs()
    p.feed(page)
    return p


def page_data(page: str) -> dict:
    """The JSON data block of a page, as the page's script reads it."""
    m = re.search(r'<script type="application/json" id="[^"]+-data">(.*?)</script>', page, re.S)
    assert m, "no data block"
    return json.loads(m.group(1))


def shown(data: dict) -> tuple[list[dict], set]:
    """The edges a page shows when it opens (the page carries every commitment among its
    entities; the opening filters hide the others) and their endpoints."""
    edges = [e for e in data["edges"] if not e.get("hidden")]
    return edges, {e["from"] for e in edges} | {e["to"] for e in edges}


def expected_drawn(net: finflow.Network, statuses, kinds=None):
    """Independently of finflow.view: the commitments a view should draw (statuses and
    kinds selected, undisclosed amounts and umbrella figures included) and their
    endpoints."""
    com = net.commitments
    sel = com[com["status"].isin(statuses)]
    if kinds is not None:
        sel = sel[sel["kind"].isin(kinds)]
    ents = set(sel["payer"]) | set(sel["payee"])
    return sel, ents


def xss_network() -> finflow.Network:
    """Data-file text full of markup: ids, names, sources, notes and the network name."""
    ents = pd.DataFrame({
        "id": [IMG, SCRIPT, "plain"],
        "name": [f"Evil {IMG} Corp", f"Bad {SCRIPT} Ltd", "Plain & <Co>"],
        "type": ["ai_lab", "cloud", "lender"],
        "equity": [10.0, 5.0, 3.0],
        "source": [f"src {SCRIPT}", f"src {IMG}", "ok"],
    })
    coms = pd.DataFrame({
        "id": ["x1", "x2", "x3"],
        "payer": [IMG, SCRIPT, "plain"],
        "payee": [SCRIPT, IMG, IMG],
        "kind": ["equity", "compute", "loan"],
        "amount": [4.0, 3.0, 1.0],
        "status": ["closed", "loi", "committed"],
        "source": [f"Reuters {IMG}", f"FT {SCRIPT}", "bank"],
        "note": [SCRIPT, IMG, "a & b"],
    })
    return finflow.Network.from_frames(ents, coms, name=f"Net {SCRIPT} {IMG}",
                                       as_of="2026-01-01")


def large_network(n: int = 2000, m: int = 6000, seed: int = 3) -> finflow.Network:
    """A random network of n entities and m commitments (amounts log-normal)."""
    rng = np.random.default_rng(seed)
    ids = [f"e{i:04d}" for i in range(n)]
    payer = rng.integers(0, n, m)
    payee = (payer + rng.integers(1, n, m)) % n          # never a self-loop
    kinds = np.array(["equity", "loan", "purchase", "compute"])[rng.integers(0, 4, m)]
    coms = pd.DataFrame({"id": [f"k{j}" for j in range(m)],
                         "payer": [ids[i] for i in payer], "payee": [ids[i] for i in payee],
                         "kind": kinds, "amount": np.round(rng.lognormal(0, 1.5, m), 4) + 0.001})
    return finflow.Network.from_frames(pd.DataFrame({"id": ids}), coms, name="synthetic")


# ---- a self-contained page ------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_page(tmp_path_factory) -> tuple[Path, str]:
    path = view(finflow.load_default(), tmp_path_factory.mktemp("view") / "network.html")
    return path, path.read_text(encoding="utf-8")


def test_page_loads_nothing_from_the_network(default_page):
    _, page = default_page
    tags = parse_tags(page)
    # DESIGN section 7: no http(s):// in any src or href (here: no src/href at all)
    links = [(t, k, v) for t, k, v in tags.attrs if k in ("src", "href")]
    assert links == []
    assert not [v for _, k, v in tags.attrs if re.search(r"https?://", v)]
    assert "link" not in tags.tags and "iframe" not in tags.tags
    # styles import nothing either
    for style in re.findall(r"<style>(.*?)</style>", page, re.S):
        assert "@import" not in style and "url(" not in style
    # vis-network is inlined: its code is in the page
    assert "vis-network" in page and "DataSet" in page and len(page) > 400_000
    assert tags.tags.count("script") == 4        # data block, vis-network, explorer, the view


def test_default_view_draws_every_commitment_of_the_default_statuses(default_page):
    _, page = default_page
    net = finflow.load_default()
    sel, ents = expected_drawn(net, DEFAULT_STATUSES)
    data = page_data(page)
    vis_edges, vis_nodes = shown(data)
    assert len(vis_edges) == len(sel) == 114     # 122 commitments, 8 lapsed (hidden at first)
    assert len(data["edges"]) == 122
    assert {e["id"] for e in vis_edges} == set(sel["id"])
    assert vis_nodes == ents
    assert data["counts"]["commitments_left_out"] == 0
    # every edge goes payer -> payee as in the table
    by_id = net.commitments.set_index("id")
    for e in data["edges"]:
        assert (e["from"], e["to"]) == (by_id.at[e["id"], "payer"], by_id.at[e["id"], "payee"])
    # title: the network's name, its as-of date, and the filters
    assert f"<h1>{html.escape(net.name)}</h1>" in page
    assert "as of 2026-06-11" in page
    assert "Statuses: closed, committed, loi, reported" in page


@pytest.mark.parametrize("status,kinds", [("closed", None), ("closed,committed", "equity,loan"),
                                          ("all", "compute"), (None, "other")])
def test_filters_select_the_drawn_commitments(default_network, status, kinds):
    data = view_data(default_network, status=status, kinds=kinds)
    statuses = finflow.kinds.resolve_statuses(status)
    sel, ents = expected_drawn(default_network, statuses,
                               None if kinds is None else kinds.split(","))
    vis_edges, vis_nodes = shown(data)
    assert sorted(e["id"] for e in vis_edges) == sorted(sel["id"])
    assert vis_nodes == ents
    assert data["counts"]["entities_visible"] == len(ents)
    assert data["counts"]["commitments_drawn"] == len(sel)
    assert f"Statuses: {', '.join(statuses)}" in data["filters"]


def test_as_of_network_is_drawn_as_it_stood(default_network):
    early = default_network.as_of("2025-06-30")
    data = view_data(early)
    sel, _ = expected_drawn(early, DEFAULT_STATUSES)
    assert len(shown(data)[0]) == len(sel) < 90
    assert "as of 2025-06-30" in data["subtitle"]


# ---- drawing conventions, checked by hand --------------------------------------------------------
def test_edge_widths_styles_and_tooltips():
    # a -> b equity 4 (closed), a -> b loan 1 (loi), b -> c purchase (undisclosed),
    # c -> a other 2.25 (reported).
    net = make_network([
        ("a", "b", "equity", 4.0, {"status": "closed", "source": "S1", "announced": "2025-01"}),
        ("a", "b", "loan", 1.0, {"status": "loi"}),
        ("b", "c", "purchase", None, {"status": "committed"}),
        ("c", "a", "other", 2.25, {"status": "reported"}),
    ])
    edges = {e["id"]: e for e in view_data(net)["edges"]}
    # width = 1 + 11 sqrt(amount / 4): 12, 1 + 11 * 0.5 = 6.5, 1 + 11 * 0.75 = 9.25
    assert edges["e1"]["width"] == pytest.approx(12.0)
    assert edges["e2"]["width"] == pytest.approx(6.5)
    assert edges["e4"]["width"] == pytest.approx(9.25)
    # colour by kind, dashed when non-binding
    assert edges["e1"]["color"]["color"] == KIND_COLORS["equity"] and edges["e1"]["dashes"] is False
    assert edges["e2"]["color"]["color"] == KIND_COLORS["loan"] and edges["e2"]["dashes"]
    assert edges["e4"]["dashes"]
    # undisclosed: thin, dotted, grey, said in the tooltip
    assert edges["e3"]["width"] == 1.0 and edges["e3"]["dashes"]
    assert edges["e3"]["color"]["color"] == UNDISCLOSED_COLOR
    tip3 = dict((k, v) for k, v in edges["e3"]["tip"] if k)
    assert tip3["amount"] == "amount undisclosed"
    tip1 = dict((k, v) for k, v in edges["e1"]["tip"] if k)
    assert tip1["kind"] == "equity" and tip1["status"] == "closed"
    assert tip1["amount"].startswith("4.00") and tip1["source"] == "S1"
    assert "announced 2025-01" in tip1["dates"] and "confidence" in tip1
    assert dict(edges["e2"]["tip"][1:])["status"] == "loi (non-binding)"
    # the two parallel a -> b deals are both drawn, on different curves
    assert edges["e1"]["smooth"]["roundness"] != edges["e2"]["smooth"]["roundness"]
    assert all(e["arrows"]["to"]["enabled"] for e in edges.values())


def test_lapsed_commitments_are_faded_and_only_drawn_on_request():
    net = make_network([("a", "b", "equity", 1.0, {"status": "lapsed"}),
                        ("b", "a", "loan", 1.0, {"status": "closed"})])
    assert [e["id"] for e in shown(view_data(net))[0]] == ["e2"]
    assert [e["id"] for e in view_data(net)["edges"]] == ["e1", "e2"]    # e1 hidden at first
    edges = {e["id"]: e for e in view_data(net, status="all")["edges"]}
    assert edges["e1"]["color"]["opacity"] < edges["e2"]["color"]["opacity"]
    assert "lapsed (faded)" in [x["label"] for x in view_data(net, status="all")["legend"]["lines"]]


def test_nothing_selected_gives_an_empty_view_with_a_notice(triangle):
    data = view_data(triangle, kinds="bond")
    assert shown(data) == ([], set()) and len(data["edges"]) == 3     # drawn, all hidden
    assert data["notices"] == ["No commitment matches the filters the page opens with; "
                               "change them above."]
    empty = make_network([("a", "b", "loan", 1.0, {"status": "lapsed", "lapsed_on": "2025"})])
    assert view_data(empty.as_of("2026-01-01"))["notices"] == [
        "No commitment matches these filters: nothing to draw."]


def test_node_sizes_follow_throughput_or_exposure():
    # a -> b loan 4, b -> c purchase 1. Throughput (in + out): a 4, b 5, c 1.
    # Exposure with default LGDs: a holds the loan claim on b: E[a, b] = 4 * 0.45 = 1.8;
    # c (seller) holds the purchase claim on b: E[c, b] = 1 * 0.5 = 0.5. Column sums
    # ("others exposed to it"): a 0, b 2.3, c 0.
    net = make_network([("a", "b", "loan", 4.0), ("b", "c", "purchase", 1.0)],
                       equity={"a": 7.0}, revenue={"b": 9.0})
    size = {n["id"]: n["size"] for n in view_data(net)["nodes"]}
    # radius = 8 + 40 sqrt(metric / 5)
    assert size["b"] == pytest.approx(48.0)
    assert size["a"] == pytest.approx(8 + 40 * math.sqrt(4 / 5), abs=0.01)
    assert size["c"] == pytest.approx(8 + 40 * math.sqrt(1 / 5), abs=0.01)
    nodes = {n["id"]: n for n in view_data(net, size_by="exposure")["nodes"]}
    assert nodes["b"]["size"] == pytest.approx(48.0)
    assert nodes["a"]["size"] == nodes["c"]["size"] == pytest.approx(8.0)
    tip = dict(nodes["a"]["tip"][1:])
    assert tip["type"] == "other" and tip["equity"].startswith("7.00")
    assert tip["its exposure to others"].startswith("1.80")
    assert dict(nodes["b"]["tip"][1:])["revenue"].startswith("9.00")
    assert dict(nodes["b"]["tip"][1:])["throughput"].startswith("5.00")


def test_cycles_are_highlighted(triangle):
    # triangle: a -> b -> c -> a; add d -> a, off the cycle
    net = make_network([("a", "b", "equity", 5.0), ("b", "c", "purchase", 3.0),
                        ("c", "a", "compute", 4.0), ("d", "a", "loan", 1.0)])
    for cycles in ([["a", "b", "c"]], [["a", "b", "c", "a"]],
                   [SimpleNamespace(nodes=["b", "c", "a"])], [{"nodes": ["c", "a", "b"]}]):
        data = view_data(net, cycles=cycles)
        on = {e["id"]: e["color"]["color"] == CYCLE_COLOR for e in data["edges"]}
        assert on == {"e1": True, "e2": True, "e3": True, "e4": False}
        ring = {n["id"]: n["color"]["border"] == CYCLE_COLOR for n in data["nodes"]}
        assert ring == {"a": True, "b": True, "c": True, "d": False}
        assert data["legend"]["highlights"]
    # a cycle step with no drawn commitment is reported, not silently ignored
    data = view_data(net, cycles=[["a", "b", "c"]], kinds="equity,purchase")
    assert any("c \u2192 a" in n for n in data["notices"])
    with pytest.raises(FinflowError, match="unknown entities"):
        view_data(net, cycles=[["a", "zz"]])
    with pytest.raises(FinflowError, match="list of cycles"):
        view_data(net, cycles="a,b")


def test_contagion_outcome_colours_nodes():
    net = make_network([("a", "b", "loan", 4.0), ("b", "c", "purchase", 1.0),
                        ("c", "d", "equity", 1.0)])
    mapping = {"a": {"defaulted": True, "relative_loss": 1.0},
               "b": {"defaulted": False, "relative_loss": 0.5},
               "c": {"defaulted": False, "relative_loss": 0.0}}
    frame = pd.DataFrame({"id": ["a", "b", "c"], "defaulted": [True, False, False],
                          "relative_loss": [1.0, 0.5, 0.0]})
    for outcome in (mapping, frame):
        data = view_data(net, outcome=outcome)
        fill = {n["id"]: n["color"]["background"] for n in data["nodes"]}
        assert fill["a"] == DEFAULTED_COLOR
        # halfway from #fff5eb to #e6550d: (255+230)/2 = 242.5 -> f2, (245+85)/2 = 165 -> a5,
        # (235+13)/2 = 124 -> 7c
        assert fill["b"] == _mix(LOSS_LOW, LOSS_HIGH, 0.5) == "#f2a57c"
        assert fill["c"] == LOSS_LOW
        assert fill["d"] == NO_OUTCOME_COLOR          # not in the scenario
        assert data["legend"]["outcome"]["defaulted"] == DEFAULTED_COLOR
    with pytest.raises(FinflowError, match="unknown entities"):
        view_data(net, outcome={"zz": {"defaulted": True, "relative_loss": 1.0}})
    with pytest.raises(FinflowError, match="relative_loss"):
        view_data(net, outcome=frame.drop(columns="relative_loss"))


def test_max_nodes_draws_a_connected_set_of_the_busiest_entities():
    import networkx as nx
    net = large_network()
    data = view_data(net)
    com = net.commitments
    # throughput computed independently: sum of amounts paid and received
    tp = (com.groupby("payer")["amount"].sum().add(com.groupby("payee")["amount"].sum(),
                                                   fill_value=0))
    # reference: grow from the busiest entity, always adding the busiest neighbour of
    # the set (Prim-like growth on the undirected graph; ties do not occur with
    # log-normal amounts)
    g = nx.Graph()
    g.add_edges_from(zip(com["payer"], com["payee"]))
    chosen = {tp.idxmax()}
    frontier = set(g[tp.idxmax()])
    while len(chosen) < 300:
        best = max(frontier, key=lambda x: tp[x])
        chosen.add(best)
        frontier |= set(g[best])
        frontier -= chosen
    drawn_nodes = {n["id"] for n in data["nodes"]}
    assert drawn_nodes == chosen
    assert nx.is_connected(g.subgraph(drawn_nodes))       # never a field of isolated dots
    inside = com[com["payer"].isin(chosen) & com["payee"].isin(chosen)]
    assert {e["id"] for e in data["edges"]} == set(inside["id"])
    c = data["counts"]
    assert c["entities_left_out"] == len(tp) - 300
    assert c["commitments_left_out"] == len(com) - len(inside)
    notice = data["notices"][0]
    assert f"{len(tp) - 300:,} entities" in notice
    assert f"{len(com) - len(inside):,} commitments are left out" in notice
    assert "connected to the busiest entity" in notice
    # max_edges: each kept entity's largest commitment among them, then the largest of
    # the rest; no entity is left without a line
    capped = view_data(net, max_edges=330)
    by_size = inside.sort_values("amount", ascending=False, kind="stable")
    own = set()
    for x in chosen:
        own.add(by_size[(by_size["payer"] == x) | (by_size["payee"] == x)]["id"].iloc[0])
    assert len(own) < 330 < len(inside)
    fill = [i for i in by_size["id"] if i not in own][: 330 - len(own)]
    assert {e["id"] for e in capped["edges"]} == own | set(fill)
    assert {n["id"] for n in capped["nodes"]} == chosen
    assert f"330 of the {len(inside):,} commitments among them (each entity's largest, " \
           "then the largest others)" in capped["notices"][0]
    assert f"{len(com) - 330:,} commitments are left out" in capped["notices"][0]
    # fewer lines than entities: the largest of the entities' own largest; the entities
    # left without one are dropped, and the notice says how many
    tight = view_data(net, max_edges=100)
    ends = {x for e in tight["edges"] for x in (e["from"], e["to"])}
    assert len(tight["edges"]) == 100 and {n["id"] for n in tight["nodes"]} == ends
    assert f"{300 - len(ends):,} of them had no drawn commitment left" in tight["notices"][0]
    # many parallel deals fan out on bounded curves instead of looping
    assert max(e["smooth"]["roundness"] for e in capped["edges"]) <= 0.72


def test_refuses_to_overwrite(tmp_path, triangle):
    out = tmp_path / "v.html"
    assert view(triangle, out) == out
    first = out.read_text()
    with pytest.raises(FinflowError, match="exists"):
        view(triangle, out, status="closed")
    assert out.read_text() == first
    view(triangle, out, overwrite=True, title="Second")
    assert "<h1>Second</h1>" in out.read_text()
    with pytest.raises(FinflowError, match="folder"):
        view(triangle, tmp_path)
    with pytest.raises(FinflowError, match="does not exist"):
        view(triangle, tmp_path / "nope" / "v.html")


def test_bad_arguments(triangle):
    with pytest.raises(FinflowError, match="size_by"):
        view_data(triangle, size_by="volume")
    with pytest.raises(FinflowError, match="max_nodes"):
        view_data(triangle, max_nodes=0)
    with pytest.raises(FinflowError, match="max_edges"):
        view_data(triangle, max_edges=2.5)
    with pytest.raises(FinflowError, match="unknown status"):
        view_data(triangle, status="signed")
    with pytest.raises(FinflowError, match="element_id"):
        view_html(triangle, full=False, element_id="x\"><script>")


def test_fragment_embeds_in_a_bigger_page(triangle):
    frag = view_html(triangle, full=False, element_id="net-1")
    assert "<html" not in frag and "<body" not in frag and "<!DOCTYPE" not in frag
    assert 'id="net-1"' in frag and "#net-1 .ffv-canvas" in frag
    assert page_data(frag)["counts"]["commitments_drawn"] == 3
    full = view_html(triangle)
    assert full.startswith("<!DOCTYPE html>") and full.rstrip().endswith("</html>")


# ---- escaping ----------------------------------------------------------------------------------
def test_markup_in_data_never_reaches_the_page_raw():
    net = xss_network()
    page = view_html(net, cycles=[[IMG, SCRIPT]], title=f"T {IMG}")
    for payload in (IMG, SCRIPT, "<script>alert", "<img"):
        assert payload not in page
    tags = parse_tags(page)
    assert "img" not in tags.tags and tags.tags.count("script") == 4
    # escaped as text where the template writes it
    assert f"<h1>T {html.escape(IMG)}</h1>" in page
    assert html.escape(f"Net {SCRIPT} {IMG}") in page
    # and intact in the data the page draws
    data = page_data(page)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert set(nodes) == {IMG, SCRIPT, "plain"}
    assert nodes[IMG]["tip"][0] == [None, f"Evil {IMG} Corp"]
    assert nodes[IMG]["label"] == "Evil <img src=x onerror=alert(1)>"[:23] + "\u2026"
    assert ["source", f"src {SCRIPT}"] in nodes[IMG]["tip"]
    edge = {e["id"]: e for e in data["edges"]}["x1"]
    assert ["source", f"Reuters {IMG}"] in edge["tip"] and ["details", SCRIPT] in edge["tip"]


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.text() | st.integers() | st.booleans() | st.none(),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(), c, max_size=4),
                    max_leaves=12))
def test_script_json_round_trips_and_has_no_markup_characters(obj):
    text = script_json(obj)
    assert json.loads(text) == obj
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}


# ---- command line ------------------------------------------------------------------------------
def test_cli_writes_network_html_and_refuses_to_overwrite(tmp_path, monkeypatch):
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)  # the default output file lands in the working folder
    r = runner.invoke(main, ["view"])
    assert r.exit_code == 0, r.output
    out = Path("network.html")
    assert out.is_file() and "Wrote network.html: 43 entities, 114 commitments" in r.output
    r = runner.invoke(main, ["view", "--status", "closed"])
    assert r.exit_code == 2 and "exists" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, ["view", "--status", "closed", "--kinds", "equity", "--force",
                             "--size-by", "exposure", "--title", "Closed equity"])
    assert r.exit_code == 0, r.output
    data = page_data(out.read_text())
    sel, _ = expected_drawn(finflow.load_default(), ["closed"], ["equity"])
    assert len(shown(data)[0]) == len(sel) and data["title"] == "Closed equity"
    assert "node size: exposure" in data["filters"]


def test_cli_options(tmp_path):
    runner = CliRunner()
    out = tmp_path / "v.html"
    r = runner.invoke(main, ["view", "-o", str(out), "--max-nodes", "10", "--as-of", "2025-12-31"])
    assert r.exit_code == 0, r.output
    data = page_data(out.read_text())
    assert len(data["nodes"]) == 10 and "left out" in r.output
    assert "as of 2025-12-31" in data["subtitle"]
    assert "Examples:" in runner.invoke(main, ["view", "--help"]).output
    r = runner.invoke(main, ["view", "-o", str(tmp_path / "w.html"), "--kinds", "gift"])
    assert r.exit_code == 2 and "unknown kind" in r.output


# ---- in a real browser ------------------------------------------------------------------------
def _drawn(page, name="window"):
    return page.evaluate("""() => ({
        nodes: nodes.get({filter: n => !n.hidden}).map(n => ({id: n.id, label: n.label,
                                      border: n.color.border,
                                      fill: n.color.background})),
        edges: edges.get({filter: e => !e.hidden}).map(e => ({id: e.id, from: e.from, to: e.to,
                                                               color: e.color.color})),
        canvases: document.querySelectorAll('.finflow-view canvas').length,
        imgs: document.querySelectorAll('img').length,
        scripts: document.querySelectorAll('script').length,
    })""")


def test_browser_draws_the_bundled_network_offline(browser, default_page):
    from browser import open_view
    path, _ = default_page
    rep = open_view(browser, path, viewport=(1600, 1000))
    try:
        d = _drawn(rep.page)
        assert rep.blocked == [] and rep.errors == [] and rep.console_errors == []
        assert d["canvases"] == 1
        sel, ents = expected_drawn(finflow.load_default(), DEFAULT_STATUSES)
        assert len(d["edges"]) == len(sel) and {e["id"] for e in d["edges"]} == set(sel["id"])
        assert {n["id"] for n in d["nodes"]} == ents
        # the layout stabilised and physics is off: positions do not move any more
        pos1 = rep.page.evaluate("() => network.getPositions()")
        rep.page.wait_for_timeout(300)
        assert rep.page.evaluate("() => network.getPositions()") == pos1
        # spread out, not a hairball: no two entity centres closer than 20 px in the graph
        xy = np.array([[p["x"], p["y"]] for p in pos1.values()])
        dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
        assert dist[np.triu_indices(len(xy), 1)].min() > 20
        # the legend lists entity types and kinds
        legend = rep.page.inner_text(".ffv-legend")
        assert "hyperscaler" in legend and "compute" in legend and "non-binding" in legend
        rep.page.screenshot(path="/tmp/finflow_view_default.png", full_page=True)
    finally:
        rep.page.close()


def test_browser_renders_markup_in_data_as_text(browser, tmp_path):
    from browser import open_view
    net = xss_network()
    path = view(net, tmp_path / "xss.html", cycles=[[IMG, SCRIPT]])
    rep = open_view(browser, path)
    try:
        page = rep.page
        d = _drawn(page)
        assert rep.dialogs == [] and rep.errors == [] and rep.blocked == []
        assert d["imgs"] == 0 and d["scripts"] == 4
        assert {n["id"] for n in d["nodes"]} == {IMG, SCRIPT, "plain"}
        assert page.inner_text(".ffv-head h1") == net.name
        # the tooltip of the IMG entity is a DOM element whose text is the raw name
        tip = page.evaluate(f"() => nodes.get({json.dumps(IMG)}).title.textContent")
        assert f"Evil {IMG} Corp" in tip and f"src {SCRIPT}" in tip
        # hover the entity: vis-network shows that tooltip, as text
        box = page.evaluate(f"""() => {{
            const p = network.getPositions([{json.dumps(IMG)}])[{json.dumps(IMG)}];
            const d = network.canvasToDOM(p);
            const r = document.querySelector('.ffv-canvas').getBoundingClientRect();
            return {{x: r.left + d.x, y: r.top + d.y}};
        }}""")
        page.mouse.move(box["x"] + 40, box["y"] + 40)
        page.mouse.move(box["x"], box["y"], steps=4)
        page.wait_for_function(
            "() => { const t = document.querySelector('.vis-tooltip');"
            " return t && t.style.visibility === 'visible'; }", timeout=5000)
        shown = page.inner_text(".vis-tooltip")
        assert f"Evil {IMG} Corp" in shown
        assert page.evaluate("document.querySelectorAll('img, .vis-tooltip script').length") == 0
        assert rep.dialogs == []
    finally:
        rep.page.close()


def test_browser_highlights_cycles_and_defaults(browser, tmp_path):
    from browser import open_view
    net = make_network([("a", "b", "equity", 5.0), ("b", "c", "purchase", 3.0),
                        ("c", "a", "compute", 4.0), ("d", "a", "loan", 1.0)])
    path = view(net, tmp_path / "hl.html", cycles=[SimpleNamespace(nodes=["a", "b", "c"])],
                outcome={"b": {"defaulted": True, "relative_loss": 1.0}})
    rep = open_view(browser, path)
    try:
        d = _drawn(rep.page)
        assert rep.errors == [] and rep.console_errors == []
        colour = {e["id"]: e["color"] for e in d["edges"]}
        assert colour == {"e1": CYCLE_COLOR, "e2": CYCLE_COLOR, "e3": CYCLE_COLOR,
                          "e4": KIND_COLORS["loan"]}
        nodes = {n["id"]: n for n in d["nodes"]}
        assert {k for k, n in nodes.items() if n["border"] == CYCLE_COLOR} == {"a", "b", "c"}
        assert nodes["b"]["fill"] == DEFAULTED_COLOR
        assert nodes["d"]["fill"] == NO_OUTCOME_COLOR
        assert "defaulted" in rep.page.inner_text(".ffv-legend")
    finally:
        rep.page.close()


def test_browser_large_network_shows_top_entities_and_a_notice(browser, tmp_path):
    from browser import open_view
    net = large_network()
    path = view(net, tmp_path / "big.html")
    rep = open_view(browser, path, timeout_ms=60_000)
    try:
        d = _drawn(rep.page)
        assert rep.errors == [] and d["canvases"] == 1
        assert len(d["nodes"]) == 300
        counts = page_data(path.read_text())["counts"]
        assert len(d["edges"]) == counts["commitments_drawn"]
        notice = rep.page.inner_text(".ffv-notice")
        assert "Showing the 300 busiest entities that hang together" in notice
        assert f"{counts['entities_left_out']:,} entities and " \
               f"{counts['commitments_left_out']:,} commitments are left out" in notice
    finally:
        rep.page.close()


def test_missing_browser_skips_locally_but_fails_when_required(monkeypatch):
    import browser as helper
    monkeypatch.delenv("FINFLOW_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception):
        helper.unavailable("no Chromium")
    monkeypatch.setenv("FINFLOW_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="FINFLOW_REQUIRE_BROWSER"):
        helper.unavailable("no Chromium")


def test_cli_highlights_the_heaviest_cycles_and_a_default(tmp_path):
    # On the bundled network the heaviest cycle is amazon <-> openai (bottleneck 50: c24
    # equity 15 + c93 loi 35 against c26/c27 compute), and openai's default takes coreweave,
    # cerebras, oracle and the SPVs Oracle leases from with it under the cascade (since
    # the 2026-12 audit carved Oracle's leases out of its aggregate and gave the SPVs and
    # labs equity).
    out = tmp_path / "hl.html"
    r = CliRunner().invoke(main, ["view", "-o", str(out), "--cycles", "1", "--default",
                                  "openai", "--model", "cascade"])
    assert r.exit_code == 0, r.output
    data = page_data(out.read_text())
    ring = {n["id"] for n in data["nodes"] if n["color"]["border"] == CYCLE_COLOR}
    assert ring == {"amazon", "openai"}
    dead = {n["id"] for n in data["nodes"] if n["color"]["background"] == DEFAULTED_COLOR}
    assert dead == {"openai", "coreweave", "cerebras", "oracle", "vantage", "jupiter_nm",
                    "michigan_dc", "abilene_jv"}
    r = CliRunner().invoke(main, ["view", "-o", str(tmp_path / "x.html"), "--default", "nobody"])
    assert r.exit_code == 2 and "nobody" in r.output and "Traceback" not in r.output
