"""Fuzzing over real HTTP: no input gives a 5xx.

The REST routes are fuzzed by Schemathesis from the committed description (``api/openapi.json``),
each case sent with a token of every role and with none; GraphQL by Hypothesis, with queries
built from the schema: fields, arguments of the right and the wrong types, huge strings, odd
unicode, deep nesting, and variables of any JSON. Both are derandomized and bounded in examples,
so that a run is the same every time and takes about a minute on the embedded store.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import json
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable

from contextgraph.service.audit import ENV_AUDIT
from contextgraph.service.auth import ENV_LOCAL_KEY, LocalKeys
from contextgraph.service.graphql import schema as build_schema

from .data import ENTITIES, RELATIONSHIPS
from .service import Service, running

ROOT = Path(__file__).resolve().parents[1]
ROLES = (("analyst", ("East",)), ("chair", ("East",)), ("mace", ("East", "West")), ("admin", ()))
REST_EXAMPLES = 60
"""Cases per route and generation mode, each sent once per role and once without a token."""
GRAPHQL_EXAMPLES = 600
RUNS: dict[str, int] = {}
"""Requests sent, by fuzzer (printed at the end of each test, and recorded in docs/api.md)."""


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on the embedded store holding the contract data: fuzzing is about the service's
    handling of input, which the store does not change; the contract suite runs both stores."""
    tmp = tmp_path_factory.mktemp("fuzz")
    from contextgraph.store import open_store

    with open_store(f"sqlite:///{tmp / 'fuzz.db'}") as s:
        s.upsert(ENTITIES, RELATIONSHIPS)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENV_LOCAL_KEY, str(tmp / "fuzz.key.pem"))
        mp.setenv(ENV_AUDIT, str(tmp / "fuzz.audit.jsonl"))
        with running(f"sqlite:///{tmp / 'fuzz.db'}", LocalKeys(tmp / "fuzz.key.pem")) as svc:
            yield svc


def _post(svc: Service, path: str, token: str, body: bytes, content_type: str) -> tuple[int, bytes]:
    """A POST's status and answer, read even when the service answers before the whole body is sent
    (as it does, with 413, to a body over the limit)."""
    host, port = svc.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type, "X-Purpose": "fuzzing"}
    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
        conn.request("POST", path, body=body, headers=headers)
    try:
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def _tokens(svc: Service) -> list[str | None]:
    return [None, *(svc.token(role, locs, user=f"fuzz-{role}") for role, locs in ROLES)]


@schemathesis.serializer("application/zip", "text/markdown")
def _raw_body(ctx: Any, value: Any) -> dict[str, Any]:
    if isinstance(value, bytes):
        return {"data": value}
    data = value if isinstance(value, str) else json.dumps(value)
    return {"data": data.encode("utf-8", "surrogatepass")}


def test_rest_fuzzing_gives_no_5xx(fuzzed: Service) -> None:
    api = schemathesis.openapi.from_path(ROOT / "api" / "openapi.json")
    tokens = _tokens(fuzzed)
    session = requests.Session()
    sent = 0
    failures: list[str] = []
    started = time.monotonic()
    for result in api.get_all_operations():
        operation = result.ok()
        if operation.path == "/graphql":  # fuzzed below, from the GraphQL schema
            continue
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @settings(
                max_examples=REST_EXAMPLES,
                derandomize=True,
                database=None,
                deadline=None,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case: Any) -> None:
                nonlocal sent
                for token in tokens:
                    headers = {"X-Purpose": "fuzzing"}
                    if token is not None:
                        headers["Authorization"] = f"Bearer {token}"
                    response = case.call(base_url=fuzzed.base, session=session, headers=headers, timeout=30)
                    sent += 1
                    if response.status_code >= 500:
                        failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {case!r}")

            try:
                run()
            except Unsatisfiable:  # nothing to make invalid: a route without parameters or body
                assert mode is schemathesis.GenerationMode.NEGATIVE
    RUNS["rest"] = sent
    print(f"\nSchemathesis: {sent} requests in {time.monotonic() - started:.0f} s, {len(failures)} 5xx")
    assert not failures, failures[:5]
    assert sent >= 5 * REST_EXAMPLES  # it ran


