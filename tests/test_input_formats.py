"""Every network input format gives the same network (issue 19, "Any table in").

One small hand-made network is written as a folder (the reference), as a single CSV,
TSV and ``;``-CSV, as .xlsx with and without an entities sheet, as Parquet and on
standard input; each gives the same heaviest cycles (CLI) and the same exposure matrix
(library) as the folder. Expected numbers are computed by hand in the comments.
"""
from __future__ import annotations

import csv
import io
import json
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import finflow
from finflow.cli import main
from finflow.errors import FinflowError, NetworkFileError
from finflow.io.sources import read_source, separator_hint, sniff_delimiter

# money payer -> payee; funded only on the purchase
ROWS = [
    # id, from, to, usd_bn, type, funded
    ("c1", "a", "b", 10.0, "equity", None),
    ("c2", "b", "c", 6.0, "loan", None),
    ("c3", "c", "a", 4.0, "purchase", 1.0),
    ("c4", "b", "a", 3.0, "compute", None),
    ("c5", "c", "d", 2.0, "bond", None),
]
EQUITY = {"a": 5.0, "b": 4.0, "c": 3.0, "d": 1.0}
COLUMNS = "id=ref,payer=from,payee=to,amount=usd_bn,kind=type,funded=paid"
MAP = {"id": "ref", "payer": "from", "payee": "to", "amount": "usd_bn", "kind": "type",
       "funded": "paid"}


def user_frame() -> pd.DataFrame:
    return pd.DataFrame(ROWS, columns=["ref", "from", "to", "usd_bn", "type", "paid"])


def finflow_frame() -> pd.DataFrame:
    return user_frame().rename(columns={v: k for k, v in MAP.items()})


def entities_frame() -> pd.DataFrame:
    return pd.DataFrame({"id": list(EQUITY), "equity": list(EQUITY.values())})


def write_folder(root: Path, sep: str = ",") -> Path:
    folder = root / f"net{'_semi' if sep == ';' else ''}"
    folder.mkdir()
    decimal = "," if sep == ";" else "."  # a ;-export writes decimal commas
    entities_frame().to_csv(folder / "entities.csv", index=False, sep=sep, decimal=decimal)
    finflow_frame().to_csv(folder / "commitments.csv", index=False, sep=sep, decimal=decimal)
    return folder


def run(*args: str, code: int = 0, input: bytes | None = None) -> str:
    result = CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    return result.output


def heaviest_cycles(spec: str, *options: str, input: bytes | None = None) -> str:
    return run("cycles", spec, *options, "-f", "csv", "--table", "heaviest_cycles",
               input=input)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("formats")
    out = {"folder": write_folder(root), "folder_semi": write_folder(root, ";")}
    df = user_frame()
    df.to_csv(root / "deals.csv", index=False)
    df.to_csv(root / "deals.tsv", index=False, sep="\t")
    df.to_csv(root / "deals_semi.csv", index=False, sep=";", decimal=",")
    with pd.ExcelWriter(root / "deals.xlsx") as w:
        df.to_excel(w, sheet_name="deals", index=False)
    with pd.ExcelWriter(root / "with_entities.xlsx") as w:
        pd.DataFrame({"note": ["read me"]}).to_excel(w, sheet_name="readme", index=False)
        entities_frame().to_excel(w, sheet_name="entities", index=False)
        df.to_excel(w, sheet_name="commitments", index=False)
    df.to_parquet(root / "deals.parquet")
    for name in ("deals.csv", "deals.tsv", "deals_semi.csv", "deals.xlsx",
                 "with_entities.xlsx", "deals.parquet"):
        out[name] = root / name
    return out


def test_reference_folder_cycles_by_hand(files):
    rows = list(csv.DictReader(io.StringIO(heaviest_cycles(str(files["folder"])))))
    # a -> b -> c -> a: bottleneck min(10, 6, 4) = 4; a -> b -> a: min(10, 3) = 3
    assert [(r["cycle"], float(r["bottleneck"])) for r in rows] == [
        ("a > b > c > a", 4.0), ("a > b > a", 3.0)]


