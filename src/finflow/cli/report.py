"""``finflow report``: every analysis in one folder (the main job)."""
from __future__ import annotations

import time
from pathlib import Path

import click

from .choices import MISSING_EQUITY_RULES, MODELS, TABLE_FORMATS
from .base import filter_options, load_network, main, network_argument, progress
from .base import MAX_DRAWS, SEED, count, real


@main.command()
@network_argument
@click.option("-o", "--output", "output", default="finflow-report", show_default=True,
              type=click.Path(file_okay=False), help="Folder to write the report into.")
@click.option("--force", is_flag=True,
              help="Write into a non-empty folder, replacing only the report's own files.")
@click.option("--lgd", multiple=True, metavar="KIND=X",
              help="Loss given default of a kind, in [0, 1] (repeatable).")
@click.option("--missing-equity", type=click.Choice(MISSING_EQUITY_RULES), default=None,
              help="Entities without equity in the contagion models: error, skip or zero. "
                   "Default: the network's missing_equity setting, else error.")
@click.option("--rank-model", type=click.Choice(MODELS), default="linear-debtrank",
              show_default=True, help="Contagion model of the systemic ranking.")
@click.option("--top-systemic", type=click.IntRange(0, 20), default=3, show_default=True,
              help="How many of the most systemic entities get a contagion run under "
                   "every model.")
@click.option("--revenue-growth", type=real(-1, 10), default=0.0, show_default=True,
              help="Yearly revenue growth assumed by the timeline (0.1 = 10%).")
@click.option("--draws", type=count(0, MAX_DRAWS), default=0, show_default=True,
              metavar="N", help="Add how sure each finding is: N Monte Carlo draws over the "
                                "amount ranges and deal status, the status scenarios and the "
                                "null-model significance of circularity (0: leave out).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the draws.")
@click.option("--csv-raw", is_flag=True,
              help="CSV tables exactly as computed, for machine pipelines. By default a "
                   "text cell that a spreadsheet would run as a formula (starting with "
                   "= + - @, tab or CR) gets a leading ' (numbers are never changed).")
@click.option("--table-format", type=click.Choice(TABLE_FORMATS), default="auto",
              show_default=True,
              help="Table files: auto = CSV up to 1,000 rows, Parquet past it (small "
                   "folders); csv or parquet = every table so.")
@click.option("--bff-max", type=count(0), default=None, metavar="N",
              help="Largest number of entities on cycles for the balanced-flow-forwarding "
                   "decomposition (default: the analysis's own limit; past it the report "
                   "names the section it left out).")
@click.option("--finn-max", type=count(1), default=None, metavar="N",
              help="Largest strongly connected component for the exact Finn cycling index "
                   "(default: the analysis's own limit).")
@filter_options
def report(network, output, force, lgd, missing_equity, rank_model, top_systemic,
           revenue_growth, draws, seed, csv_raw, table_format, bff_max, finn_max, status,
           kinds, as_of):
    """Write a complete analysis of a network into one folder.

    The folder holds index.html (self-contained, opens offline: key findings in
    plain sentences, loops and circulation, dependence and coverage, contagion
    under every model, the systemic ranking, the timeline, the interactive
    network view, assumptions and sources), report.md (the same findings and
    tables), results.json (every summary and every table of up to 1,000 rows; a
    longer table is a Parquet file beside it, named there with its rows and
    columns and listed under large_tables) and a file per table (CSV up to 1,000
    rows, Parquet past it; --table-format csv for CSV only). Every analysis it
    leaves out (a size limit, missing data, an option) is named, with the option
    or the data that would run it, in the three documents (results.json:
    skipped). A network without equity figures gets every analysis that does not
    need them. Before it starts, it says how big and how long the report should
    be. A folder that is not empty is refused unless --force is given;
    --force replaces the report's own files and removes the files of a previous
    report that this one does not write (those listed in .finflow-manifest.json
    and unchanged since); other files are kept. Nothing is written through a
    symbolic link.

    \b
    Examples:
      finflow report                          the bundled AI-infrastructure network
      finflow report -o out --force           write again into out/
      finflow report my_network -o my-report --missing-equity skip
      finflow report --as-of 2025-10-01 -o report-2025-10
      finflow report --draws 1000 -o report-with-bands --force
      finflow report -o out --force --csv-raw  CSVs for a pipeline, not a spreadsheet
      finflow report big_network --bff-max 40000 --finn-max 40000
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..io.output import OutputFolder
    from ..report import build_report, estimate, write_report
    started = time.perf_counter()
    out = Path(output)
    OutputFolder.preflight(out, force=force, writer="report", require_empty=True)
    net = load_network(network, as_of)
    progress(f"finflow report: {net.name} ({net.n} entities, {len(net.commitments)} "
             "commitments)")
    guess = estimate(net, draws=draws, top_systemic=top_systemic, rank_model=rank_model)
    progress(f"  estimate from the network's size: about {_size(guess['megabytes'])} on "
             f"disk and {_duration(guess['seconds'])} on an idle 2-core machine (an order "
             "of magnitude, not a promise)")
    rep = build_report(net, status=status, kinds=kinds, lgd=lgd or None, rank_model=rank_model,
                       top_systemic=top_systemic, missing_equity=missing_equity,
                       revenue_growth=revenue_growth, draws=draws, seed=seed,
                       bff_max=bff_max, finn_max=finn_max,
                       progress=lambda message: progress(f"  {message}"))
    for skip in rep.skipped:
        progress(f"  left out: {skip.sentence()}")
    written = write_report(rep, out, force=force, csv_raw=csv_raw, table_format=table_format,
                           progress=lambda message: progress(f"  {message}"))
    size = sum(p.stat().st_size for p in written if p.exists())
    progress(f"  {len(written)} files, {_size(size / 1e6)}, in "
             f"{time.perf_counter() - started:.1f} s")
    click.echo(f"Report written to {out}/ (open {out / 'index.html'})")


def _size(megabytes: float) -> str:
    return f"{megabytes:,.0f} MB" if megabytes >= 10 else f"{megabytes:.1f} MB"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
