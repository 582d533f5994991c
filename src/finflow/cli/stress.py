"""``finflow stress``: the year-by-year stress test (who ends up paying)."""
from __future__ import annotations

from pathlib import Path

import click

from .choices import FUNDING_RULES, HOLDER_CLASSES, SENIORITY, STRESS_MODELS as MODELS
from .base import InputError, emit, filter_options, load_network, main, network_argument, \
    output_options, progress


@main.command(name="stress")
@network_argument
@click.option("--revenue-growth", default=None, metavar="G",
              help="Yearly revenue growth of the labs (or the --grow classes), 0.5 or 50%. "
                   "Default 0: revenue stalls at its latest figure.")
@click.option("--revenue", "revenue", type=click.Path(dir_okay=False), metavar="PATHS.csv",
              help="Per-year revenue paths (entity, year, revenue); they replace the grown "
                   "figure where given.")
@click.option("--scale", type=float, default=1.0, show_default=True, metavar="K",
              help="Factor on the labs' (the --grow classes') revenue.")
@click.option("--revenue-share", type=float, default=1.0, show_default=True, metavar="X",
              help="Share of each firm's revenue available for its commitments (1: all of "
                   "it, as `finflow timeline` counts it; e.g. an operating margin).")
@click.option("--years", metavar="YYYY-YYYY",
              help="The horizon. Default: the network's as-of year and the nine after it.")
@click.option("--new-funding", default="none", show_default=True, metavar="RULE",
              help="What a firm short of cash may raise each year: "
                   + "; ".join(f"{k}: {v}" for k, v in FUNDING_RULES.items())
                   + " (valuation:0.1 = up to 10% of its valuation).")
@click.option("--model", type=click.Choice(list(MODELS)), default="cascade", show_default=True,
              help="Within-year propagation of credit losses: cascade (losses reaching book "
                   "equity default the holder the same year) or liquidity (only a cash "
                   "shortfall defaults).")
@click.option("--seniority", type=click.Choice(list(SENIORITY)), default="absolute",
              show_default=True,
              help="How a defaulted firm's cash is shared: lenders before contract "
                   "counterparties before equity (absolute), or debt pari passu.")
@click.option("--refinance", is_flag=True,
              help="Roll over principal falling due while the borrower stands, instead of "
                   "requiring repayment in cash.")
@click.option("--grow", "grow", multiple=True, metavar="CLASS",
              help=f"Holder classes whose revenue grows ({', '.join(HOLDER_CLASSES)}); "
                   "repeatable. Default: labs.")
@click.option("--missing-cash", type=click.Choice(["auto", "skip", "zero"]), default="auto",
              show_default=True,
              help="Firms with neither cash nor revenue figure: skip (assume they pay as "
                   "due), zero (only their inflows), auto (zero for SPVs, skip for the rest).")
@click.option("--loss-year", type=int, metavar="YEAR",
              help="Tabulate the losses through this year. Default: the last year.")
@click.option("--lgd", "lgd", multiple=True, metavar="KIND=X",
              help="Override a kind's loss given default, e.g. --lgd compute=0.3.")
@click.option("--scenarios", type=click.Path(dir_okay=False), metavar="FILE",
              help="CSV of named scenarios (name, revenue_growth, revenue, scale, "
                   "revenue_share, new_funding, refinance, model), run side by side; the "
                   "other options are every scenario's defaults.")
@click.option("--no-requirement", is_flag=True,
              help="Skip the bisection for the revenue growth it would take.")
@click.option("--chart", "chart", type=click.Path(dir_okay=False), metavar="FILE.svg",
              help="Write the chart of cumulative losses by holder class per year (the "
                   "first scenario's with --scenarios). An existing file is not replaced.")
@filter_options
@output_options
def stress_command(network, revenue_growth, revenue, scale, revenue_share, years, new_funding, model,
                   seniority, refinance, grow, missing_cash, loss_year, lgd, scenarios,
                   no_requirement, chart, status, kinds, as_of, fmt, limit):
    """Who ends up paying: a year-by-year stress test from the funding gap to defaults.

    Each year every firm pays what falls due (the `finflow timeline` schedule) from its
    cash, its revenue and the inflows it actually receives from counterparties still
    standing. A firm that cannot, after the new funding the rule allows, defaults that
    year: its cash goes to its lenders first, then its contract counterparties, then its
    shareholders; the rest of their claims is lost by kind and LGD, which can default
    them in turn (threshold cascade). Survivors carry their cash to the next year.

    The output names who fails in which year and why, the losses by holder class (the
    external holders included) beside the cash each class was paid by the web, and the
    revenue growth of the labs it would take for nobody to fail (bisection). Every
    assumption is listed under the tables.

    \b
    Examples:
      finflow stress
      finflow stress --revenue-growth 50% --new-funding last-year --refinance
      finflow stress --revenue paths.csv --years 2026-2032 --new-funding valuation:0.1
      finflow stress --scenarios scenarios.csv --loss-year 2030 --chart losses.svg
      finflow stress --format json
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.stress import stress, stress_scenarios
    from ..stress_chart import stress_chart_svg
    net = load_network(network, as_of)
    if chart and Path(chart).exists():
        raise InputError(f"--chart: {chart} exists; choose another file (finflow does not "
                         "replace files)")
    common = dict(years=years, model=model, seniority=seniority, grow=list(grow) or ("labs",),
                  missing_cash=missing_cash, lgd=list(lgd) or None, status=status,
                  kinds=kinds, requirement=not no_requirement)
    shared = dict(new_funding=new_funding, refinance=refinance, scale=scale,
                  revenue_share=revenue_share)
    if scenarios:
        given = [n for n, v in (("--revenue-growth", revenue_growth), ("--revenue", revenue))
                 if v is not None]
        if given:
            raise InputError(f"{' and '.join(given)}: give revenue per scenario in the "
                             "--scenarios file, not on the command line")
        result = stress_scenarios(net, scenarios, loss_year=loss_year,
                                  **common, **shared)
        first = next(iter(result.results.values()))
    else:
        result = stress(net, revenue_growth=revenue_growth or 0.0, revenue=revenue,
                        loss_year=loss_year, **common, **shared)
        first = result
    emit(result, fmt, limit)
    if chart:
        try:
            Path(chart).write_text(stress_chart_svg(first), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--chart: cannot write {chart}: {exc}") from None
        progress(f"wrote {chart}")
