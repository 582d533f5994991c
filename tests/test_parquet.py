"""Parquet network folders and the fast CSV path (issue 20, loading).

The expected answers are independent of the code under test: a Parquet folder must give
the same tables and analyses as the CSV folder it was written from (equality between
two paths); the fast CSV path must give the cells and line numbers of the exact path
(pandas + the csv module), on hand-written files and on random CSV text; error messages
name the file, the row (1-based, counted by hand from the rows written here) and the
field.
"""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import finflow
from finflow.cli import main
from finflow.errors import FinflowError, NetworkFileError
from finflow.io import folder as folder_mod
from finflow.io.folder import read_csv_with_lines
from finflow.io.tables import _EDGE_SPACE


def _equal_networks(a: finflow.Network, b: finflow.Network) -> None:
    pd.testing.assert_frame_equal(a.entities, b.entities)
    pd.testing.assert_frame_equal(a.commitments, b.commitments)
    ea, eb = a.exposure_matrix(), b.exposure_matrix()
    assert a.index == b.index
    assert (ea != eb).nnz == 0
    ca = finflow.find_cycles(a, max_length=4, limit=5000)
    cb = finflow.find_cycles(b, max_length=4, limit=5000)
    assert [c.nodes for c in ca.cycles] == [c.nodes for c in cb.cycles]
    assert ca.count == cb.count


@pytest.mark.parametrize("source", ["bundled", "generated"])
def test_parquet_copy_loads_to_the_same_network(tmp_path, source):
    net = finflow.load_default() if source == "bundled" else finflow.generate(300, 2000, seed=3)
    net.save(tmp_path / "csv")
    net.save(tmp_path / "pq", format="parquet")
    assert sorted(p.name for p in (tmp_path / "pq").iterdir()) == [
        "commitments.parquet", "entities.parquet", "network.yaml"]
    from_csv = finflow.load(tmp_path / "csv")
    from_pq = finflow.load(tmp_path / "pq")
    _equal_networks(from_csv, from_pq)
    assert len(from_pq.commitments) == len(net.source_tables()[1])
    assert from_pq.metadata["name"] == from_csv.metadata["name"]


def _parquet_folder(folder: Path, entities: pa.Table, commitments: pa.Table) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(entities, folder / "entities.parquet")
    pq.write_table(commitments, folder / "commitments.parquet")
    return folder


def test_parquet_problems_name_file_row_and_field(tmp_path):
    ents = pa.table({"id": ["a", "b", "a"], "equity": [10.0, -1.0, 3.0]})
    coms = pa.table({"payer": ["a", "b", "zz", "a"], "payee": ["b", "a", "a", "a"],
                     "kind": ["loan", "swap", "loan", "loan"],
                     "amount": [4.0, 3.0, -2.0, 1.0]})
    folder = _parquet_folder(tmp_path / "net", ents, coms)
    with pytest.raises(NetworkFileError) as info:
        finflow.load(folder)
    shown = {str(p) for p in info.value.problems}
    ef, cf = folder / "entities.parquet", folder / "commitments.parquet"
    # row numbers count data rows from 1: "a" is written again on the third row
    assert f"{ef}: row 3: id: duplicate entity id 'a' (first at row 1)" in shown
    assert any(s.startswith(f"{cf}: row 2: kind: unknown kind 'swap'") for s in shown)
    assert f"{cf}: row 3: payer: unknown entity 'zz' (not in {ef})" in shown
    assert any(s.startswith(f"{cf}: row 3: amount: -2 is negative") for s in shown)
    assert f"{cf}: row 4: payee: payer and payee are the same entity 'a'" in shown
    assert len(shown) == 5


def test_parquet_text_cells_are_validated_like_csv_cells(tmp_path):
    # a Parquet table may hold numbers as text: the same checks and messages as CSV
    ents = pa.table({"id": ["a", "b"]})
    coms = pa.table({"payer": ["a", "b"], "payee": ["b", "a"], "kind": ["loan", "loan"],
                     "amount": ["4", "lots"], "cancelable": ["yes", "maybe"]})
    folder = _parquet_folder(tmp_path / "net", ents, coms)
    with pytest.raises(NetworkFileError) as info:
        finflow.load(folder)
    cf = folder / "commitments.parquet"
    assert {str(p) for p in info.value.problems} == {
        f"{cf}: row 2: amount: 'lots' is not a number",
        f"{cf}: row 2: cancelable: 'maybe' is not true or false"}


def test_not_a_parquet_file_is_a_clear_error(tmp_path):
    folder = tmp_path / "net"
    folder.mkdir()
    (folder / "entities.parquet").write_bytes(b"id\na\n")
    (folder / "commitments.csv").write_text("payer,payee,kind,amount\n")
    with pytest.raises(NetworkFileError, match=r"entities\.parquet: is not a valid Parquet"):
        finflow.load(folder)


