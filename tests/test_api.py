"""The service over real HTTP: sign-in, localities enforced in the read, the access log."""

from __future__ import annotations

import http.client
import json
import logging
import time
from pathlib import Path

import jwt
import pytest

from contextgraph.interchange.synth import SAMPLE_AREA
from contextgraph.service.audit import AuditError, AuditLog
from contextgraph.service.auth import AUDIENCE, LOCAL_ISSUER, AuthError
from contextgraph.store import Store, open_store

from .service import Service


def test_health_and_readiness(service: Service) -> None:
    assert service.get("/healthz") == 200
    assert service.get("/readyz") == 200


def test_no_answer_is_cached_sniffed_or_asked_for_in_a_url(service: Service) -> None:
    """Every answer holding data — read, export, error, refusal — tells browsers and proxies to keep
    no copy and to read it only as the type it says; the page's scripts may be cached, not sniffed.
    A GraphQL query sent in a URL (which proxies log and caches keep) is refused, and nothing is
    read."""
    token = service.token()
    asks = {
        "a read": ("POST", "/graphql", b'{"query": "{ me { user } }"}', "application/json"),
        "an export": ("GET", "/export?recipient=test", None, None),
        "a refused write": ("POST", "/notes", b"", "text/markdown"),
        "an unknown path": ("GET", "/nowhere", None, None),
        "a read refused without a token": ("POST", "/graphql", b"{}", "application/json"),
        "a body over the limit": ("POST", "/graphql", b" " * 2_000_000, "application/json"),
    }
    for what, (method, path, body, kind) in asks.items():
        sent = token if what != "a read refused without a token" else None
        status, headers, _ = service.call(method, path, sent, body, kind, purpose="test")
        low = {k.lower(): v for k, v in headers.items()}
        assert low.get("cache-control") == "no-store" and low.get("x-content-type-options") == "nosniff", (what, status)
    status, headers, body = service.call("GET", "/graphql", token, purpose="test", query="{ me { user } }")
    assert status >= 400 and b'"user"' not in body, (status, body[:200])


def test_no_or_bad_token_is_401(service: Service) -> None:
    q = "{ me { user } }"
    assert service.post(q, None)[0] == 401
    assert service.post(q, "nonsense")[0] == 401
    none = jwt.encode(
        {"sub": "x", "role": "admin", "iss": LOCAL_ISSUER, "aud": AUDIENCE, "iat": 0, "exp": 2**31},
        None,
        algorithm="none",
    )
    status, body = service.post(q, none)
    assert status == 401 and "signed with" in body["detail"]
    expired = jwt.encode(
        {
            "sub": "x",
            "role": "analyst",
            "localities": ["East"],
            "iss": LOCAL_ISSUER,
            "aud": AUDIENCE,
            "iat": 0,
            "exp": 1,
        },
        service.keys.private_key(),
        algorithm="ES256",
    )
    assert service.post(q, expired)[0] == 401
    elsewhere = jwt.encode(
        {
            "sub": "x",
            "role": "analyst",
            "localities": ["East"],
            "iss": LOCAL_ISSUER,
            "aud": "another-service",
            "iat": int(time.time()),
            "exp": int(time.time()) + 300,
        },
        service.keys.private_key(),
        algorithm="ES256",
    )
    assert service.post(q, elsewhere)[0] == 401
    status, body = service.post(q, service.token())
    assert status == 200 and body["data"]["me"] == {"user": "ana"}
    # no person passes for the service in the access log
    for name in ("system", "serve", "System", "system.", "s-e-r-v-e"):
        now = int(time.time())
        claims = {"sub": name, "role": "analyst", "localities": ["East"], "iss": LOCAL_ISSUER, "aud": AUDIENCE}
        forged = jwt.encode({**claims, "iat": now, "exp": now + 300}, service.keys.private_key(), algorithm="ES256")
        status, body = service.post(q, forged)
        assert status == 401 and "the service's own in the access log" in body["detail"], name
        with pytest.raises(AuthError, match="the service's own"):
            service.token(user=name)


