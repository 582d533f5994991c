"""``finflow uncertainty``: how sure each finding is (bands over amount ranges and deal
status, status scenarios, rank stability, significance of circularity)."""
from __future__ import annotations

import sys

import click

from .choices import (DEFAULT_BFF_DRAWS, DEFAULT_DRAWS, DEFAULT_MAX_LENGTH,
                      DEFAULT_NULL_SAMPLES, DEFAULT_SEED, DEFAULT_SWAPS_PER_EDGE,
                      DISTRIBUTIONS, UNCERTAINTY_SCENARIOS as SCENARIOS)
from .complete import complete_entity, complete_entity_assignment
from .base import emit, filter_options, load_network, main, network_argument, output_options
from .contagion import model_options
from .base import MAX_DRAWS, SEED, count, real


@main.command()
@network_argument
@click.option("--draws", "-n", type=count(0, MAX_DRAWS), default=DEFAULT_DRAWS,
              show_default=True, metavar="N", help="Monte Carlo draws of the commitments.")
@click.option("--seed", type=SEED, default=DEFAULT_SEED, show_default=True,
              metavar="S", help="Random seed (numpy PCG64): the same seed gives the same "
                                "numbers.")
@click.option("--presence", multiple=True, metavar="STATUS=P",
              help="Probability that a commitment of STATUS is present in a draw "
                   "(repeatable; default closed=1 committed=1 loi=0.5 reported=0.5); "
                   "cancelable=P also keeps a cancelable row only with probability P.")
@click.option("--distribution", type=click.Choice(DISTRIBUTIONS), default="triangular",
              show_default=True,
              help="Amounts within [amount_low or amount, amount_high or amount]: triangular "
                   "with its mode at the headline amount, uniform, or fixed at the headline.")
@click.option("--independent-deals", is_flag=True,
              help="Draw every commitment on its own (default: the legs of one deal share "
                   "their random numbers).")
@click.option("--scenario", "scenarios", multiple=True, metavar="NAME",
              help=f"Status scenario shown side by side (repeatable): {', '.join(SCENARIOS)}, "
                   "all (default) or none.")
@click.option("--default", "defaults", multiple=True, metavar="ID",
              shell_complete=complete_entity,
              help="Shock of the contagion figures: an entity that defaults (repeatable). "
                   "Default: the most systemic entity of the point estimate.")
@click.option("--shock", "shocks", multiple=True, metavar="ID=FRACTION",
              shell_complete=complete_entity_assignment,
              help="Shock of the contagion figures: an entity that loses FRACTION of its "
                   "equity (repeatable).")
@click.option("--null-samples", type=count(0, MAX_DRAWS), default=DEFAULT_NULL_SAMPLES,
              show_default=True, metavar="N",
              help="Random networks of the degree-preserving null model (0 skips it).")
@click.option("--swaps-per-edge", type=real(0, 1000), default=DEFAULT_SWAPS_PER_EDGE,
              show_default=True, metavar="X",
              help="Null model: swap proposals per commitment in each leg of the chain.")
@click.option("--max-length", type=count(2, 10_000), default=DEFAULT_MAX_LENGTH,
              show_default=True, metavar="N",
              help="Longest cycle counted (edges), in the draws and the null model.")
@click.option("--bff-draws", type=count(0, MAX_DRAWS), default=DEFAULT_BFF_DRAWS,
              show_default=True, metavar="N",
              help="Draws in which the balanced-flow-forwarding circular share is computed "
                   "(it costs one sparse solve per entity on a cycle).")
@click.option("--rank-draws", type=count(0, MAX_DRAWS), default=None, metavar="N",
              help="Draws in which the systemic ranking is computed. Default: every draw.")
@click.option("--timings", is_flag=True,
              help="Print the wall-clock seconds of each stage on stderr (they are never "
                   "part of the output, so the same seed gives the same bytes).")
@model_options
@filter_options
@output_options
def uncertainty(network, draws, seed, presence, distribution, independent_deals, scenarios,
                defaults, shocks, null_samples, swaps_per_edge, max_length, bff_draws,
                rank_draws, timings, lgd, missing_equity, default_rule, alpha, beta, outside_debt,
                status, kinds, as_of, fmt, limit, weights=None):
    """How sure is each finding? Bands over amount ranges and deal status.

    Each draw varies every amount within its range (triangular, mode at the
    headline amount) and keeps each letter of intent and press report with a
    probability (0.5 by default; legs of one deal together); an estimated equity
    with an equity_low..equity_high range is drawn within it by the same law (point
    analyses use equity). Every headline figure
    (circularity, maximum circulation, short cycles, each contagion model's loss and
    defaults for a shock, the systemic ranking, each entity's coverage and inflow
    concentration) is reported with its point estimate, median and 5-95% band, and
    how often each entity defaults. Status scenarios (binding-only, announced,
    no-cancelable, low-amounts, high-amounts) run side by side. A degree-preserving
    null model (edge swaps that keep every entity's in- and out-degree and every
    amount) says whether the network is more circular than chance (z-score and
    empirical p-value). Seeded: the same seed gives the same numbers.

    \b
    Examples:
      finflow uncertainty
      finflow uncertainty --draws 5000 --seed 7 --format json
      finflow uncertainty --presence loi=0.3 --presence reported=0.2
      finflow uncertainty --default oracle --scenario binding-only
      finflow uncertainty --distribution fixed --null-samples 0
      finflow uncertainty my_network --missing-equity zero --rank-draws 100
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.uncertainty import uncertainty as run_uncertainty
    net = load_network(network, as_of)
    stderr = sys.stderr
    state: dict = {"bar": None, "done": 0}

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            if not stderr.isatty():
                return
            state["bar"] = click.progressbar(length=total, label="draws and null samples",
                                             file=stderr)
            state["bar"].__enter__()
        state["bar"].update(done - state["done"])
        state["done"] = done

    try:
        result = run_uncertainty(
            net, draws, seed, presence=list(presence) or None, distribution=distribution,
            couple_deals=not independent_deals, scenarios=list(scenarios) or None,
            defaults=list(defaults) or None, shocks=list(shocks) or None,
            null_samples=null_samples, swaps_per_edge=swaps_per_edge, max_length=max_length,
            bff_draws=bff_draws, rank_draws=rank_draws, lgd=list(lgd) or None,
            missing_equity=missing_equity, default_rule=default_rule, alpha=alpha, beta=beta,
            outside_debt=outside_debt, weights=weights, status=status, kinds=kinds,
            progress=progress)
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)
    emit(result, fmt, limit)
    if timings:
        click.echo("timings (s): " + ", ".join(f"{k} {v:.3f}" for k, v in
                                               result.timings().items()), err=True)
