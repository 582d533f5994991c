"""from_frames: a network from a user's own DataFrame (issue 19, "Any table in").

Expected values are written out by hand from the small tables below; the equality tests
compare with the validated constructor path that existed before (``Network(ent, com)``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import finflow
from finflow.errors import FinflowError, NetworkFileError
from finflow.io.frames import from_frames, parse_columns


def deals() -> pd.DataFrame:
    """A deal list with a user's column names; ``deal_name`` is not a finflow field."""
    return pd.DataFrame({
        "from": ["a", "b", "c", "b", "c"],
        "to": ["b", "c", "a", "a", "d"],
        "usd_bn": [10.0, 6.0, 4.0, 3.0, 2.0],
        "type": ["equity", "loan", "purchase", "compute", "bond"],
        "deal_name": ["x", "y", None, "w", "v"],
    })


MAP = dict(payer="from", payee="to", amount="usd_bn", kind="type")


def test_mapping_renames_and_keeps_other_columns():
    net = from_frames(deals(), **MAP)
    com = net.commitments
    assert list(com["payer"]) == ["a", "b", "c", "b", "c"]
    assert list(com["payee"]) == ["b", "c", "a", "a", "d"]
    assert list(com["kind"]) == ["equity", "loan", "purchase", "compute", "bond"]
    assert com["amount"].tolist() == [10.0, 6.0, 4.0, 3.0, 2.0]
    # an unmapped column is kept under its own name (as text, like a file's extra column)
    assert com["deal_name"].tolist() == ["x", "y", None, "w", "v"]
    # the user's column names are not left behind as extra columns
    assert not {"from", "to", "usd_bn", "type"} & set(com.columns)


def test_without_entities_the_ids_that_appear_in_first_seen_order_with_unknown_figures():
    net = from_frames(deals(), **MAP)
    # first appearance, payer before payee in each row: a, b (row 1), c (row 2), d (row 5)
    assert net.index == ("a", "b", "c", "d")
    assert net.entities["equity"].isna().all()
    assert net.entities["revenue"].isna().all()
    assert list(net.entities["name"]) == ["a", "b", "c", "d"]  # name defaults to the id


def test_generated_ids_and_default_status():
    net = from_frames(deals(), **MAP)
    # no id column: row N gets rN, as a commitments.csv without an id column does
    assert list(net.commitments["id"]) == ["r1", "r2", "r3", "r4", "r5"]
    # schema.DEFAULTS: a missing status is "committed"
    assert set(net.commitments["status"]) == {"committed"}
    again = from_frames(deals(), **MAP)
    assert list(again.commitments["id"]) == list(net.commitments["id"])  # stable


def test_id_and_status_columns_mapped():
    df = deals().assign(ref=["d1", "d2", "d3", "d4", "d5"],
                        stage=["closed", "loi", None, "reported", "closed"])
    net = from_frames(df, id="ref", status="stage", **MAP)
    assert list(net.commitments["id"]) == ["d1", "d2", "d3", "d4", "d5"]
    assert list(net.commitments["status"]) == ["closed", "loi", "committed", "reported",
                                               "closed"]


def test_exposure_matrix_from_mapped_columns_by_hand():
    net = from_frames(deals(), **MAP)
    E = net.exposure_matrix().toarray()
    # finflow.kinds: equity a->b: a holds 10 x LGD 1.0; compute b->a: a (payee) holds the
    # unpaid 3 x 0.5; loan b->c: b holds 6 x 0.45; purchase c->a: a holds 4 x 0.5;
    # bond c->d: c holds 2 x 0.6
    expected = np.zeros((4, 4))
    expected[0, 1] = 10.0 + 1.5
    expected[1, 2] = 2.7
    expected[0, 2] = 2.0
    expected[2, 3] = 1.2
    np.testing.assert_allclose(E, expected)


def test_kind_as_one_constant_for_every_row():
    df = deals().drop(columns="type")
    net = from_frames(df, payer="from", payee="to", amount="usd_bn", kind="loan")
    assert set(net.commitments["kind"]) == {"loan"}


def test_kind_column_wins_over_a_kind_of_the_same_name():
    df = deals().rename(columns={"type": "loan"})  # a column that happens to be named loan
    net = from_frames(df, payer="from", payee="to", amount="usd_bn", kind="loan")
    assert list(net.commitments["kind"]) == ["equity", "loan", "purchase", "compute", "bond"]


def test_entities_table_and_entity_column_mapping():
    ent = pd.DataFrame({"firm": ["a", "b", "c", "d"], "capital": [5.0, 4.0, 3.0, None]})
    net = from_frames(deals(), ent, entity_columns={"id": "firm", "equity": "capital"}, **MAP)
    assert net.index == ("a", "b", "c", "d")
    assert net.entities["equity"].tolist()[:3] == [5.0, 4.0, 3.0]
    assert np.isnan(net.entities["equity"].iat[3])


