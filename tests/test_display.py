"""Results in a notebook (issue 19, "Display"): a short repr with the headline numbers, an
HTML view that parses and escapes data text, the report's charts as SVG and with
matplotlib, and every table to Parquet.

The expected headline numbers are recomputed here from each result's own tables (or from
another analysis), not read from the fields the headline uses.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

import finflow
import finflow.analysis
from finflow.analysis.stress import stress, stress_scenarios
from finflow.errors import FinflowError
from finflow.io.output import OutputError
from finflow.report import build_report, write_report
from finflow.results import Result
from finflow.text import format_number, format_percent

HOSTILE = "<script>alert('x')</script>&"


def all_results(net: finflow.Network, shocked: str) -> dict[str, Result]:
    """One result of every Result class, by class name."""
    out = [finflow.overview(net), finflow.circular_decomposition(net), finflow.find_cycles(net),
           finflow.max_circulation(net), finflow.netting(net), finflow.finn_cycling(net),
           finflow.hodge_decomposition(net), finflow.circular_cores(net),
           finflow.circular_financing(net), finflow.concentration(net), finflow.schedule(net),
           finflow.funding_gap(net), finflow.contagion(net, shocked),
           finflow.debtrank(net, shocked), finflow.systemic_ranking(net),
           finflow.circularity_significance(net, samples=19),
           finflow.uncertainty(net, draws=10),
           finflow.diff(net, net.select(kinds=[k for k in finflow.KINDS if k != "lease"])),
           stress(net),
           stress_scenarios(net, [{"name": "stalled"}, {"name": "growth",
                                                        "revenue_growth": "50%"}])]
    return {type(r).__name__: r for r in out}


def result_classes() -> set[str]:
    for m in pkgutil.iter_modules(finflow.analysis.__path__):
        importlib.import_module(f"finflow.analysis.{m.name}")

    def walk(c):
        for s in c.__subclasses__():
            yield s
            yield from walk(s)
    return {c.__name__ for c in walk(Result) if c.__module__.startswith("finflow.")}


@pytest.fixture(scope="module")
def results(default_network):
    return all_results(default_network, "openai")


@pytest.fixture(scope="module")
def hostile():
    net = finflow.load_default()
    ent, com = net.entities.copy(), net.commitments.copy()
    ent["id"] = ent["id"].replace("openai", HOSTILE)
    ent.loc[ent["id"] == HOSTILE, "name"] = HOSTILE
    for c in ("payer", "payee"):
        com[c] = com[c].replace("openai", HOSTILE)
    bad = finflow.Network.from_frames(ent, com, **dict(net.metadata, name="<b>net</b>"))
    return bad, all_results(bad, HOSTILE)


# ---- repr ---------------------------------------------------------------------------------
def test_every_result_class_is_covered(results):
    # a new result class must join all_results (and get a headline)
    assert set(results) == result_classes()


def test_every_result_repr_is_one_short_line(results):
    for name, r in results.items():
        text = repr(r)
        assert text.startswith(f"<{name}: ") and text.endswith(">"), text
        assert "\n" not in text and len(text) <= 220, (name, len(text))
        assert "DataFrame" not in text and "=" not in text.split(":")[0], text
        # the headline is the class's own, not the fallback to the first summary sentence
        from finflow.display import HEADLINES
        assert any(k.endswith("." + name) for k in HEADLINES), name


def test_a_dataclass_repr_would_have_been_a_dump(results):
    # what the issue saw: the generated repr of CircularFinancing is tens of kB
    import dataclasses
    r = results["CircularFinancing"]
    fields = ", ".join(f"{f.name}={getattr(r, f.name)!r}" for f in dataclasses.fields(r)
                       if f.repr)
    assert len(fields) > 5000 > len(repr(r))


def n(x):
    return format_number(x)


def p(x):
    return format_percent(x)


def expected(name: str, r: Result, net: finflow.Network) -> list[str]:
    """Headline numbers recomputed from the result's tables (or another analysis)."""
    t = r.tables()
    if name == "Overview":
        by_kind = t["commitments_by_kind"]
        return [f"{int(by_kind['commitments'].sum()):,} commitments",
                n(float(by_kind["counted_amount"].sum())), f"{net.n} entities"]
    if name == "Decomposition":
        e = t["edges"]
        return [n(float(e["circular"].sum())), n(float(e["amount"].sum())),
                p(e["circular"].sum() / e["amount"].sum())]
    if name == "CycleSet":
        m = t["main"]
        return [f"{len(m)} cycles", n(float(m["bottleneck"].iloc[0])),
                m["cycle"].iloc[0].replace(" -> ", " > ")]
    if name == "MaxCirculation":
        e = t["edges"]
        return [n(float(e["circulation"].sum())), n(float(e["amount"].sum())),
                p(e["circulation"].sum() / e["amount"].sum())]
    if name == "Netting":
        pos = t["net_positions"]
        gross, net_ = pos["inflow"].sum(), pos["net_position"].clip(lower=0).sum()
        return [n(float(gross)), n(float(net_)), n(float(gross - net_)), p((gross - net_) / gross)]
    if name == "FinnCycling":
        e = t["main"]
        return [n(float(e["throughflow"].sum())), n(float(e["cycled"].sum())),
                n(float(e["cycled"].sum() / e["throughflow"].sum()))]
    if name == "HodgeDecomposition":
        pr = t["pairs"]   # Jiang et al. (2011): share of the squared norm in the cyclic part
        return [p((pr["circular"] ** 2).sum() / (pr["net_flow"] ** 2).sum())]
    if name == "Cores":
        c = t["components"]
        return [f"circular core {int(c.loc[c['core'] == 'circular', 'size'].sum())} entities",
                f"robust core {int(c.loc[c['core'] == 'robust', 'size'].sum())} entities"]
    if name == "CircularFinancing":
        ent = t["entities"]
        return [f"{len(finflow.find_cycles(net).to_frame())} cycles",
                n(float(ent["max_circulation_throughput"].sum())), n(float(ent["inflow"].sum()))]
    if name == "Concentration":
        row = t["network"].iloc[0]
        return [f"{int(row['active'])} active", n(float(row["volume"])), n(float(row["gini"]))]
    if name == "ScheduleResult":
        by = t["due_by_year_and_status"]
        peak = by.loc[by["total"].idxmax()]
        return [n(float(by["total"].sum())), f"peak {int(peak['year'])}", n(float(peak["total"]))]
    if name == "FundingGapResult":
        e = t["entities"]
        out = e.loc[e["runway_year"].notna(), "entity"].tolist()
        return [f"{len(e)} entities", f"{len(out)} run out"] + out
    if name == "ContagionResult":
        tot = t["totals"].iloc[0]
        return [f"{int(tot['defaults'])} defaults", f"{int(tot['rounds'])} rounds",
                n(float(tot["equity_lost"]))]
    if name == "ContagionComparison":
        return [f"{m} {int(d)}" for m, d in zip(t["totals_by_model"]["model"],
                                                t["totals_by_model"]["defaults"])]
    if name == "RankingResult":
        top = t["entities_by_impact"].sort_values("impact_rank").iloc[0]
        return [f"highest impact {top['id']}", n(float(top["impact"]))]
    if name == "NullModelResult":
        row = t["null_model"].iloc[0]
        return [p(row["observed"]), p(row["mean"]), n(float(row["p_value"]))]
    if name == "UncertaintyResult":
        f = t["figures"].set_index("name").loc["max_circulation_share"]
        scale = 100.0 if f["unit"] == "%" else 1.0          # the table shows percentages
        return [p(f["median"] / scale), p(f["p05"] / scale), p(f["p95"] / scale)]
    if name == "DiffResult":
        ch = t["changes"]
        removed = int(((ch["table"] == "commitments") & (ch["change"] == "removed")).sum())
        return [f"{removed} removed", f"{int(t['findings']['changed'].sum())} findings"]
    if name == "StressResult":
        d = t["defaults"]
        first = d[d["year"] == d["year"].min()]
        return [f"{len(d)} defaults", f"in {int(d['year'].min())}"] + first["entity"].tolist()
    if name == "StressComparison":
        return [f"{k} {len(v.tables()['defaults'])}" for k, v in r.results.items()]
    raise AssertionError(f"no expectation for {name}")


