"""Tracking records as shown: a record of a kind built from the model, in words, with only what
the reader may see (their localities and clearance; for a reader of initials, no free text)."""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

import strawberry
from strawberry.scalars import JSON

from ....analysis import results
from ....ingest.writes import linkable
from ....model import initials
from ....model.timeline import Step, describe, steps
from ....model.tracked import Tracked
from ....model.tracking import RECORD_KINDS
from ..context import Context

_built: Any = enum.Enum("RecordKind", [(k.upper(), k) for k in RECORD_KINDS])  # type: ignore[misc]
RECORD_KIND = strawberry.enum(_built, description="A kind of tracking record")
if TYPE_CHECKING:
    RecordKind = Any
else:
    RecordKind = RECORD_KIND


@strawberry.type(
    name="TrackingRecord",
    description="What happened to a child, a place or a group: a missing episode, a referral, a risk "
    "assessment, a plan, a disruption, an outcome review or a spell open to a service.",
)
class TrackingRecordView:
    id: strawberry.ID
    record: RecordKind
    subject: strawberry.ID = strawberry.field(description="The entity it is about.")
    date: str = strawberry.field(description="When it happened: a date, or a date and time.")
    source: str = strawberry.field(description="The note or form it was recorded from.")
    recorded_by: str
    locality: str | None
    grading: str | None
    fields: JSON = strawberry.field(description="Its kind's own fields, as recorded (docs/model.md lists them).")
    involves: list[strawberry.ID] = strawberry.field(description="Every entity it names that you may see.")
    text: str = strawberry.field(description="The record in words.")


@strawberry.type(name="PathwayStep", description="A move on the risk pathway, read from a child's assessments.")
class PathwayStepView:
    day: str
    before: str | None
    after: str
    direction: str = strawberry.field(description="first, up, down or same.")
    record: strawberry.ID


@strawberry.type(name="TrackingMonth", description="How many tracking records of a kind fall in a month.")
class TrackingMonthView:
    month: str = strawberry.field(description="The month, as YYYY-MM.")
    record: RecordKind
    count: int


def shown_records(ctx: Context, eid: str, kind: str) -> list[Tracked]:
    """The tracking records naming ``eid`` (an entity of ``kind`` the reader sees) that the reader
    may see, as they may see them, in date order; none when their role does not read records
    about that kind of entity."""
    if kind not in ctx.rules.tracking_about:
        return []
    return visible_records(ctx, ctx.store.timeline(eid))


def visible_records(ctx: Context, records: list[Tracked]) -> list[Tracked]:
    """Those of ``records`` the reader may see, as they may see them: about an entity of a kind
    their role reads records about, in their localities and clearance, with the entities they do
    not see taken out (and, for a reader of initials, no free text)."""
    about = ctx.rules.tracking_about
    if not about or not records:
        return []
    flt = ctx.scope()
    names = {i for t in records for i in t.involves}
    seen = set(linkable(ctx.store, flt, names))
    subjects = ctx.store.get_many({t.subject for t in records})
    out = []
    for t in records:
        shown = flt.tracking_ok(t, seen.__contains__)
        if shown is None:
            continue
        subject = subjects.get(shown.subject)
        if subject is None or subject.kind not in about:
            continue
        out.append(shown.for_initials(ctx.note_refs()) if ctx.who.by_initials else shown)
    return out


def by_month(records: list[Tracked]) -> list[TrackingMonthView]:
    """Records counted by month and kind, oldest month first."""
    n = Counter((t.date[:7], t.record) for t in records)
    return [TrackingMonthView(month=m, record=RECORD_KIND(k), count=c) for (m, k), c in sorted(n.items())]


WITHHELD_SOURCE = "(withheld: a file name can name a child)"
"""A record's source as a reader who does not see the file names of notes is shown it."""


def record_view(ctx: Context, t: Tracked) -> TrackingRecordView:
    labels = ctx.scope().shown_many(ctx.store.get_many(t.involves))
    shown_id = ctx.shown_id

    def name_of(i: str) -> str:
        e = labels.get(i)
        if e is None:
            return shown_id(i)
        return initials(e.name) if e.kind in ctx.who.by_initials else e.name

    given = t.renamed(shown_id) if ctx.who.by_initials else t  # the entities its fields name, as given
    return TrackingRecordView(
        id=strawberry.ID(shown_id(t.id)),
        record=RECORD_KIND(t.record),
        subject=strawberry.ID(shown_id(t.subject)),
        date=t.date,
        source=t.source if ctx.rules.sees_source_files else WITHHELD_SOURCE,
        recorded_by=t.recorded_by,
        locality=t.locality,
        grading=t.grading,
        fields=cast(JSON, dict(given.fields)),
        involves=[strawberry.ID(shown_id(i)) for i in t.involves],
        text=describe(t, name_of),
    )


def step_views(records: list[Tracked], shown_id: Callable[[str], str]) -> list[PathwayStepView]:
    return [_step(s, shown_id) for s in steps(records)]


def _step(s: Step, shown_id: Callable[[str], str]) -> PathwayStepView:
    return PathwayStepView(
        day=s.day, before=s.before, after=s.after, direction=s.direction, record=strawberry.ID(shown_id(s.record))
    )


def changes_named(ctx: Context, ch: results.Changes) -> list[str]:
    """The entities the changes name as ``ctx``'s reader is shown them (:func:`changes_view`),
    with those each tracking record shown names beside its subject."""
    about = ctx.rules.tracking_about
    shown = [t for t in ch.tracking if t.subject_kind in about]
    records = visible_records(ctx, list(ctx.store.tracked([t.id for t in shown]).values()))
    named = [x for t in records for x in t.involves]
    if ctx.rules.child_lists:
        return [*ch.involves(), *named]
    hot = [x.id for x in ch.hotspots] + [x.id for x in ch.persons_of_concern]
    return [*hot, *(t.subject for t in shown), *named]
