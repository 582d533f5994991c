"""`finflow diff` / finflow.diff on hand-made pairs of networks (issue 15). Each expected
row is read off the two small tables written here."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from click.testing import CliRunner

import finflow
from finflow.cli import main

ENT = pd.DataFrame({"id": ["a", "b", "c"], "name": ["A", "B", "C"],
                    "type": ["ai_lab", "cloud", "chipmaker"], "equity": [10.0, 4.0, 30.0]})
COM = pd.DataFrame({"id": ["k1", "k2", "k3"], "payer": ["a", "b", "c"],
                    "payee": ["b", "c", "b"], "kind": ["compute", "purchase", "equity"],
                    "amount": [8.0, 5.0, 2.0]})


def _net(ent=ENT, com=COM, name="v") -> finflow.Network:
    return finflow.Network.from_frames(ent, com, name=name)


def _rows(d, table=None):
    ch = d.changes if table is None else d.changes[d.changes["table"] == table]
    return [tuple(r) for r in ch[["change", "id", "field", "old", "new"]].itertuples(index=False)]


def test_identical_networks_have_no_differences():
    d = finflow.diff(_net(), _net())
    assert d.changes.empty
    assert not d.findings["changed"].any()


def test_added_removed_and_changed_commitments():
    com = COM.copy()
    com.loc[com["id"] == "k1", "amount"] = 9.5          # changed amount
    com.loc[com["id"] == "k2", "status"] = "loi"        # changed status (committed -> loi)
    com = com[com["id"] != "k3"]                        # removed
    com = pd.concat([com, pd.DataFrame({"id": ["k4"], "payer": ["c"], "payee": ["a"],
                                        "kind": ["loan"], "amount": [3.0]})])   # added
    d = finflow.diff(_net(), _net(com=com), findings=False)
    assert _rows(d) == [
        ("added", "k4", "amount", None, 3.0),
        ("removed", "k3", "amount", 2.0, None),
        ("changed", "k1", "amount", 8.0, 9.5),
        ("changed", "k2", "status", "committed", "loi"),
    ]
    assert d.counts["commitments_added"] == 1 and d.counts["commitments_removed"] == 1
    assert d.counts["commitments_changed"] == 2


def test_entity_renamed_by_name_and_by_id():
    # same id, new name
    ent = ENT.copy()
    ent.loc[ent["id"] == "b", "name"] = "B Corp"
    d = finflow.diff(_net(), _net(ent=ent), findings=False)
    assert _rows(d) == [("renamed", "b", "name", "B", "B Corp")]
    # id changed (c -> c2), every other field identical; its commitments follow
    ent = ENT.copy()
    ent.loc[ent["id"] == "c", "id"] = "c2"
    com = COM.replace({"payer": {"c": "c2"}, "payee": {"c": "c2"}})
    d = finflow.diff(_net(), _net(ent=ent, com=com), findings=False)
    assert d.renamed == {"c": "c2"}
    assert _rows(d) == [("renamed", "c2", "id", "c", "c2")]   # k2, k3 not "changed"
    # an id change with another field changed too is a removal and an addition
    ent.loc[ent["id"] == "c2", "equity"] = 31.0
    d = finflow.diff(_net(), _net(ent=ent, com=com), findings=False)
    assert d.renamed == {}
    assert ("added", "c2", "name", None, "C") in _rows(d, "entities")
    assert ("removed", "c", "name", "C", None) in _rows(d, "entities")
    assert ("changed", "k2", "payee", "c", "c2") in _rows(d, "commitments")


def test_changed_entity_field():
    ent = ENT.copy()
    ent.loc[ent["id"] == "a", "equity"] = 12.0
    d = finflow.diff(_net(), _net(ent=ent), findings=False)
    assert _rows(d) == [("changed", "a", "equity", 10.0, 12.0)]


def test_findings_change_when_a_commitment_closes_a_loop():
    # OLD: a -> b -> c -> b: one cycle b -> c -> b, bottleneck min(5, 2) = 2.
    # NEW adds c -> a 6: also a -> b -> c -> a, bottleneck min(8, 5, 6) = 5, now heaviest.
    com = pd.concat([COM, pd.DataFrame({"id": ["k4"], "payer": ["c"], "payee": ["a"],
                                        "kind": ["purchase"], "amount": [6.0]})])
    d = finflow.diff(_net(), _net(com=com))
    f = d.findings.set_index("finding")
    assert (f.loc["cycles", "old"], f.loc["cycles", "new"]) == (1, 2)
    assert f.loc["heaviest_cycle", "old"] == "b -> c -> b"
    assert f.loc["heaviest_cycle", "new"] == "a -> b -> c -> a"
    assert d.new_findings["heaviest_cycle"] == ("a", "b", "c", "a")
    assert (f.loc["heaviest_cycle_bottleneck", "old"],
            f.loc["heaviest_cycle_bottleneck", "new"]) == (2.0, 5.0)
    assert f.loc["cycles", "changed"] and f.loc["heaviest_cycle", "changed"]
    # maximum circulation (value = sum over edges of the circulating flow):
    # OLD: loop b-c-b carries 2 on each of its 2 edges: 4, of a total flow of 15.
    # NEW: loops a-b-c-a (x, 3 edges) and b-c-b (y, 2 edges) share b -> c (5):
    # max 3x + 2y with x + y <= 5, y <= 2, x <= 6 is x = 5, y = 0: 15 of a total of 21.
    assert f.loc["max_circulation", "old"] == pytest.approx(4.0)
    assert f.loc["max_circulation_share", "old"] == pytest.approx(4.0 / 15.0)
    assert f.loc["max_circulation", "new"] == pytest.approx(15.0)
    assert f.loc["max_circulation_share", "new"] == pytest.approx(15.0 / 21.0)


def test_cli_diff_folders_json_and_csv(tmp_path):
    old = _net().save(tmp_path / "old")
    com = COM.copy()
    com.loc[com["id"] == "k1", "amount"] = 9.5
    new = _net(com=com).save(tmp_path / "new")
    r = CliRunner().invoke(main, ["diff", str(old), str(new), "-f", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["changes"] == [{"table": "commitments", "change": "changed", "id": "k1",
                                "field": "amount", "old": 8.0, "new": 9.5}]
    assert {x["finding"] for x in data["findings"]} == set(finflow.analysis.diff.FINDINGS)
    r = CliRunner().invoke(main, ["diff", str(old), str(new), "-f", "csv", "--table",
                                  "changes", "--no-findings"])
    assert r.output.splitlines() == ["table,change,id,field,old,new",
                                     "commitments,changed,k1,amount,8.0,9.5"]
    r = CliRunner().invoke(main, ["diff", str(old), str(tmp_path / "nowhere")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["diff", "debtrank_3bank", "debtrank_3bank", "--no-findings"])
    assert r.exit_code == 0 and "0 added, 0 removed, 0 changed" in r.output


def test_v2_columns_compare_by_meaning():
    # an explicit external=false on a firm and the default holder class of its type say
    # nothing new; flagging b external and moving c to another class do
    ent = ENT.assign(external=["false", "", ""], holder_class=["labs", "", ""])
    assert finflow.diff(_net(), _net(ent=ent), findings=False).changes.empty
    ent = ENT.assign(external=["", "true", ""], holder_class=["", "", "equity_investors"])
    assert _rows(finflow.diff(_net(), _net(ent=ent), findings=False)) == [
        ("changed", "b", "external", False, True),
        ("changed", "c", "holder_class", "chipmakers", "equity_investors")]
