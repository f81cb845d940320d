"""The vocabulary: entity kinds, relationship types (with the kinds they may join and whether
they are symmetric), services and meeting kinds, as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class Kind:
    """An entity kind: a child, a person of concern, a place, a school, a group."""

    name: str
    label: str
    description: str
    person: bool = False
    placed: bool = False  # carries coordinates when known


@dataclass(frozen=True)
class RelType:
    """A relationship type with the kinds it may join."""

    name: str
    sources: frozenset[str]
    targets: frozenset[str]
    symmetric: bool
    description: str
    identifying: bool = False
    """Whether the link tells who a person is — their home, their school, their family — so that a
    view or an export by initials leaves it out of what it gives of a person shown so."""

    def allows(self, source_kind: str, target_kind: str) -> bool:
        """Whether this type may join ``source_kind`` to ``target_kind``.

        >>> REL_TYPES["ATTENDS"].allows("child", "school")
        True
        >>> REL_TYPES["ATTENDS"].allows("school", "child")
        False
        """
        if source_kind in self.sources and target_kind in self.targets:
            return True
        return self.symmetric and target_kind in self.sources and source_kind in self.targets


@dataclass(frozen=True)
class Service:
    code: str
    description: str


@dataclass(frozen=True)
class MeetingKind:
    code: str
    description: str


def _label(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


_PEOPLE = frozenset({"child", "person_of_concern"})

ENTITY_LABEL: Final = "Entity"
"""The Neo4j label every entity's node carries beside its kind's (the named queries match on it)."""

GAZETTEER_LABELS: Final = ("Postcode", "NamedPlace")
"""The Neo4j labels of the gazetteer's nodes (``cypher/gazetteer.cypher``): reference data, no part
of the graph."""

TRACKING_LABELS: Final = ("Tracking", "TrackingName")
"""The Neo4j labels of tracking records and of the entities each names (``cypher/tracking.cypher``),
kept apart from the graph's ``Entity`` nodes."""

KINDS: Final[dict[str, Kind]] = {
    k.name: k
    for k in (
        Kind(
            "child",
            _label("child"),
            "a child or young person (under 18, or 18-25 in a transitions service) who may be at risk",
            person=True,
        ),
        Kind(
            "person_of_concern",
            _label("person_of_concern"),
            "an adult, or an older peer, believed to pose a risk to children",
            person=True,
        ),
        Kind(
            "location",
            _label("location"),
            "a place: an address, park, shop, takeaway, station, hotel, car park, trap house, an area of a street",
            placed=True,
        ),
        Kind(
            "school",
            _label("school"),
            "a school, academy, pupil referral unit, alternative provision or college",
            placed=True,
        ),
        Kind("group", _label("group"), "a named peer group, gang, organised crime group or county line"),
        Kind("service", _label("service"), "a service a child can be open to; its name is the service code"),
    )
}
"""Entity kinds by name. ``service`` is the target of ``OPEN_TO``."""

REL_TYPES: Final[dict[str, RelType]] = {
    r.name: r
    for r in (
        RelType(
            "ASSOCIATES_WITH",
            _PEOPLE,
            _PEOPLE,
            True,
            "seen together, friends, associates, in the same car, arrested together",
        ),
        RelType(
            "EXPLOITS",
            frozenset({"person_of_concern"}),
            frozenset({"child"}),
            False,
            "grooming, exploiting, recruiting, supplying, controlling, running a child",
        ),
        RelType(
            "SEEN_AT",
            _PEOPLE,
            frozenset({"location"}),
            False,
            "seen at, hanging around, frequenting, stopped at",
        ),
        RelType(
            "LIVES_AT",
            _PEOPLE,
            frozenset({"location"}),
            False,
            "home address, placement, care home, hostel",
            identifying=True,
        ),
        RelType(
            "ATTENDS",
            frozenset({"child"}),
            frozenset({"school"}),
            False,
            "on roll at, attends, excluded from",
            identifying=True,
        ),
        RelType(
            "MEMBER_OF",
            _PEOPLE,
            frozenset({"group"}),
            False,
            "member of, runs, works for, on a line",
        ),
        RelType(
            "MISSING_WITH",
            frozenset({"child"}),
            frozenset({"child"}),
            True,
            "went missing together in the same episode",
        ),
        RelType(
            "FOUND_AT",
            frozenset({"child"}),
            frozenset({"location"}),
            False,
            "found or located at the end of a missing episode",
        ),
        RelType(
            "OPEN_TO",
            frozenset({"child"}),
            frozenset({"service"}),
            False,
            "the child is open to that service now",
        ),
        RelType(
            "FAMILY_OF",
            _PEOPLE,
            _PEOPLE,
            True,
            "sibling, cousin, parent, relative",
            identifying=True,
        ),
    )
}
"""Relationship types by name."""

IDENTIFYING: Final = frozenset(n for n, r in REL_TYPES.items() if r.identifying)
"""The types of link that tell who a person is (home, school, family).

>>> sorted(IDENTIFYING)
['ATTENDS', 'FAMILY_OF', 'LIVES_AT']
"""

SERVICES: Final[dict[str, Service]] = {
    s.code: s
    for s in (
        Service("CSC", "children's social care (child in need, child protection, looked after)"),
        Service("YJS", "youth justice service / youth offending team"),
        Service("EARLY_HELP", "early help / targeted family support"),
        Service("EXPLOITATION_TEAM", "a specialist exploitation / complex safeguarding team"),
        Service("CAMHS", "child and adolescent mental health services"),
    )
}
"""Service codes, the targets of ``OPEN_TO``."""

MEETING_KINDS: Final[dict[str, MeetingKind]] = {
    m.code: m
    for m in (
        MeetingKind("MACE", "multi-agency child exploitation meeting"),
        MeetingKind("LOG", "locality operational group"),
        MeetingKind("CONTEXT_CONFERENCE", "peer group, school or neighbourhood context conference"),
        MeetingKind("STRATEGY", "strategy meeting"),
        MeetingKind("INTEL", "intelligence summary"),
        MeetingKind("RETURN_INTERVIEW", "missing-episode return interview"),
        MeetingKind("OTHER", "any other record"),
    )
}

KIND_CODES: Final[tuple[str, ...]] = tuple(KINDS)
"""Kinds in a fixed order; a kind's code in compact projections is its position."""
TYPE_CODES: Final[tuple[str, ...]] = tuple(REL_TYPES)
"""Relationship types in a fixed order; a type's code in compact projections."""


def service_id(code: str) -> str:
    """The entity id of a service.

    >>> service_id("YJS")
    'svc-YJS'
    """
    return f"svc-{code}"
