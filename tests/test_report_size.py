"""``finflow report`` stays small and says what it leaves out (issue 20; issue 19 for a
network without equity).

- results.json holds summaries and tables of up to 1,000 rows; a longer table is a
  Parquet file beside it, named in its place with its rows and columns, and the file
  holds exactly the library's table;
- every analysis the report leaves out (a size limit, missing data, an option) is named
  with the option or the data that would run it;
- a network without any equity figure gets a report (exit 0) with every analysis that
  does not need equity.
"""
from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import finflow
from finflow.analysis.circularity import circular_financing
from finflow.cli import main
from finflow.io.output import MANIFEST
from finflow.report import JSON_ROW_CAP, build_report, write_report
from finflow.report_files import frames_equal
from finflow.results import jsonable


def cli(*args: str, code: int = 0):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    return r


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)


def at(doc: dict, dotted: str, sections: list[str]):
    """The value at a large_tables path ("contagion.e1.results.cascade.entities"): the
    section, then keys (a key may itself hold dots, as a stress scenario's name)."""
    section = next(s for s in sections if dotted == s or dotted.startswith(s + "."))
    value, rest = doc[section], dotted[len(section) + 1:]
    while rest:
        key = next(k for k in sorted(value, key=len, reverse=True)
                   if rest == k or rest.startswith(k + "."))
        value, rest = value[key], rest[len(key) + 1:]
    return value


# ---- a generated network of moderate size, the default row cap ---------------------------
@pytest.fixture(scope="module")
def moderate(tmp_path_factory):
    # 1,500 entities: every per-entity table is longer than the 1,000-row cap
    net = finflow.generate(1500, 15000, seed=2)
    rep = build_report(net)
    out = tmp_path_factory.mktemp("moderate")
    written = write_report(rep, out)
    return net, rep, out, written


def test_results_json_is_small_and_names_its_long_tables(moderate):
    net, rep, out, written = moderate
    size = (out / "results.json").stat().st_size
    # before issue 20 results.json held every row (114 MB at 5,000 entities) and then
    # its first 1,000 rows of each table (11 MB at 5,000); now summaries and short tables
    assert size < 1_000_000, size
    folder = sum(p.stat().st_size for p in out.iterdir())
    assert folder < 15_000_000, folder          # issue 20's bound for 5,000 entities
    data = json.loads((out / "results.json").read_text())
    big = data["large_tables"]
    assert big and all(t["rows"] > JSON_ROW_CAP for t in big)
    names = {p.name for p in written}
    manifest = set(json.loads((out / MANIFEST).read_text())["writers"]["report"])
    for t in big:
        # in the section, the reference stands where the rows were
        ref = at(data, t["table"], list(rep.sections()))
        assert ref == {k: t[k] for k in ("file", "format", "rows", "columns")}
        assert t["file"] in names and t["file"] in manifest
        assert t["format"] == "parquet" and t["file"].endswith(".parquet")
        frame = read_table(out / t["file"])
        assert len(frame) == t["rows"] and list(frame.columns) == t["columns"]
    # no list longer than the cap is left in the document
    def longest(v):
        if isinstance(v, dict):
            return max([longest(x) for x in v.values()], default=0)
        return len(v) if isinstance(v, list) else 0
    assert longest({k: v for k, v in data.items() if k != "large_tables"}) <= JSON_ROW_CAP


def test_referenced_files_hold_the_librarys_tables(moderate):
    net, rep, out, _ = moderate
    data = json.loads((out / "results.json").read_text())
    by = {t["table"]: t for t in data["large_tables"]}
    # the concentration of every entity, recomputed here: the file's rows are its rows
    conc = finflow.concentration(net).to_dict()["entities"]
    got = read_table(out / by["concentration.entities"]["file"])
    assert frames_equal(got, pd.DataFrame.from_records(conc))
    # the Hodge pairs of the cycles section, recomputed independently of the report
    pairs = jsonable(circular_financing(net).to_dict())["hodge"]["pairs"]
    got = read_table(out / by["cycles.hodge.pairs"]["file"])
    assert len(got) == len(pairs) > JSON_ROW_CAP
    assert frames_equal(got, pd.DataFrame.from_records(pairs))
    # a circulation (an invariant of the file, not a recomputation): on each edge it
    # never exceeds the amount, and at each entity what goes out equals what comes in
    edges = read_table(out / by["cycles.circulation.edges"]["file"])
    assert (edges["circulation"] <= edges["amount"] + 1e-9).all()
    out_c = edges.groupby("payer")["circulation"].sum()
    in_c = edges.groupby("payee")["circulation"].sum()
    both = pd.concat([out_c, in_c], axis=1).fillna(0.0)
    assert np.allclose(both.iloc[:, 0], both.iloc[:, 1], atol=1e-6)
    # a report table longer than the cap is a Parquet file equal to the result's table,
    # and the page shows its first rows and links it
    rank = rep.rank.tables()["entities_by_impact"]
    got = pd.read_parquet(out / "rank-entities_by_impact.parquet")
    pd.testing.assert_frame_equal(got, rank.reset_index(drop=True), check_dtype=False)
    html = (out / "index.html").read_text()
    assert 'href="rank-entities_by_impact.parquet"' in html
    assert f"First 30 of {len(rank):,} rows" in html
    md = (out / "report.md").read_text()
    assert "[`rank-entities_by_impact.parquet`](rank-entities_by_impact.parquet)" in md