def test_a_locality_is_read_without_regard_to_case_as_the_command_line_reads_it(service: Service) -> None:
    """``east`` or `` EAST `` names the user's East wherever a locality is asked for, as
    ``--locality`` does: the same map, the same saved views and export, the view saved under the
    token's spelling; a locality not theirs is refused in the same words however it is written."""
    east = service.token(localities=("East",))
    ask = "query($l: String!) { localityMap(locality: $l) { nodes { id } } savedViews(locality: $l) { locality } }"
    save = 'mutation($l: String!) { saveView(name: "March", locality: $l, state: {}) { locality } }'
    assert service.data(save, east, l="east")["saveView"] == {"locality": "East"}
    as_written = service.data(ask, east, l="East")
    assert as_written["localityMap"]["nodes"] and as_written["savedViews"] == [{"locality": "East"}]
    for spelt in ("east", "EAST", "  East "):
        assert service.data(ask, east, l=spelt) == as_written, spelt
        status, _, body = service.call("GET", "/export", east, purpose="t", recipient="t", locality=spelt)
        assert status == 200, (spelt, body[:200])
    for other in ("west", "Eastern"):
        assert service.error(ask, east, l=other) == f"{other!r} is not one of your localities"


def test_localities_are_enforced_in_every_read(service: Service, _audit_log: Path) -> None:
    east = service.token(localities=("East",))
    status, body = service.post('{ entity(id: "c-1") { id name locality } }', east, purpose="MACE East")
    assert status == 200 and body["data"]["entity"] == {"id": "c-1", "name": "Kyle Benson", "locality": "East"}
    # Tyler Marsh lives in West: the same answer as for an id that does not exist
    assert service.post('{ entity(id: "c-3") { id name } }', east)[1]["data"]["entity"] is None
    assert service.post('{ entity(id: "nobody") { id name } }', east)[1]["data"]["entity"] is None
    found = service.post('{ search(text: "tyler marsh") { id } }', east)[1]["data"]["search"]
    assert found == []
    west = service.token(localities=("West",), user="wes")
    assert service.post('{ search(text: "tyler marsh") { id } }', west)[1]["data"]["search"] == [{"id": "c-3"}]
    log = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    assert log[0]["subjects"] == ["c-1"] and log[0]["purpose"] == "MACE East" and log[0]["user"] == "ana"
    assert log[-1]["user"] == "wes" and log[-1]["subjects"] == ["c-3"]
    assert not any("c-3" in r["subjects"] for r in log if r["user"] == "ana")


def test_mace_members_see_children_by_initials(service: Service) -> None:
    mace = service.token(role="mace")
    body = service.post('{ entity(id: "c-1") { name aliases kind } }', mace)[1]
    assert body["data"]["entity"] == {"name": "K.B.", "aliases": [], "kind": "CHILD"}
    body = service.post('{ entity(id: "p-1") { name } }', mace)[1]
    assert body["data"]["entity"] == {"name": "Daniel Okafor"}
    assert service.post('{ entity(id: "c-1") { dob } }', mace)[1]["data"]["entity"] == {"dob": None}
    analyst = service.post('{ entity(id: "c-1") { dob openTo } }', service.token())[1]["data"]["entity"]
    assert analyst == {"dob": "2009-04-12", "openTo": ["YJS"]}


def test_no_introspection_in_production(service: Service) -> None:
    _, body = service.post("{ __schema { types { name } } }", service.token())
    assert body.get("errors") and "introspection" in json.dumps(body["errors"]).lower()


def test_committed_schema_is_the_live_schema() -> None:
    from contextgraph.service.api import sdl

    committed = (Path(__file__).resolve().parents[1] / "api" / "schema.graphql").read_text(encoding="utf-8")
    assert committed == sdl(), "stale: run python -m contextgraph.service.api > api/schema.graphql"


NETWORK = """{ network(centre: "c-1", depth: 2) {
  nodes { id name } edges { type source target grading sources } outside { entity count text } } }"""


def test_network_keeps_to_localities_and_handling_codes(service: Service, _audit_log: Path) -> None:
    analyst = service.post(NETWORK, service.token("analyst"), purpose="MACE East")[1]["data"]["network"]
    ids = {n["id"] for n in analyst["nodes"]}
    assert {"c-1", "c-2", "l-1", "p-1", "g-1", "s-1"} <= ids and not ids & {"c-3", "l-2"}
    assert ("EXPLOITS", "p-1", "c-1") in {(e["type"], e["source"], e["target"]) for e in analyst["edges"]}
    # Tyler Marsh (West) went missing with Kyle: a count, never who
    assert analyst["outside"] == [{"entity": "c-1", "count": 1, "text": "1 link outside your area"}]
    assert "c-3" not in json.dumps(analyst) and "Tyler" not in json.dumps(analyst)
    # a chair sees handling code P only: the C-graded exploitation and sighting are not there
    chair = service.post(NETWORK, service.token("chair"))[1]["data"]["network"]
    chair_edges = {(e["type"], e["source"], e["target"]) for e in chair["edges"]}
    assert ("EXPLOITS", "p-1", "c-1") not in chair_edges and ("SEEN_AT", "c-2", "l-1") not in chair_edges
    assert all(e["grading"] is None or e["grading"].endswith("P") for e in chair["edges"])
    assert "p-1" not in {n["id"] for n in chair["nodes"]}  # reached only through C-graded facts
    # outside the user's localities, the centre itself is not there
    west_centre = service.post(NETWORK.replace('"c-1"', '"c-3"'), service.token("analyst"))[1]["data"]
    assert west_centre["network"] is None
    log = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    assert log[0]["detail"] == {"graphql": "network"} and "c-1" in log[0]["subjects"]
    assert "c-3" not in log[0]["subjects"]


