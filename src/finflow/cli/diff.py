"""``finflow diff OLD NEW``: what changed between two networks."""
from __future__ import annotations

import click

from .choices import MISSING_EQUITY_RULES, MODELS
from .base import emit, load_network, main, output_options
from .complete import complete_network


@main.command()
@click.argument("old", metavar="OLD", shell_complete=complete_network)
@click.argument("new", metavar="NEW", shell_complete=complete_network)
@click.option("--model", type=click.Choice(MODELS), default="linear-debtrank",
              show_default=True, help="Model of the ranking and of the top shock.")
@click.option("--missing-equity", type=click.Choice(MISSING_EQUITY_RULES), default=None,
              help="Rule for entities without equity (default: each network's own, else "
                   "skip).")
@click.option("--no-findings", is_flag=True,
              help="Only the table differences, not the headline findings.")
@output_options
def diff(old, new, model, missing_equity, no_findings, fmt, limit):
    """What changed between two networks OLD and NEW (folders, files or bundled names).

    Lists added, removed and changed commitments and entity fields (rows matched by
    id; one row per changed field, old -> new), entities renamed (same id with a new
    name, or an id changed with every other field identical), and what changes in the
    headline findings: the number of cycles, the heaviest cycle and its bottleneck,
    max_circulation_share (maximum circulation / total flow), the most systemic entity and the entities
    that default after it does.

    \b
    Examples:
      finflow diff old_network/ graphs/ai_infrastructure
      finflow diff v1.json v2.json --format markdown
      finflow diff old/ new/ --format csv --table findings
      finflow diff old/ new/ --no-findings --format json
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.diff import diff as diff_networks
    a = load_network(old)
    b = load_network(new)
    result = diff_networks(a, b, model=model, missing_equity=missing_equity,
                           findings=not no_findings)
    emit(result, fmt, limit)
