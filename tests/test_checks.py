"""`finflow validate`'s consistency checks (issue 15; finflow.io.checks), each on a broken
copy of one small, clean network, with the file and line it must name."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from finflow.cli import main

ENTITIES = """\
id,name,type,equity,revenue,as_of,source
a,A,ai_lab,10,,2026-01-31,[S01] filing
b,B,cloud,5,2,2026-01-31,[S02]
fund,Fund,lender,,,,
"""
# line 2..6; c2 and c3 are two legs of one deal, c4 an umbrella whose parts are c5 (same
# payer and payee)
COMMITMENTS = """\
id,payer,payee,kind,amount,amount_low,amount_high,announced,status,deal,in_totals,source
c1,a,b,compute,10,8,12,2025-06,committed,,true,[S01]
c2,b,a,equity,3,,,2025-09-22,closed,d1,true,[S02]
c3,a,b,purchase,2,,,2025-09,committed,d1,true,[S01; S02]
c4,fund,a,credit,7,,,2025-10,committed,,false,
c5,fund,a,credit,7,,,2025-10,committed,,true,
"""
YAML = """\
name: small
as_of: '2026-02-01'
sources:
- id: S01
  title: one
- id: S02
  title: two
"""


def _folder(tmp_path: Path, entities: str = ENTITIES, commitments: str = COMMITMENTS,
            yaml: str = YAML) -> Path:
    f = tmp_path / "net"
    f.mkdir()
    (f / "entities.csv").write_text(entities)
    (f / "commitments.csv").write_text(commitments)
    (f / "network.yaml").write_text(yaml)
    return f


def _validate(folder: Path, *more: str):
    return CliRunner().invoke(main, ["validate", str(folder), *more])


def _swap(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new, 1)


def test_the_clean_network_passes_and_external_holders_need_no_buffer(tmp_path):
    f = _folder(tmp_path)
    r = _validate(f)
    assert r.exit_code == 0, r.output
    # fund (a lender without equity or revenue) is the one finding while it is a firm...
    assert f"{f / 'entities.csv'}:4: equity: warning: fund has commitments" in r.output
    assert _validate(f, "--strict").exit_code == 2
    # ...and none once it is an external holder
    (f / "entities.csv").write_text(
        ENTITIES.replace("as_of,source\n", "as_of,source,external\n")
        .replace(" filing\n", " filing,\n").replace("[S02]\n", "[S02],\n")
        .replace("lender,,,,\n", "lender,,,,,true\n"))
    r = _validate(f, "--strict")
    assert r.exit_code == 0 and r.output.strip().splitlines() == [
        f"OK: {f}: 3 entities, 5 commitments."], r.output


@pytest.mark.parametrize("file, old, new, want", [
    # amount_low above the amount: c1 is line 2
    ("commitments", "c1,a,b,compute,10,8,12", "c1,a,b,compute,10,11,12",
     "commitments.csv:2: amount_low: 11 exceeds amount 10"),
    # amount_high below the amount
    ("commitments", "c1,a,b,compute,10,8,12", "c1,a,b,compute,10,8,9",
     "commitments.csv:2: amount_high: 9 is below amount 10"),
    # a citation of a source network.yaml does not list (c3, line 4, cites S01 and S09)
    ("commitments", "[S01; S02]", "[S01; S09]",
     "commitments.csv:4: source: cites source [S09], which network.yaml's sources: does "
     "not list"),
    ("entities", "[S02]", "[S07]", "entities.csv:3: source: cites source [S07]"),
])
def test_each_error_names_file_and_line_and_exits_2(tmp_path, file, old, new, want):
    ent = _swap(ENTITIES, old, new) if file == "entities" else ENTITIES
    com = _swap(COMMITMENTS, old, new) if file == "commitments" else COMMITMENTS
    f = _folder(tmp_path, ent, com)
    r = _validate(f)
    assert r.exit_code == 2, r.output
    assert f"{f}/{want}" in r.output, r.output
    assert "Traceback" not in r.output
    data = json.loads(_validate(f, "-f", "json").output)
    assert data["valid"] is False
    assert any(want.split(": ", 2)[-1] in p["message"] for p in data["problems"])


@pytest.mark.parametrize("file, old, new, want", [
    # legs of deal d1 announced on different dates: 2025-09 refines nothing of 2025-10-01
    ("commitments", "2,,,2025-09,committed,d1", "2,,,2025-10-01,committed,d1",
     "commitments.csv:4: announced: warning: 2025-10-01 differs from 2025-09-22 of the "
     "same deal 'd1' (commitment c2, line 3)"),
    # an entity figure dated after the network's as_of (2026-02-01)
    ("entities", "b,B,cloud,5,2,2026-01-31", "b,B,cloud,5,2,2026-03",
     "entities.csv:3: as_of: warning: 2026-03 is after the network's as_of 2026-02-01"),
    # a commitment announced after it
    ("commitments", "c1,a,b,compute,10,8,12,2025-06", "c1,a,b,compute,10,8,12,2026-02-02",
     "commitments.csv:2: announced: warning: 2026-02-02 is after the network's as_of"),
    # an umbrella with no listed parts: c5 no longer shares payer and payee with c4
    ("commitments", "c5,fund,a,credit", "c5,fund,b,credit",
     "commitments.csv:5: in_totals: warning: false (an umbrella figure), but no other row "
     "shares"),
    # an entity with commitments but neither equity nor revenue, not external
    ("entities", "b,B,cloud,5,2,", "b,B,cloud,,,",
     "entities.csv:3: equity: warning: b has commitments but no equity or revenue"),
])
def test_each_warning_names_file_and_line_exits_0_and_2_when_strict(tmp_path, file, old, new,
                                                                    want):
    ent = _swap(ENTITIES, old, new) if file == "entities" else ENTITIES
    com = _swap(COMMITMENTS, old, new) if file == "commitments" else COMMITMENTS
    f = _folder(tmp_path, ent, com)
    r = _validate(f)
    assert r.exit_code == 0, r.output
    assert r.output.startswith("OK:")
    assert f"{f}/{want}" in r.output, r.output
    strict = _validate(f, "--strict")
    assert strict.exit_code == 2
    assert f"{f}/{want.replace('warning: ', '')}" in strict.output


def test_deal_legs_with_refining_partial_dates_agree(tmp_path):
    # 2025-09 (c3) and 2025-09-22 (c2): the longer date refines the shorter: no finding
    r = _validate(_folder(tmp_path))
    assert "deal 'd1'" not in r.output


def test_equity_outside_its_range_is_an_error(tmp_path):
    ent = ENTITIES.replace("id,name,type,equity,revenue,as_of,source",
                           "id,name,type,equity,revenue,as_of,source,equity_low,equity_high")
    ent = ent.replace("2026-01-31,[S01] filing", "2026-01-31,[S01] filing,12,20")
    ent = ent.replace("2026-01-31,[S02]", "2026-01-31,[S02],,").replace(
        "fund,Fund,lender,,,,", "fund,Fund,lender,,,,,,")
    f = _folder(tmp_path, ent)
    r = _validate(f)
    assert r.exit_code == 2
    assert f"{f}/entities.csv:2: equity_low: 12 exceeds equity 10" in r.output


def test_citations_without_a_sources_list_are_errors(tmp_path):
    f = _folder(tmp_path, yaml="name: small\nas_of: '2026-02-01'\n")
    r = _validate(f)
    assert r.exit_code == 2
    assert f"{f}/commitments.csv:2: source: cites source [S01], which network.yaml's " \
           "sources: does not exist (no sources: list)" in r.output
