"""The network model: each row of the kind table (DESIGN section 2) on hand-made networks,
filters, the flow graph, the matrices and as-of snapshots."""
from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import finflow
from finflow.errors import FinflowError
from finflow.kinds import KINDS, resolve_lgd

from helpers import make_network

# DESIGN section 2, one row per kind: (kind, exposed endpoint, basis, who owes in L).
# On a network x -> y (money from x to y) of amount 10 with 4 funded, the expected
# claim of the holder on the other is 4 for stakes and loans (funded) and 10 - 4 = 6
# for future flows and backstops; the obligation matrix has the principal (4) owed
# by the borrower y to x for loans, and the unpaid 6 owed by the buyer x to y for
# purchase/compute/lease.
KIND_TABLE = [
    # kind,      holder, obligor, base, debtor, creditor, owed
    ("equity",   "x", "y", 4.0, None, None, 0.0),
    ("warrant",  "y", "x", 4.0, None, None, 0.0),
    ("loan",     "x", "y", 4.0, "y", "x", 4.0),
    ("bond",     "x", "y", 4.0, "y", "x", 4.0),
    ("credit",   "x", "y", 4.0, "y", "x", 4.0),
    ("purchase", "y", "x", 6.0, "x", "y", 6.0),
    ("compute",  "y", "x", 6.0, "x", "y", 6.0),
    ("lease",    "y", "x", 6.0, "x", "y", 6.0),
    ("backstop", "y", "x", 6.0, None, None, 0.0),
    ("other",    None, None, 0.0, None, None, 0.0),
]


@pytest.mark.parametrize("kind,holder,obligor,base,debtor,creditor,owed", KIND_TABLE)
def test_kind_table_row(kind, holder, obligor, base, debtor, creditor, owed):
    net = make_network([("x", "y", kind, 10.0, {"funded": 4.0})], equity={"z": 1.0})
    pos = net.position
    lgd = KINDS[kind].lgd
    e = net.exposure_matrix().toarray()
    if holder is None:
        assert e.sum() == 0.0
    else:
        expected = np.zeros((3, 3))
        expected[pos[holder], pos[obligor]] = base * lgd
        np.testing.assert_allclose(e, expected)
    # with every LGD set to 1 the exposure is the claim itself
    e1 = net.exposure_matrix(lgd={k: 1.0 for k in KINDS}).toarray()
    assert e1.sum() == pytest.approx(base if holder else 0.0)
    ell = net.obligation_matrix().toarray()
    if debtor is None:
        assert ell.sum() == 0.0
    else:
        assert ell[pos[debtor], pos[creditor]] == pytest.approx(owed)
        assert ell.sum() == pytest.approx(owed)
    # the third node z takes no part
    assert e[pos["z"]].sum() == 0 and e[:, pos["z"]].sum() == 0


def test_stake_without_funded_uses_amount_and_future_flow_is_whole_amount():
    net = make_network([("x", "y", "equity", 10.0), ("y", "x", "compute", 7.0)])
    e = net.exposure_matrix(lgd={"equity": 1.0, "compute": 1.0}).toarray()
    p = net.position
    assert e[p["x"], p["y"]] == 10.0 + 7.0  # x holds equity in y (10) and is owed 7 by y
    assert e[p["y"], p["x"]] == 0.0


def test_lgd_defaults_documented_and_overridable():
    table = resolve_lgd(["purchase=0.3", "loan=1"])
    assert table["purchase"] == 0.3 and table["loan"] == 1.0
    assert table["bond"] == KINDS["bond"].lgd
    for k in KINDS.values():
        assert 0.0 <= k.lgd <= 1.0 and k.rationale
    with pytest.raises(FinflowError, match="outside"):
        resolve_lgd({"loan": 1.5})
    with pytest.raises(FinflowError, match="unknown kind"):
        resolve_lgd({"swap": 0.5})


