"""Upserting: entities and relationships written, each merged with what is stored, in one
transaction or (past :attr:`Store.atomic_rows`) in parts; built on the :class:`Txn` primitives."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ..memory import paused_gc
from ..model import Entity, Relationship
from ..model.tracked import Tracked
from .errors import StoreError
from .merge import group_entities, group_relationships, merge_entity, merge_relationship, same_entity, same_rel
from .staged import StagedRelationships, StagedTracking, staged_subjects
from .tracking import check_names
from .types import Key, WriteAbout, WriteSummary

if TYPE_CHECKING:
    from .base import Store
    from .txn import Txn


def upsert(
    store: Store,
    entities: Sequence[Entity] = (),
    relationships: Sequence[Relationship] | StagedRelationships = (),
    progress: Callable[[int], None] | None = None,
    records: Sequence[tuple[str, dict[str, Any]]] = (),
    tracking: Sequence[Tracked] | StagedTracking = (),
) -> WriteSummary:
    """As :meth:`Store.upsert`."""
    if not isinstance(tracking, StagedTracking) and len({t.id for t in tracking}) < len(tracking):
        tracking = list({t.id: t for t in tracking}.values())  # a repeated id: the last one read counts
    limit = store.atomic_rows
    parts = 1
    if not (records or limit is None or len(entities) + len(relationships) <= limit):
        parts = math.ceil(len(entities) / limit) + math.ceil(len(relationships) / limit) + (1 if tracking else 0)
        if isinstance(relationships, StagedRelationships):  # written in parts: read here
            relationships = relationships.read()
        if isinstance(tracking, StagedTracking) and not tracking.written():
            tracking.read()  # read again now (and kept), so that a file changed since is refused before any part
    if tracking:  # a record written again keeps its subject
        chunks = (
            staged_subjects(tracking)
            if isinstance(tracking, StagedTracking)
            else iter([[(f"tracking record {t.id!r}", t.id, t.subject) for t in tracking]])
        )
        for chunk in chunks:
            held = store.tracked([i for _, i, _ in chunk])
            moved = [at for at, i, subject in chunk if i in held and held[i].subject != subject]
            if moved:
                raise StoreError(
                    f"{moved[0]}: the record held under this id is about another entity; a record keeps its "
                    "subject (give a record about another its own id): nothing was written"
                )
    erased = store.erased_among(e.id for e in entities) if entities else []
    if erased:
        raise StoreError(
            f"entity {erased[0]!r}: a person erased had this id; it is not written again (a copy made before "
            "the erasure would bring them back): nothing was written"
        )
    about = WriteAbout("upsert", entities, relationships, records, transactions=parts, tracking=tracking)
    return store._logged(about, lambda: _upsert(store, entities, relationships, progress, records, tracking))


def _upsert(
    store: Store,
    entities: Sequence[Entity],
    relationships: Sequence[Relationship] | StagedRelationships,
    progress: Callable[[int], None] | None,
    records: Sequence[tuple[str, dict[str, Any]]],
    tracking: Sequence[Tracked] | StagedTracking = (),
) -> WriteSummary:
    batch_size = store.batch_size
    summary = WriteSummary()

    def work(
        tx: Txn,
        ents: Sequence[Entity],
        rels: Sequence[Relationship] | StagedRelationships,
        tracked: Sequence[Tracked] | StagedTracking = (),
    ) -> WriteSummary:
        s = WriteSummary()
        tx.bulk_hint(len(ents), len(rels))
        for i in range(0, len(ents), batch_size):
            upsert_entities(tx, ents[i : i + batch_size], s)
            if progress:
                progress(len(ents[i : i + batch_size]))
        for table, rec in records:
            tx.add_record(table, rec)
        # the tracking records name entities only: written before the relationships, so that staged
        # ones are copied while another process may still be making the relationships' rows
        if isinstance(tracked, StagedTracking):
            if tracked.count:
                tx.put_staged_tracking(tracked)
        elif tracked:
            check_names(tx, tracked)
            tx.put_tracking(tracked)
        if isinstance(rels, StagedRelationships):
            if tx.put_staged_relationships(rels, s):
                if progress:
                    progress(len(rels))
                rels = ()
            else:
                rels = rels.read()
        for i in range(0, len(rels), batch_size):
            store._upsert_relationships(tx, rels[i : i + batch_size], s)
            if progress:
                progress(len(rels[i : i + batch_size]))
        return s

    with paused_gc():
        limit = store.atomic_rows
        if records or limit is None or len(entities) + len(relationships) <= limit:
            summary = store.transaction(lambda tx: work(tx, entities, relationships, tracking))
            summary.transactions = 1
            return summary
        assert not isinstance(relationships, StagedRelationships)  # read here by :func:`upsert`
        chunks: list[tuple[Sequence[Entity], Sequence[Relationship]]] = [
            (entities[i : i + limit], ()) for i in range(0, len(entities), limit)
        ] + [((), relationships[i : i + limit]) for i in range(0, len(relationships), limit)]
        for ents, rels in chunks:

            def one(tx: Txn, e: Sequence[Entity] = ents, r: Sequence[Relationship] = rels) -> WriteSummary:
                return work(tx, e, r)

            summary.add(store.transaction(one))
        if tracking:  # after the entities they name, in a transaction of their own
            summary.add(store.transaction(lambda tx: work(tx, (), (), tracking)))
        return summary


def upsert_entities(tx: Txn, batch: Sequence[Entity], s: WriteSummary) -> None:
    incoming = group_entities(batch)
    existing = tx.create_missing_entities(list(incoming.values()))
    changed = []
    for i, old in existing.items():
        m = merge_entity(old, incoming[i])
        if same_entity(m, old):
            s.unchanged += 1
        else:
            changed.append(m)
    if changed:
        tx.put_entities(changed, new=False)
    s.entities_created += len(incoming) - len(existing)
    s.entities_updated += len(changed)


def resolve(tx: Txn, rels: Iterable[Relationship]) -> dict[Key, Relationship]:
    """Group relationships by stored key, following merges."""
    rels = list(rels)
    canon = tx.merged_into({x for r in rels for x in (r.source, r.target)}) if tx.any_merged() else {}
    return group_relationships(rels, canon)


def upsert_relationships(tx: Txn, batch: Sequence[Relationship], s: WriteSummary) -> None:
    grouped = resolve(tx, batch)
    existing = tx.create_missing_relationships(list(grouped.values()))
    changed = []
    for k, old in existing.items():
        m = merge_relationship(old, grouped[k])
        if same_rel(m, old):
            s.unchanged += 1
        else:
            changed.append(m)
    if changed:
        tx.put_relationships(changed, new=False)
    s.relationships_created += len(grouped) - len(existing)
    s.relationships_updated += len(changed)
