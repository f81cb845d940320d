"""Service benchmark over HTTP on the embedded store (not part of the test suite).

Generates a synthetic area (``--children 54000`` gives about 100,000 entities in five
localities), imports it into a SQLite file, starts ``contextgraph serve`` on loopback
in its own process, and measures, after a warm-up:

- ``network(centre, depth: 2)`` of random children: latency p50 / p95 over one
  keep-alive connection, with the size of the answers;
- ``localityMap`` of each locality at 5,000 entities (``first: 5000``), typed nodes and
  edges with their hotspots and GeoJSON, and as JSON (``graph`` and GeoJSON). Its
  localities hold about 20,000 entities, more than 5,000 of them places, and places
  come first, so these maps have no edges; the same maps are then measured on a second
  area (``--map-children 13500``) whose localities hold about 5,000 entities each, so
  that each map is a whole locality with its relationships;
- sustained load with ``wrk`` (``apt-get install wrk``) at 10 and 50 connections
  on two threads, for ``--seconds`` each: requests/s, p95 latency and errors, for
  a mix of ``network`` queries over random children.

Every request is signed in as an analyst of all five localities and logged in the
access log like any other, so the figures include writing and syncing the log.

    python bench/api_bench.py [--children 54000] [--seed 7] [--samples 300] [--seconds 30] [--workers 1]
        [--map-children 13500]

Prints Markdown for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from contextgraph.interchange.synth import LOCALITIES, generate  # noqa: E402
from contextgraph.service.auth import LocalKeys  # noqa: E402
from contextgraph.store import open_store  # noqa: E402

NETWORK = "query($c: ID!) { network(centre: $c, depth: 2) { nodes { id kind name } edges { type source target } } }"
MAP = """query($l: String!) { localityMap(locality: $l, first: 5000) { truncated nodes { id kind name lat lon }
  edges { type source target } hotspots { id name score lat lon } geojson } }"""
NETWORK_JSON = "query($c: ID!) { network(centre: $c, depth: 2) { graph outside { entity count } } }"
MAP_JSON = """query($l: String!) { localityMap(locality: $l, first: 5000) { truncated graph geojson
  hotspots { id name score lat lon text } } }"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "X-Purpose": "benchmark",
        }

    def query(self, q: str, **variables: Any) -> tuple[float, dict[str, Any]]:
        body = json.dumps({"query": q, "variables": variables})
        t0 = time.perf_counter()
        self.conn.request("POST", "/graphql", body, self.headers)
        raw = self.conn.getresponse().read()
        took = time.perf_counter() - t0
        out = json.loads(raw)
        if out.get("errors"):
            raise RuntimeError(out["errors"])
        return took, out["data"]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))] * 1000


