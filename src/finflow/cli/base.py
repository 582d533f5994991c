"""The options every command shares (defined once, applied everywhere).

The CLI parses options, calls the library and renders; it holds no analysis logic.
Exit codes: 0 ok, 1 a failure condition was found where asked (``--fail-on``), 2 bad
input (the message says what to fix; no traceback).
"""
from __future__ import annotations

import functools
import inspect
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click

from ..data import DEFAULT_NETWORK, bundled, bundled_path
from ..errors import FinflowError
# the group, its error handling and InputError live in finflow.cli itself, which imports
# no command module and no pandas (so that --version and --help start fast)
from . import FinflowGroup, InputError, main  # noqa: F401
from .choices import FORMATS, MAX_SEED, YEAR_RANGE
from .complete import complete_network

if TYPE_CHECKING:
    from ..model import Network
# the library (pandas) is imported inside the functions that run a command, so that
# building the options (--help, completion) stays cheap

__all__ = ["main", "InputError", "network_argument", "filter_options", "output_options",
           "csv_raw_option", "csv_raw", "load_network", "network_input_options",
           "NETWORK_INPUT_HELP", "emit", "count", "real", "SEED", "YEAR", "MAX_COUNT",
           "MAX_DRAWS"]

#: bounds of the CLI's counts: a number above them would run for hours or overflow the
#: 64-bit integers numpy works in, so it is refused with the range in the message
MAX_COUNT = 1_000_000
MAX_DRAWS = 100_000


def count(lo: int = 0, hi: int = MAX_COUNT) -> click.IntRange:
    """A whole number in [lo, hi] (the range is shown in ``--help`` and in the error)."""
    return click.IntRange(lo, hi)


