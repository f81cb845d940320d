"""What no request may do: get past a limit, get a 5xx, or be trusted with a token signed for another key."""

from __future__ import annotations

import http.client
import io
import json
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from contextgraph.model import Entity, Relationship
from contextgraph.service.auth import AUDIENCE, ENV_LOCAL_KEY, LOCAL_ISSUER, AuthError, LocalKeys, Verifier
from contextgraph.store import Store

from .data import rel
from .service import Service, running


def _claims(**kw: object) -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": "eve",
        "role": "admin",
        "iss": LOCAL_ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 600,
        **kw,
    }


def test_a_token_signed_for_another_type_of_key_is_refused_not_a_crash(tmp_path: Path) -> None:
    local = LocalKeys(tmp_path / "team.key.pem").verifier()  # an EC key
    any_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthError, match="signed with RS256; this service's key takes ES256"):
        local.verify(jwt.encode(_claims(), any_rsa, algorithm="RS256"))
    provider = Verifier(key=any_rsa.public_key(), issuer=LOCAL_ISSUER)  # an RSA key
    any_ec = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(AuthError, match="signed with ES256; this service's key takes RS256"):
        provider.verify(jwt.encode(_claims(), any_ec, algorithm="ES256"))
    assert provider.verify(jwt.encode(_claims(), any_rsa, algorithm="RS256")).user == "eve"
    with pytest.raises(AuthError, match="neither RSA nor EC P-256"):
        Verifier(key=ec.generate_private_key(ec.SECP384R1()).public_key())


@contextmanager
def _jwks(keys: dict[str, object]) -> Iterator[str]:
    """A key set served over HTTP on this machine, as a provider publishes it."""
    body = json.dumps(keys).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/keys"
    finally:
        server.shutdown()
        server.server_close()


def test_with_a_key_set_the_algorithm_is_the_named_keys() -> None:
    signer = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(signer.public_key()))
    with _jwks({"keys": [{**jwk, "kid": "k1", "use": "sig"}]}) as url:
        v = Verifier(jwks_url=url, issuer=LOCAL_ISSUER)
        good = jwt.encode(_claims(), signer, algorithm="ES256", headers={"kid": "k1"})
        assert v.verify(good).user == "eve"
        any_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(_claims(), any_rsa, algorithm="RS256", headers={"kid": "k1"})
        with pytest.raises(AuthError, match="signed with RS256"):
            v.verify(forged)


def test_rs256_token_against_the_local_key_is_401(service: Service) -> None:
    any_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tok = jwt.encode(_claims(), any_rsa, algorithm="RS256")
    status, body = service.post("{ me { user } }", tok)
    assert status == 401 and "RS256" in body["detail"]


def _send_chunked(service: Service, path: str, total: int, length: str | None = None) -> tuple[int, str]:
    """POST ``total`` bytes in chunks of 64 KB, with ``Content-Length: length`` too if given:
    the status and detail of the answer, however much of the body was sent before it."""
    host, port = service.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    conn.putrequest("POST", path)
    conn.putheader("Authorization", f"Bearer {service.token()}")
    conn.putheader("Content-Type", "application/json")
    conn.putheader("Transfer-Encoding", "chunked")
    if length is not None:
        conn.putheader("Content-Length", length)
    conn.endheaders()
    chunk = b"[" * 65536
    sent = 0
    try:
        while sent < total:
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        conn.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the whole body was sent
    r = conn.getresponse()
    raw = r.read()
    conn.close()
    return r.status, json.loads(raw or b"{}").get("detail", "")


