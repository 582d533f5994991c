"""``finflow generate``: a synthetic network in the folder format."""
from __future__ import annotations

import click

from .base import main
from .base import SEED, count, real
from .choices import MAX_COMMITMENTS, MAX_ENTITIES
from .aggregate import transactions_options  # --transactions N: records for aggregate


@main.command()
@click.argument("n_entities", type=count(2, MAX_ENTITIES), required=False)
@click.argument("n_commitments", type=count(0, MAX_COMMITMENTS), required=False)
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False),
              help="Folder to write (entities.csv, commitments.csv, network.yaml).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Random seed.")
@click.option("--core-share", type=real(0, 1), default=0.02, show_default=True,
              help="Share of entities in the dense core.")
@click.option("--core-density", type=real(0, 1), default=0.3, show_default=True,
              help="Share of commitments inside the core.")
@click.option("--force", is_flag=True, help="Replace the files of an existing folder.")
@transactions_options
def generate(n_entities, n_commitments, output, seed, core_share, core_density, force,
             table_format):
    """Write a reproducible synthetic network of N_ENTITIES and N_COMMITMENTS.

    Heavy-tailed entity sizes, a dense core and a periphery, a mix of kinds and
    statuses like the bundled network's. Not real data: for benchmarks and trials.

    \b
    Examples:
      finflow generate 1000 10000 -o /tmp/synthetic-1k
      finflow generate 100000 1000000 --seed 7 -o big && finflow show big --limit 5
      finflow generate --transactions 1000000 --partition month -o records
      finflow generate 100000 1000000 --format parquet -o big-parquet
    """
    # the library is imported when the command runs (not for --help or completion)
    from ..generate import generate as make_network
    net = make_network(n_entities, n_commitments, seed=seed, core_share=core_share,
                       core_density=core_density)
    path = net.save(output, format="folder" if table_format == "csv" else "parquet",
                    overwrite=force)
    click.echo(f"wrote {net.n:,} entities and {len(net.commitments):,} commitments to {path}")