@pytest.mark.parametrize("name, options", [
    ("folder_semi", ()),                      # ;-separated folder, sniffed
    ("deals.csv", ("--columns", COLUMNS)),
    ("deals.tsv", ("--columns", COLUMNS)),
    ("deals_semi.csv", ("--columns", COLUMNS)),  # ; and decimal commas, sniffed
    ("deals.xlsx", ("--columns", COLUMNS)),
    ("with_entities.xlsx", ("--columns", COLUMNS)),
    ("deals.parquet", ("--columns", COLUMNS)),
])
def test_each_format_same_cycles_as_the_folder(files, name, options):
    assert heaviest_cycles(str(files[name]), *options) == heaviest_cycles(str(files["folder"]))


def test_stdin_same_cycles_as_the_folder(files):
    data = files["deals.csv"].read_bytes()
    assert heaviest_cycles("-", "--columns", COLUMNS, input=data) == \
        heaviest_cycles(str(files["folder"]))
    # a ;-separated export on standard input is sniffed too
    semi = files["deals_semi.csv"].read_bytes()
    assert heaviest_cycles("-", "--columns", COLUMNS, input=semi) == \
        heaviest_cycles(str(files["folder"]))


def expected_exposure() -> np.ndarray:
    # finflow.kinds, default LGDs: equity a->b: a holds 10 x 1.0; compute b->a: a (the
    # seller) holds the unpaid 3 x 0.5; loan b->c: b holds 6 x 0.45; purchase c->a:
    # a holds the unpaid 4 - 1 = 3 x 0.5; bond c->d: c holds 2 x 0.6
    e = np.zeros((4, 4))
    e[0, 1] = 10.0 + 1.5
    e[1, 2] = 2.7
    e[0, 2] = 1.5
    e[2, 3] = 1.2
    return e


@pytest.mark.parametrize("name", ["folder", "folder_semi", "deals.csv", "deals.tsv",
                                  "deals_semi.csv", "deals.xlsx", "with_entities.xlsx",
                                  "deals.parquet"])
def test_each_format_same_exposure_matrix(files, name):
    columns = None if name.startswith("folder") else MAP
    net = finflow.load(files[name], columns=columns)
    assert net.index == ("a", "b", "c", "d")
    np.testing.assert_allclose(net.exposure_matrix().toarray(), expected_exposure())
    assert list(net.commitments["id"]) == ["c1", "c2", "c3", "c4", "c5"]
    if name.startswith("folder"):  # the ;-folder's decimal commas read as numbers
        assert net.entities["equity"].tolist() == list(EQUITY.values())


def test_entities_sheet_carries_equity_and_single_files_do_not(files):
    with_ent = finflow.load(files["with_entities.xlsx"], columns=MAP)
    assert with_ent.entities["equity"].tolist() == list(EQUITY.values())
    assert finflow.load(files["deals.xlsx"], columns=MAP).entities["equity"].isna().all()
    # with the same equity, the default cascade is the folder's
    folder_out = run("contagion", str(files["folder"]), "--default", "c", "-f", "json")
    xlsx_out = run("contagion", str(files["with_entities.xlsx"]), "--columns", COLUMNS,
                   "--default", "c", "-f", "json")
    assert unnamed(json.loads(xlsx_out)) == unnamed(json.loads(folder_out))


def unnamed(value):
    """A JSON result without the network's name (the folder's or the file's)."""
    if isinstance(value, dict):
        return {k: unnamed(v) for k, v in value.items() if k != "network"}
    if isinstance(value, list):
        return [unnamed(v) for v in value]
    return value


def test_show_and_contagion_on_an_xlsx_deal_list(files):
    """The issue's acceptance: deals.xlsx with from, to, usd_bn, type and no entities."""
    out = json.loads(run("show", str(files["deals.xlsx"]), "--columns",
                         "payer=from,payee=to,amount=usd_bn,kind=type", "-f", "json"))
    assert out["n_entities"] == 4 and out["n_commitments"] == 5
    assert out["total_amount"] == pytest.approx(25.0)  # 10 + 6 + 4 + 3 + 2
    # contagion without equity: the models say which entities lack it (exit 2, no crash)
    msg = run("contagion", str(files["deals.xlsx"]), "--columns",
              "payer=from,payee=to,amount=usd_bn,kind=type", "--default", "a", code=2)
    assert "lack equity" in msg
    ok = run("contagion", str(files["deals.xlsx"]), "--columns",
             "payer=from,payee=to,amount=usd_bn,kind=type", "--default", "a",
             "--missing-equity", "zero", "-f", "json")
    assert json.loads(ok)


