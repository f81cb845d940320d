"""The analysis's results as GraphQL types, and a page of any list."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry

from ....analysis import results
from ... import policy
from ...auth import Principal
from ..context import RequestError, cap
from .entities import REL_TYPE, RelationshipType

ShownId = Callable[[str], str]
"""An id as the reader is given it (:meth:`~contextgraph.service.graphql.context.Context.shown_id`)."""


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


def _fact(f: results.Fact, shown: ShownId) -> FactView:
    c = f.cited
    return FactView(
        type=REL_TYPE(f.type),
        source=strawberry.ID(shown(f.source)),
        target=strawberry.ID(shown(f.target)),
        sources=list(c.sources) if c else [],
        first_seen=c.first_seen if c else None,
        last_seen=c.last_seen if c else None,
        grading=c.grading if c else None,
        count=c.count if c else 0,
    )


@strawberry.type(description="One piece of evidence behind a score, in words and as facts.")
class Reason:
    kind: str
    weight: float
    other: strawberry.ID | None
    date: str | None
    text: str
    facts: list[FactView]
    records: list[strawberry.ID] = strawberry.field(
        description="For evidence read from tracking records (missing episodes, a step up): their ids, newest first."
    )


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
    further: float = strawberry.field(
        description="The part of the score from evidence beyond the reasons listed: the reasons' weights and this add "
        "up to the score."
    )
    further_pieces: int = strawberry.field(description="How many pieces of evidence that further part holds.")


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


@strawberry.type(description="A tracking record dated since the changes' date, in words.")
class TrackedChange:
    id: strawberry.ID
    record: str
    subject: strawberry.ID
    name: str = strawberry.field(description="The name of the entity it is about, as you may see it.")
    date: str | None
    what: str = strawberry.field(description="The kind of record, or step_up / step_down.")
    text: str


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
    tracking: list[TrackedChange] = strawberry.field(
        description="Tracking records dated since: missing episodes, steps up and down, disruptions, referrals..."
    )


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


def page_of(items: Sequence[T], first: int, after: str | None) -> Sequence[T]:
    """The items a page of ``first`` after the cursor ``after`` holds, as :func:`paged` shows them."""
    start = _offset(after)
    return items[start : start + cap(first)]


def paged(items: Sequence[Any], first: int, after: str | None, make: Any) -> Any:
    start = _offset(after)
    chunk = page_of(items, first, after)
    end = start + len(chunk)
    cursor = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return Page(items=[make(x) for x in chunk], total=len(items), next=cursor)


def child_view(c: results.AtRiskChild, shown: ShownId) -> AtRiskChild:
    """A ranked child of an explained analysis, as shown."""
    return AtRiskChild(
        id=strawberry.ID(shown(c.id)),
        name=c.name if c.name is not None else shown(c.id),
        locality=c.locality,
        score=c.score,
        rank=c.rank,
        flagged=c.flagged,
        summary=c.summary or "",
        further=c.further,
        further_pieces=c.further_pieces,
        reasons=[
            Reason(
                kind=r.kind,
                weight=r.weight,
                other=strawberry.ID(shown(r.other)) if r.other else None,
                date=r.date,
                text=r.text or "",
                facts=[_fact(f, shown) for f in r.facts],
                records=[strawberry.ID(shown(x)) for x in r.records],
            )
            for r in c.reasons
        ],
    )


def hotspot_view(h: results.Hotspot, shown: ShownId) -> Hotspot:
    """A hotspot of an explained analysis, as shown."""
    return Hotspot(
        id=strawberry.ID(shown(h.id)),
        name=h.name if h.name is not None else shown(h.id),
        locality=h.locality,
        lat=h.lat,
        lon=h.lon,
        score=h.score,
        rank=h.rank,
        children=h.children,
        children_at_risk=h.children_at_risk,
        children_open=h.children_open,
        persons_of_concern=h.persons_of_concern,
        found_at=h.found_at,
        last_seen=h.last_seen,
        text=h.text or "",
    )


def _shared(xs: tuple[results.Shared, ...], shown: ShownId) -> list[Shared]:
    return [
        Shared(id=strawberry.ID(shown(x.id)), name=x.name if x.name is not None else shown(x.id), members=x.members)
        for x in xs
    ]


def group_view(g: results.PeerGroup, shown: ShownId) -> PeerGroup:
    """A peer group of an explained analysis, as shown."""
    return PeerGroup(
        id=strawberry.ID(shown(g.id)),
        rank=g.rank,
        size=g.size,
        members=[strawberry.ID(shown(m)) for m in g.members],
        member_names=list(g.member_names or [shown(m) for m in g.members]),
        open=g.open,
        flagged=g.flagged,
        not_open=g.not_open,
        at_risk_not_open=g.at_risk_not_open,
        places=_shared(g.places, shown),
        persons_of_concern=_shared(g.persons_of_concern, shown),
        groups=_shared(g.groups, shown),
        text=g.text or "",
    )


def person_view(x: results.PersonOfConcern, shown: ShownId) -> PersonOfConcern:
    """A person of concern of an explained analysis, as shown."""
    return PersonOfConcern(
        id=strawberry.ID(shown(x.id)),
        name=x.name if x.name is not None else shown(x.id),
        aliases=list(x.aliases or ()),
        locality=x.locality,
        rank=x.rank,
        children_linked=x.children_linked,
        children_linked_directly=x.children_linked_directly,
        children_at_risk=x.children_at_risk,
        children_not_open=x.children_not_open,
        peer_groups_bridged=x.peer_groups_bridged,
        betweenness=x.betweenness,
        evidence=[_fact(f, shown) for f in x.evidence],
        text=x.text or "",
    )


def _change(x: results.ChildChange | results.Hotspot | results.PersonChange | results.Named, shown: ShownId) -> Change:
    """A change with its score (or children linked) now and before, where the change has them."""
    if isinstance(x, results.ChildChange):
        now, before = x.score, x.before
    elif isinstance(x, results.Hotspot):
        now, before = x.score, None
    elif isinstance(x, results.PersonChange):
        now, before = x.children_linked, x.before
    else:
        now, before = None, None
    name = x.name if x.name is not None else shown(x.id)
    return Change(id=strawberry.ID(shown(x.id)), name=name, now=now, before=before)


def changes_view(ch: results.Changes, who: Principal, shown: ShownId) -> Changes:
    """The changes of an explained analysis, as ``who`` may see them: without the children and
    the links between them for a role that sees no lists of children."""
    children = policy.role(who.role).child_lists

    def items(
        xs: Sequence[results.ChildChange | results.Hotspot | results.PersonChange | results.Named],
    ) -> list[Change]:
        return [_change(x, shown) for x in xs]

    return Changes(
        since=ch.since,
        links=[_fact(f, shown) for f in ch.links] if children else [],
        children=items(ch.children) if children else [],
        children_raised=items(ch.children_raised) if children else [],
        children_newly_open=items(ch.children_newly_open) if children else [],
        children_newly_known=items(ch.children_newly_known) if children else [],
        hotspots=items(ch.hotspots),
        persons_of_concern=items(ch.persons_of_concern),
        tracking=[
            TrackedChange(
                id=strawberry.ID(shown(x.id)),
                record=x.record,
                subject=strawberry.ID(shown(x.subject)),
                name=x.name or shown(x.subject),
                date=x.date,
                what=x.what,
                text=x.text or x.what,
            )
            for x in ch.tracking
            if x.subject_kind in policy.role(who.role).tracking_about
        ],
    )
