"""What a partnership report is made from: the period, the tracking records a reader may see, the
people they are about, and each child's time with the exploitation team read from them.

>>> p = period("2025-01-01", "2025-03-31")
>>> p.has("2025-02-10T21:30"), p.has("2025-04-01"), round(p.years, 3)
(True, False, 0.246)
>>> p.by_month(["2025-01-09", "2025-03-02T10:00", "2025-03-30"])
{'2025-01': 1, '2025-02': 0, '2025-03': 2}
>>> period("2025-03-01", "2025-01-01")
Traceback (most recent call last):
...
contextgraph.errors.BadInput: the period ends (2025-01-01) before it starts (2025-03-01)
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import msgspec

from ..errors import BadInput
from ..model import Entity
from ..model.tracked import Tracked
from ..settings import SETTINGS, SMALL_COUNT, TEAM_CAPACITY

TEAM = "EXPLOITATION_TEAM"
"""The service whose caseload the report counts (a service code of the vocabulary)."""


class Period(msgspec.Struct, frozen=True):
    """The days a report covers, both ends included (ISO dates)."""

    start: str
    end: str

    def has(self, when: str) -> bool:
        """Whether a date (or a date and time) falls in the period."""
        return self.start <= when[:10] <= self.end

    @property
    def months(self) -> list[str]:
        """Each month the period touches, as YYYY-MM, in order."""
        y, m = int(self.start[:4]), int(self.start[5:7])
        out = []
        while f"{y:04d}-{m:02d}" <= self.end[:7]:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def by_month(self, days: list[str]) -> dict[str, int]:
        """How many of ``days`` fall in each month of the period (none: 0)."""
        n = Counter(d[:7] for d in days)
        return {m: n.get(m, 0) for m in self.months}

    @property
    def years(self) -> float:
        return ((date.fromisoformat(self.end) - date.fromisoformat(self.start)).days + 1) / 365.25


def period(start: str, end: str) -> Period:
    """A period from two ISO dates; a :class:`BadInput` names a date that is not one, or a period
    that ends before it starts."""
    days = []
    for name, value in (("--from", start), ("--to", end)):
        try:
            days.append(date.fromisoformat(value).isoformat())
        except (TypeError, ValueError):
            raise BadInput(f"{name}: {value!r} is not a date (YYYY-MM-DD)") from None
    for name, day in zip(("--from", "--to"), days, strict=True):
        if not EARLIEST <= day <= LATEST:
            raise BadInput(f"{name}: {day} is outside the dates a report covers ({EARLIEST} to {LATEST})")
    if days[1] < days[0]:
        raise BadInput(f"the period ends ({days[1]}) before it starts ({days[0]})")
    if (date.fromisoformat(days[1]) - date.fromisoformat(days[0])).days > LONGEST_DAYS:
        raise BadInput(f"a report covers at most {LONGEST_DAYS // 365} years; make one for each part of the period")
    return Period(days[0], days[1])


EARLIEST, LATEST = "1990-01-01", "2099-12-31"
LONGEST_DAYS = 3653
"""A report covers days from 1990 to 2099, ten years at most: longer asks would only stall."""


def counted(values: Counter[str], top: int | None = None) -> dict[str, int]:
    """Counts, largest first (ties by name), at most ``top`` of them."""
    return dict(sorted(values.items(), key=lambda kv: (-kv[1], kv[0]))[:top])


def day_before(day: str, days: int = 1) -> str:
    return (date.fromisoformat(day[:10]) - timedelta(days=days)).isoformat()


def days_between(a: str, b: str) -> int:
    """Whole days from ``a`` to ``b`` (dates, or dates and times: their days)."""
    return (date.fromisoformat(b[:10]) - date.fromisoformat(a[:10])).days


class Case(msgspec.Struct, frozen=True):
    """A child's time with the exploitation team: from ``start`` until ``end`` (None: still open)."""

    child: str
    start: str
    end: str | None

    def open_on(self, day: str) -> bool:
        return self.start <= day and (self.end is None or self.end > day)


