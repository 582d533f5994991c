"""Start-up times of finflow's command line (issue 19): not a test, a measurement.

    python benchmarks/startup.py            # 5 runs of each, the median wall time

Prints the top entries of ``python -X importtime -c 'import finflow.cli'`` (cumulative
microseconds), whether ``import finflow`` pulls in pandas, numpy, scipy or networkx, and the
wall time of ``finflow --version``, ``finflow --help``, ``finflow cycles --help``, a
command-name completion, a NETWORK completion and an entity-id completion, each run as
a fresh process (what a shell does). The target: --version, --help and completion
under 0.3 s.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HEAVY = ("pandas", "numpy", "scipy", "networkx", "pyvis", "ortools")


def finflow_command() -> list[str]:
    exe = Path(sys.executable).with_name("finflow")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("finflow")
    return [found] if found else [sys.executable, "-m", "finflow"]


def wall(argv: list[str], env: dict[str, str] | None = None, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def importtime(module: str, top: int) -> list[tuple[int, str]]:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"],
                         capture_output=True, text=True, check=True).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if cumulative.strip().isdigit():
            rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def complete_env(words: str) -> dict[str, str]:
    return {"_FINFLOW_COMPLETE": "bash_complete", "COMP_WORDS": words,
            "COMP_CWORD": str(len(words.split(" ")) - 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    print(f"python -X importtime -c 'import finflow.cli': top {args.top} (cumulative ms)")
    for us, name in importtime("finflow.cli", args.top):
        print(f"  {us / 1000:8.1f}  {name}")
    code = f"import sys, finflow; print([m for m in {HEAVY!r} if m in sys.modules])"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.strip()
    print(f"heavy modules after 'import finflow': {loaded}")
    print()
    cmd = finflow_command()
    cases = [
        ("python -c pass (interpreter alone)", [sys.executable, "-c", "pass"], None),
        ("finflow --version", cmd + ["--version"], None),
        ("finflow --help", cmd + ["--help"], None),
        ("finflow cycles --help", cmd + ["cycles", "--help"], None),
        ("complete 'finflow con<Tab>'", cmd, complete_env("finflow con")),
        ("complete 'finflow cycles <Tab>'", cmd, complete_env("finflow cycles ")),
        ("complete 'finflow contagion --default op<Tab>'", cmd,
         complete_env("finflow contagion --default op")),
    ]
    print(f"wall time, median of {args.runs} fresh processes (s)")
    for label, argv, env in cases:
        print(f"  {wall(argv, env, args.runs):6.3f}  {label}")


if __name__ == "__main__":
    main()
