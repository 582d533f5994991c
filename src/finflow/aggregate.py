"""Transaction records -> a network: payments summed per payer, payee, kind and period.

Users with payment or supply-chain data start from transaction records (one row per
payment: payer, payee, amount, and optionally kind and date), far more rows than any table
of commitments. :func:`aggregate` turns them into a network folder: one commitment per
(payer, payee, kind, period) holding the sum of the amounts, and every id seen as an
entity.

The aggregation is written **once**, as SQL (:data:`CHECKED_SQL`, :data:`AGGREGATE_SQL`,
:data:`BAD_ROWS_SQL`), parameterised by the column names and the period, and runs on
two engines:

- **DuckDB** (embedded, the default): out of core, with a memory limit and a temporary
  folder for what does not fit (100 million records aggregate on a 24 GB machine);
- **Spark SQL** (``engine="spark"``, pyspark), for data on a cluster; tested in local mode.

The dialect differences are confined to :data:`DIALECTS` and are only these: identifier
quoting (``"col"`` / ```col```) and the regular-expression test (``regexp_matches(x, p)`` /
``x RLIKE p``). The patterns use no backslash (``[0-9]``, ``[.]``), since Spark's string
literals read backslash escapes and DuckDB's do not. Every other function used
(``TRY_CAST``, ``trim``, ``lower``, ``substr``, ``||``, ``year``, ``month``, ``quarter``,
``make_date``, ``last_day``, ``CASE``) means the same in both.

**No bad row is dropped silently.** Each record is judged by one ``CASE`` (its first
problem, or NULL); the aggregation groups the bad records into one group of their own, so
the same pass that sums the good ones counts the bad ones: every record read is counted
in exactly one group. When any record is bad nothing is written: the
first few are named by file and row (``file: row N: field: problem``; rows count records
after the header, from 1) and :class:`RecordsError` is raised (the CLI exits with
status 2). A record is bad when the payer or payee is missing (empty, or a token finflow
reads as missing: ``na``, ``null``...), payer and payee are the same, the amount is
missing, not a number, negative or not finite, the kind is missing or not one of
finflow's kinds, or the date is missing, not ``YYYY-MM-DD`` (a time may follow), not a
calendar date, or outside the years finflow handles.

What the network says (DESIGN.md sections 1 and 5): each commitment is money that moved,
so ``status`` is ``closed`` and ``funded`` equals ``amount`` (for the flow kinds
``purchase``, ``compute`` and ``lease`` nothing is left unpaid, so they carry no exposure;
for stakes and loans the amount paid is the claim). ``start`` and ``end`` are the first
and last day of the period (with ``period="all"``: the first and last record's date),
``announced`` is ``start``, ``confidence`` is ``high`` (the records are the evidence),
``source`` names the records and ``note`` gives the number of records and their dates.
Without a date column the commitments carry no dates and ``period`` must be ``all``.
``network.yaml`` holds the name, ``as_of`` (the last record's date), a description that
says how many records were aggregated, and the sources.

References
----------
Raasveldt, M. and Mühleisen, H. (2019), "DuckDB: an embeddable analytical database",
SIGMOD '19. Armbrust, M. et al. (2015), "Spark SQL: relational data processing in Spark",
SIGMOD '15.
"""
from __future__ import annotations

import glob
import os
import shutil
import tempfile
import urllib.parse
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from .errors import FinflowError
from .io.tables import MISSING_TOKENS, YEAR_RANGE
from .kinds import KINDS
from .schema import COMMITMENT_COLUMNS, ENTITY_COLUMNS

__all__ = ["aggregate", "aggregate_records", "Aggregation", "RecordsError", "BadRecord",
           "parse_columns", "find_sources", "render_sql", "CHECKED_SQL", "AGGREGATE_SQL",
           "BAD_ROWS_SQL", "DIALECTS", "PERIODS", "ENGINES", "ROLES", "REQUIRED_ROLES"]

#: the columns :func:`aggregate` reads, by role
ROLES = ("payer", "payee", "amount", "kind", "date")
REQUIRED_ROLES = ("payer", "payee", "amount")
PERIODS = ("month", "quarter", "year", "all")
ENGINES = ("duckdb", "spark")
#: how many bad records an error names
BAD_ROWS_SHOWN = 5

_FILE_COL = "__finflow_file"
_ROW_COL = "__finflow_row"