@dataclass(frozen=True)
class Holdings:
    """The records a report reads (of any date: the year before a child's start counts), the people
    they are about (by id), and the settings in force."""

    period: Period
    records: Sequence[Tracked]
    people: Mapping[str, Entity]
    levels: tuple[str, ...]
    benchmarks: tuple[str, ...]
    capacity: int | None = None
    localities: tuple[str, ...] | None = None
    """The localities the report covers (None: every one)."""
    homes: frozenset[str] = frozenset()
    """Places someone lives at: never named in a report."""
    kinds: dict[str, list[Tracked]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        kinds: dict[str, list[Tracked]] = defaultdict(list)
        for t in sorted(self.records, key=lambda t: (t.date, t.id)):
            kinds[t.record].append(t)
        object.__setattr__(self, "kinds", dict(kinds))

    @cached_property
    def spells(self) -> dict[str, list[Case]]:
        """Each child's times with the team (:func:`cases`), worked out once."""
        return cases(self)

    def of(self, kind: str) -> list[Tracked]:
        """The records of a kind, oldest first."""
        return self.kinds.get(kind, [])

    def in_period(self, kind: str) -> list[Tracked]:
        return [t for t in self.of(kind) if self.period.has(t.date)]

    def locality_of(self, t: Tracked) -> str:
        e = self.people.get(t.subject)
        return (e.locality if e is not None else None) or t.locality or "not recorded"

    def is_home(self, eid: str) -> bool:
        e = self.people.get(eid)
        return eid in self.homes or (e is not None and e.properties.get("place_type") == "home")

    def name_of(self, eid: str) -> str:
        e = self.people.get(eid)
        return e.name if e is not None else eid


def cases(h: Holdings) -> dict[str, list[Case]]:
    """Each child's times with the exploitation team, oldest first: a spell open to the team as
    recorded (a ``service_episode``); for a child with none, from an accepted referral to the team
    (its decision date, else its date) until an outcome review that says they left."""
    spells: dict[str, list[Case]] = defaultdict(list)
    for t in h.of("service_episode"):
        if t.fields.get("service_code") == TEAM:
            spells[t.subject].append(Case(t.subject, t.day, t.fields.get("closed")))
    leaving: dict[str, list[str]] = defaultdict(list)
    for t in h.of("outcome_review"):
        if t.fields.get("left"):
            leaving[t.subject].append(t.day)
    for t in h.of("referral"):
        f = t.fields
        if t.subject in spells or f.get("decision") != "accepted" or f.get("to_service", TEAM) != TEAM:
            continue
        start = f.get("decision_date") or t.day
        if any(c.open_on(start) for c in spells.get(t.subject, [])):
            continue
        end = next((d for d in leaving.get(t.subject, []) if d > start), None)
        spells[t.subject].append(Case(t.subject, start, end))
    return {c: sorted(s, key=lambda x: x.start) for c, s in spells.items()}


def capacity() -> int | None:
    """The team's capacity (``CONTEXTGRAPH_TEAM_CAPACITY``), None when not configured."""
    raw = os.environ.get(TEAM_CAPACITY, SETTINGS[TEAM_CAPACITY].default).strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) == 0:
        raise BadInput(f"{TEAM_CAPACITY}: {raw!r} is not a whole number of children above 0")
    return int(raw)


def small_count() -> int:
    """Counts below this are suppressed for a recipient outside the partnership
    (``CONTEXTGRAPH_SMALL_COUNT``)."""
    raw = os.environ.get(SMALL_COUNT, SETTINGS[SMALL_COUNT].default).strip()
    if not raw.isdigit() or int(raw) < 1:
        raise BadInput(f"{SMALL_COUNT}: {raw!r} is not a whole number of at least 1")
    return int(raw)
