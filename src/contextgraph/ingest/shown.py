"""What a note's review shows before anything is written (:func:`~contextgraph.ingest.review.preview`)
and what its commit wrote (:func:`~contextgraph.ingest.review.commit`), as typed, frozen records.

``to_json()`` gives the entities and links shown as the preview's digest sums them up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..model import Entity
from .pipeline import NoteResult

Outcome = Literal["match", "review", "new"]
"""How a note's entity would be recorded: filed under a record the writer may read (match), as a
new record with possible matches left for review (review), or as a new record (new)."""


@dataclass(frozen=True, slots=True)
class Record:
    """A record of the writer's that a note's entity would be, or may be, filed under."""

    id: str
    kind: str
    name: str
    locality: str | None

    @classmethod
    def of(cls, e: Entity) -> Record:
        return cls(e.id, e.kind, e.name, e.locality)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "name": self.name, "locality": self.locality}


@dataclass(frozen=True, slots=True)
class ProposedEntity:
    """An entity a note would record, as read from its text: its id in the preview (``e1``...),
    the ``[start, end)`` spans naming it, and the record it would be filed under."""

    id: str
    kind: str
    name: str
    aliases: tuple[str, ...]
    dob: str | None
    mentions: tuple[tuple[int, int], ...]
    confidence: float | None
    outcome: Outcome
    existing: Record | None
    candidates: tuple[Record, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "name": self.name,
            "aliases": list(self.aliases),
            "dob": self.dob,
            "mentions": [list(m) for m in self.mentions],
            "confidence": self.confidence,
            "outcome": self.outcome,
            "existing": self.existing.to_json() if self.existing else None,
            "candidates": [c.to_json() for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class ProposedLink:
    """A relationship a note would record: its id in the preview (``r1``...), its ends (entities
    of the preview, or a service), and the ``[start, end)`` span it was read from."""

    id: str
    type: str
    source: str
    target: str
    date: str | None
    grading: str | None
    evidence: tuple[int, ...] | None
    confidence: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "target": self.target,
            "date": self.date,
            "grading": self.grading,
            "evidence": None if self.evidence is None else list(self.evidence),
            "confidence": self.confidence,
        }


@dataclass(frozen=True, slots=True)
class Preview:
    """Everything a note would record for a writer, before anything is written; ``digest`` sums
    up what is shown, for :func:`commit` to check it is still so."""

    name: str
    text: str
    digest: str
    source_ref: str | None
    recorded: str | None
    """The source ref of this same note, if already recorded."""
    kind: str
    date: str | None
    locality: str | None
    entities: tuple[ProposedEntity, ...]
    links: tuple[ProposedLink, ...]
    queued: dict[str, Any] | None
    """What the extraction held back below the confidence threshold, as it gives it."""
    tracking: tuple[dict[str, Any], ...] = ()
    """The tracking records the note states, as lines naming the preview's entities, each with
    ``text`` (the record in words) and ``evidence`` (the span of its sentence)."""


@dataclass(frozen=True, slots=True)
class WrittenEntity:
    """An entity a reviewed note recorded: its id in the preview and the record written."""

    id: str
    stored: str
    kind: str
    name: str
    merged: bool


@dataclass(frozen=True, slots=True)
class WrittenLink:
    """A relationship a reviewed note recorded (``a1``, ``a2``... for links added on review)."""

    id: str
    type: str
    source: str
    target: str


@dataclass(frozen=True, slots=True)
class Committed:
    """What recording a reviewed note did."""

    result: NoteResult
    entities: tuple[WrittenEntity, ...] = ()
    links: tuple[WrittenLink, ...] = ()
