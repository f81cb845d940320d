"""Learning the weights at the scale of a large force (not part of the test suite).

Generates a synthetic area (215,000 children give about 400,000 entities and 1.1 million
relationships; ``--shape`` sets how exploitation spreads), imports it into a SQLite file with
``contextgraph import``, and times, each as a user runs it in a fresh process:

- ``contextgraph learn --out FILE``: the known cases hidden in five folds in turn, the area
  scored each time, and the weights fitted (target: 60 s);
- ``contextgraph analyse --validate --learn --repeats 5``: five repeats, each hiding a fifth of
  the known cases, learning from the rest and ranking with both weight sets (target: 5 minutes);
- ``contextgraph analyse --weights FILE --format json``: the whole analysis with the learned
  weights, as with any (target: 10 s), beside the same with the reviewed weights.

    python bench/learn_bench.py [--children 215000] [--seed 7] [--shape chains]

Prints a Markdown table row for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contextgraph.interchange.synth import generate  # noqa: E402

RUN = [sys.executable, "-m", "contextgraph"]


def timed(args: list[str], out: Path | None = None) -> float:
    t0 = time.perf_counter()
    with open(out or os.devnull, "wb") as fh:
        subprocess.run([*RUN, *args], stdout=fh, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=215000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--shape", default="chains")
    args = ap.parse_args()
    data = ROOT / "bench" / "out" / f"learn-{args.shape}-{args.children}-{args.seed}"
    if not (data / "relationships.jsonl").exists():
        generate(children=args.children, seed=args.seed, shape=args.shape).write(data)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        subprocess.run([*RUN, "import", str(data), "--store", url], check=True, stdout=subprocess.DEVNULL)
        weights = Path(tmp) / "learned.toml"
        common = ["--store", url, "--purpose", "benchmark"]
        learn = timed(["learn", "--out", str(weights), *common])
        analyse = timed(["analyse", "--weights", str(weights), "--format", "json", *common], Path(tmp) / "a.json")
        reviewed = timed(["analyse", "--format", "json", *common], Path(tmp) / "a.json")
        validate = timed(["analyse", "--validate", "--learn", "--repeats", "5", "--format", "json", *common])
        print(weights.read_text(encoding="utf-8"))
    print(
        "| children | shape | learn s | analyse with the learned weights s | analyse with the reviewed weights s "
        "| validate, learning, 5 repeats s |"
    )
    print("|---:|---|---:|---:|---:|---:|")
    print(f"| {args.children:,} | {args.shape} | {learn:.1f} | {analyse:.1f} | {reviewed:.1f} | {validate:.1f} |")


if __name__ == "__main__":
    main()
