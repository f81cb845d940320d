"""Rows of the embedded store: columns, and the codecs between rows and records."""

from __future__ import annotations

import itertools
from typing import Any

import orjson

from ...model import KIND_CODES, REL_TYPES, TYPE_CODES, Entity, Relationship, strongest_grading
from ..codec import decode_assertions, decode_open, encode_assertions, encode_open

BULK_ROWS = 50_000

KIND_CODE = {k: i for i, k in enumerate(KIND_CODES)}
SYMMETRIC = frozenset(t for t, rt in REL_TYPES.items() if rt.symmetric)
TYPE_CODE = {t: i for i, t in enumerate(TYPE_CODES)}


def dumps(x: Any) -> str:
    if not x:
        return "[]" if isinstance(x, list) else "{}"
    return orjson.dumps(x).decode()


def trim(cache: dict[int, Any], limit: int | None) -> None:
    """Keep a record cache within ``limit`` (None: unbounded), dropping the oldest entries."""
    if limit is not None and len(cache) > limit:
        for k in list(itertools.islice(cache, len(cache) - limit // 2)):
            del cache[k]


def entity_row(e: Entity) -> tuple[Any, ...]:
    return (
        e.id,
        e.kind,
        e.name,
        dumps(e.aliases),
        e.dob,
        e.locality,
        e.lat,
        e.lon,
        dumps(e.properties),
        dumps(e.sources),
        e.first_seen,
        e.last_seen,
        e.grading,
        dumps(e.handling),
        encode_open(e),
    )


def entity_of_row(row: tuple[Any, ...]) -> Entity:
    _, eid, kind, name, aliases, dob, loc, lat, lon, props, sources, first, last, grading, handling, opened = row
    return Entity(
        id=eid,
        kind=kind,
        name=name,
        aliases=orjson.loads(aliases),
        dob=dob,
        locality=loc,
        lat=lat,
        lon=lon,
        properties=orjson.loads(props),
        sources=orjson.loads(sources),
        first_seen=first,
        last_seen=last,
        grading=grading,
        handling=orjson.loads(handling),
        open=decode_open(opened, eid, kind),
    )


def summary_of(r: Relationship) -> tuple[str | None, str | None, int, str | None, str]:
    asr = r.assertions
    if len(asr) == 1:
        a = asr[0]
        if a.subject == r.source and a.object == r.target:
            return a.date, a.date, 1, a.grading, orjson.dumps([[a.source_ref, a.date, a.grading]]).decode()
        return a.date, a.date, 1, a.grading, encode_assertions(r)
    dates = [a.date for a in asr if a.date]
    return (
        min(dates) if dates else None,
        max(dates) if dates else None,
        len(asr),
        strongest_grading([a.grading for a in asr]),
        encode_assertions(r),
    )


def relationship_of_row(t: str, s: str | None, d: str | None, asr: str, props: str) -> Relationship:
    assert s is not None and d is not None
    return Relationship(t, s, d, decode_assertions(asr, s, d), orjson.loads(props))