# --- GraphQL -----------------------------------------------------------------------------

GQL = build_schema(production=False)._schema

ODD_TEXT = st.one_of(
    st.text(max_size=50),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(["", "\u0000", "\ud7ff\ue000", "𝕂𝕪𝕝𝕖", "\u202e", "' OR 1=1 --", "$x", "{", "\\"]),
    st.integers(1, 3).map(lambda n: "x" * (100_000 * n)),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ODD_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=10,
)


def _literal(value: Any) -> str:
    """A Python value written as a GraphQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items() if k.isidentifier()) + "}"
    raise TypeError(value)


@st.composite
def _argument(draw: st.DrawFn, arg_type: Any, sound: bool = False) -> str:
    """A literal for an argument: mostly of its type, sometimes of any other, sometimes deeply
    nested; always of its type when ``sound`` (a query that passes validation, to reach the resolvers)."""
    choice = draw(st.integers(2 if sound else 0, 9))
    if choice == 0:
        return _literal(draw(JSON_VALUES))
    if choice == 1:
        depth = draw(st.integers(1, 200))
        return "[" * depth + "]" * depth
    named = get_named_type(arg_type)
    wrapped = arg_type.of_type if isinstance(arg_type, GraphQLNonNull) else arg_type
    if isinstance(wrapped, GraphQLList):
        return "[" + ", ".join(draw(st.lists(_argument(wrapped.of_type, sound), max_size=3))) + "]"
    if isinstance(named, GraphQLEnumType):
        return draw(st.sampled_from([*named.values] if sound else [*named.values, "NOT_A_VALUE", "child"]))
    if isinstance(named, GraphQLInputObjectType):
        fields = draw(st.lists(st.sampled_from(sorted(named.fields)), unique=True, max_size=len(named.fields)))
        if sound:
            fields = list(
                dict.fromkeys([*(f for f, d in named.fields.items() if isinstance(d.type, GraphQLNonNull)), *fields])
            )
        return "{" + ", ".join(f"{f}: {draw(_argument(named.fields[f].type, sound))}" for f in fields) + "}"
    if isinstance(named, GraphQLScalarType):
        if named.name == "Int":
            return _literal(draw(st.integers(-(2**40), 2**40)))
        if named.name == "Float":
            return _literal(draw(st.floats(allow_nan=False, allow_infinity=False)))
        if named.name == "Boolean":
            return _literal(draw(st.booleans()))
        if named.name == "JSON":
            return _literal(draw(JSON_VALUES))
        known = ["c-1", "c-3", "l-1", "p-1", "East", "West", "2024-01-01", "kyle"]
        return _literal(draw(st.one_of(st.sampled_from(known), ODD_TEXT)))
    return "null"


@st.composite
def _selection(draw: st.DrawFn, kind: GraphQLObjectType, depth: int, sound: bool = False) -> str:
    names = sorted(kind.fields)
    pool = [*names, "__typename"] if sound else [*names, "notAField", "__typename"]
    chosen = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True))
    parts = []
    for name in chosen:
        field = kind.fields.get(name)
        text = name
        if field is not None and field.args:
            args = draw(st.lists(st.sampled_from(sorted(field.args)), unique=True, max_size=len(field.args)))
            required = [a for a, d in field.args.items() if isinstance(d.type, GraphQLNonNull)]
            args = list(dict.fromkeys([*required, *args])) if sound or draw(st.booleans()) else args
            if args:
                text += "(" + ", ".join(f"{a}: {draw(_argument(field.args[a].type, sound))}" for a in args) + ")"
        inner = get_named_type(field.type) if field is not None else None
        if isinstance(inner, GraphQLObjectType):
            text += " { " + (draw(_selection(inner, depth + 1, sound)) if depth < 6 else "__typename") + " }"
        parts.append(text)
    return " ".join(parts)


@st.composite
def graphql_requests(draw: st.DrawFn) -> dict[str, Any]:
    root = draw(st.sampled_from([GQL.query_type, GQL.mutation_type]))
    assert root is not None
    sound = draw(st.booleans())  # half pass validation, so that the resolvers are reached with odd values
    query = ("mutation " if root is GQL.mutation_type else "") + "{ " + draw(_selection(root, 0, sound)) + " }"
    mangle = draw(st.integers(3 if sound else 0, 19))
    if mangle == 0:
        query = query[: draw(st.integers(0, len(query)))]
    elif mangle == 1:
        query = "{" * draw(st.integers(1, 5000)) + query
    variables: Any = draw(st.one_of(st.just({}), st.dictionaries(st.text(max_size=5), JSON_VALUES, max_size=3)))
    if mangle == 2:
        depth = draw(st.integers(1, 50_000))
        variables = {"deep": json.loads("[" * min(depth, 900) + "]" * min(depth, 900)), "depth": depth}
    return {"query": query, "variables": variables}


def _encoded(request: dict[str, Any] | tuple[Any]) -> bytes:
    """The body of a request: its JSON, with a variable nested as deeply as drawn; or any JSON at all (a 1-tuple)."""
    if isinstance(request, tuple):
        return json.dumps(request[0]).encode()
    depth = request["variables"].get("depth")
    if isinstance(depth, int) and "deep" in request["variables"]:
        nested = ("[" * depth + "]" * depth).encode()
        return b'{"query": ' + json.dumps(request["query"]).encode() + b', "variables": {"deep": ' + nested + b"}}"
    return json.dumps(request).encode()


def test_graphql_fuzzing_gives_no_5xx(fuzzed: Service) -> None:
    tokens = [t for t in _tokens(fuzzed) if t is not None]
    sent = 0
    failures: list[str] = []
    answered: dict[int, int] = {}
    started = time.monotonic()

    @settings(
        max_examples=GRAPHQL_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(request=graphql_requests() | JSON_VALUES.map(lambda v: (v,)), role=st.integers(0, len(tokens) - 1))
    def run(request: Any, role: int) -> None:
        nonlocal sent
        body = _encoded(request)
        status, raw = _post(fuzzed, "/graphql", tokens[role], body, "application/json")
        sent += 1
        answered[status] = answered.get(status, 0) + 1
        if status >= 500:
            failures.append(f"{status}: {body[:300]!r} {raw[:200]!r}")

    run()
    RUNS["graphql"] = sent
    print(f"\nGraphQL: {sent} requests in {time.monotonic() - started:.0f} s, by status {sorted(answered.items())}")
    assert not failures, failures[:5]
    assert answered.get(200, 0) > GRAPHQL_EXAMPLES // 10  # not only refusals: queries ran


@st.composite
def archives(draw: st.DrawFn) -> bytes:
    """Zip archives of interchange files with lines of any JSON, and damaged ones."""
    names = draw(st.lists(st.sampled_from(["entities.jsonl", "relationships.jsonl", "judgements.jsonl"]), unique=True))
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", draw(st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]))) as z:
        for name in names:
            line = JSON_VALUES.map(lambda v: json.dumps(v)) | st.binary(max_size=40).map(repr)
            lines = draw(st.lists(line, max_size=5))
            z.writestr(name, "\n".join(lines))
    data = bytearray(packed.getvalue())
    for _ in range(draw(st.integers(0, 3))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def test_import_fuzzing_gives_no_5xx(fuzzed: Service) -> None:
    token = fuzzed.token("admin", ())
    sent = 0
    failures: list[str] = []

    @settings(max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=archives())
    def run(body: bytes) -> None:
        nonlocal sent
        status, raw = _post(fuzzed, "/import", token, body, "application/zip")
        sent += 1
        if status >= 500:
            failures.append(f"{status}: {body[:100]!r} {raw[:200]!r}")

    run()
    RUNS["import"] = sent
    print(f"\nimport: {sent} archives, {len(failures)} 5xx")
    assert not failures, failures[:5]


def test_fuzzing_counts_are_recorded_in_the_docs() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    assert f"{REST_EXAMPLES} cases per route and generation mode" in text
    assert f"{GRAPHQL_EXAMPLES} GraphQL requests" in text
