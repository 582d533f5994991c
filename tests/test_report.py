"""``finflow report``: one source for every number, the no-overwrite rule, and a real
browser opening the page offline."""
from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

import finflow
from finflow.analysis.circularity import circular_financing
from finflow.analysis.concentration import concentration
from finflow.analysis.ranking import systemic_ranking
from finflow.cli import main
from finflow.report import REPORT_FILES, build_report, write_report

from browser import launch, open_view


@pytest.fixture(scope="module")
def bundled_report(tmp_path_factory):
    net = finflow.load_default()
    rep = build_report(net)
    out = tmp_path_factory.mktemp("report")
    written = write_report(rep, out, force=True)
    return net, rep, out, written


def page_text(path: Path) -> str:
    """The visible text of a page, tags stripped and entities decoded."""
    html = path.read_text(encoding="utf-8")
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_every_file_is_written(bundled_report):
    _, rep, out, written = bundled_report
    names = {p.name for p in written}
    assert set(REPORT_FILES) <= names
    assert {"cycles-heaviest_cycles.csv", "concentration-entities.csv",
            "rank-entities_by_impact.csv"} <= names
    assert all(p.exists() and p.stat().st_size > 0 for p in written)
    data = json.loads((out / "results.json").read_text())
    for section in ("cycles", "concentration", "contagion", "rank", "timeline", "findings"):
        assert section in data


def test_numbers_are_the_librarys(bundled_report):
    net, rep, out, _ = bundled_report
    data = json.loads((out / "results.json").read_text())
    # the results are the library's own, computed independently here
    cyc = circular_financing(net)
    assert data["cycles"]["max_circulation"] == pytest.approx(cyc.circulation.value)
    assert data["cycles"]["cycles"][0]["nodes"] == list(cyc.cycles[0].nodes)
    conc = concentration(net).entities.set_index("id")
    openai = next(e for e in data["concentration"]["entities"] if e["id"] == "openai")
    assert openai["coverage"] == pytest.approx(conc.loc["openai", "coverage"])
    rank = systemic_ranking(net).entities
    assert data["rank"]["entities"][0]["id"] == rank.iloc[0]["id"]
    assert data["rank"]["entities"][0]["impact"] == pytest.approx(rank.iloc[0]["impact"])
    # one source: each finding stands word for word in the three documents
    html = page_text(out / "index.html")
    md = (out / "report.md").read_text()
    assert data["findings"] == rep.findings and rep.findings
    for finding in rep.findings:
        assert finding in html
        assert finding in md
    # and the findings carry the library's numbers: annual commitments against annual
    # revenue (issue 17: not the multi-year total against one year's revenue)
    assert f"{conc.loc['openai', 'annual_coverage']:.1f} times its annual revenue" in \
        " ".join(rep.findings)
    # a CSV table equals its result table
    csv = (out / "rank-entities_by_impact.csv").read_text().splitlines()
    assert csv[1].split(",")[1] == rank.iloc[0]["id"]


def test_the_page_loads_nothing_from_the_network(bundled_report):
    _, _, out, _ = bundled_report
    html = (out / "index.html").read_text()
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']""", html)
    assert not [r for r in refs if re.match(r"(?i)(https?:)?//", r)]
    assert "<link" not in html


def test_page_renders_offline_in_chromium(bundled_report):
    _, rep, out, _ = bundled_report
    pw, browser = launch()
    try:
        view = open_view(browser, out / "index.html")
        page = view.page
        assert view.blocked == [] and view.errors == [] and view.console_errors == []
        assert page.locator("canvas").count() >= 1           # the embedded network drew
        assert page.locator("svg.chart").count() >= 2          # the charts are there
        first = page.locator("ol.findings li").first.inner_text()
        assert first == rep.findings[0]
        page.close()
    finally:
        browser.close()
        pw.stop()


def test_no_overwrite_without_force_and_force_keeps_other_files(tmp_path):
    runner = CliRunner()
    out = tmp_path / "rep"
    out.mkdir()
    mine = out / "notes.txt"
    mine.write_text("my own notes")
    r = runner.invoke(main, ["report", "debtrank_3bank", "-o", str(out)])
    assert r.exit_code == 2 and "not empty" in r.output and "Traceback" not in r.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    r = runner.invoke(main, ["report", "debtrank_3bank", "-o", str(out), "--force"])
    assert r.exit_code == 0, r.output
    assert mine.read_text() == "my own notes"
    assert (out / "index.html").exists()
    lines = r.output.strip().splitlines()
    assert lines[-1] == f"Report written to {out}/ (open {out / 'index.html'})"
    # an existing report file is replaced, not appended to
    (out / "report.md").write_text("stale")
    r = runner.invoke(main, ["report", "debtrank_3bank", "-o", str(out), "--force"])
    assert r.exit_code == 0 and (out / "report.md").read_text().startswith("# DebtRank")


def test_report_on_a_textbook_network_states_its_findings(tmp_path):
    r = CliRunner().invoke(main, ["report", "debtrank_3bank", "-o", str(tmp_path / "r")])
    assert r.exit_code == 0, r.output
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    # debtrank_3bank: a's default takes b and c with it (NetworkRiskMeasures example)
    top = data["rank"]["entities"][0]
    assert top["id"] == "a" and top["defaults_caused"] == 2
    # findings name entities by name (issue 17), not by id
    name = finflow.load("debtrank_3bank").entities.set_index("id").loc["a", "name"]
    assert any(f"if {name} alone defaults" in f for f in data["findings"])


def test_draws_add_reproducible_bands(tmp_path):
    runner = CliRunner()
    for name in ("a", "b"):
        r = runner.invoke(main, ["report", "-o", str(tmp_path / name), "--draws", "60",
                                 "--seed", "7"])
        assert r.exit_code == 0, r.output
    a = json.loads((tmp_path / "a" / "results.json").read_text())
    b = json.loads((tmp_path / "b" / "results.json").read_text())
    assert a["uncertainty"]["figures"] == b["uncertainty"]["figures"]   # same seed
    circ = next(f for f in a["uncertainty"]["figures"] if f["name"] == "max_circulation_share")
    # the point estimate is the cycles section's own circularity
    assert circ["point"] == pytest.approx(a["cycles"]["max_circulation_share"])
    assert circ["p05"] <= circ["median"] <= circ["p95"]
    sentence = next(f for f in a["findings"] if f.startswith("How sure"))
    assert f"{circ['median']:.1%}" in sentence
    assert sentence in page_text(tmp_path / "a" / "index.html")
    assert (tmp_path / "a" / "uncertainty-figures.csv").exists()
    # without --draws there is no uncertainty section
    r = runner.invoke(main, ["report", "debtrank_3bank", "-o", str(tmp_path / "c")])
    assert "uncertainty" not in json.loads((tmp_path / "c" / "results.json").read_text())
