"""The partnership report at force scale (not part of the test suite).

Generates a synthetic area of ``--children`` children (215,000 by default, a force) with its
tracking records, imports it into a new SQLite file, and times ``contextgraph report`` for a
year, end to end as a user runs it (the process started, the store opened, the records read and
counted, the analysis run, the file written): as HTML and as PDF, best of ``--rounds``, compared
with the sample's census tables (the generated area has the sample's localities).

Targets (issue 21): a year's report in at most 10 s as HTML and 20 s as PDF.

    python bench/report_bench.py [--children 215000] [--seed 5] [--rounds 2]

Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contextgraph.interchange.synth import generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=215_000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--from", dest="start", default="2024-07-01")
    ap.add_argument("--to", dest="end", default="2025-06-30")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        area = generate(children=args.children, seed=args.seed)
        area.write(folder / "area")
        kinds = Counter(t["record"] for t in area.tracking)
        n_records = len(area.tracking)
        del area
        url = f"sqlite:///{folder / 'area.db'}"
        env = {**os.environ, "CONTEXTGRAPH_AUDIT_LOG": str(folder / "audit.jsonl")}
        cmd = [sys.executable, "-m", "contextgraph"]
        subprocess.run([*cmd, "import", str(folder / "area"), "--store", url], check=True, env=env)
        took: dict[str, list[float]] = {"html": [], "pdf": []}
        sizes: dict[str, int] = {}
        for r in range(args.rounds):
            for fmt in ("html", "pdf"):
                out = folder / f"report-{r}.{fmt}"
                t0 = time.perf_counter()
                subprocess.run(
                    [*cmd, "report", "--from", args.start, "--to", args.end, "--store", url, "--format", fmt,
                     "--out", str(out), "--recipient", "bench", "--purpose", "bench", "--census", "sample"],
                    check=True, env=env, stdout=subprocess.DEVNULL,
                )  # fmt: skip
                took[fmt].append(time.perf_counter() - t0)
                sizes[fmt] = out.stat().st_size
                print(f"round {r + 1}: {fmt} {took[fmt][-1]:.1f} s", file=sys.stderr)
    html, pdf = min(took["html"]), min(took["pdf"])
    print(f"### {time.strftime('%Y-%m-%d')} — a year's partnership report at {args.children:,} children\n")
    mix = ", ".join(f"{n:,} {k}" for k, n in kinds.most_common())
    print(f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {n_records:,} tracking "
          f"records ({mix}); {args.start} to {args.end}.\n")  # fmt: skip
    print("| measure | result | target | met |\n|---|---:|---:|---|")
    print(f"| `contextgraph report --format html` (best of {args.rounds}; {sizes['html']:,} bytes) | {html:.1f} s "
          f"| ≤ 10 s | {'yes' if html <= 10 else '**no**'} |")  # fmt: skip
    print(f"| `contextgraph report --format pdf` ({sizes['pdf']:,} bytes) | {pdf:.1f} s | ≤ 20 s | "
          f"{'yes' if pdf <= 20 else '**no**'} |")  # fmt: skip


if __name__ == "__main__":
    main()
