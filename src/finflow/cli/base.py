"""The click group and the options every command shares (defined once, applied everywhere).

The CLI parses options, calls the library and renders; it holds no analysis logic.
Exit codes: 0 ok, 1 a failure condition was found where asked (``--fail-on``), 2 bad
input (the message says what to fix; no traceback).
"""
from __future__ import annotations

import functools
import math
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

import click

from .. import __version__
from ..data import DEFAULT_NETWORK, bundled, bundled_path
from ..errors import FinflowError, FinflowWarning, NetworkFileError
from ..generate import MAX_SEED
from ..io.tables import YEAR_RANGE
from ..model import Network
from ..render import FORMATS, render

__all__ = ["main", "InputError", "network_argument", "filter_options", "output_options",
           "load_network", "emit", "count", "real", "SEED", "YEAR", "MAX_COUNT", "MAX_DRAWS"]

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


class InputError(click.ClickException):
    """Bad input from the user: exit status 2, message on stderr, no traceback."""

    exit_code = 2


class FinflowGroup(click.Group):
    """Turns finflow's own errors into clean exit-2 messages."""

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always", FinflowWarning)
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except NetworkFileError as exc:
                raise InputError(str(exc)) from None
            except FinflowError as exc:
                raise InputError(str(exc)) from None


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """finflow's own warnings as one ``warning: ...`` line on stderr; others as Python
    shows them."""
    if issubclass(category, FinflowWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


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


def output_options(fn: Callable) -> Callable:
    """``--format`` (and ``--limit`` for the row count of text tables)."""
    fn = click.option("--limit", type=count(1, 10**9), default=None, metavar="N",
                      help="Show at most N rows per table (table and markdown formats).")(fn)
    fn = click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="table",
                      show_default=True, help="Output format.")(fn)
    return fn


def emit(result: Any, fmt: str, limit: int | None = None) -> None:
    """Render a result to stdout."""
    text = render(result, fmt, limit=limit)
    click.echo(text, nl=not text.endswith("\n"))


def progress(message: str) -> None:
    """A progress line on stderr (never mixed into the output)."""
    click.echo(message, err=True)
