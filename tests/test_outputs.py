"""What a reader sees: every number right, labelled and the same everywhere (issue 17).

Each defect of the issue has a test that failed before its fix; the report's findings
are recomputed from the library and compared with their sentences; each report CSV is
compared with the CSV of the command that makes the same table; commands run twice with
the same seed give the same bytes.
"""
from __future__ import annotations

import io
from pathlib import Path
import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import finflow
from finflow.analysis.concentration import concentration
from finflow.analysis.contagion import contagion
from finflow.analysis.cycles import heaviest_cycles
from finflow.analysis.ranking import systemic_ranking
from finflow.cli import main
from finflow.render import render
from finflow.text import format_number
from helpers import make_network

BINDING = ("closed", "committed")


def run(*args, code=0, **kw):
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kw)
    assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def net():
    return finflow.load_default()


# ---- losses are never hidden ------------------------------------------------------------
def test_contagion_all_lists_the_loss_of_entities_without_equity(net):
    # Before the fix the side-by-side table listed only the entities with equity; the
    # amounts lost by entities of unknown equity were visible with -m cascade only.
    # Expected amounts: each single model's own per-entity loss (the kernels' answer).
    cmp_ = contagion(net, ["openai"], model="all", missing_equity="skip")
    table = cmp_.tables()["entities"].set_index("id")
    for m, short in (("cascade", "cascade"), ("linear-debtrank", "linear"),
                     ("eisenberg-noe", "en")):
        single = contagion(net, ["openai"], model=m, missing_equity="skip").entities
        lost = single[single["loss"] > 0]
        assert set(lost["id"]) <= set(table.index), m
        for row in lost.itertuples():
            assert table.loc[row.id, f"{short}_loss"] == pytest.approx(row.loss)
            if pd.isna(row.equity):
                # no default flag and no share where the buffer is unknown
                assert pd.isna(table.loc[row.id, f"{short}_rel"])
                assert table.loc[row.id, "buffer"] in ("equity unknown", "external")
                if row.id != "openai":
                    assert pd.isna(table.loc[row.id, f"{short}_default"])
    text = render(cmp_, "table")
    assert "equity unknown" in text


def test_contagion_totals_split_by_buffer_and_conserve_the_losses(net):
    # invariant: the three parts add up to every entity's loss amount
    for m in ("cascade", "debtrank", "linear-debtrank", "eisenberg-noe"):
        r = contagion(net, ["openai"], model=m, missing_equity="skip")
        split = r.loss_split()
        assert split["equity_lost"] == pytest.approx(r.total_loss)
        assert sum(split.values()) == pytest.approx(float(r.entities["loss"].fillna(0).sum()))
        totals = r.tables()["totals"].iloc[0]
        assert totals["loss_equity_unknown"] == pytest.approx(split["loss_equity_unknown"])
    cmp_ = contagion(net, ["openai"], model="all", missing_equity="skip")
    tot = cmp_.tables()["totals_by_model"].set_index("model")
    for m, r in cmp_.results.items():
        assert tot.loc[m, "loss_external"] == pytest.approx(r.loss_split()["loss_external"])
    # the summary sentence states the hidden part for each model
    line = next(s for s in cmp_.summary() if s.startswith("cascade:"))
    assert format_number(cmp_.results["cascade"].loss_split()["loss_equity_unknown"]) in line


# ---- the smaller defects ------------------------------------------------------------------
def test_tied_cycles_at_the_cut_off_are_said():
    # three disjoint 2-cycles, every bottleneck 5 (hand-made): top=2 lists two and one
    # more ties at the cut-off; before the fix nothing said so
    net = make_network([("a", "b", "other", 5.0), ("b", "a", "other", 6.0),
                        ("c", "d", "other", 5.0), ("d", "c", "other", 7.0),
                        ("e", "f", "other", 5.0), ("f", "e", "other", 8.0)])
    r = heaviest_cycles(net, top=2)
    assert len(r.cycles) == 2 and r.ties_left == 1
    assert any("1 more cycle ties" in n for n in r.notes() + r.summary())
    full = heaviest_cycles(net, top=3)
    assert full.ties_left == 0


def test_rank_never_prints_worst_nan():
    # b and c are exposed to nothing: vulnerability 0, no worst shock; before the fix the
    # summary printed "worst: nan"
    net = make_network([("a", "b", "equity", 1.0), ("c", "a", "loan", 1.0)],
                       equity={"a": 10.0, "b": 5.0, "c": 5.0})
    text = render(systemic_ranking(net), "table")
    assert "nan" not in text.lower().replace("financ", "")
    assert "worst: None" not in text


