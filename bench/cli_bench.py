"""How long the command line takes to start: ``contextgraph --help`` and ``contextgraph stats`` on
an empty embedded store, each run as a new process (the median of several runs).

Run: ``python bench/cli_bench.py [--runs 9]``. The target is 0.3 s for each.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], runs: int) -> float:
    took = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "contextgraph", *args], capture_output=True, check=True, cwd=ROOT)
        took.append(time.perf_counter() - t)
    return statistics.median(took)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=9)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        url = f"sqlite:///{Path(d) / 'empty.db'}"
        (Path(d) / "empty").mkdir()
        (Path(d) / "empty" / "entities.jsonl").touch()  # a store is made only by an import (or ingest, serve --sample)
        made = [sys.executable, "-m", "contextgraph", "import", str(Path(d) / "empty"), "--store", url]
        subprocess.run(made, capture_output=True, check=True)
        bare = statistics.median([timed_python() for _ in range(a.runs)])
        print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
        print(f"python -c pass: {bare:.3f} s (the interpreter's own start, included below)")
        print(f"contextgraph --help: {timed(['--help'], a.runs):.3f} s")
        print(f"contextgraph stats (empty store): {timed(['stats', '--store', url], a.runs):.3f} s")


def timed_python() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