# ---- the SQL, written once ---------------------------------------------------------------
#: Every record with its values cleaned and its first problem (NULL when it has none).
CHECKED_SQL = """
WITH cleaned AS (
  SELECT
    {file_col} AS src_file,
    {row_col} AS src_row,
    trim(CAST({payer} AS STRING)) AS payer,
    trim(CAST({payee} AS STRING)) AS payee,
    {amount_raw} AS amount_raw,
    {amount_value} AS amount,
    {kind_value} AS kind,
    {date_raw} AS date_raw,
    {date_value} AS day
  FROM {records}
),
judged AS (
  SELECT *,
    CASE
      WHEN payer IS NULL OR lower(payer) IN ({missing}) THEN 'payer: missing'
      WHEN payee IS NULL OR lower(payee) IN ({missing}) THEN 'payee: missing'
      WHEN payer = payee THEN 'payee: same as the payer (' || substr(payer, 1, 40) || ')'
      WHEN amount IS NULL AND (amount_raw IS NULL OR {amount_text} = '')
        THEN 'amount: missing'
      WHEN amount IS NULL
        THEN 'amount: ''' || substr({amount_text}, 1, 40) || ''' is not a number'
      WHEN amount < 0
        THEN 'amount: ' || substr({amount_text}, 1, 40)
             || ' is negative (record a refund as a payment the other way)'
      WHEN isnan(amount) OR amount > 1.7976931348623157e308
        THEN 'amount: is not a finite number'
      WHEN kind IS NULL OR kind = '' THEN 'kind: missing'
      WHEN kind NOT IN ({kinds}) THEN 'kind: ''' || substr(kind, 1, 40)
                                      || ''' is not a kind (use {kinds_text})'
      {date_checks}
    END AS problem
  FROM cleaned
)"""

#: The date checks of :data:`CHECKED_SQL` (only when a date column is named).
DATE_CHECKS_SQL = """WHEN date_raw IS NULL OR {date_text} = '' THEN 'date: missing'
      WHEN day IS NULL
        THEN 'date: ''' || substr({date_text}, 1, 40) || ''' is not a date (YYYY-MM-DD)'
      WHEN year(day) < {year_lo} OR year(day) > {year_hi}
        THEN 'date: ' || substr({date_text}, 1, 40)
             || ' is outside the years {year_lo} to {year_hi}'"""

#: The sums: one row per (payer, payee, kind, period) of the good records, and one row
#: (``bad`` true, keys NULL) counting the bad ones.
AGGREGATE_SQL = CHECKED_SQL + """,
keyed AS (
  SELECT
    problem IS NOT NULL AS bad,
    CASE WHEN problem IS NULL THEN payer END AS payer,
    CASE WHEN problem IS NULL THEN payee END AS payee,
    CASE WHEN problem IS NULL THEN kind END AS kind,
    CASE WHEN problem IS NULL THEN {period_start} END AS period_start,
    CASE WHEN problem IS NULL THEN amount END AS amount,
    CASE WHEN problem IS NULL THEN day END AS day
  FROM judged
)
SELECT bad, payer, payee, kind, period_start,
       SUM(amount) AS amount, COUNT(*) AS n_records,
       MIN(day) AS first_day, MAX(day) AS last_day
FROM keyed
GROUP BY bad, payer, payee, kind, period_start"""

#: The first bad records, by file and row.
BAD_ROWS_SQL = CHECKED_SQL + """
SELECT src_file, src_row, problem FROM judged
WHERE problem IS NOT NULL
ORDER BY src_file, src_row
LIMIT {limit}"""

#: the first day of each period, from the record's date ``day`` (the period's last day
#: follows from it and is computed after the query: a key less to group by)
_PERIOD_SQL = {
    "month": "make_date(year(day), month(day), 1)",
    "quarter": "make_date(year(day), (quarter(day) - 1) * 3 + 1, 1)",
    "year": "make_date(year(day), 1, 1)",
    "all": "CAST(NULL AS DATE)",
}
_PERIOD_END = {"month": pd.offsets.MonthEnd(0), "quarter": pd.offsets.QuarterEnd(0),
               "year": pd.offsets.YearEnd(0)}

#: a number written in text: optional sign, digits with an optional decimal part (or a
#: decimal part alone), optional exponent. No backslash (see the module's notes).
_NUMBER_RE = "^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)([eE][+-]?[0-9]+)?$"
#: a date in text: YYYY-MM-DD, optionally followed by a time
_DATE_RE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T].*)?$"


