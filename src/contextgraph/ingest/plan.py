"""A note planned before anything is written: its mentions resolved against the store (within what
the writer may read), its facts built with the note's source, and what is left for review."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ..localities import Localities
from ..model import WITHHELD, Assertion, Entity, Relationship, handling_code, service_id
from ..model.tracked import Tracked
from ..model.tracking import RECORD_KINDS
from ..notes.extract import extract_parsed
from ..notes.parse import parse_note
from ..notes.record import tracked_names
from ..notes.units import ParsedNote
from ..store import Filter, Store, StoreError
from .gazetteer import PLACE_KINDS, locate
from .resolve import Decision, Mention, decide, review_item

ID_PREFIX = {"child": "c", "person_of_concern": "p", "location": "l", "school": "s", "group": "g"}


@dataclass(slots=True)
class NoteResult:
    """What one note did to the graph."""

    file: str
    source_ref: str | None = None
    status: str = "ingested"  # "ingested", "unchanged" or "failed"
    error: str | None = None
    created: int = 0
    matched: int = 0
    queued: int = 0
    facts_queued: int = 0  # entities and relationships below the confidence threshold, left for review
    relationships_added: int = 0
    relationships_updated: int = 0
    tracked: int = 0  # tracking records the note states (a missing episode, a referral...)
    tracking: list[Tracked] = field(default_factory=list)
    """The tracking records themselves, to be written with the note's facts."""

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if k != "tracking"}


def come(day: str | None) -> str | None:
    """A fact's own date if it has come (tomorrow at the latest, as :func:`~contextgraph.model.parse_date`
    allows), else None: the fact is then dated by its meeting, the day it was told (a mistyped year
    would make it look years fresher than any other, and could not be imported back).

    >>> come("2024-03-02"), come("2999-03-02"), come(None)
    ('2024-03-02', None, None)
    """
    latest = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    return day if day and day <= latest else None


def source_ref(kind: str, locality: str | None, day: str | None, digest: str) -> str:
    """A note's source ref: readable, and unique by content.

    Sixteen hex digits of the content's digest (64 bits): two notes given one ref would be filed
    as one, so no one can write a note that takes another's ref by trying variants of its text.

    >>> source_ref("MACE", "Hillcrest", "2024-03-14", "ab12cd34ef56ab78cd90")
    'mace-hillcrest-2024-03-14-ab12cd34ef56ab78'
    """
    return f"{kind.lower()}-{(locality or 'all').lower()}-{day or 'undated'}-{digest[:16]}"


def content_digest(text: str) -> str:
    """The SHA-256 of a note's text as read: without a byte-order mark, its line breaks as one,
    and what trails its last line — the same note saved by another editor is the same note.

    >>> content_digest("# MACE\\r\\nDate: 1/2/2024\\r\\n\\r\\n") == content_digest("\\ufeff# MACE\\nDate: 1/2/2024")
    True
    """
    as_read = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").rstrip()
    return hashlib.sha256(as_read.encode()).hexdigest()


def digests(text: str) -> tuple[str, str]:
    """The note's :func:`content_digest`, and that of its text as given, which notes recorded
    before the first was kept are known by."""
    return content_digest(text), hashlib.sha256(text.encode()).hexdigest()


def _new_id(store: Store, kind: str, ref: str, local: str) -> str:
    """The id of an entity a note names for the first time: a digest of the note's ref and the
    mention, never one the store holds already (a new entity is never filed onto another's
    record), the same for the same note read again."""
    for n in range(100):
        salt = f"/{n}" if n else ""
        eid = f"{ID_PREFIX[kind]}-{hashlib.sha256(f'{ref}/{local}{salt}'.encode()).hexdigest()[:12]}"
        if not store.existing([eid]):
            return eid
    raise StoreError(f"no free id for a new {kind} of note {ref}")  # pragma: no cover - 100 digests taken


def _candidates(store: Store, kind: str, forms: Iterable[str], scope: Filter | None = None) -> list[Entity]:
    """Entities of ``kind`` named by any of ``forms``; with ``scope``, only those it lets a reader see."""
    found: dict[str, Entity] = {}
    localities = scope.localities if scope else None
    handling = scope.handling if scope else None
    for f in forms:
        for e, _score in store.search(
            f, kinds=[kind], localities=localities, limit=10, threshold=0.999, handling=handling
        ):
            found.setdefault(e.id, e)
    return list(found.values())


