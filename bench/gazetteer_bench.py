"""Gazetteer benchmark (not part of the test suite).

Writes a synthetic postcode file in the ONS Postcode Directory's CSV layout (its 54 columns, 2.7
million rows by default, about 1% without a grid reference), then times ``contextgraph gazetteer
import`` of it into a new SQLite store (the command as a user runs it, with its access log) and
single postcode lookups through the store (p50, p95 and mean over random postcodes, a tenth of
them not held). Prints a Markdown table.

    python bench/gazetteer_bench.py [--rows 2700000] [--lookups 100000] [--keep DIR [--reuse]]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import random
import shutil
import statistics
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contextgraph.store import open_store  # noqa: E402

COLUMNS = [
    "pcd",
    "pcd2",
    "pcds",
    "dointr",
    "doterm",
    "oscty",
    "ced",
    "oslaua",
    "osward",
    "parish",
    "usertype",
    "oseast1m",
    "osnrth1m",
    "osgrdind",
    "oshlthau",
    "nhser",
    "ctry",
    "rgn",
    "streg",
    "pcon",
    "eer",
    "teclec",
    "ttwa",
    "pct",
    "itl",
    "statsward",
    "oa01",
    "casward",
    "npark",
    "lsoa01",
    "msoa01",
    "ur01ind",
    "oac01",
    "oa11",
    "lsoa11",
    "msoa11",
    "wz11",
    "sicbl",
    "bua24",
    "ru11ind",
    "oac11",
    "lat",
    "long",
    "lep1",
    "lep2",
    "pfa",
    "imd",
    "calncv",
    "icb",
    "oa21",
    "lsoa21",
    "msoa21",
    "ruc21ind",
    "globalid",
]


def postcodes(n: int, rng: random.Random) -> list[str]:
    """``n`` distinct postcodes of the usual shapes (A9 9AA, A99 9AA, AA9 9AA, AA99 9AA, A9A 9AA)."""
    letters = string.ascii_uppercase
    inward = [f"{d}{a}{b}" for d in "0123456789" for a in letters for b in letters]
    out: set[str] = set()
    while len(out) < n:
        area = rng.choice(letters) + (rng.choice(letters) if rng.random() < 0.7 else "")
        district = str(rng.randint(1, 99)) if rng.random() < 0.9 else f"{rng.randint(1, 9)}{rng.choice(letters)}"
        out.add(f"{area}{district} {rng.choice(inward)}")
    return sorted(out)


def write_file(path: Path, codes: list[str], rng: random.Random) -> None:
    ipcd, ipcd2, ipcds = COLUMNS.index("pcd"), COLUMNS.index("pcd2"), COLUMNS.index("pcds")
    ilat, ilong = COLUMNS.index("lat"), COLUMNS.index("long")
    base = ["E00000000"] * len(COLUMNS)
    base[COLUMNS.index("dointr")] = "199906"
    base[COLUMNS.index("doterm")] = ""
    base[COLUMNS.index("usertype")] = "0"
    base[COLUMNS.index("osgrdind")] = "1"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for code in codes:
            out, inw = code.split()
            row = list(base)
            row[ipcd], row[ipcd2], row[ipcds] = f"{out:<4}{inw}", f"{out:<5}{inw}", code
            if rng.random() < 0.01:
                row[ilat], row[ilong] = "99.999999", "0.000000"
            else:
                row[ilat], row[ilong] = f"{rng.uniform(49.9, 58.7):.6f}", f"{rng.uniform(-7.5, 1.7):.6f}"
            row[COLUMNS.index("globalid")] = f"{{{rng.getrandbits(64):016X}}}"
            w.writerow(row)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_700_000)
    ap.add_argument("--lookups", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="Write the file and store here (default: a temporary folder)")
    ap.add_argument("--reuse", action="store_true", help="Use the file already in --keep (written by an earlier run)")
    args = ap.parse_args()
    rng = random.Random(11)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="gazetteer-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    onspd = folder / "onspd.csv"
    codes = postcodes(args.rows, rng)
    if args.reuse and onspd.exists():
        print(f"reusing {onspd}")
    else:
        t = time.perf_counter()
        write_file(onspd, codes, rng)
        print(f"wrote {args.rows:,} rows ({onspd.stat().st_size / 1e6:,.0f} MB) in {time.perf_counter() - t:.1f} s")

    run = folder / "store"
    shutil.rmtree(run, ignore_errors=True)
    run.mkdir()
    db = run / "bench.db"
    url = f"sqlite:///{db}"
    env = {**os.environ, "CONTEXTGRAPH_AUDIT_LOG": str(run / "bench.audit.jsonl"), "NO_COLOR": "1"}
    cmd = [sys.executable, "-m", "contextgraph", "gazetteer", "import", str(onspd), "--store", url]
    t = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - t
    if r.returncode:
        raise SystemExit(r.stderr)
    print(r.stdout.strip())

    store = open_store(url)
    wanted = [rng.choice(codes) for _ in range(args.lookups)]
    wanted[::10] = [f"ZZ{i % 90 + 10} 9ZZ" for i in range(len(wanted[::10]))]  # not held
    for code in wanted[:1000]:  # warm the page cache, as a running service has
        store.postcode_at(code)
    times: list[float] = []
    found = 0
    for code in wanted:
        t0 = time.perf_counter_ns()
        at = store.postcode_at(code)
        times.append((time.perf_counter_ns() - t0) / 1000)
        found += at is not None
    store.close()
    times.sort()
    held = f"{found:,} of {len(wanted):,} found"
    print()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"{machine}, {time.strftime('%Y-%m-%d')}")
    print()
    print("| rows | file | import (command, SQLite) | lookup p50 | lookup p95 | lookup mean | |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    print(
        f"| {args.rows:,} | {onspd.stat().st_size / 1e6:,.0f} MB | {took:.1f} s | {times[len(times) // 2]:.1f} µs "
        f"| {times[int(len(times) * 0.95)]:.1f} µs | {statistics.fmean(times):.1f} µs | {held} |"
    )


if __name__ == "__main__":
    main()
