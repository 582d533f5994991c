"""The click group and the options every command shares (defined once, applied everywhere).

The CLI parses options, calls the library and renders; it holds no analysis logic.
Exit codes: 0 ok, 1 a failure condition was found where asked (``--fail-on``), 2 bad
input (the message says what to fix; no traceback).
"""
from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable

import click

from .. import __version__
from ..data import DEFAULT_NETWORK, bundled, bundled_path
from ..errors import FinflowError, NetworkFileError
from ..model import Network
from ..render import FORMATS, render, terminal_text

__all__ = ["main", "InputError", "network_argument", "filter_options", "output_options",
           "csv_raw_option", "csv_raw", "load_network", "emit"]


class InputError(click.ClickException):
    """Bad input from the user: exit status 2, message on stderr, no traceback."""

    exit_code = 2


class FinflowGroup(click.Group):
    """Turns finflow's own errors into clean exit-2 messages."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NetworkFileError as exc:
            raise InputError(terminal_text(str(exc))) from None
        except FinflowError as exc:
            raise InputError(terminal_text(str(exc))) from None


EPILOG = """\b
Examples:
  finflow show                      the bundled AI-infrastructure network
  finflow show graphs/my_network    a folder with entities.csv, commitments.csv
  finflow validate my_network       list every problem in a network's files
  finflow show --format json        machine-readable output
"""


@click.group(cls=FinflowGroup, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="finflow")
def main() -> None:
    """finflow: circular financing, concentration and default contagion in networks of
    equity stakes, loans, bonds, purchases and cloud contracts.

    NETWORK is a folder (entities.csv, commitments.csv, optional network.yaml), a
    node-link .json, .graphml or .gexf file, or the name of a bundled network; without
    it every command uses the bundled AI-infrastructure network of 2025-2026.
    """


def load_network(spec: str | None, as_of: str | None = None) -> Network:
    """The network a user named (a path, a bundled network's name, or the default),
    as it stood on ``as_of`` when given (``--as-of``)."""
    if spec is None:
        net = Network.read(bundled_path(DEFAULT_NETWORK))
    elif Path(spec).exists():
        net = Network.read(Path(spec))
    else:
        bp = bundled_path(spec, missing_ok=True)
        if bp is None:
            raise InputError(f"{spec}: no such file or folder, and no bundled network of that "
                             f"name (bundled: {', '.join(bundled())})")
        net = Network.read(bp)
    return net.as_of(as_of) if as_of else net


def network_argument(fn: Callable) -> Callable:
    return click.argument("network", required=False, metavar="[NETWORK]")(fn)


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
    """``--format`` (and ``--limit`` for the row count of text tables, ``--csv-raw``)."""
    fn = csv_raw_option(fn)
    fn = click.option("--limit", type=click.IntRange(min=1), default=None, metavar="N",
                      help="Show at most N rows per table (table and markdown formats).")(fn)
    fn = click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
                      show_default=True, help="Output format.")(fn)
    return fn


def emit(result: Any, fmt: str, limit: int | None = None) -> None:
    """Render a result to stdout."""
    text = render(result, fmt, limit=limit, csv_raw=csv_raw())
    click.echo(text, nl=not text.endswith("\n"))


def progress(message: str) -> None:
    """A progress line on stderr (never mixed into the output; data text in it cannot
    drive the terminal)."""
    click.echo(terminal_text(message), err=True)
