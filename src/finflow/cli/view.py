"""``finflow view``: an interactive HTML view of a network that opens offline."""
from __future__ import annotations

import tempfile
from pathlib import Path

import click

from .choices import MISSING_EQUITY_RULES, MODELS, SIZE_BY
from ..errors import FinflowError
from .complete import complete_entity
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
              shell_complete=complete_entity,
              help="Colour entities by their outcome when ID defaults (repeatable).")
@click.option("--model", "-m", type=click.Choice(MODELS), default="linear-debtrank",
              show_default=True, help="Contagion model for --default.")
@click.option("--missing-equity", type=click.Choice(MISSING_EQUITY_RULES), default=None,
              help="With --default: entities without equity (default: the network's "
                   "setting, else error).")
@click.option("--png", "png", metavar="FILE.png", type=click.Path(dir_okay=False), default=None,
              help="Also write a static picture of the page (headless Chromium). Without "
                   "an explicit --output the HTML is only a temporary file.")
@click.option("--force", is_flag=True, help="Replace FILE.html (and FILE.png) if they exist.")
@click.pass_context
def view(ctx, network, status, kinds, as_of, output, size_by, max_nodes, max_edges, title,
         n_cycles, defaults, model, missing_equity, png, force):
    """Write an interactive HTML view of the network (one file, works offline).

    Entities are circles (area by throughput, colour by type), commitments are arrows
    from payer to payee, one per commitment (width by amount, colour by kind, dashed
    when non-binding, dotted grey when the amount is undisclosed). Hover for details.
    The page loads nothing from the network: send it by e-mail, open it anywhere.
    An existing file is not replaced without --force (exit status 2).

    In the page: tick or untick kinds and entity types in the legend, filter by status
    (binding / non-binding / lapsed), confidence, minimum amount and as-of date; search
    an entity and click it for its panel (figures, deals with their sources, heaviest
    cycle, circular share); pick one of the heaviest cycles; with --default, play the
    cascade round by round. The address's #fragment holds what you see: copy it to
    share the view. "Download PNG" saves the drawing; --png writes a picture from the
    command line. --status and --kinds set the filters the page opens with.

    \b
    Examples:
      finflow view -o network.html
      finflow view --status closed,committed -o binding.html
      finflow view --kinds equity,loan,bond,credit --as-of 2025-12-31 -o financing.html
      finflow view graphs/my_network --size-by exposure --force
      finflow view --cycles 5 --default openai -o openai-default.html
      finflow view --png network.png
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.cycles import heaviest_cycles
    from ..analysis.contagion import contagion as run_contagion
    from ..view import _write
    from ..view_explore import write_png
    net = load_network(network, as_of)
    cycles = (list(heaviest_cycles(net, top=n_cycles, status=status, kinds=kinds).cycles)
              if n_cycles else None)
    outcome = None
    if defaults:
        res = run_contagion(net, list(defaults), model=model, status=status, kinds=kinds,
                            missing_equity=missing_equity)
        outcome = res
    explicit = ctx.get_parameter_source("output") not in (
        click.core.ParameterSource.DEFAULT, None)
    if png is not None:
        png_path = Path(png)
        if png_path.exists() and not force:
            raise FinflowError(f"{png_path} exists; choose another file or allow replacing it "
                               "(--force)")
    kwargs = dict(status=status, kinds=kinds, size_by=size_by, title=title,
                  max_nodes=max_nodes, max_edges=max_edges, cycles=cycles,
                  contagion=outcome, overwrite=force)
    if png is not None and not explicit:
        with tempfile.TemporaryDirectory() as tmp:
            path, data = _write(net, Path(tmp) / "network.html", **kwargs)
            write_png(path, png, overwrite=force)
        click.echo(f"Wrote {png}: a picture of {data['counts']['entities_visible']} entities "
                   f"and {data['counts']['commitments_drawn']} commitments.")
        return
    path, data = _write(net, output, **kwargs)
    c = data["counts"]
    for notice in data["notices"]:
        progress(f"note: {notice}")
    click.echo(f"Wrote {path}: {c['entities_visible']} entities, {c['commitments_drawn']} "
               f"commitments ({path.stat().st_size / 1e6:.1f} MB). Open it in a browser.")
    if png is not None:
        write_png(path, png, overwrite=force)
        click.echo(f"Wrote {png}.")
