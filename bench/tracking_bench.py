"""Tracking records at force scale (not part of the test suite).

Generates a synthetic area of ``--children`` children (215,000 by default, a force) with its
tracking records, and measures:

- ``contextgraph import`` of the folder into a new SQLite file, with and without its
  ``tracking.jsonl`` (best of ``--rounds``): what the records add to an import;
- the whole analysis (``analyse_store``) of the store holding them, against the same store
  without them;
- a child's timeline over GraphQL (``entity(id) { timeline pathway }``) for random children
  with records, served by ``contextgraph serve`` on loopback: p50 and p95 over one keep-alive
  connection, after a warm-up.

Targets (issue 20): importing the records adds at most 20% to the import, the analysis stays
within 10 s, a timeline answers in p95 ≤ 20 ms.

    python bench/tracking_bench.py [--children 215000] [--seed 5] [--rounds 2] [--samples 300]

Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from api_bench import Client, pct, serving  # noqa: E402

from contextgraph.analysis.report import analyse_store  # noqa: E402
from contextgraph.interchange.synth import generate  # noqa: E402
from contextgraph.store import open_store  # noqa: E402

TIMELINE = """query($id: ID!) { entity(id: $id) {
  timeline { id record date text source grading } pathway { day after } } }"""


def imported(data: Path, folder: Path, name: str) -> float:
    """Seconds ``contextgraph import`` takes for ``data`` into a new store ``name``."""
    url = f"sqlite:///{folder / name}.db"
    env = {**os.environ, "CONTEXTGRAPH_AUDIT_LOG": str(folder / f"{name}.audit.jsonl")}
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "contextgraph", "import", str(data), "--store", url], check=True, env=env)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=215_000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--samples", type=int, default=300)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        area = generate(children=args.children, seed=args.seed)
        with_records, without = folder / "with", folder / "without"
        area.write(with_records)
        area.write(without)
        (without / "tracking.jsonl").unlink()
        made = time.perf_counter() - t0
        kinds = Counter(t["record"] for t in area.tracking)
        print(
            f"generated {len(area.entities):,} entities, {len(area.relationships):,} relationships and "
            f"{len(area.tracking):,} tracking records ({dict(kinds)}) in {made:.0f} s",
            file=sys.stderr,
        )
        plain, tracked = [], []
        for r in range(args.rounds):
            plain.append(imported(without, folder, f"plain{r}"))
            tracked.append(imported(with_records, folder, f"tracked{r}"))
            print(f"round {r + 1}: {plain[-1]:.1f} s without, {tracked[-1]:.1f} s with", file=sys.stderr)
        analysis = {}
        for name in ("plain0", "tracked0"):
            with open_store(f"sqlite:///{folder / name}.db") as s:
                p = s.projection()
                t0 = time.perf_counter()
                analyse_store(s, projection=p)
                analysis[name] = time.perf_counter() - t0
        children = sorted({t["subject"] for t in area.tracking if t["subject"].startswith("c-")})
        rng = random.Random(args.seed)
        picked = [rng.choice(children) for _ in range(args.samples)]
        for f in folder.glob("plain*"):
            f.unlink() if f.is_file() else shutil.rmtree(f)
        with serving(with_records, folder / "served", 1) as (port, token, _st, _kids):
            c = Client(port, token)
            for eid in picked[:30]:
                c.query(TIMELINE, id=eid)
            times, sizes = [], []
            for eid in picked:
                took, d = c.query(TIMELINE, id=eid)
                times.append(took)
                sizes.append(len(d["entity"]["timeline"]))
    extra = min(tracked) / min(plain) - 1
    print(f"### {time.strftime('%Y-%m-%d')} — tracking records at {args.children:,} children\n")
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{len(area.tracking):,} records ({', '.join(f'{n:,} {k}' for k, n in kinds.most_common())}).\n"
    )
    print("| measure | result | target | met |\n|---|---:|---:|---|")
    print(f"| import without the records (best of {args.rounds}) | {min(plain):.1f} s | | |")
    print(f"| import with them | {min(tracked):.1f} s | | |")
    print(f"| what the records add | {extra:+.0%} | ≤ +20% | {'yes' if extra <= 0.20 else '**no**'} |")
    print(f"| analysis without them | {analysis['plain0']:.1f} s | | |")
    ok = analysis["tracked0"] <= 10
    print(f"| analysis with them | {analysis['tracked0']:.1f} s | ≤ 10 s | {'yes' if ok else '**no**'} |")
    p95 = pct(times, 0.95)
    print(f"| a child's timeline over GraphQL, p50 | {pct(times, 0.5):.1f} ms | | |")
    print(
        f"| p95 ({args.samples} children, {sum(sizes) / len(sizes):.1f} records each) | {p95:.1f} ms | ≤ 20 ms | "
        f"{'yes' if p95 <= 20 else '**no**'} |"
    )


if __name__ == "__main__":
    main()
