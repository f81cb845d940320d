"""The domain as GraphQL types: who is signed in, entities, relationships, sources and a
neighbourhood, each shown as the user may see it (a child by initials for a MACE member)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from ....model import KINDS, REL_TYPES, SERVICES, WITHHELD, Entity, Relationship, initials
from ....store import Filter, Subgraph
from ....store.types import Fact
from ...auth import Principal
from ..context import Context, cap, chosen
from .tracking import PathwayStepView, TrackingRecordView, record_view, shown_records, step_views


def _enum(name: str, values: list[tuple[str, str]], description: str) -> Any:
    built: Any = enum.Enum(name, values)  # type: ignore[misc]
    return strawberry.enum(built, description=description)


ENTITY_KIND = _enum("EntityKind", [(k.upper(), k) for k in KINDS], "An entity kind")
REL_TYPE = _enum("RelationshipType", [(t, t) for t in REL_TYPES], "A relationship type")
SERVICE = _enum("ServiceCode", [(s, s) for s in SERVICES], "A service a child can be open to")
if TYPE_CHECKING:  # for the type checker; at run time, the enums built from the vocabulary
    EntityKind = Any
    RelationshipType = Any
    ServiceCode = Any
else:
    EntityKind = ENTITY_KIND
    RelationshipType = REL_TYPE
    ServiceCode = SERVICE


@strawberry.type(description="Who is signed in, and what they may see.")
class User:
    user: str
    role: str
    localities: list[str]
    clearance: str
    may_write: bool = strawberry.field(description="Whether your role may change records: imports and mutations.")
    may_record_notes: bool = strawberry.field(
        description="Whether your role may record meeting notes: post one, or review one and commit it."
    )
    may_export: bool = strawberry.field(
        description="Whether your role may export what it sees (GET /export: a disclosure, logged)."
    )


@strawberry.type(name="Entity", description="A child, person of concern, location, school, group or service.")
class EntityView:
    id: strawberry.ID
    kind: EntityKind
    name: str
    aliases: list[str]
    dob: str | None
    locality: str | None
    lat: float | None
    lon: float | None
    properties: JSON = strawberry.field(description="Open properties: risk level, exploitation types...")
    sources: list[str] = strawberry.field(description="The notes and records that named this entity.")
    _eid: strawberry.Private[str]
    """Its id in the store (``id`` is as this reader is given it)."""

    @strawberry.field(name="openTo", description="The services a child is open to now, as far as you may see.")
    def open_to(self, info: Info[Context, None]) -> list[str]:
        if self.kind != ENTITY_KIND("child"):
            return []
        sub = info.context.store.neighbourhood(self._eid, 1, info.context.scope(["OPEN_TO"]))
        return sorted(n.name for n in sub.nodes if n.kind == "service")

    @strawberry.field(
        description="What happened to it over time, oldest first: its missing episodes, referrals, risk "
        "assessments, plans, disruptions and outcome reviews, and those of others that name it, as you may "
        "see them (at most 500)."
    )
    def timeline(self, info: Info[Context, None], first: int = 200) -> list[TrackingRecordView]:
        ctx = info.context
        records = shown_records(ctx, self._eid, self.kind.value)[: cap(first, 500)]
        if records:  # the entity, and the people its records name
            ctx.consulted(
                [self._eid, *ctx.people(x for t in records for x in t.involves if x != self._eid)], "timeline"
            )
        return [record_view(ctx, t) for t in records]

    @strawberry.field(description="A child's moves on the risk pathway, read from their assessments; the last is now.")
    def pathway(self, info: Info[Context, None]) -> list[PathwayStepView]:
        return step_views(shown_records(info.context, self._eid, self.kind.value), info.context.shown_id)

    @strawberry.field(description="The entities one step away that you may see (at most 50).")
    def neighbours(
        self, info: Info[Context, None], types: list[RelationshipType] | None = None, first: int = 20
    ) -> list[EntityView]:
        ctx = info.context
        flt = ctx.scope(chosen(types, "types", "relationship type"))
        sub = ctx.store.neighbourhood(self._eid, 1, flt)
        found = sorted((n for n in sub.nodes if n.id != self._eid), key=lambda n: n.id)
        found = found[: cap(first)]
        ctx.consulted([n.id for n in found if KINDS[n.kind].person], "neighbours")
        return [entity_view(n, ctx) for n in found]


def _json(value: dict[str, Any]) -> Any:
    """A dict for a field of the JSON scalar."""
    return value


def _hidden(kind: str, who: Principal) -> bool:
    return kind in who.by_initials


def shown_name(name: str, kind: str, who: Principal) -> str:
    """A name as this user may see it: a child's by initials for a MACE member, and every
    person's when the request asked for initials."""
    return namer(who)(name, kind)


