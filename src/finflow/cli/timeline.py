"""``finflow timeline``: the obligation schedule and the funding gap, year by year."""
from __future__ import annotations

import click

from .choices import TIMELINE_RULES as RULES
from .complete import complete_entity
from .base import (
    emit,
    filter_options,
    load_network,
    main,
    network_argument,
    output_options,
    progress,
)
from .base import YEAR


@main.command()
@network_argument
@click.option("--entity", "-e", "entities", multiple=True, metavar="ID",
              shell_complete=complete_entity,
              help="Tabulate this entity (repeat, or ID1,ID2). Default: every entity with "
                   "money due to or from it in the years shown.")
@click.option("--from", "from_year", type=YEAR, metavar="YEAR",
              help="First year shown. Default: the year of the network's as-of date.")
@click.option("--to", "to_year", type=YEAR, metavar="YEAR",
              help="Last year shown. Default: nine years after the first.")
@click.option("--revenue-growth", default="0", show_default=True, metavar="X",
              help="Yearly growth of each entity's revenue figure (0.1 or 10%).")
@click.option("--projections", type=click.Path(dir_okay=False), metavar="FILE",
              help="CSV of per-year revenue (entity, year, revenue). Default: the "
                   "network folder's projections.csv, if any.")
@click.option("--rule", "rules", multiple=True, metavar="KIND=RULE",
              help=f"Spread a kind by another rule ({', '.join(RULES)}); repeatable, e.g. "
                   "--rule equity=start.")
@click.option("--charts", "charts_dir", type=click.Path(file_okay=False), metavar="DIR",
              help="Write an SVG chart per over-committed entity (or per --entity) into DIR "
                   "(timeline_ID.svg; a file there that finflow did not write is not "
                   "replaced without --force).")
@filter_options
@output_options
def timeline(network, entities, from_year, to_year, revenue_growth, projections, rules,
             charts_dir, status, kinds, as_of, fmt, limit):
    """When does the money run out? Obligations, inflows, revenue and cash by year.

    Each commitment is spread over the years its money moves (purchase, compute and
    lease contracts evenly over their term or at their annual amount; a loan's principal
    out at its start and due at its end; equity at its start or over its stated term;
    backstops are contingent and not scheduled). Per entity and year: outflows due by
    kind, contracted inflows, revenue under the stated growth assumption, the net
    position, the cumulative gap and what is left of the cash; the runway is the first
    year the cumulative shortfall exceeds the cash (against revenue alone when the cash
    is unknown). Under it, the network-wide amounts falling due per year by kind and by
    status.

    \b
    Examples:
      finflow timeline --entity openai
      finflow timeline -e openai --revenue-growth 50% --to 2034
      finflow timeline -e openai --as-of 2025-10-01 --format json
      finflow timeline --rule compute=annual --charts charts/
      finflow timeline -f csv --table entities > runways.csv
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.timeline import funding_gap
    from ..io.output import FileNames, OutputFolder
    from ..timeline_chart import timeline_charts
    # --force is the shared output option: with --charts it replaces files of the same
    # name and removes the charts of an earlier run that this one does not write again
    force = bool(click.get_current_context().meta.get("finflow.force"))
    if charts_dir:                        # refuse a bad folder before the work
        OutputFolder.preflight(charts_dir, force=force, writer="timeline-charts")
    net = load_network(network, as_of)
    result = funding_gap(net, list(entities) or None, revenue_growth=revenue_growth,
                         projections=projections, from_year=from_year, to_year=to_year,
                         status=status, kinds=kinds, rules=list(rules) or None)
    emit(result, fmt, limit)
    if charts_dir:
        chosen = list(result.entities["entity"]) if entities else None
        charts = timeline_charts(result, chosen)
        folder = OutputFolder(charts_dir, force=force, writer="timeline-charts",
                              option="--charts")
        names = FileNames(prefix="timeline_", suffix=".svg")
        for ent, svg in charts.items():
            path = folder.write_text(names.name(ent), svg)
            progress(f"wrote {path}")
        folder.finish()
        if folder.removed:
            progress(f"removed {len(folder.removed)} charts of an earlier run: "
                     + ", ".join(folder.removed[:5]))
        if not charts:
            progress("no over-committed entity: no chart written")
