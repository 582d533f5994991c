"""``finflow cycles``: where the money goes round."""
from __future__ import annotations

import click

from .choices import COUNT_LIMIT, DEFAULT_MAX_CYCLE_ENTITIES, FINN_MAX_COMPONENT, MEASURES
from .base import (emit, filter_options, load_network, main, network_argument,
                   output_options)
from .base import count, real


@main.command()
@network_argument
@click.option("--top", type=count(0), default=10, show_default=True, metavar="K",
              help="List the K heaviest cycles (largest bottleneck), found without "
                   "enumerating every cycle.")
@click.option("--max-length", type=count(1, 10_000), default=None, metavar="N",
              help="Only cycles of at most N edges (listing and count).")
@click.option("--min-amount", type=real(0), default=None, metavar="X",
              help="Drop payer -> payee pairs whose summed amount is below X (listing and "
                   "count).")
@click.option("--count-limit", type=count(0, 100_000_000), default=COUNT_LIMIT,
              show_default=True, metavar="N",
              help="Count simple cycles up to N (the output says when the limit stopped the "
                   "count); 0 skips the count.")
@click.option("--measures", metavar="M1,M2", default=None,
              help=f"Which measures besides the cycles: {', '.join(MEASURES)} (bff = "
                   "decomposition). Default: all.")
@click.option("--by", "by", metavar="FIELD", default=None,
              help="Netting per layer: kind, status, year (of start) or a commitments column.")
@click.option("--finn-max", type=count(1), default=FINN_MAX_COMPONENT,
              show_default=True, metavar="N",
              help="Largest strongly connected component for the exact Finn cycling index "
                   "(it costs N^3).")
@click.option("--bff-max", type=count(0), default=DEFAULT_MAX_CYCLE_ENTITIES,
              show_default=True, metavar="N",
              help="Largest number of entities on cycles for the balanced-flow-forwarding "
                   "decomposition (one sparse solve per such entity).")
@filter_options
@output_options
def cycles(network, top, max_length, min_amount, count_limit, measures, by, finn_max, bff_max,
           status, kinds, as_of, fmt, limit):
    """Cycles, circulation, netting and round-trips: where the money goes round.

    Lists the heaviest cycles of the money-flow graph (payer -> payee, amounts summed
    per pair) with their bottleneck (the money that can go round) and a round-trip label
    when money leaves an entity as financing and comes back as payment for its product
    (vendor financing). States the circular share of all commitments (balanced flow
    forwarding, and the maximum circulation), what netting would cancel, Finn's cycling
    index, each firm's self-financed share (the part of its inflow that came back
    round), Hodge potentials, and the circular and robust cores; per entity, its
    circular share and heaviest cycle.

    \b
    Examples:
      finflow cycles
      finflow cycles --top 20 --max-length 4
      finflow cycles --status closed,committed --min-amount 5
      finflow cycles --measures circulation,netting --by kind
      finflow cycles my_network --count-limit 0 --format json
      finflow cycles --format csv --table entities
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.circularity import circular_financing
    net = load_network(network, as_of)
    result = circular_financing(net, max_length=max_length, min_amount=min_amount, top=top,
                                count_limit=count_limit, measures=measures, by=by,
                                status=status, kinds=kinds, finn_max_component=finn_max,
                                bff_max_entities=bff_max)
    emit(result, fmt, limit)
