"""What a reader may see: the filter every read of a store takes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from ..model import KINDS, REL_TYPES, Entity, Grading, Relationship, day
from ..model.tracked import Tracked
from .errors import StoreError


@dataclass(frozen=True)
class Filter:
    """What part of the graph to look at.

    A relationship passes the date window unless its dates, first to last, fall wholly before
    or after it; undated facts (most ``OPEN_TO``) pass unless ``undated`` is False and a
    window is given. An entity passes
    the locality filter when its locality is listed; services pass always.
    ``handling`` keeps only the assertions a user may see: with ``{"P"}``, those
    graded with handling code C are dropped (ungraded ones count as P), and a
    relationship left with no assertion is not there at all.
    ``unseen`` names the relationship types a reader never sees (their role's): they are never
    walked, and a placed entity (a place, a school) whose every link is of those types is not there
    for that reader — a home address known only as a child's home is no place of theirs.
    """

    types: frozenset[str] | None = None
    kinds: frozenset[str] | None = None
    localities: frozenset[str] | None = None
    since: str | None = None
    until: str | None = None
    handling: frozenset[str] | None = None
    undated: bool = True
    unseen: frozenset[str] | None = None

    @classmethod
    def of(
        cls,
        types: Iterable[str] | None = None,
        kinds: Iterable[str] | None = None,
        localities: Iterable[str] | None = None,
        since: str | None = None,
        until: str | None = None,
        handling: Iterable[str] | None = None,
        undated: bool = True,
        unseen: Iterable[str] | None = None,
    ) -> Filter:
        def fs(x: Iterable[str] | None) -> frozenset[str] | None:
            return frozenset(x) if x else None

        if since and until and since > until:
            raise StoreError(f"the window's start ({since}) is after its end ({until})")
        never = fs(unseen)
        if never is not None:
            types = [t for t in (types or REL_TYPES) if t not in never]  # none asked for: every type
            if not types:
                raise StoreError("every relationship type asked for is one this reader never sees")
        f = cls(fs(types), fs(kinds), fs(localities), since, until, fs(handling), undated, never)
        for t in [*(f.types or ()), *(f.unseen or ())]:
            if t not in REL_TYPES:
                raise StoreError(f"unknown relationship type {t!r}")
        for k in f.kinds or ():
            if k not in KINDS:
                raise StoreError(f"unknown kind {k!r}")
        return f

    def visible_facts(self, r: Relationship) -> Relationship | None:
        """``r`` with only the assertions of the handling codes allowed; None if none is left.

        A relationship keeps one set of properties for all its statements, which cannot tell which
        statement gave which: for a reader without C, a relationship that any statement under C
        asserted is given without them (withheld, as a name said only under C is).

        >>> from contextgraph.model import Assertion
        >>> r = Relationship("SEEN_AT", "c-1", "l-1", [Assertion("n1", None, "1B C", "c-1", "l-1"),
        ...                                            Assertion("n2", None, None, "c-1", "l-1")],
        ...                  {"informant": "said under C"})
        >>> seen = Filter.of(handling=["P"]).visible_facts(r)
        >>> [a.source_ref for a in seen.assertions], seen.properties
        (['n2'], {})
        """
        if self.handling is None or "C" in self.handling:
            return r
        kept = [a for a in r.assertions if not (a.grading and Grading.parse(a.grading).conditional)]
        if not kept:
            return None
        return r if len(kept) == len(r.assertions) else Relationship(r.type, r.source, r.target, kept, {})

    def passes(self, r: Relationship) -> bool:
        """Whether ``r`` passes the relationship types and the date window, as a projection lets
        it: of a type asked for and not one the reader never sees; its dates (first to last) not
        wholly before ``since`` nor after ``until``; undated, only while ``undated`` or without a
        window (by the stores' day numbers, from 1900, the earliest date a record may hold).

        >>> from contextgraph.model import Assertion
        >>> r = Relationship("SEEN_AT", "c-1", "l-1", [Assertion("n1", "2024-03-01", None, "c-1", "l-1")])
        >>> Filter.of(since="2024-01-01").passes(r), Filter.of(until="2023-12-31").passes(r)
        (True, False)
        >>> Filter.of(types=["ASSOCIATES_WITH"]).passes(r)
        False
        """
        if (self.types is not None and r.type not in self.types) or (self.unseen is not None and r.type in self.unseen):
            return False
        if self.since is None and self.until is None:
            return True
        days = [day(a.date) for a in r.assertions if a.date]
        last = max(days, default=-1)
        if last < 0:
            return self.undated
        return not (
            (self.since is not None and last < day(self.since))
            or (self.until is not None and min(days) > day(self.until))
        )

    @property
    def windowed_for_p(self) -> bool:
        """Whether this is a reader cleared for P asking for a window: the links in it are chosen by
        the dates of the statements they may see, so the store is asked without it
        (:meth:`unwindowed`) and each link is held to :meth:`passes` once those are all it keeps;
        by every statement, one under C would decide which links are in, and moving the window
        would date it."""
        return self.public_only and (self.since is not None or self.until is not None)

    def unwindowed(self) -> Filter:
        """This filter without its window (see :attr:`windowed_for_p`)."""
        return replace(self, since=None, until=None, undated=True)

    def asked(self) -> Filter:
        """What a store is asked for on this reader's behalf: this filter, or for a reader cleared
        for P asking for a window, this one without it (:attr:`windowed_for_p`), each link the
        store gives then held to the window by :meth:`seen`.

        >>> Filter.of(since="2024-01-01", handling=["P"]).asked().since, Filter.of(since="2024-01-01").asked().since
        (None, '2024-01-01')
        """
        return self.unwindowed() if self.windowed_for_p else self

    def seen(self, r: Relationship) -> Relationship | None:
        """``r`` as this reader may see it (:meth:`visible_facts`), if it then passes the types and
        the window (:meth:`passes`: by the dates of the statements they may see); else None.

        >>> from contextgraph.model import Assertion
        >>> r = Relationship("SEEN_AT", "c-1", "l-1", [Assertion("n1", "2024-03-01", "1B C", "c-1", "l-1"),
        ...                                            Assertion("n2", "2020-05-01", None, "c-1", "l-1")])
        >>> Filter.of(since="2024-01-01").seen(r) is r, Filter.of(since="2024-01-01", handling=["P"]).seen(r)
        (True, None)
        """
        got = self.visible_facts(r)
        return got if got is not None and self.passes(got) else None

    def node_ok(self, kind: str, locality: str | None, handling: Sequence[str] = ()) -> bool:
        """Whether an entity passes: its kind, its locality (services pass always) and, for a
        reader without C, whether anything but C-graded statements named it.

        >>> Filter.of(handling=["P"]).node_ok("child", "Hillcrest", ["C"])
        False
        """
        if self.kinds is not None and kind not in self.kinds:
            return False
        if self.localities is not None and kind != "service" and locality not in self.localities:
            return False
        return not (self.public_only and handling and "P" not in handling)

    def shown(self, e: Entity) -> Entity | None:
        """``e`` as this reader may read it: for a reader without C, what statements under P alone
        say of it (:meth:`Entity.cleared_for_p`); None when they do not see it.

        >>> from contextgraph.model import Entity
        >>> e = Entity("c-1", "child", "Kyle Benson", aliases=["Ghost"], handling=["C", "P"],
        ...            open=Entity("c-1", "child", "Kyle Benson", handling=["P"]))
        >>> Filter.of(handling=["P"]).shown(e).aliases, Filter.of().shown(e).aliases
        ([], ['Ghost'])
        """
        if not self.public_only:
            return e if self.node_ok(e.kind, e.locality, e.handling) else None
        seen = e.cleared_for_p()  # of the locality statements under P give it, too
        return seen if seen is not None and self.node_ok(seen.kind, seen.locality, e.handling) else None

    def shown_many(self, found: dict[str, Entity]) -> dict[str, Entity]:
        """Those of ``found`` this reader sees, each as :meth:`shown`."""
        if not self.public_only:
            return {i: e for i, e in found.items() if self.node_ok(e.kind, e.locality, e.handling)}
        return {i: s for i, e in found.items() if (s := self.shown(e)) is not None}

    @property
    def public_only(self) -> bool:
        """Whether this reader sees handling code P only."""
        return self.handling is not None and "C" not in self.handling

    def tracking_ok(self, t: Tracked, seen: Callable[[str], bool]) -> Tracked | None:
        """A tracking record as this reader may see it: None when its grading's handling code is
        not theirs, or its subject not one they see (``seen``); else the record, with the
        other entities it names that they do not see taken out.

        >>> from contextgraph.model.tracked import Tracked
        >>> t = Tracked("d", "disruption", "p1", "2025-01-01", "f", "u", grading="2B C",
        ...             fields={"disruption_kind": "CAWN", "children": ["c1", "c9"]})
        >>> Filter.of(handling=["P"]).tracking_ok(t, lambda i: True) is None
        True
        >>> Filter.of().tracking_ok(t, lambda i: i != "c9").fields["children"]
        ['c1']
        """
        if self.public_only and t.handling != "P":
            return None
        if not seen(t.subject):
            return None
        hidden = [i for i in t.involves if not seen(i)]
        return t.without(hidden) if hidden else t
