"""Benchmark of ``finflow aggregate``: transaction records -> a network.

Generates synthetic records once (``finflow generate --transactions N --partition
month``, Parquet), then times, each in its own process (peak RSS of the whole process
tree, Spark's JVM included; peak size of DuckDB's spill folder):

1. ``finflow aggregate`` with DuckDB on all N records (default 100 million), with a
   memory limit and a spill folder;
2. the bare DuckDB query (a hand-written GROUP BY, no checks, no network written) on
   the same files;
3. on the first ``--small`` records (10 million by default: the files ``part-00000`` and
   ``part-00001`` of every month): ``finflow aggregate`` with DuckDB and with
   ``--engine spark`` (local mode), their networks compared (same commitments, amounts
   equal to 1e-9 relative), and a pandas groupby of the same records;

and prints a Markdown table. Run (disk: about 9 bytes a record; memory: the DuckDB run
stays within ``--memory-limit``, pandas needs about 60 bytes a record)::

    python benchmarks/aggregate.py --records 100000000 --dir /tmp/aggregate20-r100m
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

COLUMNS = "payer=payer,payee=payee,amount=amount,kind=kind,date=date"
FINFLOW = [sys.executable, "-m", "finflow"]


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parts = f.read().rsplit(")", 1)[1].split()
            ppid, pages = int(parts[1]), int(parts[21])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
        rss[int(entry)] = pages * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += children.get(p, [])
    return total


def _dir_bytes(path: str | None) -> int:
    if not path or not os.path.isdir(path):
        return 0
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def measure(cmd: list[str], spill: str | None = None, env: dict | None = None) -> dict:
    """Run ``cmd``; its wall time, peak tree RSS and peak spill-folder size."""
    peak = {"rss": 0, "spill": 0}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    done = threading.Event()

    def poll() -> None:
        while not done.is_set():
            peak["rss"] = max(peak["rss"], _tree_rss(proc.pid))
            peak["spill"] = max(peak["spill"], _dir_bytes(spill))
            done.wait(0.2)

    t = threading.Thread(target=poll, daemon=True)
    t.start()
    out, err = proc.communicate()
    done.set()
    t.join()
    secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    return {"seconds": secs, "rss": peak["rss"], "spill": peak["spill"], "out": out.strip(),
            "err": err.strip()}


BARE_DUCKDB = """
import duckdb
con = duckdb.connect()
con.execute("SET memory_limit = '{limit}'")
con.execute("SET temp_directory = '{spill}'")
con.execute("SET preserve_insertion_order = false")
con.execute("SET enable_progress_bar = false")
rows = con.execute('''
  SELECT payer, payee, kind, date_trunc('month', date) AS month, sum(amount), count(*)
  FROM read_parquet('{pattern}', hive_partitioning = true)
  GROUP BY ALL''').fetchall()
