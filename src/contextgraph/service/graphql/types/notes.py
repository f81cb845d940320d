"""A note reviewed before it is recorded: its preview, the edits sent back, and what was written."""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import strawberry
from strawberry.scalars import JSON

from ....ingest import review, shown
from .entities import ENTITY_KIND, REL_TYPE, EntityKind, RelationshipType, ServiceCode
from .writes import IngestResult


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
    tracking: JSON = strawberry.field(
        description="Tracking records the note states (a missing episode, a CAWN, a referral...), naming the "
        "preview's entities, each with text (in words) and evidence (its sentence's span); written with the note."
    )


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


def edits_of(edits: NoteEdits | None, stored: Callable[[str], str]) -> review.Edits:
    """The edits as review takes them, a record of the writer's given by ``stored`` (a pseudonym read back)."""
    if edits is None:
        return review.Edits()

    def end(e: NoteEndInput) -> review.End:
        return review.End(
            str(e.proposed) if e.proposed else None,
            stored(str(e.existing)) if e.existing else None,
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
        merge=[(str(m.entity), stored(str(m.into)) if m.into else None) for m in edits.merge or []],
        remove_links=[str(x) for x in edits.remove_links or []],
        add_links=added,
    )


def _record_view(r: shown.Record, shown_id: Callable[[str], str]) -> NoteRecord:
    return NoteRecord(id=strawberry.ID(shown_id(r.id)), kind=ENTITY_KIND(r.kind), name=r.name, locality=r.locality)


def preview_view(p: shown.Preview, shown_id: Callable[[str], str]) -> NotePreview:
    """A note's preview, as shown: the writer's records by their ids as ``shown_id`` gives them."""
    return NotePreview(
        name=p.name,
        text=p.text,
        digest=p.digest,
        source_ref=p.source_ref,
        recorded=p.recorded,
        kind=p.kind,
        date=p.date,
        locality=p.locality,
        entities=[
            ProposedEntity(
                id=strawberry.ID(e.id),
                kind=ENTITY_KIND(e.kind),
                name=e.name,
                aliases=list(e.aliases),
                dob=e.dob,
                mentions=[list(m) for m in e.mentions],
                confidence=e.confidence,
                outcome=e.outcome,
                existing=_record_view(e.existing, shown_id) if e.existing else None,
                candidates=[_record_view(c, shown_id) for c in e.candidates],
            )
            for e in p.entities
        ],
        links=[
            ProposedLink(
                id=strawberry.ID(r.id),
                type=REL_TYPE(r.type),
                source=strawberry.ID(shown_id(r.source)),
                target=strawberry.ID(shown_id(r.target)),
                date=r.date,
                grading=r.grading,
                evidence=None if r.evidence is None else list(r.evidence),
                confidence=r.confidence,
            )
            for r in p.links
        ],
        queued=None if p.queued is None else cast(JSON, p.queued),
        tracking=cast(JSON, list(p.tracking)),
    )


def commit_view(out: shown.Committed, shown_id: Callable[[str], str]) -> NoteCommit:
    """What recording a reviewed note did, as shown, the records written by their ids as ``shown_id`` gives them."""
    return NoteCommit(
        result=IngestResult(**{k: v for k, v in out.result.to_json().items() if k != "error"}),
        entities=[
            WrittenEntity(
                id=strawberry.ID(e.id),
                stored=strawberry.ID(shown_id(e.stored)),
                kind=ENTITY_KIND(e.kind),
                name=e.name,
                merged=e.merged,
            )
            for e in out.entities
        ],
        links=[
            WrittenLink(
                id=strawberry.ID(r.id),
                type=REL_TYPE(r.type),
                source=strawberry.ID(shown_id(r.source)),
                target=strawberry.ID(shown_id(r.target)),
            )
            for r in out.links
        ],
    )
