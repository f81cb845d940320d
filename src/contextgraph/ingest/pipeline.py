"""From notes to the graph: extract, resolve against the store, write one note per transaction.

Every fact written carries the note's source ref, the meeting date (or the day
the note gives for it) and the grading the note gives. A source record per note
keeps its kind, date, locality, file name and content hash: a note whose hash is
already recorded is skipped, so ingesting the same note again changes nothing.

What a note would write is worked out in :mod:`.plan`; the review queue it fills is
:mod:`.queue`, whose names are also importable from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..localities import Localities, unconfigured_message
from ..notes.extract import learn_services
from ..notes.parse import NoteError, parse_note, read_note
from ..store import Filter, Store
from .plan import NoteResult, digests, plan_note, source_ref
from .queue import ReviewError, decide_review, reviews, source_visible
from .writes import as_seen, unseen

__all__ = [
    "IngestReport",
    "NoteResult",
    "ReviewError",
    "decide_review",
    "ingest_paths",
    "ingest_text",
    "plan_note",
    "reviews",
    "source_ref",
    "source_visible",
]


@dataclass(slots=True)
class IngestReport:
    notes: list[NoteResult] = field(default_factory=list)

    @property
    def failed(self) -> list[NoteResult]:
        return [n for n in self.notes if n.status == "failed"]

    def totals(self) -> dict[str, int]:
        keys = (
            "created",
            "matched",
            "queued",
            "facts_queued",
            "relationships_added",
            "relationships_updated",
            "tracked",
        )
        out = {k: sum(getattr(n, k) for n in self.notes) for k in keys}
        for status in ("ingested", "unchanged", "failed"):
            out[status] = sum(1 for n in self.notes if n.status == status)
        return out


def ingest_paths(
    store: Store,
    paths: Iterable[Path],
    user: str = "system",
    on_note: Callable[[NoteResult], None] | None = None,
) -> IngestReport:
    """Ingest notes one by one; a note that fails is reported and leaves nothing behind."""
    report = IngestReport()
    known = {r["sha256"]: r["id"] for r in store.records("sources") if r.get("sha256")}
    paths = list(paths)
    # a local service name that one note of the batch defines ("Horizon, the exploitation team") holds for all
    texts: list[str] = []
    for p in paths:
        try:
            texts.append(read_note(p))
        except NoteError:
            continue
    services = learn_services(texts)
    locs = store.localities()
    for p in paths:
        try:
            res = ingest_text(store, read_note(p), str(p), user, known, services=services, localities=locs)
        except NoteError as e:
            res = NoteResult(p.name, None, "failed", str(e))
        report.notes.append(res)
        if on_note:
            on_note(res)
    return report


def ingest_text(
    store: Store,
    text: str,
    name: str,
    user: str = "system",
    known: dict[str, str] | None = None,
    check: Callable[[str | None], None] | None = None,
    scope: Filter | None = None,
    services: dict[str, str] | None = None,
    localities: Localities | None = None,
) -> NoteResult:
    """Ingest one note's text (``name`` is its file name, for messages), in one transaction.

    ``known`` maps the content hashes of notes already ingested to their source refs
    (read from the store when not given); a note seen before changes nothing.
    ``check`` is called with the note's locality before anything is written, and may
    refuse it by raising. ``scope`` is what the writer may read: mentions are matched only
    within it (see :func:`plan_note`). Raises :class:`~contextgraph.notes.parse.NoteError` for a note
    that cannot be read, and for one whose locality is not one of the configured ``localities``
    (default: the store's), saying how to add it.
    """
    locs = store.localities() if localities is None else localities
    parsed = parse_note(text, name, locs)
    meeting = parsed.meeting
    if meeting.locality_status == "unknown" and meeting.locality:
        raise NoteError(f"{Path(name).name}: {unconfigured_message(meeting.locality)}; nothing was written")
    if check is not None:  # before anything is looked up, so that a refusal tells nothing of the store
        check(meeting.locality)
    if known is None:
        known = {r["sha256"]: r["id"] for r in store.records("sources") if r.get("sha256")}
    digest, given = digests(text)
    for d in (digest, given):
        if d in known:
            return NoteResult(Path(name).name, known[d], "unchanged")
    res, ents, rels, records = plan_note(store, text, name, user, scope, services, locs, parsed)
    before = unseen(store, scope, rels) if scope is not None else -1
    summary = as_seen(store.upsert(ents, rels, records=records, tracking=res.tracking), before)
    res.relationships_added = summary.relationships_created
    res.relationships_updated = summary.relationships_updated
    known[digest] = res.source_ref or ""
    return res