def test_chunked_bodies_are_counted_against_the_limit(service: Service) -> None:
    for length in (None, "10"):
        status, detail = _send_chunked(service, "/graphql", 3_000_000, length)
        assert status == 413 and "CONTEXTGRAPH_MAX_BODY" in detail and "1,000,000" in detail, (length, detail)
    status, detail = _send_chunked(service, "/notes", 3_000_000)
    assert status == 413 and "CONTEXTGRAPH_MAX_NOTE" in detail
    # a small chunked body is read as any other
    host, port = service.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps({"query": "{ me { user } }"}).encode()
    headers = {"Authorization": f"Bearer {service.token()}", "Content-Type": "application/json"}
    conn.request("POST", "/graphql", body=iter([body[:10], body[10:]]), headers=headers, encode_chunked=True)
    r = conn.getresponse()
    assert r.status == 200 and json.loads(r.read())["data"]["me"]["user"] == "ana"
    conn.close()
    assert service.get("/healthz") == 200


def _raw(
    service: Service, body: bytes, path: str = "/graphql", content_type: str = "application/json"
) -> tuple[int, str]:
    status, _, raw = service.call("POST", path, service.token(), body, content_type)
    return status, raw.decode("utf-8", "replace")


def test_deeply_nested_request_bodies_are_400_naming_the_limit(service: Service) -> None:
    for levels in (50_000, 1500, 65):
        body = b'{"query": "{ me { user } }", "variables": {"x": ' + b"[" * levels + b"]" * levels + b"}}"
        status, text = _raw(service, body)
        assert status == 400 and "nests more than 64 levels (CONTEXTGRAPH_MAX_JSON_DEPTH)" in text, (levels, text)
    body = b'{"query": "{ me { user } }", "variables": {"x": ' + b"[" * 60 + b"]" * 60 + b"}}"
    assert _raw(service, body)[0] == 200
    unclosed = b'{"query": "{ me { user } }", "variables": ' + b"[" * 50_000
    assert _raw(service, unclosed)[0] == 400
    for not_an_object in (b"5", b'"{ me { user } }"', b"null", b"[]", b"[1]", b"true"):
        status, text = _raw(service, not_an_object)
        assert status == 400, (not_an_object, status, text)
    # the same for variables sent in a query string
    deep = "[" * 5000 + "]" * 5000
    status, _, raw = service.call("GET", "/graphql", service.token(), query="{ me { user } }", variables=deep)
    assert status == 400 and b"CONTEXTGRAPH_MAX_JSON_DEPTH" in raw


def test_a_request_naming_a_key_twice_is_400_naming_it_and_does_nothing(service: Service) -> None:
    """A JSON reader keeps the last value of a key named twice, which no one chose: the request is
    refused, naming the key, whether in its variables (a saved view's state here) or its own
    fields, and nothing it asked is done."""
    save = "mutation($n: String!, $l: String!, $s: JSON!) { saveView(name: $n, locality: $l, state: $s) { id } }"
    twice = (
        b'{"query": ' + json.dumps(save).encode() + b', "variables": {"n": "March", "l": "East",'
        b' "s": {"focus": "c-1", "since": "2024-01-01", "focus": "c-2"}}}'
    )
    status, text = _raw(service, twice)
    assert status == 400 and "field 'variables.s.focus' is given twice" in text, text
    status, text = _raw(service, b'{"query": "{ me { user } }", "query": "{ me { role } }"}')
    assert status == 400 and "field 'query' is given twice" in text, text
    # nothing was saved; the same request with each key once is
    ask = 'query { savedViews(locality: "East") { name } }'
    assert service.post(ask, service.token())[1]["data"]["savedViews"] == []
    status, text = _raw(service, twice.replace(b', "focus": "c-2"', b""))
    assert status == 200 and '"errors"' not in text, text
    assert service.post(ask, service.token())[1]["data"]["savedViews"] == [{"name": "March"}]


def _folder(tmp: Path, line: bytes) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "entities.jsonl").write_bytes(b'{"id": "c-0", "kind": "child", "name": "A"}\n' + line + b"\n")
    return tmp


