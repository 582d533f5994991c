"""``finflow view``: an interactive HTML view of a network that opens offline."""
from __future__ import annotations

import click

from ..analysis.cycles import heaviest_cycles
from ..analysis.contagion import contagion as run_contagion
from ..analysis.scenario import MISSING_EQUITY_RULES, MODELS
from ..view import SIZE_BY, _write
from .base import filter_options, load_network, main, network_argument, progress
from .base import count


@main.command()
@network_argument
@filter_options
@click.option("--output", "-o", default="network.html", show_default=True, metavar="FILE.html",
              type=click.Path(dir_okay=False),
              help="The HTML file to write.")
@click.option("--size-by", type=click.Choice(SIZE_BY), default="throughput", show_default=True,
              help="Entity area by throughput (inflow + outflow) or by the others' "
                   "exposure to it (what they lose if it defaults).")
@click.option("--max-nodes", type=count(1), default=300, show_default=True,
              metavar="N", help="Draw at most the N entities with the highest throughput; "
                                "a notice on the page says what was left out.")
@click.option("--max-edges", type=count(1, 10_000_000), default=2000, show_default=True,
              metavar="N", help="Draw at most the N largest commitments among the entities "
                                "drawn; a notice says what was left out.")
@click.option("--title", metavar="TEXT", help="Heading of the page (default: the network's "
                                              "name).")
@click.option("--cycles", "n_cycles", type=count(1), default=None, metavar="K",
              is_flag=False, flag_value=5,
              help="Highlight the K heaviest cycles (largest bottleneck; --cycles alone: 5).")
@click.option("--default", "defaults", multiple=True, metavar="ID",
              help="Colour entities by their outcome when ID defaults (repeatable).")
@click.option("--model", "-m", type=click.Choice(MODELS), default="linear-debtrank",
              show_default=True, help="Contagion model for --default.")
@click.option("--missing-equity", type=click.Choice(MISSING_EQUITY_RULES), default=None,
              help="With --default: entities without equity (default: the network's "
                   "setting, else error).")
@click.option("--force", is_flag=True, help="Replace FILE.html if it exists.")
def view(network, status, kinds, as_of, output, size_by, max_nodes, max_edges, title,
         n_cycles, defaults, model, missing_equity, force):
    """Write an interactive HTML view of the network (one file, works offline).

    Entities are circles (area by throughput, colour by type), commitments are arrows
    from payer to payee, one per commitment (width by amount, colour by kind, dashed
    when non-binding, dotted grey when the amount is undisclosed). Hover for details.
    The page loads nothing from the network: send it by e-mail, open it anywhere.
    An existing file is not replaced without --force (exit status 2).

    \b
    Examples:
      finflow view -o network.html
      finflow view --status closed,committed -o binding.html
      finflow view --kinds equity,loan,bond,credit --as-of 2025-12-31 -o financing.html
      finflow view graphs/my_network --size-by exposure --force
      finflow view --cycles 5 --default openai -o openai-default.html
    """
    net = load_network(network, as_of)
    cycles = (list(heaviest_cycles(net, top=n_cycles, status=status, kinds=kinds).cycles)
              if n_cycles else None)
    outcome = None
    if defaults:
        res = run_contagion(net, list(defaults), model=model, status=status, kinds=kinds,
                            missing_equity=missing_equity)
        outcome = res.entities[["id", "defaulted", "relative_loss"]]
    path, data = _write(net, output, status=status, kinds=kinds, size_by=size_by,
                        title=title, max_nodes=max_nodes, max_edges=max_edges,
                        cycles=cycles, outcome=outcome, overwrite=force)
    c = data["counts"]
    for notice in data["notices"]:
        progress(f"note: {notice}")
    click.echo(f"Wrote {path}: {c['entities_drawn']} entities, {c['commitments_drawn']} "
               f"commitments ({path.stat().st_size / 1e6:.1f} MB). Open it in a browser.")
