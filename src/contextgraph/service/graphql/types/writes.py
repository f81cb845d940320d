"""What writes answer (an ingested note, a queued fact, an erasure) and what they take as input."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from ....ingest.queue import ReviewItem
from .entities import EntityKind, RelationshipType


@strawberry.type(description="What ingesting one note did.")
class IngestResult:
    file: str
    source_ref: str | None
    status: str
    created: int
    matched: int
    queued: int = strawberry.field(description="Mentions left for review rather than merged.")
    facts_queued: int = strawberry.field(
        description="Entities and relationships below the confidence threshold: not written, queued for review."
    )
    relationships_added: int
    relationships_updated: int
    tracked: int = strawberry.field(
        description="Tracking records the note states (a missing episode, a CAWN, a referral...), written with it."
    )


@strawberry.type(
    name="QueuedFact",
    description="A fact extraction found below the confidence threshold: not written, waiting for a person "
    "who may read its note to accept (write it as proposed) or reject it.",
)
class QueuedFactView:
    id: strawberry.ID
    fact: str = strawberry.field(description="The proposed entity or relationship, in words.")
    kind: str = strawberry.field(description="The entity's kind, or relationship.")
    confidence: float
    how: str = strawberry.field(description="The rule that found it.")
    sentence: str = strawberry.field(description="The sentence or table row it was read from.")
    source: str = strawberry.field(description="The note's source ref.")
    locality: str | None
    status: str = strawberry.field(description="pending, accepted or rejected.")


def queued_view(it: ReviewItem) -> QueuedFactView:
    return QueuedFactView(
        id=strawberry.ID(it.id),
        fact=it.name,
        kind=it.entity_kind or "relationship",
        confidence=it.confidence or 0.0,
        how=it.how or "",
        sentence=it.sentence,
        source=it.source_ref,
        locality=it.locality,
        status=it.status,
    )


@strawberry.type(description="An erasure: counts only, never what was erased.")
class Erasure:
    id: strawberry.ID
    entities: int
    relationships: int


@strawberry.input(description="An entity to create or add facts to (the interchange format's fields).")
class EntityInput:
    id: strawberry.ID
    kind: EntityKind
    name: str
    aliases: list[str] | None = None
    dob: str | None = None
    locality: str | None = None
    lat: float | None = None
    lon: float | None = None
    properties: JSON | None = None
    source_ref: str | None = None
    date: str | None = None
    grading: str | None = None


@strawberry.input(description="A relationship as one source asserted it.")
class LinkInput:
    type: RelationshipType
    source: strawberry.ID
    target: strawberry.ID
    date: str | None = None
    source_ref: str | None = None
    grading: str | None = None
