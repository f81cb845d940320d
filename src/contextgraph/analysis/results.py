"""The analysis's results as typed, frozen records.

They are frozen :class:`msgspec.Struct` records rather than frozen dataclasses: an analysis of a
large area builds and explains hundreds of thousands of them, and a frozen dataclass costs about
eight times as much to build and ninety times as much to copy with a change
(``dataclasses.replace``), which doubled the time of the whole analysis.

:func:`~contextgraph.analysis.analyse` builds them from the projection, holding ids and
numbers; :mod:`~contextgraph.analysis.report` returns explained copies, with names, the
facts' sources and the sentences (the fields left ``None`` before). Nothing changes a result
once built.

The module is longer than 500 lines because every result that crosses modules is defined here
together, each with how it is written and what it names, so that a reader and a writer of one
agree by construction.

``to_json()`` gives each record as the command line and the service have always written it:
the same keys in the same order, a key an explained record has only once it is explained,
and the optional details of a reason only where they apply.

>>> from typing import get_args
>>> from .weights import REASON_KINDS
>>> get_args(ReasonKind) == REASON_KINDS
True
>>> Fact("EXPLOITS", "p", "a").to_json()
{'type': 'EXPLOITS', 'source': 'p', 'target': 'a', 'date': None, 'grade': None}
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

ReasonKind = Literal[
    "exploited_by",
    "associates_with_poc",
    "family_of_poc",
    "associates_with_known",
    "family_of_known",
    "missing_with",
    "found_at",
    "found_out_of_area",
    "seen_at",
    "lives_at",
    "member_of",
    "flagged",
    "peer",
    "repeat_missing",
    "no_return_interview",
    "stepped_up",
]
"""What a piece of evidence is (``weights.REASON_KINDS``, in the same order)."""

Json = dict[str, Any]


class Cited(msgspec.Struct, frozen=True):
    """What the store holds of a relationship a result rests on, as far as the reader may see."""

    sources: tuple[str, ...]
    first_seen: str | None
    last_seen: str | None
    grading: str | None
    count: int


class Fact(msgspec.Struct, frozen=True):
    """A relationship a result rests on, by its key, with the date and grade the projection has;
    ``cited`` once explained."""

    type: str
    source: str
    target: str
    date: str | None = None
    grade: str | None = None
    cited: Cited | None = None

    def to_json(self) -> Json:
        """The fact as written: once explained, its sources, dates, grading and count."""
        out: Json = {"type": self.type, "source": self.source, "target": self.target}
        c = self.cited
        if c is None:
            out.update(date=self.date, grade=self.grade)
        else:
            out.update(
                sources=list(c.sources),
                first_seen=c.first_seen,
                last_seen=c.last_seen,
                grading=c.grading,
                count=c.count,
            )
        return out


class PlaceContext(msgspec.Struct, frozen=True):
    """Who is linked to the place or group a reason passes through."""

    risky_people: int
    persons_of_concern: int
    known_children: int
    people: int
    risk: float
    person_of_concern_lives_here: bool

    def to_json(self) -> Json:
        """The context as written."""
        return {
            "risky_people": self.risky_people,
            "persons_of_concern": self.persons_of_concern,
            "known_children": self.known_children,
            "people": self.people,
            "risk": self.risk,
            "person_of_concern_lives_here": self.person_of_concern_lives_here,
        }


class Reason(msgspec.Struct, frozen=True):
    """One piece of evidence behind a child's score: its kind, its part of the score, the entity
    it passes through and the facts behind it. The details of the other end are given where they
    apply (``None``: not applicable): its kind for any fact; for a child, the services it is open
    to and whether it is known to be exploited, and for a peer its score; the locality of a place
    found out of area; who is linked to a place or group. ``text`` once explained."""

    kind: ReasonKind
    weight: float
    other: str
    facts: tuple[Fact, ...]
    date: str | None
    grade: str | None
    other_kind: str | None = None
    other_open_to: tuple[str, ...] | None = None
    other_known: bool | None = None
    other_score: float | None = None
    other_locality: str | None = None
    context: PlaceContext | None = None
    records: tuple[str, ...] = ()
    """For a reason read from tracking records: their ids, newest first."""
    detail: str | None = None
    """For a step up on the pathway: the level stepped up to."""
    text: str | None = None

    def to_json(self) -> Json:
        """The reason as written: the details that apply, in a fixed order."""
        out: Json = {
            "kind": self.kind,
            "weight": self.weight,
            "other": self.other,
            "facts": [f.to_json() for f in self.facts],
            "date": self.date,
            "grade": self.grade,
        }
        if self.other_kind is not None:
            out["other_kind"] = self.other_kind
        if self.other_open_to is not None:
            out["other_open_to"] = list(self.other_open_to)
        if self.other_known is not None:
            out["other_known"] = self.other_known
        if self.other_score is not None:
            out["other_score"] = self.other_score
        if self.other_locality is not None:
            out["other_locality"] = self.other_locality
        if self.context is not None:
            out["context"] = self.context.to_json()
        if self.records:
            out["records"] = list(self.records)
        if self.detail is not None:
            out["detail"] = self.detail
        if self.text is not None:
            out["text"] = self.text
        return out


class AtRiskChild(msgspec.Struct, frozen=True):
    """A child open to no service, linked to risk: its score, rank and reasons; once explained,
    its name and a summary of its first reasons."""

    id: str
    locality: str | None
    score: float
    rank: int
    flagged: bool
    reasons: tuple[Reason, ...]
    name: str | None = None
    summary: str | None = None
    further: float = 0.0
    """The score's part from evidence beyond the reasons: with their weights, it adds up to it."""
    further_pieces: int = 0  # how many pieces of evidence that part holds

    def involves(self) -> tuple[str, ...]:
        """Every entity it names: the child, then those its reasons and their facts name.

        >>> f = Fact("SEEN_AT", "c-2", "l-1")
        >>> r = Reason("associates_with_poc", 0.6, "p-1", (f,), None, None)
        >>> AtRiskChild("c-1", None, 0.6, 1, False, (r,)).involves()
        ('c-1', 'p-1', 'c-2', 'l-1')
        """
        ids = [self.id]
        for r in self.reasons:
            ids.append(r.other)
            ids.extend(x for f in r.facts for x in (f.source, f.target))
        return tuple(dict.fromkeys(ids))

    def to_json(self) -> Json:
        """The child as written."""
        out: Json = {
            "id": self.id,
            "locality": self.locality,
            "score": self.score,
            "rank": self.rank,
            "flagged": self.flagged,
            "reasons": [r.to_json() for r in self.reasons],
            "further": {"weight": self.further, "pieces": self.further_pieces},
        }
        if self.name is not None:
            out["name"] = self.name
        if self.summary is not None:
            out["summary"] = self.summary
        return out


