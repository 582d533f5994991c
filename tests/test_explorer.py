"""The explorer page (issue 16), driven in headless Chromium as a reader would.

Every count the page shows is compared with the library's own selection of the same
commitments (``Network.select`` with statuses, kinds and ``as_of``; the counted volume
is the sum of known amounts with ``in_totals``, as in ``Network.mask``). One browser and
one written page per fixture are shared; each test starts from the page's Reset button.
Every non-``file:`` request is aborted (tests/browser.py).
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import finflow
from finflow.cli import main
from finflow.view import CYCLE_COLOR, DEFAULTED_COLOR, KIND_COLORS, UNDISCLOSED_COLOR, view

DEFAULT = ["closed", "committed", "loi", "reported"]
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(1)</script>"


# ---- the library's numbers ------------------------------------------------------------------
def expected(net, statuses=DEFAULT, kinds=None, as_of=None, keep=None):
    """(entities, commitments, volume, ids) of a selection made by finflow itself."""
    sel = net.select(status=statuses, kinds=kinds, as_of=as_of).commitments
    if keep is not None:
        sel = sel[keep(sel)]
    ents = set(sel["payer"]) | set(sel["payee"])
    counted = sel[sel["amount"].notna() & sel["in_totals"].astype(bool)]
    return len(ents), len(sel), float(counted["amount"].sum()), set(sel["id"])


def shown(page):
    """What the page shows: its counters (as text, parsed) and its visible items."""
    return page.evaluate("""() => {
        const v = Object.values(finflowViews)[0];
        const num = s => Number(document.querySelector("[data-count='" + s + "']")
                                 .textContent.replace(/,/g, ""));
        return {entities: num("entities"), commitments: num("commitments"),
                volume_text: num("volume"), volume: v.visible.volume,
                ids: Object.keys(v.visible.edges),
                drawn_edges: v.edges.get({filter: e => !e.hidden}).map(e => e.id),
                drawn_nodes: v.nodes.get({filter: n => !n.hidden}).map(n => n.id)};
    }""")


def assert_matches(page, exp):
    n_ent, n_com, vol, ids = exp
    got = shown(page)
    assert set(got["ids"]) == ids and set(got["drawn_edges"]) == ids
    assert got["commitments"] == n_com and got["entities"] == n_ent
    assert len(got["drawn_nodes"]) == n_ent
    assert got["volume"] == pytest.approx(vol, rel=1e-9)
    assert got["volume_text"] == pytest.approx(vol, abs=0.051)    # shown with 1 decimal


def reset(page):
    page.click(".ffv-reset")


# ---- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def net():
    return finflow.load_default()


@pytest.fixture(scope="module")
def bundled_path(tmp_path_factory):
    out = tmp_path_factory.mktemp("explorer") / "explorer.html"
    r = CliRunner().invoke(main, ["view", "-o", str(out), "--default", "openai",
                                  "--model", "cascade"])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def bundled(browser, bundled_path):
    from browser import open_view
    rep = open_view(browser, bundled_path, viewport=(1600, 1000))
    yield rep
    assert rep.errors == [] and rep.console_errors == [] and rep.blocked == []
    rep.page.close()


# ---- filters ------------------------------------------------------------------------------------
def test_opening_counts_equal_the_library_selection(bundled, net):
    reset(bundled.page)
    assert_matches(bundled.page, expected(net))
    assert bundled.errors == [] and bundled.console_errors == [] and bundled.blocked == []


def test_unticking_compute_hides_exactly_the_compute_commitments_without_relayout(bundled, net):
    page = bundled.page
    reset(page)
    before = page.evaluate("() => network.getPositions()")
    page.uncheck(".ffv-legend input[data-filter='kinds'][value='compute']")
    kinds = [k for k in finflow.kinds.KINDS if k != "compute"]
    assert_matches(page, expected(net, kinds=kinds))
    after = page.evaluate("() => network.getPositions()")    # hidden nodes not listed
    assert after and all(after[k] == before[k] for k in after)       # nothing moved
    page.check(".ffv-legend input[data-filter='kinds'][value='compute']")
    assert_matches(page, expected(net))
    assert page.evaluate("() => network.getPositions()") == before


def test_status_confidence_amount_and_type_filters(bundled, net):
    page = bundled.page
    reset(page)
    page.uncheck("input[data-filter='groups'][value='nonbinding']")
    assert_matches(page, expected(net, statuses=["closed", "committed"]))
    page.check("input[data-filter='groups'][value='lapsed']")
    assert_matches(page, expected(net, statuses=["closed", "committed", "lapsed"]))
    reset(page)
    page.uncheck("input[data-filter='conf'][value='low']")
    assert_matches(page, expected(net, keep=lambda s: s["confidence"] != "low"))
    reset(page)
    page.fill(".ffv-min", "10")
    assert_matches(page, expected(net, keep=lambda s: s["amount"] >= 10))
    reset(page)
    page.uncheck(".ffv-legend input[data-filter='types'][value='lender']")
    lenders = set(net.entities.loc[net.entities["type"] == "lender", "id"])
    assert_matches(page, expected(net, keep=lambda s: ~s["payer"].isin(lenders)
                                  & ~s["payee"].isin(lenders)))


def test_date_slider_matches_as_of(bundled, net):
    page = bundled.page
    reset(page)
    # the exact-date field, as typed by a reader
    page.fill(".ffv-date-input", "2025-10-01")
    assert_matches(page, expected(net, as_of="2025-10-01"))
    # the slider itself: keyboard steps of one day from its right end (all dates)
    reset(page)
    page.focus(".ffv-date")
    page.keyboard.press("End")
    assert_matches(page, expected(net))
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    day = page.evaluate("() => Object.values(finflowViews)[0].state().date")
    assert day == "2026-06-08"                              # as_of 2026-06-11 minus 3 days
    assert_matches(page, expected(net, as_of=day))
    # a commitment lapsed after the date counts with its prior status: c78a lapsed on
    # 2025-10-21 (prior status reported) is shown on 2025-10-01 with non-binding ticked
    page.fill(".ffv-date-input", "2025-10-01")
    assert "c78a" in shown(page)["ids"]
    assert page.inner_text(".ffv-date-label") == "as of 2025-10-01"


# ---- search, focus, deals ----------------------------------------------------------------------
def test_search_focus_panel_and_deal(bundled, net):
    page = bundled.page
    reset(page)
    page.fill(".ffv-search", "Open")
    first = page.locator(".ffv-matches button").first
    assert first.get_attribute("data-entity") == "openai"
    page.press(".ffv-search", "Enter")
    state = page.evaluate("() => Object.values(finflowViews)[0].state()")
    assert state["focus"] == "openai"
    sel = net.select(status=DEFAULT).commitments
    mine = sel[(sel["payer"] == "openai") | (sel["payee"] == "openai")]
    partners = set(mine["payer"]) | set(mine["payee"])
    bright = page.evaluate("() => Object.keys(Object.values(finflowViews)[0].bright.nodes)")
    assert set(bright) == partners
    # dimmed: everything else (vis node opacity)
    dim = page.evaluate("() => nodes.get({filter: n => !n.hidden && n.opacity < 0.5})"
                        ".map(n => n.id)")
    assert set(dim) == set(shown(page)["drawn_nodes"]) - partners
    panel = page.inner_text(".ffv-panel")
    assert "OpenAI" in panel and "Heaviest cycle through it" in panel
    assert f"Commitments out (it pays): {int((mine['payer'] == 'openai').sum())}" in panel
    assert f"Commitments in (it receives): {int((mine['payee'] == 'openai').sum())}" in panel
    # circular share: the BFF figure of finflow's decomposition
    from finflow.analysis.decomposition import circular_decomposition
    share = circular_decomposition(net).entities.set_index("id").at["openai", "self_financed_share"]
    assert f"{100 * share:.1f}%" in panel
    hrefs = page.eval_on_selector_all(".ffv-panel a", "as => as.map(a => a.href)")
    assert hrefs and all(re.match(r"^https?://", h) for h in hrefs)
    # Oracle's panel: its deals with clickable sources
    page.fill(".ffv-search", "oracle")
    page.press(".ffv-search", "Enter")
    assert page.evaluate("() => Object.values(finflowViews)[0].state().focus") == "oracle"
    # open one of its deals that has several legs: the panel lists the other legs
    com = net.commitments
    buttons = page.eval_on_selector_all(".ffv-panel button[data-commitment]",
                                        "bs => bs.map(b => b.getAttribute('data-commitment'))")
    deal_of = com.set_index("id")["deal"]
    sizes = com.groupby("deal")["id"].count()
    leg = next(b for b in buttons if pd.notna(deal_of[b]) and sizes[deal_of[b]] > 1)
    legs = set(com.loc[com["deal"] == deal_of[leg], "id"])
    page.click(f".ffv-panel button[data-commitment='{leg}']")
    panel = page.inner_text(".ffv-panel")
    assert f"Other legs of deal {deal_of[leg]}: {len(legs) - 1}" in panel
    others = set(page.eval_on_selector_all(
        ".ffv-legs button", "bs => bs.map(b => b.getAttribute('data-commitment'))"))
    assert others == legs - {leg}
    assert page.eval_on_selector_all(".ffv-panel a", "as => as.length") > 0


# ---- cycles ----------------------------------------------------------------------------------------
def test_cycle_list_picks_the_nvidia_openai_oracle_loop(bundled, net):
    from finflow.analysis.cycles import heaviest_cycles
    page = bundled.page
    reset(page)
    cycles = heaviest_cycles(net, top=10).cycles
    items = page.eval_on_selector_all(".ffv-cycles button", "bs => bs.map(b => b.textContent)")
    assert len(items) == len(cycles)
    k = [set(c.nodes) for c in cycles].index({"nvidia", "openai", "oracle"})
    page.click(f".ffv-cycles button[data-cycle='{k}']")
    b = page.evaluate("() => Object.values(finflowViews)[0].bright")
    assert set(b["nodes"]) == {"nvidia", "openai", "oracle"}
    on_steps = set(c for e in cycles[k].edges for c in e["commitments"])
    assert set(b["edges"]) == on_steps
    colours = page.evaluate("ids => ids.map(id => edges.get(id).color.color)", sorted(on_steps))
    assert set(colours) == {CYCLE_COLOR}
    # the bottleneck (30: the smallest of the loop's three steps, tests/test_cycles.py)
    assert "30.00 USD billions can go round" in page.inner_text(".ffv-cycle-info")


# ---- cascade playback ------------------------------------------------------------------------------
def test_cascade_playback_reaches_finflow_contagion(bundled, net):
    page = bundled.page
    reset(page)
    out = subprocess.run([sys.executable, "-m", "finflow", "contagion", "--default", "openai",
                          "-m", "cascade", "-f", "json"], capture_output=True, text=True,
                         check=True)
    res = json.loads(out.stdout)
    page.click(".ffv-prev")
    page.click(".ffv-prev")
    fills = lambda: page.evaluate(
        "c => nodes.get({filter: n => n.color.background === c}).map(n => n.id)", DEFAULTED_COLOR)
    assert set(fills()) == {"openai"}                        # round 0: the shock
    assert "Round 0: OpenAI Group PBC defaults" in page.inner_text(".ffv-rounds")
    # step through every round: after round r the page shows exactly the entities that
    # finflow contagion defaults by round r
    by_round = {}
    for e in res["entities"]:
        if e["defaulted"]:
            by_round.setdefault(e["round"], set()).add(e["id"])
    names = {e["id"]: e["name"] for e in res["entities"]}
    seen = set(by_round[0])
    for r in range(1, res["rounds"] + 1):
        page.click(".ffv-next")
        seen |= by_round.get(r, set())
        assert set(fills()) == seen
    assert seen == set(res["defaulted"])
    text = page.inner_text(".ffv-rounds")
    # the SPVs that lease to Oracle fall in the second round (format v2 data, issue 15)
    assert {"vantage", "jupiter_nm", "michigan_dc", "abilene_jv"} <= by_round[2]
    for r, who in by_round.items():
        if r:
            for w in who:
                assert names[w] in text
    assert f"{len(res['defaulted'])} entities default" in text
    # external holders and entities without equity show their loss amount, not grey
    ents = {e["id"]: e for e in res["entities"]}
    bond = ents["bond_market"]
    assert bond["role"] == "external" and bond["loss"] > 0
    label = page.evaluate("() => nodes.get('bond_market').label")
    assert f"loses {bond['loss']:.2f}" in label
    # play from the start: the timer walks to the end by itself
    page.click(".ffv-play")
    page.wait_for_function("() => Object.values(finflowViews)[0].state().step === %d && "
                           "document.querySelector('.ffv-play').textContent === 'Play'" % res["rounds"],
                           timeout=10_000)
    assert set(fills()) == set(res["defaulted"])


# ---- deep links ------------------------------------------------------------------------------------
def test_deep_link_restores_the_view(browser, bundled, net, bundled_path):
    from browser import open_view
    page = bundled.page
    reset(page)
    page.uncheck("input[data-filter='groups'][value='nonbinding']")
    page.fill(".ffv-date-input", "2025-10-01")
    page.fill(".ffv-search", "Oracle")
    page.press(".ffv-search", "Enter")
    page.click(".ffv-prev")
    url = page.url
    state = page.evaluate("() => Object.values(finflowViews)[0].state()")
    counts = shown(page)
    assert "#v=" in url and "d=2025-10-01" in url and "e=oracle" in url
    other = open_view(browser, url)
    try:
        assert other.page.evaluate("() => Object.values(finflowViews)[0].state()") == state
        again = shown(other.page)
        assert again["ids"] == counts["ids"] and again["entities"] == counts["entities"]
        assert "Oracle" in other.page.inner_text(".ffv-panel")
        assert not other.page.is_checked("input[data-filter='groups'][value='nonbinding']")
        assert other.errors == [] and other.console_errors == []
    finally:
        other.page.close()
    assert_matches(page, expected(net, statuses=["closed", "committed"], as_of="2025-10-01"))


# ---- export, table, accessibility, readability -----------------------------------------------------
def test_png_download_button(bundled, tmp_path):
    page = bundled.page
    reset(page)
    with page.expect_download() as info:
        page.click(".ffv-export")
    path = tmp_path / "got.png"
    info.value.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


def test_table_view_lists_the_visible_commitments_and_sorts(bundled, net):
    page = bundled.page
    reset(page)
    page.click(".ffv-table-box summary")
    page.uncheck(".ffv-legend input[data-filter='kinds'][value='equity']")
    rows = page.eval_on_selector_all(".ffv-table tbody tr",
                                     "rs => rs.map(r => r.firstChild.textContent)")
    _, n, _, ids = expected(net, kinds=[k for k in finflow.kinds.KINDS if k != "equity"])
    assert len(rows) == n and set(rows) == ids
    page.click(".ffv-table th[data-key='id'] button")
    rows = page.eval_on_selector_all(".ffv-table tbody tr",
                                     "rs => rs.map(r => r.firstChild.textContent)")
    assert rows == sorted(rows)
    assert page.get_attribute(".ffv-table th[data-key='id']", "aria-sort") == "ascending"


def test_every_control_is_reachable_by_keyboard_with_visible_focus(bundled):
    page = bundled.page
    reset(page)
    page.evaluate("() => { document.querySelector('.ffv-table-box').open = true; }")
    page.evaluate("""() => { window.ffvControls = Array.from(document.querySelectorAll(
        '.finflow-view button, .finflow-view input, .finflow-view summary, .finflow-view a'))
        .filter(e => !e.hidden && e.getClientRects().length > 0); }""")
    controls = page.evaluate("() => ffvControls.length")
    assert controls > 50   # search, filters, legend toggles, cycles, playback, table sorts
    page.focus(".ffv-search")
    reached, outlines = set(), set()
    for _ in range(2 * controls):        # a date field takes a Tab per part (mm/dd/yyyy)
        info = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            const i = e.closest('.ffv-canvas') ? -2 : ffvControls.indexOf(e);
            return [i, s.outlineStyle, s.outlineWidth]; }""")
        if info[0] == -1:
            break
        if info[0] == -2:               # the drawing itself takes focus too (vis-network)
            outlines.add((info[1], info[2], "drawing"))
            page.keyboard.press("Tab")
            continue
        reached.add(info[0])
        outlines.add((info[1], info[2], info[0]))
        page.keyboard.press("Tab")
    # the search field is the first control; Tab walks every other one
    first = page.evaluate("() => ffvControls.indexOf(document.querySelector('.ffv-search'))")
    assert reached == set(range(first, controls))
    assert first <= 1
    assert all(style != "none" and width != "0px" for style, width, _ in outlines), \
        [o for o in outlines if o[0] == "none"]
    page.evaluate("() => { document.querySelector('.ffv-table-box').open = false; }")


