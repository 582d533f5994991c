"""finflow's command line: ``finflow COMMAND [NETWORK] [OPTIONS]``.

The group :data:`main` knows its commands by name from :data:`COMMANDS` and imports a
command's module only when that command runs (or its own ``--help`` or completion is
asked for): ``finflow --version``, ``finflow --help`` and completing a command name load
neither the analyses nor pandas, numpy, scipy or networkx. A command's module itself
imports the library inside the command's function and takes its options' choices from
:mod:`finflow.cli.choices`, so that ``finflow COMMAND --help`` and completing its
arguments stay as cheap (tests/test_startup.py checks both).
"""
from __future__ import annotations

import importlib
import re
import sys
import warnings
from typing import Any

import click

from .. import __version__
from ..errors import FinflowError, FinflowWarning, NetworkFileError

__all__ = ["main", "COMMANDS", "FinflowGroup", "LazyGroup", "InputError"]

#: command name -> ("module:attribute" of its click command, its one-line summary for
#: ``finflow --help``). Adding a command is one line here, e.g.
#:     "aggregate": ("finflow.cli.aggregate:aggregate", "<first sentence of its docstring>"),
#: the summary must equal the command's own short help (the first sentence of its
#: docstring), which tests/test_startup.py checks, so the two cannot drift.
COMMANDS: dict[str, tuple[str, str]] = {
    "show": ("finflow.cli.show:show", "Entities and commitments at a glance."),
    "validate": ("finflow.cli.show:validate", "Check a network's files and list every problem."),
    "generate": ("finflow.cli.generate:generate",
                 "Write a reproducible synthetic network of N_ENTITIES and N_COMMITMENTS."),
    "view": ("finflow.cli.view:view",
             "Write an interactive HTML view of the network (one file, works offline)."),
    "cycles": ("finflow.cli.cycles:cycles",
               "Cycles, circulation, netting and round-trips: where the money goes round."),
    "concentration": ("finflow.cli.concentration:concentration",
                      "Concentration and coverage per entity, and concentration of the "
                      "network."),
    "timeline": ("finflow.cli.timeline:timeline",
                 "When does the money run out? Obligations, inflows, revenue and cash by "
                 "year."),
    "contagion": ("finflow.cli.contagion:contagion",
                  "Who falls next: propagate a default shock through the network."),
    "rank": ("finflow.cli.contagion:rank",
             "Systemic ranking: default each entity alone and rank by the loss it causes."),
    "report": ("finflow.cli.report:report",
               "Write a complete analysis of a network into one folder."),
    "uncertainty": ("finflow.cli.uncertainty:uncertainty",
                    "How sure is each finding? Bands over amount ranges and deal status."),
    "diff": ("finflow.cli.diff:diff",
             "What changed between two networks OLD and NEW (folders, files or bundled "
             "names)."),
    "aggregate": ("finflow.cli.aggregate:aggregate",
                  "Sum transaction records (CSV or Parquet) into a network."),
    "stress": ("finflow.cli.stress:stress_command",
               "Who ends up paying: a year-by-year stress test from the funding gap to "
               "defaults."),
}


class InputError(click.ClickException):
    """Bad input from the user: exit status 2, message on stderr, no traceback."""

    exit_code = 2


class LazyGroup(click.Group):
    """A click group whose commands are imported on first use from :data:`COMMANDS`
    (``name -> "module:attribute"``); its help lists them from the summaries there."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(self.lazy) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy:
            target = self.lazy[cmd_name][0]
            module, _, attr = target.partition(":")
            return getattr(importlib.import_module(module), attr)
        return self.commands.get(cmd_name)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[Any]:
        """Completing a command name from the map (no command imported), and the group's
        options as click completes them."""
        from click.shell_completion import CompletionItem
        items = [CompletionItem(name, help=self.lazy[name][1]) for name in sorted(self.lazy)
                 if name.startswith(incomplete)]
        items += [CompletionItem(name, help=cmd.get_short_help_str())
                  for name, cmd in sorted(self.commands.items())
                  if name not in self.lazy and not cmd.hidden and name.startswith(incomplete)]
        return items + click.Command.shell_complete(self, ctx, incomplete)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The ``Commands:`` section, as click writes it, from the summaries in the map
        (no command module imported)."""
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in self.lazy:
                # click's own shortening of a help text (its make_default_short_help
                # is deprecated in click 8.5), applied to the map's summary
                summary = click.Command(name, help=self.lazy[name][1]).get_short_help_str(limit)
            else:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                summary = cmd.get_short_help_str(limit)
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class FinflowGroup(LazyGroup):
    """Turns finflow's own errors into clean exit-2 messages."""

    def invoke(self, ctx: click.Context) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter("always", FinflowWarning)
            warnings.showwarning = _show_warning
            try:
                return super().invoke(ctx)
            except NetworkFileError as exc:
                raise InputError(_terminal_text(str(exc))) from None
            except FinflowError as exc:
                raise InputError(_terminal_text(_cli_words(str(exc)))) from None


def _terminal_text(text: str, **kwargs: Any) -> str:
    # imported when needed: finflow.render loads pandas, which --help must not
    from ..render import terminal_text
    return terminal_text(text, **kwargs)


def _cli_words(message: str) -> str:
    """A library message in the command line's words: the library's ``overwrite=True``
    keyword is the ``--force`` option here."""
    message = re.sub(r"\s*\((?:pass )?overwrite=True(?:, or --force on the command line)?\)",
                     " (pass --force to replace it)", message)
    return message.replace("overwrite=True", "--force")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """finflow's own warnings as one ``warning: ...`` line on stderr; others as Python
    shows them."""
    if issubclass(category, FinflowWarning):
        click.echo(_terminal_text(f"warning: {message}", keep_newlines=False), err=True)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


EPILOG = """\b
Examples:
  finflow show                      the bundled AI-infrastructure network
  finflow show graphs/my_network    a folder with entities.csv, commitments.csv
  finflow validate my_network       list every problem in a network's files
  finflow show --format json        machine-readable output
  finflow cycles deals.xlsx --columns payer=from,payee=to,amount=usd_bn,kind=type
                                    a deal list of your own
"""


@click.group(cls=FinflowGroup, lazy=COMMANDS, epilog=EPILOG,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="finflow")
def main() -> None:
    """finflow: circular financing, concentration and default contagion in networks of
    equity stakes, loans, bonds, purchases and cloud contracts.

    NETWORK is a folder (entities.csv, commitments.csv, optional network.yaml), a
    node-link .json, .graphml or .gexf file, a single commitments file (.csv, .tsv,
    .xlsx, .parquet; - for standard input; --columns maps your column names) or the
    name of a bundled network; without it every command uses the bundled
    AI-infrastructure network of 2025-2026.
    """
