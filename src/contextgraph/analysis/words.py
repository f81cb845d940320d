"""Analysis results in words: names, the facts behind each reason, and sentences.

:func:`contextgraph.analysis.analyse` works on the projection and returns ids.
:func:`explain_parts` reads from the store only what the results point at — the
entities named and the relationships behind each reason — and returns explained
copies (the results are frozen), with each fact's sources, dates and grading, and a
sentence a practitioner can check against the notes, such as "went missing with Kyle Benson (open to YJS, known
to be exploited) on 2 March 2024 [mace-east-2024-03-14, 1B P]".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from functools import lru_cache
from typing import Any, NamedTuple

from msgspec.structs import replace

from ..memory import paused_gc
from ..model import Entity, initials, shown_refs
from ..model.timeline import describe
from ..model.tracked import Tracked
from ..store.base import Store
from ..store.filter import Filter
from ..store.types import Fact as StoreFact
from ..store.types import Key, Label
from .results import (
    AtRiskChild,
    Changes,
    Cited,
    Fact,
    Hotspot,
    Named,
    PeerGroup,
    PersonOfConcern,
    PlaceContext,
    Reason,
    Shared,
    TrackedChange,
)
from .tracking import records_seen, tracked_reason
from .weights import TRACKED

_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@lru_cache(maxsize=4096)
def long_date(iso: str | None) -> str:
    """A date as a person writes it.

    >>> long_date("2024-03-02")
    '2 March 2024'
    """
    if not iso:
        return ""
    d = date.fromisoformat(iso)
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


def _walk(
    children: Iterable[AtRiskChild],
    hotspots: Iterable[Hotspot],
    groups: Iterable[PeerGroup],
    persons: Iterable[PersonOfConcern],
    changes: Changes | None,
) -> tuple[set[str], set[Key]]:
    """Every entity id and relationship key the results refer to."""
    ids: set[str] = set()
    keys: set[Key] = set()

    def facts(items: Iterable[Fact]) -> None:
        for f in items:
            keys.add((f.type, f.source, f.target))
            ids.update((f.source, f.target))

    for c in children:
        ids.add(c.id)
        for r in c.reasons:
            ids.add(r.other)
            facts(r.facts)
    for h in hotspots:
        ids.add(h.id)
    for g in groups:
        ids.update(g.members)
        for slot in (g.places, g.persons_of_concern, g.groups):
            ids.update(x.id for x in slot)
    for x in persons:
        ids.add(x.id)
        ids.update(x.groups)
        facts(x.evidence)
    if changes is not None:
        facts(changes.links)
        for xs in (changes.children, changes.children_raised, changes.hotspots, changes.persons_of_concern):
            ids.update(x.id for x in xs)
        for ns in (changes.children_newly_open, changes.children_newly_known):
            ids.update(x.id for x in ns)
        ids.update(x.subject for x in changes.tracking)
    return ids, keys


def _chunks(items: list[Any], n: int = 20_000) -> Iterator[list[Any]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


class Explained(NamedTuple):
    """Parts of an analysis explained (see :func:`explain_parts`)."""

    children: tuple[AtRiskChild, ...] = ()
    hotspots: tuple[Hotspot, ...] = ()
    peer_groups: tuple[PeerGroup, ...] = ()
    persons_of_concern: tuple[PersonOfConcern, ...] = ()
    changes: Changes | None = None


def explain_parts(
    store: Store,
    flt: Filter | None = None,
    initials: frozenset[str] = frozenset(),
    *,
    children: tuple[AtRiskChild, ...] = (),
    hotspots: tuple[Hotspot, ...] = (),
    peer_groups: tuple[PeerGroup, ...] = (),
    persons_of_concern: tuple[PersonOfConcern, ...] = (),
    changes: Changes | None = None,
) -> Explained:
    """Some items of an analysis explained, as :func:`explain` explains them in the whole: each
    item's words depend on it alone, so a page of a ranked list costs what the page holds.

    >>> import tempfile
    >>> from contextgraph.model import Entity
    >>> from contextgraph.store import open_store
    >>> with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/a.db") as s:
    ...     _ = s.upsert([Entity("l-9", "location", "Mill Lane Park")], [])
    ...     explain_parts(s, hotspots=(Hotspot("l-9", None, 1.0, 1, 0, 0, 0, 0, 0, None),)).hotspots[0].name
    'Mill Lane Park'
    """
    with paused_gc():  # many small objects, none cyclic: collections would only cost time
        w = Words.reading(store, flt, children, hotspots, peer_groups, persons_of_concern, changes, initials)
        return Explained(
            tuple(w.child(c) for c in children),
            tuple(w.hotspot(h) for h in hotspots),
            tuple(w.peer_group(g) for g in peer_groups),
            tuple(w.person(x) for x in persons_of_concern),
            w.changes(changes),
        )


def _n(count: int, one: str, many: str | None = None) -> str:
    """A count and a noun that agrees with it.

    >>> _n(1, "child", "children"), _n(3, "peer group")
    ('1 child', '3 peer groups')
    """
    return f"{count} {one if count == 1 else (many or one + 's')}"


class Words:
    """Names, the facts as the store holds them, and sentences, for the results read with it."""

    def __init__(
        self,
        labels: dict[str, Label],
        facts: dict[Key, StoreFact],
        ents: dict[str, Entity],
        hide: frozenset[str] = frozenset(),
        records: dict[str, Tracked] | None = None,
        notes: frozenset[str] | None = None,
    ):
        self.labels = labels
        self.facts = facts
        self.ents = ents
        self.hide = hide
        self.records = records or {}
        self.notes = notes
        """With people shown by initials: the refs of recorded notes, the only refs cited as they
        are (:func:`~contextgraph.model.shown_refs`); None: every ref as it is."""

    @classmethod
    def reading(
        cls,
        store: Store,
        flt: Filter | None,
        children: tuple[AtRiskChild, ...],
        hotspots: tuple[Hotspot, ...],
        groups: tuple[PeerGroup, ...],
        persons: tuple[PersonOfConcern, ...],
        changes: Changes | None,
        hide: frozenset[str] = frozenset(),
    ) -> Words:
        """What the store holds of the results: the names, the facts, and whole records only where
        a report needs more than a name (flags and aliases)."""
        ids, keys = _walk(children, hotspots, groups, persons, changes)
        labels: dict[str, Label] = store.labels(ids, flt)
        facts: dict[Key, StoreFact] = store.facts(keys, flt)
        full = {c.id for c in children if c.flagged} | {x.id for x in persons}
        ents: dict[str, Entity] = {}
        for chunk in _chunks(sorted(full)):
            ents.update(flt.shown_many(store.get_many(chunk)) if flt is not None else store.get_many(chunk))
        wanted = {i for c in children for r in c.reasons for i in r.records}
        wanted |= {x.id for x in changes.tracking} if changes is not None else set()
        records = records_seen(store, flt, sorted(wanted), hide) if wanted else {}
        named = {i for t in records.values() for i in t.involves} - set(labels)
        if named:
            labels.update(store.labels(named, flt))
        return cls(labels, facts, ents, hide, records, store.note_refs() if hide else None)

    def name(self, eid: str) -> str:
        lab = self.labels.get(eid)
        if lab is None:  # gone since the analysis: by its id, except where people go by initials (an id can name one)
            return "(a record not shown)" if self.hide else eid
        return initials(lab.name) if lab.kind in self.hide else lab.name

    def fact(self, f: Fact) -> Fact:
        r = self.facts.get((f.type, f.source, f.target))
        if r is None:  # the store changed since the projection was taken
            cited = Cited((), f.date, f.date, None, 0)
        else:
            refs = r.sources if self.notes is None else shown_refs(r.sources, self.notes)
            cited = Cited(tuple(refs), r.first_seen, r.last_seen, r.grading, r.assertions)
        return Fact(f.type, f.source, f.target, f.date, f.grade, cited)

    def child(self, c: AtRiskChild) -> AtRiskChild:
        ent = self.ents.get(c.id)
        reasons = []
        for r in c.reasons:
            facts = tuple(self.fact(f) for f in r.facts)
            reasons.append(replace(r, facts=facts, text=self.reason(r, facts, ent)))
        summary = "; ".join(r.text or "" for r in reasons[:3])
        return replace(c, reasons=tuple(reasons), name=self.name(c.id), summary=summary)

    def hotspot(self, h: Hotspot) -> Hotspot:
        lab = self.labels.get(h.id)
        return replace(
            h,
            name=self.name(h.id),
            lat=lab.lat if lab else None,
            lon=lab.lon if lab else None,
            text=self.hotspot_text(h),
        )

    def peer_group(self, g: PeerGroup) -> PeerGroup:
        def named(xs: tuple[Shared, ...]) -> tuple[Shared, ...]:
            return tuple(replace(x, name=self.name(x.id)) for x in xs)

        g = replace(
            g,
            places=named(g.places),
            persons_of_concern=named(g.persons_of_concern),
            groups=named(g.groups),
            member_names=tuple(self.name(m) for m in g.members),
        )
        return replace(g, text=self.peer_group_text(g))

    def person(self, x: PersonOfConcern) -> PersonOfConcern:
        ent = self.ents.get(x.id)
        return replace(
            x,
            name=self.name(x.id),
            aliases=tuple(ent.aliases) if ent is not None and ent.kind not in self.hide else (),
            evidence=tuple(self.fact(f) for f in x.evidence),
            text=self.person_text(x),
        )

    def changes(self, ch: Changes | None) -> Changes | None:
        if ch is None:
            return None
        return Changes(
            since=ch.since,
            links=tuple(self.fact(f) for f in ch.links),
            children=tuple(replace(x, name=self.name(x.id)) for x in ch.children),
            children_raised=tuple(replace(x, name=self.name(x.id)) for x in ch.children_raised),
            children_newly_open=tuple(Named(x.id, self.name(x.id)) for x in ch.children_newly_open),
            children_newly_known=tuple(Named(x.id, self.name(x.id)) for x in ch.children_newly_known),
            hotspots=tuple(replace(x, name=self.name(x.id)) for x in ch.hotspots),
            persons_of_concern=tuple(replace(x, name=self.name(x.id)) for x in ch.persons_of_concern),
            tracking=tuple(self.tracked_change(x) for x in ch.tracking),
        )

    def tracked_change(self, x: TrackedChange) -> TrackedChange:
        t = self.records.get(x.id)
        words = describe(t, self.name) if t is not None else None
        if words and x.what.startswith("step_"):
            words = f"stepped {x.what.removeprefix('step_')}: {words}"
        return replace(x, name=self.name(x.subject), text=words)

    @staticmethod
    def cite(facts: tuple[Fact, ...]) -> str:
        parts: list[str] = []
        for f in facts:
            refs = f.cited.sources if f.cited else ()
            shown = ", ".join(refs[-2:]) + (f" and {len(refs) - 2} more" if len(refs) > 2 else "")
            bits = [b for b in (shown, (f.cited.grading if f.cited else None) or "ungraded") if b]
            parts.append(", ".join(bits))
        return f" [{'; '.join(parts)}]" if parts else ""

    @staticmethod
    def on(facts: tuple[Fact, ...]) -> str:
        d = facts[0].cited.last_seen if facts and facts[0].cited else None
        return f" on {long_date(d)}" if d else ""

    @staticmethod
    def about(r: Reason) -> str:
        """Who the other child is: open to what, known to be exploited."""
        bits = []
        if r.other_open_to:
            bits.append("open to " + ", ".join("a child plan" if x == "PLAN" else x for x in r.other_open_to))
        if r.other_known:
            bits.append("known to be exploited")
        if r.other_score is not None:
            bits.append(f"also linked to risk, score {r.other_score:.2f}")
        return f" ({', '.join(bits)})" if bits else ""

    @staticmethod
    def where(ctx: PlaceContext | None, verb: str) -> str:
        if not ctx:
            return ""
        lives = ", an address where a person of concern lives" if ctx.person_of_concern_lives_here else ""
        bits = []
        if ctx.persons_of_concern:
            n = ctx.persons_of_concern
            bits.append(f"{n} person{'s' if n != 1 else ''} of concern")
        if ctx.known_children:
            n = ctx.known_children
            bits.append(f"{n} child{'ren' if n != 1 else ''} known to be exploited")
        if not bits:
            return lives
        one = len(bits) == 1 and (ctx.persons_of_concern + ctx.known_children) == 1
        return f"{lives}, where {' and '.join(bits)} {'is' if one else 'are'} {verb}"

    def reason(self, r: Reason, facts: tuple[Fact, ...], child: Entity | None) -> str:
        """The sentence of reason ``r`` with its explained ``facts``."""
        k, other = r.kind, self.name(r.other)
        if k in TRACKED:
            return tracked_reason(r, self.records)
        on, cite = self.on(facts), self.cite(facts)
        if k == "flagged":
            props = child.properties if child else {}
            what = ", ".join(props.get("exploitation_types") or []) or f"risk level {props.get('risk_level', '')}"
            return f"flagged at risk of exploitation in their own record ({what.strip()})"
        if k == "exploited_by":
            return f"named as exploited by {other}, a person of concern{on}{cite}"
        if k == "associates_with_poc":
            return f"associates with {other}, a person of concern{on}{cite}"
        if k == "family_of_poc":
            return f"family of {other}, a person of concern{cite}"
        if k == "associates_with_known":
            return f"associates with {other}{self.about(r)}{on}{cite}"
        if k == "family_of_known":
            return f"family of {other}{self.about(r)}{cite}"
        if k == "missing_with":
            return f"went missing with {other}{self.about(r)}{on}{cite}"
        if k == "found_at":
            return f"found at {other} after a missing episode{on}{self.where(r.context, 'linked')}{cite}"
        if k == "found_out_of_area":
            area = r.other_locality or "another locality"
            return f"found out of their area, at {other} in {area}, after a missing episode{on}{cite}"
        if k == "seen_at":
            return f"seen at {other}{on}{self.where(r.context, 'seen')}{cite}"
        if k == "lives_at":
            return f"lives at {other}{self.where(r.context, 'linked')}{cite}"
        if k == "member_of":
            return f"member of {other}{on}{self.where(r.context, 'members')}{cite}"
        if k == "peer":
            verb = "went missing with" if facts and facts[0].type == "MISSING_WITH" else "associates with"
            return f"{verb} {other}{self.about(r)}{on}{cite}"
        return f"{k.replace('_', ' ')} {other}{on}{cite}"

    @staticmethod
    def hotspot_text(h: Hotspot) -> str:
        are = "is" if h.children_at_risk == 1 else "are"
        bits = [f"{h.children_at_risk} of {_n(h.children, 'child', 'children')} linked {are} at risk"]
        if h.children_open:
            bits.append(f"{h.children_open} open to services")
        if h.persons_of_concern:
            bits.append(_n(h.persons_of_concern, "person of concern", "persons of concern"))
        if h.found_at:
            bits.append(f"{_n(h.found_at, 'missing episode')} ended here")
        if h.last_seen:
            bits.append(f"last linked {long_date(h.last_seen)}")
        return "; ".join(bits)

    @staticmethod
    def peer_group_text(g: PeerGroup) -> str:
        text = (
            f"{_n(g.size, 'child', 'children')}: {g.open} open to services, {g.flagged} flagged or known, "
            f"{g.at_risk_not_open} at risk and not open"
        )
        shared = [x.name or x.id for x in g.places[:3]] + [x.name or x.id for x in g.persons_of_concern[:3]]
        return text + (f"; linked to {', '.join(shared)}" if shared else "")

    def person_text(self, x: PersonOfConcern) -> str:
        text = (
            f"linked to {_n(x.children_linked, 'child', 'children')} ({x.children_linked_directly} directly, "
            f"{x.children_not_open} not open to services), bridging {_n(x.peer_groups_bridged, 'peer group')}"
        )
        if x.groups:
            text += "; member of " + ", ".join(self.name(g) for g in x.groups)
        return text
