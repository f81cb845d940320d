"""The analysis's results as GraphQL types, and a page of any list."""

from __future__ import annotations

import base64
from typing import Any, Generic, TypeVar

import strawberry

from ... import policy
from ...auth import Principal
from ..context import RequestError, cap
from .entities import REL_TYPE, RelationshipType


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
        type=REL_TYPE(f["type"]),
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


def paged(items: list[Any], first: int, after: str | None, make: Any) -> Any:
    start, n = _offset(after), cap(first)
    chunk = items[start : start + n]
    end = start + len(chunk)
    cursor = base64.urlsafe_b64encode(f"offset:{end}".encode()).decode() if end < len(items) else None
    return Page(items=[make(x) for x in chunk], total=len(items), next=cursor)


def child_view(c: dict[str, Any]) -> AtRiskChild:
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


def hotspot_view(h: dict[str, Any]) -> Hotspot:
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


def group_view(g: dict[str, Any]) -> PeerGroup:
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


def person_view(x: dict[str, Any]) -> PersonOfConcern:
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


def changes_view(ch: dict[str, Any], who: Principal) -> Changes:
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