def test_a_folder_with_both_formats_of_a_table_is_ambiguous(tmp_path):
    net = finflow.generate(20, 40, seed=1)
    net.save(tmp_path / "net")
    pq.write_table(pa.table({"id": ["a"]}), tmp_path / "net" / "commitments.parquet")
    with pytest.raises(NetworkFileError) as info:
        finflow.load(tmp_path / "net")
    [problem] = info.value.problems
    assert str(tmp_path / "net" / "commitments.csv") in str(problem)
    assert str(tmp_path / "net" / "commitments.parquet") in str(problem)
    assert "ambiguous" in str(problem)


def test_saving_parquet_never_overwrites_and_replaces_the_csv_when_asked(tmp_path):
    net = finflow.generate(20, 40, seed=1)
    net.save(tmp_path / "net")
    from_csv = finflow.load(tmp_path / "net")
    with pytest.raises(FinflowError, match="will not overwrite"):
        net.save(tmp_path / "net", format="parquet")
    net.save(tmp_path / "net", format="parquet", overwrite=True)
    names = sorted(p.name for p in (tmp_path / "net").iterdir())
    assert names == ["commitments.parquet", "entities.parquet", "network.yaml"]
    _equal_networks(finflow.load(tmp_path / "net"), from_csv)


def test_generate_writes_parquet(tmp_path):
    out = tmp_path / "g"
    res = CliRunner().invoke(main, ["generate", "30", "90", "--format", "parquet", "-o",
                                    str(out)])
    assert res.exit_code == 0, res.output
    assert (out / "commitments.parquet").is_file() and not (out / "commitments.csv").exists()
    res = CliRunner().invoke(main, ["generate", "30", "90", "-o", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    _equal_networks(finflow.load(out), finflow.load(tmp_path / "c"))
    # validate reads a Parquet folder too, and names its files (this seed-0 network
    # has commitments announced after its as_of, a warning)
    res = CliRunner().invoke(main, ["validate", str(out)])
    assert res.exit_code == 0, res.output
    assert f"{out / 'commitments.parquet'}:" in res.output


# ----------------------------------------------------------------- the fast CSV path
def _exact(data: bytes, delimiter: str = ",") -> tuple[pd.DataFrame, np.ndarray] | str:
    try:
        return folder_mod._read_exact(data, "f.csv", delimiter, None)
    except NetworkFileError as exc:
        return str(exc)


def _fast(data: bytes, delimiter: str = ","):
    return folder_mod._read_fast(data, "f.csv", delimiter, None)


def _same(data: bytes, delimiter: str = ",") -> bool:
    """The fast path declines or gives exactly the exact path's cells and lines;
    returns whether it took the file."""
    fast = _fast(data, delimiter)
    if fast is None:
        return False
    exact = _exact(data, delimiter)
    assert not isinstance(exact, str), (data, exact)
    assert list(fast[0].columns) == list(exact[0].columns)
    assert fast[0].astype(object).values.tolist() == exact[0].astype(object).values.tolist()
    assert fast[1].tolist() == exact[1].tolist()
    return True


@pytest.mark.parametrize("text, lines", [
    # blank lines: rows start on lines 2, 4 and 7 (counted in the text)
    ("a,b\n1,2\n\n3,4\n\n\n5,6\n", [2, 4, 7]),
    # a quoted newline: the second row starts on line 4
    ('a,b\n1,"x\ny"\n3,4\n', [2, 4]),
    # doubled quotes, a quoted delimiter, an empty quoted cell, no final newline
    ('a,b\n"say ""hi""","1,5"\n"",x', [2, 3]),
    # CRLF endings read like LF
    ("a,b\r\n1,2\r\n3,4\r\n", [2, 3]),
    # trailing comma: an unnamed empty column is dropped
    ("a,b,\n1,2,\n3,4,\n", [2, 3]),
])
def test_fast_path_takes_regular_files_and_agrees(text, lines):
    assert _same(text.encode("utf-8"))
    assert _fast(text.encode("utf-8"))[1].tolist() == lines


@pytest.mark.parametrize("text", [
    "a,b\n1,2,3\n",          # too many cells
    "a,b\n1\n",              # too few
    'a,b\n1,x"y\n',          # a quote inside an unquoted cell
    'a,b\n1, "y"\n',         # a space before a quote
    "a,a\n1,2\n",            # a duplicate header
    "a,b\n  \n1,2\n",        # a line of spaces
    "\na,b\n1,2\n",          # a blank first line
    "id\nx\n",               # one column
])
def test_fast_path_declines_what_it_cannot_read_exactly(text):
    assert _fast(text.encode("utf-8")) is None


def test_fast_path_with_another_delimiter_and_encoding(tmp_path):
    data = "id;name\na;Zoë\nb;Ödön\n".encode("latin-1")
    frame, lines = read_csv_with_lines(data, "x.csv", delimiter=";", encoding="latin-1")
    assert frame.to_dict("list") == {"id": ["a", "b"], "name": ["Zoë", "Ödön"]}
    assert lines.tolist() == [2, 3]
    assert _same("id\tname\na\tx y\n".encode(), delimiter="\t")


def test_bad_encoding_names_the_line():
    data = "id,name\na,x\nb,\xe9\n".encode("latin-1")
    with pytest.raises(NetworkFileError, match=r"x\.csv:3: is not UTF-8"):
        read_csv_with_lines(data, "x.csv")
    with pytest.raises(NetworkFileError, match=r"x\.csv:3: is not ascii text"):
        read_csv_with_lines(data, "x.csv", encoding="ascii")


_cell = st.one_of(
    st.text(alphabet='aé ,"\n', max_size=5).map(lambda s: '"' + s.replace('"', '""') + '"'),
    st.text(alphabet="ab 1.", max_size=4),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_cell, min_size=3, max_size=3), max_size=6),
       blanks=st.lists(st.integers(0, 2), min_size=7, max_size=7),
       final_newline=st.booleans(), noise=st.sampled_from(["", ",", '"', "x,y"]),
       crlf=st.booleans())