def test_errors_are_masked_unless_meant_for_the_user(
    service: Service, store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="strawberry.execution")
    token = service.token()
    shown = service.post('{ network(centre: "c-1", depth: 5) { nodes { id } } }', token)[1]
    assert shown["errors"][0]["message"] == "depth must be 1, 2 or 3"
    assert service.post('{ entity(id: "c-3") { nosuch } }', token)[1]["errors"]
    assert not caplog.records  # the user's to put right: not logged as the service's fault

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("secret: c-3 Tyler Marsh at 14 Mill Road")

    monkeypatch.setattr(type(store), "search", broken)  # the service opened its own store of this kind
    masked = service.post('{ search(text: "kyle") { id } }', token)[1]
    assert masked["errors"][0]["message"] == "Unexpected error." and "secret" not in json.dumps(masked)
    assert [r for r in caplog.records if "secret" in r.getMessage()]  # a defect is logged for whoever runs it
    caplog.clear()

    def unwritable(*_: object, **__: object) -> None:
        raise AuditError("the access log cannot be written (disk full)")

    monkeypatch.setattr(AuditLog, "append", unwritable)
    told = service.post('{ entity(id: "c-1") { name } }', token)[1]
    assert "access log cannot be written" in told["errors"][0]["message"]
    assert [r for r in caplog.records if "access log cannot be written" in r.getMessage()]  # the service's to mend
    deep = "{ me { " + "user " * 1 + "} }"
    assert service.post(deep, token)[0] == 200
    too_many = "{ " + " ".join(f"a{i}: me {{ user }}" for i in range(20)) + " }"
    refused = service.post(too_many, token)[1]
    assert refused["errors"] and "aliases" in refused["errors"][0]["message"].lower()


def test_request_bodies_are_limited(service: Service) -> None:
    # the headers alone announce the size: the answer comes before any of the body is sent
    host, port = service.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    conn.putrequest("POST", "/graphql")
    conn.putheader("Authorization", f"Bearer {service.token()}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Content-Length", "1100000")
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()


def test_neighbours_recurse_within_the_area_and_deep_queries_are_refused(service: Service) -> None:
    q = '{ entity(id: "c-2") { id neighbours { id neighbours(types: [ATTENDS]) { id } } } }'
    body = service.post(q, service.token())[1]["data"]["entity"]
    first = {n["id"] for n in body["neighbours"]}
    assert {"c-1", "l-1"} <= first
    kyle = next(n for n in body["neighbours"] if n["id"] == "c-1")
    assert kyle["neighbours"] == [{"id": "s-1"}]
    chair = service.post('{ entity(id: "c-2") { neighbours { id } } }', service.token("chair"))[1]["data"]
    assert "l-1" not in {n["id"] for n in chair["entity"]["neighbours"]}  # that sighting is graded C
    deep = '{ entity(id: "c-1") { ' + "neighbours { " * 12 + "id" + " }" * 12 + " } }"
    refused = service.post(deep, service.token())[1]
    assert refused["errors"] and "depth" in refused["errors"][0]["message"].lower() and not refused.get("data")


def test_a_query_sent_again_is_not_validated_again_and_its_limits_still_hold(service: Service) -> None:
    # the validation is kept by the query's text and the rules it is checked against: rules made
    # afresh for each request would never find it kept, and every request would pay for it again
    from strawberry.extensions.validation_cache import _get_validate_cache

    from contextgraph.service.graphql.schema import CACHED_QUERIES

    kept = _get_validate_cache(CACHED_QUERIES)
    token = service.token()
    asked = '{ entity(id: "c-2") { id name neighbours { id } } }'
    first = service.post(asked, token)
    hits = kept.cache_info().hits
    assert service.post(asked, token) == first
    assert kept.cache_info().hits == hits + 1
    deep = '{ entity(id: "c-1") { ' + "neighbours { " * 12 + "id" + " }" * 12 + " } }"
    too_many = "{ " + " ".join(f"a{i}: me {{ user }}" for i in range(20)) + " }"
    for _ in range(2):  # refused the second time too, from what was kept
        status, body = service.post(deep, token)
        assert status == 400 and "depth" in body["errors"][0]["message"].lower() and not body.get("data")
        status, body = service.post(too_many, token)
        assert status == 400 and "aliases" in body["errors"][0]["message"].lower()


