"""Entities and relationships as the Neo4j store writes them: node properties and row maps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

import orjson

from ...model import Entity, Relationship, strongest_grading
from ...text import normalise_name
from ..codec import decode_assertions, decode_open, encode_assertions, encode_open
from ..types import Key

T = TypeVar("T")
X = TypeVar("X")

BATCH = 10_000
SCHEMA = (
    "constraint_entity_id",
    "index_entity_merged_into",
    "index_entity_locality",
    "index_entity_names",
    "constraint_record_id",
    "index_record_table",
    "constraint_postcode",
    "constraint_named_place",
    "index_named_place_key",
    "constraint_tracking_id",
    "index_tracking_name",
    "index_tracking_name_record",
)


def entity_props(e: Entity) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "name": e.name,
        "aliases": list(e.aliases),
        "dob": e.dob,
        "locality": e.locality,
        "lat": e.lat,
        "lon": e.lon,
        "properties": props_json(e.properties),
        "sources": list(e.sources),
        "first_seen": e.first_seen,
        "last_seen": e.last_seen,
        "grading": e.grading,
        "handling": list(e.handling),
        "open": encode_open(e),
        "search": " | ".join(dict.fromkeys(normalise_name(x) for x in [e.name, *e.aliases])),
    }


def entity_of_node(p: Any, members: Iterable[str] = ()) -> Entity:
    return Entity(
        id=p["id"],
        kind=p["kind"],
        name=p["name"],
        aliases=list(p.get("aliases") or []),
        dob=p.get("dob"),
        locality=p.get("locality"),
        lat=p.get("lat"),
        lon=p.get("lon"),
        properties=orjson.loads(p.get("properties") or "{}"),
        sources=list(p.get("sources") or []),
        first_seen=p.get("first_seen"),
        last_seen=p.get("last_seen"),
        grading=p.get("grading"),
        handling=list(p.get("handling") or []),
        open=decode_open(p.get("open"), p["id"], p["kind"]),
        members=sorted(p.get("members") or members),
    )


def rel_row(r: Relationship) -> dict[str, Any]:
    dates = [a.date for a in r.assertions if a.date]
    return {
        "source": r.source,
        "target": r.target,
        "assertions": encode_assertions(r),
        "properties": props_json(r.properties),
        "first_seen": min(dates) if dates else None,
        "last_seen": max(dates) if dates else None,
        "count": len(r.assertions),
        "grading": strongest_grading([a.grading for a in r.assertions]),
    }


def sparse(props: dict[str, Any]) -> dict[str, Any]:
    """Only the properties worth storing on a new node or relationship (absent reads as empty:
    None, ``"{}"`` or an empty list)."""
    return {k: v for k, v in props.items() if v is not None and v != "{}" and v != []}


def props_json(props: dict[str, Any]) -> str:
    """Open properties as stored: JSON text with sorted keys."""
    return orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode() if props else "{}"


def rel_write_row(r: Relationship) -> dict[str, Any]:
    row = rel_row(r)
    return {"source": row.pop("source"), "target": row.pop("target"), "set": sparse(row)}


def relationship_of_row(t: str, s: str, d: str, assertions: str | None, props: str | None) -> Relationship:
    return Relationship(t, s, d, decode_assertions(assertions or "[]", s, d), orjson.loads(props or "{}"))


Step = tuple[Key, str, bool, Relationship, Entity]
"""A relationship of an entity: its key, the id at its other end, whether a walk may go on from
there, the relationship and the entity there."""
FILTERS = ("types", "kinds", "localities", "since", "until")


def batches(seq: Sequence[T], n: int = BATCH) -> Iterator[Sequence[T]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]