def test_fast_path_equals_exact_path_on_random_csv(rows, blanks, final_newline, noise, crlf):
    """Quoted cells with commas, quotes, newlines and a non-ASCII letter, blank lines
    between rows, Windows line endings, and sometimes a broken row (a stray cell or
    quote): whenever the fast path takes the file, its cells and line numbers are the
    exact path's."""
    lines = ["x,y,z"]
    for k, row in enumerate(rows):
        lines += [""] * blanks[k]
        lines.append(",".join(row))
    if noise and rows:
        lines[-1] += noise
    text = "\n".join(lines) + ("\n" if final_newline else "")
    if crlf:
        text = text.replace("\n", "\r\n")
    _same(text.encode("utf-8"))


def test_regular_files_take_the_fast_path(tmp_path):
    net = finflow.generate(50, 300, seed=2)
    net.save(tmp_path / "n")
    for name in ("entities.csv", "commitments.csv"):
        assert _same((tmp_path / "n" / name).read_bytes())


def test_edge_space_class_is_what_str_strip_removes():
    chars = [chr(c) for c in range(sys.maxunicode + 1) if 0xD800 > c or c > 0xDFFF]
    arr = pa.array(chars)
    flagged = pc.match_substring_regex(arr, _EDGE_SPACE).to_numpy(zero_copy_only=False)
    assert [c for c, f in zip(chars, flagged) if f] == [c for c in chars if c.isspace()]


def test_stripped_ids_that_collide_are_duplicates(tmp_path):
    # "a" and " a " are distinct cells but the same id once stripped (rows 1 and 2)
    (tmp_path / "entities.csv").write_text("id,name\na,A\n a ,B\n")
    (tmp_path / "commitments.csv").write_text("payer,payee,kind,amount\na,a ,loan,1\n")
    with pytest.raises(NetworkFileError) as info:
        finflow.load(tmp_path)
    shown = [str(p) for p in info.value.problems]
    assert f"{tmp_path / 'entities.csv'}:3: id: duplicate entity id 'a' (first at line 2)" \
        in shown


def test_dictionary_encoded_parquet_columns_read_like_text(tmp_path):
    # kinds and statuses are read as codes into distinct texts: spaces are stripped,
    # case folded, a null is the default status, and a bad value is named by its row (3)
    ents = pa.table({"id": ["a", "b"]})
    coms = pa.table({"payer": ["a", "b", "a"], "payee": ["b", "a", "b"],
                     "kind": pa.array(["loan", " Bond ", "loan"]).dictionary_encode(),
                     "amount": [1.0, 2.0, 3.0],
                     "status": pa.array([None, "closed", "nope"]).dictionary_encode()})
    folder = _parquet_folder(tmp_path / "net", ents, coms)
    with pytest.raises(NetworkFileError) as info:
        finflow.load(folder)
    [problem] = info.value.problems
    assert str(problem).startswith(f"{folder / 'commitments.parquet'}: row 3: status: "
                                   "unknown status 'nope'")
    pq.write_table(coms.set_column(4, "status", pa.array([None, "closed", "loi"])
                                   .dictionary_encode()), folder / "commitments.parquet")
    net = finflow.load(folder)
    assert net.commitments["kind"].tolist() == ["loan", "bond", "loan"]
    assert net.commitments["status"].tolist() == ["committed", "closed", "loi"]