def test_serve_with_the_sample_prints_a_token_that_signs_in(tmp_path: Path, _audit_log: Path) -> None:
    import os
    import subprocess
    import sys
    import urllib.request

    from .service import free_port

    port = free_port()
    env = {**os.environ, "CONTEXTGRAPH_TOKEN_KEY": "", "COLUMNS": "200"}
    url = f"sqlite:///{tmp_path / 'team.db'}"
    cmd = [sys.executable, "-m", "contextgraph", "serve", "--sample", "--port", str(port), "--store", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        assert proc.stdout is not None
        lines = []
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Mint one per person"):
                break
        token = next(x.strip() for x in lines if x.startswith("ey"))
        assert any("loaded the fictional sample" in x for x in lines), lines
        svc = Service(f"http://127.0.0.1:{port}", None)  # type: ignore[arg-type]
        for _ in range(200):
            try:
                with urllib.request.urlopen(svc.base + "/healthz", timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        data = svc.data("{ me { role localities } unopenedAtRisk(first: 1) { total } }", token)
        assert data["me"]["role"] == "analyst" and len(data["me"]["localities"]) == 5
        assert data["unopenedAtRisk"]["total"] > 10
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert (tmp_path / "team.key.pem").exists()  # the local key, beside the store
    ops = [json.loads(x)["operation"] for x in _audit_log.read_text().splitlines()]
    # the sample's localities configured, then its graph and its gazetteer's two files loaded, then the reading
    assert ops == ["alteration", "collection", "collection", "collection", "consultation"]
    with open_store(f"sqlite:///{tmp_path / 'team.db'}") as s:
        assert s.localities() == SAMPLE_AREA


def test_worker_processes_share_a_socket_with_nagle_off(tmp_path: Path) -> None:
    import socket

    from contextgraph.service.api import TCPConfig

    from .service import free_port

    config = TCPConfig("contextgraph.service.api:app_from_settings", factory=True, host="127.0.0.1", port=free_port())
    sock = config.bind_socket()
    try:
        # asyncio turns Nagle's algorithm off only on connections of a socket that names TCP
        assert sock.proto == socket.IPPROTO_TCP
        sock.listen()
        client = socket.create_connection(sock.getsockname())
        conn, _ = sock.accept()
        assert conn.proto == socket.IPPROTO_TCP
        conn.close()
        client.close()
    finally:
        sock.close()


def test_serve_with_two_workers_answers(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from contextgraph.service.auth import LocalKeys

    from .service import free_port

    url = f"sqlite:///{tmp_path / 'team.db'}"
    open_store(url).close()  # serve makes no store (but --sample)
    port = free_port()
    env = {**os.environ, "CONTEXTGRAPH_TOKEN_KEY": str(tmp_path / "k.pem")}
    cmd = [sys.executable, "-m", "contextgraph", "serve", "--workers", "2", "--port", str(port), "--store", url]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        svc = Service(f"http://127.0.0.1:{port}", LocalKeys(tmp_path / "k.pem"))
        for _ in range(300):
            try:
                if svc.get("/healthz") == 200:
                    break
            except OSError:  # not listening yet
                time.sleep(0.1)
        for _ in range(6):  # both workers, most likely
            assert svc.data("{ me { user } }", svc.token())["me"] == {"user": "ana"}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_date_before_any_record_is_refused_where_a_read_is_filtered_by_date(service: Service) -> None:
    """A day before 1900-01-01 (no record holds one) is refused, naming it: before, it was counted
    as no date at all, so "until 1899-12-31" showed everything and "since" it nothing new."""
    ana = service.token("analyst")
    for query in (
        '{ changesSince(date: "1899-12-31") { since } }',
        '{ localityMap(locality: "East", until: "1899-12-31") { truncated } }',
        '{ unopenedAtRisk(since: "1899-12-31") { total } }',
    ):
        message = service.error(query, ana)
        assert message == "'1899-12-31' is before 1900-01-01, the earliest date a record may hold", query
    assert service.data('{ changesSince(date: "1900-01-01") { since } }', ana) == {
        "changesSince": {"since": "1900-01-01"}
    }
