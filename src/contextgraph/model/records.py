"""The records of the graph: an entity, a relationship and each source's assertion of it, with
the checks every fact passes (its dates, its ends' stored order)."""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Final, NamedTuple

from ..text import unseen
from .grading import strongest_grading
from .vocabulary import REL_TYPES


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


_DATES: dict[str, str] = {}
EARLIEST = date(1900, 1, 1)
"""The earliest date a record may carry."""
LATEST = date(2100, 12, 31)
"""The latest date of anything planned (a plan's action due); nothing that happened is after tomorrow."""


def parse_date(value: Any, planned: bool = False) -> str | None:
    """An ISO date string, checked, or None. A date is from 1900 on, and, unless ``planned`` (a date
    set for the future, such as when an action is due), not after tomorrow: what a record says
    happened cannot have happened later than that (one day's grace for time zones). A date far in
    the future would also make every true fact look years old to the analysis.

    >>> parse_date("2024-03-02")
    '2024-03-02'
    >>> parse_date("9999-12-31")
    Traceback (most recent call last):
    contextgraph.model.records.DayOutOfRange: not a date that has come: '9999-12-31' is after tomorrow
    """
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD)")
    got = _DATES.get(value)  # dates kept are those past, good whatever is asked
    if got is not None:
        return got
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not a date: {value!r} (expected YYYY-MM-DD)") from None
    check_day(d, value, planned)
    if len(_DATES) < 100_000 and d < date.today() - timedelta(days=2):
        _DATES[value] = d.isoformat()
    return d.isoformat()


class DayOutOfRange(ValueError):
    """A well-formed date outside the dates a record may carry."""


def check_day(d: date, value: str, planned: bool = False) -> None:
    """Refuse a day before :data:`EARLIEST`, after :data:`LATEST`, or (unless ``planned``) after
    tomorrow: see :func:`parse_date`."""
    if d < EARLIEST:
        raise DayOutOfRange(f"not a date of a record: {value!r} is before {EARLIEST.isoformat()}")
    if not planned and d > date.today() + timedelta(days=1):
        raise DayOutOfRange(f"not a date that has come: {value!r} is after tomorrow")
    if d > LATEST:
        raise DayOutOfRange(f"not a date of a record: {value!r} is after {LATEST.isoformat()}")


NO_DAY = -1
"""The day number of an unknown date."""

DAY_ZERO = EARLIEST.toordinal()
"""The ordinal of day number 0: the earliest date a record may hold, so that every date a record
holds has a day number of 0 or more, and none is taken for :data:`NO_DAY`."""


def day(value: str | None) -> int:
    """Days since :data:`EARLIEST` (1900-01-01) for an ISO date, or :data:`NO_DAY`.

    >>> day("1900-01-02"), day("1965-06-01") > 0, day(None)
    (1, True, -1)
    """
    if not value:
        return NO_DAY
    return date.fromisoformat(value).toordinal() - DAY_ZERO


def iso_day(number: int) -> str | None:
    """The ISO date of a day number (:func:`day`), or None for :data:`NO_DAY`.

    >>> iso_day(day("2024-03-01")), iso_day(-1)
    ('2024-03-01', None)
    """
    return None if number < 0 else date.fromordinal(number + DAY_ZERO).isoformat()


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


WRITERS_WORDS: Final = frozenset({"pin_reason"})
"""Properties that hold a writer's own words: shown only to readers cleared for C who see names
in full, since nothing stops a writer from putting there what others may not read."""

WITHHELD = "(withheld)"
"""The name a reader cleared for P only is shown for an entity whose name they may not read."""


WITHHELD_REF: Final = "(withheld: a record's ref can name a child)"
"""What a view that shows people by initials gives for a source ref that is not a recorded note's."""


def shown_refs(refs: Iterable[str], notes: Container[str]) -> list[str]:
    """Source refs as a view that shows people by initials gives them: a recorded note's ref (made
    of its meeting kind, locality, date and a digest of its text, never a name) as it is; any other
    (an imported record's, which its writer chose and may have named after a child) withheld, and
    said once however many there were.

    >>> note = "mace-hillcrest-2024-03-14-ab12cd"
    >>> shown_refs([note, "rhi-Zoe-Ahmed-2024-03-02", "police-77"], {note})
    ['mace-hillcrest-2024-03-14-ab12cd', "(withheld: a record's ref can name a child)"]
    """
    return list(dict.fromkeys(ref if ref in notes else WITHHELD_REF for ref in refs))


