"""Synthetic financial networks of any size, reproducible from a seed.

Used for benchmarks and for trying finflow on networks far larger than the AI deals.
The shape is meant to be plausible, not calibrated: heavy-tailed entity sizes, a dense
core of large entities and a periphery, amounts that scale with the smaller side of each
deal, and a mix of kinds and statuses like the bundled network's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import FinflowError
from .model import Network
from .schema import COMMITMENT_COLUMNS, ENTITY_COLUMNS

__all__ = ["generate", "generate_transactions", "KIND_MIX", "STATUS_MIX"]

#: share of commitments of each kind (roughly the bundled network's mix)
KIND_MIX: dict[str, float] = {
    "compute": 0.24, "purchase": 0.18, "equity": 0.16, "loan": 0.12, "bond": 0.08,
    "credit": 0.08, "lease": 0.06, "warrant": 0.02, "backstop": 0.02, "other": 0.04,
}
#: share of commitments of each status
STATUS_MIX: dict[str, float] = {
    "closed": 0.35, "committed": 0.40, "loi": 0.07, "reported": 0.11, "lapsed": 0.07,
}
_CORE_TYPES = np.array(["hyperscaler", "chipmaker", "ai_lab", "cloud", "lender"], dtype=object)
_PERIPHERY_TYPES = np.array(["cloud", "other", "investor", "lender", "spv", "chipmaker"],
                            dtype=object)


#: the largest seed accepted (numpy accepts any nonnegative integer; a bound keeps the
#: seed printable and storable as a 64-bit integer)
MAX_SEED = 2**63 - 1
#: the largest network :func:`generate` makes (10 million rows fill about 10 GB)
MAX_ENTITIES = 10_000_000
MAX_COMMITMENTS = 10_000_000


def generate(n_entities: int, n_commitments: int, seed: int = 0, *,
             core_share: float = 0.02, core_density: float = 0.3,
             size_tail: float = 1.3, name: str | None = None) -> Network:
    """A random network with a realistic shape.

    Parameters
    ----------
    n_entities : int
        Number of entities (at least 2, at most :data:`MAX_ENTITIES`).
    n_commitments : int
        Number of commitments (edges, at most :data:`MAX_COMMITMENTS`); parallel
        commitments between a pair are allowed,
        as in real data.
    seed : int
        Seed of numpy's PCG64 generator, 0 to :data:`MAX_SEED`: the same arguments give
        the same network.
    core_share : float
        Share of entities in the dense core (the largest ones).
    core_density : float
        Share of commitments placed between two core entities.
    size_tail : float
        Pareto tail index of entity size (smaller = heavier tail).
    name : str, optional
        The network's name in its metadata (default: "synthetic network (N entities, M
        commitments, seed S)").

    Returns
    -------
    Network
        Entities ``e0000001``... with type, equity, cash, revenue, debt (all scaled by a
        Pareto-distributed size; equity 5-30 % of size) and commitments with kind, status,
        amount, funded, dates and confidence drawn from :data:`KIND_MIX` and
        :data:`STATUS_MIX`.

    Notes
    -----
    Payers and payees are drawn with probability proportional to size (a Chung-Lu
    style model), so degrees are heavy-tailed; ``core_density`` of the commitments are
    drawn inside the core. Amounts are log-normal, scaled by the smaller party's size.
    Self-loops are redrawn. Everything is vectorised: a million commitments take a few
    seconds.

    Examples
    --------
    >>> net = generate(50, 300, seed=1)
    >>> net.n, len(net.commitments)
    (50, 300)
    >>> generate(50, 300, seed=1).commitments.equals(net.commitments)
    True
    """
    if n_entities < 2:
        raise FinflowError("a network needs at least 2 entities")
    if n_commitments < 0:
        raise FinflowError("the number of commitments cannot be negative")
    if n_entities > MAX_ENTITIES or n_commitments > MAX_COMMITMENTS:
        raise FinflowError(f"generate makes at most {MAX_ENTITIES:,} entities and "
                           f"{MAX_COMMITMENTS:,} commitments")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) \
            or not 0 <= int(seed) <= MAX_SEED:
        raise FinflowError(f"seed: {seed!r} is not a whole number from 0 to {MAX_SEED} "
                           "(numpy's PCG64 needs a nonnegative seed)")
    for what, x, lo, hi in (("core_share", core_share, 0.0, 1.0),
                            ("core_density", core_density, 0.0, 1.0),
                            ("size_tail", size_tail, 0.1, 100.0)):
        if not (isinstance(x, (int, float, np.number)) and lo <= float(x) <= hi):
            raise FinflowError(f"{what}: {x!r} is not a number from {lo:g} to {hi:g}")
    rng = np.random.default_rng(seed)
    n, m = int(n_entities), int(n_commitments)
    width = max(7, len(str(n)))
    ids = np.array([f"e{i:0{width}d}" for i in range(1, n + 1)], dtype=object)

    size = np.sort(rng.pareto(size_tail, n) + 1.0)[::-1] * 0.5  # USD bn, largest first
    n_core = max(2, int(round(core_share * n)))
    types = np.where(np.arange(n) < n_core,
                     _CORE_TYPES[rng.integers(0, len(_CORE_TYPES), n)],
                     _PERIPHERY_TYPES[rng.integers(0, len(_PERIPHERY_TYPES), n)])
    equity = size * rng.uniform(0.05, 0.30, n)
    entities = pd.DataFrame({
        "id": ids,
        "name": pd.Series([f"Entity {i}" for i in range(1, n + 1)], dtype=object),
        "type": pd.Series(types, dtype=object),
        "equity": equity,
        "cash": size * rng.uniform(0.03, 0.20, n),
        "revenue": size * rng.uniform(0.2, 1.0, n),
        "debt": size * rng.uniform(0.1, 0.8, n),
        "valuation": size * rng.uniform(1.0, 6.0, n),
        "external_assets": np.full(n, np.nan),
    })
    for col, typ in ENTITY_COLUMNS.items():
        if col not in entities:
            entities[col] = pd.Series([None] * n, dtype=object)
    entities["as_of"] = pd.Series(["2026"] * n, dtype=object)
    entities["source"] = pd.Series(["synthetic (finflow.generate)"] * n, dtype=object)
    entities = entities[list(ENTITY_COLUMNS)]

    p = size / size.sum()
    in_core = rng.random(m) < core_density
    payer = rng.choice(n, size=m, p=p)
    payee = rng.choice(n, size=m, p=p)
    core_p = p[:n_core] / p[:n_core].sum()
    k = int(in_core.sum())
    payer[in_core] = rng.choice(n_core, size=k, p=core_p)
    payee[in_core] = rng.choice(n_core, size=k, p=core_p)
    clash = payer == payee
    while clash.any():  # redraw self-loops
        payee[clash] = rng.choice(n, size=int(clash.sum()), p=p)
        clash = payer == payee

    kinds = np.array(list(KIND_MIX), dtype=object)
    kind = kinds[rng.choice(len(kinds), size=m, p=np.array(list(KIND_MIX.values())))]
    statuses = np.array(list(STATUS_MIX), dtype=object)
    status = statuses[rng.choice(len(statuses), size=m, p=np.array(list(STATUS_MIX.values())))]
    scale = np.minimum(size[payer], size[payee])
    amount = np.round(scale * rng.lognormal(-4.5, 1.0, m), 4) + 0.0001
    start = rng.integers(2023, 2031, m)
    term = rng.integers(1, 9, m)
    announced_year = np.minimum(start, 2026) - rng.integers(0, 2, m)
    month = rng.integers(1, 13, m)
    funded = np.full(m, np.nan)
    stake = np.isin(kind, ["equity", "loan", "bond", "credit"]) & (status == "closed")
    funded[stake] = amount[stake]
    flows = np.isin(kind, ["purchase", "compute", "lease"])
    paid = flows & (start <= 2026)
    funded[paid] = np.round(amount[paid] * rng.uniform(0.0, 0.6, int(paid.sum())), 4)
    lapsed = status == "lapsed"
    conf = np.array(["high", "medium", "low"], dtype=object)[rng.choice(3, size=m,
                                                                         p=[0.5, 0.35, 0.15])]

    def text(values: np.ndarray) -> pd.Series:
        return pd.Series(values.astype(object), dtype=object)

    ann = np.char.add(np.char.add(announced_year.astype(str), "-"),
                      np.char.zfill(month.astype(str), 2))
    lapsed_on = np.where(lapsed, np.char.add(np.minimum(announced_year + 1, 2026).astype(str),
                                             "-12"), None)
    commitments = pd.DataFrame({
        "id": text(np.array([f"c{i:0{max(7, len(str(m)))}d}" for i in range(1, m + 1)])),
        "payer": text(ids[payer]),
        "payee": text(ids[payee]),
        "kind": text(kind),
        "amount": amount,
        "funded": funded,
        "amount_low": np.full(m, np.nan),
        "amount_high": np.full(m, np.nan),
        "annual": np.full(m, np.nan),
        "start": text(start.astype(str)),
        "end": text((start + term).astype(str)),
        "announced": text(ann),
        "lapsed_on": pd.Series(lapsed_on, dtype=object),
        "status": text(status),
        "prior_status": pd.Series(np.where(lapsed, "committed", None), dtype=object),
        "confidence": text(conf),
        "cancelable": rng.random(m) < 0.05,
        "deal": pd.Series([None] * m, dtype=object),
        "in_totals": np.ones(m, dtype=bool),
        "estimated": pd.Series([None] * m, dtype=object),
        "source": pd.Series(["synthetic (finflow.generate)"] * m, dtype=object),
        "note": pd.Series([None] * m, dtype=object),
    })
    commitments = commitments[list(COMMITMENT_COLUMNS)]
    meta: dict[str, Any] = {
        "name": name or f"synthetic network ({n:,} entities, {m:,} commitments, seed {seed})",
        "description": "Synthetic network made by finflow.generate: heavy-tailed sizes, a "
                       "dense core and a periphery. Not real data.",
        "as_of": "2026-06-30", "currency": "USD", "unit": "billions",
        "generator": {"n_entities": n, "n_commitments": m, "seed": seed,
                      "core_share": core_share, "core_density": core_density,
                      "size_tail": size_tail},
    }
    return Network(entities, commitments, meta, validated=True)


# ---- transaction records (for finflow aggregate) -----------------------------------------
#: the largest number of records :func:`generate_transactions` writes
MAX_TRANSACTIONS = 10_000_000_000
#: records per chunk (each chunk is drawn and written on its own, so memory stays small)
TRANSACTION_CHUNK = 5_000_000
TRANSACTION_FORMATS = ("csv", "parquet")
TRANSACTION_PARTITIONS = ("none", "month")


def generate_transactions(n_records: int, path: str | Path, *, n_entities: int = 10_000,
                          n_pairs: int | None = None, seed: int = 0, fmt: str = "parquet",
                          partition: str = "none", year: int = 2025,
                          chunk: int = TRANSACTION_CHUNK) -> dict[str, Any]:
    """Write synthetic transaction records (payer, payee, amount, kind, date) into a
    new or empty folder, chunk by chunk, reproducibly from a seed.

    Parameters
    ----------
    n_records : int
        Number of records (at most :data:`MAX_TRANSACTIONS`).
    path : str or Path
        The folder to write (new, or empty: an earlier run's part files would otherwise
        mix with these).
    n_entities : int
        Number of entities (ids ``e0000001``...), at least 2.
    n_pairs : int, optional
        Number of (payer, payee, kind) relationships the records are drawn from (default
        5 per entity): a realistic ledger repeats the same relationships, so the records
        aggregate to at most ``n_pairs`` x 12 monthly commitments.
    seed : int
        Seed of numpy's generator: the same arguments write the same records.
    fmt : {"parquet", "csv"}
        File format (Parquet through pyarrow; dates as dates there, ISO text in CSV).
    partition : {"none", "month"}
        ``month``: hive partitions ``year=YYYY/month=MM/part-NNNNN.parquet``;
        ``none``: ``part-NNNNN.parquet`` in the folder.
    year : int
        The calendar year the dates fall in (uniformly).
    chunk : int
        Records per chunk (one file per chunk, and per month when partitioned).

    Returns
    -------
    dict
        ``files`` (paths written), ``n_records``, ``n_entities``, ``n_pairs``.

    Notes
    -----
    Entity sizes are Pareto-distributed (tail 1.3) as in :func:`generate`; each
    relationship has a payer and a payee drawn by size (Chung and Lu 2002), a kind from
    :data:`KIND_MIX` and a typical amount (log-normal, scaled by the smaller party); each
    record picks a relationship with probability proportional to the product of the two
    sizes, a day of the year, and an amount (the relationship's typical amount times a
    log-normal factor, in cents). Chunk ``i`` draws from the ``i``-th child of
    ``SeedSequence(seed)``, so a chunk's records do not depend on the others.

    Examples
    --------
    >>> import tempfile
    >>> out = generate_transactions(1000, tempfile.mkdtemp() + "/t", n_entities=20,
    ...                             fmt="csv", chunk=400)
    >>> len(out["files"]), out["n_records"]
    (3, 1000)
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    from .io.output import OutputFolder

    n, m = int(n_records), int(n_entities)
    if not 0 < n <= MAX_TRANSACTIONS:
        raise FinflowError(f"--transactions: {n} is not from 1 to {MAX_TRANSACTIONS:,}")
    if m < 2:
        raise FinflowError("--entities: the records need at least 2 entities")
    if fmt not in TRANSACTION_FORMATS:
        raise FinflowError(f"format: {fmt!r} is not one of {', '.join(TRANSACTION_FORMATS)}")
    if partition not in TRANSACTION_PARTITIONS:
        raise FinflowError(f"partition: {partition!r} is not one of "
                           f"{', '.join(TRANSACTION_PARTITIONS)}")
    k = int(n_pairs) if n_pairs is not None else 5 * m
    if k < 1:
        raise FinflowError("n_pairs: at least one relationship is needed")
    # a new or empty folder only (checked before anything is drawn)
    if Path(path).is_dir() and not Path(path).is_symlink() and any(Path(path).iterdir()):
        raise FinflowError(f"{path}: is not empty; transaction records go into a new or "
                           "empty folder (so that no part file of an earlier run mixes "
                           "with them)")
    OutputFolder.preflight(path, require_empty=True, writer="transactions")
    root = OutputFolder(path, require_empty=True, writer="transactions", manifest=False)

    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    width = max(7, len(str(m)))
    ids = pa.array([f"e{i:0{width}d}" for i in range(1, m + 1)], type=pa.string())
    size = np.sort(rng.pareto(1.3, m) + 1.0)[::-1]
    p = size / size.sum()
    payer = rng.choice(m, size=k, p=p)
    payee = rng.choice(m, size=k, p=p)
    clash = payer == payee
    while clash.any():  # no self-payments
        payee[clash] = rng.choice(m, size=int(clash.sum()), p=p)
        clash = payer == payee
    kinds = pa.array(list(KIND_MIX), type=pa.string())
    pair_kind = rng.choice(len(KIND_MIX), size=k, p=np.array(list(KIND_MIX.values())))
    typical = np.minimum(size[payer], size[payee]) * rng.lognormal(6.0, 1.0, k)  # USD
    weight = size[payer] * size[payee]
    cum = np.cumsum(weight / weight.sum())
    cum[-1] = 1.0
    first = np.datetime64(f"{year}-01-01")
    days = int((np.datetime64(f"{year + 1}-01-01") - first).astype(int))

    files: list[str] = []
    n_chunks = -(-n // chunk)
    children = np.random.SeedSequence(seed).spawn(n_chunks + 1)[1:]
    for c in range(n_chunks):
        r = np.random.default_rng(children[c])
        size_c = min(chunk, n - c * chunk)
        pick = np.searchsorted(cum, r.random(size_c), side="right")
        day = r.integers(0, days, size_c)
        amount = np.round(typical[pick] * r.lognormal(0.0, 0.5, size_c), 2) + 0.01
        if partition == "month":
            order = np.argsort(day, kind="stable")
            pick, day, amount = pick[order], day[order], amount[order]
        dates = first + day.astype("timedelta64[D]")
        table = pa.table({
            "payer": ids.take(pa.array(payer[pick])),
            "payee": ids.take(pa.array(payee[pick])),
            "amount": pa.array(amount),
            "kind": kinds.take(pa.array(pair_kind[pick])),
            "date": pa.array(dates, type=pa.date32()),
        })
        if partition == "month":
            months = dates.astype("datetime64[M]")
            bounds = np.flatnonzero(np.diff(months.astype(int))) + 1
            starts = np.concatenate([[0], bounds])
            ends = np.concatenate([bounds, [size_c]])
            parts = [(f"year={year}", f"month={int(str(months[s])[5:7]):02d}", s, e)
                     for s, e in zip(starts, ends)]
        else:
            parts = [(None, None, 0, size_c)]
        for ydir, mdir, s, e in parts:
            folder = root if ydir is None else OutputFolder(
                Path(path) / ydir / mdir, writer="transactions", manifest=False)
            name = f"part-{c:05d}.{fmt}"
            piece = table.slice(s, e - s)
            with folder.open(name, binary=True) as f:
                if fmt == "parquet":
                    pq.write_table(piece, f, compression="zstd")
                else:
                    pacsv.write_csv(piece, f)
            files.append(str(folder.given / name))
    return {"files": files, "n_records": n, "n_entities": m, "n_pairs": k}
