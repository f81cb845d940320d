"""The contextgraph vocabulary, defined once.

Entity kinds, relationship types (with the kinds they may join and whether they
are symmetric), service codes, gradings and meeting kinds are data here. Neo4j
labels, relationship types, GraphQL enums and the tables in ``docs/`` are derived
from these definitions and never typed anywhere else.

The names are those of the shared vocabulary (``spec/vocabulary.md``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Final, NamedTuple

from .errors import BadInput


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
        ),
        RelType(
            "ATTENDS",
            frozenset({"child"}),
            frozenset({"school"}),
            False,
            "on roll at, attends, excluded from",
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
        ),
    )
}
"""Relationship types by name."""

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


# --- gradings -------------------------------------------------------------

SOURCE_EVALUATIONS: Final[dict[str, str]] = {
    "1": "reliable",
    "2": "untested",
    "3": "not reliable",
}
INTELLIGENCE_ASSESSMENTS: Final[dict[str, str]] = {
    "A": "known directly",
    "B": "known indirectly, corroborated",
    "C": "known indirectly",
    "D": "not known",
    "E": "suspected false",
}
HANDLING_CODES: Final[dict[str, str]] = {
    "P": "lawful sharing permitted",
    "C": "lawful sharing permitted with conditions",
}

_G3 = re.compile(r"^\s*([123])\s*[/\-. ]?\s*([A-Ea-e])\s*[/\-. ]?\s*([PCpc])\s*$")
_G5 = re.compile(r"^\s*([A-Ea-e])\s*[/\-. ]?\s*([1-5])\s*[/\-. ]?\s*([1-5])\s*$")


class GradingError(BadInput):
    pass


@dataclass(frozen=True)
class Grading:
    """An intelligence grading: 3x5x2, or a legacy 5x5x5 kept as given.

    >>> Grading.parse("1b/p")
    Grading(system='3x5x2', text='1B P', source='1', intelligence='B', handling='P')
    >>> Grading.parse("B24").system
    '5x5x5'
    >>> Grading.parse("1B P").rank < Grading.parse("2C P").rank
    True
    """

    system: str
    text: str
    source: str
    intelligence: str
    handling: str

    @classmethod
    def parse(cls, value: str) -> Grading:
        m = _G3.match(value)
        if m:
            s, i, h = m.group(1), m.group(2).upper(), m.group(3).upper()
            return cls("3x5x2", f"{s}{i} {h}", s, i, h)
        m = _G5.match(value)
        if m:
            # Legacy 5x5x5: source A-E, intelligence 1-5, handling 1-5. Kept as given.
            return cls("5x5x5", value.strip(), m.group(1).upper(), m.group(2), m.group(3))
        raise GradingError(f"not a grading: {value!r} (expected 3x5x2 such as '1B P', or a legacy 5x5x5 such as 'B24')")

    @property
    def rank(self) -> tuple[int, int]:
        """Lower is stronger: source reliability, then how directly it is known."""
        if self.system == "3x5x2":
            return (int(self.source), "ABCDE".index(self.intelligence))
        # Legacy: A/B reliable, C untested, D/E unreliable; 1-2 known, 3 indirectly, 4-5 not known.
        src = {"A": 1, "B": 1, "C": 2, "D": 3, "E": 3}[self.source]
        intel = {"1": 0, "2": 1, "3": 2, "4": 3, "5": 4}[self.intelligence]
        return (src, intel)

    @property
    def conditional(self) -> bool:
        """Whether sharing carries conditions (handling code C, or legacy handling 2-5)."""
        return self.handling != "P" if self.system == "3x5x2" else self.handling != "1"

    def describe(self) -> str:
        if self.system != "3x5x2":
            return f"legacy grading {self.text}"
        return (
            f"source {SOURCE_EVALUATIONS[self.source]}, "
            f"{INTELLIGENCE_ASSESSMENTS[self.intelligence]}, "
            f"{HANDLING_CODES[self.handling]}"
        )


_GRADINGS: dict[str, str] = {}


def normalise_grading(value: str | None) -> str | None:
    """The canonical text of a grading, or None.

    >>> normalise_grading(" 2c c ")
    '2C C'
    """
    if value is None or value == "":
        return None
    got = _GRADINGS.get(value)
    if got is None:
        got = Grading.parse(value).text
        if len(_GRADINGS) < 10_000:
            _GRADINGS[value] = got
    return got


def strongest_grading(values: list[str | None]) -> str | None:
    """The strongest of several gradings (see :attr:`Grading.rank`).

    >>> strongest_grading(["2C P", None, "1B C"])
    '1B C'
    """
    texts = {v for v in values if v}
    if len(texts) <= 1:
        return texts.pop() if texts else None
    return min((Grading.parse(v) for v in texts), key=lambda g: (g.rank, g.text)).text


GRADE_CODES: Final[tuple[str | None, ...]] = (
    None,
    *(f"{s}{i}" for s in SOURCE_EVALUATIONS for i in INTELLIGENCE_ASSESSMENTS),
)
"""A grading's strength in compact projections: 0 ungraded, else ``1 + 5 × (source - 1) + assessment``.