@pytest.mark.parametrize("name", sorted(result_classes()))
def test_repr_holds_the_headline_numbers(results, default_network, name):
    r = results[name]
    text = repr(r)
    for piece in expected(name, r, default_network):
        assert piece in text, (piece, text)


def test_diff_case_has_something_removed(results, default_network):
    # the diff above compares with a selection without leases (and, as every selection
    # by default, without lapsed commitments): the counts must say how many went
    kept = default_network.select(kinds=[k for k in finflow.KINDS if k != "lease"])
    gone = len(default_network.commitments) - len(kept.commitments)
    assert gone > 0 and f"{gone} removed" in repr(results["DiffResult"])


# ---- HTML ---------------------------------------------------------------------------------
class Checker(HTMLParser):
    """Collects start tags and text, and checks that every element closes in order."""

    VOID = {"br", "hr", "img", "meta", "input", "link", "col", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, (tag, self.stack[-5:])
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Checker:
    c = Checker()
    c.feed(html)
    c.close()
    assert not c.stack, c.stack
    return c


def test_every_result_html_parses_and_shows_at_most_ten_rows(results):
    for name, r in results.items():
        c = parse(r._repr_html_())
        tables = r.tables()
        assert sum(1 for t, _ in c.tags if t == "table") == len(tables), name
        rows = sum(1 for t, _ in c.tags if t == "tr")
        # a header row per table, then at most 10 rows each
        assert rows == sum(1 + min(len(f), 10) for f in tables.values()), name
        text = " ".join(c.text)
        for tname, frame in tables.items():
            assert f"{len(frame):,} row" in text, (name, tname)
        if r.notes():
            assert "Conventions" in text and any(t == "details" for t, _ in c.tags)


def test_html_escapes_a_hostile_entity_name(hostile):
    net, res = hostile
    for name, r in res.items():
        html = r._repr_html_()
        c = parse(html)
        assert not any(t == "script" for t, _ in c.tags), name
        assert "<script>" not in html, name
    # the name is there as text: in the ranking, the contagion and the circular tables
    for name in ("RankingResult", "ContagionResult", "CircularFinancing"):
        assert HOSTILE in " ".join(parse(res[name]._repr_html_()).text), name
    page = net._repr_html_()
    c = parse(page)
    assert "<b>net</b>" in " ".join(c.text) and not any(t == "script" for t, _ in c.tags)


def test_network_html(default_network):
    net = default_network
    c = parse(net._repr_html_())
    text = " ".join(c.text)
    assert net.name in text and net.unit_label in text and str(net.metadata["as_of"]) in text
    assert f"{net.n} entities, {len(net.commitments)} commitments" in text
    types = net.entities["type"].value_counts()
    assert f"{types.index[0]} {types.iloc[0]}" in text
    # the table: one row per kind present
    assert sum(1 for t, _ in c.tags if t == "tr") == 1 + net.commitments["kind"].nunique()


def test_view_html_is_the_page_and_displays_in_an_iframe(default_network):
    page = finflow.view_html(default_network, max_nodes=50)
    assert isinstance(page, str) and page.startswith("<!DOCTYPE html>")
    c = parse(page._repr_html_())
    (tag, attrs), = c.tags
    assert tag == "iframe" and attrs["srcdoc"] == str(page)      # escaped, then read back
    assert attrs["sandbox"] == "allow-scripts"
    frag = finflow.view_html(default_network, max_nodes=50, full=False, element_id="v1")
    (tag, attrs), = parse(frag._repr_html_()).tags
    assert str(frag) in attrs["srcdoc"] and attrs["srcdoc"].startswith("<!DOCTYPE html>")


# ---- charts -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def report(default_network, tmp_path_factory):
    r = build_report(default_network)
    out = tmp_path_factory.mktemp("report")
    write_report(r, out, force=True)
    return r, (out / "index.html").read_text(encoding="utf-8")


def test_plot_svg_is_the_report_svg(report):
    r, html = report
    assert r.cycles.plot_svg() in html
    assert r.cycles.decomposition.plot_svg() == r.cycles.plot_svg()
    ent = next(iter(r.contagion))
    cmp_ = r.contagion[ent]
    assert cmp_.plot_svg(model=r.rank.model) in html
    assert cmp_.results[r.rank.model].plot_svg() == cmp_.plot_svg(model=r.rank.model)
    over = r.timeline.over_committed()[:3]
    assert over
    for e in over:
        svg = r.timeline.plot_svg(entity=e)
        assert f'data-entity="{e}"' in svg and svg in html
    assert r.stress is not None
    for name in r.stress.results:
        assert r.stress.plot_svg(scenario=name) in html


def test_a_result_without_chart_says_which_have_one(results):
    with pytest.raises(FinflowError, match="has no chart.*CircularFinancing"):
        results["Overview"].plot_svg()


@pytest.fixture
def agg():
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    import matplotlib.pyplot as plt
    yield plt
    plt.close("all")


def test_plot_circular_share_bars(results, agg):
    r = results["CircularFinancing"]
    ent = r.decomposition.entities
    ent = ent[(ent["circular_inflow"] > 0) & ent["self_financed_share"].notna()]
    ent = ent.sort_values("circular_inflow", ascending=False).head(15)
    ax = r.plot()
    bars = ax.patches
    assert len(bars) == len(ent) > 0
    assert [b.get_width() for b in bars] == pytest.approx(list(ent["self_financed_share"]))
    assert [t.get_text() for t in ax.get_yticklabels()] == list(ent["id"])
    fig, ax2 = agg.subplots()
    assert r.plot(ax=ax2) is ax2


def test_plot_contagion_losses(results, agg):
    r = results["ContagionComparison"].results["linear-debtrank"]
    e = r.entities
    lost = e[(e["loss"].fillna(0) > 0) & (e["id"] != "openai")]
    ax = results["ContagionComparison"].plot()
    assert len(ax.patches) == min(15, len(lost))
    assert max(b.get_width() for b in ax.patches) == pytest.approx(lost["loss"].max())
    red = sum(1 for b in ax.patches if b.get_facecolor()[:3] == pytest.approx(
        (0xc0 / 255, 0x39 / 255, 0x2b / 255)))
    top = lost.sort_values(["loss", "id"], ascending=[False, True]).head(15)
    assert red == int(top["defaulted"].sum())


def test_plot_timeline_and_stress(results, agg):
    gap = results["FundingGapResult"]
    ax = gap.plot(entity="openai")
    assert len(ax.patches) == gap.to_year - gap.from_year + 1      # a bar per year
    assert all(len(line.get_xdata()) == len(ax.patches) for line in ax.lines[:2])
    s = results["StressResult"]
    cum = s.tables()["cumulative_losses_by_year"]
    losing = [c for c in cum.columns if c not in ("year", "total") and cum[c].max() > 0]
    ax = s.plot()
    assert len(ax.lines) == len(losing) > 0
    assert all(len(line.get_xdata()) == len(cum) for line in ax.lines)


def test_plot_without_matplotlib_points_to_the_extra(results, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"pip install finflow\[plot\]"):
        results["CircularFinancing"].plot()
    assert results["CircularFinancing"].plot_svg().startswith("<svg")   # still there


# ---- Parquet ------------------------------------------------------------------------------
def test_to_parquet_round_trip(results, tmp_path):
    for name in ("CircularFinancing", "RankingResult", "ContagionComparison", "StressResult",
                 "UncertaintyResult", "ScheduleResult"):
        r = results[name]
        folder = tmp_path / name
        written = r.to_parquet(folder)
        tables = r.tables()
        assert list(written) == list(tables)
        assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written.values())
        for tname, path in written.items():
            back = pd.read_parquet(path)
            orig = tables[tname].reset_index(drop=True)
            assert list(back.columns) == [str(c) for c in orig.columns], (name, tname)
            assert len(back) == len(orig)
            for c in orig.columns:
                a, b = orig[c], back[str(c)]
                if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
                    assert np.allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float),
                                       equal_nan=True), (name, tname, c)
                else:
                    norm = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                            else (tuple(v) if isinstance(v, (list, tuple, np.ndarray)) else v)
                            for v in a.tolist()]
                    got = [None if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v))
                           else (tuple(v) if isinstance(v, (list, tuple, np.ndarray)) else v)
                           for v in b.tolist()]
                    assert got == norm or got == [None if v is None else str(v) for v in norm], \
                        (name, tname, c)


