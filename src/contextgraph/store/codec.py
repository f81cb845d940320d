"""Assertions as both stores keep them, and records as they are written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from ..model import Assertion, Entity, Relationship


def new_record(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        **fields,
    }


def encode_assertions(r: Relationship) -> str:
    """A relationship's assertions as compact JSON, as both stores keep them.

    Each is ``[source_ref, date, grading]``, with ``subject, object`` added only
    when the source named other ids than the relationship's own ends (before a
    merge, or the other way round for a symmetric type).

    >>> r = Relationship("SEEN_AT", "c-1", "l-1", [Assertion("n1", "2024-03-02", "1B P", "c-1", "l-1"),
    ...                                              Assertion("n2", None, None, "c-9", "l-1")])
    >>> encode_assertions(r)
    '[["n1","2024-03-02","1B P"],["n2",null,null,"c-9","l-1"]]'
    >>> decode_assertions(encode_assertions(r), "c-1", "l-1") == r.assertions
    True
    """
    s, t = r.source, r.target
    return orjson.dumps(
        [
            [a.source_ref, a.date, a.grading]
            if a.subject == s and a.object == t
            else [a.source_ref, a.date, a.grading, a.subject, a.object]
            for a in r.assertions
        ]
    ).decode()


def decode_assertions(text: str, source: str, target: str) -> list[Assertion]:
    return [Assertion(x[0], x[1], x[2], source, target) if len(x) == 3 else Assertion(*x) for x in orjson.loads(text)]


def encode_open(e: Entity) -> str | None:
    """What statements under handling code P alone say of ``e`` (:attr:`Entity.open`), as both
    stores keep it beside the record: its interchange form (``"open"``), as JSON. None when the
    record has none.

    >>> e = Entity("c-1", "child", "Kyle Benson", aliases=["Ghost"], handling=["C", "P"],
    ...            open=Entity("c-1", "child", "Kyle Benson", sources=["n1"], handling=["P"]))
    >>> encode_open(e)[:61]
    '{"name":"Kyle Benson","aliases":[],"dob":null,"locality":null'
    >>> decode_open(encode_open(e), "c-1", "child") == e.open
    True
    """
    return None if e.open is None else orjson.dumps(e.to_json()["open"]).decode()


def decode_open(text: str | None, eid: str, kind: str) -> Entity | None:
    if not text:
        return None
    d = orjson.loads(text)
    return Entity(
        id=eid,
        kind=kind,
        name=d["name"],
        aliases=d.get("aliases") or [],
        dob=d.get("dob"),
        locality=d.get("locality"),
        lat=d.get("lat"),
        lon=d.get("lon"),
        properties=d.get("properties") or {},
        sources=d.get("sources") or [],
        first_seen=d.get("first_seen"),
        last_seen=d.get("last_seen"),
        grading=d.get("grading"),
        handling=["P"],
    )