Only the rank is coded (``"1B"``); the handling code is not needed to weigh evidence.
"""


def grade_code(value: str | None) -> int:
    """The compact code of a grading's rank (0 when ungraded).

    >>> grade_code("1B P"), grade_code("B24"), grade_code(None)
    (2, 2, 0)
    >>> GRADE_CODES[grade_code("3E C")]
    '3E'
    """
    if not value:
        return 0
    got = _GRADE_CODE.get(value)
    if got is None:
        s, i = Grading.parse(value).rank
        got = 1 + 5 * (s - 1) + i
        if len(_GRADE_CODE) < 10_000:
            _GRADE_CODE[value] = got
    return got


_GRADE_CODE: dict[str, int] = {}

def flagged(properties: dict[str, Any]) -> bool:
    """Whether an entity's properties flag it as at risk of exploitation.

    >>> flagged({"exploitation_types": ["CCE"]}), flagged({"risk_level": "High"}), flagged({"risk_level": "low"})
    (True, True, False)
    """
    types = properties.get("exploitation_types")
    if types:
        return True
    level = properties.get("risk_level")
    return isinstance(level, str) and level.strip().lower() in ("medium", "high")


# --- facts ----------------------------------------------------------------


_DATES: dict[str, str] = {}


def parse_date(value: Any) -> str | None:
    """An ISO date string, checked, or None.

    >>> parse_date("2024-03-02")
    '2024-03-02'
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD)")
    got = _DATES.get(value)
    if got is not None:
        return got
    try:
        got = date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD)") from None
    if len(_DATES) < 100_000:
        _DATES[value] = got
    return got


class Assertion(NamedTuple):
    """One source's statement of a fact: which record, when, how graded.

    ``subject`` and ``object`` are the entity ids the source used, kept so that a
    merge can be undone: after a split each assertion goes back to the entity it
    was made about. Immutable and ordered by its fields; a named tuple, since a
    large store decodes millions of them.
    """

    source_ref: str | None
    date: str | None
    grading: str | None
    subject: str
    object: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source_ref": self.source_ref,
            "date": self.date,
            "grading": self.grading,
            "subject": self.subject,
            "object": self.object,
        }


@dataclass(slots=True)
class Entity:
    """A node of the graph with what every fact carries.

    ``sources`` are the source refs that asserted the entity; ``first_seen`` and
    ``last_seen`` the dates of those assertions; ``members`` the ids merged into it.
    """

    id: str
    kind: str
    name: str
    aliases: list[str] = field(default_factory=list)
    dob: str | None = None
    locality: str | None = None
    lat: float | None = None
    lon: float | None = None
    properties: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    first_seen: str | None = None
    last_seen: str | None = None
    grading: str | None = None
    members: list[str] = field(default_factory=list)
    handling: list[str] = field(default_factory=list)
    """The handling codes of the statements that named this entity (``P``, ``C``); empty when
    none was recorded. A reader cleared for P only does not see an entity named only under C."""

    @property
    def count(self) -> int:
        """How many source records asserted this entity."""
        return len(self.sources)

    def to_json(self) -> dict[str, Any]:
        """The interchange form (``entities.jsonl``)."""
        d: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "aliases": list(self.aliases),
            "dob": self.dob,
            "locality": self.locality,
            "lat": self.lat,
            "lon": self.lon,
            "properties": dict(self.properties),
        }
        if self.sources:
            d["sources"] = list(self.sources)
        if self.first_seen:
            d["first_seen"] = self.first_seen
        if self.last_seen:
            d["last_seen"] = self.last_seen
        if self.grading:
            d["grading"] = self.grading
        if self.handling:
            d["handling"] = list(self.handling)
        return d


def handling_code(grading: str | None) -> str:
    """The handling code a grading puts a statement under: ``C`` when sharing has conditions,
    else ``P`` (an ungraded statement counts as P).

    >>> handling_code("1B C"), handling_code("B24"), handling_code(None)
    ('C', 'C', 'P')
    """
    return "C" if grading and Grading.parse(grading).conditional else "P"


@dataclass(slots=True)
class Relationship:
    """An edge: one relationship per type and pair, however many sources assert it."""

    type: str
    source: str
    target: str
    assertions: list[Assertion] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.type, self.source, self.target)

    @property
    def sources(self) -> list[str]:
        """Source refs that asserted this relationship, in first-seen order."""
        seen: dict[str, None] = {}
        for a in self.assertions:
            if a.source_ref:
                seen.setdefault(a.source_ref, None)
        return list(seen)

    @property
    def dates(self) -> list[str]:
        return sorted({a.date for a in self.assertions if a.date})

    @property
    def first_seen(self) -> str | None:
        d = self.dates
        return d[0] if d else None

    @property
    def last_seen(self) -> str | None:
        d = self.dates
        return d[-1] if d else None

    @property
    def count(self) -> int:
        return len(self.assertions)

    @property
    def grading(self) -> str | None:
        return strongest_grading([a.grading for a in self.assertions])


def canonical_pair(rtype: str, source: str, target: str) -> tuple[str, str]:
    """Endpoints in stored order: symmetric types keep the smaller id first.

    >>> canonical_pair("ASSOCIATES_WITH", "c-2", "c-1")
    ('c-1', 'c-2')
    >>> canonical_pair("SEEN_AT", "c-2", "l-1")
    ('c-2', 'l-1')
    """
    if REL_TYPES[rtype].symmetric and target < source:
        return target, source
    return source, target