def _said_under_p(e: Entity, known_as: str) -> Entity | None:
    """What a note's entity tells readers cleared for P: all it says when only statements under P
    name it, only its name and source when statements under both codes do; under the name those
    readers know it by (``known_as``), never one said only under C.

    >>> e = Entity("c-1", "child", "Kyle James Benson", aliases=["Benno"], sources=["n2"], handling=["P"])
    >>> _said_under_p(e, "Benno").name, _said_under_p(e, "Benno").aliases
    ('Benno', [])
    >>> e.handling = ["C", "P"]
    >>> _said_under_p(e, "Benno").aliases, _said_under_p(e, "Benno").sources
    ([], ['n2'])
    """
    if "P" not in e.handling or ("C" not in e.handling and known_as == e.name):
        return None  # nothing under P, or the whole assertion is theirs as it stands
    if "C" in e.handling:
        return Entity(
            e.id,
            e.kind,
            known_as,
            locality=e.locality,
            sources=list(e.sources),
            first_seen=e.first_seen,
            last_seen=e.last_seen,
            handling=["P"],
        )
    aliases = [a for a in dict.fromkeys(e.aliases) if a != known_as]  # the note's own forms, not the record's name
    return replace(e, name=known_as, aliases=aliases, handling=["P"], open=None)


def _as_read(e: Entity | None, scope: Filter | None) -> Entity | None:
    """A stored entity as the writer may read it: what statements under P alone say of it, for one
    cleared for P only (their note never repeats a name said only under C)."""
    if e is None or scope is None or not scope.public_only:
        return e
    return e.cleared_for_p()


