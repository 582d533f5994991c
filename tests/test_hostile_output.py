"""Hostile places (issue 21, output half): every writer goes through one output layer
that never writes through a symbolic link or outside its folder, writes atomically,
never overwrites a user's file without --force and with --force removes only what
finflow wrote before; data text is escaped at every sink (Markdown, CSV, terminal).

Every case is built on the fly in ``tmp_path``. Each CLI case checks: exit code 0 or 2,
no traceback, the offending path named in the message, and a sentinel tree outside the
output folder hashed before and after (unchanged).
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import re
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from finflow.cli import main
from finflow.io.output import MANIFEST, FileNames, OutputError, OutputFolder, write_file
from finflow.render import csv_safe_frame, md_text, terminal_text
from finflow.report import build_report, write_report
from helpers import make_network


# ---- helpers --------------------------------------------------------------------------------
def tree_hash(root: Path) -> str:
    """SHA-256 over every path, symlink target and file content under ``root``."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(root)):
        dirnames.sort()
        for name in sorted(dirnames + filenames):
            p = Path(dirpath) / name
            h.update(str(p.relative_to(root)).encode())
            if p.is_symlink():
                h.update(b"->" + os.readlink(p).encode())
            elif p.is_file():
                h.update(p.read_bytes())
    return h.hexdigest()


@pytest.fixture
def sentinel(tmp_path: Path) -> Path:
    """A tree outside every output folder, holding a file a symlink will aim at."""
    root = tmp_path / "outside"
    (root / "deep").mkdir(parents=True)
    (root / "victim.md").write_text("the user's precious file\n")
    (root / "deep" / "x.csv").write_text("a,b\n1,2\n")
    return root


def cli(*args: str, code: int | tuple[int, ...] = (0, 2)):
    # color=True: click strips ANSI styles itself when the output is no terminal, so
    # without it an escape sequence would vanish here but reach a real terminal
    r = CliRunner().invoke(main, list(args), color=True)
    codes = code if isinstance(code, tuple) else (code,)
    assert r.exit_code in codes, r.output
    assert "Traceback" not in r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    return r


def hostile_network(folder: Path) -> Path:
    """A network folder whose text is hostile: HTML in an id and a name, a formula in a
    name, an ANSI escape in a third, a javascript: source, a negative equity figure."""
    folder.mkdir()
    a = "<script>alert(1)</script>"       # ids are free text: this one lands in findings
    pd.DataFrame({
        "id": [a, "bank_b", "bank_c"],
        "name": ["<script>alert(1)</script>", '=HYPERLINK("http://evil.example","x")',
                 "\x1b[31mRED\x1b[0m Bank"],
        "type": ["lender", "lender", "lender"],
        "equity": [10.0, -5.0, 4.0],
    }).to_csv(folder / "entities.csv", index=False)
    pd.DataFrame({
        "id": ["c1", "c2", "c3"], "payer": [a, "bank_b", "bank_c"],
        "payee": ["bank_b", "bank_c", a], "kind": ["loan"] * 3,
        "amount": [6.0, 3.0, 2.0], "status": ["closed"] * 3,
        "note": ["[click](javascript:alert(1))", "@SUM(1+1)", "-2+3"],
    }).to_csv(folder / "commitments.csv", index=False)
    (folder / "network.yaml").write_text(yaml.safe_dump({
        "name": "<img src=x onerror=alert(1)> net", "as_of": "2026-01-01",
        "sources": [{"id": "s1", "title": "[x](javascript:alert(1))",
                     "url": "javascript:alert(1)"}]}))
    return folder


# ---- files written where they should not be -------------------------------------------------
def test_report_force_refuses_a_symlink_inside_the_folder(tmp_path, sentinel):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "report.md").symlink_to(sentinel / "victim.md")
    before = tree_hash(sentinel)
    r = cli("report", "debtrank_3bank", "-o", str(out), "--force", code=2)
    assert str(out / "report.md") in r.output and "symbolic link" in r.output
    assert tree_hash(sentinel) == before
    assert (out / "report.md").is_symlink()          # the user's link is left alone
    assert not list(out.glob(".finflow-tmp-*"))      # no temporary file left behind