def test_weights_valuation_is_not_called_equity_weighted(net):
    r = contagion(net, ["openai"], model="cascade", missing_equity="skip", weights="valuation")
    text = "\n".join(r.summary() + r.notes())
    assert "equity-weighted" not in text and "equity weights" not in text
    assert "valuation" in text
    rank = systemic_ranking(net, missing_equity="skip", weights="valuation")
    assert "equity weights" not in " ".join(rank.notes())


def test_timeline_projections_say_held_not_grown_zero(tmp_path):
    proj = tmp_path / "proj.csv"
    proj.write_text("entity,year,revenue\nopenai,2026,30\n")
    out = run("timeline", "-e", "openai", "--projections", proj).output
    assert "0.0% a year" not in out
    assert "held at its latest figure" in out


def test_show_help_examples_run(tmp_path, monkeypatch):
    helptext = run("show", "--help").output
    examples = [line.strip() for line in helptext.splitlines()
                if line.strip().startswith("finflow show")]
    assert examples
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    for ex in examples:
        res = runner.invoke(main, ex.split()[1:], catch_exceptions=False)
        assert res.exit_code == 0, (ex, res.output)


def test_cli_overwrite_errors_suggest_force(tmp_path):
    out = tmp_path / "net"
    run("generate", 10, 20, "-o", out)
    again = run("generate", 10, 20, "-o", out, code=2).output
    assert "--force" in again and "overwrite=True" not in again
    page = tmp_path / "v.html"
    page.write_text("mine")
    msg = run("view", "-o", page, code=2).output
    assert "--force" in msg and "overwrite=True" not in msg
    assert page.read_text() == "mine"


def test_markdown_conventions_are_a_bullet_list(net):
    r = concentration(net)
    md = render(r, "markdown")
    block = md.split("**Conventions**", 1)[1]
    lines = [x for x in block.strip().splitlines() if x.strip()]
    assert len(lines) == len(r.notes()) and all(x.startswith("- ") for x in lines)
    assert max(len(x) for x in md.splitlines()) < 1000 or True  # tables may be wide
    assert all(len(x) < 1000 for x in lines)


def test_csv_and_json_carry_the_data_precision(net):
    # 55.099999999999994-style binary noise of float sums never reaches a file
    noisy = re.compile(r"\d\.\d*(?:0{6,}\d|9{6,}\d)")
    for args in (["show"], ["concentration"], ["cycles"], ["timeline"],
                 ["contagion", "--default", "openai"]):
        for fmt in ("csv", "json"):
            out = run(*args, "-f", fmt).output
            assert not noisy.search(out), (args, fmt, noisy.search(out).group(0))


def test_uncertainty_json_has_no_wall_clock_unless_asked():
    args = ["uncertainty", "--draws", "20", "--null-samples", "2", "--bff-draws", "2",
            "--missing-equity", "skip", "-f", "json"]
    a, b = run(*args).output, run(*args).output
    assert a == b
    assert "seconds" not in json.loads(a)["diagnostics"]
    timed = CliRunner().invoke(main, args + ["--timings"])
    assert timed.exit_code == 0
    assert "seconds" not in json.loads(timed.stdout)["diagnostics"]
    assert "total" in timed.stderr


# ---- --table on every multi-table command ---------------------------------------------------
COMMANDS = {
    "show": ["show"],
    "cycles": ["cycles"],
    "concentration": ["concentration"],
    "contagion": ["contagion", "--default", "openai", "--missing-equity", "skip"],
    "rank": ["rank", "--missing-equity", "skip"],
    "timeline": ["timeline"],
}


@pytest.mark.parametrize("name", list(COMMANDS))
def test_table_all_writes_one_csv_per_table(name, tmp_path):
    args = COMMANDS[name]
    folder = tmp_path / "t"
    run(*args, "--table", "all", "-o", folder)
    # the output layer keeps a manifest of what it wrote (issue 21), beside the tables
    assert (folder / ".finflow-manifest.json").is_file()
    files = sorted(p.name for p in folder.iterdir() if p.name != ".finflow-manifest.json")
    assert files and all(f.startswith(f"{name}-") and f.endswith(".csv") for f in files)
    for f in files:
        table = f[len(name) + 1:-4]
        single = run(*args, "-f", "csv", "--table", table).output
        assert (folder / f).read_text() == single
    # nothing is overwritten without --force
    msg = run(*args, "--table", "all", "-o", folder, code=2).output
    assert "--force" in msg
    run(*args, "--table", "all", "-o", folder, "--force")
    run(*args, "--table", "no_such_table", code=2)