# ---- the bundled network with a low cap: reproducible files, --force removes stale ones ---
def test_parquet_files_are_byte_reproducible_and_force_removes_stale_ones(tmp_path):
    net = finflow.load_default()
    rep = build_report(net)
    a, b = tmp_path / "a", tmp_path / "b"
    wa = write_report(rep, a, json_row_cap=10)
    write_report(rep, b, json_row_cap=10)
    parquet = sorted(p.name for p in wa if p.suffix == ".parquet")
    assert parquet and "rank-entities_by_impact.parquet" in parquet
    for name in parquet + ["results.json"]:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    # the reference in results.json: the ranking's rows, n of them, in the file
    data = json.loads((a / "results.json").read_text())
    ref = data["rank"]["entities"]
    assert ref["rows"] == net.n and ref["format"] == "parquet"
    full = pd.read_parquet(a / ref["file"])
    assert list(full["id"]) == [e["id"] for e in rep.rank.to_dict()["entities"]]
    # --force with the default cap: the Parquet files of the first report are stale
    (a / "notes.txt").write_text("mine")
    again = write_report(rep, a, force=True)
    present = {p.name for p in a.iterdir()}
    assert not [n for n in present if n.endswith(".parquet")]
    assert present == {p.name for p in again} | {MANIFEST, "notes.txt"}
    manifest = json.loads((a / MANIFEST).read_text())["writers"]["report"]
    assert set(manifest) == {p.name for p in again}


def test_table_format_csv_writes_every_table_as_csv(tmp_path):
    rep = build_report(finflow.load_default())
    written = write_report(rep, tmp_path / "r", json_row_cap=10, table_format="csv")
    assert not [p for p in written if p.suffix == ".parquet"]
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    ref = data["rank"]["entities"]
    assert ref["format"] == "csv" and ref["file"].endswith(".csv")
    assert len(pd.read_csv(tmp_path / "r" / ref["file"])) == ref["rows"]


# ---- skipped analyses ---------------------------------------------------------------------
def entities_on_cycles(net) -> int:
    """Entities in a strongly connected component of two or more (networkx, not
    finflow's own code): what the balanced-flow-forwarding limit counts."""
    F = net.flow_graph()
    return sum(len(c) for c in nx.strongly_connected_components(F) if len(c) > 1)


def biggest_component(net) -> int:
    return max(len(c) for c in nx.strongly_connected_components(net.flow_graph()))


def test_a_size_limit_names_the_option_and_the_value_that_runs_it(tmp_path):
    net = finflow.load_default()
    on = entities_on_cycles(net)
    big = biggest_component(net)
    assert on > 2 and big > 2
    out = tmp_path / "r"
    r = cli("report", "-o", out, "--bff-max", 2, "--finn-max", 2)
    data = json.loads((out / "results.json").read_text())
    by = {(s["section"], s["analysis"].split(" (")[0]): s for s in data["skipped"]}
    bff = by[("cycles", "Balanced flow forwarding")]
    finn = by[("cycles", "Finn cycling index")]
    assert bff["to_run"].startswith(f"--bff-max {on} ")
    assert finn["to_run"].startswith(f"--finn-max {big} ")
    assert f"{on:,} entities" in bff["reason"] and "limit of 2" in bff["reason"]
    assert data["cycles"]["decomposition"] is None and data["cycles"]["finn"] is None
    # named in the three documents and on the terminal
    sentence = ("Finn cycling index skipped: " + finn["reason"].rstrip(". ") + ". To run it: "
                + finn["to_run"] + ".")
    assert sentence in (out / "index.html").read_text().replace("&#x27;", "'")
    assert sentence in r.output
    assert "Finn cycling index skipped" in (out / "report.md").read_text()
    # the value it names runs it
    out2 = tmp_path / "r2"
    cli("report", "-o", out2, "--bff-max", on, "--finn-max", big)
    data = json.loads((out2 / "results.json").read_text())
    assert not [s for s in data["skipped"] if s["section"] == "cycles"]
    assert data["cycles"]["finn"] is not None and data["cycles"]["decomposition"] is not None