def _quote_double(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _quote_backtick(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class Dialect:
    """What differs between the engines' SQL: identifier quoting and the regex test."""

    quote: Callable[[str], str]
    regex: str   # with {x} (the text) and {p} (the pattern literal)


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect(_quote_double, "regexp_matches({x}, {p})"),
    "spark": Dialect(_quote_backtick, "({x} RLIKE {p})"),
}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_sql(template: str, dialect: str, columns: Mapping[str, str], *,
               period: str = "month", kind: str = "other", text_columns: Iterable[str] = (),
               records: str = "records", limit: int = BAD_ROWS_SHOWN) -> str:
    """The SQL of one of the templates for one engine.

    Parameters
    ----------
    template : str
        :data:`AGGREGATE_SQL` or :data:`BAD_ROWS_SQL`.
    dialect : {"duckdb", "spark"}
        The engine (see :data:`DIALECTS`).
    columns : mapping
        Role (``payer``, ``payee``, ``amount``, optional ``kind`` and ``date``) -> the
        column's name in the records.
    period : {"month", "quarter", "year", "all"}
        The period the amounts are summed over.
    kind : str
        The kind of every commitment when no kind column is named.
    text_columns : iterable of str
        The roles whose column holds text (CSV, or text in Parquet): their numbers and
        dates are checked against a pattern before the cast, so that both engines
        accept the same texts (DuckDB alone would read ``1_000`` as a number).
    records : str
        The relation the records are in (a view holding the columns named, plus the
        file and row columns).
    limit : int
        How many bad records :data:`BAD_ROWS_SQL` returns.

    Returns
    -------
    str
        The query.

    Examples
    --------
    >>> sql = render_sql(AGGREGATE_SQL, "spark", {"payer": "from", "payee": "to",
    ...                  "amount": "usd"}, period="all")
    >>> "`from`" in sql and "GROUP BY bad" in sql
    True
    """
    d = DIALECTS[dialect]
    q = d.quote
    text = set(text_columns)

    def regex(x: str, pattern: str) -> str:
        return d.regex.format(x=x, p=_literal(pattern))

    amount_raw = q(columns["amount"])
    amount_text = f"trim(CAST({amount_raw} AS STRING))"
    if "amount" in text:
        amount_value = (f"CASE WHEN {regex(amount_text, _NUMBER_RE)} "
                        f"THEN TRY_CAST({amount_text} AS DOUBLE) END")
    else:
        amount_value = f"TRY_CAST({amount_raw} AS DOUBLE)"
    if "kind" in columns:
        kind_value = f"lower(trim(CAST({q(columns['kind'])} AS STRING)))"
    else:
        kind_value = _literal(kind)
    if "date" in columns:
        date_raw = q(columns["date"])
        date_text = f"trim(CAST({date_raw} AS STRING))"
        if "date" in text:
            date_value = (f"CASE WHEN {regex(date_text, _DATE_RE)} "
                          f"THEN TRY_CAST(substr({date_text}, 1, 10) AS DATE) END")
        else:
            date_value = f"TRY_CAST({date_raw} AS DATE)"
        date_checks = DATE_CHECKS_SQL.format(year_lo=YEAR_RANGE[0], year_hi=YEAR_RANGE[1],
                                             date_text="trim(CAST(date_raw AS STRING))")
    else:
        date_raw, date_value, date_checks = "CAST(NULL AS STRING)", "CAST(NULL AS DATE)", ""
    return template.format(
        file_col=q(_FILE_COL), row_col=q(_ROW_COL), records=records,
        payer=q(columns["payer"]), payee=q(columns["payee"]),
        amount_raw=amount_raw, amount_value=amount_value, kind_value=kind_value,
        # the text of a raw value, computed in the CASE only for the rows that reach it
        amount_text="trim(CAST(amount_raw AS STRING))",
        date_raw=date_raw, date_value=date_value, date_checks=date_checks,
        missing=", ".join(_literal(t) for t in sorted(MISSING_TOKENS)),
        kinds=", ".join(_literal(k) for k in KINDS), kinds_text=", ".join(KINDS),
        period_start=_PERIOD_SQL[period], limit=int(limit))


# ---- inputs ------------------------------------------------------------------------------
class RecordsError(FinflowError):
    """Transaction records that cannot be aggregated; ``bad`` names the first bad
    records (file, row, field, problem) and ``n_bad`` counts them all."""

    def __init__(self, message: str, bad: Sequence["BadRecord"] = (), n_bad: int = 0):
        self.bad = list(bad)
        self.n_bad = n_bad
        super().__init__(message)


@dataclass(frozen=True)
class BadRecord:
    """One bad record: its file, its row (1-based, records after a CSV's header), the
    field and the problem."""

    file: str
    row: int | None
    field: str
    problem: str

    def __str__(self) -> str:
        where = f"{self.file}: row {self.row}" if self.row is not None else self.file
        return f"{where}: {self.field}: {self.problem}"


def parse_columns(spec: str | Mapping[str, str]) -> dict[str, str]:
    """``payer=from,payee=to,amount=usd[,kind=...,date=...]`` -> role -> column name.

    >>> parse_columns("payer=src, payee=dst, amount=value")
    {'payer': 'src', 'payee': 'dst', 'amount': 'value'}
    """
    if isinstance(spec, Mapping):
        pairs = {str(k).strip().lower(): str(v).strip() for k, v in spec.items()}
    else:
        pairs = {}
        for part in str(spec).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise FinflowError(f"--columns: expected ROLE=COLUMN, got {part.strip()!r} "
                                   f"(roles: {', '.join(ROLES)})")
            role, col = part.split("=", 1)
            role = role.strip().lower()
            if role in pairs:
                raise FinflowError(f"--columns: {role} is given twice")
            pairs[role] = col.strip()
    unknown = [r for r in pairs if r not in ROLES]
    if unknown:
        raise FinflowError(f"--columns: unknown role {', '.join(map(repr, unknown))} "
                           f"(roles: {', '.join(ROLES)})")
    missing = [r for r in REQUIRED_ROLES if not pairs.get(r)]
    if missing:
        raise FinflowError(f"--columns: name the column of {', '.join(missing)} (e.g. "
                           "payer=from,payee=to,amount=usd)")
    empty = [r for r, c in pairs.items() if not c]
    if empty:
        raise FinflowError(f"--columns: {', '.join(empty)} has no column name")
    return {r: pairs[r] for r in ROLES if r in pairs}


_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def find_sources(sources: Sequence[str | Path]) -> tuple[str, list[str]]:
    """The files named by ``sources`` (files, globs with ``*``/``**``, or folders, which
    mean every CSV or Parquet file below them) and their one format.

    Returns ``(format, files)`` with the files sorted and absolute. Raises
    :class:`FinflowError` when a source matches nothing or the files mix formats.
    """
    files: list[str] = []
    if not sources:
        raise FinflowError("name at least one SOURCE (a CSV or Parquet file, a glob or a "
                           "folder)")
    for src in sources:
        s = str(src)
        if os.path.isdir(s):
            found = [f for ext in _FORMATS
                     for f in glob.glob(os.path.join(glob.escape(s), "**", f"*{ext}"),
                                        recursive=True)]
        elif glob.has_magic(s):
            found = glob.glob(s, recursive=True)
        else:
            found = [s] if os.path.exists(s) else []
        found = [f for f in found if os.path.isfile(f)
                 and not os.path.basename(f).startswith((".", "_"))]
        if not found:
            raise FinflowError(f"{s}: no such file, or no CSV or Parquet file matches it")
        files += found
    files = sorted({os.path.abspath(f) for f in files})
    kinds = {}
    for f in files:
        ext = os.path.splitext(f)[1].lower()
        if ext not in _FORMATS:
            raise FinflowError(f"{f}: not a .csv or .parquet file")
        kinds.setdefault(_FORMATS[ext], f)
    if len(kinds) > 1:
        raise FinflowError("the sources mix CSV and Parquet files "
                           f"({kinds['csv']}, {kinds['parquet']}): aggregate one format "
                           "at a time")
    return next(iter(kinds)), files


def _hive_root(files: Sequence[str]) -> str:
    """The folder above the first ``key=value`` folder of the files' common path."""
    common = os.path.commonpath([os.path.dirname(f) for f in files])
    parts = Path(common).parts
    for i, p in enumerate(parts):
        if "=" in p:
            return str(Path(*parts[:i])) if i else common
    return common


# ---- engines -----------------------------------------------------------------------------
_TEXT_TYPES = ("VARCHAR", "STRING", "CHAR", "TEXT")


class _DuckDB:
    """DuckDB, embedded: views over the files, out of core."""

    def __init__(self, fmt: str, files: Sequence[str], memory_limit: str | None,
                 temp_dir: str | None, threads: int | None):
        try:
            import duckdb
        except ImportError:  # pragma: no cover (a dependency)
            raise FinflowError("the duckdb engine needs the duckdb package "
                               "(pip install duckdb)") from None
        self.duckdb = duckdb
        self.fmt, self.files = fmt, list(files)
        self.con = duckdb.connect()
        self.con.execute(f"SET memory_limit = {_literal(memory_limit or '60%')}")
        if temp_dir:
            self.con.execute(f"SET temp_directory = {_literal(temp_dir)}")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET enable_progress_bar = false")
        try:  # timestamps with a time zone become dates in UTC, as on Spark (set below)
            self.con.execute("SET TimeZone = 'UTC'")
        except duckdb.Error:  # pragma: no cover (a DuckDB built without ICU)
            pass
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        listed = "[" + ", ".join(_literal(f) for f in self.files) + "]"
        if fmt == "parquet":
            # can_have_nan: Parquet's min/max statistics leave NaN out, and without this
            # DuckDB folds isnan(x) to false from them, passing a NaN amount as good
            # (duckdb/duckdb#25521)
            reader = (f"read_parquet({listed}, filename = true, file_row_number = true, "
                      "hive_partitioning = true, union_by_name = true, can_have_nan = true)")
            self.con.execute(f"CREATE TEMP VIEW records AS SELECT *, filename AS {_FILE_COL}, "
                             f"file_row_number + 1 AS {_ROW_COL} FROM {reader}")
        else:
            self.con.execute(f"CREATE TEMP VIEW records AS SELECT *, filename AS {_FILE_COL}, "
                             f"CAST(NULL AS BIGINT) AS {_ROW_COL} FROM "
                             f"{self._csv(listed)}")
        self.types = {name: str(typ).upper() for name, typ, *_ in
                      self.con.execute("DESCRIBE records").fetchall()}

    @staticmethod
    def _csv(listed: str) -> str:
        return (f"read_csv({listed}, header = true, delim = ',', quote = '\"', "
                "escape = '\"', all_varchar = true, filename = true, union_by_name = true, "
                "hive_partitioning = true)")

    def located_view(self) -> str:
        """A view whose rows carry their 1-based row in their file (CSV: read file by
        file WITH ORDINALITY, which numbers the rows in file order)."""
        if self.fmt == "parquet":
            return "records"
        parts = [f"SELECT *, {_literal(f)} AS {_FILE_COL}, ordinality AS {_ROW_COL} FROM "
                 f"{self._csv(_literal(f)).replace(', filename = true', '')} WITH ORDINALITY"
                 for f in self.files]
        self.con.execute("CREATE TEMP VIEW located AS " + " UNION ALL BY NAME ".join(parts))
        return "located"

    def run(self, sql: str) -> pd.DataFrame:
        try:
            return self.con.execute(sql).df()
        except self.duckdb.Error as exc:
            raise FinflowError(f"reading the records failed (DuckDB): {_first_line(exc)}") \
                from None

    def close(self) -> None:
        self.con.close()


class _Spark:
    """Spark SQL through pyspark: the same views, the same SQL."""

    def __init__(self, fmt: str, files: Sequence[str], spark: Any = None):
        try:
            from pyspark.sql import SparkSession, functions as F
        except ImportError:
            raise FinflowError("the spark engine needs pyspark (pip install "
                               "'finflow[spark]') and Java") from None
        self.F = F
        self.own = spark is None
        if spark is None:
            spark = SparkSession.getActiveSession()
            self.own = spark is None
        if spark is None:
            spark = (SparkSession.builder.appName("finflow aggregate")
                     .master(os.environ.get("SPARK_MASTER", "local[*]"))
                     .config("spark.ui.enabled", "false")
                     .config("spark.ui.showConsoleProgress", "false")
                     .config("spark.sql.session.timeZone", "UTC")
                     .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                     .getOrCreate())
            spark.sparkContext.setLogLevel("ERROR")
        self.spark = spark
        self.fmt, self.files = fmt, list(files)
        reader = spark.read.option("basePath", _hive_root(self.files))
        if fmt == "csv":
            # every cell as text (no inference), and a malformed line stops the read
            df = (reader.option("header", "true").option("mode", "FAILFAST")
                  .option("quote", '"').option("escape", '"').csv(self.files))
        else:
            df = reader.parquet(*self.files)
        self.df = df.withColumn(_FILE_COL, F.input_file_name())
        self.df.withColumn(_ROW_COL, F.lit(None).cast("long")).createOrReplaceTempView(
            "records")
        self.types = {f.name: f.dataType.simpleString().upper() for f in df.schema.fields}

    def located_view(self) -> str:
        """Rows numbered within their file: monotonically_increasing_id grows in read
        order within a partition, and Spark packs one file's splits in offset order
        (they are sorted by length, stably, and only a file's last split is shorter)."""
        from pyspark.sql import Window
        F = self.F
        w = Window.partitionBy(_FILE_COL).orderBy("__finflow_seq")
        (self.df.withColumn("__finflow_seq", F.monotonically_increasing_id())
         .withColumn(_ROW_COL, F.row_number().over(w))
         .createOrReplaceTempView("located"))
        return "located"

    def run(self, sql: str) -> pd.DataFrame:
        try:
            with warnings.catch_warnings():  # pyspark's note on pandas 3 versions
                warnings.simplefilter("ignore", FutureWarning)
                return self.spark.sql(sql).toPandas()
        except Exception as exc:  # py4j / analysis errors: one clean line
            raise FinflowError(f"reading the records failed (Spark): {_first_line(exc)}") \
                from None

    def close(self) -> None:
        for view in ("records", "located"):
            self.spark.catalog.dropTempView(view)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _uri_path(name: Any) -> str:
    s = str(name)
    if s.startswith("file:"):
        s = urllib.parse.unquote(urllib.parse.urlparse(s).path)
    return s


# ---- the aggregation ---------------------------------------------------------------------
@dataclass(frozen=True)
class Aggregation:
    """What :func:`aggregate_records` found.

    Attributes
    ----------
    groups : DataFrame
        One row per (payer, payee, kind, period_start): ``amount`` (the sum),
        ``n_records``, ``first_day``, ``last_day``, ``period_start``, ``period_end``;
        sorted by payer, payee, kind and period.
    n_records : int
        Records read (all of them good: a bad one raises :class:`RecordsError`).
    files : list of str
        The files read.
    engine : str
        ``duckdb`` or ``spark``.
    sql : str
        The aggregation query as run.
    """

    groups: pd.DataFrame
    n_records: int
    files: list[str]
    engine: str
    sql: str = field(repr=False)


def aggregate_records(sources: Sequence[str | Path], columns: str | Mapping[str, str], *,
                      period: str = "month", kind: str | None = None,
                      engine: str = "duckdb", memory_limit: str | None = None,
                      temp_dir: str | None = None, threads: int | None = None,
                      spark: Any = None) -> Aggregation:
    """Sum transaction records per payer, payee, kind and period (no files written).

    Parameters
    ----------
    sources : sequence of str or Path
        CSV or Parquet files, globs (``records/**/*.parquet``, hive partitions such as
        ``year=2025/month=01`` included) or folders; one format per call.
    columns : str or mapping
        Role -> column: ``payer``, ``payee``, ``amount`` required; ``kind`` and ``date``
        optional (``"payer=from,payee=to,amount=usd"``).
    period : {"month", "quarter", "year", "all"}
        The period the amounts are summed over (needs a date column unless ``all``).
    kind : str, optional
        The kind of every commitment when there is no kind column (default ``other``:
        payments without a priced claim, counted in flows and cycles only).
    engine : {"duckdb", "spark"}
        Where the SQL runs.
    memory_limit : str, optional
        DuckDB's memory limit (``"8GB"``, ``"60%"``; default 60 % of the memory);
        what does not fit spills to ``temp_dir``.
    temp_dir : str, optional
        DuckDB's spill folder (default: a new temporary folder, removed afterwards).
    threads : int, optional
        DuckDB's threads (default: every core).
    spark : SparkSession, optional
        The session to use with ``engine="spark"`` (default: the active one, or a new
        local one with ``SPARK_MASTER`` or ``local[*]``).

    Returns
    -------
    Aggregation

    Raises
    ------
    RecordsError
        Some records are bad: the first few are named by file and row.
    FinflowError
        Bad arguments, no such file, a column that is not in the records.

    Notes
    -----
    The group sums are Σ amount over the records of a (payer, payee, kind, period);
    the bad records form one group of their own in the same GROUP BY, so that each record
    read is counted once, good or bad. See the module's notes
    for the SQL and the rules; Raasveldt and Mühleisen (2019) for DuckDB, Armbrust et
    al. (2015) for Spark SQL.
    """
    cols = parse_columns(columns)
    if period not in PERIODS:
        raise FinflowError(f"period: {period!r} is not one of {', '.join(PERIODS)}")
    if engine not in ENGINES:
        raise FinflowError(f"engine: {engine!r} is not one of {', '.join(ENGINES)}")
    if "date" not in cols and period != "all":
        raise FinflowError(f"--period {period} needs a date column (--columns ...,date=COL); "
                           "without one use --period all")
    if kind is not None and "kind" in cols:
        raise FinflowError("--kind gives the kind of every record when there is no kind "
                           "column; the records have one (--columns kind=...)")
    kind = (kind or "other").strip().lower()
    if kind not in KINDS:
        raise FinflowError(f"--kind: {kind!r} is not a kind (use {', '.join(KINDS)})")
    fmt, files = find_sources(sources)
    own_tmp = None
    if engine == "duckdb":
        if temp_dir is None:
            own_tmp = temp_dir = tempfile.mkdtemp(prefix="finflow-aggregate-")
        eng: Any = _DuckDB(fmt, files, memory_limit, temp_dir, threads)
    else:
        eng = _Spark(fmt, files, spark)
    try:
        absent = [f"{role}={c}" for role, c in cols.items() if c not in eng.types]
        if absent:
            shown = ", ".join(c for c in eng.types if c not in (_FILE_COL, _ROW_COL))
            raise FinflowError(f"--columns: {', '.join(absent)}: no such column in the "
                               f"records (they have: {shown})")
        text = [role for role, c in cols.items()
                if any(eng.types[c].startswith(t) for t in _TEXT_TYPES)]
        sql = render_sql(AGGREGATE_SQL, engine, cols, period=period, kind=kind,
                         text_columns=text)
        out = eng.run(sql)
        bad = out["bad"].astype(bool)
        n_bad = int(out.loc[bad, "n_records"].sum())
        if n_bad:
            view = eng.located_view()
            rows = eng.run(render_sql(BAD_ROWS_SQL, engine, cols, period=period, kind=kind,
                                      text_columns=text, records=view))
            found = []
            for f, r, p in rows.itertuples(index=False):
                fld, _, msg = str(p).partition(": ")
                found.append(BadRecord(_uri_path(f), None if pd.isna(r) else int(r), fld,
                                       msg))
            n = len(found)
            head = (f"{n_bad:,} bad record{'s' if n_bad != 1 else ''} in the transaction "
                    f"records (nothing written)")
            head += f"; the first {n}:" if n_bad > n else ":"
            raise RecordsError(head + "\n" + "\n".join(map(str, found)), found, n_bad)
        groups = out.loc[~bad].drop(columns="bad")
        n_records = int(groups["n_records"].sum())
    finally:
        eng.close()
        if own_tmp:
            shutil.rmtree(own_tmp, ignore_errors=True)
    starts = pd.to_datetime(groups["period_start"], errors="coerce")
    groups["period_end"] = (starts + _PERIOD_END[period]) if period in _PERIOD_END else starts
    for c in ("period_start", "period_end", "first_day", "last_day"):
        groups[c] = _date_text(groups[c])
    groups["amount"] = groups["amount"].astype(float)
    groups["n_records"] = groups["n_records"].astype("int64")
    groups = groups.sort_values(["payer", "payee", "kind", "period_start"],
                                na_position="first", kind="stable").reset_index(drop=True)
    return Aggregation(groups, n_records, files, engine, sql)


def _date_text(col: pd.Series) -> pd.Series:
    """Dates (DuckDB's datetime64 or Spark's datetime.date) as YYYY-MM-DD text or None."""
    text = pd.to_datetime(col, errors="coerce").dt.strftime("%Y-%m-%d").astype(object)
    return text.where(text.notna(), None)


def aggregate(sources: Sequence[str | Path], columns: str | Mapping[str, str], *,
              period: str = "month", kind: str | None = None, engine: str = "duckdb",
              name: str | None = None, currency: str | None = None, unit: str | None = None,
              memory_limit: str | None = None, temp_dir: str | None = None,
              threads: int | None = None, spark: Any = None):
    """A network from transaction records: commitments summed per payer, payee, kind
    and period, every id seen an entity.

    Parameters
    ----------
    sources, columns, period, kind, engine, memory_limit, temp_dir, threads, spark
        As in :func:`aggregate_records`.
    name : str, optional
        The network's name (default: "aggregated transaction records").
    currency, unit : str, optional
        The records' currency and unit, for ``network.yaml`` (default: USD, and unit
        "as in the records").

    Returns
    -------
    Network
        Validated; ``network.save(folder)`` writes it.

    Notes
    -----
    Each commitment: id ``t0000001``... in (payer, payee, kind, period) order, status
    ``closed``, funded = amount, start/end the period's first and last day (``all``: the
    first and last record's date), announced = start, confidence ``high``; the module's
    notes say why. Reference: Raasveldt and Mühleisen (2019), DuckDB.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()) / "r.csv"
    >>> _ = d.write_text("from,to,usd\\na,b,1.5\\na,b,2\\nb,a,4\\n")
    >>> net = aggregate([d], "payer=from,payee=to,amount=usd", period="all")
    >>> net.commitments[["payer", "payee", "amount"]].values.tolist()
    [['a', 'b', 3.5], ['b', 'a', 4.0]]
    """
    from .model import Network
    agg = aggregate_records(sources, columns, period=period, kind=kind, engine=engine,
                            memory_limit=memory_limit, temp_dir=temp_dir, threads=threads,
                            spark=spark)
    g = agg.groups
    m = len(g)
    if m == 0:
        raise FinflowError("the records hold no record to aggregate")
    width = max(7, len(str(m)))
    by_period = period != "all"
    start = g["period_start"] if by_period else g["first_day"]
    end = g["period_end"] if by_period else g["last_day"]
    shown = ", ".join(str(s) for s in sources)
    src = f"transaction records ({shown}), aggregated by finflow"
    note = [f"{n:,} record{'s' if n != 1 else ''}" + (f", {a} to {b}" if a else "")
            for n, a, b in zip(g["n_records"], g["first_day"], g["last_day"])]
    com = pd.DataFrame({
        "id": pd.Series([f"t{i:0{width}d}" for i in range(1, m + 1)], dtype=object),
        "payer": g["payer"].astype(object), "payee": g["payee"].astype(object),
        "kind": g["kind"].astype(object), "amount": g["amount"], "funded": g["amount"],
        "start": start.astype(object), "end": end.astype(object),
        "announced": start.astype(object),
        "status": "closed", "confidence": "high", "cancelable": False, "in_totals": True,
        "source": src, "note": pd.Series(note, dtype=object),
    })
    for c in COMMITMENT_COLUMNS:
        if c not in com:
            com[c] = pd.Series([None] * m, dtype=object) if COMMITMENT_COLUMNS[c] != "amount" \
                else float("nan")
    com = com[list(COMMITMENT_COLUMNS)]
    ids = sorted(set(g["payer"]) | set(g["payee"]))
    ent = pd.DataFrame({"id": pd.Series(ids, dtype=object),
                        "name": pd.Series(ids, dtype=object), "type": "other",
                        "source": src})
    for c in ENTITY_COLUMNS:
        if c not in ent:
            ent[c] = pd.Series([None] * len(ids), dtype=object) \
                if ENTITY_COLUMNS[c] not in ("amount", "signed") else float("nan")
    ent = ent[list(ENTITY_COLUMNS)]
    last = g["last_day"].dropna()
    per = {"month": "month", "quarter": "quarter", "year": "year",
           "all": "the whole span of the records"}[period]
    meta: dict[str, Any] = {
        "name": name or "aggregated transaction records",
        "description": (f"Aggregated by finflow from {agg.n_records:,} transaction records "
                        f"in {len(agg.files):,} file{'s' if len(agg.files) != 1 else ''} "
                        f"({agg.engine}): amounts summed per payer, payee, kind and {per}; "
                        f"{m:,} commitments between {len(ids):,} entities. Each commitment "
                        "is money that moved (status closed, funded = amount)."),
    }
    if len(last):
        meta["as_of"] = str(max(last))
    meta["currency"] = currency or "USD"
    meta["unit"] = unit or "as in the records"
    meta["sources"] = [str(s) for s in sources]
    # built clean: every record passed the SQL checks (ids trimmed and present, no
    # self-payment, kinds known, amounts finite >= 0, dates real), ids are unique, so
    # the frames are what the loader would make; the tests load and validate the files
    return Network(ent, com, meta, validated=True)