class Hotspot(msgspec.Struct, frozen=True):
    """A place ranked by the at-risk children and persons of concern linked to it. Explained,
    it has its name; in the ranked list also its coordinates and a sentence (``text``)."""

    id: str
    locality: str | None
    score: float
    rank: int
    children: int
    children_at_risk: int
    children_open: int
    persons_of_concern: int
    found_at: int
    last_seen: str | None
    name: str | None = None
    lat: float | None = None
    lon: float | None = None
    text: str | None = None

    def to_json(self) -> Json:
        """The hotspot as written."""
        out: Json = {
            "id": self.id,
            "locality": self.locality,
            "score": self.score,
            "rank": self.rank,
            "children": self.children,
            "children_at_risk": self.children_at_risk,
            "children_open": self.children_open,
            "persons_of_concern": self.persons_of_concern,
            "found_at": self.found_at,
            "last_seen": self.last_seen,
        }
        if self.name is not None:
            out["name"] = self.name
        if self.text is not None:
            out.update(lat=self.lat, lon=self.lon, text=self.text)
        return out


class Shared(msgspec.Struct, frozen=True):
    """A place, person of concern or group linked to members of a peer group, and how many."""

    id: str
    members: int
    name: str | None = None

    def to_json(self) -> Json:
        """The shared entity as written."""
        out: Json = {"id": self.id, "members": self.members}
        if self.name is not None:
            out["name"] = self.name
        return out