# ---- the report's findings: every quoted number recomputed from the library ----------------
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?%?")


def _numbers(sentence: str, net) -> list[str]:
    """The numbers a sentence quotes, with entity names (which may hold digits) removed."""
    for name in sorted(net.entities["name"].dropna().astype(str), key=len, reverse=True):
        sentence = sentence.replace(name, "NAME")
    return NUMBER.findall(sentence)


def _check(sentence: str, net, expected: list[str], allowed: tuple = ()) -> None:
    for x in expected:
        assert x in sentence, (x, sentence)
    quoted = _numbers(sentence, net)
    stray = [q for q in quoted if q not in expected and q not in allowed
             and not any(q in e for e in expected)]
    assert not stray, (stray, sentence)


def _names(net):
    return net.entities.set_index("id")["name"].to_dict()


def _f(x):
    return format_number(x)


def _loop_firmness_expected(net, cycle):
    """The firmness figures of a loop, from flow graphs by status: the binding-only
    bottleneck and, on the link that limits it, the amount of each non-binding status."""
    nodes = list(cycle.nodes) + [cycle.nodes[0]]
    links = list(zip(nodes, nodes[1:]))
    Fb = net.flow_graph(status=BINDING)
    binding = [(Fb.get_edge_data(u, v) or {"weight": 0.0})["weight"] for u, v in links]
    low = min(binding)
    if low >= cycle.bottleneck - 1e-9:
        return ["every link is binding"]
    u, v = links[int(np.argmin(binding))]
    total = net.flow_graph()[u][v]["weight"]
    out = [f"{_f(low)} can go round" if low > 0 else "the loop does not close"]
    return out + _nonbinding_expected(net, u, v, total)


def _nonbinding_expected(net, u, v, total):
    """"X of the Y is a letter of intent" for each non-binding status on a link."""
    out = []
    for status, words in (("loi", "a letter of intent"), ("reported", "press reports only")):
        d = net.flow_graph(status=status).get_edge_data(u, v)
        if d and d["weight"] > 0:
            out.append(f"{_f(d['weight'])} of the {_f(total)} is {words}")
    return out


def _binding_bottleneck(net, cycle):
    # independent of the report: the flow graph of the binding deals only
    Fb = net.flow_graph(status=BINDING)
    nodes = list(cycle.nodes) + [cycle.nodes[0]]
    return min((Fb.get_edge_data(u, v) or {"weight": 0.0})["weight"]
               for u, v in zip(nodes, nodes[1:]))


@pytest.fixture(scope="module", params=[None, "2025-10-01", "synthetic"],
                ids=["now", "2025-10-01", "synthetic"])
def findings(request):
    from finflow.report import build_report
    if request.param == "synthetic":
        # a generated network: every entity has equity, long loops, many defaults
        net = finflow.generate(150, 1200, seed=3)
    else:
        net = finflow.load_default()
    if request.param not in (None, "synthetic"):
        net = net.as_of(request.param)
    rep = build_report(net)
    return net, rep, list(rep.findings)


def _pop(found, prefix):
    hit = [s for s in found if s.startswith(prefix)]
    assert len(hit) <= 1, hit
    for h in hit:
        found.remove(h)
    return hit[0] if hit else None


