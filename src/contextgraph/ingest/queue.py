"""The review queue: the items a note left for a person to decide (a mention that may be a record
already held, a fact below the confidence threshold), who may know of each, and their decisions."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from ..errors import BadInput
from ..interchange import entity_from_json, relationship_from_json
from ..model import Entity, service_id
from ..store import Filter, Store, StoreError


class ReviewError(BadInput):
    pass


Outcome = Literal["accepted", "rejected", "new"]


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


def source_visible(record: dict[str, Any], flt: Filter) -> bool:
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


def _visible_item(item: dict[str, Any], notes: dict[str, dict[str, Any]], flt: Filter) -> bool:
    """Whether a reader within ``flt`` may know of a review item: its note is one they may know of
    (:func:`source_visible`), and a fact's statement is of a handling code they may see."""
    note = notes.get(item.get("source_ref") or "")
    if note is None or not source_visible(note, flt):
        return False
    return not (flt.public_only and item.get("type") == "fact" and "P" not in (item.get("handling") or ["C"]))


def reviews(store: Store, pending_only: bool = True, scope: Filter | None = None) -> list[dict[str, Any]]:
    """Review items with their current status (the latest decision on each). With ``scope``, only
    those of notes a reader within it may know of: an item of another locality is not there."""
    items: dict[str, dict[str, Any]] = {}
    for r in store.records("reviews"):
        if r.get("kind") == "review":
            items[r["id"]] = dict(r)
            items[r["id"]].setdefault("type", "identity")
        elif r.get("kind") == "decision" and r.get("review") in items:
            it = items[r["review"]]
            it["status"] = r["decision"]
            it["decided_by"] = r.get("user")
            it["decided_at"] = r.get("at")
            it["merged_into"] = r.get("into")
    out = list(items.values())
    if scope is not None and not (scope.localities is None and not scope.public_only):
        notes = {r["id"]: r for r in store.records("sources")}
        out = [r for r in out if _visible_item(r, notes, scope)]
    return [r for r in out if r["status"] == "pending"] if pending_only else out


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
    items = {r["id"]: r for r in reviews(store, pending_only=False, scope=scope)}
    item = items.get(review_id)
    if item is None:
        raise ReviewError(f"no review item {review_id!r}")
    if item["status"] != "pending":
        raise ReviewError(f"review {review_id} was already decided: {item['status']}")
    if item["type"] == "fact":
        return _decide_fact(store, item, items, decision, user, reason)
    if decision not in ("accept", "reject", "new"):
        raise ReviewError(f"decision must be accept, reject or new, not {decision!r}")
    target = None
    if decision == "accept":
        cands = item["candidates"]
        if into is None:
            if len(cands) != 1:
                raise ReviewError(f"review {review_id} has {len(cands)} candidates; say which with --into")
            into = cands[0]
        if into not in cands:
            raise ReviewError(f"{into!r} is not a candidate of review {review_id} ({', '.join(cands)})")
        target = store.merge(into, item["entity"], user=user, reason=reason or f"review {review_id}")
    rec = _decision(review_id, decision, target, user, reason)
    store.add_records([("reviews", rec.to_record())], subjects=[item["entity"], *([target] if target else [])])
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


def _decide_fact(
    store: Store, item: dict[str, Any], items: dict[str, dict[str, Any]], decision: str, user: str, reason: str
) -> Decision:
    """Write a queued fact as proposed (accept) or discard it (reject), with the decision, in one transaction."""
    rid = item["id"]
    if decision not in ("accept", "reject"):
        raise ReviewError(f"review {rid} is a queued fact: accept or reject it, not {decision!r}")
    rec = _decision(rid, decision, None, user, reason)
    record = rec.to_record()
    ends = list(item.get("ends") or [])
    if decision == "reject":
        store.add_records([("reviews", record)], subjects=ends)
        return rec
    for need in item.get("needs") or []:
        other = items.get(need)
        if other is None or other["status"] != "accepted":
            state = "rejected" if other is not None and other["status"] == "rejected" else "pending"
            raise ReviewError(
                f"review {rid} links an entity queued in review {need} ({state}): "
                + ("that entity was rejected; reject this too" if state == "rejected" else "accept that one first")
            )
    proposal = item["proposal"]
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