class PeerGroup(msgspec.Struct, frozen=True):
    """A community of children holding risk, with what its members share; once explained, the
    members' names and a sentence."""

    members: tuple[str, ...]
    size: int
    open: int
    flagged: int
    not_open: int
    at_risk_not_open: int
    risk: float
    places: tuple[Shared, ...]
    persons_of_concern: tuple[Shared, ...]
    groups: tuple[Shared, ...]
    rank: int
    id: str
    member_names: tuple[str, ...] | None = None
    text: str | None = None

    def involves(self) -> tuple[str, ...]:
        """Every entity it names: its members, then the places, persons and groups they share."""
        shared = (*self.places, *self.persons_of_concern, *self.groups)
        return tuple(dict.fromkeys((*self.members, *(s.id for s in shared))))

    def to_json(self) -> Json:
        """The peer group as written."""
        out: Json = {
            "members": list(self.members),
            "size": self.size,
            "open": self.open,
            "flagged": self.flagged,
            "not_open": self.not_open,
            "at_risk_not_open": self.at_risk_not_open,
            "risk": self.risk,
            "places": [x.to_json() for x in self.places],
            "persons_of_concern": [x.to_json() for x in self.persons_of_concern],
            "groups": [x.to_json() for x in self.groups],
            "rank": self.rank,
            "id": self.id,
        }
        if self.member_names is not None:
            out["member_names"] = list(self.member_names)
        if self.text is not None:
            out["text"] = self.text
        return out


class PersonOfConcern(msgspec.Struct, frozen=True):
    """A person of concern ranked by reach, with the facts linking them to children and groups;
    once explained, their name, aliases and a sentence."""

    id: str
    locality: str | None
    children_linked: int
    children_linked_directly: int
    children_at_risk: int
    children_not_open: int
    peer_groups_bridged: int
    groups: tuple[str, ...]
    betweenness: float
    children: tuple[str, ...]
    evidence: tuple[Fact, ...]
    rank: int
    name: str | None = None
    aliases: tuple[str, ...] | None = None
    text: str | None = None

    def involves(self) -> tuple[str, ...]:
        """Every entity it names as given (the children linked are counted, not named): the person,
        the groups, the evidence's ends."""
        ends = (x for f in self.evidence for x in (f.source, f.target))
        return tuple(dict.fromkeys((self.id, *self.groups, *ends)))

    def to_json(self) -> Json:
        """The person as written."""
        out: Json = {
            "id": self.id,
            "locality": self.locality,
            "children_linked": self.children_linked,
            "children_linked_directly": self.children_linked_directly,
            "children_at_risk": self.children_at_risk,
            "children_not_open": self.children_not_open,
            "peer_groups_bridged": self.peer_groups_bridged,
            "groups": list(self.groups),
            "betweenness": self.betweenness,
            "children": list(self.children),
            "evidence": [f.to_json() for f in self.evidence],
            "rank": self.rank,
        }
        if self.name is not None:
            out["name"] = self.name
        if self.aliases is not None:
            out["aliases"] = list(self.aliases)
        if self.text is not None:
            out["text"] = self.text
        return out


class ChildChange(msgspec.Struct, frozen=True):
    """A child newly at risk, or at markedly higher risk: its score now and then."""

    id: str
    score: float
    before: float
    name: str | None = None

    def to_json(self) -> Json:
        """The change as written."""
        out: Json = {"id": self.id, "score": self.score, "before": self.before}
        if self.name is not None:
            out["name"] = self.name
        return out


class PersonChange(msgspec.Struct, frozen=True):
    """A person of concern new, or reaching more children: how many now and then."""

    id: str
    children_linked: int
    before: int
    new: bool
    name: str | None = None

    def to_json(self) -> Json:
        """The change as written."""
        out: Json = {"id": self.id, "children_linked": self.children_linked, "before": self.before, "new": self.new}
        if self.name is not None:
            out["name"] = self.name
        return out


class Named(msgspec.Struct, frozen=True):
    """An entity by id; once explained, with its name."""

    id: str
    name: str | None = None

    def to_json(self) -> str | Json:
        """The id alone, or once explained the id and the name."""
        return self.id if self.name is None else {"id": self.id, "name": self.name}