def test_latin1_file_with_a_non_ascii_name(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes("from,to,usd_bn,type\nbnp,soci\u00e9t\u00e9,2,loan\n"
                     "soci\u00e9t\u00e9,bnp,1,purchase\n".encode("latin-1"))
    out = json.loads(run("show", str(path), "--encoding", "latin-1", "--columns",
                         "payer=from,payee=to,amount=usd_bn,kind=type", "-f", "json"))
    assert sorted(e["id"] for e in out["entities"]) == ["bnp", "soci\u00e9t\u00e9"]
    # read as UTF-8, the first byte that is not UTF-8 is on line 2
    msg = run("show", str(path), "--columns", "payer=from,payee=to,amount=usd_bn,kind=type",
              code=2)
    assert f"{path}:2: is not UTF-8 text (byte 0xe9)" in msg


def test_utf16_with_encoding_option(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_bytes("from\tto\tusd_bn\ttype\nx\ty\t1\tloan\n".encode("utf-16"))
    net = finflow.load(path, encoding="utf-16", columns="payer=from,payee=to,amount=usd_bn,"
                                                       "kind=type")
    assert net.index == ("x", "y")


def test_missing_mapped_column_names_file_and_column(files):
    msg = run("cycles", str(files["deals.csv"]), "--columns",
              "payer=frm,payee=to,amount=usd_bn,kind=type", code=2)
    assert (f"{files['deals.csv']}:1: frm: no such column (for payer=frm); the columns are: "
            "ref, from, to, usd_bn, type, paid") in msg


def test_unknown_field_in_columns_option(files):
    msg = run("show", str(files["deals.csv"]), "--columns", "payr=from", code=2)
    assert "unknown field 'payr'" in msg


def test_bad_kind_at_its_real_line(tmp_path):
    path = tmp_path / "deals.csv"
    # line 1 header; row 1 spans lines 2-3 (a quoted newline); row 2 line 4; row 3 line 5
    path.write_text('from,to,usd_bn,type,note\n'
                    'a,b,1,loan,"two\nlines"\n'
                    'b,c,2,equity,\n'
                    'c,a,3,swap,\n', encoding="utf-8")
    msg = run("cycles", str(path), "--columns", "payer=from,payee=to,amount=usd_bn,kind=type",
              code=2)
    assert f"{path}:5: type: unknown kind 'swap'; choose from" in msg


def test_bad_cells_in_xlsx_and_parquet_name_sheet_and_row(tmp_path):
    df = user_frame()
    df.loc[1, "type"] = "swap"  # the second data row: sheet row 3 (header = row 1)
    with pd.ExcelWriter(tmp_path / "d.xlsx") as w:
        df.to_excel(w, sheet_name="deals", index=False)
    msg = run("show", str(tmp_path / "d.xlsx"), "--columns", COLUMNS, code=2)
    assert f"{tmp_path / 'd.xlsx'}: deals!row 3: type: unknown kind 'swap'" in msg
    df.to_parquet(tmp_path / "d.parquet")
    msg = run("show", str(tmp_path / "d.parquet"), "--columns", COLUMNS, code=2)
    assert f"{tmp_path / 'd.parquet'}: row 2: type: unknown kind 'swap'" in msg


def test_semicolon_file_without_sniffable_header(tmp_path):
    path = tmp_path / "export.csv"
    # the header has as many commas as semicolons, so it sniffs as comma-separated; the
    # rows are ;-separated with decimal commas ("has 2 cells" alone would mislead)
    path.write_text("from;to;usd_bn,type,x\na;b;1,5;loan\nb;a;2,0;loan\n", encoding="utf-8")
    assert sniff_delimiter(path.read_text()) == ","
    msg = run("show", str(path), code=2)
    assert f"{path}: looks ';'-separated: use --delimiter ';'" in msg
    # a plain ;-export forced to commas says the same
    semi = tmp_path / "semi.csv"
    semi.write_text("from;to;usd_bn;type\na;b;1,5;loan\n", encoding="utf-8")
    msg = run("show", str(semi), "--delimiter", ",", "--columns",
              "payer=from,payee=to,amount=usd_bn,kind=type", code=2)
    assert f"{semi}: looks ';'-separated: use --delimiter ';'" in msg


def test_binary_junk_as_xlsx_and_parquet(tmp_path):
    rng = np.random.default_rng(19)
    for name in ("junk.xlsx", "junk.parquet"):
        (tmp_path / name).write_bytes(rng.integers(0, 256, 500, dtype=np.uint8).tobytes())
    msg = run("show", str(tmp_path / "junk.xlsx"), code=2)
    assert f"{tmp_path / 'junk.xlsx'}: is not an Excel .xlsx workbook" in msg
    msg = run("cycles", str(tmp_path / "junk.parquet"), code=2)
    assert f"{tmp_path / 'junk.parquet'}: is not a Parquet file" in msg


def test_delimiter_option_forms(files, tmp_path):
    tsv = tmp_path / "deals.txt"
    tsv.write_bytes(files["deals.tsv"].read_bytes())
    for form in ("tab", "\\t", "\t"):
        assert heaviest_cycles(str(tsv), "--delimiter", form, "--columns", COLUMNS) == \
            heaviest_cycles(str(files["folder"]))
    msg = run("show", str(tsv), "--delimiter", "ab", code=2)
    assert "--delimiter" in msg and "not one character" in msg
    msg = run("show", str(tsv), "--encoding", "klingon", code=2)
    assert "unknown encoding 'klingon'" in msg


def test_options_on_a_bundled_network_or_an_excel_file_are_refused(files):
    msg = run("show", "--delimiter", ";", code=2)
    assert "--delimiter" in msg
    with pytest.raises(FinflowError, match="apply to CSV text"):
        read_source(files["deals.xlsx"], delimiter=";")


def test_stdin_errors_are_named_stdin():
    msg = run("show", "-", "--columns", "payer=from,payee=to,amount=usd_bn,kind=type",
              input=b"from,to,usd_bn,type\na,b,x,loan\n", code=2)
    assert "<stdin>:2: usd_bn: 'x' is not a number" in msg


def test_validate_on_a_single_file(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("payer,payee,amount,kind\na,b,1,loan\nb,a,-2,loan\n", encoding="utf-8")
    msg = run("validate", str(path), code=2)
    assert f"{path}:3: amount: -2 is negative" in msg


def test_separator_hint_needs_every_line():
    assert separator_hint("a;b\nc;d\n", ",") == ";"
    # a comma CSV with a ; in one note is not ;-separated
    assert separator_hint("a,b,note\n1,2,x;y\n3,4,z\n", ",") is None


def test_library_errors_for_read_source(tmp_path):
    with pytest.raises(FinflowError, match="no such file or folder"):
        read_source(tmp_path / "absent.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(NetworkFileError, match="old Excel .xls workbook"):
        read_source(tmp_path / "old.xls")


def test_the_help_examples_of_your_own_data_run(tmp_path, monkeypatch):
    """Each example under "Your own data:" in a command's --help runs on files of the
    shape it names (written here), piping included."""
    help_text = run("cycles", "--help")
    block = help_text.split("Your own data:", 1)[1].split("Options:", 1)[0]
    examples = [line.strip() for line in block.splitlines() if "finflow" in line]
    assert len(examples) == 4
    monkeypatch.chdir(tmp_path)
    df = user_frame()
    df.to_csv("deals.csv", index=False)
    with pd.ExcelWriter("deals.xlsx") as w:
        df.to_excel(w, sheet_name="deals", index=False)
    finflow_frame().assign(payer=["caf\u00e9"] + list(finflow_frame()["payer"][1:])).to_csv(
        "export.csv", index=False, sep=";", decimal=",", encoding="cp1252")
    pd.DataFrame({"lender": ["a", "b"], "borrower": ["b", "a"], "usd": [1.0, 2.0]}).to_csv(
        "loans.csv", index=False)
    for example in examples:
        stdin = None
        if "|" in example:
            feed, example = (part.strip() for part in example.split("|", 1))
            stdin = Path(shlex.split(feed)[1]).read_bytes()
        run(*shlex.split(example)[1:], input=stdin)
