"""The mutations: notes ingested or recorded after review, queued facts decided, entities and
links written, places pinned, merges and splits, and erasure; each logged before it is made."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from ...ingest import review
from ...ingest.gazetteer import PLACE_KINDS, GazetteerError, pinned
from ...ingest.pipeline import ReviewError, decide_review, ingest_text
from ...ingest.writes import linkable, scope_tracking, sees_everything, stored_id
from ...interchange import InputError, entity_from_json, relationship_from_json
from ...model import REL_TYPES, Entity, Relationship, handling_code, service_id
from ...model.tracked import Tracked, check_rules
from ...model.tracking import TrackingError
from ...notes.parse import NoteError
from ...quoted import plain
from ...store import Filter, StoreError
from ...store.types import Reach
from ..audit import AuditError, said
from .context import Context, RequestError, note_checks, refused
from .query import queued
from .types.entities import EntityView, RelationshipView, ServiceCode, entity_view, rel_view
from .types.notes import NoteCommit, NoteEdits, commit_view, edits_of
from .types.tracking import TrackingRecordView, record_view
from .types.views import SavedViewType, check_state, saved_view, sees_as_much
from .types.writes import EntityInput, Erasure, IngestResult, LinkInput, QueuedFactView, queued_view

MAX_VIEW_STATE = 64 * 1024
"""The largest state of a saved view, as JSON."""
MAX_TRACKING = 1000
"""The most tracking records one ``recordTracking`` takes (an import takes more)."""


def _user_error(exc: Exception) -> RequestError:
    return RequestError(str(exc))


@strawberry.type
class Mutation:
    @strawberry.mutation(name="ingestNote", description="Ingest one meeting note's text into the graph.")
    def ingest_note(self, info: Info[Context, None], text: str, name: str = "note.md") -> IngestResult:
        ctx = info.context
        ctx.ready_to_write(notes=True)
        try:
            with ctx.acting({"graphql": "ingestNote", "name": name}):
                res = ingest_text(
                    ctx.store, text, name, ctx.who.user, check=ctx.note_locality, scope=ctx.scope(writing=True)
                )
        except (NoteError, StoreError) as exc:
            raise _user_error(exc) from exc
        return IngestResult(**{k: v for k, v in res.to_json().items() if k != "error"})

    @strawberry.mutation(
        name="noteCommit",
        description="Record a note as previewed (digest) with your edits, in one transaction under the note's "
        "source record. Refused whole, naming the edit's field, if any edit cannot be applied, or if what the note "
        "would record has changed since the preview (preview it again).",
    )
    def note_commit(
        self,
        info: Info[Context, None],
        text: str,
        digest: str,
        name: str = "note.md",
        edits: NoteEdits | None = None,
    ) -> NoteCommit:
        ctx = info.context
        note_checks(ctx, text)
        try:
            changes = edits_of(edits, ctx.written_id)
            with ctx.acting({"graphql": "noteCommit", "name": name}):
                out = review.commit(
                    ctx.store,
                    text,
                    name,
                    ctx.who.user,
                    ctx.scope(writing=True),
                    digest,
                    changes,
                    check=ctx.note_locality,
                )
        except review.ReviewError as exc:
            raise refused(ctx, exc.status, str(exc)) from None
        except (NoteError, StoreError) as exc:
            raise refused(ctx, 422, str(exc)) from None
        except RequestError as exc:
            status = 503 if "access log" in str(exc) else 403
            raise refused(ctx, status, f"{name}: {exc}") from None
        return commit_view(out, ctx.shown_id)

    @strawberry.mutation(
        name="decideFact",
        description="Accept a queued fact (it is written exactly as proposed, with its note as the source) or "
        "reject it (nothing is written), saying why.",
    )
    def decide_fact(self, info: Info[Context, None], id: strawberry.ID, accept: bool, reason: str) -> QueuedFactView:
        ctx = info.context
        ctx.ready_to_write(notes=True)
        ctx.in_names("the review queue")
        rid = str(id)
        # a fact of a note this user may not read is answered as one that does not exist
        if rid not in {it.id for it in queued(ctx, pending_only=False)}:
            raise RequestError(f"no queued fact {rid!r} in your localities")
        reason = reason_of(reason, "a decision on a queued fact")
        decision = "accept" if accept else "reject"
        try:
            with ctx.acting({"graphql": "decideFact", "review": rid, "decision": decision, "reason": reason}):
                decide_review(ctx.store, rid, decision, user=ctx.who.user, reason=reason, scope=ctx.scope(writing=True))
        except (ReviewError, StoreError) as exc:
            raise _user_error(exc) from exc
        (item,) = [it for it in queued(ctx, pending_only=False) if it.id == rid]
        return queued_view(item)

    @strawberry.mutation(name="upsertEntity", description="Create an entity or add facts to one of yours.")
    def upsert_entity(self, info: Info[Context, None], entity: EntityInput) -> EntityView:
        ctx = info.context
        ctx.ready_to_write()
        raw = {
            "id": ctx.written_id(entity.id),
            "kind": entity.kind.value,
            "name": entity.name,
            "aliases": entity.aliases or [],
            "dob": entity.dob,
            "locality": ctx.spelled(entity.locality),
            "lat": entity.lat,
            "lon": entity.lon,
            "properties": entity.properties or {},
            "source_ref": entity.source_ref,
            "date": entity.date,
            "grading": entity.grading,
        }
        try:
            e = entity_from_json({k: v for k, v in raw.items() if v is not None})
        except ValueError as exc:
            raise _user_error(exc) from exc
        flt = ctx.scope(writing=True)
        if e.kind == "service" and not sees_everything(flt):
            raise RequestError("services are shared by every locality; only an admin may change them")
        if not flt.node_ok(e.kind, e.locality):
            raise RequestError(f"field 'locality': {e.locality or 'none'} is not one of your localities")
        ctx.configured(e.locality)
        # an id the writer may not read is never theirs to change: their new record takes an id
        # of its locality's namespace, the same whether that id exists elsewhere or not
        try:
            e.id = stored_id(ctx.store, flt, e)
        except InputError as exc:
            raise _user_error(exc) from exc
        if flt.public_only and "C" in e.handling:
            raise RequestError(CLEARED_FOR_P)
        try:
            with ctx.acting({"graphql": "upsertEntity"}):
                ctx.store.upsert([e], [])
        except StoreError as exc:
            raise _user_error(exc) from exc
        got = ctx.store.get(e.id)
        assert got is not None
        return entity_view(got, ctx)

    @strawberry.mutation(description="Record a relationship between two entities of yours, as one source asserted it.")
    def link(self, info: Info[Context, None], link: LinkInput) -> RelationshipView:
        ctx = info.context
        ctx.ready_to_write()
        raw = {
            "type": link.type.value,
            "source": ctx.written_id(link.source),
            "target": ctx.written_id(link.target),
            "date": link.date,
            "source_ref": link.source_ref,
            "grading": link.grading,
        }
        return _write_link(ctx, raw, "link")

    @strawberry.mutation(name="recordService", description="Record that a child is open to a service.")
    def record_service(
        self,
        info: Info[Context, None],
        child: strawberry.ID,
        service: ServiceCode,
        date: str | None = None,
        source_ref: str | None = None,
    ) -> RelationshipView:
        ctx = info.context
        ctx.ready_to_write()
        code = service.value
        child_id = ctx.written_id(child)
        raw = {
            "type": "OPEN_TO",
            "source": child_id,
            "target": service_id(code),
            "date": date,
            "source_ref": source_ref,
        }
        _relationship(raw)  # a link refused is refused before anything is written
        who = ctx.linkable(child_id)
        if not REL_TYPES["OPEN_TO"].allows(who.kind, "service"):
            raise RequestError(
                f"field 'child': {child} is a {who.kind}, not a child; only a child is open to a service"
            )
        if ctx.store.get(service_id(code)) is None:  # a service of the vocabulary not yet held: made once
            with ctx.acting({"graphql": "recordService"}):
                ctx.store.upsert([Entity(service_id(code), "service", code)], [])
        return _write_link(ctx, raw, "recordService")

    @strawberry.mutation(
        name="placePin",
        description="Pin a place or school of yours where it is (lat, lon in WGS84 degrees), saying why: for a "
        "place the gazetteer does not locate, or locates wrongly.",
    )
    def place_pin(
        self, info: Info[Context, None], id: strawberry.ID, lat: float, lon: float, reason: str
    ) -> EntityView:
        ctx = info.context
        ctx.ready_to_write()
        e = ctx.changeable(ctx.written_id(id))
        reason = reason_of(reason, "a pin")
        if e.kind not in PLACE_KINDS:
            raise RequestError(f"{id} is a {e.kind}, not a place or school: only places are pinned")
        try:
            pin = pinned(e, lat, lon, reason, ctx.who.user)
            with ctx.acting({"graphql": "placePin", "reason": reason.strip()}):
                ctx.store.upsert([pin], [])
        except (GazetteerError, StoreError) as exc:
            raise _user_error(exc) from exc
        got = ctx.store.get(e.id)
        assert got is not None
        return entity_view(got, ctx)

    @strawberry.mutation(
        name="recordTracking",
        description="Record tracking records (docs/model.md lists each kind's fields), each one JSON object as a "
        "line of tracking.jsonl; recorded_by is you. Each entity a record names must be one of yours; the "
        "whole batch is refused, naming the record and field, if one is not. A record id you already hold "
        "is replaced.",
    )
    def record_tracking(self, info: Info[Context, None], records: list[JSON]) -> list[TrackingRecordView]:
        ctx = info.context
        ctx.ready_to_write()
        if not records:
            return []
        if len(records) > MAX_TRACKING:
            raise RequestError(f"at most {MAX_TRACKING} records at a time; import a file for more")
        flt = ctx.scope(writing=True)
        try:
            batch = [
                Tracked.from_json({**cast(dict[str, Any], r), "recorded_by": ctx.who.user}, f"records[{n}]")
                if isinstance(r, dict)
                else Tracked.from_json(r, f"records[{n}]")
                for n, r in enumerate(records)
            ]
        except TrackingError as exc:
            raise _user_error(exc) from exc
        # the records and entities a writer was given pseudonyms of, as the store holds them
        batch = [replace(t.renamed(ctx.written_id), id=ctx.written_id(t.id)) for t in batch]
        where: dict[str, str] = {}
        for n, t in enumerate(batch):
            if t.id in where:  # one request, one record of an id: a second is a mistake, not an update
                raise RequestError(f"records[{n}]: field 'id': {t.id!r} is also the id of {where[t.id]}")
            where[t.id] = f"records[{n}]"
            ctx.configured(t.locality, f"records[{n}]: ")
        named = {e for t in batch for _, e, _ in t.named()}
        theirs = linkable(ctx.store, flt, named)
        for t in batch:
            for name, eid, _ in t.named():
                if eid not in theirs:  # the same answer whether it exists elsewhere or not
                    raise RequestError(f"{where[t.id]}: field {name!r}: no entity {eid!r} in your localities")
        try:
            scoped = scope_tracking(ctx.store, flt, batch, where) if not sees_everything(flt) else batch
            first: dict[str, int] = {}
            for n, t in enumerate(scoped):  # two records that are one once in the writer's namespace
                if first.setdefault(t.id, n) != n:
                    raise RequestError(f"records[{n}]: field 'id': it is also the id of records[{first[t.id]}]")
                check_rules(
                    t, f"records[{n}]"
                )  # again, each entity as the store holds it (a child not missing with themselves)
            with ctx.acting({"graphql": "recordTracking"}):
                ctx.store.record_tracking(
                    scoped, {t.id: where.get(o.id, "") for t, o in zip(scoped, batch, strict=True)}
                )
        except (InputError, TrackingError, StoreError) as exc:
            raise _user_error(exc) from exc
        held = ctx.store.tracked([t.id for t in scoped])
        notes = ctx.note_refs() if ctx.who.by_initials else None  # as the timeline shows them to this reader
        return [record_view(ctx, held[t.id] if notes is None else held[t.id].for_initials(notes)) for t in scoped]

    @strawberry.mutation(description="Judge two entities of yours to be one (a split undoes it).")
    def merge(self, info: Info[Context, None], a: strawberry.ID, b: strawberry.ID, reason: str) -> EntityView:
        ctx = info.context
        ctx.ready_to_write()
        a, b = strawberry.ID(ctx.written_id(a)), strawberry.ID(ctx.written_id(b))
        for x in (a, b):
            ctx.changeable(str(x))
        reason = reason_of(reason, "a merge")
        try:
            with ctx.acting({"graphql": "merge", "reason": reason}):
                into = ctx.store.merge(str(a), str(b), user=ctx.who.user, reason=reason)
        except StoreError as exc:
            raise _user_error(exc) from exc
        got = ctx.store.get(into)
        assert got is not None
        return entity_view(got, ctx)

    @strawberry.mutation(description="Undo a merge: both entities come back with their own facts.")
    def split(self, info: Info[Context, None], a: strawberry.ID, b: strawberry.ID, reason: str) -> list[EntityView]:
        ctx = info.context
        ctx.ready_to_write()
        a, b = strawberry.ID(ctx.written_id(a)), strawberry.ID(ctx.written_id(b))
        for x in (a, b):
            ctx.changeable(str(x))
        reason = reason_of(reason, "a split")
        try:
            with ctx.acting({"graphql": "split", "reason": reason}):
                ctx.store.split(str(a), str(b), user=ctx.who.user, reason=reason)
        except StoreError as exc:
            raise _user_error(exc) from exc
        return [entity_view(e, ctx) for e in ctx.store.get_many([str(a), str(b)]).values()]

    @strawberry.mutation(
        name="saveView",
        description="Save a view of the mapping page by name for a locality of yours (any role): its state as the "
        "page gives it, at most 64 KB of JSON. Shared, the others of the locality may open it.",
    )
    def save_view(
        self, info: Info[Context, None], name: str, locality: str, state: JSON, shared: bool = False
    ) -> SavedViewType:
        ctx = info.context
        locality = ctx.locality(locality)  # one of theirs
        name = plain(name, "name", error=RequestError).strip()
        if not 1 <= len(name) <= 100:
            raise RequestError("name must be 1 to 100 characters")
        if not isinstance(state, dict):
            raise RequestError("state must be a JSON object")
        if len(json.dumps(state)) > MAX_VIEW_STATE:
            raise RequestError(f"state is larger than {MAX_VIEW_STATE // 1024} KB")
        stored = check_state(ctx, state)
        try:
            ctx.log.ready()
            with ctx.acting({"graphql": "saveView", "locality": locality}):
                places = None if ctx.who.everywhere else tuple(ctx.who.localities)
                reach = Reach(ctx.who.role, ctx.who.clearance, places)
                v = ctx.store.save_view(name, ctx.who.user, locality, stored, shared, reach)
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing was saved") from exc
        return saved_view(v, ctx)

    @strawberry.mutation(name="deleteView", description="Remove a view you saved.")
    def delete_view(self, info: Info[Context, None], id: strawberry.ID) -> bool:
        ctx = info.context
        # their own, saved under a reach no wider than the one they ask with
        mine = [
            v for v in ctx.store.saved_views() if v.id == str(id) and v.user == ctx.who.user and sees_as_much(ctx, v)
        ]
        if not mine:  # another's view answers as one that does not exist
            raise RequestError(f"no saved view {str(id)!r} of yours")
        try:
            ctx.log.ready()
            with ctx.acting({"graphql": "deleteView"}):
                ctx.store.delete_view(str(id))
        except AuditError as exc:
            raise RequestError("the access log cannot be written; nothing was changed") from exc
        return True

    @strawberry.mutation(name="eraseSubject", description="Erase a person and their facts (admin only).")
    def erase_subject(self, info: Info[Context, None], id: strawberry.ID, reason: str) -> Erasure:
        ctx = info.context
        ctx.allow(ctx.rules.may_erase, "erasure")
        ctx.ready_to_write()
        reason = reason_of(reason, "erasure")
        try:  # the record names the erasure, never the person erased
            with ctx.acting({"graphql": "eraseSubject", "reason": reason}):
                rec = ctx.store.erase(ctx.written_id(id), user=ctx.who.user, reason=reason)
        except StoreError as exc:
            raise _user_error(exc) from exc
        return Erasure(id=strawberry.ID(rec.id), entities=rec.entities, relationships=rec.relationships)


def _relationship(raw: dict[str, Any]) -> Relationship:
    try:
        return relationship_from_json({k: v for k, v in raw.items() if v is not None})
    except ValueError as exc:
        raise _user_error(exc) from exc


CLEARED_FOR_P = (
    "field 'grading': handling code C; you are cleared for P only, and may write only what you may read: "
    "nothing was written"
)


def _write_link(ctx: Context, raw: dict[str, Any], what: str) -> RelationshipView:
    r = _relationship(raw)
    flt = ctx.scope(writing=True)
    if flt.public_only and handling_code(r.assertions[0].grading) != "P":
        raise RequestError(CLEARED_FOR_P)
    ends = [ctx.linkable(x) for x in (r.source, r.target)]
    if not REL_TYPES[r.type].allows(ends[0].kind, ends[1].kind):
        raise RequestError(f"field 'type': {r.type} cannot link a {ends[0].kind} to a {ends[1].kind}")
    try:
        with ctx.acting({"graphql": what, "type": r.type}):
            ctx.store.upsert([], [r])
    except StoreError as exc:
        raise _user_error(exc) from exc
    sub = ctx.store.neighbourhood(ends[0].id, 1, Filter.of(types=[r.type], handling=flt.handling))
    for got in sub.edges:
        if {got.source, got.target} == {ends[0].id, ends[1].id}:
            return rel_view(got, ctx)
    raise RequestError("the relationship was written but is graded beyond what you may see")


def reason_of(reason: str, what: str) -> str:
    """A writer's reason for ``what``, as given: refused when it says nothing, or holds a control
    character other than a tab or a line break (the access log and the judgements keep it)."""
    if not reason.strip():
        raise RequestError(f"{what} needs its reason")
    return said(reason, "reason", RequestError, free=True)
