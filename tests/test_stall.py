"""One user's heavy requests do not hold up the service: while they run, /healthz answers
within a second, and those beyond a limit are refused with a 4xx naming it."""

from __future__ import annotations

import http.client
import io
import json
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from contextgraph.model import Entity, Relationship
from contextgraph.service.auth import AUDIENCE, ENV_LOCAL_KEY, LOCAL_ISSUER, LocalKeys
from contextgraph.store import Store

from .data import rel
from .service import Service, running

CHILDREN = 3000


def busy_area() -> tuple[list[Entity], list[Relationship]]:
    """A bus station where 3,000 children are seen, each with two friends among them."""
    ents = [Entity("busy", "location", "Central bus station", locality="Busy", lat=52.6, lon=-1.1)]
    rels = []
    for i in range(CHILDREN):
        ents.append(Entity(f"b-{i:04d}", "child", f"Busy Child {i}", locality="Busy"))
        rels.append(rel("SEEN_AT", f"b-{i:04d}", "busy"))
        rels.append(rel("ASSOCIATES_WITH", f"b-{i:04d}", f"b-{(i + 1) % CHILDREN:04d}"))
        rels.append(rel("ASSOCIATES_WITH", f"b-{i:04d}", f"b-{(i + 7) % CHILDREN:04d}"))
    return ents, rels


def nested(levels: int, first: int = 50) -> str:
    return '{ entity(id: "busy") { ' + f"neighbours(first: {first}) {{ id " * levels + "}" * levels + " } }"


def bomb() -> bytes:
    """About 300 KB that unpacks to 300 MB."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z, z.open("entities.jsonl", "w") as f:
        block = b" " * 1_000_000
        for _ in range(300):
            f.write(block)
    return packed.getvalue()


def chunked(svc: Service, token: str, total: int) -> int:
    """POST ``total`` bytes in chunks, announcing a small Content-Length as well: the status."""
    host, port = svc.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    conn.putrequest("POST", "/graphql")
    conn.putheader("Authorization", f"Bearer {token}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", "10")
    conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    chunk = b" " * 1_000_000
    try:
        for _ in range(total // len(chunk)):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass
    status = conn.getresponse().status
    conn.close()
    return status


@pytest.fixture
def busy(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Service:
    store.upsert(*busy_area())
    key = tmp_path / "service.key.pem"
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key))
    with running(store.url, LocalKeys(key)) as svc:
        yield svc  # type: ignore[misc]


def test_heavy_requests_do_not_hold_up_the_service(busy: Service) -> None:
    svc = busy
    token = svc.token(localities=("Busy",))
    deep = ("[" * 50_000 + "]" * 50_000).encode()
    rs256 = jwt.encode(
        {"sub": "eve", "role": "admin", "iss": LOCAL_ISSUER, "aud": AUDIENCE, "iat": 0, "exp": 2**31},
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        algorithm="RS256",
    )
    search = "query($t: String!) { search(text: $t) { id } }"
    heavy: dict[str, Callable[[], tuple[int, str]]] = {
        # refused, each naming its limit
        "neighbours five deep": lambda: _graphql(svc, token, nested(5)),
        "search of 900 KB": lambda: _graphql(svc, token, search, {"t": "Busy Child " * 80_000}),
        "zip bomb": lambda: _call(svc, token, "/import", bomb(), "application/zip"),
        "100 MB chunked": lambda: (chunked(svc, token, 100_000_000), "CONTEXTGRAPH_MAX_BODY"),
        "50,000 nested [": lambda: _call(svc, token, "/graphql", b'{"query": "{ me { user } }", "x": ' + deep + b"}"),
        "RS256 token": lambda: _graphql(svc, rs256, "{ me { user } }"),
        # allowed, and heavy: they run in worker threads
        "neighbours two deep": lambda: _graphql(svc, token, nested(2)),
        "network of the station": lambda: _graphql(
            svc, token, '{ network(centre: "busy", depth: 3) { nodes { id name } edges { type source target } } }'
        ),
        "map of the area": lambda: _graphql(svc, token, '{ localityMap(locality: "Busy") { graph geojson } }'),
    }
    expected = {
        "neighbours five deep": (400, "CONTEXTGRAPH_MAX_COST"),
        "search of 900 KB": (400, "CONTEXTGRAPH_MAX_SEARCH"),
        "zip bomb": (413, "CONTEXTGRAPH_MAX_RATIO"),
        "100 MB chunked": (413, "CONTEXTGRAPH_MAX_BODY"),
        "50,000 nested [": (400, "CONTEXTGRAPH_MAX_JSON_DEPTH"),
        "RS256 token": (401, "RS256"),
    }
    answers: dict[str, tuple[int, str]] = {}
    took: dict[str, float] = {}

    def fire(name: str) -> None:
        started = time.monotonic()
        answers[name] = heavy[name]()
        took[name] = time.monotonic() - started

    threads = [threading.Thread(target=fire, args=(name,)) for name in heavy]
    health: list[float] = []
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        started = time.monotonic()
        assert svc.get("/healthz") == 200
        health.append(time.monotonic() - started)
        time.sleep(0.02)
    for t in threads:
        t.join()
    for name, (status, text) in expected.items():
        assert answers[name][0] == status and text in answers[name][1], (name, answers[name][0], answers[name][1][:300])
    for name in set(heavy) - set(expected):
        assert answers[name][0] == 200 and '"errors"' not in answers[name][1][:100], (name, answers[name][1][:300])
    assert health and max(health) < 1.0, (max(health), len(health), took)
    print(f"\n/healthz: {len(health)} requests, slowest {max(health) * 1000:.0f} ms; heavy requests took (s):")
    for name, secs in sorted(took.items(), key=lambda x: -x[1]):
        print(f"  {name}: {secs:.2f} -> {answers[name][0]}")


def _graphql(svc: Service, token: str, query: str, variables: dict[str, object] | None = None) -> tuple[int, str]:
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    return _call(svc, token, "/graphql", body)


def _call(svc: Service, token: str, path: str, body: bytes, content_type: str = "application/json") -> tuple[int, str]:
    status, _, raw = svc.call("POST", path, token, body, content_type, "test")
    return status, raw.decode("utf-8", "replace")
