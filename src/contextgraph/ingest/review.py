"""A note reviewed before it is recorded: what it would write, shown to the writer, then recorded
as the writer edited it, and nothing else.

:func:`preview` reads the note and resolves what it names against the records the writer may
read (a likely match outside them is never shown, and looks the same as no match), without
writing anything. It gives every entity with the spans of the note's text that name it, the
record it would be filed under, and every relationship with the span it was read from, and a
``digest`` of all that.

:func:`commit` takes the same text, that digest and the writer's edits (entities removed,
retyped or merged into a record of theirs, relationships removed, relationships added with
the text selected as their evidence). It reads and plans the note again on the server, refuses
if the plan is no longer the one shown, applies the edits, and writes the result in one
transaction under the note's source record, as ``POST /notes`` would. Names and spans come
from the note's text only: the client sends edits, never entity content. Any edit that cannot
be applied refuses the whole commit, naming the edit's field, and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date as Date
from pathlib import Path
from typing import Any

from ..errors import BadInput
from ..localities import Localities, unconfigured_message
from ..model import KINDS, REL_TYPES, SERVICES, GradingError, normalise_grading, parse_date, service_id
from ..model.timeline import describe
from ..model.tracked import Tracked
from ..notes.dates import event_dates
from ..notes.extract import extract_parsed
from ..notes.lexicon import _grading
from ..notes.parse import NoteError, parse_note
from ..notes.units import ParsedNote
from ..store import Filter, Store
from .plan import NoteResult, digests, plan_note
from .resolve import Decision
from .shown import Committed, Outcome, Preview, ProposedEntity, ProposedLink, Record, WrittenEntity, WrittenLink
from .writes import as_seen, changeable, linkable, unseen

MAX_EDITS = 500
"""The most items of each kind of edit one commit may carry."""
MAX_EVIDENCE = 2000
"""The longest text selected as a link's evidence, in characters."""
NOTE_KINDS = tuple(k for k in KINDS if k != "service")
"""The kinds an entity named in a note may have."""


class ReviewError(BadInput):
    """An edit that cannot be applied, or a plan that changed since it was shown; ``status`` is
    the HTTP status to answer. Nothing is written."""

    def __init__(self, problems: list[str], status: int = 422):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.status = status


@dataclass(frozen=True, slots=True)
class End:
    """One end of a link added on review: an entity of the note (``e2``), a record the writer may
    read (its id), or a service (its code). Exactly one is given."""

    proposed: str | None = None
    existing: str | None = None
    service: str | None = None


@dataclass(frozen=True, slots=True)
class AddedLink:
    type: str
    source: End
    target: End
    evidence: tuple[int, int]
    date: str | None = None
    grading: str | None = None


@dataclass(slots=True)
class Edits:
    """What the writer changed in the preview. Entities and links are named by their ids in it."""

    remove: list[str] = field(default_factory=list)
    retype: list[tuple[str, str]] = field(default_factory=list)
    merge: list[tuple[str, str | None]] = field(default_factory=list)
    """(entity, record it is merged into); None: a new record, whatever the store holds."""
    remove_links: list[str] = field(default_factory=list)
    add_links: list[AddedLink] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "remove": self.remove,
            "retype": [list(x) for x in self.retype],
            "merge": [list(x) for x in self.merge],
            "removeLinks": self.remove_links,
            "addLinks": [
                {
                    "type": a.type,
                    "source": _end_json(a.source),
                    "target": _end_json(a.target),
                    "evidence": list(a.evidence),
                    "date": a.date,
                    "grading": a.grading,
                }
                for a in self.add_links
            ],
        }


def _end_json(e: End) -> dict[str, str]:
    return {k: v for k, v in (("proposed", e.proposed), ("existing", e.existing), ("service", e.service)) if v}


@dataclass(slots=True)
class _Read:
    parsed: ParsedNote
    doc: dict[str, Any]
    recorded: str | None


def _read(
    store: Store,
    text: str,
    name: str,
    check: Callable[[str | None], None] | None,
    localities: Localities | None,
    services: dict[str, str] | None,
) -> _Read:
    """The note read as ``ingest_text`` reads it, with its locality checked before anything of the
    store is looked up; ``recorded``: the source ref of the same note already recorded."""
    locs = store.localities() if localities is None else localities
    parsed = parse_note(text, name, locs)
    meeting = parsed.meeting
    if meeting.locality_status == "unknown" and meeting.locality:
        raise NoteError(f"{Path(name).name}: {unconfigured_message(meeting.locality)}; nothing was written")
    if check is not None:
        check(meeting.locality)
    either = set(digests(text))
    recorded = next((r["id"] for r in store.records("sources") if r.get("sha256") in either), None)
    doc = extract_parsed(parsed, services).to_json()
    for n, r in enumerate(doc["relationships"], 1):
        r["id"] = f"r{n}"
    return _Read(parsed, doc, recorded)


