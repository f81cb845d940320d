"""Analysis benchmark at the scale of a large force (not part of the test suite).

Generates a synthetic area with ``contextgraph synth`` (215,000 children give about
400,000 entities and 1.1 million relationships), imports it into a SQLite file, then
measures the whole analysis with explanations:

- **warm**: in one process with the store open, as a running service has it —
  projection, scoring, reasons, peer groups, hotspots, persons of concern, and the
  names, facts and sentences read back from the store (median of ``--runs``), with
  the time of each part; then the same through ``analyse_store``, which runs the
  network half in a second process while the first writes the explanations;
- **command**: ``contextgraph analyse --format json`` in a fresh process, from
  opening the file (reading the copy of the store's index that the import left in
  it) to the last byte of JSON written to a file, ``--runs`` times; then once more
  with that copy deleted, so the index is read from the rows.

    python bench/analysis_bench.py [--children 215000] [--seed 7] [--runs 3]

Prints Markdown table rows for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contextgraph import analysis as A  # noqa: E402
from contextgraph.analysis.networks import leiden_communities  # noqa: E402
from contextgraph.analysis.report import analyse_store, explain  # noqa: E402
from contextgraph.interchange.synth import generate  # noqa: E402
from contextgraph.memory import paused_gc  # noqa: E402
from contextgraph.store import open_store  # noqa: E402

ANALYSE = [sys.executable, "-m", "contextgraph", "analyse", "--purpose", "benchmark", "--format", "json"]
"""The command measured, as a user runs it (its store added)."""


def warm(url: str, runs: int) -> tuple[dict[str, float], dict[str, int]]:
    parts: dict[str, list[float]] = {}
    counts: dict[str, int] = {}
    with open_store(url) as s:
        s.projection()  # the index is built once when a service starts
        for _ in range(runs):
            t0 = time.perf_counter()
            lap = [t0]

            def mark(name: str, lap: list[float] = lap) -> None:
                now = time.perf_counter()
                parts.setdefault(name, []).append(now - lap[0])
                lap[0] = now

            with paused_gc():
                p = s.projection()
                mark("projection")
                ctx = A.prepare(p)
                A.score_children(ctx)
                kids = A.unopened_at_risk(ctx)
                mark("score and reasons")
                comm = leiden_communities(ctx, 0, 1.0)
                groups = A.peer_groups(ctx, communities=comm)
                mark("peer groups")
                hot = A.hotspots(ctx)
                mark("hotspots")
                pocs = A.persons_of_concern(ctx, communities=comm)
                mark("persons of concern")
                result = A.Analysis(None, None, 0, tuple(kids), tuple(groups), tuple(hot), tuple(pocs))
                explain(result, s)
                mark("explanations")
            parts.setdefault("total", []).append(time.perf_counter() - t0)
            counts = {
                "unopened_at_risk": len(kids),
                "peer_groups": len(groups),
                "hotspots": len(hot),
                "persons_of_concern": len(pocs),
            }
            del result, kids, groups, hot, pocs, ctx, p
        for _ in range(runs):  # the same, as the command runs it: network half in a second process
            t0 = time.perf_counter()
            analyse_store(s, parallel=True)
            parts.setdefault("total, two processes", []).append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in parts.items()}, counts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=215000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    data = ROOT / "bench" / "out" / f"analysis-{args.children}-{args.seed}"
    if not (data / "relationships.jsonl").exists():
        generate(children=args.children, seed=args.seed).write(data)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        # imported by the command, in its own process, as a team would load a file
        subprocess.run([sys.executable, "-m", "contextgraph", "import", str(data), "--store", url], check=True)
        with open_store(url) as s:
            st = s.stats()
            n_ent, n_rel = sum(st.entities.values()), sum(st.relationships.values())
        parts, counts = warm(url, args.runs)

        def command() -> float:
            """The command as a user runs it, its JSON written to a file."""
            t0 = time.perf_counter()
            with open(Path(tmp) / "analysis.json", "wb") as out:
                subprocess.run(
                    [*ANALYSE, "--store", url],
                    stdout=out,
                    check=True,
                )
            return time.perf_counter() - t0

        # the import left a copy of the store's index in the file; the command reads it
        commands = [command() for _ in range(args.runs)]
        # and once without the copy, as the first command after writes by an older version
        con = sqlite3.connect(Path(tmp) / "bench.db")
        con.execute("DELETE FROM meta WHERE key LIKE 'index.%'")
        con.commit()
        con.close()
        cold = command()
    print(f"{n_ent:,} entities, {n_rel:,} relationships; " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    names = list(parts)
    print("| " + " | ".join(f"{n} s" for n in names) + " | command s (each run) | command s, index read from rows |")
    print("|" + "---:|" * (len(names) + 2))
    each = ", ".join(f"{c:.1f}" for c in commands)
    print("| " + " | ".join(f"{parts[n]:.2f}" for n in names) + f" | {each} | {cold:.1f} |")


if __name__ == "__main__":
    main()