def test_report_force_leaves_unrelated_symlinks_alone(tmp_path, sentinel):
    out = tmp_path / "rep"
    out.mkdir()
    (out / "mylink").symlink_to(sentinel)
    before = tree_hash(sentinel)
    cli("report", "debtrank_3bank", "-o", str(out), "--force", code=0)
    assert tree_hash(sentinel) == before and (out / "mylink").is_symlink()
    assert (out / "report.md").is_file() and not (out / "report.md").is_symlink()


def test_report_folder_that_is_a_symlink_is_refused(tmp_path, sentinel):
    link = tmp_path / "rep"
    link.symlink_to(sentinel)
    before = tree_hash(sentinel)
    r = cli("report", "debtrank_3bank", "-o", str(link), "--force", code=2)
    assert str(link) in r.output and "symbolic link" in r.output
    assert tree_hash(sentinel) == before


def test_view_refuses_a_dangling_symlink(tmp_path, sentinel):
    link = tmp_path / "net.html"
    link.symlink_to(sentinel / "created-by-finflow.html")      # dangling
    before = tree_hash(sentinel)
    for extra in ([], ["--force"]):
        r = cli("view", "debtrank_3bank", "-o", str(link), *extra, code=2)
        assert str(link) in r.output and "dangling" in r.output
    assert not (sentinel / "created-by-finflow.html").exists()
    assert tree_hash(sentinel) == before


def test_view_refuses_a_device(tmp_path):
    # os.replace over /dev/null would delete the device node (as root): refused first
    r = cli("view", "debtrank_3bank", "-o", "/dev/null", "--force", code=2)
    assert "/dev/null" in r.output and "not a regular file" in r.output
    assert Path("/dev/null").exists() and not Path("/dev/null").is_file()


def test_timeline_charts_refuse_a_users_file_without_force(tmp_path, sentinel):
    charts = tmp_path / "charts"
    charts.mkdir()
    mine = charts / "timeline_openai.svg"          # the bundled network's over-committed lab
    mine.write_text("<svg>my own drawing</svg>")
    before = tree_hash(sentinel)
    r = cli("timeline", "--charts", str(charts), "-f", "csv", code=2)
    assert str(mine) in r.output and "--force" in r.output
    assert mine.read_text() == "<svg>my own drawing</svg>"
    # finflow's own charts of a first run are replaced by a second run without --force
    cli("timeline", "--charts", str(charts), "-f", "csv", "--force", code=0)
    assert mine.read_text().startswith("<svg") and "my own drawing" not in mine.read_text()
    cli("timeline", "--charts", str(charts), "-f", "csv", code=0)
    assert tree_hash(sentinel) == before


def test_force_removes_the_previous_reports_stale_files_only(tmp_path):
    out = tmp_path / "rep"
    # first report: the bundled network, three contagion runs (openai, anthropic, oracle)
    cli("report", "-o", str(out), code=0)
    first = set(json.loads((out / MANIFEST).read_text())["writers"]["report"])
    (out / "notes.txt").write_text("my notes")
    edited = sorted(n for n in first if n.startswith("contagion-"))[0]
    (out / edited).write_text("edited by the user")
    # second report, another network: its contagion files have other names
    cli("report", "debtrank_3bank", "-o", str(out), "--force", code=0)
    second = set(json.loads((out / MANIFEST).read_text())["writers"]["report"])
    stale = first - second
    assert stale and all(n.startswith("contagion-") for n in stale)
    present = {p.name for p in out.iterdir()}
    # no stale file survives, except the one the user changed; the user's notes stay
    assert present == second | {MANIFEST, "notes.txt", edited}
    assert (out / "notes.txt").read_text() == "my notes"
    assert (out / edited).read_text() == "edited by the user"


def test_colliding_ids_get_distinct_contagion_files(tmp_path):
    # a ring of loans: each entity lends to the next, so each one's default hurts its lender
    ids = ["a b", "a_b", "北京", "东京", "x" * 300]
    edges = [(ids[k], ids[(k + 1) % 5], "loan", 10.0 + k) for k in range(5)]
    net = make_network(edges, equity={i: 5.0 for i in ids})
    rep = build_report(net, top_systemic=5)
    assert sorted(rep.contagion) == sorted(ids)
    written = write_report(rep, tmp_path / "r")
    files = sorted(p for p in written if p.name.startswith("contagion-")
                   and p.name.endswith("-entities.csv"))
    assert len(files) == 5                                 # one per id, none overwritten
    for p in files:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", p.name) and len(p.name.encode()) <= 255
    # the ring is not symmetric (amounts 10..14), so each shock's table differs
    assert len({p.read_bytes() for p in files}) == 5
    assert (tmp_path / "r" / "contagion-a_b-entities.csv").exists()   # the plain id as is