class TrackedChange(msgspec.Struct, frozen=True):
    """A tracking record dated since the changes' date: a missing episode, a step up or down the
    pathway, a disruption, a referral, a plan or an outcome review; once explained, the name of
    the entity it is about and the record in words."""

    id: str
    record: str
    subject: str
    subject_kind: str
    date: str | None
    what: str
    """The kind of record, or ``step_up`` / ``step_down`` for a move on the pathway."""
    name: str | None = None
    text: str | None = None

    def to_json(self) -> Json:
        """The change as written."""
        out: Json = {
            "id": self.id,
            "record": self.record,
            "subject": self.subject,
            "subject_kind": self.subject_kind,
            "date": self.date,
            "what": self.what,
        }
        if self.name is not None:
            out["name"] = self.name
        if self.text is not None:
            out["text"] = self.text
        return out


class Changes(msgspec.Struct, frozen=True):
    """What is new since a date: links, children at risk, hotspots and persons of concern."""

    since: str
    links: tuple[Fact, ...]
    children: tuple[ChildChange, ...]
    children_raised: tuple[ChildChange, ...]
    children_newly_open: tuple[Named, ...]
    children_newly_known: tuple[Named, ...]
    hotspots: tuple[Hotspot, ...]
    persons_of_concern: tuple[PersonChange, ...]
    tracking: tuple[TrackedChange, ...] = ()
    """Tracking records dated since: new missing episodes, steps up and down, disruptions..."""

    def involves(self) -> tuple[str, ...]:
        """Every entity it names, but for those a tracking record's fields name beside its subject
        (the record holds them: :attr:`~contextgraph.model.Tracked.involves`)."""
        ids = [x for f in self.links for x in (f.source, f.target)]
        ids += [x.id for xs in (self.children, self.children_raised) for x in xs]
        ids += [x.id for xs in (self.children_newly_open, self.children_newly_known) for x in xs]
        ids += [x.id for x in self.hotspots] + [x.id for x in self.persons_of_concern]
        ids += [t.subject for t in self.tracking]
        return tuple(dict.fromkeys(ids))

    def to_json(self) -> Json:
        """The changes as written (``tracking`` when there is any)."""
        out: Json = {
            "since": self.since,
            "links": [f.to_json() for f in self.links],
            "children": [x.to_json() for x in self.children],
            "children_raised": [x.to_json() for x in self.children_raised],
            "children_newly_open": [x.to_json() for x in self.children_newly_open],
            "children_newly_known": [x.to_json() for x in self.children_newly_known],
            "hotspots": [x.to_json() for x in self.hotspots],
            "persons_of_concern": [x.to_json() for x in self.persons_of_concern],
        }
        if self.tracking:
            out["tracking"] = [x.to_json() for x in self.tracking]
        return out


class Networks(msgspec.Struct, frozen=True):
    """The network half of an analysis: peer groups, persons of concern and changes, and the
    hotspots when they were computed with it (``None``: computed with the lists)."""

    peer_groups: tuple[PeerGroup, ...]
    persons_of_concern: tuple[PersonOfConcern, ...]
    changes: Changes | None
    hotspots: tuple[Hotspot, ...] | None = None


class Analysis(msgspec.Struct, frozen=True):
    """A whole analysis: its date and localities, the ranked children, peer groups, hotspots,
    persons of concern, and the changes since a date when one was asked for."""

    as_of: str | None
    localities: tuple[str, ...] | None
    known_children: int
    unopened_at_risk: tuple[AtRiskChild, ...]
    peer_groups: tuple[PeerGroup, ...] = ()
    hotspots: tuple[Hotspot, ...] = ()
    persons_of_concern: tuple[PersonOfConcern, ...] = ()
    changes: Changes | None = None

    def joined(self, part: Networks) -> Analysis:
        """This analysis with the network half ``part`` (and its hotspots, if it has them)."""
        return Analysis(
            self.as_of,
            self.localities,
            self.known_children,
            self.unopened_at_risk,
            part.peer_groups,
            self.hotspots if part.hotspots is None else part.hotspots,
            part.persons_of_concern,
            part.changes,
        )

    def to_json(self) -> Json:
        """The analysis as the command line writes it."""
        return {
            "as_of": self.as_of,
            "localities": None if self.localities is None else list(self.localities),
            "known_children": self.known_children,
            "unopened_at_risk": [c.to_json() for c in self.unopened_at_risk],
            "peer_groups": [g.to_json() for g in self.peer_groups],
            "hotspots": [h.to_json() for h in self.hotspots],
            "persons_of_concern": [x.to_json() for x in self.persons_of_concern],
            "changes": None if self.changes is None else self.changes.to_json(),
        }
