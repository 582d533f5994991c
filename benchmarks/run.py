"""finflow benchmarks: per task and network size, finflow's time beside the bare kernel's
(the same algorithm written directly in numpy / scipy on finflow's own matrices) and the
plain way's (networkx and Python loops, reading the CSVs itself), with both ratios.

Usage::

    python benchmarks/run.py                          # 1,000 / 10,000 / 100,000 entities
    python benchmarks/run.py --sizes 1000 10000       # some sizes
    python benchmarks/run.py --tasks "heaviest cycle" "threshold cascade, one shock"
    python benchmarks/run.py --timeout 120            # limit of each plain-way run
    python benchmarks/run.py --limit 1800             # limit of each finflow / bare run
    python benchmarks/run.py --folder /tmp/g1m        # an existing network folder

Tasks come from ``benchmarks/tasks.py`` and every ``benchmarks/tasks_*.py`` (each defines
``TASKS = {"name": {"finflow": fn, "bare": fn or None, "plain": fn or None}}``, ``fn``
taking the network folder and returning a short note; optional ``"max_size"``). Every
(task, way) runs alone in a fresh Python process, so its peak memory is its own, on a
network written once by ``finflow generate`` (``--per-entity`` commitments an entity).

Columns: ``total s`` is the whole function (finflow: loading the files included);
``cold s`` the first timed library call on the loaded network (empty caches) and
``warm s`` the median of the repeated calls (caches filled: what each further scenario
costs); ``bare s`` the bare kernel alone (median of its runs; its matrices are built
untimed); ``f/bare`` = finflow's call (warm, else cold, else total) / bare;
``plain s`` the plain way's whole run and ``plain/f`` = plain s / finflow's total s (both
read the files). A run over its limit shows ``> LIMIT``. Not part of the test suite.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT / "src"))  # a source checkout works without installing


def task_files() -> list[Path]:
    """benchmarks/tasks.py, then every benchmarks/tasks_*.py in name order."""
    return [HERE / "tasks.py"] + sorted(HERE.glob("tasks_*.py"))


def collect() -> dict[str, dict]:
    """Every task of every task file: name -> {"finflow", "bare", "plain", "file", ...}."""
    out: dict[str, dict] = {}
    for path in task_files():
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = mod
        spec.loader.exec_module(mod)
        for name, ways in getattr(mod, "TASKS", {}).items():
            if isinstance(ways, tuple):          # the old (finflow, plain, max_size) form
                ways = {"finflow": ways[0], "bare": None, "plain": ways[1],
                        "max_size": ways[2] if len(ways) > 2 else None}
            out[name] = dict(ways, file=path.stem)
    return out


def run_way(module: str, task: str, way: str, folder: Path, timeout: float) -> dict:
    """Run one way of one task in a child process: {'wall', 'peak_mb', 'note', 'timed'}."""
    code = textwrap.dedent(f"""
        import importlib.util, json, resource, sys, time
        sys.path.insert(0, {str(HERE)!r})
        sys.path.insert(0, {str(ROOT / 'src')!r})
        import tasks
        mod = tasks
        if {module!r} != "tasks":
            spec = importlib.util.spec_from_file_location({module!r}, {str(HERE)!r} + "/" + {module!r} + ".py")
            mod = importlib.util.module_from_spec(spec)
            sys.modules[{module!r}] = mod
            spec.loader.exec_module(mod)
        ways = mod.TASKS[{task!r}]
        fn = ways[{way!r}] if isinstance(ways, dict) else ways[{0 if way == 'finflow' else 1}]
        t0 = time.perf_counter()
        note = fn({str(folder)!r})
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"wall": wall, "peak_mb": peak, "note": note or "",
                          "timed": list(tasks.ANALYSIS_SECONDS)}}))
    """)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"wall": None, "peak_mb": None, "note": f"> {timeout:g} s", "timed": []}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["failed"])[-1]
        return {"wall": None, "peak_mb": None, "note": f"error: {last[:70]}", "timed": []}
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    if x < 0.01:
        return f"{x:.4f}"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    r = a / b
    return f"{r:.1f}x" if r < 10 else f"{r:.0f}x"


def main() -> None:
    tasks = collect()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--per-entity", type=int, default=10, help="commitments per entity")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds allowed for each plain-way run")
    ap.add_argument("--limit", type=float, default=3600.0,
                    help="seconds allowed for each finflow or bare run")
    ap.add_argument("--tasks", nargs="+", default=list(tasks),
                    help="task names (default: every task); see the table's first column")
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-way runs")
    ap.add_argument("--folder", help="use this network folder instead of generating one")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    unknown = [t for t in args.tasks if t not in tasks]
    if unknown:
        sys.exit(f"unknown task(s): {', '.join(unknown)}; known: {', '.join(tasks)}")

    import finflow
    print(f"finflow {finflow.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; seed {args.seed}; limits {args.limit:g} s (finflow, bare), "
          f"{args.timeout:g} s (plain) per run")
    header = (f"{'task':<30} {'entities':>9} {'commitments':>11} {'total s':>8} {'cold s':>8} "
              f"{'warm s':>8} {'peak MB':>7} {'bare s':>8} {'f/bare':>7} {'plain s':>8} "
              f"{'plain/f':>7}  notes (finflow | bare | plain)")
    print(header)
    print("-" * len(header), flush=True)
    with tempfile.TemporaryDirectory(prefix="finflow-bench-") as tmp:
        for n in ([None] if args.folder else args.sizes):
            if args.folder:
                folder = Path(args.folder)
                net = finflow.load(folder)
                n, m = net.n, len(net.commitments)
                del net
            else:
                m = n * args.per_entity
                folder = Path(tmp) / f"net-{n}"
                finflow.generate(n, m, seed=args.seed).save(folder)
            for task in args.tasks:
                ways = tasks[task]
                if ways.get("max_size") is not None and n > ways["max_size"]:
                    continue
                ours = run_way(ways["file"], task, "finflow", folder, args.limit)
                bare = (run_way(ways["file"], task, "bare", folder, args.limit)
                        if ways.get("bare") else None)
                plain = (run_way(ways["file"], task, "plain", folder, args.timeout)
                         if ways.get("plain") and not args.no_plain else None)
                t = ours["timed"]
                cold = t[0] if t else None
                warm = statistics.median(t[1:]) if len(t) > 1 else None
                call = warm or cold or ours["wall"]
                bare_s = (statistics.median(bare["timed"]) if bare and bare["timed"]
                          else bare["wall"] if bare else None)
                plain_s = plain["wall"] if plain else None
                if plain and plain_s is None and plain["note"].startswith(">") and ours["wall"]:
                    pr = f">{args.timeout / ours['wall']:.0f}x"
                else:
                    pr = ratio(plain_s, ours["wall"])
                notes = " | ".join(x["note"] if x else "" for x in (ours, bare, plain))
                print(f"{task:<30} {n:>9,} {m:>11,} {fmt(ours['wall']):>8} {fmt(cold):>8} "
                      f"{fmt(warm):>8} {fmt(ours['peak_mb']):>7} {fmt(bare_s):>8} "
                      f"{ratio(call, bare_s):>7} "
                      f"{(fmt(plain_s) if plain_s is not None else (plain['note'] if plain else '-')):>8} "
                      f"{pr:>7}  {notes}", flush=True)


if __name__ == "__main__":
    main()