def test_labels_are_readable_at_the_opening_zoom(bundled):
    smallest = bundled.page.evaluate("""() => Math.min(...nodes.get().map(n => n.font.size))
                                              * network.getScale()""")
    assert smallest >= 10


def _lab(hex_colour: str) -> np.ndarray:
    """CIE L*a*b* (D65) of an sRGB colour (CIE 15:2004; sRGB per IEC 61966-2-1)."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    rgb = np.where(rgb > 0.04045, ((rgb + 0.055) / 1.055) ** 2.4, rgb / 12.92)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                  [0.0193, 0.1192, 0.9505]])
    xyz = m @ rgb / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_no_two_commitment_kinds_have_near_identical_colours():
    # CIE76 colour difference Delta E*ab; about 2.3 is just noticeable (Sharma 2003), and
    # thin lines need far more: we require 20 between any two kinds, the undisclosed
    # grey and the cycle highlight.
    assert _lab("#ffffff") == pytest.approx([100, 0, 0], abs=0.05)    # white point
    colours = dict(KIND_COLORS, undisclosed=UNDISCLOSED_COLOR, cycle=CYCLE_COLOR)
    names = list(colours)
    worst = min((float(np.linalg.norm(_lab(colours[a]) - _lab(colours[b]))), a, b)
                for i, a in enumerate(names) for b in names[i + 1:])
    assert worst[0] >= 20, worst


# ---- hostile data, generated networks, --png -----------------------------------------------------
def test_markup_and_javascript_urls_stay_inert(browser, tmp_path):
    from browser import open_view
    ents = pd.DataFrame({"id": ["a", "b"], "name": [f"Evil {IMG}", f"Bad {SCRIPT}"],
                         "type": ["ai_lab", "cloud"], "equity": [1.0, 2.0],
                         "source": ["[S1] evil", "javascript:alert(1)"]})
    coms = pd.DataFrame({"id": ["x1", "x2"], "payer": ["a", "b"], "payee": ["b", "a"],
                         "kind": ["equity", "compute"], "amount": [3.0, 2.0],
                         "deal": ["d1", "d1"],
                         "source": [f"[S1] {IMG}; javascript:alert(2)",
                                    f"https://ok.example/x; {SCRIPT}"],
                         "note": [SCRIPT, IMG]})
    net = finflow.Network.from_frames(ents, coms, name=f"N {IMG}", sources=[
        {"id": "S1", "title": "bad", "url": "javascript:alert(3)"}])
    path = view(net, tmp_path / "x.html")
    rep = open_view(browser, path)
    try:
        page = rep.page
        page.fill(".ffv-search", "evil")
        page.press(".ffv-search", "Enter")
        page.click(".ffv-panel button[data-commitment='x1']")
        text = page.inner_text(".ffv-panel")
        assert IMG in text and "javascript:alert(2)" in text and SCRIPT in text
        # S1's url is javascript:, so "[S1] ..." stays text: no link at all
        assert page.eval_on_selector_all(".finflow-view a", "as => as.length") == 0
        page.click(".ffv-legs button[data-commitment='x2']")       # the deal's other leg
        hrefs = page.eval_on_selector_all(".finflow-view a", "as => as.map(a => a.href)")
        assert hrefs == ["https://ok.example/x"]
        assert SCRIPT in page.inner_text(".ffv-panel")
        assert page.evaluate("document.querySelectorAll('img').length") == 0
        assert page.evaluate("document.querySelectorAll('script').length") == 4
        assert rep.dialogs == [] and rep.errors == [] and rep.blocked == []
    finally:
        rep.page.close()


def test_page_works_on_a_generated_network(browser, tmp_path):
    from browser import open_view
    r = CliRunner().invoke(main, ["generate", "400", "3000", "-o", str(tmp_path / "g")])
    assert r.exit_code == 0, r.output
    out = tmp_path / "g.html"
    r = CliRunner().invoke(main, ["view", str(tmp_path / "g"), "-o", str(out), "--max-nodes",
                                  "150", "--max-edges", "10000"])
    assert r.exit_code == 0, r.output
    gen = finflow.load(tmp_path / "g")
    rep = open_view(browser, out, timeout_ms=60_000)
    try:
        page = rep.page
        drawn = set(page.evaluate("() => nodes.getIds()"))
        assert len(drawn) <= 150
        sel = gen.select(status=DEFAULT).commitments
        inside = sel[sel["payer"].isin(drawn) & sel["payee"].isin(drawn)]
        assert set(shown(page)["ids"]) == set(inside["id"])
        page.uncheck(".ffv-legend input[data-filter='kinds'][value='loan']")
        assert set(shown(page)["ids"]) == set(inside.loc[inside["kind"] != "loan", "id"])
        assert rep.errors == [] and rep.console_errors == [] and rep.blocked == []
    finally:
        rep.page.close()


def test_cli_png_writes_a_picture_and_refuses_to_overwrite(tmp_path, monkeypatch):
    from browser import chromium_path, unavailable
    if chromium_path() is None:
        unavailable("no Chromium")
    monkeypatch.chdir(tmp_path)
    png = tmp_path / "net.png"
    r = CliRunner().invoke(main, ["view", "--png", str(png), "--status", "closed"])
    assert r.exit_code == 0, r.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not Path("network.html").exists()            # no HTML written without -o
    first = png.read_bytes()
    r = CliRunner().invoke(main, ["view", "--png", str(png)])
    assert r.exit_code == 2 and "exists" in r.output and png.read_bytes() == first
    # with an explicit -o both files are written
    r = CliRunner().invoke(main, ["view", "-o", "v.html", "--png", "v.png"])
    assert r.exit_code == 0, r.output
    assert Path("v.html").stat().st_size > 400_000
    assert Path("v.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    import finflow.view_explore as ve
    monkeypatch.setattr(ve, "find_chromium", lambda: None)
    r = CliRunner().invoke(main, ["view", "--png", str(tmp_path / "other.png")])
    assert r.exit_code == 2 and "no Chromium" in r.output and "Traceback" not in r.output


# ---- the issue's acceptance path, in the report -------------------------------------------------
def test_done_when_reader_walks_the_report_offline(browser, tmp_path, net):
    """Issue 16, "Done when": open finflow-report/index.html offline, untick non-binding,
    drag the date back to 2025-10, search Oracle, see its deals with clickable sources,
    pick the Nvidia-OpenAI-Oracle loop, play OpenAI's default round by round, and send
    a link that reopens exactly that view."""
    from browser import open_view
    out = tmp_path / "finflow-report"
    r = CliRunner().invoke(main, ["report", "-o", str(out)])
    assert r.exit_code == 0, r.output
    rep = open_view(browser, out / "index.html", viewport=(1500, 1000))
    page = rep.page
    try:
        page.uncheck("#report-network input[data-filter='groups'][value='nonbinding']")
        binding = ["closed", "committed"]
        assert_matches(page, expected(net, statuses=binding))
        # the slider, dragged back to October 2025 (arrow keys from 2026-06-11 back to
        # 2025-10-01 are 253 days)
        page.focus("#report-network .ffv-date")
        page.keyboard.press("End")
        for _ in range(253):
            page.keyboard.press("ArrowLeft")
        assert page.evaluate("() => Object.values(finflowViews)[0].state().date") == "2025-10-01"
        assert_matches(page, expected(net, statuses=binding, as_of="2025-10-01"))
        page.fill("#report-network .ffv-search", "Oracle")
        page.press("#report-network .ffv-search", "Enter")
        panel = page.inner_text("#report-network .ffv-panel")
        assert panel.startswith("Close") and "Oracle" in panel
        sel = net.select(status=binding, as_of="2025-10-01").commitments
        n_out = int((sel["payer"] == "oracle").sum())
        assert f"Commitments out (it pays): {n_out}" in panel
        hrefs = page.eval_on_selector_all("#report-network .ffv-panel a", "as => as.map(a => a.href)")
        assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs)
        buttons = page.eval_on_selector_all("#report-network .ffv-cycles button",
                                            "bs => bs.map(b => b.textContent)")
        k = next(i for i, t in enumerate(buttons)
                 if t.startswith("NVIDIA \u2192 OpenAI Group PBC \u2192 Oracle \u2192 NVIDIA"))
        page.click(f"#report-network .ffv-cycles button[data-cycle='{k}']")
        assert set(page.evaluate("() => Object.keys(Object.values(finflowViews)[0].bright.nodes)")) \
            == {"nvidia", "openai", "oracle"}
        # OpenAI's default (the report's most systemic entity, linear DebtRank), round by round
        res = json.loads(subprocess.run(
            [sys.executable, "-m", "finflow", "contagion", "--default", "openai", "-m",
             "linear-debtrank", "-f", "json"], capture_output=True, text=True, check=True).stdout)
        last = res["rounds"]
        for _ in range(last + 1):
            page.click("#report-network .ffv-prev")
        seen = []
        for step in range(last + 1):
            lines = page.inner_text("#report-network .ffv-rounds").splitlines()
            seen.append(lines[step])
            if step < last:
                page.click("#report-network .ffv-next")
        assert seen[0].startswith("Round 0: OpenAI Group PBC defaults")
        dead = page.evaluate("c => Object.values(finflowViews)[0].nodes.get({filter: n => "
                             "n.color.background === c}).map(n => n.id)", DEFAULTED_COLOR)
        assert set(dead) == set(res["defaulted"])
        # the link reopens exactly this view
        page.click("#report-network .ffv-copy")
        link = page.input_value("#report-network .ffv-link")
        state = page.evaluate("() => Object.values(finflowViews)[0].state()")
        ids = shown(page)["ids"]
        assert rep.errors == [] and rep.console_errors == [] and rep.blocked == []
    finally:
        page.close()
    again = open_view(browser, link, viewport=(1500, 1000))
    try:
        assert again.page.evaluate("() => Object.values(finflowViews)[0].state()") == state
        assert shown(again.page)["ids"] == ids
        assert again.errors == [] and again.blocked == []
    finally:
        again.page.close()


# ---- the page's data, by hand -------------------------------------------------------------------
def test_playback_rounds_by_hand():
    from types import SimpleNamespace
    from finflow.view_explore import playback_data
    # a defaults in round 0 (equity 10), b in round 1 (equity 2), c in round 2 (equity 1);
    # d survives losing half of its 6; x is an external holder that loses 4 (no equity)
    ent = pd.DataFrame({
        "id": ["a", "b", "c", "d", "x"],
        "loss": [10.0, 2.0, 1.0, 3.0, 4.0],
        "relative_loss": [1.0, 1.0, 1.0, 0.5, np.nan],
        "defaulted": [True, True, True, False, False],
        "round": pd.array([0, 1, 2, None, None], dtype="Int64"),
        "role": ["shocked (defaults)", "", "", "", "external"]})
    res = SimpleNamespace(entities=ent, unit="USD bn", rounds=2, defaulted=("a", "b", "c"),
                          shock={"a": 1.0}, model="cascade", total_loss=16.0,
                          external_loss=4.0)
    p = playback_data(res, ["a", "b", "c", "d", "x"])
    assert [s["fell"] for s in p["steps"]] == [["a"], ["b"], ["c"]]
    # equity lost so far by the defaulted: 10, 10 + 2, 10 + 2 + 1
    assert [s["lost"] for s in p["steps"]] == [10.0, 12.0, 13.0]
    assert p["entities"]["x"]["relative_loss"] is None and p["entities"]["x"]["loss"] == 4.0
    assert p["entities"]["x"]["loss_text"].startswith("4.00")
    assert p["defaulted"] == ["a", "b", "c"] and p["external_loss"] == 4.0


def test_panel_data_shows_issue15_columns_when_present_and_sources_safely():
    from finflow.view import view_data
    ents = pd.DataFrame({"id": ["f", "m", "l"], "type": ["investor", "market", "ai_lab"],
                         "external": ["true", "", ""], "holder_class": ["credit_funds", "", ""],
                         "equity": [np.nan, np.nan, 5.0]})
    coms = pd.DataFrame({"id": ["k1", "k2"], "payer": ["f", "m"], "payee": ["l", "l"],
                         "kind": ["loan", "bond"], "amount": [2.0, 1.0],
                         "source": ["[S1] ok; [S2] bad", "http://plain.example/y"]})
    net = finflow.Network.from_frames(ents, coms, name="t", sources=[
        {"id": "S1", "url": "https://good.example/1"}, {"id": "S2", "url": "data:text/html,x"}])
    ex = view_data(net)["explore"]
    e = ex["entities"]
    assert e["f"]["external"] is True and e["f"]["holder_class"] == "credit_funds"
    assert e["m"]["external"] is True             # type market: external by default (issue 15)
    # an empty holder_class is the default of the type (network format v2: ai_lab -> labs)
    assert e["l"]["external"] is False and e["l"]["holder_class"] == "labs"
    assert ex["commitments"]["k1"]["sources"] == [["[S1] ok", "https://good.example/1"],
                                                  ["[S2] bad", None]]
    assert ex["commitments"]["k2"]["sources"] == [["http://plain.example/y",
                                                   "http://plain.example/y"]]
    # without the columns: only type market is external, classes follow the types
    plain = view_data(finflow.Network.from_frames(ents[["id", "type"]], coms))["explore"]
    assert plain["entities"]["f"]["external"] is False
    assert plain["entities"]["m"]["external"] is True
    assert plain["entities"]["f"]["holder_class"] == "equity_investors"


def test_clicking_an_entity_on_the_canvas_focuses_it(bundled, net):
    page = bundled.page
    reset(page)
    box = page.evaluate("""() => {
        const p = network.getPositions(['nvidia'])['nvidia'];
        const d = network.canvasToDOM(p);
        const r = document.querySelector('.ffv-canvas').getBoundingClientRect();
        return {x: r.left + d.x, y: r.top + d.y};
    }""")
    page.mouse.click(box["x"], box["y"])
    assert page.evaluate("() => Object.values(finflowViews)[0].state().focus") == "nvidia"
    sel = net.select(status=DEFAULT).commitments
    mine = sel[(sel["payer"] == "nvidia") | (sel["payee"] == "nvidia")]
    bright = page.evaluate("() => Object.keys(Object.values(finflowViews)[0].bright.nodes)")
    assert set(bright) == set(mine["payer"]) | set(mine["payee"])
    assert "NVIDIA" in page.inner_text(".ffv-panel")
    page.keyboard.press("Escape")
    assert page.evaluate("() => Object.values(finflowViews)[0].state().focus") is None