def test_parallel_commitments_sum_in_flow_graph_and_stay_apart_in_multigraph():
    net = make_network([("nvidia", "coreweave", "equity", 2.0),
                        ("nvidia", "coreweave", "backstop", 6.3),
                        ("coreweave", "nvidia", "purchase", 10.3)])
    g = net.graph
    assert isinstance(g, nx.MultiDiGraph)
    assert g.number_of_edges("nvidia", "coreweave") == 2
    assert set(g["nvidia"]["coreweave"]) == {"e1", "e2"}  # keyed by commitment id
    f = net.flow_graph()
    assert isinstance(f, nx.DiGraph)
    assert f["nvidia"]["coreweave"]["weight"] == pytest.approx(8.3)
    assert f["nvidia"]["coreweave"]["kinds"] == ["backstop", "equity"]
    assert f["nvidia"]["coreweave"]["commitments"] == ["e1", "e2"]
    # kind filter changes the graph
    assert net.flow_graph(kinds="equity")["nvidia"]["coreweave"]["weight"] == 2.0
    assert not net.flow_graph(kinds="equity").has_edge("coreweave", "nvidia")


def test_status_filter_default_excludes_lapsed_and_umbrella_and_undisclosed():
    net = make_network([
        ("a", "b", "equity", 1.0, {"status": "closed"}),
        ("a", "b", "equity", 2.0, {"status": "lapsed"}),
        ("a", "b", "equity", 4.0, {"status": "loi"}),
        ("a", "b", "equity", 8.0, {"status": "committed", "in_totals": False}),
        ("a", "b", "equity", None, {"status": "committed"}),
    ])
    f = net.flow_matrix().toarray()
    assert f.sum() == 5.0  # 1 + 4
    assert net.flow_matrix(status="all").sum() == 7.0  # lapsed too, never the umbrella
    assert net.flow_matrix(status="closed").sum() == 1.0
    sel = net.select(status="closed,committed")
    assert list(sel.commitments["status"]) == ["closed", "committed", "committed"]
    assert sel.index == net.index  # the node index never changes
    with pytest.raises(FinflowError, match="unknown status"):
        net.flow_matrix(status="signed")


def test_matrices_are_over_the_fixed_index():
    net = make_network([("c", "a", "loan", 3.0)], equity={"a": 1, "b": 1, "c": 1})
    assert net.index == ("c", "a", "b")
    ell = net.obligation_matrix()
    assert ell.shape == (3, 3)
    assert ell[net.position["a"], net.position["c"]] == 3.0


def test_as_of_boundaries():
    net = make_network([
        ("a", "b", "equity", 1.0, {"announced": "2025-09-22"}),
        ("a", "b", "equity", 2.0, {"announced": "2025-09"}),
        ("a", "b", "purchase", 4.0, {"announced": "2025-01-01", "status": "lapsed",
                                     "lapsed_on": "2026-02-27", "prior_status": "loi"}),
        ("a", "b", "purchase", 8.0, {"announced": "2025-01-01", "status": "lapsed",
                                     "lapsed_on": "2025-06-30"}),
    ])
    # announced that very day: in; the month 2025-09 counts from 2025-09-01
    assert set(net.as_of("2025-09-22").commitments["id"]) == {"e1", "e2", "e3"}
    assert set(net.as_of("2025-09-21").commitments["id"]) == {"e2", "e3"}
    assert set(net.as_of("2025-08-31").commitments["id"]) == {"e3"}
    # lapsed on 2026-02-27: alive the day before, with its prior status; gone that day
    before = net.as_of("2026-02-26").commitments.set_index("id")
    assert before.loc["e3", "status"] == "loi"
    assert "e3" not in set(net.as_of("2026-02-27").commitments["id"])
    # lapsed on 2025-06-30: alive before with the default prior status "reported"
    assert net.as_of("2025-06-29").commitments.set_index("id").loc["e4", "status"] == "reported"
    assert net.as_of("2025-06-29").flow_matrix().sum() == 12.0
    with pytest.raises(FinflowError):
        net.as_of("someday")


def test_entity_vector_keeps_missing_as_nan():
    net = make_network([("a", "b", "loan", 1.0)], equity={"a": 2.0})
    eq = net.entity_vector("equity")
    assert eq[0] == 2.0 and np.isnan(eq[1])
