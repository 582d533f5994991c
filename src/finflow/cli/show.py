"""``finflow show`` and ``finflow validate``."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import click

from ..analysis.overview import overview
from ..errors import FinflowWarning, NetworkFileError
from .base import emit, filter_options, load_network, main, network_argument, output_options


@main.command()
@network_argument
@filter_options
@output_options
def show(network, status, kinds, as_of, fmt, limit):
    """Entities and commitments at a glance.

    Counts and amounts by kind and by status, and every entity by throughput
    (inflow + outflow) on the money-flow graph.

    \b
    Examples:
      finflow show
      finflow show --status closed,committed --limit 10
      finflow show graphs/eisenberg_noe_example --format json
    """
    net = load_network(network, as_of)
    emit(overview(net, status, kinds), fmt, limit)


@main.command()
@network_argument
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
def validate(network, fmt):
    """Check a network's files and list every problem.

    Each problem is printed as FILE:LINE: FIELD: PROBLEM. Exit status 0 when the
    network is valid, 2 when it has problems. Warnings (entities without commitments,
    undisclosed amounts, missing equity) do not fail validation.

    \b
    Examples:
      finflow validate graphs/ai_infrastructure
      finflow validate my_network --format json
    """
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", FinflowWarning)
            net = load_network(network)
    except NetworkFileError as exc:
        problems = [str(p) for p in exc.problems]
        if fmt == "json":
            click.echo(json.dumps({"valid": False, "problems": [
                {"file": p.file, "line": p.line, "where": p.where, "field": p.field,
                 "message": p.message} for p in exc.problems]}, indent=2))
        else:
            click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found:")
            for p in problems:
                click.echo(p)
        raise SystemExit(2)
    found = [str(w.message) for w in caught if issubclass(w.category, FinflowWarning)]
    found += _warnings(net)
    if fmt == "json":
        click.echo(json.dumps({"valid": True, "path": net.metadata.get("path"),
                               "entities": net.n, "commitments": len(net.commitments),
                               "problems": [], "warnings": found}, indent=2))
        return
    click.echo(f"OK: {net.metadata.get('path', net.name)}: {net.n} entities, "
               f"{len(net.commitments)} commitments.")
    for w in found:
        click.echo(f"warning: {w}")


def _warnings(net) -> list[str]:
    out = []
    com = net.commitments
    used = set(com["payer"]) | set(com["payee"])
    idle = [e for e in net.index if e not in used]
    if idle:
        out.append(f"{len(idle)} entities have no commitments: {', '.join(idle[:10])}"
                   + (" ..." if len(idle) > 10 else ""))
    n_na = int(com["amount"].isna().sum())
    if n_na:
        out.append(f"{n_na} commitments have no disclosed amount (kept, not counted in amounts)")
    no_eq = net.entities.loc[net.entities["equity"].isna() & (net.entities["type"] != "market"), "id"]
    if len(no_eq):
        out.append(f"{len(no_eq)} entities lack equity (contagion models need it or a "
                   f"--missing-equity rule): {', '.join(list(no_eq)[:10])}"
                   + (" ..." if len(no_eq) > 10 else ""))
    return out
