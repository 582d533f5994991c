"""``finflow concentration``."""
from __future__ import annotations

import click

from .base import emit, filter_options, load_network, main, network_argument, output_options


@main.command()
@network_argument
@filter_options
@click.option("--lgd", multiple=True, metavar="KIND=X",
              help="Loss given default for a kind, in [0, 1] (repeatable), e.g. "
                   "--lgd purchase=0.3. Default: the stress values of finflow.KINDS.")
@click.option("--sort", "sort", default="throughput", show_default=True, metavar="FIELD",
              help="Sort entities by this numeric field, descending, missing last "
                   "(e.g. coverage, max_exposure_to_equity, inflow_hhi, top_share, "
                   "self_financed_share).")
@click.option("--self-financed/--no-self-financed", default=True, show_default=True,
              help="Compute the self-financed share (balanced flow forwarding); skip it on "
                   "very large networks, where it costs the most.")
@output_options
def concentration(network, status, kinds, as_of, lgd, sort, self_financed, fmt, limit):
    """Concentration and coverage per entity, and concentration of the network.

    Per entity: inflow and outflow HHI, top counterparty and its share, largest
    exposure against equity (flagged above the 25% Basel large-exposure limit),
    commitments due against revenue (coverage), and the share of its inflow that came
    back round (self-financed). For the network: Gini and HHI of throughput, the share
    of volume touching the top entity, and PageRank on the flow graph and the exposure
    matrix. The notes under the tables state every convention.

    \b
    Examples:
      finflow concentration
      finflow concentration --sort coverage --limit 10
      finflow concentration --status closed,committed --sort max_exposure_to_equity
      finflow concentration --lgd purchase=1 --lgd compute=1 --format json
      finflow concentration -f csv --table network
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.concentration import concentration as _concentration
    net = load_network(network, as_of)
    emit(_concentration(net, status, kinds, lgd or None, sort=sort,
                        self_financed=self_financed), fmt, limit)


