"""``finflow aggregate``: transaction records -> a network folder; and the
``finflow generate --transactions N`` options that write synthetic records for it."""
from __future__ import annotations

import functools
import os
import time
from typing import Any, Callable

import click

from ..kinds import KINDS
from .base import InputError, count, main, progress

# The choices, spelt here so that loading the command line does not import the library
# (pandas, numpy); tests/test_aggregate.py checks that they equal the library's
# (finflow.aggregate.PERIODS, ENGINES; finflow.generate.MAX_TRANSACTIONS,
# TRANSACTION_FORMATS, TRANSACTION_PARTITIONS).
PERIODS = ("month", "quarter", "year", "all")
ENGINES = ("duckdb", "spark")
MAX_TRANSACTIONS = 10_000_000_000
TRANSACTION_FORMATS = ("csv", "parquet")
TRANSACTION_PARTITIONS = ("none", "month")


@main.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Network folder to write (entities.csv, commitments.csv, network.yaml).")
@click.option("--columns", required=True, metavar="payer=COL,payee=COL,amount=COL[,...]",
              help="Which column holds what: payer, payee and amount required; kind and "
                   "date optional.")
@click.option("--period", type=click.Choice(PERIODS), default="month", show_default=True,
              help="Sum the amounts per this period (needs a date column unless 'all').")
@click.option("--engine", type=click.Choice(ENGINES), default="duckdb", show_default=True,
              help="duckdb: embedded, out of core; spark: Spark SQL through pyspark "
                   "(SPARK_MASTER, default local[*]). The same SQL runs on both.")
@click.option("--kind", "kind", type=click.Choice(list(KINDS)), default=None,
              help="The kind of every commitment when the records have no kind column "
                   "[default: other].")
@click.option("--name", default=None, help="The network's name (network.yaml).")
@click.option("--currency", default=None, help="The amounts' currency [default: USD].")
@click.option("--unit", default=None, help="The amounts' unit [default: as in the records].")
@click.option("--memory-limit", default=None, metavar="SIZE",
              help="DuckDB's memory limit, e.g. 8GB or 50% [default: 60%]; the rest spills "
                   "to --temp-dir.")
@click.option("--temp-dir", default=None, type=click.Path(file_okay=False),
              help="DuckDB's spill folder [default: a new temporary folder, removed after].")
@click.option("--force", is_flag=True, help="Replace the network files of an existing folder.")
def aggregate(sources, output, columns, period, engine, kind, name, currency, unit,
              memory_limit, temp_dir, force):
    """Sum transaction records (CSV or Parquet) into a network.

    One commitment per payer, payee, kind and period, every id seen an entity.

    SOURCE is a file, a glob (quote it: 'records/**/*.parquet'; hive partitions such as
    year=2025/month=01 included) or a folder (every CSV or Parquet file below it).
    Each commitment is money that moved: status closed, funded = amount, start and end
    the period's first and last day. A bad record (missing payer or payee, an amount
    that is not a number >= 0, an unknown kind, a bad date) stops the run before
    anything is written: the first ones are named by file and row, exit status 2.

    \b
    Examples:
      finflow generate --transactions 1000000 --partition month -o records
      finflow aggregate 'records/**/*.parquet' -o net \\
          --columns payer=payer,payee=payee,amount=amount,kind=kind,date=date
      finflow aggregate payments.csv -o net --columns payer=from,payee=to,amount=usd \\
          --period all --kind purchase
      finflow aggregate records -o net --engine spark --columns ...
    """
    from ..aggregate import aggregate as run
    from ..io.output import OutputFolder
    # the output folder is checked before the (long) aggregation
    OutputFolder.preflight(output, force=force, writer="network")
    from ..io.folder import COMMITMENTS_FILE, ENTITIES_FILE, METADATA_FILE
    held = [n for n in (ENTITIES_FILE, COMMITMENTS_FILE, METADATA_FILE)
            if os.path.lexists(os.path.join(output, n))]
    if held and not force:
        raise InputError(f"-o: {output} already holds {', '.join(held)}; choose another "
                         "folder or pass --force to replace them")
    t0 = time.perf_counter()
    net = run(list(sources), columns, period=period, kind=kind, engine=engine, name=name,
              currency=currency, unit=unit, memory_limit=memory_limit, temp_dir=temp_dir)
    path = net.save(output, overwrite=force)
    progress(f"aggregated with {engine} in {time.perf_counter() - t0:.1f} s")
    click.echo(f"wrote {net.n:,} entities and {len(net.commitments):,} commitments to {path}: "
               f"{net.metadata['description']}")


def transactions_options(fn: Callable) -> Callable:
    """``--transactions N``, ``--entities M``, ``--format``, ``--partition`` for
    ``finflow generate``: with ``--transactions`` the command writes synthetic records
    (:func:`finflow.generate.generate_transactions`) instead of a network."""

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        n = kwargs.pop("transactions")
        opts = {k: kwargs.pop(k) for k in ("entities", "records_format", "partition")}
        if n is None:
            if opts["entities"] is not None or opts["partition"] is not None:
                raise InputError("--entities and --partition go with --transactions N")
            # a network's table files: CSV (default) or Parquet
            kwargs["table_format"] = opts["records_format"] or "csv"
            if kwargs.get("n_entities") is None or kwargs.get("n_commitments") is None:
                raise InputError("give N_ENTITIES and N_COMMITMENTS (a network), or "
                                 "--transactions N (records)")
            return fn(*args, **kwargs)
        if kwargs.get("n_entities") is not None:
            raise InputError("--transactions writes records, not a network: drop "
                             "N_ENTITIES N_COMMITMENTS (use --entities M)")
        if kwargs.get("force"):
            raise InputError("--force does not apply to --transactions: records go into a "
                             "new or empty folder, so that no part file of an earlier run "
                             "mixes with them")
        from ..generate import generate_transactions
        t0 = time.perf_counter()
        out = generate_transactions(n, kwargs["output"], n_entities=opts["entities"] or 10_000,
                                    seed=kwargs["seed"], fmt=opts["records_format"] or "parquet",
                                    partition=opts["partition"] or "none")
        progress(f"generated in {time.perf_counter() - t0:.1f} s")
        click.echo(f"wrote {out['n_records']:,} transaction records between "
                   f"{out['n_entities']:,} entities in {len(out['files']):,} files to "
                   f"{kwargs['output']}")

    for opt in reversed([
        click.option("--transactions", type=count(1, MAX_TRANSACTIONS), default=None,
                     metavar="N", help="Write N synthetic transaction records (payer, payee, "
                     "amount, kind, date) for finflow aggregate, instead of a network."),
        click.option("--entities", type=count(2, 10_000_000), default=None, metavar="M",
                     help="With --transactions: the number of entities [default: 10000]."),
        click.option("--format", "records_format", type=click.Choice(TRANSACTION_FORMATS),
                     default=None, help="File format: a network's tables as CSV "
                     "(default) or Parquet (typed, loads faster); with --transactions the "
                     "records' files [default: parquet]."),
        click.option("--partition", type=click.Choice(TRANSACTION_PARTITIONS), default=None,
                     help="With --transactions: month writes hive partitions "
                          "year=YYYY/month=MM/ [default: none]."),
    ]):
        wrapped = opt(wrapped)
    return wrapped