@pytest.mark.parametrize("levels", [50_000, 1500, 100])
def test_a_deeply_nested_import_line_is_named_not_a_traceback(tmp_path: Path, levels: int) -> None:
    from .cli import cg

    line = b'{"id": "c-1", "kind": "child", "name": "B", "x": ' + b"[" * levels + b"]" * levels + b"}"
    folder = _folder(tmp_path / "area", line)
    r = cg("import", str(folder), "--store", f"sqlite:///{tmp_path / 't.db'}")
    assert r.returncode == 1, r.stderr
    assert "entities.jsonl:2: nests more than 64 levels (CONTEXTGRAPH_MAX_JSON_DEPTH)" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    unclosed = _folder(tmp_path / "unclosed", b"[" * levels)
    r = cg("import", str(unclosed), "--store", f"sqlite:///{tmp_path / 't.db'}")
    assert r.returncode == 1 and "entities.jsonl:2:" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_a_deep_line_in_an_imported_archive_is_422_naming_the_line(service: Service) -> None:
    line = b'{"id": "c-9", "kind": "child", "name": "B", "locality": "East", "x": ' + b"[" * 50_000 + b"]" * 50_000
    status, text = _raw(service, _zip({"entities.jsonl": line + b"}\n"}), "/import", "application/zip")
    assert status == 422 and "entities.jsonl:1: nests more than 64 levels" in text, text


def _zip(files: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data)
    return packed.getvalue()


def _lying(data: bytes, claimed: int) -> bytes:
    """A zip of entities.jsonl whose headers say it unpacks to ``claimed`` bytes."""
    packed = bytearray(_zip({"entities.jsonl": data}))
    local = packed.find(b"PK\x03\x04")
    central = packed.find(b"PK\x01\x02")
    packed[local + 22 : local + 26] = claimed.to_bytes(4, "little")
    packed[central + 24 : central + 28] = claimed.to_bytes(4, "little")
    return bytes(packed)


def test_zip_bombs_are_refused_without_unpacking_them(service: Service) -> None:
    bomb = _zip({"entities.jsonl": b" " * 30_000_000})
    assert len(bomb) < 100_000
    started = time.monotonic()
    status, text = _raw(service, bomb, "/import", "application/zip")
    assert status == 413 and "entities.jsonl: unpacks to more than 100 times" in text, text
    assert "CONTEXTGRAPH_MAX_RATIO" in text
    # headers that understate the size are not trusted: the bytes are counted as they come
    status, text = _raw(service, _lying(b" " * 30_000_000, 1000), "/import", "application/zip")
    assert status in (413, 422) and "entities.jsonl" in text, text
    assert time.monotonic() - started < 5
    # a short file packs tightly and is still read (1 MB is allowed whatever the ratio)
    line = b'{"id": "c-1", "kind": "child", "name": "Kyle Benson", "locality": "East"}\n'
    status, text = _raw(service, _zip({"entities.jsonl": line * 2000}), "/import", "application/zip")
    assert status == 200, text


def test_archives_that_cannot_be_unpacked_are_422(service: Service) -> None:
    line = b'{"id": "c-1", "kind": "child", "name": "Kyle Benson", "locality": "East"}\n'
    packed = bytearray(_zip({"entities.jsonl": line}))
    packed[packed.find(b"PK\x01\x02") + 8] |= 1  # the encrypted flag, in the central directory
    status, text = _raw(service, bytes(packed), "/import", "application/zip")
    assert status == 422 and "entities.jsonl: cannot be unpacked" in text, text
    packed = bytearray(_zip({"entities.jsonl": line}))
    for header, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):  # compression method 99
        packed[packed.find(header) + at] = 99
    status, text = _raw(service, bytes(packed), "/import", "application/zip")
    assert status == 422, text
    for damaged in (b"", b"PK", b"PK\x05\x06" + b"\0" * 18, bytes(_zip({"entities.jsonl": line})[:-10])):
        assert _raw(service, damaged, "/import", "application/zip")[0] == 422