def plan_note(
    store: Store,
    text: str,
    path: str,
    user: str,
    scope: Filter | None = None,
    local_services: dict[str, str] | None = None,
    localities: Localities | None = None,
    parsed: ParsedNote | None = None,
    doc: dict[str, Any] | None = None,
    chosen: dict[str, str | None] | None = None,
    trace: dict[str, tuple[Decision, str]] | None = None,
) -> tuple[NoteResult, list[Entity], list[Relationship], list[tuple[str, dict[str, Any]]]]:
    """Everything one note would write, resolved against the store, without writing it.

    With ``scope`` (what the writer may read), a mention is matched only to an entity within
    it. A likely match outside it is never merged and never told to the writer: the mention
    becomes a new entity and a review item, kept for someone who may see both, records the
    candidates (it is not counted in the note's ``queued``). The note's locality is read
    against ``localities`` (default: the store's); ``parsed``: the note already parsed.

    For a note reviewed before it is recorded (:mod:`contextgraph.ingest.review`): ``doc`` is the
    extraction to plan (default: the note's own); ``chosen`` maps an entity of it to the record
    the writer merges it into (one they may change), or to None for a new record; ``trace``
    receives each entity's decision and the id it is written under."""
    if doc is None:
        note = parsed or parse_note(text, path, store.localities() if localities is None else localities)
        doc = extract_parsed(note, local_services).to_json()
    digest = content_digest(text)
    meeting = doc["meeting"]
    ref = source_ref(meeting["kind"], meeting["locality"], meeting["date"], digest)
    result = NoteResult(Path(path).name, ref)
    day = meeting["date"]
    entities: list[Entity] = []
    records: list[tuple[str, dict[str, Any]]] = []
    ids: dict[str, str] = {}
    queued = doc.get("queued") or {"entities": [], "relationships": []}
    held: dict[str, Entity] = {}  # the proposed entity of each queued entity, by its id in the document
    p_names: dict[str, str] = {}  # the name readers cleared for P know each matched entity by
    held_review: dict[str, str] = {}  # and its review item
    for d in doc["entities"] + queued["entities"]:
        kind = d["kind"]
        proposal = "sentence" in d
        m = Mention(kind, d["name"], list(d.get("aliases", [])), d.get("dob"), meeting["locality"], day)
        decision: Decision
        if chosen is not None and d["id"] in chosen:
            into = chosen[d["id"]]
            got = _as_read(store.get(into), scope) if into else None
            inside = [got] if got else []
            decision = Decision("match", into, [into]) if into else Decision("new")
        else:
            inside = _candidates(store, kind, [m.name, *m.aliases], scope)
            decision = decide(m, inside)
        far = None if proposal else _outside(store, m, inside, scope)
        props: dict[str, Any] = {}
        if d.get("postcode"):
            props["postcode"] = d["postcode"]
        existing = (
            _as_read(store.get(decision.entity), scope) if decision.outcome == "match" and decision.entity else None
        )
        where = None
        if kind in PLACE_KINDS and (existing is None or existing.lat is None):
            where = locate(store, m.name, d.get("postcode"), meeting["locality"])
            if where is not None:
                props["located_by"] = where.by
        lat, lon = (where.lat, where.lon) if where else (None, None)
        matched = decision.outcome == "match" and bool(decision.entity)
        if matched:
            eid = str(decision.entity)
            # a name withheld from this writer (or from readers cleared for P) is not a name: the
            # note's own stands for it
            known = existing.name if existing and existing.name != WITHHELD else None
            name, aliases = known or m.name, [m.name, *m.aliases]
            under_p = existing.said_under_p() if existing else None
            p_names[eid] = under_p.name if under_p is not None and under_p.name != WITHHELD else m.name
            locality = (existing.locality if existing else None) or meeting["locality"]
        else:
            eid = _new_id(store, kind, ref, d["id"])
            name, aliases, locality = m.name, list(m.aliases), meeting["locality"]
        ids[d["id"]] = eid
        if trace is not None:
            trace[d["id"]] = (decision, eid)
        ent = Entity(
            eid,
            kind,
            name,
            aliases=aliases,
            dob=m.dob,
            locality=locality,
            lat=lat,
            lon=lon,
            properties=props,
            sources=[ref],
            first_seen=day,
            last_seen=day,
        )
        if proposal:  # below the confidence threshold: queued, not written
            held[d["id"]] = ent
            continue
        entities.append(ent)
        if matched:
            result.matched += 1
        else:
            result.created += 1
            if decision.outcome == "review":
                result.queued += 1
                records.append(("reviews", review_item(uuid.uuid4().hex[:12], ref, eid, m, decision)))
        if far is not None:
            records.append(("reviews", review_item(uuid.uuid4().hex[:12], ref, eid, m, far)))
    rels: list[Relationship] = []
    proposed: list[tuple[dict[str, Any], Relationship]] = []
    services: set[str] = set()
    for r in doc["relationships"] + queued["relationships"]:
        # a link added on review may end at a record already stored: its id is given as it is
        s = r.get("source_id") or ids[r["source"]]
        t = service_id(r["target"]) if r["type"] == "OPEN_TO" else r.get("target_id") or ids[r["target"]]
        asr = Assertion(ref, come(r.get("date")) or day, r.get("grading"), s, t)
        rel = Relationship(r["type"], s, t, [asr])
        if "sentence" in r:
            proposed.append((r, rel))
            continue
        if r["type"] == "OPEN_TO":
            services.add(r["target"])
        rels.append(rel)
    # an entity is named under the handling codes of the statements about it (P if none graded it)
    codes: dict[str, set[str]] = {}
    for rel in rels:
        for end in (rel.source, rel.target):
            codes.setdefault(end, set()).add(handling_code(rel.assertions[0].grading))
    for e in entities:
        e.handling = sorted(codes.get(e.id, {"P"}))
        e.open = _said_under_p(e, p_names.get(e.id, e.name))
    for _, rel in proposed:  # a proposed entity: under the codes of every statement about it
        for end in (rel.source, rel.target):
            codes.setdefault(end, set()).add(handling_code(rel.assertions[0].grading))
    for k, e in held.items():
        e.handling = sorted(codes.get(e.id, {"P"}))
        # a proposal holds what its statements say under their codes, as a written entity does:
        # under P alone, the entity as readers cleared for P know it (never a name said only under C)
        said = _said_under_p(e, p_names.get(e.id, e.name))
        if said is not None and "C" in e.handling:
            e.open = said
        elif said is not None:
            held[k] = replace(said, handling=["P"])
    note_codes = sorted({c for e in entities for c in e.handling} or {"P"})
    # facts below the confidence threshold: not written, but queued for a person with their sentence
    for d in queued["entities"]:
        ent = held[d["id"]]
        rid = uuid.uuid4().hex[:12]
        held_review[d["id"]] = rid
        records.append(("reviews", fact_item(rid, ref, meeting["locality"], d, ent.handling, entity=ent)))
    names = {d["id"]: d["name"] for d in doc["entities"] + queued["entities"]}
    for r, rel in proposed:
        item = fact_item(uuid.uuid4().hex[:12], ref, meeting["locality"], r, ent_codes(rel), relationship=rel)
        item["needs"] = [held_review[e] for e in (r["source"], r["target"]) if e in held_review]
        item["name"] = f"{names[r['source']]} {r['type']} {names.get(r['target'], r['target'])}"
        records.append(("reviews", item))
    result.facts_queued = len(queued["entities"]) + len(proposed)
    for code in sorted(services):
        entities.append(Entity(service_id(code), "service", code))
    records.insert(
        0,
        (
            "sources",
            {
                "id": ref,
                "kind": "source",
                "meeting_kind": meeting["kind"],
                "date": day,
                "locality": meeting["locality"],
                "file": Path(path).name,
                "sha256": digest,
                "user": user,
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "entities": len(doc["entities"]),
                "relationships": len(doc["relationships"]),
                "handling": note_codes,
            },
        ),
    )
    result.tracking = note_tracking(doc, ids, ref, user, meeting["locality"], path)
    result.tracked = len(result.tracking)
    return result, entities, rels, records


