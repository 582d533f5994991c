"""finflow benchmarks: wall time and peak memory of each task on synthetic networks of
growing size, beside the same work done the plain way (a straightforward networkx / Python
loop implementation), as a ratio.

Usage::

    python benchmarks/run.py                  # 1,000 / 10,000 / 100,000 entities
    python benchmarks/run.py --sizes 1000     # one size
    python benchmarks/run.py --timeout 120    # per-task limit for the plain way

Each task runs alone in a fresh Python process (so peak memory is its own), on a network
written once by ``finflow generate`` (about ten commitments per entity). "finflow s" is
the whole task, loading and validating the files included, like the plain way's time;
"analysis s" is finflow's analysis alone, after loading. A plain-way run that exceeds
the time limit is shown as "> LIMIT". The ratio is plain s / finflow s. Not part of the
test suite.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT / "src"))  # a source checkout works without installing

from tasks import TASKS  # noqa: E402


def run_task(task: str, way: str, folder: Path, timeout: float) -> dict:
    """Run one task in a child process; returns {'wall': s, 'peak_mb': MB, 'note': str}."""
    code = textwrap.dedent(f"""
        import json, resource, sys, time
        sys.path.insert(0, {str(HERE)!r})
        sys.path.insert(0, {str(ROOT / 'src')!r})
        from tasks import TASKS, ANALYSIS_SECONDS
        fn = TASKS[{task!r}][{0 if way == 'finflow' else 1}]
        t0 = time.perf_counter()
        note = fn({str(folder)!r})
        wall = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        analysis = sum(ANALYSIS_SECONDS) if ANALYSIS_SECONDS else None
        print(json.dumps({{"wall": wall, "peak_mb": peak, "note": note or "",
                          "analysis": analysis}}))
    """)
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"wall": None, "peak_mb": None, "note": f"> {timeout:g} s", "analysis": None}
    if out.returncode != 0:
        last = (out.stderr.strip().splitlines() or ["failed"])[-1]
        return {"wall": None, "peak_mb": None, "note": f"error: {last[:60]}", "analysis": None}
    return json.loads(out.stdout.strip().splitlines()[-1])


def fmt(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--per-entity", type=int, default=10, help="commitments per entity")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds allowed for each task (both ways)")
    ap.add_argument("--tasks", nargs="+", default=list(TASKS))
    ap.add_argument("--no-plain", action="store_true", help="skip the plain-way runs")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    import finflow

    print(f"finflow {finflow.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs; seed {args.seed}; limit {args.timeout:g} s per run")
    header = (f"{'task':<27} {'entities':>9} {'commitments':>11} {'finflow s':>10} "
              f"{'analysis s':>10} {'peak MB':>8} {'plain s':>9} {'peak MB':>8} {'ratio':>7}  note")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory(prefix="finflow-bench-") as tmp:
        for n in args.sizes:
            m = n * args.per_entity
            folder = Path(tmp) / f"net-{n}"
            finflow.generate(n, m, seed=args.seed).save(folder)
            for task in args.tasks:
                ok_sizes = TASKS[task][2]
                if ok_sizes is not None and n > ok_sizes:
                    continue
                ours = run_task(task, "finflow", folder, args.timeout)
                plain = ({"wall": None, "peak_mb": None, "note": "skipped", "analysis": None}
                         if args.no_plain
                         or TASKS[task][1] is None
                         else run_task(task, "plain", folder, args.timeout))
                ratio = (plain["wall"] / ours["wall"]
                         if ours["wall"] and plain["wall"] else None)
                if ratio is None and ours["wall"] and plain["note"].startswith(">"):
                    ratio_s = f">{args.timeout / ours['wall']:.0f}x"
                else:
                    ratio_s = f"{ratio:.0f}x" if ratio else "-"
                note = "; ".join(x for x in (ours["note"], plain["note"]) if x)
                print(f"{task:<27} {n:>9,} {m:>11,} {fmt(ours['wall']):>10} "
                      f"{fmt(ours.get('analysis')):>10} "
                      f"{fmt(ours['peak_mb']):>8} {fmt(plain['wall']):>9} "
                      f"{fmt(plain['peak_mb']):>8} {ratio_s:>7}  {note}", flush=True)


if __name__ == "__main__":
    main()