@dataclass(frozen=True, slots=True)
class _Shown:
    entities: tuple[ProposedEntity, ...]
    links: tuple[ProposedLink, ...]
    digest: str
    tracking: tuple[dict[str, Any], ...] = ()


def _shown(store: Store, text: str, name: str, user: str, scope: Filter, note: _Read) -> tuple[_Shown, NoteResult]:
    """What the preview shows of ``note``: its entities and links as planned for the writer."""
    trace: dict[str, tuple[Decision, str]] = {}
    res, _, _, _ = plan_note(store, text, name, user, scope, doc=note.doc, trace=trace)
    wanted = {x for d, _ in trace.values() for x in [d.entity, *d.candidates] if x}
    readable = linkable(store, scope, sorted(wanted)) if wanted else {}
    entities = []
    for d in note.doc["entities"]:
        decision, _stored = trace[d["id"]]
        existing = readable.get(decision.entity or "") if decision.outcome == "match" else None
        outcome: Outcome = "match" if existing else ("review" if decision.outcome == "review" else "new")
        entities.append(
            ProposedEntity(
                id=d["id"],
                kind=d["kind"],
                name=d["name"],
                aliases=tuple(d.get("aliases", [])),
                dob=d.get("dob"),
                mentions=tuple((int(m[0]), int(m[1])) for m in d.get("mentions", [])),
                confidence=d.get("confidence"),
                outcome=outcome,
                existing=Record.of(existing) if existing else None,
                candidates=tuple(
                    Record.of(readable[c])
                    for c in decision.candidates
                    if c in readable and decision.outcome == "review"
                ),
            )
        )
    links = [
        ProposedLink(
            id=r["id"],
            type=r["type"],
            source=r["source"],
            target=service_id(r["target"]) if r["type"] == "OPEN_TO" else r["target"],
            date=r.get("date"),
            grading=r.get("grading"),
            evidence=None if r.get("evidence") is None else tuple(r["evidence"]),
            confidence=r.get("confidence"),
        )
        for r in note.doc["relationships"]
    ]
    names = {d["id"]: d["name"] for d in note.doc["entities"]}
    tracking = tuple(
        {**t, "text": describe(Tracked.from_stored({**t, "source": "", "recorded_by": ""}), names.get)}
        for t in note.doc.get("tracking", [])
    )
    shown = {
        "entities": [e.to_json() for e in entities],
        "links": [r.to_json() for r in links],
        **({"tracking": list(tracking)} if tracking else {}),
    }
    body = json.dumps({"sha256": hashlib.sha256(text.encode()).hexdigest(), **shown}, sort_keys=True)
    return _Shown(tuple(entities), tuple(links), hashlib.sha256(body.encode()).hexdigest()[:32], tracking), res


def preview(
    store: Store,
    text: str,
    name: str,
    user: str,
    scope: Filter,
    check: Callable[[str | None], None] | None = None,
    localities: Localities | None = None,
    services: dict[str, str] | None = None,
) -> Preview:
    """Everything ``text`` would record for ``user``, a writer within ``scope``, without writing.

    Raises :class:`~contextgraph.notes.parse.NoteError` for a note that cannot be read or is of a locality
    not configured; ``check`` may refuse the note's locality (before the store is read)."""
    note = _read(store, text, name, check, localities, services)
    shown, res = _shown(store, text, name, user, scope, note)
    meeting = note.doc["meeting"]
    return Preview(
        name=Path(name).name,
        text=text,
        digest=shown.digest,
        source_ref=res.source_ref,
        recorded=note.recorded,
        kind=meeting.get("kind"),
        date=meeting.get("date"),
        locality=meeting.get("locality"),
        entities=shown.entities,
        links=shown.links,
        queued=_held_back(note.doc.get("queued")),
        tracking=shown.tracking,
    )