def test_what_an_archive_unpacks_to_in_all_is_limited(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_LOCAL_KEY, str(tmp_path / "k.pem"))
    monkeypatch.setenv("CONTEXTGRAPH_MAX_UNPACKED", "3000000")
    ents = b"".join(
        b'{"id": "c-%d", "kind": "child", "name": "Child %d", "locality": "East"}\n' % (i, i) for i in range(40_000)
    )
    assert len(ents) > 3_000_000
    with running(store.url, LocalKeys(tmp_path / "k.pem")) as svc:
        status, text = _raw(svc, _zip({"entities.jsonl": ents}), "/import", "application/zip")
        assert status == 413 and "unpacks to more than 3,000,000 bytes (CONTEXTGRAPH_MAX_UNPACKED)" in text, text
        assert sum(store.stats().entities.values()) == 0  # nothing written
        part = b"".join(ents.splitlines(keepends=True)[:200])
        status, text = _raw(svc, _zip({"entities.jsonl": part}), "/import", "application/zip")
        assert status == 200, text
        assert json.loads(text)["entities_created"] == part.count(b"\n") == sum(store.stats().entities.values())


def _neighbours(levels: int, first: int = 50, centre: str = "l-1") -> str:
    return f'{{ entity(id: "{centre}") {{ ' + f"neighbours(first: {first}) {{ id " * levels + "}" * levels + " } }"


def test_costly_queries_and_long_texts_are_refused_before_they_run(service: Service, _audit_log: Path) -> None:
    token = service.token()
    for q in (_neighbours(3), _neighbours(5), '{ localityMap(locality: "East") { nodes { openTo } } }'):
        status, body = service.post(q, token)
        message = body["errors"][0]["message"]
        assert status == 400 and "more than 1,000 (CONTEXTGRAPH_MAX_COST)" in message, (q, body)
        assert body.get("data") is None
    assert not _audit_log.exists() or "neighbours" not in _audit_log.read_text()  # nothing ran, nothing read
    assert service.post(_neighbours(2), token)[0] == 200
    assert service.post(_neighbours(3, first=20), token)[0] == 200
    variables = 'query($n: Int!) { entity(id: "l-1") { neighbours(first: $n) { neighbours(first: $n) { id } } } }'
    assert service.post(variables, token, variables={"n": 50})[0] == 200
    three = variables.replace("{ id }", "{ neighbours(first: $n) { id } }")
    assert service.post(three, token, variables={"n": 50})[0] == 400
    assert service.post(three, token, variables={"n": 5})[0] == 200
    for text in ("x" * 201, "y" * 900_000):
        status, body = service.post("query($t: String!) { search(text: $t) { id } }", token, variables={"t": text})
        assert status in (400, 413), status
        if status == 400:
            assert "search's text is" in body["errors"][0]["message"] and "CONTEXTGRAPH_MAX_SEARCH" in str(body)
    inline = service.post('{ search(text: "%s") { id } }' % ("k" * 300), token)
    assert inline[0] == 400 and "more than 200 (CONTEXTGRAPH_MAX_SEARCH)" in inline[1]["errors"][0]["message"]
    assert service.data('{ search(text: "%s") { id } }' % ("k" * 200), token) == {"search": []}
    note = 'mutation($n: String!) { ingestNote(text: "x", name: $n) { sourceRef } }'
    status, body = service.post(note, token, variables={"n": "n" * 201})
    assert status == 400 and "CONTEXTGRAPH_MAX_NAME" in body["errors"][0]["message"]


