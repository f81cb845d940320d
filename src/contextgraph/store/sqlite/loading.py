"""The embedded store's adjacency index kept in step with its file: read from the copy kept in
the file or rebuilt from the tables when another connection wrote, its copy saved, and every
record decoded into memory when the store is warmed."""

from __future__ import annotations

import gc
import sqlite3
from typing import TYPE_CHECKING

import orjson

from ...memory import paused_gc
from ...model import flagged, grade_code
from .codec import KIND_CODE, TYPE_CODE, relationship_of_row
from .index import Index, day_number
from .sql import sql

if TYPE_CHECKING:
    from .store import SQLiteStore


def current_index(store: SQLiteStore) -> Index:
    """As :meth:`SQLiteStore._index`."""
    dv = store._db.execute(sql("data_version")).fetchone()[0]
    if store._ix is None or dv != store._data_version:
        store._ix = None
        own = not store._db.in_transaction
        if own:
            store._db.execute(sql("begin_read"))  # one consistent read of the file
        try:
            dv = store._db.execute(sql("data_version")).fetchone()[0]
            with paused_gc():
                ix = restore_index(store)
                store._ix_saved = ix is not None
                store._ix = ix if ix is not None else load_index(store)
        finally:
            if own:
                store._db.execute(sql("commit"))
        gc.freeze()  # a long-lived index: keep it out of every later collection
        store._data_version = dv
        store._nid = store._rid = 0
        store._unfilled = store._warm
    if store._unfilled and not store._db.in_transaction:  # never inside another's write
        store._unfilled = False
        fill(store, store._ix)
    return store._ix


def file_stamp(store: SQLiteStore) -> bytes | None:
    row = store._db.execute(sql("meta"), ("stamp",)).fetchone()
    return bytes(row[0]) if row else None


def restore_index(store: SQLiteStore) -> Index | None:
    """The index from the copy in the file, if it was taken at the file's current stamp."""
    stamp = file_stamp(store)
    if stamp is None:
        return None
    saved = store._db.execute(sql("meta"), ("index.stamp",)).fetchone()
    if saved is None or bytes(saved[0]) != stamp:
        return None
    parts = {k[len("index.") :]: bytes(v) for k, v in store._db.execute(sql("index_copy"))}
    ix = Index.restore(parts)
    if ix is None:
        return None
    top_nid = store._db.execute(sql("top_nid")).fetchone()[0] or 0
    top_rid = store._db.execute(sql("top_rid")).fetchone()[0] or 0
    if (top_nid, top_rid) != ix.top():  # rows written by something else
        return None
    return ix


def save_index(store: SQLiteStore) -> bool:
    """As :meth:`SQLiteStore.save_index`."""
    with store._lock:
        if store._ix is None or store._ix_saved:
            return False
        try:
            store._db.execute(sql("begin_write"))
        except sqlite3.OperationalError:
            return False
        try:
            if store._db.execute(sql("data_version")).fetchone()[0] != store._data_version:
                store._db.execute(sql("rollback"))
                return False  # another connection wrote since the index was read
            store._db.execute(sql("ensure_stamp"))
            stamp = file_stamp(store)
            store._db.execute(sql("drop_index_copy"))
            rows = [(f"index.{k}", v) for k, v in store._ix.snapshot().items()]
            store._db.executemany(sql("add_meta"), [*rows, ("index.stamp", stamp)])
            store._db.execute(sql("commit"))
        except BaseException:
            store._db.execute(sql("rollback"))
            raise
        store._ix_saved = True
        return True


def load_index(store: SQLiteStore) -> Index:
    ix = Index()
    rows = store._db.execute(sql("entity_index_rows")).fetchall()
    if rows:
        nids, ids, kinds, locs, merged = (list(c) for c in zip(*rows, strict=True))
        if nids[-1] == len(nids):  # numbered 1..n with no gaps: append in one go
            ix.add_nodes(1, ids, [KIND_CODE[k] for k in kinds], [ix.locality_code(x) for x in locs])
            for eid, into in zip(ids, merged, strict=True):
                if into:
                    ix.set_node(ix.nid_of[eid], eid, kinds[ix.nid_of[eid] - 1], locs[ix.nid_of[eid] - 1], into)
        else:
            for nid, eid, kind, loc, into in rows:
                ix.set_node(nid, eid, kind, loc, into)
    del rows
    for nid, props in store._db.execute(sql("entity_properties")):
        ix.flag[nid] = 1 if flagged(orjson.loads(props)) else 0
    cur = store._db.execute(sql("relationship_index_rows"))
    while chunk := cur.fetchmany(200_000):
        rid, t, src, dst, first, last, count, grading = (list(c) for c in zip(*chunk, strict=True))
        types = [TYPE_CODE[x] for x in t]
        firsts = [day_number(x) for x in first]
        lasts = [day_number(x) for x in last]
        grades = [grade_code(x) for x in grading]
        if rid[-1] - rid[0] == len(rid) - 1 and rid[0] >= len(ix.e_src):  # contiguous
            ix.add_edges(rid[0], (types, src, dst, firsts, lasts, count, grades))
        else:
            for k in range(len(rid)):
                ix.set_edge(rid[k], types[k], src[k], dst[k], firsts[k], lasts[k], count[k], grades[k])
    return ix


def warm(store: SQLiteStore) -> int:
    """As :meth:`SQLiteStore.warm`."""
    with store._lock:
        store._warm = True
        return fill(store, current_index(store))


def fill(store: SQLiteStore, ix: Index) -> int:
    """Every record not yet in memory into ``ix``'s caches, which are no longer bounded."""
    ix.cache_limit = None
    ents, rels, ids = ix.records, ix.rels, ix.ids
    with paused_gc():
        if len(ents) < len(ix.nid_of):
            for row in store._db.execute(sql("all_entities")):
                if row[0] not in ents:
                    ents[row[0]] = ix.decoded(row)
        for rid, t, s, d, asr, props in store._db.execute(sql("all_relationships")):
            if rid not in rels:
                rels[rid] = relationship_of_row(t, ids[s], ids[d], asr, props)
    gc.freeze()  # long-lived records: keep them out of every later collection
    return len(ents) + len(rels)