def note_tracking(
    doc: dict[str, Any], ids: dict[str, str], ref: str, user: str, locality: str | None, path: str
) -> list[Tracked]:
    """The tracking records of a note's extraction, naming the records its entities are written
    under, with the note as their source; each keyed by the note and its place in it, so that the
    same note read again writes the same records."""
    out: list[Tracked] = []
    for t in doc.get("tracking", []):
        if any(i not in ids for i in tracked_names(t)):  # an entity it names was taken out on review
            continue
        line = {k: v for k, v in t.items() if k not in ("evidence", "confidence")}
        line |= {"id": f"{ref}:{t['id']}", "subject": ids[t["subject"]], "source": ref, "recorded_by": user}
        if locality:
            line["locality"] = locality
        for f in RECORD_KINDS[t["record"]].fields:
            if f.type == "entity" and f.name in line:
                line[f.name] = ids[line[f.name]]
            elif f.type == "entities" and f.name in line:
                line[f.name] = [ids[i] for i in line[f.name]]
        out.append(Tracked.from_json(line, f"{Path(path).name}: {t['record']} {t['id']}"))
    return out


def ent_codes(rel: Relationship) -> list[str]:
    """The handling code of a relationship's one statement."""
    return [handling_code(rel.assertions[0].grading)]


def fact_item(
    review_id: str,
    ref: str,
    locality: str | None,
    found: dict[str, Any],
    handling: list[str],
    entity: Entity | None = None,
    relationship: Relationship | None = None,
) -> dict[str, Any]:
    """The review item of a fact below the confidence threshold: the proposed entity or relationship,
    exactly as accepting it writes it, with the sentence it came from and its confidence."""
    item: dict[str, Any] = {
        "id": review_id,
        "kind": "review",
        "type": "fact",
        "status": "pending",
        "source_ref": ref,
        "locality": locality,
        "handling": handling,
        "sentence": found.get("sentence", ""),
        "how": found.get("how"),
        "confidence": found.get("confidence"),
        "candidates": [],
        "evidence": [],
    }
    if entity is not None:
        item.update(
            entity=entity.id,
            entity_kind=entity.kind,
            name=entity.name,
            proposal={"entity": entity.to_json()},
            ends=[entity.id],
        )
    if relationship is not None:
        a = relationship.assertions[0]
        item.update(
            entity=None,
            entity_kind=None,
            name=relationship.type,
            proposal={
                "relationship": {
                    "type": relationship.type,
                    "source": relationship.source,
                    "target": relationship.target,
                    "date": a.date,
                    "source_ref": a.source_ref,
                    "grading": a.grading,
                }
            },
            ends=[relationship.source, relationship.target],
        )
    return item


def _outside(store: Store, m: Mention, inside: list[Entity], scope: Filter | None) -> Decision | None:
    """A likely match of ``m`` among the entities outside ``scope``, as a decision to review (None
    when there is none, or no scope). The same search is made whatever it finds."""
    if scope is None or (scope.localities is None and not scope.public_only):
        return None
    seen = {e.id for e in inside}
    others = [e for e in _candidates(store, m.kind, [m.name, *m.aliases]) if e.id not in seen]
    far = decide(m, others)
    if far.outcome == "new":
        return None
    ids = far.candidates or ([far.entity] if far.entity else [])
    why = "a record outside the writer's localities or clearance; decide with someone who may see both"
    return Decision("review", None, ids, [*far.evidence, why])