def test_to_parquet_refuses_to_overwrite(results, tmp_path):
    r = results["MaxCirculation"]
    written = r.to_parquet(tmp_path)
    before = {p: p.read_bytes() for p in written.values()}
    with pytest.raises(OutputError, match="overwrite=True"):
        r.to_parquet(tmp_path)
    assert {p: p.read_bytes() for p in written.values()} == before
    # one table's file alone is enough to stop the whole call before anything is written
    other = results["Netting"]
    (tmp_path / "net_positions.parquet").write_bytes(b"mine")
    with pytest.raises(OutputError):
        other.to_parquet(tmp_path)
    assert (tmp_path / "net_positions.parquet").read_bytes() == b"mine"
    again = r.to_parquet(tmp_path, overwrite=True)
    assert pd.read_parquet(again["edges"]).shape == r.tables()["edges"].shape


def test_view_html_draws_inside_its_iframe_in_a_browser(browser, default_network, tmp_path):
    # what Jupyter does with _repr_html_: put it in the notebook's page
    page_html = finflow.view_html(default_network, max_nodes=60)._repr_html_()
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><body><h1>cell</h1>{page_html}</body></html>",
                    encoding="utf-8")
    page = browser.new_page()
    blocked, errors = [], []

    def route(r):
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.resolve().as_uri(), wait_until="load")
    frame = page.frame_locator("iframe.finflow-view")
    frame.locator(".finflow-view[data-ready='1']").wait_for(state="attached", timeout=30_000)
    drawn = page.frames[1].evaluate(
        "() => { const v = Object.values(window.finflowViews)[0]; "
        "return [v.nodes.length, v.edges.length]; }")
    assert drawn[0] > 0 and drawn[1] > 0
    assert not blocked and not errors
    page.close()