def load(port: int, token: str, ids: list[str], clients: int, seconds: int, folder: Path) -> dict[str, float]:
    id_file = folder / "ids.txt"
    id_file.write_text("\n".join(ids) + "\n")
    script = ROOT / "bench" / "network.lua"
    url = f"http://127.0.0.1:{port}"
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url]
    cmd += ["--", token, str(id_file)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    assert m, out
    n, status_errors, socket_errors, micros, p95, p50 = m.groups()
    return {
        "requests": int(n),
        "errors": int(status_errors) + int(socket_errors),
        "rps": int(n) / (int(micros) / 1e6),
        "p50": float(p50) / 1000,
        "p95": float(p95) / 1000,
    }


@contextlib.contextmanager
def serving(data: Path, folder: Path, workers: int) -> Iterator[tuple[int, str, dict[str, Any], list[str]]]:
    """Import ``data`` into a new SQLite file in ``folder`` and serve it: (port, token, stats, children)."""
    url = f"sqlite:///{folder / 'bench.db'}"
    # one access log for the import and the service: the service refuses a log the store is ahead of
    env = {**os.environ, "CONTEXTGRAPH_AUDIT_LOG": str(folder / "audit.jsonl")}
    subprocess.run([sys.executable, "-m", "contextgraph", "import", str(data), "--store", url], check=True, env=env)
    with open_store(url) as s:
        st = s.stats().to_json()
        children = [e.id for e in s.iter_entities() if e.kind == "child"]
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "contextgraph", "serve", "--port", str(port), "--store", url, "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        token = LocalKeys.for_store(url).mint("bench", "analyst", list(LOCALITIES), None, 720)
        for _ in range(600):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield port, token, st, children
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def maps_of(c: Client, rounds: int = 10) -> tuple[float, dict[str, list[float]], dict[str, tuple[int, int, int]]]:
    """The first map of each locality in each form (its analysis computed and the answers kept),
    then ``rounds`` of each, typed and JSON."""
    maps: dict[str, list[float]] = {"typed": [], "json": []}
    shape = {}
    t0 = time.perf_counter()
    for loc in LOCALITIES:  # each form once: what the later maps are served from is computed here
        c.query(MAP, l=loc)
        c.query(MAP_JSON, l=loc)
    first_maps = time.perf_counter() - t0
    for _ in range(rounds):
        for loc in LOCALITIES:
            took, d = c.query(MAP, l=loc)
            maps["typed"].append(took)
            m = d["localityMap"]
            shape[loc] = (len(m["nodes"]), len(m["edges"]), len(m["geojson"]["features"]))
            took, _ = c.query(MAP_JSON, l=loc)
            maps["json"].append(took)
    return first_maps, maps, shape


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--children", type=int, default=54000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--samples", type=int, default=300)
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--workers", type=int, default=1, help="serve --workers")
    ap.add_argument("--map-children", type=int, default=13500, help="children of the area of 5,000-entity localities")
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed for the load test: apt-get install wrk")
    data = ROOT / "bench" / "out" / f"api-{args.children}-{args.seed}"
    if not (data / "relationships.jsonl").exists():
        generate(children=args.children, seed=args.seed).write(data)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp, serving(data, Path(tmp), args.workers) as (port, token, st, children):
        c = Client(port, token)
        rng = random.Random(args.seed)
        sample = rng.sample(children, args.samples * 2)
        for cid in sample[: args.samples // 3]:  # warm-up
            c.query(NETWORK, c=cid)
        net, net_json, sizes = [], [], []
        for cid in sample[args.samples :]:
            took, d = c.query(NETWORK, c=cid)
            net.append(took)
            sizes.append(len(d["network"]["nodes"]) + len(d["network"]["edges"]))
            net_json.append(c.query(NETWORK_JSON, c=cid)[0])
        first_maps, maps, shape = maps_of(c)
        loads = {n: load(port, token, sample[:200], n, args.seconds, Path(tmp)) for n in (10, 50)}
    # an area whose localities hold about 5,000 entities each: maps of whole localities, edges included
    small = ROOT / "bench" / "out" / f"api-map-{args.map_children}-{args.seed}"
    if not (small / "relationships.jsonl").exists():
        generate(children=args.map_children, seed=args.seed).write(small)
    with tempfile.TemporaryDirectory() as tmp, serving(small, Path(tmp), args.workers) as (port, token, st5, _):
        first_small, maps_small, shape_small = maps_of(Client(port, token))
    print(f"{st['entities_total']:,} entities, {st['relationships_total']:,} relationships; {args.workers} workers")
    print(
        f"network depth 2 ({len(net)} children): typed p50 {pct(net, 0.5):.1f} ms, p95 {pct(net, 0.95):.1f} ms; "
        f"graph JSON p50 {pct(net_json, 0.5):.1f} ms, p95 {pct(net_json, 0.95):.1f} ms; "
        f"answer size p50 {statistics.median(sizes):.0f}, max {max(sizes)}"
    )
    for name, first, ms, sh in (
        ("this area", first_maps, maps, shape),
        (f"an area of {st5['entities_total']:,} entities", first_small, maps_small, shape_small),
    ):
        took = f"{first:.1f} s for {len(LOCALITIES)}"
        print(f"{name}: first localityMap of each locality, both forms (analysis computed): {took}")
        for k, v in ms.items():
            print(f"  localityMap {k} ({len(v)}): p50 {pct(v, 0.5):.1f} ms, p95 {pct(v, 0.95):.1f} ms")
        print("  map sizes (nodes, edges, features): " + "; ".join(f"{k} {v}" for k, v in sh.items()))
    print("| clients | requests | errors | requests/s | p50 ms | p95 ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for n, r in loads.items():
        print(f"| {n} | {r['requests']:,} | {r['errors']} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} |")


if __name__ == "__main__":
    main()