def _under_a_file(t: Path) -> Path:
    (t / "afile").write_text("x")
    return t / "afile" / "sub"


@pytest.mark.parametrize("make, words", [
    (_under_a_file, "a part of the path is a file"),
    (lambda t: Path("/proc/finflow-test-output"), "cannot create the folder"),
])
def test_os_errors_become_clear_messages(tmp_path, sentinel, make, words):
    target = make(tmp_path)
    before = tree_hash(sentinel)
    for args in (["report", "debtrank_3bank", "-o", str(target)],
                 ["timeline", "debtrank_3bank", "--charts", str(target), "-f", "csv"],
                 ["generate", "10", "10", "-o", str(target)]):
        r = cli(*args, code=2)
        assert str(target) in r.output and words in r.output, r.output
        assert "overview" not in r.output          # refused before the work, not after
    r = cli("view", "debtrank_3bank", "-o", str(target / "v.html"), code=2)
    assert str(target) in r.output
    assert tree_hash(sentinel) == before


@pytest.mark.parametrize("err, words", [(errno.ENOSPC, "no space left"),
                                        (errno.EROFS, "read-only"),
                                        (errno.EACCES, "permission denied")])
def test_write_failures_are_clear_and_leave_no_partial_file(tmp_path, monkeypatch, err, words):
    # root ignores file modes, so the failing system call is simulated
    def fail(*args, **kwargs):
        raise OSError(err, os.strerror(err))
    monkeypatch.setattr("finflow.io.output.os.fsync", fail)
    out = tmp_path / "rep"
    r = cli("report", "debtrank_3bank", "-o", str(out), code=2)
    assert words in r.output and str(out / "index.html") in r.output
    assert not list(out.glob(".finflow-tmp-*")) and not (out / "index.html").exists()
    r = cli("view", "debtrank_3bank", "-o", str(tmp_path / "v.html"), code=2)
    assert words in r.output and not (tmp_path / "v.html").exists()
    assert not list(tmp_path.glob(".finflow-tmp-*"))


def test_save_refuses_symlinks_and_writes_atomically(tmp_path, sentinel, triangle):
    before = tree_hash(sentinel)
    link = tmp_path / "net.json"
    link.symlink_to(sentinel / "victim.md")
    with pytest.raises(OutputError, match="symbolic link"):
        triangle.save(link, overwrite=True)
    folder = tmp_path / "netdir"
    folder.mkdir()
    (folder / "entities.csv").symlink_to(sentinel / "deep" / "x.csv")
    with pytest.raises(OutputError, match="symbolic link"):
        triangle.save(folder, overwrite=True)
    assert tree_hash(sentinel) == before


def test_folder_names_must_be_plain(tmp_path):
    folder = OutputFolder(tmp_path / "o")
    for bad in ("../escape.txt", "a/b.txt", "", "..", MANIFEST):
        with pytest.raises(OutputError):
            folder.write_text(bad, "x")
    assert not (tmp_path / "escape.txt").exists()
    write_file(tmp_path / "o" / "ok.txt", "fine")
    with pytest.raises(OutputError, match="exists"):
        write_file(tmp_path / "o" / "ok.txt", "again")


# ---- file names ------------------------------------------------------------------------------
def test_file_names_are_readable_when_they_can_be():
    names = FileNames(prefix="timeline_", suffix=".svg")
    assert names.name("openai") == "timeline_openai.svg"            # the id itself
    assert names.name("a b") != names.name("a_b") == "timeline_a_b.svg"
    assert names.name("a b").startswith("timeline_a_b-")            # readable slug + hash
    assert names.name("北京") != names.name("东京")
    assert names.name("OpenAI") != names.name("openai")             # case-insensitive FS
    bare = FileNames()
    assert bare.name("con") != "con" and bare.name("con").startswith("con-")  # DOS device
    assert len(names.name("y" * 300).encode()) <= 255


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=400), min_size=1, max_size=30, unique=True))
def test_file_names_are_injective_and_safe(ids):
    names = FileNames(prefix="contagion-", suffix="-entities.csv")
    got = [names.name(i) for i in ids]
    assert len({g.casefold() for g in got}) == len(ids)            # injective, even ignoring case
    for g in got:
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", g) and len(g.encode()) <= 255
        assert ".." not in g and "/" not in g
    assert [names.name(i) for i in ids] == got                     # stable


