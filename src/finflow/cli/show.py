"""``finflow show`` and ``finflow validate``."""
from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import click

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
      finflow show eisenberg_noe_3bank --format json
      finflow show --table all -o tables
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.overview import overview
    net = load_network(network, as_of)
    emit(overview(net, status, kinds), fmt, limit)


@main.command()
@network_argument
@click.option("--format", "-f", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="Output format.")
@click.option("--strict", is_flag=True,
              help="Treat warnings as errors (exit status 2 when there is any).")
def validate(network, fmt, strict):
    """Check a network's files and list every problem.

    Each problem is printed as FILE:LINE: FIELD: PROBLEM, each warning as
    FILE:LINE: FIELD: warning: PROBLEM. Besides the cell checks of every load, the
    consistency checks run: amount_low above or amount_high below the amount (error),
    equity outside equity_low..equity_high (error), a citation [S01] of a source that
    network.yaml does not list (error), legs of one deal announced on different dates
    (warning), an in_totals=false umbrella with no other row of its deal or its payer and
    payee (warning), an entity with commitments but no equity or revenue that is not
    external (warning), a figure dated after the network's as_of (warning).
    Exit status 0 when there is no error (warnings do not fail, unless --strict),
    2 otherwise.

    \b
    Examples:
      finflow validate graphs/ai_infrastructure
      finflow validate my_network --strict
      finflow validate my_network --format json
    """
    from ..io.checks import check_network
    from ..render import terminal_text
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
                click.echo(terminal_text(p, keep_newlines=False))
        raise SystemExit(2)
    findings = check_network(net)
    if strict:
        findings = [replace(f, level="error") if f.level == "warning" else f for f in findings]
    errors = [f for f in findings if f.level == "error"]
    warned = [f for f in findings if f.level == "warning"]
    found = [str(w.message) for w in caught if issubclass(w.category, FinflowWarning)]
    found += _warnings(net)
    if fmt == "json":
        click.echo(json.dumps({"valid": not errors, "path": net.metadata.get("path"),
                               "entities": net.n, "commitments": len(net.commitments),
                               "problems": [f.to_dict() for f in errors],
                               "warnings": [str(f) for f in warned] + found,
                               "findings": [f.to_dict() for f in findings],
                               "notes": _notes(net)},
                              indent=2))
        if errors:
            raise SystemExit(2)
        return
    if errors:
        click.echo(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found:")
        for f in errors:
            click.echo(terminal_text(str(f), keep_newlines=False))
    else:
        click.echo(terminal_text(f"OK: {net.metadata.get('path', net.name)}: {net.n} "
                                 f"entities, {len(net.commitments)} commitments."))
    for f in warned:
        click.echo(terminal_text(str(f), keep_newlines=False))
    for w in found:
        click.echo(terminal_text(f"warning: {w}", keep_newlines=False))
    for note in _notes(net):
        click.echo(terminal_text(f"note: {note}", keep_newlines=False))
    if errors:
        raise SystemExit(2)


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
    no_eq = net.entities.loc[net.entities["equity"].isna().to_numpy() & ~net.external_mask(), "id"]
    if len(no_eq):
        out.append(f"{len(no_eq)} entities lack equity (contagion models need it or a "
                   f"--missing-equity rule): {', '.join(list(no_eq)[:10])}"
                   + (" ..." if len(no_eq) > 10 else ""))
    return out


def _notes(net) -> list[str]:
    if not net.mergers:
        return []
    return ["mergers applied in the default view (the network's as_of): " + ", ".join(
        f"{k} into {v}" + (f" on {d}" if d else "") for k, (v, d) in net.mergers.items())]
