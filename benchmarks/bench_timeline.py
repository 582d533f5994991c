"""Time the obligation schedule and the funding gap on synthetic networks.

Run from the repository root:  PYTHONPATH=src python benchmarks/bench_timeline.py [SIZES]
SIZES are entity counts (commitments = 10 x entities); default 1000 10000 100000.
Prints one table row per size and step (wall seconds; peak RSS of the process in MB).
"""
from __future__ import annotations

import resource
import sys
import time

import numpy as np
import pandas as pd

import finflow
from finflow.analysis.timeline import funding_gap, schedule


def synthetic(n: int, seed: int = 0) -> finflow.Network:
    rng = np.random.default_rng(seed)
    m = 10 * n
    ids = np.array([f"e{i}" for i in range(n)], dtype=object)
    payer = rng.zipf(1.6, m) % n
    payee = (payer + 1 + rng.integers(0, n - 1, m)) % n
    kinds = rng.choice(list(finflow.KINDS), m)
    y0 = rng.integers(2020, 2031, m)
    mo = rng.integers(1, 13, m)
    start = np.where(rng.random(m) < 0.5, y0.astype(str),
                     [f"{y}-{k:02d}" for y, k in zip(y0, mo)])
    end = np.where(rng.random(m) < 0.7, (y0 + rng.integers(0, 15, m)).astype(str), None)
    amount = rng.lognormal(0, 2, m)
    com = pd.DataFrame({"id": [f"c{i}" for i in range(m)], "payer": ids[payer],
                        "payee": ids[payee], "kind": kinds, "amount": amount,
                        "funded": np.where(rng.random(m) < 0.3, amount * rng.random(m), np.nan),
                        "annual": np.where(rng.random(m) < 0.2, amount / 5, np.nan),
                        "start": start, "end": end, "announced": start})
    ent = pd.DataFrame({"id": ids, "revenue": rng.lognormal(1, 2, n),
                        "cash": np.where(rng.random(n) < 0.5, rng.lognormal(0, 2, n), np.nan),
                        "as_of": "2025"})
    return finflow.Network.from_frames(ent, com, name=f"synthetic {n}", as_of="2026-06-11")


def main(sizes: list[int]) -> None:
    print("| entities | commitments | step | wall s | schedule rows | peak MB |")
    print("|---|---|---|---|---|---|")
    for n in sizes:
        net = synthetic(n)
        t = time.perf_counter()
        s = schedule(net)
        dt = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {n:,} | {10 * n:,} | schedule | {dt:.2f} | {len(s.schedule):,} | {peak:.0f} |")
        t = time.perf_counter()
        g = funding_gap(net)
        dt = time.perf_counter() - t
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {n:,} | {10 * n:,} | funding_gap (every entity, 10 years) | {dt:.2f} | "
              f"{len(g.table):,} table rows | {peak:.0f} |")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000, 100000])