class FiniteFloat(click.FloatRange):
    """A number in [lo, hi] that is finite: click's FloatRange lets ``nan`` through (it
    compares false with both ends) and ``inf`` when a side is open."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None):
        rv = super().convert(value, param, ctx)
        if not math.isfinite(rv):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return rv


def real(lo: float | None = None, hi: float | None = None) -> FiniteFloat:
    """A finite number in [lo, hi] (either end may be open)."""
    return FiniteFloat(lo, hi)


#: a random seed: numpy's PCG64 takes any nonnegative integer; 64 bits are plenty
SEED = click.IntRange(0, MAX_SEED)
#: a calendar year finflow's dates hold
YEAR = click.IntRange(*YEAR_RANGE)


def load_network(spec: str | None, as_of: str | None = None) -> Network:
    """The network a user named (a folder, a single commitments file, ``-`` for standard
    input, a bundled network's name, or the default), as it stood on ``as_of`` when
    given (``--as-of``). The running command's ``--delimiter``, ``--encoding`` and
    ``--columns`` (:func:`network_argument`) say how to read a table."""
    from ..io.sources import STDIN, read_source
    from ..model import Network
    ctx = click.get_current_context(silent=True)
    meta = ctx.meta if ctx is not None else {}
    options = {k: meta.get(f"finflow.{k}") for k in ("delimiter", "encoding", "columns")}
    given = [f"--{k}" for k, v in options.items() if v is not None]
    if spec is None or (spec != STDIN and not Path(spec).exists()):
        if spec is None:
            bp = bundled_path(DEFAULT_NETWORK)
        else:
            bp = bundled_path(spec, missing_ok=True)
            if bp is None:
                raise InputError(f"{spec}: no such file or folder, and no bundled network of "
                                 f"that name (bundled: {', '.join(bundled())})")
        if given:
            raise InputError(f"{', '.join(given)}: for your own files (a bundled network "
                             "needs no such option)")
        net = Network.read(bp)
    else:
        # the bytes of standard input (sys.stdin.buffer: click.get_binary_stream is
        # deprecated in click 8.5; click's CliRunner replaces sys.stdin as well)
        stdin = _stdin_bytes() if spec == STDIN else None
        net = read_source(spec, stdin=stdin, **options)
    return net.as_of(as_of) if as_of else net


def _stdin_bytes() -> bytes:
    """Everything on standard input, as bytes."""
    import sys
    stream = getattr(sys.stdin, "buffer", None)
    if stream is not None:
        return stream.read()
    data = sys.stdin.read()
    return data.encode("utf-8") if isinstance(data, str) else data


#: the help of the network input options, shared by every command taking NETWORK
NETWORK_INPUT_HELP = """\b
NETWORK is a folder (entities.csv, commitments.csv, optional
network.yaml), a .json, .graphml or .gexf file, a bundled network's
name, or a single commitments file: .csv (delimiter sniffed among
, ; tab |; decimal commas read in a ;-file), .tsv/.tab, .xlsx (sheet
'commitments', else the first; optional sheet 'entities'), .parquet,
or - for standard input. Without an entities table the entities are
the ids in payer and payee, with equity unknown.

\b
Your own data:
  finflow cycles deals.xlsx --columns payer=from,payee=to,amount=usd_bn,kind=type
  finflow concentration export.csv --delimiter ';' --encoding cp1252
  finflow cycles loans.csv --columns payer=lender,payee=borrower,amount=usd,kind=loan
  cat deals.csv | finflow cycles - --columns payer=from,payee=to,amount=usd_bn,kind=type
"""


def _remember(key: str) -> Callable:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is not None:
            try:
                if key == "delimiter":
                    from ..io.sources import parse_delimiter
                    value = parse_delimiter(value)
                elif key == "columns":
                    from ..io.frames import parse_columns
                    value = parse_columns(value)
                elif key == "encoding":
                    import codecs
                    codecs.lookup(value)
            except LookupError:
                raise click.BadParameter(f"unknown encoding {value!r} (try utf-8, latin-1, "
                                         "cp1252 or utf-16)") from None
            except FinflowError as exc:
                raise click.BadParameter(str(exc).split(": ", 1)[-1]) from None
        ctx.meta[f"finflow.{key}"] = value
        return value
    return callback


def network_input_options(fn: Callable) -> Callable:
    """``--delimiter``, ``--encoding`` and ``--columns``: how to read a network given as
    a table (kept in the click context for :func:`load_network`), and the input help
    appended to the command's own."""
    fn = click.option("--columns", metavar="FIELD=COL,...", expose_value=False,
                      callback=_remember("columns"),
                      help="Your file's column names for finflow's fields, e.g. "
                           "payer=from,payee=to,amount=usd_bn,kind=type (kind=loan: one "
                           "kind for every row; entities.equity=capital: an entity "
                           "column). Unmapped columns are kept.")(fn)
    fn = click.option("--encoding", metavar="CODEC", expose_value=False,
                      callback=_remember("encoding"),
                      help="Text encoding of CSV input: utf-8 (default), latin-1, cp1252, "
                           "utf-16 ...")(fn)
    fn = click.option("--delimiter", metavar="CHAR", expose_value=False,
                      callback=_remember("delimiter"),
                      help="CSV delimiter, one character: , ; | or tab (also \\t). Default: "
                           "sniffed from the header line (tab for .tsv).")(fn)
    doc = inspect.cleandoc(fn.__doc__ or "")
    if "Your own data:" not in doc:
        fn.__doc__ = (doc + "\n\n" + NETWORK_INPUT_HELP).strip() + "\n"
    return fn


def network_argument(fn: Callable) -> Callable:
    """The optional NETWORK argument and :func:`network_input_options`."""
    fn = network_input_options(fn)
    return click.argument("network", required=False, metavar="[NETWORK]",
                          shell_complete=complete_network)(fn)


def filter_options(fn: Callable) -> Callable:
    """``--status``, ``--kinds`` and ``--as-of``, shared by every analysis command."""
    fn = click.option("--as-of", "as_of", metavar="DATE",
                      help="Only commitments announced by DATE and not lapsed by then "
                           "(YYYY, YYYY-MM or YYYY-MM-DD).")(fn)
    fn = click.option("--kinds", metavar="K1,K2",
                      help="Only these kinds (equity, warrant, loan, bond, credit, purchase, "
                           "compute, lease, backstop, other). Default: all.")(fn)
    fn = click.option("--status", metavar="S1,S2",
                      help="Only these statuses (closed, committed, loi, reported, lapsed, or "
                           "'all'). Default: every status but lapsed.")(fn)
    return fn


def _remember_csv_raw(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    ctx.meta["finflow.csv_raw"] = bool(value)
    return value


def csv_raw_option(fn: Callable) -> Callable:
    """``--csv-raw``: CSV cells exactly as in the data (no formula neutralising)."""
    return click.option("--csv-raw", is_flag=True, expose_value=False,
                        callback=_remember_csv_raw,
                        help="CSV output for machine pipelines: text cells exactly as in "
                             "the data. By default a text cell that a spreadsheet would "
                             "run as a formula (starting with = + - @, tab or CR) gets a "
                             "leading ' (numbers are never changed).")(fn)


def csv_raw() -> bool:
    """Whether the running command was given ``--csv-raw``."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.meta.get("finflow.csv_raw"))


def output_options(fn: Callable) -> Callable:
    """``--format``, ``--limit`` (rows of text tables), ``--table`` (one table, or
    ``all``: one CSV per table into ``--output``), ``--force`` and ``--csv-raw``. All but
    the first two are kept in the click context for :func:`emit`, so that every command
    has them without naming them."""
    fn = csv_raw_option(fn)
    inner = fn

    @functools.wraps(inner)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        for key in ("table", "output_dir", "force", "wide"):
            ctx.meta[f"finflow.{key}"] = kwargs.pop(key, None)
        return inner(*args, **kwargs)

    fn = wrapped
    fn = click.option("--wide", "wide", is_flag=True,
                      help="Table format: do not fit the width (on a terminal or with "
                           "COLUMNS set, long text is cut with … and columns that do not "
                           "fit are left out and named).")(fn)
    fn = click.option("--force", "force", is_flag=True,
                      help="With --table all (or a command's own output folder, such as "
                           "timeline --charts): replace finflow's files of the same names "
                           "in the folder (other files are kept).")(fn)
    fn = click.option("--output", "-o", "output_dir", type=click.Path(file_okay=False),
                      default=None, metavar="DIR",
                      help="With --table all: the folder that receives one CSV per table "
                           "(COMMAND-TABLE.csv, the names the report uses).")(fn)
    fn = click.option("--table", "table", metavar="NAME", default=None,
                      help="Only this table of the result (its CSV with -f csv, its rows "
                           "with -f json), or 'all' with -o DIR: one CSV file per table. "
                           "NAME is a heading of the text output in snake_case (e.g. "
                           "totals_by_model); a wrong name lists the choices. Default "
                           "(-f csv): the main table, and a note on stderr names the "
                           "others.")(fn)
    fn = click.option("--limit", type=count(1, 10**9), default=None, metavar="N",
                      help="Show at most N rows per table (table and markdown formats).")(fn)
    fn = click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
                      show_default=True, help="Output format.")(fn)
    return fn


def table_files(command: str, result: Any) -> dict[str, Any]:
    """File name -> table for ``--table all``: ``COMMAND-TABLE.csv``, the names the report
    gives the same tables (one slug rule, :func:`finflow.io.output.safe_slug`)."""
    from ..io.output import safe_slug
    return {f"{command}-{safe_slug(name) or 'table'}.csv": frame
            for name, frame in result.tables().items()}


def emit(result: Any, fmt: str, limit: int | None = None) -> None:
    """Render a result to stdout (or, with ``--table all``, one CSV per table into
    the ``--output`` folder)."""
    from ..render import frame_csv, main_table, render, select_table
    ctx = click.get_current_context(silent=True)
    command = ctx.info_name if ctx is not None and ctx.info_name else "finflow"
    meta = ctx.meta if ctx is not None else {}
    table = meta.get("finflow.table")
    output_dir = meta.get("finflow.output_dir")
    force = bool(meta.get("finflow.force"))
    if table == "all":
        if output_dir is None:
            raise InputError("--table all writes one CSV per table into a folder: add "
                             "-o DIR")
        from ..io.output import OutputFolder
        files = table_files(command, result)
        # the one output layer: no symlink followed, atomic files, a user's file of the
        # same name replaced only with --force, stale tables of an earlier run removed
        folder = OutputFolder(output_dir, force=force, writer=f"{command}-tables",
                              option="-o")
        clash = [n for n in files if (folder.path / n).exists()]
        if clash and not force:
            raise InputError(f"-o: {output_dir} already holds {', '.join(clash)}; choose "
                             "another folder or pass --force to replace them")
        for name, frame in files.items():
            folder.write_text(name, frame_csv(frame, raw=csv_raw()))
            progress(f"wrote {Path(output_dir) / name}")
        folder.finish()
        return
    if output_dir is not None:
        raise InputError("-o DIR goes with --table all (one CSV per table)")
    if table is not None:
        select_table(result, table)  # a clear error naming the tables
    text = render(result, fmt, limit=limit, table=table, csv_raw=csv_raw(),
                  width=None if meta.get("finflow.wide") else output_width())
    click.echo(text, nl=not text.endswith("\n"))
    if fmt == "csv" and table is None:
        names = list(result.tables())
        if len(names) > 1:
            first = main_table(result)
            progress(f"note: wrote the table {first!r}; the others "
                     f"({', '.join(n for n in names if n != first)}) with --table NAME, or "
                     "every table with --table all -o DIR")


def output_width() -> int | None:
    """The width ``--format table`` fits its lines to: the terminal's when stdout is a
    terminal, or ``COLUMNS`` when set (``COLUMNS=100 finflow ... | less``); ``None`` (no
    fitting) when the output goes to a pipe or file, where a program may read it."""
    import os
    import shutil
    import sys
    # sys.stdout, not click.get_text_stream (deprecated in click 8.5): under click's
    # CliRunner it is the runner's captured stream, as a command's output is
    isatty = getattr(sys.stdout, "isatty", None)
    if "COLUMNS" not in os.environ and not (isatty is not None and isatty()):
        return None
    return shutil.get_terminal_size().columns


def progress(message: str) -> None:
    """A progress line on stderr (never mixed into the output; data text in it cannot
    drive the terminal)."""
    from ..render import terminal_text
    click.echo(terminal_text(message), err=True)