def _held_back(queued: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the extraction holds back below the confidence threshold (None when nothing is)."""
    return queued if queued and (queued.get("entities") or queued.get("relationships")) else None


def commit(
    store: Store,
    text: str,
    name: str,
    user: str,
    scope: Filter,
    digest: str,
    edits: Edits,
    check: Callable[[str | None], None] | None = None,
    localities: Localities | None = None,
    services: dict[str, str] | None = None,
) -> Committed:
    """Record ``text`` as previewed (``digest``) with the writer's ``edits``, in one transaction.

    A note already recorded changes nothing and answers as ``POST /notes`` does. Raises
    :class:`ReviewError` (nothing written) for an edit that cannot be applied, naming its field,
    or when the plan is no longer the one previewed."""
    note = _read(store, text, name, check, localities, services)
    if note.recorded is not None:
        return Committed(NoteResult(Path(name).name, note.recorded, "unchanged"))
    shown, _ = _shown(store, text, name, user, scope, note)
    if shown.digest != digest:
        raise ReviewError(
            ["digest: what this note would record has changed since it was previewed; preview it again"], 409
        )
    doc, chosen, review = _edited(store, scope, text, note.doc, edits)
    trace: dict[str, tuple[Decision, str]] = {}
    res, ents, rels, records = plan_note(store, text, name, user, scope, doc=doc, chosen=chosen, trace=trace)
    stored = {k: v for k, (_, v) in trace.items()}
    review["links_added"] = [
        {**a, "source": stored.get(a["source"], a["source"]), "target": stored.get(a["target"], a["target"])}
        for a in review["links_added"]
    ]
    records[0][1]["review"] = {"by": user, **review}
    before = unseen(store, scope, rels)
    summary = as_seen(store.upsert(ents, rels, records=records, tracking=res.tracking), before)
    res.relationships_added = summary.relationships_created
    res.relationships_updated = summary.relationships_updated
    written_entities = tuple(
        WrittenEntity(d["id"], stored[d["id"]], d["kind"], d["name"], trace[d["id"]][0].outcome == "match")
        for d in doc["entities"]
    )
    written_links = tuple(
        WrittenLink(r["id"], rel.type, rel.source, rel.target)
        for r, rel in zip(doc["relationships"], rels, strict=True)
    )
    return Committed(res, written_entities, written_links)


def _edited(
    store: Store, scope: Filter, text: str, doc: dict[str, Any], edits: Edits
) -> tuple[dict[str, Any], dict[str, str | None], dict[str, Any]]:
    """The extraction as the writer edited it, the merges they chose, and the record of the
    edits kept with the note's source; or a :class:`ReviewError` naming every edit refused."""
    problems: list[str] = []
    for key, items in (
        ("remove", edits.remove),
        ("retype", edits.retype),
        ("merge", edits.merge),
        ("removeLinks", edits.remove_links),
        ("addLinks", edits.add_links),
    ):
        if len(items) > MAX_EDITS:
            problems.append(f"edits.{key}: at most {MAX_EDITS} items")
    if problems:
        raise ReviewError(problems)
    ents = {d["id"]: d for d in doc["entities"]}
    links = {r["id"]: r for r in doc["relationships"]}
    removed: set[str] = set()
    for i, eid in enumerate(edits.remove):
        if eid not in ents:
            problems.append(f"edits.remove[{i}]: no entity {eid!r} in this note")
        removed.add(eid)
    kinds = {k: d["kind"] for k, d in ents.items()}
    retyped: dict[str, int] = {}
    for i, (eid, kind) in enumerate(edits.retype):
        if eid not in ents or eid in removed:
            problems.append(f"edits.retype[{i}].entity: no entity {eid!r} in this note")
        elif kind not in NOTE_KINDS:
            problems.append(f"edits.retype[{i}].kind: {kind!r} is not a kind of entity ({', '.join(NOTE_KINDS)})")
        else:
            kinds[eid] = kind
            retyped[eid] = i
    chosen: dict[str, str | None] = {}
    first: dict[str, int] = {}
    for i, (eid, into) in enumerate(edits.merge):
        if eid not in ents or eid in removed:
            problems.append(f"edits.merge[{i}].entity: no entity {eid!r} in this note")
            continue
        if eid in first:  # which choice is meant cannot be told: refused rather than the last one kept
            problems.append(f"edits.merge[{i}].entity: {eid} is already chosen for at edits.merge[{first[eid]}]")
            continue
        first[eid] = i
        if into is None:
            chosen[eid] = None
            continue
        # a record outside the writer's area answers as one that does not exist
        target = changeable(store, scope, [into]).get(into)
        if target is None:
            problems.append(f"edits.merge[{i}].into: no entity {into!r} in your localities")
        elif target.kind != kinds[eid]:
            problems.append(
                f"edits.merge[{i}].into: {into} is a {target.kind}, {ents[eid]['name']} a {kinds[eid]}: "
                "retype it first, or choose another record"
            )
        else:
            chosen[eid] = into
    dropped: set[str] = set()
    for i, rid in enumerate(edits.remove_links):
        if rid not in links:
            problems.append(f"edits.removeLinks[{i}]: no link {rid!r} in this note")
        dropped.add(rid)
    kept = [
        r
        for r in doc["relationships"]
        if r["id"] not in dropped
        and r["source"] not in removed
        and (r["type"] == "OPEN_TO" or r["target"] not in removed)
    ]
    for r in kept:
        sk = kinds[r["source"]]
        tk = "service" if r["type"] == "OPEN_TO" else kinds[r["target"]]
        if REL_TYPES[r["type"]].allows(sk, tk):
            continue
        ends = [e for e in (r["source"], r["target"]) if e in retyped]
        where = f"edits.retype[{retyped[ends[0]]}].kind" if ends else f"link {r['id']}"
        problems.append(
            f"{where}: {r['type']} {r['id']} cannot link a {sk} to a {tk}; remove {r['id']} too, or choose another kind"
        )
    added: list[dict[str, Any]] = []
    day = doc["meeting"].get("date")
    anchor = Date.fromisoformat(day) if day else None
    for i, a in enumerate(edits.add_links):
        got = _added(store, scope, text, anchor, a, f"edits.addLinks[{i}]", ents, kinds, removed, problems)
        if got is not None:
            added.append({**got, "id": f"a{i + 1}"})
    if problems:
        raise ReviewError(problems)
    entities = []
    for d in doc["entities"]:
        if d["id"] in removed:
            continue
        e = {**d, "kind": kinds[d["id"]]}
        if not KINDS[e["kind"]].person:
            e.pop("dob", None)
        if e["kind"] != "location":
            e.pop("postcode", None)
        entities.append(e)
    review = {
        "removed": sorted(removed),
        "retyped": {e: kinds[e] for e in retyped},
        "merged": dict(chosen),
        "links_removed": sorted(dropped),
        "links_added": [
            {
                "type": a["type"],
                "source": a.get("source_id") or a["source"],
                "target": a.get("target_id") or a["target"],
                "evidence": a["evidence"],
            }
            for a in added
        ],
    }
    return {**doc, "entities": entities, "relationships": kept + added}, chosen, review


def _added(
    store: Store,
    scope: Filter,
    text: str,
    anchor: Date | None,
    a: AddedLink,
    at: str,
    ents: dict[str, dict[str, Any]],
    kinds: dict[str, str],
    removed: set[str],
    problems: list[str],
) -> dict[str, Any] | None:
    """A link added on review, as a relationship of the extraction (ends that are records already
    stored carry their ids as ``source_id``/``target_id``), or None with its problems noted."""
    before = len(problems)
    start, end = a.evidence
    if not (0 <= start < end <= len(text)) or not text[start:end].strip():
        problems.append(f"{at}.evidence: [{start}, {end}] is not a span of the note's text")
    elif end - start > MAX_EVIDENCE:
        problems.append(f"{at}.evidence: at most {MAX_EVIDENCE} characters")
    if a.type not in REL_TYPES:
        problems.append(f"{at}.type: {a.type!r} is not a relationship type")
    out: dict[str, Any] = {"type": a.type}
    ends: dict[str, str] = {}
    for side, e in (("source", a.source), ("target", a.target)):
        given = [x for x in (e.proposed, e.existing, e.service) if x]
        if len(given) != 1:
            problems.append(f"{at}.{side}: give one of proposed, existing or service")
        elif e.proposed:
            if e.proposed not in ents or e.proposed in removed:
                problems.append(f"{at}.{side}.proposed: no entity {e.proposed!r} in this note")
            else:
                out[side] = e.proposed
                ends[side] = kinds[e.proposed]
        elif e.existing:
            got = linkable(store, scope, [e.existing]).get(e.existing)
            if got is None or got.kind == "service":
                problems.append(f"{at}.{side}.existing: no entity {e.existing!r} in your localities")
            else:
                out[side], out[f"{side}_id"] = None, got.id
                ends[side] = got.kind
        elif e.service:
            if e.service not in SERVICES or side != "target" or a.type != "OPEN_TO":
                problems.append(f"{at}.{side}.service: a service ({', '.join(SERVICES)}) is only the target of OPEN_TO")
            else:
                out[side] = e.service
                ends[side] = "service"
    if len(problems) == before and a.type == "OPEN_TO" and ends.get("target") != "service":
        problems.append(f"{at}.target: OPEN_TO targets a service")
    if len(problems) == before and not REL_TYPES[a.type].allows(ends["source"], ends["target"]):
        problems.append(f"{at}.type: {a.type} cannot link a {ends['source']} to a {ends['target']}")
    if len(problems) > before:
        return None
    said = text[start:end]
    try:
        day = parse_date(a.date) if a.date else None
    except ValueError:
        problems.append(f"{at}.date: {a.date!r} is not a date (YYYY-MM-DD)")
        return None
    if day is None:
        found = event_dates(said, anchor)
        day = found[0].day.isoformat() if found else None
    try:
        grading = normalise_grading(a.grading) if a.grading else _grading(said)
    except GradingError as exc:
        problems.append(f"{at}.grading: {exc}")
        return None
    return {**out, "date": day, "grading": grading, "evidence": [start, end]}