print(len(rows), sum(r[5] for r in rows))
"""

PANDAS = """
import glob, pandas as pd, pyarrow.parquet as pq
files = sorted(glob.glob('{pattern}', recursive=True))
df = pd.concat([pq.read_table(f).to_pandas() for f in files], ignore_index=True)
df['month'] = pd.to_datetime(df['date']).dt.to_period('M')
g = df.groupby(['payer', 'payee', 'kind', 'month'], observed=True)['amount'].agg(['sum', 'size'])
print(len(g), int(g['size'].sum()))
"""

COMPARE = """
import sys, numpy as np, finflow
a, b = finflow.load(sys.argv[1]).commitments, finflow.load(sys.argv[2]).commitments
key = ['payer', 'payee', 'kind', 'start']
a, b = a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
same_keys = a[key + ['end', 'note']].astype(str).equals(b[key + ['end', 'note']].astype(str))
rel = float(np.max(np.abs(a['amount'] - b['amount']) / b['amount'])) if len(a) == len(b) else None
print(len(a), len(b), same_keys, rel)
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000_000)
    ap.add_argument("--small", type=int, default=10_000_000,
                    help="records for Spark and pandas (a multiple of 5,000,000)")
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--dir", default="/tmp/aggregate20-r100m")
    ap.add_argument("--work", default="/tmp/aggregate20-bench")
    ap.add_argument("--memory-limit", default="2GB")
    ap.add_argument("--spark-master", default="local[2]")
    ap.add_argument("--skip-spark", action="store_true")
    args = ap.parse_args()
    work = Path(args.work)
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    spill = str(work / "spill")
    rows: list[tuple] = []

    def row(task: str, records: int, m: dict, note: str = "") -> None:
        rows.append((task, f"{records:,}", f"{m['seconds']:.1f}", f"{m['rss'] / 2**30:.2f}",
                     f"{m['spill'] / 2**30:.2f}", note))
        print(f"{task}: {m['seconds']:.1f} s, peak RSS {m['rss'] / 2**30:.2f} GiB, spill "
              f"{m['spill'] / 2**30:.2f} GiB {note}", flush=True)

    if not os.path.isdir(args.dir):
        m = measure(FINFLOW + ["generate", "--transactions", str(args.records), "--entities",
                               str(args.entities), "--partition", "month", "-o", args.dir])
        row("finflow generate --transactions (Parquet, by month)", args.records, m,
            f"{_dir_bytes(args.dir) / 2**30:.2f} GiB on disk")
    everything = os.path.join(args.dir, "**", "*.parquet")
    n_chunks = max(1, args.small // 5_000_000)
    small_glob = os.path.join(args.dir, "**", f"part-{'0' * 4}[0-{n_chunks - 1}].parquet") \
        if n_chunks <= 10 else everything

    # 1. finflow aggregate, DuckDB, all records
    m = measure(FINFLOW + ["aggregate", everything, "-o", str(work / "net-duckdb"),
                           "--columns", COLUMNS, "--memory-limit", args.memory_limit,
                           "--temp-dir", spill], spill=spill)
    row(f"finflow aggregate, DuckDB (memory limit {args.memory_limit})", args.records, m,
        m["out"].split(":")[0].replace("wrote ", ""))
    # 2. the bare DuckDB query
    m = measure([sys.executable, "-c", BARE_DUCKDB.format(limit=args.memory_limit,
                                                          spill=spill, pattern=everything)],
                spill=spill)
    row("bare DuckDB GROUP BY (no checks, nothing written)", args.records, m,
        f"{m['out'].split()[0]} groups")
    # 3. the smaller set: DuckDB, Spark, pandas
    m = measure(FINFLOW + ["aggregate", small_glob, "-o", str(work / "small-duckdb"),
                           "--columns", COLUMNS, "--memory-limit", args.memory_limit,
                           "--temp-dir", spill], spill=spill)
    row("finflow aggregate, DuckDB", args.small, m,
        m["out"].split(":")[0].replace("wrote ", ""))
    if not args.skip_spark:
        m = measure(FINFLOW + ["aggregate", small_glob, "-o", str(work / "small-spark"),
                               "--columns", COLUMNS, "--engine", "spark"],
                    env={"SPARK_MASTER": args.spark_master})
        cmp = subprocess.run([sys.executable, "-c", COMPARE, str(work / "small-spark"),
                              str(work / "small-duckdb")], capture_output=True, text=True)
        n_a, n_b, same, rel = (cmp.stdout.split() + ["?"] * 4)[:4]
        row(f"finflow aggregate, Spark SQL ({args.spark_master})", args.small, m,
            f"same network as DuckDB: {same} ({n_a} vs {n_b} commitments, largest "
            f"relative amount difference {rel})")
    m = measure([sys.executable, "-c", PANDAS.format(pattern=small_glob)])
    row("pandas groupby (pyarrow read)", args.small, m, f"{m['out'].split()[0]} groups")

    print("\n| task | records | seconds | peak RSS (GiB) | spill (GiB) | note |")
    print("|---|---:|---:|---:|---:|---|")
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    main()
