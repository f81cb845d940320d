"""GraphQL variables that cannot be coerced are refused before anything runs: 400, with reasons
naming the variable and the field; an error inside a resolver is still masked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contextgraph.store import Store

from .service import Service

UPSERT = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
ENTITY = "query($id: ID!) { entity(id: $id) { id } }"
CHILD = {"id": "c-40", "kind": "CHILD", "name": "Ana Lee", "locality": "East"}


@pytest.mark.parametrize(
    ("query", "variables", "named"),
    [
        (UPSERT, {"e": {**CHILD, "source_ref": "x"}}, ("$e", "source_ref", "EntityInput")),
        (UPSERT, {"e": {**CHILD, "lat": "abc"}}, ("$e", "lat", "Float")),
        (UPSERT, {"e": {k: v for k, v in CHILD.items() if k != "name"}}, ("$e", "required field 'name'")),
        (UPSERT, {"e": {**CHILD, "kind": "child"}}, ("$e", "kind", "EntityKind")),
        (ENTITY, {}, ("$id", "ID!", "to be provided")),
        (ENTITY, {"id": ["c-1"]}, ("$id", "ID")),
    ],
)
def test_variables_that_cannot_be_coerced_are_refused_with_their_reasons(
    service: Service, query: str, variables: dict[str, Any], named: tuple[str, ...]
) -> None:
    status, body = service.post(query, service.token(), variables=variables)
    assert status == 400, body
    assert body.get("data") is None
    message = body["errors"][0]["message"]
    assert message != "Unexpected error." and all(n in message for n in named), message
    assert "Did you mean" not in message  # no suggestions outside development
    assert service.data('{ entity(id: "c-40") { id } }', service.token())["entity"] is None


def test_an_error_inside_a_resolver_is_still_masked(
    service: Service, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: object, **__: object) -> None:
        raise ValueError("Variable '$t' got invalid value: secret c-3 Tyler Marsh")

    monkeypatch.setattr(type(store), "search", broken)  # the service opened its own store of this kind
    status, body = service.post("query($t: String!) { search(text: $t) { id } }", service.token(), variables={"t": "k"})
    assert status == 200 and body["errors"][0]["message"] == "Unexpected error.", body
    assert "secret" not in json.dumps(body)
