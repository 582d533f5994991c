"""finflow aggregate: transaction records -> a network, on DuckDB and on Spark SQL.

Expected answers come from a hand-computed case (numbers in the comments), from a pandas
groupby of the same records (an independent path), and from equality between engines,
formats and ways of naming the files.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import finflow
from finflow.aggregate import RecordsError, aggregate, aggregate_records
from finflow.cli import main
from finflow.generate import generate_transactions

COLS = "payer=from,payee=to,amount=usd,kind=kind,date=day"
GEN_COLS = "payer=payer,payee=payee,amount=amount,kind=kind,date=date"

# pyspark's own notes on pandas 3 (it works; they say nothing about finflow)
pytestmark = [pytest.mark.filterwarnings("ignore::FutureWarning:pyspark"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

SMALL = """from,to,usd,kind,day
a,b,1.5,loan,2025-01-03
a,b,2,loan,2025-01-20
b,a,4,purchase,2025-02-01
a,b,10,loan,2025-04-01
c,a,0.25,other,2025-04-15
"""
# By hand, per month: a->b loan January 1.5 + 2 = 3.5 (2 records, 2025-01-01..01-31);
# b->a purchase February 4 (2025-02-01..02-28); a->b loan April 10; c->a other April 0.25.
# Per quarter: a->b loan Q1 3.5 and Q2 10 (Q2 = 2025-04-01..06-30); b->a Q1 4; c->a Q2 0.25.
# Whole span: a->b loan 13.5 (2025-01-03..04-01), b->a 4, c->a 0.25.


def _bad_csv(path: Path) -> Path:
    path.write_text(
        "from,to,usd,kind,day\n"
        "a,b,1,loan,2025-01-03\n"        # row 1 good
        "a,b,x,loan,2025-01-03\n"        # row 2: amount not a number
        ",b,2,loan,2025-01-20\n"         # row 3: payer missing
        "b,a,-4,purchase,2025-02-01\n"   # row 4: negative
        "a,b,1,loan,2025-02-30\n"        # row 5: no such day
        "a,a,1,loan,2025-01-01\n"        # row 6: self-payment
        "a,b,1,junk,2025-01-01\n"        # row 7: unknown kind
        "a,b,1_000,loan,2025-01-01\n"    # row 8: not a plain number (DuckDB alone reads 1000)
        "a,b,1,loan,\n")                 # row 9: date missing
    return path


@pytest.fixture(scope="module")
def small_csv(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("small") / "records.csv"
    p.write_text(SMALL)
    return p


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, Path]:
    """The same 30,000 synthetic records as partitioned Parquet and as CSV (same seed)."""
    root = tmp_path_factory.mktemp("gen")
    for fmt, part in (("parquet", "month"), ("csv", "none")):
        generate_transactions(30_000, root / fmt, n_entities=40, seed=3, fmt=fmt,
                              partition=part, chunk=16_000)
    return {"parquet": root / "parquet", "csv": root / "csv"}


def _pandas_groupby(folder: Path) -> pd.DataFrame:
    """The independent path: read every file with pyarrow, group with pandas."""
    files = sorted(folder.rglob("*.parquet")) or sorted(folder.rglob("*.csv"))
    frames = [pq.read_table(f).to_pandas() if f.suffix == ".parquet"
              else pd.read_csv(f, dtype={"payer": str, "payee": str, "kind": str})
              for f in files]
    df = pd.concat(frames, ignore_index=True)
    df["month"] = pd.to_datetime(df["date"]).dt.strftime("%Y-%m-01")
    g = (df.groupby(["payer", "payee", "kind", "month"], as_index=False)
         .agg(amount=("amount", "sum"), n=("amount", "size")))
    return g.sort_values(["payer", "payee", "kind", "month"]).reset_index(drop=True)


def _key(net: finflow.Network) -> pd.DataFrame:
    c = net.commitments
    return (pd.DataFrame({"payer": c["payer"].astype(str), "payee": c["payee"].astype(str),
                          "kind": c["kind"].astype(str), "start": c["start"].astype(str),
                          "end": c["end"].astype(str), "amount": c["amount"].astype(float),
                          "note": c["note"].astype(str)})
            .sort_values(["payer", "payee", "kind", "start"]).reset_index(drop=True))


def _same_network(a: finflow.Network, b: finflow.Network) -> None:
    ka, kb = _key(a), _key(b)
    pd.testing.assert_frame_equal(ka.drop(columns="amount"), kb.drop(columns="amount"))
    np.testing.assert_allclose(ka["amount"], kb["amount"], rtol=1e-12)
    assert sorted(a.entities["id"]) == sorted(b.entities["id"])


# ---- DuckDB ------------------------------------------------------------------------------
def test_hand_computed_small_case(small_csv):
    net = aggregate([small_csv], COLS, period="month")
    c = net.commitments
    got = list(zip(c["payer"], c["payee"], c["kind"], c["amount"], c["start"], c["end"]))
    assert got == [("a", "b", "loan", 3.5, "2025-01-01", "2025-01-31"),
                   ("a", "b", "loan", 10.0, "2025-04-01", "2025-04-30"),
                   ("b", "a", "purchase", 4.0, "2025-02-01", "2025-02-28"),
                   ("c", "a", "other", 0.25, "2025-04-01", "2025-04-30")]
    assert list(c["id"]) == ["t0000001", "t0000002", "t0000003", "t0000004"]
    assert (c["status"] == "closed").all() and (c["funded"] == c["amount"]).all()
    assert list(c["note"])[0] == "2 records, 2025-01-03 to 2025-01-20"
    assert sorted(net.entities["id"]) == ["a", "b", "c"]
    assert net.metadata["as_of"] == "2025-04-15"          # the last record's date
    assert "from 5 transaction records" in net.metadata["description"]
    q = aggregate([small_csv], COLS, period="quarter").commitments
    assert list(zip(q["amount"], q["start"], q["end"]))[:2] == [
        (3.5, "2025-01-01", "2025-03-31"), (10.0, "2025-04-01", "2025-06-30")]
    whole = aggregate([small_csv], COLS, period="all").commitments
    assert list(zip(whole["amount"], whole["start"], whole["end"]))[0] == (
        13.5, "2025-01-03", "2025-04-01")


def test_no_kind_column_takes_the_constant_kind(small_csv):
    net = aggregate([small_csv], "payer=from,payee=to,amount=usd", period="all",
                    kind="purchase")
    c = net.commitments
    # a->b: 1.5 + 2 + 10 = 13.5; b->a 4; c->a 0.25; no dates without a date column
    assert list(zip(c["payer"], c["payee"], c["kind"], c["amount"])) == [
        ("a", "b", "purchase", 13.5), ("b", "a", "purchase", 4.0),
        ("c", "a", "purchase", 0.25)]
    assert c["start"].isna().all() and "as_of" not in net.metadata
    with pytest.raises(finflow.FinflowError, match="needs a date column"):
        aggregate([small_csv], "payer=from,payee=to,amount=usd", period="month")


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_duckdb_equals_pandas_groupby(generated, fmt):
    agg = aggregate_records([generated[fmt]], GEN_COLS, period="month")
    g = agg.groups
    want = _pandas_groupby(generated[fmt])
    assert agg.n_records == 30_000 == int(want["n"].sum())
    assert list(g["payer"]) == list(want["payer"]) and list(g["kind"]) == list(want["kind"])
    assert list(g["period_start"]) == list(want["month"])
    assert list(g["n_records"]) == list(want["n"])
    np.testing.assert_allclose(g["amount"], want["amount"], rtol=1e-12)


def test_csv_and_parquet_give_the_same_network(generated):
    _same_network(aggregate([generated["parquet"]], GEN_COLS),
                  aggregate([generated["csv"]], GEN_COLS))


def test_globs_folders_and_files_name_the_same_records(generated):
    root = generated["parquet"]
    by_folder = aggregate([root], GEN_COLS)
    by_glob = aggregate([str(root / "**" / "*.parquet")], GEN_COLS)
    files = sorted(str(f) for f in root.rglob("*.parquet"))
    by_files = aggregate(files, GEN_COLS)
    _same_network(by_folder, by_glob)
    _same_network(by_folder, by_files)
    # a glob over one partition: January only
    jan = aggregate([str(root / "year=2025" / "month=01" / "*.parquet")], GEN_COLS)
    assert set(jan.commitments["start"]) == {"2025-01-01"}
    full = _key(by_folder)
    np.testing.assert_allclose(jan.commitments["amount"].sum(),
                               full.loc[full["start"] == "2025-01-01", "amount"].sum())


def _kind_in_path(root: Path) -> Path:
    """A hive dataset whose kind is only in the folder names (kind=loan/, kind=purchase/)."""
    for kind, rows in (("loan", [("a", "b", 1.0), ("a", "b", 2.0)]),
                       ("purchase", [("b", "a", 5.0)])):
        d = root / "ds" / f"kind={kind}"
        d.mkdir(parents=True)
        pq.write_table(pa.table({"from": [r[0] for r in rows], "to": [r[1] for r in rows],
                                 "usd": [r[2] for r in rows]}), d / "part-0.parquet")
    return root / "ds"


def test_hive_partition_column_is_read_from_the_path(tmp_path):
    net = aggregate([_kind_in_path(tmp_path)], "payer=from,payee=to,amount=usd,kind=kind",
                    period="all")
    c = net.commitments
    # a->b loan 1 + 2 = 3; b->a purchase 5
    assert list(zip(c["payer"], c["kind"], c["amount"])) == [("a", "loan", 3.0),
                                                             ("b", "purchase", 5.0)]


def test_bad_rows_named_by_file_and_row(tmp_path):
    good = tmp_path / "a.csv"
    good.write_text(SMALL)
    bad = _bad_csv(tmp_path / "b.csv")
    with pytest.raises(RecordsError) as info:
        aggregate_records([good, bad], COLS)
    err = info.value
    assert err.n_bad == 8                      # rows 2-9 of b.csv; none dropped silently
    assert [(r.file, r.row, r.field) for r in err.bad] == [
        (str(bad), 2, "amount"), (str(bad), 3, "payer"), (str(bad), 4, "amount"),
        (str(bad), 5, "date"), (str(bad), 6, "payee")]
    assert f"{bad}: row 2: amount: 'x' is not a number" in str(err)
    assert "8 bad records" in str(err)


def test_bad_parquet_rows_named_by_row(tmp_path):
    pq.write_table(pa.table({"from": ["a", "a", "a", None, "b"],
                             "to": ["b", "b", "b", "a", "a"],
                             "usd": [1.0, 2.0, -3.0, 1.0, float("nan")]}), tmp_path / "p.parquet")
    with pytest.raises(RecordsError) as info:
        aggregate_records([tmp_path / "p.parquet"], "payer=from,payee=to,amount=usd",
                          period="all")
    assert [(r.row, r.field) for r in info.value.bad] == [(3, "amount"), (4, "payer"),
                                                          (5, "amount")]


def test_cli_writes_a_network_that_loads_and_validates(generated, tmp_path):
    out = tmp_path / "net"
    runner = CliRunner()
    args = ["aggregate", str(generated["parquet"] / "**" / "*.parquet"), "-o", str(out),
            "--columns", GEN_COLS, "--name", "ledger 2025"]
    r = runner.invoke(main, args)
    assert r.exit_code == 0, r.output
    net = finflow.load(out)
    assert net.metadata["name"] == "ledger 2025"
    assert int(net.commitments["note"].str.split(" ").str[0].str.replace(",", "")
               .astype(int).sum()) == 30_000      # every record is in one commitment
    v = runner.invoke(main, ["validate", str(out)])
    assert v.exit_code == 0, v.output
    again = runner.invoke(main, args)          # no overwriting without --force
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(main, args + ["--force"]).exit_code == 0


def test_cli_bad_rows_exit_2_and_write_nothing(tmp_path):
    bad = _bad_csv(tmp_path / "b.csv")
    out = tmp_path / "net"
    r = CliRunner().invoke(main, ["aggregate", str(bad), "-o", str(out), "--columns", COLS])
    assert r.exit_code == 2
    assert f"{bad}: row 3: payer: missing" in r.output
    assert "Traceback" not in r.output
    assert not (out / "commitments.csv").exists()


def test_cli_names_a_column_that_is_absent(small_csv, tmp_path):
    r = CliRunner().invoke(main, ["aggregate", str(small_csv), "-o", str(tmp_path / "n"),
                                  "--columns", "payer=from,payee=dest,amount=usd", "--period", "all"])
    assert r.exit_code == 2 and "payee=dest: no such column" in r.output


def test_generate_transactions_reproducible_and_cli(tmp_path):
    a = generate_transactions(5_000, tmp_path / "a", n_entities=30, seed=9, chunk=2_000)
    b = generate_transactions(5_000, tmp_path / "b", n_entities=30, seed=9, chunk=2_000)
    c = generate_transactions(5_000, tmp_path / "c", n_entities=30, seed=10, chunk=2_000)
    ta = [pq.read_table(f) for f in a["files"]]
    assert all(x.equals(pq.read_table(y)) for x, y in zip(ta, b["files"]))
    assert not ta[0].equals(pq.read_table(c["files"][0]))
    assert sum(t.num_rows for t in ta) == 5_000
    runner = CliRunner()
    r = runner.invoke(main, ["generate", "--transactions", "1000", "--entities", "20",
                             "--format", "csv", "--partition", "month", "-o",
                             str(tmp_path / "cli")])
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "cli").rglob("*.csv"))) == 12
    again = runner.invoke(main, ["generate", "--transactions", "10", "-o",
                                 str(tmp_path / "cli")])
    assert again.exit_code == 2 and "not empty" in again.output
    # the network form of generate is unchanged
    r = runner.invoke(main, ["generate", "10", "20", "-o", str(tmp_path / "net")])
    assert r.exit_code == 0 and len(finflow.load(tmp_path / "net").commitments) == 20


# ---- Spark (local mode) ------------------------------------------------------------------
@pytest.fixture(scope="module")
def spark():
    """One local SparkSession for the module (start-up costs seconds). Skipped when pyspark
    or Java is absent, except in CI, where the Spark tests must run."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        SparkSession = None
    java = shutil.which("java") or os.environ.get("JAVA_HOME")
    if SparkSession is None or not java:
        why = "pyspark is not installed" if SparkSession is None else "Java is not installed"
        if os.environ.get("CI"):
            pytest.fail(f"{why}: CI must run the Spark tests (.ci/run installs both)")
        pytest.skip(why)
    session = (SparkSession.builder.master("local[1]").appName("finflow-tests")
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", "2")
               .config("spark.sql.session.timeZone", "UTC")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_gives_the_same_network(spark, small_csv, generated):
    _same_network(aggregate([small_csv], COLS, engine="spark", spark=spark),
                  aggregate([small_csv], COLS))
    # (CSV is covered by the small file; Spark reads files slowly, so one generated set)
    _same_network(aggregate([generated["parquet"]], GEN_COLS, engine="spark", spark=spark),
                  aggregate([generated["parquet"]], GEN_COLS))


def test_spark_reads_hive_partitions_and_globs(spark, tmp_path, generated):
    ds = _kind_in_path(tmp_path)
    cols = "payer=from,payee=to,amount=usd,kind=kind"
    _same_network(aggregate([str(ds / "kind=*" / "*.parquet")], cols, period="all",
                            engine="spark", spark=spark),
                  aggregate([ds], cols, period="all"))
    jan = str(generated["parquet"] / "year=2025" / "month=01" / "*.parquet")
    _same_network(aggregate([jan], GEN_COLS, engine="spark", spark=spark),
                  aggregate([jan], GEN_COLS))


def test_spark_names_the_same_bad_rows(spark, tmp_path):
    bad = _bad_csv(tmp_path / "b.csv")
    found = {}
    for engine in ("duckdb", "spark"):
        with pytest.raises(RecordsError) as info:
            aggregate_records([bad], COLS, engine=engine, spark=spark)
        found[engine] = [(r.file, r.row, r.field, r.problem) for r in info.value.bad]
        assert info.value.n_bad == 8
    assert found["spark"] == found["duckdb"]


def test_spark_row_numbers_hold_when_a_file_is_split(spark, tmp_path):
    # 3,000 rows in one file read in many small splits: rows stay numbered in file order
    lines = ["from,to,usd"] + [f"a,b,{i}" for i in range(3000)]
    lines[1501] = "a,b,oops"      # row 1501
    lines[2999] = ",b,1"          # row 2999
    f = tmp_path / "big.csv"
    f.write_text("\n".join(lines) + "\n")
    old = spark.conf.get("spark.sql.files.maxPartitionBytes")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    try:
        with pytest.raises(RecordsError) as info:
            aggregate_records([f], "payer=from,payee=to,amount=usd", period="all",
                              engine="spark", spark=spark)
    finally:
        spark.conf.set("spark.sql.files.maxPartitionBytes", old)
    assert [(r.row, r.field) for r in info.value.bad] == [(1501, "amount"), (2999, "payer")]


def test_cli_choices_equal_the_librarys():
    import importlib
    lib = importlib.import_module("finflow.aggregate")
    cli = importlib.import_module("finflow.cli.aggregate")
    gen = importlib.import_module("finflow.generate")   # (finflow.generate is a function)
    assert (cli.PERIODS, cli.ENGINES) == (lib.PERIODS, lib.ENGINES)
    assert (cli.MAX_TRANSACTIONS, cli.TRANSACTION_FORMATS, cli.TRANSACTION_PARTITIONS) == (
        gen.MAX_TRANSACTIONS, gen.TRANSACTION_FORMATS, gen.TRANSACTION_PARTITIONS)