def initials(name: str) -> str:
    """A person's name as initials: what a pseudonymised view shows of them.

    >>> initials("Kyle Benson"), initials("  zoë o'brien-smith "), initials(WITHHELD)
    ('K.B.', 'Z.O.', '(withheld)')
    >>> initials("Kyle \\u200bBenson"), initials("\\u202eNOSNEB Kyle")
    ('K.B.', 'N.K.')
    """
    if name == WITHHELD:
        return name
    words = ("".join(c for c in w if not unseen(c)) for w in name.split())
    return "".join(f"{w[0].upper()}." for w in words if w[:1].isalpha())


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
    open: Entity | None = None
    """When statements of both codes named it: the record as the statements under P alone give it
    (a name, aliases, a date of birth... said only under C are not in it). This is what a reader
    cleared for P only is shown (:meth:`cleared_for_p`)."""

    @property
    def count(self) -> int:
        """How many source records asserted this entity."""
        return len(self.sources)

    def pseudonymised(self) -> Entity:
        """A copy as a pseudonymised view shows it: the name as initials, and none of the aliases,
        date of birth, properties, sources or coordinates that could name or find the person.

        >>> e = Entity("c-1", "child", "Kyle Benson", aliases=["Benno"], dob="2009-04-12", sources=["n1"])
        >>> p = e.pseudonymised()
        >>> p.name, p.aliases, p.dob, p.sources
        ('K.B.', [], None, [])
        """
        return replace(
            self,
            name=initials(self.name),
            aliases=[],
            dob=None,
            properties={},
            sources=[],
            open=None,
            lat=None,
            lon=None,
        )

    def without_writers_words(self) -> Entity:
        """A copy without the properties that hold a writer's own words (:data:`WRITERS_WORDS`),
        for a reader not cleared for C or shown initials.

        >>> e = Entity("l-1", "location", "Flat 2", properties={"pin_reason": "per source", "kind": "flat"},
        ...            open=Entity("l-1", "location", "Flat 2", properties={"pin_reason": "per source"}))
        >>> e.without_writers_words().properties, e.without_writers_words().open.properties
        ({'kind': 'flat'}, {})
        """
        opened = self.open.without_writers_words() if self.open is not None else None
        if not WRITERS_WORDS.intersection(self.properties) and opened is self.open:
            return self
        props = {k: v for k, v in self.properties.items() if k not in WRITERS_WORDS}
        return replace(self, properties=props, open=opened)

    def with_refs(self, notes: Container[str]) -> Entity:
        """A copy with its sources as a view showing people by initials gives them
        (:func:`shown_refs`): only recorded notes' refs (``notes``) as they are.

        >>> Entity("l-1", "location", "Flat 2", sources=["n-1", "rhi-Zoe-Ahmed"]).with_refs({"n-1"}).sources
        ['n-1', "(withheld: a record's ref can name a child)"]
        """
        opened = self.open.with_refs(notes) if self.open is not None else None
        return replace(self, sources=shown_refs(self.sources, notes), open=opened)

    def cleared_for_p(self) -> Entity | None:
        """What statements under handling code P say of it: the whole record when none said more
        under C, None when only statements under C named it.

        >>> e = Entity("c-1", "child", "Kyle Benson", handling=["C", "P"],
        ...            open=Entity("c-1", "child", "Kyle Benson", handling=["P"]))
        >>> e.aliases.append("Ghost")
        >>> e.cleared_for_p().aliases, Entity("c-2", "child", "Amy", handling=["C"]).cleared_for_p()
        ([], None)
        """
        if "C" not in self.handling:
            return self
        if "P" not in self.handling:
            return None
        if self.open is not None:
            return replace(self.open, id=self.id, kind=self.kind, members=list(self.members))
        # named under both codes, with no record of what P alone said (a store written before it
        # was kept, an import line without ``open``): that it exists and where, its name withheld
        # (the name may be one said only under C)
        return Entity(self.id, self.kind, WITHHELD, locality=self.locality, members=list(self.members), handling=["P"])

    def said_under_p(self) -> Entity | None:
        """What statements under P are known to say of it: as :meth:`cleared_for_p`, but None when
        it was named under both codes and what P alone said was not kept (nothing of it is then
        known to be open, not even its name, so nothing of it may be carried into what P readers
        are shown).

        >>> old = Entity("c-1", "child", "Kyle Benson", locality="Hillcrest", handling=["C", "P"])
        >>> old.cleared_for_p().name, old.cleared_for_p().locality, old.said_under_p()
        ('(withheld)', 'Hillcrest', None)
        """
        if "C" in self.handling and "P" in self.handling and self.open is None:
            return None
        return self.cleared_for_p()

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
        if self.open is not None:
            d["open"] = {k: v for k, v in self.open.to_json().items() if k not in ("id", "kind", "handling")}
        return d


def under_p(found: dict[str, Entity]) -> dict[str, Entity]:
    """Each of ``found`` as statements under handling code P alone give it (:meth:`Entity.cleared_for_p`),
    those only C named left out."""
    return {i: x for i, e in found.items() if (x := e.cleared_for_p()) is not None}


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

    def for_initials(self, notes: Container[str]) -> Relationship:
        """A copy as a view showing people by initials gives it: no properties (free text, which
        may name people), and each assertion's ref withheld unless it is a recorded note's
        (``notes``; :func:`shown_refs`).

        >>> r = Relationship("SEEN_AT", "c-1", "l-1", [Assertion("rhi-Zoe-Ahmed", None, None, "c-1", "l-1")],
        ...                  {"note": "with Zoe"})
        >>> r.for_initials(set()).sources, r.for_initials(set()).properties
        (["(withheld: a record's ref can name a child)"], {})
        """
        said = [
            a if a.source_ref is None or a.source_ref in notes else a._replace(source_ref=WITHHELD_REF)
            for a in self.assertions
        ]
        return Relationship(self.type, self.source, self.target, said)

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
