"""The contextgraph vocabulary, defined once.

Entity kinds, relationship types (with the kinds they may join and whether they
are symmetric), service codes, gradings and meeting kinds are data here. Neo4j
labels, relationship types, GraphQL enums and the tables in ``docs/`` are derived
from these definitions and never typed anywhere else.

The names are those of the shared vocabulary (``spec/vocabulary.md``). The kinds, types,
services and meeting kinds are in :mod:`.vocabulary`, gradings in :mod:`.grading`, and the
records of the graph in :mod:`.records`; every name is imported from here.
"""

from __future__ import annotations

from .grading import (
    GRADE_CODES,
    HANDLING_CODES,
    INTELLIGENCE_ASSESSMENTS,
    SOURCE_EVALUATIONS,
    Grading,
    GradingError,
    grade_code,
    handling_code,
    normalise_grading,
    strongest_grading,
)
from .records import (
    NO_DAY,
    WITHHELD,
    WITHHELD_REF,
    Assertion,
    Entity,
    Relationship,
    canonical_pair,
    day,
    flagged,
    initials,
    iso_day,
    parse_date,
    shown_refs,
    under_p,
)
from .vocabulary import (
    ENTITY_LABEL,
    GAZETTEER_LABELS,
    IDENTIFYING,
    KIND_CODES,
    KINDS,
    MEETING_KINDS,
    REL_TYPES,
    SERVICES,
    TRACKING_LABELS,
    TYPE_CODES,
    Kind,
    MeetingKind,
    RelType,
    Service,
    service_id,
)

__all__ = [
    "ENTITY_LABEL",
    "GAZETTEER_LABELS",
    "GRADE_CODES",
    "HANDLING_CODES",
    "IDENTIFYING",
    "INTELLIGENCE_ASSESSMENTS",
    "KINDS",
    "KIND_CODES",
    "MEETING_KINDS",
    "NO_DAY",
    "REL_TYPES",
    "SERVICES",
    "SOURCE_EVALUATIONS",
    "TRACKING_LABELS",
    "TYPE_CODES",
    "WITHHELD",
    "WITHHELD_REF",
    "Assertion",
    "Entity",
    "Grading",
    "GradingError",
    "Kind",
    "MeetingKind",
    "RelType",
    "Relationship",
    "Service",
    "canonical_pair",
    "day",
    "flagged",
    "grade_code",
    "handling_code",
    "initials",
    "iso_day",
    "normalise_grading",
    "parse_date",
    "service_id",
    "shown_refs",
    "strongest_grading",
    "under_p",
]