def namer(who: Principal) -> Callable[[str, str], str]:
    """:func:`shown_name` for many names (a name and its entity's kind): which kinds this user
    sees by initials is asked once."""
    hidden = who.by_initials
    return lambda name, kind: initials(name) if kind in hidden else name


def entity_view(e: Entity, ctx: Context) -> EntityView:
    who = ctx.who
    if who.clearance != "C":  # what statements under P alone say; nothing at all if only C named it
        e = e.cleared_for_p() or Entity(e.id, e.kind, WITHHELD, handling=["C"])
    if _hidden(e.kind, who):
        e = e.pseudonymised()
    if who.clearance != "C" or who.by_initials:
        e = e.without_writers_words()
    props = dict(e.properties)
    return EntityView(
        id=strawberry.ID(ctx.shown_id(e.id)),
        _eid=e.id,
        kind=ENTITY_KIND(e.kind),
        name=e.name,
        aliases=list(e.aliases),
        dob=e.dob,
        locality=e.locality,
        lat=e.lat,
        lon=e.lon,
        properties=_json(props),
        sources=ctx.refs(e.sources),
    )


@strawberry.type(name="Relationship", description="One per type and pair, with every source that asserted it.")
class RelationshipView:
    type: RelationshipType
    source: strawberry.ID
    target: strawberry.ID
    date: str | None = strawberry.field(description="The latest date it was seen (as lastSeen).")
    first_seen: str | None
    last_seen: str | None
    grading: str | None = strawberry.field(description="The strongest grading of its assertions you may see.")
    count: int = strawberry.field(description="How many assertions you may see.")
    sources: list[str]


def rel_view(r: Relationship, ctx: Context) -> RelationshipView:
    return edge_view(r.key, Fact(r.sources, r.first_seen, r.last_seen, r.grading, r.count), ctx)


def edge_view(key: tuple[str, str, str], f: Fact, ctx: Context) -> RelationshipView:
    """A relationship as this user may see it: its sources as :meth:`Context.refs` gives them."""
    return RelationshipView(
        type=REL_TYPE(key[0]),
        source=strawberry.ID(ctx.shown_id(key[1])),
        target=strawberry.ID(ctx.shown_id(key[2])),
        date=f.last_seen,
        first_seen=f.first_seen,
        last_seen=f.last_seen,
        grading=f.grading,
        count=f.assertions,
        sources=ctx.refs(f.sources),
    )


@strawberry.type(name="Source", description="A note or record that facts came from.")
class SourceView:
    id: strawberry.ID
    kind: str = strawberry.field(description="The meeting kind (MACE, LOG, INTEL...).")
    date: str | None
    locality: str | None
    file: str | None


@strawberry.type(description="Links from a shown entity to entities you may not see: a count, never who.")
class OutsideLinks:
    entity: strawberry.ID
    count: int
    text: str


@strawberry.type(description="A neighbourhood: the entities and relationships you may see.")
class Network:
    _ctx: strawberry.Private[Context]
    _flt: strawberry.Private[Filter]
    _sub: strawberry.Private[Subgraph]

    @strawberry.field(description="The entities.")
    def nodes(self) -> list[EntityView]:
        return [entity_view(n, self._ctx) for n in self._sub.nodes]

    @strawberry.field(description="The relationships walked.")
    def edges(self) -> list[RelationshipView]:
        return [rel_view(r, self._ctx) for r in self._sub.edges]

    @strawberry.field(description="For each shown entity, how many links lead to entities you may not see.")
    def outside(self) -> list[OutsideLinks]:
        shown = [n.id for n in self._sub.nodes if n.kind != "service"]
        counts = self._ctx.store.outside_links(shown, self._flt)
        return [
            OutsideLinks(
                entity=strawberry.ID(self._ctx.shown_id(i)),
                count=c,
                text=f"{c} link{'s' if c != 1 else ''} outside your area",
            )
            for i, c in sorted(counts.items())
        ]

    @strawberry.field(
        description="The same nodes and edges as plain JSON for drawing, fast for large networks: "
        "nodes {id kind name locality lat lon}, edges {type source target firstSeen lastSeen count grading sources}."
    )
    def graph(self) -> JSON:
        who, shown_id = self._ctx.who, self._ctx.shown_id
        nodes = [
            {
                "id": shown_id(n.id),
                "kind": n.kind,
                "name": shown_name(n.name, n.kind, who),
                "locality": n.locality,
                "lat": n.lat,
                "lon": n.lon,
            }
            for n in self._sub.nodes
        ]
        edges = [
            {
                "type": r.type,
                "source": shown_id(r.source),
                "target": shown_id(r.target),
                "firstSeen": r.first_seen,
                "lastSeen": r.last_seen,
                "count": r.count,
                "grading": r.grading,
                "sources": self._ctx.refs(r.sources),
            }
            for r in self._sub.edges
        ]
        return cast(JSON, {"nodes": nodes, "edges": edges})
