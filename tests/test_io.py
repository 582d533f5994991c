"""Network files: round trips in every format, and every class of validation error reported
as file:line: field: problem, all at once."""
from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import finflow
from finflow.errors import FinflowError, NetworkFileError

ENTITIES = """\
id,name,type,equity,cash,revenue,debt,valuation,as_of,estimated,source,note
nvidia,NVIDIA,chipmaker,118.9,60.6,215.9,8.5,4520,2025-10-26,,[S84] MENAFN,
openai,OpenAI Group PBC,ai_lab,,,13.1,0,852,2025,equity,[S81],"private; equity unknown, kept missing"
oracle,Oracle,hyperscaler,24.7,19.2,67.4,108,703,2025-11-30,,[S86],
bond_market,Bond investors,market,,,,,,,,,aggregate
"""

COMMITMENTS = """\
id,payer,payee,kind,amount,funded,amount_low,amount_high,annual,start,end,announced,lapsed_on,status,prior_status,confidence,cancelable,deal,in_totals,estimated,source,note
c02,nvidia,openai,equity,30,30,,,,2026-03,,2026-02-27,,closed,,high,false,,true,,[S12] AFP 2026-02-27,"round of 110, extended to 122"
c04,openai,oracle,compute,300,,,,60,2027,2031,2025-07-22,,committed,,medium,false,,true,,[S15] WSJ,"multi-line
note inside quotes"
c05,oracle,nvidia,purchase,40,,35.5,45,,2025-05,2026-06,2025-05-23,,reported,,medium,false,,true,,[S18] FT,
c06,bond_market,oracle,bond,18,18,,,,2025-09,2065,2025-09-24,,closed,,high,false,,true,,[S19],
c01,nvidia,openai,equity,100,0,,100,,,,2025-09-22,2026-02-27,lapsed,loi,high,true,nv_oa,true,,[S01],superseded by c02
c33,openai,nvidia,purchase,,,,,,,,2025-10-13,,committed,,low,false,,false,,[S42],undisclosed
"""


def write_folder(tmp_path: Path, entities: str = ENTITIES, commitments: str = COMMITMENTS,
                 meta: str | None = "name: Test network\nas_of: 2026-06-11\nunit: billions\n"
                 ) -> Path:
    folder = tmp_path / "net"
    folder.mkdir()
    (folder / "entities.csv").write_text(entities, encoding="utf-8")
    (folder / "commitments.csv").write_text(commitments, encoding="utf-8")
    if meta is not None:
        (folder / "network.yaml").write_text(meta, encoding="utf-8")
    return folder


def assert_same_network(a: finflow.Network, b: finflow.Network) -> None:
    pd.testing.assert_frame_equal(a.entities.reset_index(drop=True),
                                  b.entities[list(a.entities.columns)].reset_index(drop=True),
                                  check_dtype=False)
    pd.testing.assert_frame_equal(a.commitments.reset_index(drop=True),
                                  b.commitments[list(a.commitments.columns)].reset_index(drop=True),
                                  check_dtype=False)
    for key in ("name", "as_of", "unit", "currency"):
        assert a.metadata.get(key) == b.metadata.get(key)


def test_folder_reads_types_and_metadata(tmp_path):
    net = finflow.load(write_folder(tmp_path))
    assert net.name == "Test network"
    assert net.metadata["as_of"] == "2026-06-11"  # YAML dates come back as ISO text
    assert net.index == ("nvidia", "openai", "oracle", "bond_market")
    ent = net.entities.set_index("id")
    assert ent.loc["nvidia", "equity"] == 118.9
    assert np.isnan(ent.loc["openai", "equity"])  # missing stays missing, not zero
    assert ent.loc["openai", "debt"] == 0.0        # a written zero is a zero
    com = net.commitments.set_index("id")
    assert com.loc["c04", "note"] == "multi-line\nnote inside quotes"
    assert bool(com.loc["c01", "cancelable"]) is True
    assert bool(com.loc["c33", "in_totals"]) is False
    assert np.isnan(com.loc["c33", "amount"])
    assert com.loc["c05", "amount_low"] == 35.5


@pytest.mark.parametrize("fmt,suffix", [("folder", ""), ("json", ".json"),
                                        ("graphml", ".graphml"), ("gexf", ".gexf")])
def test_round_trip_keeps_every_field(tmp_path, fmt, suffix):
    net = finflow.load(write_folder(tmp_path))
    target = tmp_path / f"copy{suffix}"
    net.save(target, format=fmt)
    back = finflow.load(target)
    assert_same_network(net, back)
    # and a second trip is byte-stable for the folder format
    if fmt == "folder":
        again = tmp_path / "again"
        back.save(again)
        assert (again / "commitments.csv").read_text() == (target / "commitments.csv").read_text()


def test_round_trip_of_the_bundled_network(tmp_path, default_network):
    for fmt, suffix in [("json", ".json"), ("graphml", ".graphml"), ("gexf", ".gexf"),
                        ("folder", "")]:
        target = tmp_path / f"ai{suffix}"
        default_network.save(target, format=fmt)
        assert_same_network(default_network, finflow.load(target))


def test_save_never_overwrites(tmp_path):
    folder = write_folder(tmp_path)
    net = finflow.load(folder)
    before = (folder / "entities.csv").read_text()
    with pytest.raises(FinflowError, match="will not overwrite"):
        net.save(folder)
    assert (folder / "entities.csv").read_text() == before
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(FinflowError, match="will not overwrite"):
        net.save(tmp_path / "x.json")
    assert (tmp_path / "x.json").read_text() == "{}"


def problems_of(tmp_path, entities=ENTITIES, commitments=COMMITMENTS) -> list[str]:
    folder = write_folder(tmp_path, entities, commitments)
    with pytest.raises(NetworkFileError) as info:
        finflow.load(folder)
    return [str(p) for p in info.value.problems]