def test_work_done_whole_is_asked_for_once_in_a_request_however_aliased(service: Service, _audit_log: Path) -> None:
    """A report reads a whole period's records and a note's preview reads the note whole: each alias
    would do all of it again, so a request asking for one twice is refused before anything runs;
    one key asked twice (answered once) is not."""
    token = service.token()
    period = 'report(from: "2024-01-01", to: "2024-06-30")'
    reports = " ".join(f"r{i}: {period} {{ marking }}" for i in range(15))
    previews = " ".join(f"p{i}: notePreview(text: $t) {{ digest }}" for i in range(2))
    notes = " ".join(f'n{i}: ingestNote(text: $t, name: "n{i}.md") {{ sourceRef }}' for i in range(2))
    asks = (
        (f"{{ {reports} }}", None, "report is asked for more than once"),
        (f"query($t: String!) {{ {previews} }}", {"t": "x"}, "notePreview is"),
        (f"mutation($t: String!) {{ {notes} }}", {"t": "x"}, "ingestNote is"),
        (
            f"fragment A on Query {{ a: {period} {{ marking }} }} "
            f"fragment B on Query {{ b: {period} {{ marking }} }} {{ ...A ...B }}",
            None,
            "report is asked for more than once",
        ),
    )
    for q, variables, said in asks:
        status, body = service.post(q, token, purpose="test", variables=variables)
        assert status == 400 and body["errors"][0]["message"].startswith(said), (q, body)
        assert body.get("data") is None
    assert not _audit_log.exists() or '"report"' not in _audit_log.read_text()  # nothing ran, nothing read
    # one report, asked once by one key (twice over, merged into one answer), is answered, with its HTML
    twice = f"{{ {period} {{ marking }} {period} {{ html }} }}"
    got = service.data(twice, token)["report"]
    assert got["marking"] and got["html"].lstrip().lower().startswith("<!doctype html")


