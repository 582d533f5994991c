"""``finflow contagion`` (one shock under one or every model) and ``finflow rank``
(each entity's default alone, ranked by the loss it causes and suffers)."""
from __future__ import annotations

import sys

import click

from .choices import MISSING_EQUITY_RULES, MODELS, OUTSIDE_DEBT_RULES
from .complete import complete_entity, complete_entity_assignment
from .base import emit, filter_options, load_network, main, network_argument, output_options
from .base import real


def model_options(fn):
    """Options shared by ``contagion`` and ``rank``: LGDs, equity rule, default rule,
    Rogers-Veraart costs and outside debt."""
    fn = click.option("--outside-debt", type=click.Choice(OUTSIDE_DEBT_RULES),
                      default="pari_passu", show_default=True,
                      help="Eisenberg-Noe: debt owed outside the network (debt minus in-network "
                           "loans, bonds and credit) paid pro rata with the network's "
                           "obligations, paid first, or ignored.")(fn)
    fn = click.option("--beta", type=real(0, 1), default=1.0, show_default=True,
                      help="Eisenberg-Noe: share of payments received that a defaulting "
                           "entity realises (Rogers-Veraart).")(fn)
    fn = click.option("--alpha", type=real(0, 1), default=1.0, show_default=True,
                      help="Eisenberg-Noe: share of external assets that a defaulting entity "
                           "realises (Rogers-Veraart).")(fn)
    fn = click.option("--default-rule", type=click.Choice([">=", ">"]), default=">=",
                      show_default=True,
                      help="An entity defaults when its losses reach (>=) or exceed (>) "
                           "its equity.")(fn)
    fn = click.option("--missing-equity", type=click.Choice(MISSING_EQUITY_RULES), default=None,
                      help="Entities without equity: stop with an error, skip them (never "
                           "default, do not propagate) or give them zero equity. Default: "
                           "the network's missing_equity setting, else error.")(fn)
    fn = click.option("--weights", metavar="FIELD", default=None,
                      help="DebtRank R: weight entities by this numeric entity field (e.g. "
                           "valuation) instead of their equity shares. Default: the network's "
                           "debtrank_weights setting, else equity.")(fn)
    fn = click.option("--lgd", multiple=True, metavar="KIND=X",
                      help="Loss given default of a kind, in [0, 1] (repeatable), e.g. "
                           "--lgd purchase=0.3.")(fn)
    return fn


@main.command()
@network_argument
@click.option("--default", "defaults", multiple=True, metavar="ID",
              shell_complete=complete_entity,
              help="An entity that defaults (repeatable).")
@click.option("--shock", "shocks", multiple=True, metavar="ID=FRACTION",
              shell_complete=complete_entity_assignment,
              help="An entity that loses FRACTION (0 to 1) of its equity (repeatable).")
@click.option("--cancel-nonbinding", is_flag=True,
              help="Scenario: commitments of status loi and reported do not happen; each "
                   "claim holder loses its LGD-weighted claim on them first.")
@click.option("--model", "-m", type=click.Choice(MODELS + ("all",)), default="all",
              show_default=True, help="Contagion model, or all four side by side.")
@model_options
@filter_options
@output_options
def contagion(network, defaults, shocks, cancel_nonbinding, model, lgd, weights,
              missing_equity, default_rule, alpha, beta, outside_debt, status, kinds, as_of,
              fmt, limit):
    """Who falls next: propagate a default shock through the network.

    Models: cascade (threshold: an entity defaults when its losses reach its
    equity; Furfine 2003, Gai-Kapadia 2010), debtrank (Battiston et al. 2012,
    impact capped at 1, single hit), linear-debtrank (Bardoscia et al. 2015,
    exact fixed point), eisenberg-noe (clearing payments, with Rogers-Veraart
    costs --alpha --beta), or all (one side-by-side table). Losses are
    LGD-weighted exposures against book equity; every output states its
    conventions under the table.

    \b
    Examples:
      finflow contagion --default openai
      finflow contagion --default openai --model cascade --format json
      finflow contagion --shock oracle=0.5 --model linear-debtrank
      finflow contagion --cancel-nonbinding --model eisenberg-noe --alpha 0.5 --beta 0.9
      finflow contagion my_network --default bank_a --missing-equity zero
      finflow contagion --default openai --table all -o openai-default/
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.contagion import contagion as run_contagion
    net = load_network(network, as_of)
    result = run_contagion(net, list(defaults), list(shocks), model=model,
                           default_rule=default_rule, alpha=alpha, beta=beta,
                           outside_debt=outside_debt, lgd=list(lgd) or None, status=status,
                           kinds=kinds, missing_equity=missing_equity,
                           cancel_nonbinding=cancel_nonbinding, weights=weights)
    emit(result, fmt, limit)


@main.command()
@network_argument
@click.option("--model", "-m", type=click.Choice(MODELS), default="linear-debtrank",
              show_default=True, help="Contagion model used for each scenario.")
@model_options
@filter_options
@output_options
@click.option("--progress/--no-progress", "show_progress", default=None,
              help="Draw a progress bar of the scenarios on stderr. Default: when stderr "
                   "is a terminal and the run has 2,000 scenarios or more.")
def rank(network, model, lgd, weights, missing_equity, default_rule, alpha, beta,
         outside_debt, status, kinds, as_of, fmt, limit, show_progress):
    """Systemic ranking: default each entity alone and rank by the loss it causes.

    Impact = equity lost by the other entities when it defaults (and DebtRank R,
    the equity-weighted relative loss); vulnerability = the mean share of its own
    equity an entity loses over the other entities' defaults. Scenarios run in
    batches (sparse matrix times dense block); a progress bar shows on stderr
    when the run is long and stderr is a terminal (--progress: always).

    \b
    Examples:
      finflow rank
      finflow rank --model cascade --limit 10
      finflow rank my_network --model eisenberg-noe --format csv > ranking.csv
      finflow rank big_network --model cascade --progress --limit 20
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..analysis.ranking import systemic_ranking
    net = load_network(network, as_of)
    state = {"bar": None}

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            if show_progress is False:
                return
            if show_progress is None and (total < 2000 or not sys.stderr.isatty()):
                return
            state["bar"] = click.progressbar(length=total, label="scenarios",
                                             file=sys.stderr)
            state["bar"].__enter__()
            state["done"] = 0
        state["bar"].update(done - state["done"])
        state["done"] = done

    try:
        result = systemic_ranking(net, model=model, default_rule=default_rule, alpha=alpha,
                                  beta=beta, outside_debt=outside_debt, lgd=list(lgd) or None,
                                  status=status, kinds=kinds, missing_equity=missing_equity,
                                  weights=weights, progress=progress)
    finally:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)
    emit(result, fmt, limit)