def test_every_problem_is_reported_at_once_with_file_and_line(tmp_path):
    entities = ENTITIES + "nvidia,Duplicate,chipmaker,1,,,,,,,,\nxai,xAI,ai_lab,lots,,,,,,,,\n"
    # line numbers: header 1, c02 2, c04 3-4 (quoted newline), c05 5, c06 6, c01 7, c33 8
    commitments = COMMITMENTS + textwrap.dedent("""\
        c90,nvidia,nobody,equity,5,,,,,,,,,closed,,,,,,,,
        c91,nvidia,openai,swap,5,,,,,,,,,closed,,,,,,,,
        c92,nvidia,openai,equity,-5,,,,,,,,,closed,,,,,,,,
        c93,nvidia,openai,equity,5,,,,,,,2025-13-01,,closed,,,,,,,,
        c94,nvidia,openai,equity,5,,,,,,,,,signed,,,,,,,,
        c02,nvidia,openai,equity,five,,,,,,,,,closed,,,,,,,,
        c95,nvidia,openai,loan,5,7,,,,,,,,closed,,,,,,,,
        c96,nvidia,openai,loan,5,,,,,2030,2029,,,closed,,,,,,,,
        c97,nvidia,openai,loan,5,,,,,,,,,closed,,,maybe,,,,,
        c98,nvidia,nvidia,loan,5,,,,,,,,,closed,,,,,,,,
        """)
    probs = problems_of(tmp_path, entities, commitments)
    folder = tmp_path / "net"
    e, c = folder / "entities.csv", folder / "commitments.csv"
    expected = [
        f"{e}:6: id: duplicate entity id 'nvidia' (first at line 2)",
        f"{e}:7: equity: 'lots' is not a number",
        f"{c}:9: payee: unknown entity 'nobody' (not in {e})",
        f"{c}:10: kind: unknown kind 'swap'",
        f"{c}:11: amount: -5 is negative",
        f"{c}:12: announced: '2025-13-01' is not a calendar date",
        f"{c}:13: status: unknown status 'signed'",
        f"{c}:14: id: duplicate commitment id 'c02' (first at line 2)",
        f"{c}:14: amount: 'five' is not a number",
        f"{c}:15: funded: 7 exceeds amount 5",
        f"{c}:16: end: 2029 is before start 2030",
        f"{c}:17: cancelable: 'maybe' is not true or false",
        f"{c}:18: payee: payer and payee are the same entity 'nvidia'",
    ]
    for want in expected:
        assert any(p.startswith(want) for p in probs), (want, probs)
    assert len(probs) == len(expected)


def test_missing_columns_files_and_bad_yaml(tmp_path):
    probs = problems_of(tmp_path, "name,type\nA,other\n",
                        "id,payer,payee,kind\nc1,a,b,loan\n")
    assert any(p.endswith("entities.csv: id: required column is missing") for p in probs)
    assert any(p.endswith("commitments.csv: amount: required column is missing") for p in probs)

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NetworkFileError, match="entities.csv: file not found"):
        finflow.load(empty)

    folder = tmp_path / "yaml"
    folder.mkdir()
    (folder / "entities.csv").write_text(ENTITIES)
    (folder / "commitments.csv").write_text(COMMITMENTS)
    (folder / "network.yaml").write_text("name: [unclosed\n")
    with pytest.raises(NetworkFileError, match="network.yaml:.*not valid YAML"):
        finflow.load(folder)


def test_minimal_files_get_documented_defaults(tmp_path):
    folder = write_folder(tmp_path, "id\na\nb\n", "payer,payee,kind,amount\na,b,loan,3\n",
                          meta=None)
    net = finflow.load(folder)
    com = net.commitments.iloc[0]
    assert com["status"] == "committed" and bool(com["in_totals"]) and not bool(com["cancelable"])
    assert com["id"] == "r1"
    assert net.entities["type"].tolist() == ["other", "other"]
    assert net.entities["name"].tolist() == ["a", "b"]
    assert net.unit_label == "USD billions"


def test_from_frames_reports_rows(tmp_path):
    with pytest.raises(NetworkFileError) as info:
        finflow.Network.from_frames(pd.DataFrame({"id": ["a", "b"]}),
                                    pd.DataFrame({"payer": ["a"], "payee": ["zz"],
                                                  "kind": ["loan"], "amount": [1.0]}))
    assert str(info.value.problems[0]) == "commitments: row 1: payee: unknown entity 'zz' (not in entities)"


def test_bad_graph_files_are_clear_errors(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(NetworkFileError, match=r"bad.json:1: cannot read as json"):
        finflow.load(tmp_path / "bad.json")
    (tmp_path / "bad.graphml").write_text("<graphml>")
    with pytest.raises(NetworkFileError, match="bad.graphml: cannot read as graphml"):
        finflow.load(tmp_path / "bad.graphml")
    with pytest.raises(FinflowError, match="no such file"):
        finflow.load(tmp_path / "missing.gexf")


def test_a_row_with_too_many_cells_is_named_not_shifted(tmp_path):
    # An unquoted comma makes a row one cell longer than the header. pandas would take
    # the first column as an index and shift every cell; finflow names the line instead.
    folder = write_folder(tmp_path, "id,type\na,lender\nb,lender\n",
                          "id,payer,payee,kind,amount,note\n"
                          "x1,a,b,loan,1,fine\n"
                          "x2,a,b,loan,1,a note, with a comma\n")
    with pytest.raises(NetworkFileError) as info:
        finflow.load(folder)
    assert [str(p) for p in info.value.problems] == [
        f"{folder / 'commitments.csv'}:3: has 7 cells but the header has 6 "
        "(quote a field that contains a comma)"]