# ---- data text executed elsewhere ------------------------------------------------------------
def test_report_md_escapes_html_and_javascript_links(tmp_path):
    net = hostile_network(tmp_path / "net")
    out = tmp_path / "rep"
    cli("report", str(net), "-o", str(out), "--missing-equity", "skip", code=0)
    md = (out / "report.md").read_text()
    assert "<script>" not in md and "<img" not in md
    assert "&lt;script>alert(1)&lt;/script>" in md           # shown, not run
    assert "&lt;img src=x onerror=alert(1)> net" in md
    # never a link target: no unescaped "](" before javascript:, no autolink
    assert not re.search(r"(?<!\\)\]\(javascript:", md) and "<javascript:" not in md
    assert "`javascript:alert(1)`" in md                           # the source url as code
    assert "\\[x\\](javascript:alert(1))" in md                     # a title: text, no link
    assert "\x1b" not in md
    html = (out / "index.html").read_text()
    assert "<script>alert(1)" not in html


def test_report_csvs_neutralise_formulas_but_not_numbers(tmp_path):
    net = hostile_network(tmp_path / "net")
    out = tmp_path / "rep"
    cli("report", str(net), "-o", str(out), "--missing-equity", "skip", code=0)
    rows = list(pd.read_csv(out / "overview-entities_by_throughput.csv", dtype=str)
                .itertuples(index=False))
    by_id = {r.id: r for r in rows}
    assert by_id["bank_b"].name == '\'=HYPERLINK("http://evil.example","x")'
    assert by_id["bank_b"].equity == "-5.0"                        # a number stays a number
    text = (out / "overview-entities_by_throughput.csv").read_text()
    assert ",-5.0," in text and "'-5" not in text
    # --csv-raw: exactly as in the data, for machine pipelines
    raw = tmp_path / "raw"
    cli("report", str(net), "-o", str(raw), "--missing-equity", "skip", "--csv-raw", code=0)
    raw_rows = pd.read_csv(raw / "overview-entities_by_throughput.csv", dtype=str)
    assert '=HYPERLINK("http://evil.example","x")' in set(raw_rows["name"])


def test_format_csv_neutralises_and_csv_raw_does_not(tmp_path):
    net = hostile_network(tmp_path / "net")
    safe = pd.read_csv(__import__("io").StringIO(cli("show", str(net), "-f", "csv", "--table", "entities_by_throughput").stdout),
                       dtype=str)
    assert '\'=HYPERLINK("http://evil.example","x")' in set(safe["name"])
    assert "-5.0" in set(safe["equity"])
    raw = pd.read_csv(__import__("io").StringIO(
        cli("show", str(net), "-f", "csv", "--table", "entities_by_throughput", "--csv-raw").stdout), dtype=str)
    assert '=HYPERLINK("http://evil.example","x")' in set(raw["name"])


def test_show_strips_terminal_escapes(tmp_path):
    net = hostile_network(tmp_path / "net")
    for fmt in ("table", "markdown"):
        out = cli("show", str(net), "-f", fmt).output
        assert "\x1b" not in out and "RED Bank" in out
    md = cli("show", str(net), "-f", "markdown").output
    assert "<script>" not in md and "&lt;script>" in md


# ---- the escaping functions against hand-made answers ---------------------------------------
def test_csv_safe_frame_by_hand():
    frame = pd.DataFrame({"text": ["=1+1", "+SUM(A1)", "-A1", "@x", "\tx", "\rx", "-5", "+1e3",
                                   "plain", None],
                          "num": [-1.5, 2, -3, 4, 5, 6, 7, 8, 9, 10]})
    out = csv_safe_frame(frame)
    assert list(out["text"])[:9] == ["'=1+1", "'+SUM(A1)", "'-A1", "'@x", "'\tx", "'\rx",
                                     "-5", "+1e3", "plain"]
    assert pd.isna(out["text"].iloc[9])                              # missing stays missing
    assert out["num"].tolist() == frame["num"].tolist()            # numbers untouched
    assert frame["text"].iloc[0] == "=1+1"                         # the input is not changed


