"""Store benchmarks at the scale of a large force (not part of the test suite).

Generates a synthetic area (about 400k entities and 1.1M relationships by
default, with its tracking records), then for each store measures: bulk import from the
interchange files as ``contextgraph import`` does it (reading and checking included, a large
tracking file read in a second process meanwhile; for SQLite, the command itself into a new file,
the relationships made into rows in a second process too), 2-hop neighbourhoods of children with entities
and relationships fully loaded (p50/p95), and projection of the whole graph into
the compact form. The 2-hop walks run first on the store as an import leaves it
(records read from the file or server as walks need them), then again after
``warm()`` (the stores' :class:`Warmable` side) has read every record into memory, as ``contextgraph serve``
does before its first request. Prints a Markdown table row per store.

    python bench/store_bench.py [--children 215000] [--stores sqlite,neo4j,neo4j-admin] [--samples 300]
        [--warmup 100] [--rounds 1]

``neo4j-admin`` is the bulk path into an empty Neo4j database: the files ``contextgraph import
--neo4j-admin`` writes, loaded by Neo4j's offline importer (from the same Maven Central jars as the
test server), then the server started on them and the store opened (its constraints and indexes
created); the time of all of that is its import.

The Neo4j leg uses NEO4J_URI if set, else starts Neo4j Community the way the
tests do.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from contextgraph.interchange import read_folder  # noqa: E402
from contextgraph.interchange.neo4j_admin import write_admin_files  # noqa: E402
from contextgraph.interchange.synth import generate  # noqa: E402
from contextgraph.memory import paused_gc  # noqa: E402
from contextgraph.store import Store, open_store  # noqa: E402
from contextgraph.store.neo4j import Neo4jStore  # noqa: E402


def pct(xs: Sequence[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


@contextlib.contextmanager
def store_of(kind: str, tmp: Path) -> Iterator[Store]:
    if kind == "sqlite":
        s = open_store(f"sqlite:///{tmp / 'bench.db'}")
        yield s
        s.close()
        return
    from tests.neo4j_server.launch import neo4j_uri

    with neo4j_uri() as uri:
        s = open_store(uri)
        assert isinstance(s, Neo4jStore)
        s.clear()
        yield s
        s.close()


@contextlib.contextmanager
def bulk_loaded(tmp: Path, data: Path, times: dict[str, float]) -> Iterator[Store]:
    """The bulk path: the folder read, written as neo4j-admin's files, loaded by neo4j-admin into a
    new database, and the server started with the store opened on it (constraints and indexes
    created). The phases' times go into ``times``; the server's start is among them, since the
    bulk path needs the server stopped."""
    from tests.neo4j_server.launch import admin_import, maven_neo4j

    t0 = time.perf_counter()
    with paused_gc(keep=True):
        batch = read_folder(data)
    t1 = time.perf_counter()
    files = write_admin_files(batch, tmp / "files")
    t2 = time.perf_counter()
    admin_import(tmp / "neo4j", files.arguments())
    t3 = time.perf_counter()
    times.update(
        read=t1 - t0, files=t2 - t1, tool=t3 - t2, entities=len(batch.entities), relationships=len(batch.relationships)
    )
    del batch
    shutil.rmtree(tmp / "files")
    t4 = time.perf_counter()
    with maven_neo4j(tmp / "neo4j") as uri:  # the server's start is counted: the bulk path needs it stopped
        s = open_store(uri)
        times["open"] = time.perf_counter() - t4
        yield s
        s.close()


def run(kind: str, data: Path, samples: int, seed: int, warmup: int, rounds: int) -> dict[str, Any]:
    if kind == "neo4j-admin":
        times: dict[str, float] = {}
        with tempfile.TemporaryDirectory() as t, bulk_loaded(Path(t), data, times) as s:
            children = [e.id for e in s.iter_entities() if e.kind == "child"]
            write = times["files"] + times["tool"] + times["open"]
            r = {
                "entities": int(times["entities"]),
                "relationships": int(times["relationships"]),
                "read_s": times["read"],
                "import_s": times["read"] + write,
                "rel_per_s": times["relationships"] / (times["read"] + write),
                "rel_write_per_s": times["relationships"] / write,
                "phases": f"{times['read']:.1f} + {times['files']:.1f} + {times['tool']:.1f} + {times['open']:.1f}",
            }
            return r | measure(s, children, samples, seed, warmup, rounds)
    if kind == "sqlite":  # as a user loads a new file: the command itself
        with tempfile.TemporaryDirectory() as t:
            url = f"sqlite:///{Path(t) / 'bench.db'}"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "contextgraph", "import", str(data), "--store", url], check=True)
            took = time.perf_counter() - t0
            n_rel = sum(1 for line in (data / "relationships.jsonl").open("rb") if line.strip())
            with open_store(url) as s:
                children = [e.id for e in s.iter_entities() if e.kind == "child"]
                n_ent = sum(s.stats().entities.values())
                return {
                    "entities": n_ent,
                    "relationships": n_rel,
                    "read_s": took,
                    "import_s": took,
                    "rel_per_s": n_rel / took,
                    "rel_write_per_s": float("nan"),
                    "phases": f"{took:.1f} (the command, its phases overlapping)",
                } | measure(s, children, samples, seed, warmup, rounds)
    with tempfile.TemporaryDirectory() as t, store_of(kind, Path(t)) as s:
        t0 = time.perf_counter()
        with paused_gc(keep=True):
            batch = read_folder(
                data, known_kinds=lambda ids: {i: e.kind for i, e in s.get_many(ids).items()}, stage=Path(t)
            )
        t1 = time.perf_counter()
        s.upsert(batch.entities)
        te = time.perf_counter()
        s.upsert((), batch.relationships)
        tr = time.perf_counter()
        tracking = batch.staged if batch.staged is not None else batch.tracking
        if len(tracking):
            s.upsert(tracking=tracking)
        t2 = time.perf_counter()
        n_rel = len(batch.relationships)
        n_ent = len(batch.entities)
        children = [e.id for e in batch.entities if e.kind == "child"]
        del batch
        return {
            "entities": n_ent,
            "relationships": n_rel,
            "read_s": t1 - t0,
            "import_s": t2 - t0,
            "rel_per_s": n_rel / (t2 - t0),
            "rel_write_per_s": n_rel / (tr - te),
            "phases": f"{t1 - t0:.1f} + {te - t1:.1f} + {tr - te:.1f} + {t2 - tr:.1f}",
        } | measure(s, children, samples, seed, warmup, rounds)


def measure(s: Store, children: list[str], samples: int, seed: int, warmup: int, rounds: int) -> dict[str, Any]:
    """2-hop walks from random children, as the import leaves the store and after ``warm()``; then
    the projection."""
    rng = random.Random(seed)

    def walks() -> tuple[list[tuple[float, float]], list[int]]:
        for c in rng.sample(children, warmup):  # warm-up on other children: JIT, query plans, caches
            s.neighbourhood(c, 2)
        rounds_p: list[tuple[float, float]] = []
        sizes: list[int] = []
        for _ in range(rounds):  # later rounds show a server that has settled after the load
            lat, sizes = [], []
            for c in rng.sample(children, samples):
                a = time.perf_counter()
                sub = s.neighbourhood(c, 2)
                lat.append((time.perf_counter() - a) * 1000)
                sizes.append(len(sub.nodes) + len(sub.edges))
            rounds_p.append((statistics.median(lat), pct(lat, 95)))
        return rounds_p, sizes

    cold, sizes = walks()
    a = time.perf_counter()
    held = s.warm()
    warm_s = time.perf_counter() - a
    warmed, _ = walks() if held else ([], [])
    a = time.perf_counter()
    p = s.projection()
    proj = time.perf_counter() - a
    return {
        "p50_ms": cold[-1][0],
        "p95_ms": cold[-1][1],
        "rounds": cold,
        "warm_s": warm_s,
        "held": held,
        "warm_rounds": warmed,
        "hood_size_p50": statistics.median(sizes),
        "hood_size_p95": pct(sizes, 95),
        "hood_size_max": max(sizes),
        "projection_s": proj,
        "projection_edges": p.n_edges,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=215000)
    ap.add_argument("--stores", default="sqlite,neo4j")
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=100, help="2-hop queries run first on other children")
    ap.add_argument("--rounds", type=int, default=1, help="rounds of 2-hop samples; the last is tabled")
    args = ap.parse_args()
    data = ROOT / "bench" / "out" / f"synth-{args.children}-{args.seed}"
    if not (data / "relationships.jsonl").exists():
        generate(children=args.children, seed=args.seed).write(data)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        "| store | entities | relationships | import s: read + write entities + write relationships + write tracking "
        "records (neo4j-admin: "
        "read + files + neo4j-admin + server start and open) | "
        "relationships/s, whole import | relationships/s, relationship write | 2-hop p50 / p95 ms | "
        "warm s (records held) | 2-hop p50 / p95 ms, warmed | 2-hop size p50 / p95 / max | projection s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in args.stores.split(","):
        r = run(kind, data, args.samples, args.seed, args.warmup, args.rounds)
        warm = f"{r['warm_rounds'][-1][0]:.2f} / {r['warm_rounds'][-1][1]:.2f}" if r["warm_rounds"] else "—"
        print(
            f"| {kind} | {r['entities']:,} | {r['relationships']:,} | {r['import_s']:.1f}: {r['phases']} | "
            f"{r['rel_per_s']:,.0f} | "
            f"{r['rel_write_per_s']:,.0f} | {r['p50_ms']:.2f} / {r['p95_ms']:.2f} | "
            f"{r['warm_s']:.1f} ({r['held']:,}) | {warm} | "
            f"{r['hood_size_p50']:.0f} / {r['hood_size_p95']} / {r['hood_size_max']} | {r['projection_s']:.2f} |",
            flush=True,
        )
        if args.rounds > 1:
            for name, key in (("", "rounds"), (", warmed", "warm_rounds")):
                rounds = ", ".join(f"{a:.2f} / {b:.2f}" for a, b in r[key])
                print(f"  {kind} 2-hop p50 / p95 ms by round{name}: {rounds}", flush=True)


if __name__ == "__main__":
    main()
