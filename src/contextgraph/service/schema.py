"""The GraphQL schema: a view of the domain model, read and written within each user's scope.

Types and enums are built from the vocabulary in :mod:`contextgraph.model`. What
a user may reach is decided in the store read itself: each read passes a
:class:`~contextgraph.store.Filter` of the user's localities and handling codes,
so nothing outside them is fetched, counted or analysed. Every read of a person
and every write is put on the access log (:mod:`contextgraph.service.audit`) before the
answer is sent; if the log cannot be written the request fails.

What each role may do (``docs/api.md`` has the table):

- ``analyst``: read and write in their localities;
- ``chair``: read in their localities, handling code P only;
- ``mace``: places, hotspots, persons of concern and networks in their
  localities; children appear by initials only, and the child-centred lists
  (at-risk children, peer groups) and searches for children are not theirs;
- ``admin``: everything, everywhere, and erasure.
"""

from __future__ import annotations

import base64
import enum
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date as Date
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import numpy as np
import numpy.typing as npt
import orjson
import strawberry
from graphql import (
    GraphQLError,
)
from starlette.concurrency import run_in_threadpool
from strawberry.extensions import (
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.fastapi import BaseContext
from strawberry.scalars import JSON
from strawberry.types import ExecutionResult, Info
from strawberry.types.graphql import OperationType

from ..analysis.report import analyse_store
from ..errors import ContextGraphError
from ..ingest import review
from ..ingest.gazetteer import PLACE_KINDS, GazetteerError, pinned, unlocated
from ..ingest.pipeline import ReviewError, decide_review, ingest_text, reviews, source_visible
from ..ingest.writes import changeable, linkable, sees_everything, stored_id
from ..interchange import InputError, entity_from_json, relationship_from_json
from ..limits import Limits, QueryGuard, QueryRules
from ..model import GRADE_CODES, KIND_CODES, KINDS, REL_TYPES, SERVICES, TYPE_CODES, Entity, Relationship, service_id
from ..notes.parse import NoteError
from ..projection import Projection
from ..store import Filter, Store, StoreError, Subgraph
from ..store.types import Fact
from . import policy
from .audit import NEEDS_PURPOSE, AuditError, AuditLog, acting
from .auth import Principal
from .execution import Budgeted, FastLists, Kept, fast_lists

MAX_PAGE = 50
"""The largest page of any list but the map."""
MAX_MAP = 5000
"""The most entities one locality map returns."""
MAX_DEPTH = 8
"""The deepest query accepted."""
NO_PURPOSE = (
    "send X-Purpose (or ?purpose=): why you are looking; the access log records it, and nothing is shown without"
)


class RequestError(ContextGraphError):
    """An error the user may read; every other error is masked as "Unexpected error."."""


def _mask(error: GraphQLError) -> bool:
    """Errors from the query itself (syntax, validation, limits) and :class:`RequestError` are shown."""
    return error.original_error is not None and not isinstance(error.original_error, RequestError)


def _enum(name: str, values: list[tuple[str, str]], description: str) -> Any:
    built: Any = enum.Enum(name, values)  # type: ignore[misc]
    return strawberry.enum(built, description=description)


_ENTITY_KIND = _enum("EntityKind", [(k.upper(), k) for k in KINDS], "An entity kind")
_REL_TYPE = _enum("RelationshipType", [(t, t) for t in REL_TYPES], "A relationship type")
_SERVICE = _enum("ServiceCode", [(s, s) for s in SERVICES], "A service a child can be open to")
if TYPE_CHECKING:  # for the type checker; at run time, the enums built from the vocabulary
    EntityKind = Any
    RelationshipType = Any
    ServiceCode = Any
else:
    EntityKind = _ENTITY_KIND
    RelationshipType = _REL_TYPE
    ServiceCode = _SERVICE


# --- who is asking ------------------------------------------------------------------


class Analyses:
    """What is derived from the store for a scope — the network analysis, a map — kept until
    the store changes (when the store can tell; otherwise computed each time).

    At most ``size`` results are kept, the least recently used going first; when the store
    changes, everything kept goes at once, so nothing stale holds memory.
    """

    def __init__(self, size: int = 128):
        self.size = size
        self.lock = threading.Lock()
        self.kept: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self.version: Any = None

    def derived(self, store: Store, key: tuple[Any, ...], compute: Any) -> Any:
        version = store.version()
        if version is None:
            return compute()
        with self.lock:
            if version != self.version:
                self.kept.clear()
                self.version = version
            elif key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
        value = compute()
        with self.lock:
            if version == self.version:
                self.kept[key] = value
                while len(self.kept) > self.size:
                    self.kept.popitem(last=False)
        return value

    def get(self, store: Store, flt: Filter, since: str | None) -> dict[str, Any]:
        """The analysis of what ``flt`` lets a reader see, with changes since ``since``."""
        result: dict[str, Any] = self.derived(
            store, ("analysis", flt, since), lambda: analyse_store(store, flt=flt, since=since, parallel=False)
        )
        return result


class Context(BaseContext):
    """What a request's resolvers share: the store, who is asking, the access log, the purpose."""

    deadline: float | None = None
    """When the query's time budget ends (``time.monotonic()``), set as it starts to run."""
    limits: Limits = Limits()
    """The limits in force (the service sets its own)."""

    def __init__(
        self, store: Store, who: Principal, log: AuditLog, purpose: str | None, analyses: Analyses | None = None
    ):
        super().__init__()
        self.store = store
        self.who = who
        self.log = log
        self.purpose = purpose
        self.analyses = analyses or Analyses()

    def localities(self, locality: str | None = None) -> list[str] | None:
        """The user's localities, or the one asked for if it is theirs (None: everywhere)."""
        if locality is None:
            return None if self.who.everywhere else list(self.who.localities)
        if not self.who.everywhere and locality not in self.who.localities:
            raise RequestError(f"{locality} is not one of your localities")
        return [locality]

    def scope(
        self,
        types: list[str] | None = None,
        since: str | None = None,
        locality: str | None = None,
        until: str | None = None,
    ) -> Filter:
        """The part of the graph this user may read: their localities and handling codes, and the
        relationship types of ``types`` their role sees (for a MACE member, never a child's home,
        school or family: not on a walk, a map, nor in the analysis behind hotspots and evidence)."""
        handling = ["P", "C"] if self.who.clearance == "C" else ["P"]
        seen = policy.walkable(self.who.role, types)
        if seen is not None and not seen:
            raise RequestError(f"your role ({self.who.role}) does not see {', '.join(types or [])} links")
        try:
            return Filter.of(
                types=seen,
                localities=self.localities(locality),
                since=_day(since),
                until=_day(until),
                handling=handling,
            )
        except StoreError as exc:
            raise RequestError(str(exc)) from exc

    @property
    def rules(self) -> policy.Role:
        """What this user's role may do (the roles table)."""
        return policy.role(self.who.role)

    def allow(self, permitted: bool, what: str) -> None:
        """Refuse what the roles table does not permit this user's role."""
        if not permitted:
            raise RequestError(f"your role ({self.who.role}) does not allow {what}")

    def consulted(self, ids: list[str], what: str) -> None:
        self.logged("consultation", ids, {"graphql": what})

    @contextmanager
    def acting(self, detail: dict[str, Any]) -> Iterator[None]:
        """The writes in the block, each logged ahead with this user, purpose and ``detail``."""
        try:
            with acting(self.store, self.who.user, self.purpose, detail):
                yield
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing was changed") from exc

    def logged(self, operation: str, ids: list[str], detail: dict[str, Any]) -> None:
        if operation in NEEDS_PURPOSE and not (self.purpose or "").strip():
            raise RequestError(NO_PURPOSE)
        try:
            self.log.append(self.who.user, operation, ids, self.purpose, detail=detail)
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing is shown") from exc

    def ready_to_write(self, notes: bool = False) -> None:
        """Fail before a write the role may not make (``notes``: recording a meeting note), or whose
        record could not be logged."""
        if notes:
            self.allow(self.rules.may_record_notes, "recording notes")
        else:
            self.allow(self.rules.may_write, "changes to the graph")
        try:
            self.log.ready()
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing was changed") from exc

    def note_locality(self, locality: str | None) -> None:
        """Refuse a note for a locality that is not this user's (called before it is written)."""
        if not self.who.everywhere and locality not in self.who.localities:
            raise RequestError(f"the note is for {locality or 'no locality'}, not one of your localities")

    def changeable(self, eid: str) -> Entity:
        """The entity ``eid`` if this user may change it (:func:`~contextgraph.ingest.writes.changeable`);
        else the same error whether it is missing or not theirs."""
        return self._theirs(eid, changeable(self.store, self.scope(), [eid]))

    def linkable(self, eid: str) -> Entity:
        """The entity ``eid`` if this user may link to it (:func:`~contextgraph.ingest.writes.linkable`);
        else the same error whether it is missing or not theirs."""
        return self._theirs(eid, linkable(self.store, self.scope(), [eid]))

    @staticmethod
    def _theirs(eid: str, found: dict[str, Entity]) -> Entity:
        if eid not in found:
            raise RequestError(f"no entity {eid!r} in your localities")
        return found[eid]


def _day(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return Date.fromisoformat(value).isoformat()
    except ValueError:
        raise RequestError(f"{value!r} is not a date (YYYY-MM-DD)") from None


# --- the domain, as GraphQL types ---------------------------------------------------------


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

    @strawberry.field(name="openTo", description="The services a child is open to now, as far as you may see.")
    def open_to(self, info: Info[Context, None]) -> list[str]:
        if self.kind != _ENTITY_KIND("child"):
            return []
        sub = info.context.store.neighbourhood(str(self.id), 1, info.context.scope(["OPEN_TO"]))
        return sorted(n.name for n in sub.nodes if n.kind == "service")

    @strawberry.field(description="The entities one step away that you may see (at most 50).")
    def neighbours(
        self, info: Info[Context, None], types: list[RelationshipType] | None = None, first: int = 20
    ) -> list[EntityView]:
        ctx = info.context
        flt = ctx.scope([t.value for t in types] if types else None)
        sub = ctx.store.neighbourhood(str(self.id), 1, flt)
        found = sorted((n for n in sub.nodes if n.id != str(self.id)), key=lambda n: n.id)
        found = found[: _cap(first)]
        ctx.consulted([n.id for n in found if KINDS[n.kind].person], "neighbours")
        return [_view(n, ctx.who) for n in found]


def _json(value: dict[str, Any]) -> Any:
    """A dict for a field of the JSON scalar."""
    return value


def _cap(first: int, most: int = MAX_PAGE) -> int:
    return max(1, min(first, most))


def _initials(name: str) -> str:
    """A name as initials, for roles that see children only so.

    >>> _initials("Kyle Benson")
    'K.B.'
    """
    return "".join(f"{w[0].upper()}." for w in name.split() if w[:1].isalpha())


def _hidden(kind: str, who: Principal) -> bool:
    return kind == "child" and policy.role(who.role).child_names == "initials"


def _shown_name(name: str, kind: str, who: Principal) -> str:
    """A name as this user may see it: a child's by initials for a MACE member."""
    return _initials(name) if _hidden(kind, who) else name


def _view(e: Entity, who: Principal) -> EntityView:
    hide = _hidden(e.kind, who)
    return EntityView(
        id=strawberry.ID(e.id),
        kind=_ENTITY_KIND(e.kind),
        name=_shown_name(e.name, e.kind, who),
        aliases=[] if hide else list(e.aliases),
        dob=None if hide else e.dob,
        locality=e.locality,
        lat=e.lat,
        lon=e.lon,
        properties=_json({} if hide else dict(e.properties)),
        sources=[] if hide else list(e.sources),
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


def _rel_view(r: Relationship) -> RelationshipView:
    return _edge_view(r.key, Fact(r.sources, r.first_seen, r.last_seen, r.grading, r.count))


def _edge_view(key: tuple[str, str, str], f: Fact) -> RelationshipView:
    return RelationshipView(
        type=_REL_TYPE(key[0]),
        source=strawberry.ID(key[1]),
        target=strawberry.ID(key[2]),
        date=f.last_seen,
        first_seen=f.first_seen,
        last_seen=f.last_seen,
        grading=f.grading,
        count=f.assertions,
        sources=f.sources,
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
        return [_view(n, self._ctx.who) for n in self._sub.nodes]

    @strawberry.field(description="The relationships walked.")
    def edges(self) -> list[RelationshipView]:
        return [_rel_view(r) for r in self._sub.edges]

    @strawberry.field(description="For each shown entity, how many links lead to entities you may not see.")
    def outside(self) -> list[OutsideLinks]:
        shown = [n.id for n in self._sub.nodes if n.kind != "service"]
        counts = self._ctx.store.outside_links(shown, self._flt)
        return [
            OutsideLinks(entity=strawberry.ID(i), count=c, text=f"{c} link{'s' if c != 1 else ''} outside your area")
            for i, c in sorted(counts.items())
        ]

    @strawberry.field(
        description="The same nodes and edges as plain JSON for drawing, fast for large networks: "
        "nodes {id kind name locality lat lon}, edges {type source target firstSeen lastSeen count grading sources}."
    )
    def graph(self) -> JSON:
        who = self._ctx.who
        nodes = [
            {
                "id": n.id,
                "kind": n.kind,
                "name": _shown_name(n.name, n.kind, who),
                "locality": n.locality,
                "lat": n.lat,
                "lon": n.lon,
            }
            for n in self._sub.nodes
        ]
        edges = [
            {
                "type": r.type,
                "source": r.source,
                "target": r.target,
                "firstSeen": r.first_seen,
                "lastSeen": r.last_seen,
                "count": r.count,
                "grading": r.grading,
                "sources": r.sources,
            }
            for r in self._sub.edges
        ]
        return cast(JSON, {"nodes": nodes, "edges": edges})


# --- analysis results ---------------------------------------------------------------------


@strawberry.type(name="Fact", description="A relationship cited as evidence, with its sources and grading.")
class FactView:
    type: RelationshipType
    source: strawberry.ID
    target: strawberry.ID
    sources: list[str]
    first_seen: str | None
    last_seen: str | None
    grading: str | None
    count: int


def _fact(f: dict[str, Any]) -> FactView:
    return FactView(
        type=_REL_TYPE(f["type"]),
        source=strawberry.ID(f["source"]),
        target=strawberry.ID(f["target"]),
        sources=list(f.get("sources") or []),
        first_seen=f.get("first_seen"),
        last_seen=f.get("last_seen"),
        grading=f.get("grading"),
        count=int(f.get("count") or 0),
    )


@strawberry.type(description="One piece of evidence behind a score, in words and as facts.")
class Reason:
    kind: str
    weight: float
    other: strawberry.ID | None
    date: str | None
    text: str
    facts: list[FactView]


@strawberry.type(description="A child linked to risk and open to no service.")
class AtRiskChild:
    id: strawberry.ID
    name: str
    locality: str | None
    score: float
    rank: int
    flagged: bool
    summary: str
    reasons: list[Reason]


@strawberry.type(description="A place ranked by the children at risk linked to it.")
class Hotspot:
    id: strawberry.ID
    name: str
    locality: str | None
    lat: float | None
    lon: float | None
    score: float
    rank: int
    children: int
    children_at_risk: int
    children_open: int
    persons_of_concern: int
    found_at: int = strawberry.field(description="Missing episodes that ended here.")
    last_seen: str | None
    text: str


@strawberry.type(description="An entity a peer group shares, and how many members it links.")
class Shared:
    id: strawberry.ID
    name: str
    members: int


@strawberry.type(description="A community of children.")
class PeerGroup:
    id: strawberry.ID
    rank: int
    size: int
    members: list[strawberry.ID]
    member_names: list[str]
    open: int
    flagged: int
    not_open: int
    at_risk_not_open: int
    places: list[Shared]
    persons_of_concern: list[Shared]
    groups: list[Shared]
    text: str


@strawberry.type(description="A person of concern ranked by reach.")
class PersonOfConcern:
    id: strawberry.ID
    name: str
    aliases: list[str]
    locality: str | None
    rank: int
    children_linked: int
    children_linked_directly: int
    children_at_risk: int
    children_not_open: int
    peer_groups_bridged: int
    betweenness: float
    evidence: list[FactView]
    text: str


@strawberry.type(description="Something that changed since a date, with its score then and now.")
class Change:
    id: strawberry.ID
    name: str
    now: float | None
    before: float | None


@strawberry.type(description="What is new or newly flagged since a date.")
class Changes:
    since: str
    links: list[FactView]
    children: list[Change]
    children_raised: list[Change]
    children_newly_open: list[Change]
    children_newly_known: list[Change]
    hotspots: list[Change]
    persons_of_concern: list[Change]


T = TypeVar("T")


@strawberry.type(description="One page of a list; pass next as after for the following page.")
class Page(Generic[T]):
    items: list[T]
    total: int
    next: str | None


def _offset(after: str | None) -> int:
    if after is None:
        return 0
    try:
        kind, _, n = base64.urlsafe_b64decode(after.encode()).decode().partition(":")
        if kind == "offset" and n.isdigit():
            return int(n)
    except ValueError:
        pass
    raise RequestError("after is not a cursor this service gave")


def _page(items: list[Any], first: int, after: str | None, make: Any) -> Any:
    start, n = _offset(after), _cap(first)
    chunk = items[start : start + n]
    end = start + len(chunk)
    cursor = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return Page(items=[make(x) for x in chunk], total=len(items), next=cursor)


def _child(c: dict[str, Any]) -> AtRiskChild:
    return AtRiskChild(
        id=strawberry.ID(c["id"]),
        name=c["name"],
        locality=c.get("locality"),
        score=c["score"],
        rank=c["rank"],
        flagged=bool(c.get("flagged")),
        summary=c.get("summary", ""),
        reasons=[
            Reason(
                kind=r["kind"],
                weight=r["weight"],
                other=strawberry.ID(r["other"]) if r.get("other") else None,
                date=r.get("date"),
                text=r.get("text", ""),
                facts=[_fact(f) for f in r["facts"]],
            )
            for r in c["reasons"]
        ],
    )


def _hotspot(h: dict[str, Any]) -> Hotspot:
    return Hotspot(
        id=strawberry.ID(h["id"]),
        name=h["name"],
        locality=h.get("locality"),
        lat=h.get("lat"),
        lon=h.get("lon"),
        score=h["score"],
        rank=h["rank"],
        children=h["children"],
        children_at_risk=h["children_at_risk"],
        children_open=h["children_open"],
        persons_of_concern=h["persons_of_concern"],
        found_at=h["found_at"],
        last_seen=h.get("last_seen"),
        text=h.get("text", ""),
    )


def _shared(xs: list[dict[str, Any]]) -> list[Shared]:
    return [Shared(id=strawberry.ID(x["id"]), name=x["name"], members=x["members"]) for x in xs]


def _group(g: dict[str, Any]) -> PeerGroup:
    return PeerGroup(
        id=strawberry.ID(g["id"]),
        rank=g["rank"],
        size=g["size"],
        members=[strawberry.ID(m) for m in g["members"]],
        member_names=g["member_names"],
        open=g["open"],
        flagged=g["flagged"],
        not_open=g["not_open"],
        at_risk_not_open=g["at_risk_not_open"],
        places=_shared(g["places"]),
        persons_of_concern=_shared(g["persons_of_concern"]),
        groups=_shared(g["groups"]),
        text=g.get("text", ""),
    )


def _person(x: dict[str, Any]) -> PersonOfConcern:
    return PersonOfConcern(
        id=strawberry.ID(x["id"]),
        name=x["name"],
        aliases=x.get("aliases", []),
        locality=x.get("locality"),
        rank=x["rank"],
        children_linked=x["children_linked"],
        children_linked_directly=x["children_linked_directly"],
        children_at_risk=x["children_at_risk"],
        children_not_open=x["children_not_open"],
        peer_groups_bridged=x["peer_groups_bridged"],
        betweenness=x["betweenness"],
        evidence=[_fact(f) for f in x["evidence"]],
        text=x.get("text", ""),
    )


def _changes(ch: dict[str, Any], who: Principal) -> Changes:
    def items(key: str, now: str | None = "score", before: str | None = "before") -> list[Change]:
        return [
            Change(
                id=strawberry.ID(x["id"]),
                name=x.get("name", x["id"]),
                now=x.get(now) if now else None,
                before=x.get(before) if before else None,
            )
            for x in ch[key]
        ]

    children = policy.role(who.role).child_lists
    return Changes(
        since=ch["since"],
        links=[_fact(f) for f in ch["links"]] if children else [],
        children=items("children") if children else [],
        children_raised=items("children_raised") if children else [],
        children_newly_open=items("children_newly_open", None, None) if children else [],
        children_newly_known=items("children_newly_known", None, None) if children else [],
        hotspots=items("hotspots", "score", None),
        persons_of_concern=items("persons_of_concern", "children_linked", "before"),
    )


# --- the map -----------------------------------------------------------------------------


@strawberry.type(description="A locality's entities, relationships and hotspots, with coordinates for mapping.")
class LocalityMap:
    locality: str
    hotspots: list[Hotspot]
    truncated: bool = strawberry.field(description="Whether more entities matched than were returned.")
    _ctx: strawberry.Private[Context]
    _flt: strawberry.Private[Filter]
    _p: strawberry.Private[Projection]
    _kept: strawberry.Private[list[int]]
    _scores: strawberry.Private[dict[str, float]]

    @strawberry.field(description="The entities, placed ones first (typed; see graph for large maps).")
    def nodes(self) -> list[EntityView]:
        ctx, ids, kept = self._ctx, self._p.ids, self._kept

        def views() -> list[EntityView]:
            ents = ctx.store.get_many([ids[i] for i in kept])
            return Kept(_view(ents[ids[i]], ctx.who) for i in kept if ids[i] in ents)

        nodes: list[EntityView] = ctx.analyses.derived(ctx.store, ("nodes", self._flt, ctx.who.role, len(kept)), views)
        return nodes

    @strawberry.field(description="The relationships between the entities, with their sources (typed).")
    def edges(self) -> list[RelationshipView]:
        ctx = self._ctx

        def views() -> list[RelationshipView]:
            facts = ctx.store.facts(_edge_keys(self._p, self._kept), self._flt)
            return Kept(_edge_view(k, f) for k, f in facts.items())

        edges: list[RelationshipView] = ctx.analyses.derived(
            ctx.store, ("edges", self._flt, ctx.who.role, len(self._kept)), views
        )
        return edges

    @strawberry.field(
        description="The same entities and relationships as plain JSON for drawing, fast for large maps: "
        "nodes {id kind name locality lat lon flagged openTo score}, "
        "edges {type source target firstSeen lastSeen count grade}."
    )
    def graph(self) -> JSON:
        ctx = self._ctx
        key = ("graph", self._flt, ctx.who.role, len(self._kept))
        return cast(
            JSON, ctx.analyses.derived(ctx.store, key, lambda: _encoded(_graph(ctx, self._p, self._kept, self._scores)))
        )

    @strawberry.field(
        description="The placed entities as a GeoJSON FeatureCollection, hotspots marked with their score."
    )
    def geojson(self) -> JSON:
        ctx = self._ctx
        key = ("geojson", self._flt, ctx.who.role, len(self._kept))
        return cast(
            JSON,
            ctx.analyses.derived(ctx.store, key, lambda: _encoded(_geojson(ctx, self._p, self._kept, self.hotspots))),
        )


def _encoded(value: dict[str, Any]) -> orjson.Fragment:
    """A large answer kept already encoded: the service's JSON encoder (orjson) copies it as it is."""
    return orjson.Fragment(orjson.dumps(value))


def _map_order(ctx: Context, flt: Filter) -> tuple[Projection, npt.NDArray[np.intp]]:
    """The projection a map is drawn from, and its nodes in the order shown: placed ones first,
    then by kind and id (no children for a MACE member)."""
    p = ctx.store.projection(flt)
    placed = np.array([KINDS[k].placed for k in KIND_CODES], np.bool_)[p.kind]
    rank = np.empty(p.n_nodes, np.intp)
    rank[np.argsort(np.array(p.ids, dtype=object), kind="stable")] = np.arange(p.n_nodes)
    order = np.lexsort((rank, p.kind, ~placed))
    if not ctx.rules.child_lists:
        order = order[p.kind[order] != KIND_CODES.index("child")]
    return p, order


def _edge_keys(p: Projection, kept: list[int]) -> list[tuple[str, str, str]]:
    inside = np.zeros(p.n_nodes, np.bool_)
    inside[kept] = True
    m = inside[p.src] & inside[p.dst]
    ids = p.ids
    return [
        (TYPE_CODES[t], ids[a], ids[b])
        for a, b, t in zip(p.src[m].tolist(), p.dst[m].tolist(), p.type[m].tolist(), strict=True)
    ]


def _graph(ctx: Context, p: Projection, kept: list[int], scores: dict[str, float]) -> dict[str, Any]:
    """Nodes and edges as plain data, straight from the projection and the names."""
    ids = p.ids
    labels = ctx.store.labels([ids[i] for i in kept])
    inside = np.zeros(p.n_nodes, np.bool_)
    inside[kept] = True
    m = inside[p.src] & inside[p.dst]
    services: dict[int, list[str]] = {}
    svc = np.isin(p.kind, [KIND_CODES.index("service")])
    for a, b in zip(p.src[m & svc[p.dst]].tolist(), p.dst[m & svc[p.dst]].tolist(), strict=True):
        services.setdefault(a, []).append(labels[ids[b]].name if ids[b] in labels else ids[b])
    nodes = []
    for i in kept:
        kind = p.kind_of(i)
        lab = labels.get(ids[i])
        name = lab.name if lab else ids[i]
        nodes.append(
            {
                "id": ids[i],
                "kind": kind,
                "name": _shown_name(name, kind, ctx.who),
                "locality": p.localities[int(p.locality[i])],
                "lat": lab.lat if lab else None,
                "lon": lab.lon if lab else None,
                "flagged": bool(p.flag[i]),
                "openTo": sorted(services.get(i, [])),
                "score": scores.get(ids[i]),
            }
        )
    edges = [
        {
            "type": TYPE_CODES[t],
            "source": ids[a],
            "target": ids[b],
            "firstSeen": _iso(f),
            "lastSeen": _iso(la),
            "count": c,
            "grade": GRADE_CODES[g],
        }
        for a, b, t, f, la, c, g in zip(
            p.src[m].tolist(),
            p.dst[m].tolist(),
            p.type[m].tolist(),
            p.first_seen[m].tolist(),
            p.last_seen[m].tolist(),
            p.count[m].tolist(),
            p.grade[m].tolist(),
            strict=True,
        )
    ]
    return {"nodes": nodes, "edges": edges}


def _iso(day_number: int) -> str | None:
    return None if day_number < 0 else Date.fromordinal(day_number + 719163).isoformat()


def _geojson(ctx: Context, p: Projection, kept: list[int], hotspots: list[Hotspot]) -> dict[str, Any]:
    """Points for every placed entity, marked with its hotspot score when it is one."""
    hot = {str(h.id): h for h in hotspots}
    placed = [i for i in kept if KINDS[p.kind_of(i)].placed]
    labels = ctx.store.labels([p.ids[i] for i in placed])
    features = []
    for i in placed:
        eid = p.ids[i]
        lab = labels.get(eid)
        if lab is None or lab.lat is None or lab.lon is None:
            continue
        props: dict[str, Any] = {
            "id": eid,
            "kind": p.kind_of(i),
            "name": lab.name,
            "locality": p.localities[int(p.locality[i])],
        }
        h = hot.get(eid)
        if h is not None:
            props.update(
                hotspot=True, score=h.score, rank=h.rank, children_at_risk=h.children_at_risk, last_seen=h.last_seen
            )
        features.append(
            {
                "type": "Feature",
                "id": eid,
                "geometry": {"type": "Point", "coordinates": [lab.lon, lab.lat]},
                "properties": props,
            }
        )
    return {"type": "FeatureCollection", "features": features}


# --- results of writes --------------------------------------------------------------------


@strawberry.type(description="What ingesting one note did.")
class IngestResult:
    file: str
    source_ref: str | None
    status: str
    created: int
    matched: int
    queued: int = strawberry.field(description="Mentions left for review rather than merged.")
    facts_queued: int = strawberry.field(
        description="Entities and relationships below the confidence threshold: not written, queued for review."
    )
    relationships_added: int
    relationships_updated: int


@strawberry.type(
    name="QueuedFact",
    description="A fact extraction found below the confidence threshold: not written, waiting for a person "
    "who may read its note to accept (write it as proposed) or reject it.",
)
class QueuedFactView:
    id: strawberry.ID
    fact: str = strawberry.field(description="The proposed entity or relationship, in words.")
    kind: str = strawberry.field(description="The entity's kind, or relationship.")
    confidence: float
    how: str = strawberry.field(description="The rule that found it.")
    sentence: str = strawberry.field(description="The sentence or table row it was read from.")
    source: str = strawberry.field(description="The note's source ref.")
    locality: str | None
    status: str = strawberry.field(description="pending, accepted or rejected.")


def _queued_view(it: dict[str, Any]) -> QueuedFactView:
    return QueuedFactView(
        id=strawberry.ID(it["id"]),
        fact=it["name"],
        kind=it.get("entity_kind") or "relationship",
        confidence=float(it.get("confidence") or 0.0),
        how=str(it.get("how") or ""),
        sentence=it.get("sentence") or "",
        source=it["source_ref"],
        locality=it.get("locality"),
        status=it["status"],
    )


@strawberry.type(description="An erasure: counts only, never what was erased.")
class Erasure:
    id: strawberry.ID
    entities: int
    relationships: int


@strawberry.input(description="An entity to create or add facts to (the interchange format's fields).")
class EntityInput:
    id: strawberry.ID
    kind: EntityKind
    name: str
    aliases: list[str] | None = None
    dob: str | None = None
    locality: str | None = None
    lat: float | None = None
    lon: float | None = None
    properties: JSON | None = None
    source_ref: str | None = None
    date: str | None = None
    grading: str | None = None


@strawberry.input(description="A relationship as one source asserted it.")
class LinkInput:
    type: RelationshipType
    source: strawberry.ID
    target: strawberry.ID
    date: str | None = None
    source_ref: str | None = None
    grading: str | None = None


# --- a note reviewed before it is recorded --------------------------------------------------


@strawberry.type(name="NoteRecord", description="A record of yours a note's entity would be filed under.")
class NoteRecord:
    id: strawberry.ID
    kind: EntityKind
    name: str
    locality: str | None


@strawberry.type(name="ProposedEntity", description="An entity a note would record, as read from its text.")
class ProposedEntity:
    id: strawberry.ID = strawberry.field(description="Its id in this preview (e1, e2...), for edits.")
    kind: EntityKind
    name: str
    aliases: list[str]
    dob: str | None
    mentions: list[list[int]] = strawberry.field(
        description="Where the note's text names it: [start, end) offsets in characters (Unicode code points)."
    )
    confidence: float | None = strawberry.field(description="How sure the extraction is, 0 to 1 (null: not given).")
    outcome: str = strawberry.field(
        description="match: filed under the existing record; review: a new record, with possible matches "
        "left for review; new: a new record."
    )
    existing: NoteRecord | None = strawberry.field(description="The record of yours it would be filed under.")
    candidates: list[NoteRecord] = strawberry.field(description="Records of yours it may be (outcome review).")


@strawberry.type(name="ProposedLink", description="A relationship a note would record, as read from its text.")
class ProposedLink:
    id: strawberry.ID = strawberry.field(description="Its id in this preview (r1, r2...), for edits.")
    type: RelationshipType
    source: strawberry.ID = strawberry.field(description="A proposed entity's id.")
    target: strawberry.ID = strawberry.field(description="A proposed entity's id, or a service's (svc-YJS).")
    date: str | None
    grading: str | None
    evidence: list[int] | None = strawberry.field(
        description="The sentence or table row it was read from: [start, end) of the note's text."
    )
    confidence: float | None = strawberry.field(description="How sure the extraction is, 0 to 1 (null: not given).")


@strawberry.type(name="NotePreview", description="Everything a note would record for you, before anything is written.")
class NotePreview:
    name: str
    text: str = strawberry.field(description="The note's text, as the offsets count it.")
    digest: str = strawberry.field(description="What is shown, in short: noteCommit checks it is still so.")
    source_ref: str | None = strawberry.field(description="The source record the note would be recorded under.")
    recorded: str | None = strawberry.field(description="The source ref of this same note, if already recorded.")
    kind: str = strawberry.field(description="The meeting kind (MACE, LOG, INTEL...).")
    date: str | None
    locality: str | None
    entities: list[ProposedEntity]
    links: list[ProposedLink]
    queued: JSON | None = strawberry.field(description="Facts the extraction held back for review, as it gives them.")


@strawberry.input(description="One end of a link added on review: give exactly one.")
class NoteEndInput:
    proposed: strawberry.ID | None = strawberry.field(default=None, description="An entity of the preview (e2).")
    existing: strawberry.ID | None = strawberry.field(default=None, description="A record of yours, by id.")
    service: ServiceCode | None = strawberry.field(default=None, description="A service (the target of OPEN_TO).")


@strawberry.input(description="An entity of the preview recorded as another kind.")
class RetypeInput:
    entity: strawberry.ID
    kind: EntityKind


@strawberry.input(description="An entity of the preview filed under a record of yours (into), or as a new record.")
class MergeInput:
    entity: strawberry.ID
    into: strawberry.ID | None = None


@strawberry.input(description="A link the preview missed, with the text selected as its evidence.")
class AddLinkInput:
    type: RelationshipType
    source: NoteEndInput
    target: NoteEndInput
    evidence: list[int] = strawberry.field(description="[start, end) of the note's text selected.")
    date: str | None = strawberry.field(default=None, description="Default: the first date of the evidence.")
    grading: str | None = strawberry.field(default=None, description="Default: a grading the evidence gives.")


@strawberry.input(description="What you changed in a note's preview; entities and links by their preview ids.")
class NoteEdits:
    remove: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Entities not to record (their links go too)."
    )
    retype: list[RetypeInput] | None = None
    merge: list[MergeInput] | None = None
    remove_links: list[strawberry.ID] | None = None
    add_links: list[AddLinkInput] | None = None


@strawberry.type(description="An entity a reviewed note recorded.")
class WrittenEntity:
    id: strawberry.ID = strawberry.field(description="Its id in the preview.")
    stored: strawberry.ID = strawberry.field(description="The id of the record written.")
    kind: EntityKind
    name: str
    merged: bool = strawberry.field(description="Whether it was filed under an existing record.")


@strawberry.type(description="A relationship a reviewed note recorded.")
class WrittenLink:
    id: strawberry.ID = strawberry.field(description="Its id in the preview (a1, a2... for links added).")
    type: RelationshipType
    source: strawberry.ID
    target: strawberry.ID


@strawberry.type(description="What recording a reviewed note did.")
class NoteCommit:
    result: IngestResult
    entities: list[WrittenEntity]
    links: list[WrittenLink]


def _edits(edits: NoteEdits | None) -> review.Edits:
    if edits is None:
        return review.Edits()

    def end(e: NoteEndInput) -> review.End:
        return review.End(
            str(e.proposed) if e.proposed else None,
            str(e.existing) if e.existing else None,
            e.service.value if e.service else None,
        )

    added = []
    for i, a in enumerate(edits.add_links or []):
        if len(a.evidence) != 2:
            raise review.ReviewError([f"edits.addLinks[{i}].evidence: give [start, end]"])
        added.append(
            review.AddedLink(
                a.type.value, end(a.source), end(a.target), (a.evidence[0], a.evidence[1]), a.date, a.grading
            )
        )
    return review.Edits(
        remove=[str(x) for x in edits.remove or []],
        retype=[(str(r.entity), r.kind.value) for r in edits.retype or []],
        merge=[(str(m.entity), str(m.into) if m.into else None) for m in edits.merge or []],
        remove_links=[str(x) for x in edits.remove_links or []],
        add_links=added,
    )


def _record_view(r: dict[str, Any]) -> NoteRecord:
    return NoteRecord(id=strawberry.ID(r["id"]), kind=_ENTITY_KIND(r["kind"]), name=r["name"], locality=r["locality"])


def _preview_view(p: dict[str, Any]) -> NotePreview:
    return NotePreview(
        name=p["name"],
        text=p["text"],
        digest=p["digest"],
        source_ref=p["source_ref"],
        recorded=p["recorded"],
        kind=p["meeting"]["kind"],
        date=p["meeting"]["date"],
        locality=p["meeting"]["locality"],
        entities=[
            ProposedEntity(
                id=strawberry.ID(e["id"]),
                kind=_ENTITY_KIND(e["kind"]),
                name=e["name"],
                aliases=e["aliases"],
                dob=e["dob"],
                mentions=e["mentions"],
                confidence=e["confidence"],
                outcome=e["outcome"],
                existing=_record_view(e["existing"]) if e["existing"] else None,
                candidates=[_record_view(c) for c in e["candidates"]],
            )
            for e in p["entities"]
        ],
        links=[
            ProposedLink(
                id=strawberry.ID(r["id"]),
                type=_REL_TYPE(r["type"]),
                source=strawberry.ID(r["source"]),
                target=strawberry.ID(r["target"]),
                date=r["date"],
                grading=r["grading"],
                evidence=r["evidence"],
                confidence=r["confidence"],
            )
            for r in p["links"]
        ],
        queued=p["queued"],
    )


def _refused(ctx: Context, status: int, message: str) -> RequestError:
    """A refusal answered with an HTTP status of its own (the errors are in the body as usual)."""
    response = getattr(ctx, "response", None)
    if response is not None:
        response.status_code = status
    return RequestError(message)


def _note_checks(ctx: Context, text: str) -> None:
    """What a note sent for review must pass before it is read: the writer may write and the access
    log can be written, and it is no larger than a note sent to ``POST /notes`` may be."""
    try:
        ctx.ready_to_write(notes=True)
    except RequestError as exc:
        raise _refused(ctx, 403, str(exc)) from None
    size = len(text.encode())
    if size > ctx.limits.note:
        raise _refused(ctx, 413, f"the note is {size:,} bytes, more than {ctx.limits.setting('note')}")


# --- queries -----------------------------------------------------------------------------


@strawberry.type
class Query:
    @strawberry.field(description="Who is signed in.")
    def me(self, info: Info[Context, None]) -> User:
        w = info.context.who
        return User(
            user=w.user,
            role=w.role,
            localities=list(w.localities),
            clearance=w.clearance,
            may_write=policy.role(w.role).may_write,
            may_record_notes=policy.role(w.role).may_record_notes,
        )

    @strawberry.field(
        description="The localities you may choose from: yours, or for a user of every locality the configured "
        "ones (those the graph holds when none are configured)."
    )
    def localities(self, info: Info[Context, None]) -> list[str]:
        ctx = info.context
        if not ctx.who.everywhere:
            return list(ctx.who.localities)
        configured = ctx.store.localities().names
        return configured or sorted(k for k in ctx.store.stats().localities if k != "(none)")

    @strawberry.field(description="An entity by id, if it is within your localities.")
    def entity(self, info: Info[Context, None], id: strawberry.ID) -> EntityView | None:
        ctx = info.context
        e = ctx.store.visible(str(id), ctx.scope())
        if e is None:
            return None
        ctx.consulted([e.id], "entity")
        return _view(e, ctx.who)

    @strawberry.field(description="The entities and relationships within depth steps (1-3) of centre that you may see.")
    def network(
        self,
        info: Info[Context, None],
        centre: strawberry.ID,
        depth: int = 2,
        types: list[RelationshipType] | None = None,
        since: str | None = None,
    ) -> Network | None:
        ctx = info.context
        if not 1 <= depth <= 3:
            raise RequestError("depth must be 1, 2 or 3")
        flt = ctx.scope([t.value for t in types] if types else None, since)
        if ctx.store.visible(str(centre), flt) is None:
            return None
        sub = ctx.store.neighbourhood(str(centre), depth, flt)
        ctx.consulted([n.id for n in sub.nodes if KINDS[n.kind].person], "network")
        return Network(_ctx=ctx, _flt=flt, _sub=sub)

    @strawberry.field(description="Entities by name or alias within your localities, best first.")
    def search(
        self,
        info: Info[Context, None],
        text: str,
        kinds: list[EntityKind] | None = None,
        first: int = 20,
    ) -> list[EntityView]:
        ctx = info.context
        flt = ctx.scope()
        wanted = [k.value for k in kinds] if kinds else list(KINDS)
        if not ctx.rules.child_lists:  # children are not found by name
            wanted = [k for k in wanted if k != "child"]
            if not wanted:
                return []
        found = ctx.store.search(
            text, kinds=wanted, localities=flt.localities, limit=_cap(first), handling=flt.handling
        )
        ctx.consulted([e.id for e, _ in found], "search")
        return [_view(e, ctx.who) for e, _ in found]

    @strawberry.field(
        name="localityMap",
        description="A locality's entities and relationships as you may see them, with its hotspots and GeoJSON.",
    )
    def locality_map(
        self,
        info: Info[Context, None],
        locality: str,
        since: str | None = None,
        until: str | None = None,
        types: list[RelationshipType] | None = None,
        first: int = 2000,
    ) -> LocalityMap:
        ctx = info.context
        flt = ctx.scope([t.value for t in types] if types else None, since, locality, until)
        p, order = ctx.analyses.derived(ctx.store, ("map", flt, ctx.who.role), lambda: _map_order(ctx, flt))
        cap = _cap(first, MAX_MAP)
        kept = order[:cap].tolist()
        analysis = ctx.analyses.get(ctx.store, flt, None)
        scores = {} if not ctx.rules.child_lists else {c["id"]: c["score"] for c in analysis["unopened_at_risk"]}
        persons = [p.ids[i] for i in kept if KINDS[p.kind_of(i)].person]
        ctx.consulted(persons, "localityMap")
        return LocalityMap(
            locality=locality,
            hotspots=[_hotspot(h) for h in analysis["hotspots"][:MAX_PAGE]],
            truncated=len(order) > cap,
            _ctx=ctx,
            _flt=flt,
            _p=p,
            _kept=kept,
            _scores=scores,
        )

    @strawberry.field(
        name="unopenedAtRisk",
        description="Children linked to risk and open to no service, ranked, each with the evidence.",
    )
    def unopened_at_risk(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[AtRiskChild]:
        ctx = info.context
        ctx.allow(ctx.rules.child_lists, "lists of children")
        result = ctx.analyses.get(ctx.store, ctx.scope(locality=locality), None)
        page: Page[AtRiskChild] = _page(result["unopened_at_risk"], first, after, _child)
        ctx.consulted([str(c.id) for c in page.items], "unopenedAtRisk")
        return page

    @strawberry.field(name="peerGroups", description="Communities of children, with what they share.")
    def peer_groups(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[PeerGroup]:
        ctx = info.context
        ctx.allow(ctx.rules.child_lists, "peer groups of children")
        result = ctx.analyses.get(ctx.store, ctx.scope(locality=locality), None)
        page: Page[PeerGroup] = _page(result["peer_groups"], first, after, _group)
        ctx.consulted([str(m) for g in page.items for m in g.members], "peerGroups")
        return page

    @strawberry.field(description="Places ranked by the children at risk linked to them.")
    def hotspots(
        self,
        info: Info[Context, None],
        locality: str | None = None,
        since: str | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Page[Hotspot]:
        ctx = info.context
        result = ctx.analyses.get(ctx.store, ctx.scope(since=since, locality=locality), None)
        page: Page[Hotspot] = _page(result["hotspots"], first, after, _hotspot)
        ctx.consulted([], "hotspots")
        return page

    @strawberry.field(name="personsOfConcern", description="Persons of concern ranked by reach, with evidence.")
    def persons_of_concern(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[PersonOfConcern]:
        ctx = info.context
        result = ctx.analyses.get(ctx.store, ctx.scope(locality=locality), None)
        page: Page[PersonOfConcern] = _page(result["persons_of_concern"], first, after, _person)
        ctx.consulted([str(x.id) for x in page.items], "personsOfConcern")
        return page

    @strawberry.field(name="changesSince", description="Links, children, hotspots and persons new since a date.")
    def changes_since(self, info: Info[Context, None], date: str, locality: str | None = None) -> Changes:
        ctx = info.context
        result = ctx.analyses.get(ctx.store, ctx.scope(locality=locality), _day(date))
        ch = _changes(result["changes"], ctx.who)
        ctx.consulted([str(c.id) for c in ch.children + ch.children_raised], "changesSince")
        return ch

    @strawberry.field(description="The notes and records facts came from, newest first, within your localities.")
    def sources(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[SourceView]:
        ctx = info.context
        flt = ctx.scope(locality=locality)
        recs = [r for r in ctx.store.records("sources") if source_visible(r, flt)]
        recs.sort(key=lambda r: (r.get("date") or "", r["id"]), reverse=True)
        files = ctx.rules.sees_source_files
        page: Page[SourceView] = _page(
            recs,
            first,
            after,
            lambda r: SourceView(
                id=strawberry.ID(r["id"]),
                kind=r.get("meeting_kind") or r.get("kind") or "OTHER",
                date=r.get("date"),
                locality=r.get("locality"),
                file=r.get("file") if files else None,
            ),
        )
        ctx.logged("consultation", [], {"graphql": "sources", "sources": [str(s.id) for s in page.items]})
        return page

    @strawberry.field(
        name="notePreview",
        description="Everything a note would record for you, read and resolved against the records you may read, "
        "without writing anything (writers only). Record it with noteCommit.",
    )
    def note_preview(self, info: Info[Context, None], text: str, name: str = "note.md") -> NotePreview:
        ctx = info.context
        _note_checks(ctx, text)
        try:
            p = review.preview(ctx.store, text, name, ctx.who.user, ctx.scope(), check=ctx.note_locality)
        except NoteError as exc:
            raise _refused(ctx, 422, str(exc)) from None
        except RequestError as exc:
            raise _refused(ctx, 403, f"{name}: {exc}") from None
        shown = [r["id"] for e in p["entities"] for r in [e["existing"], *e["candidates"]] if r]
        ctx.consulted(sorted(set(shown)), "notePreview")
        return _preview_view(p)

    @strawberry.field(
        name="queuedFacts",
        description="Facts below the confidence threshold waiting for review, of the notes of your localities "
        "(roles that record notes only), oldest first.",
    )
    def queued_facts(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[QueuedFactView]:
        ctx = info.context
        page: Page[QueuedFactView] = _page(_queued(ctx, locality), first, after, _queued_view)
        ctx.logged("consultation", [], {"graphql": "queuedFacts", "reviews": [str(q.id) for q in page.items]})
        return page

    @strawberry.field(
        name="unlocatedPlaces",
        description="Places and schools without coordinates within your localities, by locality and name: "
        "the gazetteer did not locate them and no one has pinned them yet.",
    )
    def unlocated_places(
        self, info: Info[Context, None], locality: str | None = None, first: int = 20, after: str | None = None
    ) -> Page[EntityView]:
        ctx = info.context
        flt = ctx.scope(locality=locality)
        page: Page[EntityView] = _page(unlocated(ctx.store, flt), first, after, lambda e: _view(e, ctx.who))
        ctx.logged("consultation", [], {"graphql": "unlocatedPlaces", "places": [str(v.id) for v in page.items]})
        return page


# --- mutations ---------------------------------------------------------------------------


def _queued(ctx: Context, locality: str | None = None, pending_only: bool = True) -> list[dict[str, Any]]:
    """The queued facts of the notes this user may read (their role must be one that records notes)."""
    ctx.allow(ctx.rules.may_record_notes, "reviewing queued facts")
    return [it for it in reviews(ctx.store, pending_only, scope=ctx.scope(locality=locality)) if it["type"] == "fact"]


def _user_error(exc: Exception) -> RequestError:
    return RequestError(str(exc))


@strawberry.type
class Mutation:
    @strawberry.mutation(name="ingestNote", description="Ingest one meeting note's text into the graph.")
    def ingest_note(self, info: Info[Context, None], text: str, name: str = "note.md") -> IngestResult:
        ctx = info.context
        ctx.ready_to_write(notes=True)
        try:
            with ctx.acting({"graphql": "ingestNote", "name": name}):
                res = ingest_text(ctx.store, text, name, ctx.who.user, check=ctx.note_locality, scope=ctx.scope())
        except (NoteError, StoreError) as exc:
            raise _user_error(exc) from exc
        return IngestResult(**{k: v for k, v in res.to_json().items() if k != "error"})

    @strawberry.mutation(
        name="noteCommit",
        description="Record a note as previewed (digest) with your edits, in one transaction under the note's "
        "source record. Refused whole, naming the edit's field, if any edit cannot be applied, or if what the note "
        "would record has changed since the preview (preview it again).",
    )
    def note_commit(
        self,
        info: Info[Context, None],
        text: str,
        digest: str,
        name: str = "note.md",
        edits: NoteEdits | None = None,
    ) -> NoteCommit:
        ctx = info.context
        _note_checks(ctx, text)
        try:
            changes = _edits(edits)
            with ctx.acting({"graphql": "noteCommit", "name": name}):
                out = review.commit(
                    ctx.store, text, name, ctx.who.user, ctx.scope(), digest, changes, check=ctx.note_locality
                )
        except review.ReviewError as exc:
            raise _refused(ctx, exc.status, str(exc)) from None
        except (NoteError, StoreError) as exc:
            raise _refused(ctx, 422, str(exc)) from None
        except RequestError as exc:
            status = 503 if "access log" in str(exc) else 403
            raise _refused(ctx, status, f"{name}: {exc}") from None
        res = out["result"]
        return NoteCommit(
            result=IngestResult(**{k: v for k, v in res.items() if k != "error"}),
            entities=[
                WrittenEntity(
                    id=strawberry.ID(e["id"]),
                    stored=strawberry.ID(e["stored"]),
                    kind=_ENTITY_KIND(e["kind"]),
                    name=e["name"],
                    merged=e["merged"],
                )
                for e in out["entities"]
            ],
            links=[
                WrittenLink(
                    id=strawberry.ID(r["id"]),
                    type=_REL_TYPE(r["type"]),
                    source=strawberry.ID(r["source"]),
                    target=strawberry.ID(r["target"]),
                )
                for r in out["links"]
            ],
        )

    @strawberry.mutation(
        name="decideFact",
        description="Accept a queued fact (it is written exactly as proposed, with its note as the source) or "
        "reject it (nothing is written), saying why.",
    )
    def decide_fact(self, info: Info[Context, None], id: strawberry.ID, accept: bool, reason: str) -> QueuedFactView:
        ctx = info.context
        ctx.ready_to_write(notes=True)
        rid = str(id)
        # a fact of a note this user may not read is answered as one that does not exist
        if rid not in {it["id"] for it in _queued(ctx, pending_only=False)}:
            raise RequestError(f"no queued fact {rid!r} in your localities")
        if not reason.strip():
            raise RequestError("a decision on a queued fact needs its reason")
        decision = "accept" if accept else "reject"
        try:
            with ctx.acting({"graphql": "decideFact", "review": rid, "decision": decision, "reason": reason}):
                decide_review(ctx.store, rid, decision, user=ctx.who.user, reason=reason, scope=ctx.scope())
        except (ReviewError, StoreError) as exc:
            raise _user_error(exc) from exc
        (item,) = [it for it in _queued(ctx, pending_only=False) if it["id"] == rid]
        return _queued_view(item)

    @strawberry.mutation(name="upsertEntity", description="Create an entity or add facts to one of yours.")
    def upsert_entity(self, info: Info[Context, None], entity: EntityInput) -> EntityView:
        ctx = info.context
        ctx.ready_to_write()
        raw = {
            "id": str(entity.id),
            "kind": entity.kind.value,
            "name": entity.name,
            "aliases": entity.aliases or [],
            "dob": entity.dob,
            "locality": entity.locality,
            "lat": entity.lat,
            "lon": entity.lon,
            "properties": entity.properties or {},
            "source_ref": entity.source_ref,
            "date": entity.date,
            "grading": entity.grading,
        }
        try:
            e = entity_from_json({k: v for k, v in raw.items() if v is not None})
        except ValueError as exc:
            raise _user_error(exc) from exc
        flt = ctx.scope()
        if e.kind == "service" and not sees_everything(flt):
            raise RequestError("services are shared by every locality; only an admin may change them")
        if not flt.node_ok(e.kind, e.locality):
            raise RequestError(f"field 'locality': {e.locality or 'none'} is not one of your localities")
        # an id the writer may not read is never theirs to change: their new record takes an id
        # of its locality's namespace, the same whether that id exists elsewhere or not
        try:
            e.id = stored_id(ctx.store, flt, e)
        except InputError as exc:
            raise _user_error(exc) from exc
        try:
            with ctx.acting({"graphql": "upsertEntity"}):
                ctx.store.upsert([e], [])
        except StoreError as exc:
            raise _user_error(exc) from exc
        got = ctx.store.get(e.id)
        assert got is not None
        return _view(got, ctx.who)

    @strawberry.mutation(description="Record a relationship between two entities of yours, as one source asserted it.")
    def link(self, info: Info[Context, None], link: LinkInput) -> RelationshipView:
        ctx = info.context
        ctx.ready_to_write()
        raw = {
            "type": link.type.value,
            "source": str(link.source),
            "target": str(link.target),
            "date": link.date,
            "source_ref": link.source_ref,
            "grading": link.grading,
        }
        return _write_link(ctx, raw, "link")

    @strawberry.mutation(name="recordService", description="Record that a child is open to a service.")
    def record_service(
        self,
        info: Info[Context, None],
        child: strawberry.ID,
        service: ServiceCode,
        date: str | None = None,
        source_ref: str | None = None,
    ) -> RelationshipView:
        ctx = info.context
        ctx.ready_to_write()
        code = service.value
        ctx.linkable(str(child))
        with ctx.acting({"graphql": "recordService"}):
            ctx.store.upsert([Entity(service_id(code), "service", code)], [])
        raw = {
            "type": "OPEN_TO",
            "source": str(child),
            "target": service_id(code),
            "date": date,
            "source_ref": source_ref,
        }
        return _write_link(ctx, raw, "recordService")

    @strawberry.mutation(
        name="placePin",
        description="Pin a place or school of yours where it is (lat, lon in WGS84 degrees), saying why: for a "
        "place the gazetteer does not locate, or locates wrongly.",
    )
    def place_pin(
        self, info: Info[Context, None], id: strawberry.ID, lat: float, lon: float, reason: str
    ) -> EntityView:
        ctx = info.context
        ctx.ready_to_write()
        e = ctx.changeable(str(id))
        if e.kind not in PLACE_KINDS:
            raise RequestError(f"{id} is a {e.kind}, not a place or school: only places are pinned")
        try:
            pin = pinned(e, lat, lon, reason, ctx.who.user)
            with ctx.acting({"graphql": "placePin", "reason": reason.strip()}):
                ctx.store.upsert([pin], [])
        except (GazetteerError, StoreError) as exc:
            raise _user_error(exc) from exc
        got = ctx.store.get(e.id)
        assert got is not None
        return _view(got, ctx.who)

    @strawberry.mutation(description="Judge two entities of yours to be one (a split undoes it).")
    def merge(self, info: Info[Context, None], a: strawberry.ID, b: strawberry.ID, reason: str) -> EntityView:
        ctx = info.context
        ctx.ready_to_write()
        for x in (a, b):
            ctx.changeable(str(x))
        if not reason.strip():
            raise RequestError("a merge needs its reason")
        try:
            with ctx.acting({"graphql": "merge", "reason": reason}):
                into = ctx.store.merge(str(a), str(b), user=ctx.who.user, reason=reason)
        except StoreError as exc:
            raise _user_error(exc) from exc
        got = ctx.store.get(into)
        assert got is not None
        return _view(got, ctx.who)

    @strawberry.mutation(description="Undo a merge: both entities come back with their own facts.")
    def split(self, info: Info[Context, None], a: strawberry.ID, b: strawberry.ID, reason: str) -> list[EntityView]:
        ctx = info.context
        ctx.ready_to_write()
        for x in (a, b):
            ctx.changeable(str(x))
        if not reason.strip():
            raise RequestError("a split needs its reason")
        try:
            with ctx.acting({"graphql": "split", "reason": reason}):
                ctx.store.split(str(a), str(b), user=ctx.who.user, reason=reason)
        except StoreError as exc:
            raise _user_error(exc) from exc
        return [_view(e, ctx.who) for e in ctx.store.get_many([str(a), str(b)]).values()]

    @strawberry.mutation(name="eraseSubject", description="Erase a person and their facts (admin only).")
    def erase_subject(self, info: Info[Context, None], id: strawberry.ID, reason: str) -> Erasure:
        ctx = info.context
        ctx.allow(ctx.rules.may_erase, "erasure")
        ctx.ready_to_write()
        if not reason.strip():
            raise RequestError("erasure needs its reason")
        try:  # the record names the erasure, never the person erased
            with ctx.acting({"graphql": "eraseSubject", "reason": reason}):
                rec = ctx.store.erase(str(id), user=ctx.who.user, reason=reason)
        except StoreError as exc:
            raise _user_error(exc) from exc
        return Erasure(id=strawberry.ID(rec["id"]), entities=rec["entities"], relationships=rec["relationships"])


def _write_link(ctx: Context, raw: dict[str, Any], what: str) -> RelationshipView:
    try:
        r = relationship_from_json({k: v for k, v in raw.items() if v is not None})
    except ValueError as exc:
        raise _user_error(exc) from exc
    flt = ctx.scope()
    ends = [ctx.linkable(x) for x in (r.source, r.target)]
    if not REL_TYPES[r.type].allows(ends[0].kind, ends[1].kind):
        raise RequestError(f"field 'type': {r.type} cannot link a {ends[0].kind} to a {ends[1].kind}")
    try:
        with ctx.acting({"graphql": what, "type": r.type}):
            ctx.store.upsert([], [r])
    except StoreError as exc:
        raise _user_error(exc) from exc
    sub = ctx.store.neighbourhood(ends[0].id, 1, Filter.of(types=[r.type], handling=flt.handling))
    for got in sub.edges:
        if {got.source, got.target} == {ends[0].id, ends[1].id}:
            return _rel_view(got)
    raise RequestError("the relationship was written but is graded beyond what you may see")


# --- the schema --------------------------------------------------------------------------


UNBOUNDED = 100
"""What a list without ``first`` (a network's nodes) counts as in a query's cost."""


def query_rules(limits: Limits) -> QueryRules:
    """How a query's cost is estimated (see :class:`contextgraph.limits.QueryRules`) and which
    texts are bounded: a search's text and a note's name."""
    return QueryRules(
        limits=limits,
        default_cap=MAX_PAGE,
        caps={"localityMap": MAX_MAP},
        unbounded=UNBOUNDED,
        texts={
            ("Query", "search", "text"): "search",
            ("Mutation", "ingestNote", "name"): "name",
            ("Query", "notePreview", "name"): "name",
            ("Mutation", "noteCommit", "name"): "name",
        },
    )


class ThreadedSchema(strawberry.Schema):
    """A schema whose asynchronous execution runs the synchronous one in a worker thread: every
    resolver reads the store synchronously, so that one query computing never holds up the
    service's event loop, and other requests (``/healthz`` among them) are answered meanwhile."""

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        return await run_in_threadpool(
            self.execute_sync,
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )


def schema(production: bool = True, limits: Limits | None = None) -> strawberry.Schema:
    """The schema; ``production`` turns introspection and suggestions in errors off; ``limits``
    bound what one query may ask (default: each limit's default)."""
    limits = limits or Limits()
    rules = query_rules(limits)
    extensions: list[Any] = [
        lambda: MaskErrors(should_mask_error=_mask),
        lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
        lambda: MaxTokensLimiter(max_token_count=2000),
        lambda: MaxAliasesLimiter(max_alias_count=15),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: QueryGuard(rules, production),
    ]
    if production:
        extensions.append(DisableIntrospection)
    execution = FastLists if fast_lists() else Budgeted
    return ThreadedSchema(query=Query, mutation=Mutation, extensions=extensions, execution_context_class=execution)


def sdl() -> str:
    """The schema in SDL, as committed in ``api/schema.graphql`` (``python -m contextgraph.service.api``)."""
    return schema(production=False).as_str() + "\n"
