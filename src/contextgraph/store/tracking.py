"""Tracking records in a store: written after checking what they name, and read as a timeline;
built on the :class:`Txn` primitives, each write logged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from ..model.timeline import by_date
from ..model.tracked import Tracked
from ..model.tracking import TrackingError
from .types import WriteAbout

if TYPE_CHECKING:
    from .base import Store
    from .txn import Txn


def check_names(tx: Txn, records: Sequence[Tracked], where: Mapping[str, str] | None = None) -> None:
    """Refuse a batch in which a record names an entity that is not stored, or one of a kind its
    field does not allow (a disruption against a child, a referral of a place); the message
    names the record (``where``: a file and line by record id) and the field."""
    ids = {e for t in records for e in t.involves}
    kinds = tx.kinds(ids)  # a merged record keeps its kind
    for t in records:
        at = (where or {}).get(t.id, f"record {t.id!r}")
        for name, eid, allowed in t.named():
            kind = kinds.get(eid)
            if kind is None:
                raise TrackingError(f"{at}: field {name!r}: no entity {eid!r} is stored")
            if allowed and kind not in allowed:
                raise TrackingError(
                    f"{at}: field {name!r}: {eid!r} is a {kind}; a {t.record}'s {name} is a "
                    + " or a ".join(sorted(allowed))
                )


def record(store: Store, records: Sequence[Tracked], where: Mapping[str, str] | None = None) -> int:
    """As :meth:`Store.record_tracking`."""
    if not records:
        return 0
    seen: dict[str, Tracked] = {}
    for t in records:
        seen[t.id] = t  # a repeated id: the last one read counts, as a later import would

    def work(tx: Txn) -> int:
        batch = list(seen.values())
        check_names(tx, batch, where)
        tx.put_tracking(batch)
        return len(batch)

    # a record written again keeps its subject, and the log says whose record it replaced
    held = store.tracked(list(seen))
    for i, old in held.items():
        if old.subject != seen[i].subject:
            at = (where or {}).get(i, f"record {i!r}")
            raise TrackingError(
                f"{at}: field 'subject': the record held under this id is about another entity; a record keeps "
                "its subject (give a record about another its own id): nothing was written"
            )
    subjects = list(dict.fromkeys(t.subject for t in seen.values()))
    kinds = sorted({t.record for t in seen.values()})
    detail: dict[str, object] = {"tracking": len(seen), "records": kinds}
    if held:
        detail["replaced"] = {i: old.recorded_by for i, old in sorted(held.items())}
    about = WriteAbout("tracking", ids=subjects, detail=detail)
    return store._logged(about, lambda: store.transaction(work))


def timeline(store: Store, eid: str) -> list[Tracked]:
    """As :meth:`Store.timeline`."""

    def work(tx: Txn) -> list[Tracked]:
        c = tx.merged_into([eid]).get(eid, eid)
        return tx.tracking_of([c, *tx.members(c)])

    return by_date(store.read(work))


def naming(store: Store, ids: Sequence[str]) -> list[Tracked]:
    """As :meth:`Store.tracking_naming`."""

    def work(tx: Txn) -> list[Tracked]:
        wanted = set(ids)
        if tx.any_merged():
            canon = tx.merged_into(ids)
            wanted = {canon.get(i, i) for i in ids}
            wanted.update(m for c in list(wanted) for m in tx.members(c))
        return tx.tracking_of(sorted(wanted))

    return by_date(store.read(work))