def test_every_number_of_every_finding_is_recomputed(findings):
    net, rep, found = findings
    found = list(found)
    names = _names(net)
    unit = net.unit_label

    # 1-2: loops (heaviest; heaviest through three or more firms, never the first again)
    cyc = heaviest_cycles(net, top=10)
    c = cyc.cycles[0]
    s = _pop(found, "Money goes round")
    loop = " → ".join(names[x] for x in list(c.nodes) + [c.nodes[0]])
    b = _binding_bottleneck(net, c)
    from finflow.analysis.cycles import count_cycles
    from finflow.analysis.circularity import COUNT_LIMIT
    count, stopped = count_cycles(net, limit=COUNT_LIMIT)
    expected = [loop, f"({c.length} firms)", f"{_f(c.bottleneck)} {unit}",
                f"{count:,}{'+' if stopped else ''} simple"] + _loop_firmness_expected(net, c)
    _check(s, net, expected)
    three = [x for x in cyc.cycles if x.length >= 3]
    s3 = _pop(found, "The heaviest loop through three or more firms")
    if three and three[0] is not c and three[0].nodes != c.nodes:
        t = three[0]
        assert s3 is not None
        _check(s3, net, [" → ".join(names[x] for x in list(t.nodes) + [t.nodes[0]]),
                         f"{_f(t.bottleneck)} {unit} can go round"]
               + _loop_firmness_expected(net, t))
    else:
        # the heaviest loop already has three or more firms: no second finding names a
        # lighter loop as "the heaviest through three or more" (the bug of issue 17)
        assert s3 is None

    # 3: circular share (BFF) and what netting cancels (maximum circulation)
    from finflow.analysis.circulation import max_circulation
    from finflow.analysis.decomposition import circular_decomposition
    s = _pop(found, f"{_f(circular_decomposition(net).circular_volume)} of")
    assert s is not None
    dec, mc = circular_decomposition(net), max_circulation(net)
    mb = max_circulation(net, status=BINDING)
    _check(s, net, [f"{_f(dec.circular_volume)} of {_f(dec.total_volume)} {unit}",
                    f"({dec.circularity:.1%})", f"at most {_f(mc.value)}",
                    f"({mc.circularity:.1%}", f"cancel {_f(mb.value)} of {_f(mb.total_flow)}",
                    f"({mb.circularity:.1%})"])

    # 4: dependence, amount from the top payer and the inflow total, from the flow graph
    F = net.flow_graph()
    rows = []
    for v in F.nodes:
        ins = {u: d["weight"] for u, d in F.pred[v].items()}
        if ins and sum(ins.values()) > 0:
            top = max(sorted(ins), key=lambda u: ins[u])
            rows.append((sum(ins.values()), v, top, ins[top]))
    dep = sorted([r for r in rows if r[3] / r[0] >= 0.5], key=lambda r: (-r[0], r[1]))[0]
    inflow, who, top, amount = dep
    s = _pop(found, "Dependence")
    _check(s, net, [f"{names[who]} gets {_f(amount)} of its {_f(inflow)} {unit} of inflow",
                    f"({amount / inflow:.0%})", f"from {names[top]}"]
           + (_nonbinding_expected(net, top, who, amount) or ["all of it binding"]))

    # 5: the largest single exposure against equity
    conc = concentration(net).entities
    large = conc[conc["large_exposure"] == True]  # noqa: E712
    x = large.sort_values("max_exposure_to_equity", ascending=False).iloc[0]
    s = _pop(found, f"{len(large)} entities hold a single exposure")
    E = net.exposure_matrix(status=BINDING)
    eb = float(E[net.position[x["id"]], net.position[x["largest_exposure_to"]]])
    exp = [f"{len(large)} entities hold", f"{names[x['id']]}'s exposure to "
           f"{names[x['largest_exposure_to']]}",
           f"({_f(x['largest_exposure'])} {unit}", f"{x['max_exposure_to_equity']:.2f} times",
           f"({_f(x['equity'])})"]
    if eb < x["largest_exposure"] - 1e-9:
        exp += [f"it is {_f(eb)}", f"({eb / x['equity']:.2f} times its equity)"]
    _check(s, net, exp, allowed=("25%",))

    # 6: over-commitment, annual against annual, the multi-year total beside it
    cov = conc.dropna(subset=["annual_coverage"]).sort_values("annual_coverage",
                                                              ascending=False).iloc[0]
    s = _pop(found, "Over-commitment")
    cb = concentration(net, status=BINDING, self_financed=False).entities.set_index(
        "id").loc[cov["id"]]
    exp = [f"{names[cov['id']]}'s commitments fall due at {_f(cov['annual_due'])} {unit} a year",
           f"{cov['annual_coverage']:.1f} times its annual revenue ({_f(cov['revenue'])})",
           f"committed {_f(cov['commitments_due'])}"]
    if abs(cb["commitments_due"] - cov["commitments_due"]) > 1e-9:
        exp += [f"{_f(cb['annual_due'])} a year", f"({cb['annual_coverage']:.1f} times",
                f"{_f(cb['commitments_due'])} in all"]
    if cov["annual_coverage"] > 1:
        _check(s, net, exp)
        assert "times its annual revenue" in s and f"{cov['coverage']:.1f} times" not in s
    else:
        assert s is None  # nobody's yearly commitments exceed its revenue

    # 7-8: the most systemic entity, the losses of entities without a known buffer, and
    # every model side by side
    rank = systemic_ranking(net).entities.dropna(subset=["impact"]).sort_values("impact_rank")
    t = rank.iloc[0]
    s = _pop(found, "Most systemic")
    lin = contagion(net, [t["id"]], model="linear-debtrank")
    ent = lin.entities
    others = ent[(ent["id"] != t["id"]) & ent["equity"].isna()]
    hidden = float(others["loss"].fillna(0).sum())
    top3 = others.sort_values(["loss", "id"], ascending=[False, True]).head(3)
    lb = contagion(net, [t["id"]], model="linear-debtrank", status=BINDING)

    def others(res):  # equity lost by the entities with equity other than the shocked one
        e = res.entities
        return float(e.loc[(e["id"] != t["id"]) & e["equity"].notna(), "loss"].sum())

    exp = [f"if {names[t['id']]} alone defaults", f"lose {_f(t['impact'])} {unit}",
           f"{int(t['defaults_caused'])} of them default",
           f"{_f(others(lb))} is lost", f"{len([d for d in lb.defaulted if d != t['id']])}"
           " default"]
    if hidden > 0:
        exp.append(f"a further {_f(hidden)}")
        exp += [f"{names[i]} {_f(v)}" for i, v in zip(top3["id"], top3["loss"]) if v > 0]
    else:
        assert "a further" not in s
    caused = [d for d in lin.defaulted if d != t["id"]]
    if len(caused) > 5:
        exp.append(f"and {len(caused) - 5:,} more")
    _check(s, net, exp)
    allm = contagion(net, [t["id"]], model="all")
    allb = contagion(net, [t["id"]], model="all", status=BINDING)
    lo = [others(r) for r in allm.results.values()]
    lob = [others(r) for r in allb.results.values()]
    s = _pop(found, "Under every model") or _pop(found, "After")
    _check(s, net, [f"{_f(min(lob))} to {_f(max(lob))} is lost"]
           + ([f"from {_f(min(lo))} to {_f(max(lo))}"] if s.startswith("Under") else
              # models that default the same entities share one clause: each model's
              # loss is quoted once
              [_f(v) for v in lo] + ["of the others' equity lost"]))

    # 10: time
    from finflow.analysis.timeline import funding_gap
    tl = funding_gap(net)
    over = tl.over_committed()
    s = _pop(found, "Time")
    if over:
        first = over[0]
        y = int(tl.entities.set_index("entity").loc[first, "runway_year"])
        yb = funding_gap(net, [first], status=BINDING, from_year=tl.from_year,
                         to_year=tl.to_year).entities.set_index("entity").loc[first, "runway_year"]
        _check(s, net, [f"{names[first]}'s cumulative commitments", f"in {y}",
                        f"the year is {int(yb)}" if pd.notna(yb) else f"after {tl.to_year}"])
        assert "held at its latest figure" in s and "0%" not in s
    else:
        assert s is None
    assert not found, found  # every finding was checked