def test_errors_make_no_suggestions_outside_development(
    service: Service, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = service.token()
    typos = [
        '{ entity(id: "c-1") { nam } }',
        '{ entity(idd: "c-1") { name } }',
        '{ search(text: "k", kinds: [CHILDD]) { id } }',
        'query($k: [EntityKnd!]) { search(text: "k", kinds: $k) { id } }',
    ]
    for q in typos:
        status, body = service.post(q, token)
        assert status == 400 and body["errors"], body
        assert "Did you mean" not in json.dumps(body), body
    # a query that does not parse is refused before it runs too: 400, never a 200 carrying errors
    for broken in ("{ entity(", '{ search(text: "\\uZZZZ") { id } }', '{ entity(id: "c-1") { id } } trailing'):
        status, body = service.post(broken, token)
        assert status == 400 and "Syntax Error" in body["errors"][0]["message"] and not body.get("data"), body
    kinds = 'query($k: [EntityKind!]) { search(text: "k", kinds: $k) { id } }'
    variable = service.post(kinds, token, variables={"k": ["CHILDD"]})
    assert variable[1]["errors"] and "Did you mean" not in json.dumps(variable[1])
    monkeypatch.setenv(ENV_LOCAL_KEY, str(tmp_path / "dev.key.pem"))
    with running(store.url, LocalKeys(tmp_path / "dev.key.pem"), dev=True) as dev:
        assert "Did you mean 'name'" in dev.error(typos[0], dev.token())


def test_a_query_past_its_time_budget_stops(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert(*_busy_place(300))
    monkeypatch.setenv(ENV_LOCAL_KEY, str(tmp_path / "k.pem"))
    monkeypatch.setenv("CONTEXTGRAPH_QUERY_SECONDS", "0.05")
    with running(store.url, LocalKeys(tmp_path / "k.pem")) as svc:
        q = _neighbours(3, first=20, centre="busy")
        status, body = svc.post(q, svc.token(localities=("Busy",)))
        assert status == 200 and body["errors"], body
        assert any("time budget (CONTEXTGRAPH_QUERY_SECONDS)" in e["message"] for e in body["errors"])


def _busy_place(children: int) -> tuple[list[Entity], list[Relationship]]:
    """A place in locality Busy where ``children`` children are seen, each with two friends."""
    ents = [Entity("busy", "location", "Central bus station", locality="Busy", lat=52.6, lon=-1.1)]
    rels = []
    for i in range(children):
        ents.append(Entity(f"b-{i}", "child", f"Busy Child {i}", locality="Busy"))
        rels.append(rel("SEEN_AT", f"b-{i}", "busy"))
    for i in range(children):
        rels.append(rel("ASSOCIATES_WITH", f"b-{i}", f"b-{(i + 1) % children}"))
        rels.append(rel("ASSOCIATES_WITH", f"b-{i}", f"b-{(i + 7) % children}"))
    return ents, rels


def test_every_limit_is_a_documented_setting_with_its_default() -> None:
    from dataclasses import fields

    from contextgraph.limits import SETTINGS, Limits

    root = Path(__file__).resolve().parents[1]
    table = (root / "docs" / "cli.md").read_text(encoding="utf-8")
    api = (root / "docs" / "api.md").read_text(encoding="utf-8")
    for f in fields(Limits):
        name, meaning = SETTINGS[f.name]
        value = getattr(Limits(), f.name)
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        assert f"| `{name}` | {meaning} | `{shown}` |" in table, f"{name} (default {shown}) is not in docs/cli.md"
        assert f"`{name}`" in api, f"{name} is not described in docs/api.md"
    assert Limits.from_env({"CONTEXTGRAPH_MAX_COST": "50", "CONTEXTGRAPH_QUERY_SECONDS": "0.5"}).cost == 50
    for bad in ("0", "-3", "many", "1e400"):
        with pytest.raises(ValueError, match="CONTEXTGRAPH_MAX_COST must be a positive number"):
            Limits.from_env({"CONTEXTGRAPH_MAX_COST": bad})


@pytest.mark.parametrize(
    "odd",
    [{"role": {}}, {"role": ["admin"]}, {"role": None, "roles": 5}, {"role": None, "roles": [{}]}, {"clearance": []}],
)
def test_signed_claims_of_odd_types_are_refused_not_a_crash(tmp_path: Path, odd: dict[str, object]) -> None:
    keys = LocalKeys(tmp_path / "team.key.pem")
    claims = _claims(**{"role": "analyst", "localities": ["East"], **odd})
    token = jwt.encode(claims, keys.private_key(), algorithm="ES256")
    with pytest.raises(AuthError):
        keys.verifier().verify(token)


def test_a_bad_limit_setting_stops_serve_with_a_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from contextgraph.store import open_store

    from .cli import cg

    open_store(f"sqlite:///{tmp_path / 't.db'}").close()  # serve makes no store (but --sample)
    monkeypatch.setenv("CONTEXTGRAPH_MAX_COST", "lots")
    r = cg("serve", "--store", f"sqlite:///{tmp_path / 't.db'}", "--port", "1")
    assert r.returncode == 1 and "CONTEXTGRAPH_MAX_COST must be a positive number, not 'lots'" in r.stderr
    assert "Traceback" not in r.stderr


def test_shown_ids_are_bounded_over_the_whole_request(service: Service) -> None:
    """``shownIds`` takes at most 1,000 ids in one request, however many aliases share them: the
    bound is what keeps one request from timing thousands of guesses at ids outside the reader's view."""
    token = service.token()
    ids = [f"c-{i}" for i in range(600)]
    one = "query($a: [ID!]!) { a: shownIds(ids: $a) }"
    assert len(service.data(one, token, a=ids)["a"]) == 600
    two = "query($a: [ID!]!, $b: [ID!]!) { a: shownIds(ids: $a) b: shownIds(ids: $b) }"
    assert "at most 1000 ids in one request" in service.error(two, token, a=ids, b=ids)


def test_an_empty_list_of_types_or_kinds_is_refused_in_every_read(service: Service) -> None:
    """An empty ``types`` or ``kinds`` is refused in the words the views use, not read as all (a
    page that unticks every box is shown nothing rather than everything)."""
    token = service.token()
    for ask in (
        '{ network(centre: "c-1", types: []) { nodes { id } } }',
        '{ entity(id: "c-1") { neighbours(types: []) { id } } }',
        "{ unopenedAtRisk(types: []) { total } }",
        '{ search(text: "kyle", kinds: []) { id } }',
    ):
        message = service.error(ask, token)
        assert "is empty: give at least one" in message and "or leave it out for all" in message, (ask, message)
    assert service.data('{ network(centre: "c-1", types: [SEEN_AT]) { nodes { id } } }', token)["network"]
