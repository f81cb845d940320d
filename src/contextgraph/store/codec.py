"""Assertions as both stores keep them, and records as they are written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from ..model import Assertion, Relationship


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
