"""The review queue: the items a note left for a person to decide (a mention that may be a record
already held, a fact below the confidence threshold), who may know of each, and their decisions."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal, cast

from ..errors import BadInput
from ..interchange import entity_from_json, relationship_from_json
from ..model import Entity, service_id
from ..store import Filter, Store, StoreError


class ReviewError(BadInput):
    pass


Outcome = Literal["accepted", "rejected", "new"]
Status = Literal["pending", "accepted", "rejected", "new"]
ItemType = Literal["identity", "fact"]


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """An item of the review queue with its status: a mention that may be a record already held
    (``identity``: the new record ``entity`` and the ``candidates`` it may be), or a fact below the
    confidence threshold (``fact``: the ``proposal`` accepting it writes, an entity or a
    relationship in the interchange format, with the ``sentence`` it came from).

    >>> it = ReviewItem.from_record({"id": "r1", "kind": "review", "status": "pending", "source_ref": "n1",
    ...                              "entity": "c-9", "entity_kind": "child", "name": "Kyle",
    ...                              "candidates": ["c-1"], "evidence": ["same name"]})
    >>> it.type, it.candidates, it.decided({"decision": "accepted", "user": "ana", "into": "c-1"}).status
    ('identity', ('c-1',), 'accepted')
    """

    id: str
    type: ItemType
    status: Status
    source_ref: str
    name: str
    entity: str | None
    entity_kind: str | None
    candidates: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    locality: str | None = None
    handling: tuple[str, ...] = ()
    sentence: str = ""
    how: str | None = None
    confidence: float | None = None
    proposal: Mapping[str, Any] | None = None
    ends: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    decided_by: str | None = None
    decided_at: str | None = None
    merged_into: str | None = None

    @classmethod
    def from_record(cls, rec: Mapping[str, Any]) -> ReviewItem:
        """From the record the queue keeps in the ``reviews`` table."""
        confidence = rec.get("confidence")
        return cls(
            id=str(rec["id"]),
            type="fact" if rec.get("type") == "fact" else "identity",
            status=cast(Status, rec.get("status") or "pending"),
            source_ref=str(rec.get("source_ref") or ""),
            name=str(rec.get("name") or ""),
            entity=rec.get("entity"),
            entity_kind=rec.get("entity_kind"),
            candidates=tuple(rec.get("candidates") or ()),
            evidence=tuple(str(x) for x in rec.get("evidence") or ()),
            locality=rec.get("locality"),
            handling=tuple(rec.get("handling") or ()),
            sentence=str(rec.get("sentence") or ""),
            how=rec.get("how"),
            confidence=None if confidence is None else float(confidence),
            proposal=rec.get("proposal"),
            ends=tuple(rec.get("ends") or ()),
            needs=tuple(rec.get("needs") or ()),
        )

    def decided(self, rec: Mapping[str, Any]) -> ReviewItem:
        """The item after a decision record (the latest one counts)."""
        return replace(
            self,
            status=cast(Status, rec["decision"]),
            decided_by=rec.get("user"),
            decided_at=rec.get("at"),
            merged_into=rec.get("into"),
        )

    def visible_in(self, notes: Mapping[str, Mapping[str, Any]], flt: Filter) -> bool:
        """Whether a reader within ``flt`` may know of the item: its note is one they may know of
        (:func:`source_visible`), and a fact's statement is of a handling code they may see."""
        note = notes.get(self.source_ref)
        if note is None or not source_visible(note, flt):
            return False
        return not (flt.public_only and self.type == "fact" and "P" not in (self.handling or ("C",)))

    def to_json(self) -> dict[str, Any]:
        """As ``review list --format json`` prints it: every field, lists for tuples."""
        out = asdict(self)
        return {k: list(v) if isinstance(v, tuple) else v for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's decision on a review item: who, when, why, and the record it merged into."""

    id: str
    review: str
    decision: Outcome
    into: str | None
    user: str
    reason: str
    at: str

    def to_record(self) -> dict[str, Any]:
        """As the review queue keeps it among its records."""
        fields = asdict(self)
        return {"id": fields.pop("id"), "kind": "decision", **fields}


def source_visible(record: Mapping[str, Any], flt: Filter) -> bool:
    """Whether a reader within ``flt`` may know of a note: it is of their localities, and it
    made at least one statement of a handling code they may see (a note recorded before
    notes kept their handling codes counts as C).

    >>> rec = {"id": "n1", "locality": "Hillcrest", "handling": ["C"]}
    >>> source_visible(rec, Filter.of(localities=["Hillcrest"], handling=["P", "C"]))
    True
    >>> source_visible(rec, Filter.of(localities=["Hillcrest"], handling=["P"]))
    False
    >>> source_visible(rec, Filter.of(localities=["Docklands"], handling=["P", "C"]))
    False
    """
    if flt.localities is not None and record.get("locality") not in flt.localities:
        return False
    return not flt.public_only or "P" in (record.get("handling") or ["C"])


def reviews(store: Store, pending_only: bool = True, scope: Filter | None = None) -> list[ReviewItem]:
    """Review items with their current status (the latest decision on each). With ``scope``, only
    those of notes a reader within it may know of: an item of another locality is not there."""
    items: dict[str, ReviewItem] = {}
    for r in store.records("reviews"):
        if r.get("kind") == "review":
            items[r["id"]] = ReviewItem.from_record(r)
        elif r.get("kind") == "decision" and r.get("review") in items:
            items[r["review"]] = items[r["review"]].decided(r)
    out = list(items.values())
    if scope is not None and not (scope.localities is None and not scope.public_only):
        notes = {r["id"]: r for r in store.records("sources")}
        out = [r for r in out if r.visible_in(notes, scope)]
    return [r for r in out if r.status == "pending"] if pending_only else out


def decide_review(
    store: Store,
    review_id: str,
    decision: str,
    into: str | None = None,
    user: str = "system",
    reason: str = "",
    scope: Filter | None = None,
) -> Decision:
    """Accept (merge into a candidate), reject, or mark as a new entity. Returns the decision.

    Accepting an identity item records a merge judgement, which ``split`` undoes. Accepting a fact
    writes it exactly as proposed, with its note as the source; rejecting it writes nothing. With
    ``scope``, an item the reader may not know of is answered as one that does not exist.
    """
    items = {r.id: r for r in reviews(store, pending_only=False, scope=scope)}
    item = items.get(review_id)
    if item is None:
        raise ReviewError(f"no review item {review_id!r}")
    if item.status != "pending":
        raise ReviewError(f"review {review_id} was already decided: {item.status}")
    if item.type == "fact":
        return _decide_fact(store, item, items, decision, user, reason, scope)
    if decision not in ("accept", "reject", "new"):
        raise ReviewError(f"decision must be accept, reject or new, not {decision!r}")
    target = None
    if decision == "accept":
        cands = item.candidates
        if into is None:
            if len(cands) != 1:
                raise ReviewError(f"review {review_id} has {len(cands)} candidates; say which with --into")
            into = cands[0]
        if into not in cands:
            raise ReviewError(f"{into!r} is not a candidate of review {review_id} ({', '.join(cands)})")
        assert item.entity is not None  # an identity item's new record
        target = store.merge(into, item.entity, user=user, reason=reason or f"review {review_id}")
    rec = _decision(review_id, decision, target, user, reason)
    subjects = [x for x in (item.entity, target) if x]
    store.add_records([("reviews", rec.to_record())], subjects=subjects)
    return rec


def _decision(review_id: str, decision: str, into: str | None, user: str, reason: str) -> Decision:
    outcomes: dict[str, Outcome] = {"accept": "accepted", "reject": "rejected", "new": "new"}
    return Decision(
        id=uuid.uuid4().hex[:12],
        review=review_id,
        decision=outcomes[decision],
        into=into,
        user=user,
        reason=reason,
        at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _theirs_to_write(store: Store, rid: str, proposal: Mapping[str, Any], scope: Filter) -> None:
    """Refuse a queued fact that would change, or link to, a record held already that a writer
    within ``scope`` may not (the note's reading matched it where they cannot see): it stays queued
    for one who may. A record the fact would make afresh is theirs."""
    from .writes import changeable, linkable

    if "entity" in proposal:
        eid = str(proposal["entity"].get("id"))
        held, allowed = store.existing([eid]), changeable(store, scope, [eid])
    else:
        rel = proposal.get("relationship") or {}
        ends = [str(rel.get("source")), str(rel.get("target"))]
        if rel.get("type") == "OPEN_TO":
            ends = ends[:1]
        held, allowed = store.existing(ends), linkable(store, scope, ends)
    if held - set(allowed):
        raise ReviewError(
            f"review {rid}: the fact is about a record you may not change; it stays queued for one who may"
        )


def _decide_fact(
    store: Store,
    item: ReviewItem,
    items: dict[str, ReviewItem],
    decision: str,
    user: str,
    reason: str,
    scope: Filter | None = None,
) -> Decision:
    """Write a queued fact as proposed (accept) or discard it (reject), with the decision, in one transaction."""
    rid = item.id
    if decision not in ("accept", "reject"):
        raise ReviewError(f"review {rid} is a queued fact: accept or reject it, not {decision!r}")
    rec = _decision(rid, decision, None, user, reason)
    record = rec.to_record()
    ends = list(item.ends)
    if decision == "reject":
        store.add_records([("reviews", record)], subjects=ends)
        return rec
    proposal = item.proposal or {}
    if scope is not None:
        _theirs_to_write(store, rid, proposal, scope)
    for need in item.needs:
        other = items.get(need)
        if other is None or other.status != "accepted":
            state = "rejected" if other is not None and other.status == "rejected" else "pending"
            raise ReviewError(
                f"review {rid} links an entity queued in review {need} ({state}): "
                + ("that entity was rejected; reject this too" if state == "rejected" else "accept that one first")
            )
    try:
        if "entity" in proposal:
            store.upsert([entity_from_json(proposal["entity"])], [], records=[("reviews", record)])
        else:
            rel = relationship_from_json(proposal["relationship"])
            extra = []
            if rel.type == "OPEN_TO":
                extra = [Entity(rel.target, "service", rel.target.removeprefix(service_id("")))]
            store.upsert(extra, [rel], records=[("reviews", record)])
    except (ValueError, StoreError) as exc:
        raise ReviewError(f"review {rid}: the proposed fact cannot be written ({exc})") from None
    return rec