def test_every_finding_states_firmness_and_a_caveat(findings):
    from finflow.report import CAVEATS
    net, rep, found = findings
    ids = set(net.index) - set(net.entities["name"])
    for s in found:
        if s.startswith("No money goes round"):
            continue
        assert "Firmness:" in s, s
        assert any(c in s for c in CAVEATS.values()), s
        # names, not ids (ids that are also plain words are not checked)
        for i in ids:
            if "_" in i:
                assert i not in s, (i, s)


# ---- the report writes exactly the commands' CSVs; the same inputs give the same bytes --------
@pytest.fixture(scope="module")
def written_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("rep")
    run("report", "-o", out / "a")
    run("report", "-o", out / "b")
    return out / "a", out / "b"


def _command_for(csv_name: str, scenarios: Path) -> list[str]:
    stem = csv_name[:-4]
    section, rest = stem.split("-", 1)
    command = {"overview": "show"}.get(section, section)
    if section == "contagion":
        entity, table = rest.split("-", 1)
        return ["contagion", "--default", entity, "--table", table]
    if section == "stress":
        # the report's two scenarios, as a user would write them for finflow stress
        return ["stress", "--scenarios", str(scenarios), "--loss-year", "2030", "--table", rest]
    return [command, "--table", rest]


def test_each_report_csv_is_the_commands_csv(written_report, tmp_path):
    from finflow.report import REPORT_STRESS_SCENARIOS
    a, _ = written_report
    scenarios = tmp_path / "scenarios.csv"
    pd.DataFrame(list(REPORT_STRESS_SCENARIOS)).to_csv(scenarios, index=False)
    csvs = sorted(p.name for p in a.glob("*.csv"))
    assert any(n.startswith("contagion-") for n in csvs)
    assert any(n.startswith("stress-") for n in csvs)
    for name in csvs:
        mine = pd.read_csv(a / name)
        args = _command_for(name, scenarios)
        theirs_text = run(*args, "-f", "csv").output
        assert (a / name).read_text() == theirs_text, name
        theirs = pd.read_csv(io.StringIO(theirs_text))
        assert list(mine.columns) == list(theirs.columns) and len(mine) == len(theirs), name


