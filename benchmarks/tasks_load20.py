"""Benchmark tasks of issue 20, loading: a network folder read and validated by finflow,
beside pandas' own read of the same files (bare) and a plain pandas + networkx build.

``load csv``
    finflow: ``finflow.load`` of the CSV folder (parse, validate every cell, build the
    network). bare: ``pd.read_csv`` of both files with default options (what the
    issue's "within 2x of pandas" compares with). plain: the same read, then a networkx
    MultiDiGraph with one edge per commitment (no validation).
``load parquet``
    finflow: ``finflow.load`` of the folder's Parquet copy (``FOLDER-parquet``, written
    by ``python benchmarks/tasks_load20.py FOLDER`` or on first use, which is then in
    that run's time: the note says so). bare: ``pd.read_parquet`` of both files.

Each function takes the CSV network folder (str) and returns a short note.
"""
from __future__ import annotations

import sys
from pathlib import Path

import networkx as nx
import pandas as pd

import finflow


def parquet_copy(folder: str) -> tuple[Path, bool]:
    """The Parquet copy of a CSV network folder, ``FOLDER-parquet`` (written when
    missing); returns (path, whether it was written now)."""
    target = Path(str(folder).rstrip("/") + "-parquet")
    if (target / "commitments.parquet").is_file():
        return target, False
    finflow.load(folder).save(target, format="parquet", overwrite=True)
    return target, True


def load_csv_finflow(folder: str) -> str:
    net = finflow.load(folder)
    return f"{len(net.commitments):,} rows validated"


def load_csv_bare(folder: str) -> str:
    ent = pd.read_csv(Path(folder) / "entities.csv")
    com = pd.read_csv(Path(folder) / "commitments.csv")
    return f"{len(com):,} rows read ({len(ent):,} entities), not validated"


def load_csv_plain(folder: str) -> str:
    ent = pd.read_csv(Path(folder) / "entities.csv")
    com = pd.read_csv(Path(folder) / "commitments.csv")
    g = nx.MultiDiGraph()
    g.add_nodes_from(ent["id"])
    g.add_edges_from(zip(com["payer"], com["payee"], com["id"]))
    return f"{g.number_of_edges():,} edges, not validated"


def load_parquet_finflow(folder: str) -> str:
    target, written = parquet_copy(folder)
    net = finflow.load(target)
    note = f"{len(net.commitments):,} rows validated"
    return note + (" (Parquet copy written first, in this time)" if written else "")


def load_parquet_bare(folder: str) -> str:
    target, written = parquet_copy(folder)
    pd.read_parquet(target / "entities.parquet")
    com = pd.read_parquet(target / "commitments.parquet")
    note = f"{len(com):,} rows read, not validated"
    return note + (" (Parquet copy written first, in this time)" if written else "")


TASKS = {
    "load csv": {"finflow": load_csv_finflow, "bare": load_csv_bare, "plain": load_csv_plain},
    "load parquet": {"finflow": load_parquet_finflow, "bare": load_parquet_bare,
                     "plain": None},
}


if __name__ == "__main__":  # write the Parquet copies: python tasks_load20.py FOLDER...
    for arg in sys.argv[1:]:
        path, made = parquet_copy(arg)
        print(f"{path}: {'written' if made else 'already there'}")
