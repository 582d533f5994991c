"""Time ``finflow uncertainty`` stage by stage: the bundled network at 1,000 draws, then
synthetic networks (``finflow.generate``, ten commitments per entity) with fewer draws.

Run from the repository root::

    PYTHONPATH=src python benchmarks/bench_uncertainty.py            # bundled + 200, 1000
    PYTHONPATH=src python benchmarks/bench_uncertainty.py 200 2000   # other sizes

Prints a Markdown table: wall seconds of each stage (from the result's diagnostics) and
per draw. Not part of the test suite.
"""
from __future__ import annotations

import sys
import time

import finflow
from finflow.analysis.uncertainty import uncertainty


def row(label: str, net, draws: int, null: int, **kw) -> None:
    t = time.perf_counter()
    r = uncertainty(net, draws, null_samples=null, **kw)
    wall = time.perf_counter() - t
    s = r.diagnostics["seconds"]
    per = 1000 * s["draws"] / max(draws, 1)
    print(f"| {label} | {net.n:,} | {r.diagnostics['rows']:,} | {draws:,} "
          f"(BFF {r.bff_draws}, ranking {r.rank_draws}) | {null} | "
          f"{s['point_and_scenarios']:.2f} | {s['draws']:.2f} | {per:.1f} | "
          f"{s['null_model']:.2f} | {wall:.2f} |")


def main(sizes: list[int]) -> None:
    print("| network | entities | commitments | draws | null samples | point + scenarios s "
          "| draws s | ms per draw | null model s | total s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    net = finflow.load_default()
    row("bundled", net, 1000, 999)
    row("bundled, no ranking", net, 1000, 999, rank_draws=0)
    row("bundled, BFF every draw", net, 1000, 0, bff_draws=None)
    for n in sizes:
        net = finflow.generate(n, 10 * n, seed=0)
        row(f"generate({n:,})", net, 100, 99, bff_draws=10, rank_draws=20,
            missing_equity="zero")


if __name__ == "__main__":
    main([int(x) for x in sys.argv[1:]] or [200, 1000])