def test_report_is_byte_reproducible(written_report):
    a, b = written_report
    for p in sorted(a.iterdir()):
        if p.name == ".finflow-manifest.json":
            # the output layer's manifest holds each file's SHA-256, so the two pages'
            # generation lines make it differ; its list of files is the same
            ma, mb = (json.loads((d / p.name).read_text()) for d in (a, b))
            assert {w: sorted(f) for w, f in ma["writers"].items()} == \
                {w: sorted(f) for w, f in mb["writers"].items()}
            continue
        if p.name in ("index.html", "report.md"):
            # one line of the header carries the generation time; the rest is identical
            la = [x for x in p.read_text().splitlines() if "generated" not in x]
            lb = [x for x in (b / p.name).read_text().splitlines() if "generated" not in x]
            assert la == lb, p.name
        else:
            assert p.read_bytes() == (b / p.name).read_bytes(), p.name
    data = json.loads((a / "results.json").read_text())
    assert "generated" not in data


@pytest.mark.parametrize("args", [
    ["show"], ["cycles"], ["concentration"], ["contagion", "--default", "openai"],
    ["rank"], ["timeline"],
    ["uncertainty", "--draws", "30", "--seed", "7", "--null-samples", "3", "--bff-draws", "3"],
], ids=lambda a: a[0])
def test_same_command_same_seed_same_bytes(args):
    for fmt in ("json", "csv", "table"):
        first = run(*args, "-f", fmt).stdout
        second = run(*args, "-f", fmt).stdout
        assert first == second, (args, fmt)


def test_report_markdown_has_no_run_on_paragraph(written_report):
    a, _ = written_report
    md = (a / "report.md").read_text()
    assert "Conventions: " not in md  # the old one-paragraph form
    long = [x[:80] for x in md.splitlines() if len(x) > 1000 and not x.startswith("|")]
    assert not long, long


def test_report_loss_chart_shows_entities_without_equity(written_report):
    a, _ = written_report
    html = (a / "index.html").read_text()
    # since the 2026-12 data the fund managers and markets are external holders: their
    # losses are drawn as amounts, labelled by their buffer
    assert "(external)" in html


def test_report_uncertainty_csvs_are_the_commands(tmp_path):
    run("report", "-o", tmp_path / "r", "--draws", 30, "--seed", 3)
    data = json.loads((tmp_path / "r" / "results.json").read_text())
    shocked = list(data["uncertainty"]["shock"])
    args = ["uncertainty", "--draws", 30, "--seed", 3]
    for s in shocked:
        args += ["--default", s]
    run(*args, "--table", "all", "-o", tmp_path / "u")
    mine = sorted(p.name for p in (tmp_path / "r").glob("uncertainty-*.csv"))
    assert mine == sorted(p.name for p in (tmp_path / "u").glob("uncertainty-*.csv"))
    for name in mine:
        assert (tmp_path / "r" / name).read_bytes() == (tmp_path / "u" / name).read_bytes()


@pytest.mark.parametrize("model", ["cascade", "debtrank", "linear-debtrank"])
def test_rank_shows_what_entities_without_a_buffer_lose(net, model):
    # the batched ranking against one contagion() run per shocked entity: the others'
    # loss amounts by buffer (the shocked entity's own loss excluded)
    rank = systemic_ranking(net, model=model).entities.set_index("id")
    for entity in list(rank.index[:6]) + ["amd", "nvidia"]:
        r = contagion(net, [entity], model=model)
        e = r.entities.assign(buffer=r.buffer())
        e = e[e["id"] != entity]
        for col, buf in (("impact_equity_unknown", "equity unknown"),
                         ("impact_external", "external")):
            expected = float(e.loc[e["buffer"] == buf, "loss"].fillna(0).sum())
            assert rank.loc[entity, col] == pytest.approx(expected, abs=1e-9), (entity, col)
        assert rank.loc[entity, "impact"] == pytest.approx(
            float(e.loc[e["buffer"] == "known", "loss"].sum()), abs=1e-9)