def test_terminal_and_markdown_text_by_hand():
    assert terminal_text("\x1b[31mred\x1b[0m \x1b]0;title\x07x\x9b2Jy\u202ez") == "red xyz"
    assert md_text("a|b <i>&</i> [l](u) `c` \\") == \
        "a\\|b &lt;i>&amp;&lt;/i> \\[l\\](u) \\`c\\` \\\\"


def test_error_messages_carry_no_escape_sequences(tmp_path):
    net = hostile_network(tmp_path / "net")
    r = cli("contagion", str(net), "--default", "\x1b[2Jghost\x07", code=2)
    assert "ghost" in r.output and "\x1b" not in r.output and "\x07" not in r.output


# ---- resources -------------------------------------------------------------------------------
def test_report_says_its_size_first_and_caps_results_json(tmp_path):
    r = cli("report", "-o", str(tmp_path / "r"), code=0)
    lines = r.output.splitlines()
    first = next(i for i, x in enumerate(lines) if "estimate from the network's size" in x)
    assert first < next(i for i, x in enumerate(lines) if x.strip() == "overview")
    said = float(re.search(r"about ([\d.,]+) MB on disk", lines[first]).group(1))
    # the estimate is an order of magnitude: within 3x of what was written
    actual = sum(p.stat().st_size for p in (tmp_path / "r").iterdir()) / 1e6
    assert actual / 3 <= said <= actual * 3, (said, actual)
    # a cap of 10 rows: the bundled network's entity tables are Parquet files beside
    # results.json, which names each in its place (45 in entities.csv, 44 in the default
    # view once xai is merged into spacex: the network's own count)
    net = __import__("finflow").load_default()
    n = net.n
    rep = build_report(net)
    written = write_report(rep, tmp_path / "capped", json_row_cap=10)
    data = json.loads((tmp_path / "capped" / "results.json").read_text())
    ref = data["rank"]["entities"]
    big = {t["table"]: t for t in data["large_tables"]}
    rank = big["rank.entities"]
    assert ref == {k: rank[k] for k in ("file", "format", "rows", "columns")}
    assert (rank["rows"], rank["format"]) == (n, "parquet")
    full = pd.read_parquet(tmp_path / "capped" / rank["file"])
    assert len(full) == n and tmp_path / "capped" / rank["file"] in written
    assert list(full.columns) == rank["columns"]
    # the file's rows are the ranking's rows, in order
    assert list(full["id"]) == [e["id"] for e in rep.rank.to_dict()["entities"]]
    # with the default cap nothing of the bundled network is cut
    plain = json.loads((tmp_path / "r" / "results.json").read_text())
    assert plain["large_tables"] == [] and len(plain["rank"]["entities"]) == n


def test_streamed_results_json_equals_to_dict(tmp_path):
    # results.json is written section by section; below the cap it is Report.to_dict()
    from finflow.results import jsonable
    rep = build_report(__import__("finflow").load("debtrank_3bank"), draws=20, seed=3)
    write_report(rep, tmp_path / "r")
    got = json.loads((tmp_path / "r" / "results.json").read_text())
    assert got.pop("large_tables") == []
    assert got == json.loads(json.dumps(jsonable(rep.to_dict())))


def test_validate_and_progress_carry_no_escape_sequences(tmp_path):
    net = hostile_network(tmp_path / "net")
    ent = pd.read_csv(net / "entities.csv")
    ent.loc[2, "equity"] = float("nan")          # a warning naming bank_c's row
    ent.loc[len(ent)] = ["\x1b[5midle\x1b[0m", "idle", "lender", 1.0]   # no commitments
    ent.to_csv(net / "entities.csv", index=False)
    r = cli("validate", str(net), code=0)
    assert "idle" in r.output and "\x1b" not in r.output
    com = pd.read_csv(net / "commitments.csv")
    com.loc[0, "payee"] = "\x1b]0;owned\x07nobody"      # an unknown entity: a problem
    com.to_csv(net / "commitments.csv", index=False)
    r = cli("validate", str(net), code=2)
    assert "nobody" in r.output and "\x1b" not in r.output and "\x07" not in r.output