def test_same_network_as_the_constructor_on_finflow_columns():
    ent = pd.DataFrame({"id": ["a", "b", "c", "d"], "equity": [5.0, 4.0, 3.0, 1.0]})
    com = deals().rename(columns={"from": "payer", "to": "payee", "usd_bn": "amount",
                                  "type": "kind"})
    direct = finflow.Network(ent, com, {"name": "t"})  # the validated constructor
    mapped = from_frames(deals(), ent, name="t", **MAP)
    classmethod_ = finflow.Network.from_frames(ent, com, name="t")
    for other in (mapped, classmethod_):
        pd.testing.assert_frame_equal(other.entities, direct.entities)
        pd.testing.assert_frame_equal(other.commitments[direct.commitments.columns],
                                      direct.commitments)
        assert other.metadata == direct.metadata


def test_network_from_frames_none_entities_no_attribute_error():
    # issue 19: Network.from_frames(None, df) raised a raw AttributeError
    com = deals().rename(columns={"from": "payer", "to": "payee", "usd_bn": "amount",
                                  "type": "kind"})
    net = finflow.Network.from_frames(None, com)
    assert net.index == ("a", "b", "c", "d")
    # the classmethod's (entities, commitments) order also takes the mapping keywords
    net2 = finflow.Network.from_frames(None, deals(), **MAP)
    pd.testing.assert_frame_equal(net2.entities, net.entities)


@pytest.mark.parametrize("value, message", [
    (None, "commitments: is missing"),
    (42, "commitments: is a int, not a table"),
])
def test_not_a_table_is_a_clear_error(value, message):
    with pytest.raises(NetworkFileError) as info:
        finflow.Network.from_frames(None, value)
    assert str(info.value.problems[0]).startswith(message)


def test_records_and_column_dicts_are_tables():
    rows = [{"from": "a", "to": "b", "usd_bn": 1.0, "type": "loan"}]
    assert from_frames(rows, **MAP).index == ("a", "b")
    cols = {"from": ["a"], "to": ["b"], "usd_bn": [1.0], "type": ["loan"]}
    assert from_frames(cols, **MAP).index == ("a", "b")


def test_errors_name_table_row_and_the_users_column():
    df = deals().astype({"usd_bn": object})
    df.loc[2, "usd_bn"] = "lots"  # row 3
    df.loc[1, "type"] = "swap"    # row 2
    with pytest.raises(NetworkFileError) as info:
        from_frames(df, **MAP)
    shown = [str(p) for p in info.value.problems]
    assert "commitments: row 3: usd_bn: 'lots' is not a number" in shown
    assert any(s.startswith("commitments: row 2: type: unknown kind 'swap'; choose from")
               for s in shown)


def test_error_row_names_a_non_default_index_label():
    df = deals().set_index(pd.Index(["p", "q", "r", "s", "t"]))
    df.loc["q", "usd_bn"] = -1.0
    with pytest.raises(NetworkFileError) as info:
        from_frames(df, **MAP)
    assert str(info.value.problems[0]).startswith(
        "commitments: row 2 (index 'q'): usd_bn: -1 is negative")


def test_missing_mapped_column_and_missing_required_column():
    with pytest.raises(NetworkFileError) as info:
        from_frames(deals(), payer="frm", payee="to", amount="usd_bn", kind="type")
    assert str(info.value.problems[0]) == (
        "commitments: frm: no such column (for payer=frm); the columns are: from, to, "
        "usd_bn, type, deal_name")
    with pytest.raises(NetworkFileError) as info:
        from_frames(deals(), payer="from", payee="to", amount="usd_bn")
    assert [str(p) for p in info.value.problems] == [
        "commitments: kind: required column is missing (name yours with kind=COLUMN, or "
        "one kind for every row: kind=loan)"]


def test_a_field_both_present_and_mapped_is_refused():
    df = deals().assign(payer="z")
    with pytest.raises(NetworkFileError) as info:
        from_frames(df, **MAP)
    assert "payer: the table has a column 'payer' and payer=from" in str(info.value)


def test_parse_columns_and_unknown_fields():
    assert parse_columns("payer=from,payee=to,amount=usd_bn,kind=type,entities.equity=cap") \
        == {"payer": "from", "payee": "to", "amount": "usd_bn", "kind": "type",
            "entities.equity": "cap"}
    for bad, words in (("payr=from", "unknown field 'payr'"), ("payer", "not FIELD=COLUMN"),
                       ("payer=a,payer=b", "given twice"),
                       ("entities.equty=x", "unknown entity field")):
        with pytest.raises(FinflowError, match=words):
            parse_columns(bad)
    with pytest.raises(FinflowError, match="unknown field 'weight'"):
        from_frames(deals(), columns={"weight": "usd_bn"}, **MAP)