def test_options_that_leave_sections_out_are_named(tmp_path):
    out = tmp_path / "r"
    cli("report", "debtrank_3bank", "-o", out, "--top-systemic", 0)
    data = json.loads((out / "results.json").read_text())
    skipped = {s["section"]: s for s in data["skipped"]}
    assert skipped["contagion"]["to_run"].startswith("--top-systemic N")
    assert skipped["uncertainty"]["to_run"].startswith("--draws N")
    assert data["contagion"] == {}
    # with draws the uncertainty is no longer left out
    cli("report", "debtrank_3bank", "-o", tmp_path / "d", "--draws", 20)
    data = json.loads((tmp_path / "d" / "results.json").read_text())
    assert "uncertainty" not in {s["section"] for s in data["skipped"]}


# ---- a network without equity --------------------------------------------------------------
def no_equity_network(folder: Path) -> Path:
    """Two loops sharing the link b -> c: a -> b -> c -> a (bottleneck 5) and
    b -> c -> d -> b (bottleneck 2); b -> c carries 8 >= 5 + 2, so both go round in full:
    maximum circulation 5 * 3 + 2 * 3 = 21 of 28 committed (share 0.75), by hand."""
    folder.mkdir()
    (folder / "entities.csv").write_text("id\na\nb\nc\nd\n")
    (folder / "commitments.csv").write_text(
        "payer,payee,kind,amount\na,b,loan,10\nb,c,purchase,8\nc,a,equity,5\n"
        "c,d,loan,3\nd,b,compute,2\n")
    return folder


def test_a_network_without_equity_gets_a_report(tmp_path):
    net = no_equity_network(tmp_path / "net")
    out = tmp_path / "r"
    r = cli("report", net, "-o", out, code=0)
    data = json.loads((out / "results.json").read_text())
    # what does not need equity is there, with the hand-computed circulation
    for section in ("overview", "cycles", "concentration", "timeline"):
        assert section in data
    assert data["cycles"]["max_circulation"] == pytest.approx(21.0)
    assert data["cycles"]["max_circulation_share"] == pytest.approx(0.75)
    assert data["cycles"]["hodge"] is not None
    # what needs it is left out, named with the data that would fill it
    assert "rank" not in data and data["contagion"] == {}
    skipped = {s["section"]: s for s in data["skipped"]}
    for section in ("rank", "contagion"):
        assert "equity" in skipped[section]["reason"]
        assert "add an `equity` column to entities.csv" in skipped[section]["to_run"]
    # the stress test needs a first year: this network has no as-of date
    assert "as_of" in skipped["stress"]["to_run"]
    html = (out / "index.html").read_text()
    md = (out / "report.md").read_text()
    assert "What this report leaves out" in html and "What this report leaves out" in md
    assert "Systemic ranking skipped: no entity has a book equity figure" in html
    assert "Systemic ranking skipped: no entity has a book equity figure" in md
    assert "add an \\`equity\\` column to entities.csv" in md       # Markdown-escaped
    assert "left out: Systemic ranking skipped" in r.output


def test_no_equity_with_draws_runs_the_bands_without_contagion(tmp_path):
    net = no_equity_network(tmp_path / "net")
    cli("report", net, "-o", tmp_path / "r", "--draws", 20, code=0)
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    assert "uncertainty" in data
    unc = [s for s in data["skipped"] if s["section"] == "uncertainty"]
    assert unc and "equity" in unc[0]["to_run"]


def test_partial_equity_keeps_the_missing_equity_rule(tmp_path):
    net = no_equity_network(tmp_path / "net")
    (net / "entities.csv").write_text("id,equity\na,5\nb,\nc,4\nd,\n")
    r = cli("report", net, "-o", tmp_path / "r", code=2)
    assert "lack equity" in r.output and "b, d" in r.output
    cli("report", net, "-o", tmp_path / "s", "--missing-equity", "skip", code=0)
    data = json.loads((tmp_path / "s" / "results.json").read_text())
    assert "rank" in data and not [s for s in data["skipped"] if s["section"] == "rank"]
