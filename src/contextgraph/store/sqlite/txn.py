"""A write transaction on the embedded store."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from ...model import KIND_CODES, Entity, Relationship, day, flagged, grade_code
from ...model.tracked import Tracked
from ...model.tracking import TrackingError
from ..errors import StoreError
from ..txn import Txn
from ..types import RECORD_TABLES, Key, Named, WriteSummary
from .codec import BULK_ROWS, KIND_CODE, TYPE_CODE, dumps, entity_row, relationship_of_row, summary_of, trim
from .index import edge_key
from .rows import MASK, keyed_rows
from .sql import insert_rows, sql, values

if TYPE_CHECKING:
    from ..staged import StagedRelationships, StagedTracking
    from .store import SQLiteStore


class SQLiteTxn(Txn):
    def __init__(self, store: SQLiteStore):
        self.s = store
        self.db = store._db
        self.ix = store._index()
        self.rebuild: dict[str, list[str]] = {}
        """The indexes dropped for a large load, by table: the statements that build them at commit."""
        self.attached: list[str] = []
        """The statements that detach what is staged and attached (see :meth:`put_staged_tracking`)."""
        self._said: dict[tuple[str | None, ...], str] = {}  # a statement's (source, date, grading) as stored

    # reads

    def entities(self, ids: Iterable[str]) -> dict[str, Entity]:
        return {e.id: e for e in self._ents_by_nid(self.ix.nids(ids)).values()}

    def kinds(self, ids: Iterable[str]) -> dict[str, str]:
        ix = self.ix
        nid_of, kind = ix.nid_of, ix.kind
        return {i: KIND_CODES[kind[n]] for i in ids if (n := nid_of.get(i)) is not None}

    def _ents_by_nid(self, nids: Sequence[int]) -> dict[int, Entity]:
        ix = self.ix
        cache = ix.records
        out: dict[int, Entity] = {}
        missing = []
        for n in nids:
            e = cache.get(n)
            if e is None:
                missing.append(n)
            else:
                out[n] = e
        if missing:
            for row in self.db.execute(sql("entities_by_nid"), (values(missing),)):
                out[row[0]] = cache[row[0]] = ix.decoded(row)
        trim(cache, ix.cache_limit)
        return out

    def merged_into(self, ids: Iterable[str]) -> dict[str, str]:
        m = self.ix.merged
        if not m:
            return {}
        return {i: m[i] for i in ids if i in m}

    def members(self, canonical: str) -> list[str]:
        return sorted(self.ix.members.get(canonical, ()))

    def _rels_by_rid(self, rids: Sequence[int]) -> dict[int, Relationship]:
        ix = self.ix
        cache = ix.rels
        out = {}
        missing = []
        for rid in rids:
            r = cache.get(rid)
            if r is None:
                missing.append(rid)
            else:
                out[rid] = r
        ids = ix.ids
        if missing:
            for rid, t, s, d, asr, props in self.db.execute(sql("relationships_by_rid"), (values(missing),)):
                out[rid] = cache[rid] = relationship_of_row(t, ids[s], ids[d], asr, props)
        trim(cache, ix.cache_limit)
        return out

    def relationships(self, keys: Iterable[Key]) -> dict[Key, Relationship]:
        nid, ekey = self.ix.nid_of, self.ix.ekey
        if not ekey:
            return {}
        rids = []
        for t, s, d in keys:
            ns, nd = nid.get(s), nid.get(d)
            if ns is not None and nd is not None:
                rid = ekey.get(edge_key(TYPE_CODE[t], ns, nd))
                if rid is not None:
                    rids.append(rid)
        return {r.key: r for r in self._rels_by_rid(rids).values()}

    def relationships_of(self, ids: Iterable[str]) -> list[Relationship]:
        rids: set[int] = set()
        for i in ids:
            n = self.ix.nid_of.get(i)
            if n is not None and self.ix.adj[n]:
                rids.update(self.ix.adj[n] or ())
        return list(self._rels_by_rid(sorted(rids)).values())

    # writes

    def any_merged(self) -> bool:
        return bool(self.ix.merged)

    def bulk_hint(self, entities: int, relationships: int) -> None:
        self._bulk(entities)

    def _bulk(self, n: int) -> None:
        """Drop the entities' index for a large load into an empty table; rebuilt at commit."""
        if n >= BULK_ROWS and "entities" not in self.rebuild and not self._any(sql("any_entity")):
            self.db.execute(sql("drop_entities_id"))
            self.rebuild["entities"] = [sql("create_entities_id")]

    def build_dropped(self, *tables: str) -> None:
        """Build the indexes dropped for a large load into ``tables`` (by default every one)."""
        for table in tables or list(self.rebuild):
            for statement in self.rebuild.pop(table, ()):
                self.db.execute(statement)

    def _any(self, query: str) -> bool:
        return self.db.execute(query).fetchone() is not None

    def put_entities(self, entities: Sequence[Entity], new: bool) -> None:
        ix = self.ix
        if new:
            self._bulk(len(entities))
            start = self.s._next_nid()
            rows = [(start + k, *entity_row(e)) for k, e in enumerate(entities)]
            ix.add_nodes(
                start,
                [e.id for e in entities],
                [KIND_CODE[e.kind] for e in entities],
                [ix.locality_code(e.locality) for e in entities],
                bytes(flagged(e.properties) for e in entities),
            )
            ix.names = None
            self.s._nid = start + len(entities)
            insert_rows(self.db, sql("insert_entity"), rows)
        else:
            rows = []
            for e in entities:
                nid = ix.nid_of[e.id]
                rows.append((*entity_row(e)[1:], nid))
                ix.set_node(nid, e.id, e.kind, e.locality, ix.merged.get(e.id), flagged(e.properties))
            self.db.executemany(sql("update_entity"), rows)

    def put_relationships(self, rels: Sequence[Relationship], new: bool) -> None:
        ix = self.ix
        nid = ix.nid_of
        if new:
            self.put_keyed({edge_key(TYPE_CODE[r.type], nid[r.source], nid[r.target]): r for r in rels})
        else:
            updates = []
            for r in rels:
                t, s, d = TYPE_CODE[r.type], nid[r.source], nid[r.target]
                rid = ix.ekey[edge_key(t, s, d)]
                first, last, count, grading, asr = summary_of(r)
                updates.append((first, last, count, grading, asr, dumps(r.properties), rid))
                ix.set_edge(rid, t, s, d, day(first), day(last), count, grade_code(grading))
            self.db.executemany(sql("update_relationship"), updates)

    def put_keyed(self, fresh: dict[int, Relationship]) -> None:
        """New relationships by their edge keys (as :meth:`SQLiteStore._upsert_relationships`
        groups them): the same rows and index entries as :meth:`put_relationships`, made in one
        pass (:func:`.rows.keyed_rows`)."""
        start = self.s._next_rid()
        rows, cols = keyed_rows(fresh, start, self._said)
        self.ix.add_edges(start, cols)
        self.s._rid = start + len(rows)
        insert_rows(self.db, sql("insert_relationship"), rows)

    def put_staged_relationships(self, staged: StagedRelationships, s: WriteSummary) -> bool:
        """The rows another process made, copied in one statement, when this store holds no
        relationship, nothing merged, and exactly the entities they number, numbered alike."""
        ix = self.ix
        if ix.merged or len(ix.e_src) > 1 or self.s._next_rid() != 1 or ix.ids[1:] != list(staged.ids):
            return False
        self.build_dropped()  # while the other process ends the rows
        made = staged.rows()
        if made is None:
            return False
        db = self.db
        db.execute(sql("attach_staged_links"), (made.file,))
        self.attached.append(sql("detach_staged_links"))
        db.execute(sql("put_staged_links"), {"mask": MASK})
        ix.add_edges(1, made.columns)
        self.s._rid = 1 + made.count
        s.relationships_created += made.count
        return True

    def delete_relationships(self, keys: Sequence[Key]) -> None:
        ix = self.ix
        rids = []
        for t, s, d in keys:
            rid = ix.ekey.get(edge_key(TYPE_CODE[t], ix.nid_of[s], ix.nid_of[d]))
            if rid is not None:
                rids.append(rid)
        if rids:
            self.db.execute(sql("delete_relationships"), (values(rids),))
        for rid in rids:
            ix.drop_edge(rid)

    def delete_entities(self, ids: Sequence[str]) -> None:
        present = [i for i in ids if i in self.ix.nid_of]
        if present:
            self.db.execute(sql("delete_entities"), (values(present),))
        for i in present:
            self.ix.drop_node(i)

    def set_merged_into(self, ids: Sequence[str], into: str | None) -> None:
        ix = self.ix
        ix.forget(ix.nid_of[x] for x in [*ids, *([into] if into else [])] if x in ix.nid_of)
        ix.names = None
        for i in ids:
            self.db.execute(sql("set_merged_into"), (into, i))
            old = ix.merged.pop(i, None)
            if old is not None:
                ix.forget([ix.nid_of[old]] if old in ix.nid_of else [])
                ix.members[old] = [m for m in ix.members.get(old, []) if m != i]
                if not ix.members[old]:
                    del ix.members[old]
            nid = ix.nid_of[i]
            if into:
                ix.merged[i] = into
                ix.members.setdefault(into, []).append(i)
                ix.alive[nid] = 0
            else:
                ix.alive[nid] = 1

    def add_record(self, table: str, record: dict[str, Any]) -> None:
        assert table in RECORD_TABLES
        self.db.execute(sql("add_record"), (table, dumps(record)))

    def records(self, table: str) -> list[dict[str, Any]]:
        rows = self.db.execute(sql("records"), (table,))
        return [orjson.loads(b) for (b,) in rows]

    def delete_records(self, table: str, ids: Sequence[str]) -> None:
        doomed = set(ids)
        rows = self.db.execute(sql("records_with_seq"), (table,)).fetchall()
        seqs = [(seq,) for seq, body in rows if orjson.loads(body).get("id") in doomed]
        self.db.executemany(sql("delete_record"), seqs)

    def put_tracking(self, records: Sequence[Tracked]) -> None:
        db = self.db
        if self._any(sql("any_tracking")):
            held = [i for (i,) in db.execute(sql("tracking_held"), (values(t.id for t in records),))]
            if held:  # a record replaced: the entities it named before go with it
                db.executemany(sql("drop_tracking_names"), [(i,) for i in held])
        elif len(records) >= BULK_ROWS and "tracking" not in self.rebuild:
            # a large load into an empty table: its lookups by kind and by record built at commit
            db.execute(sql("drop_tracking_record"))
            db.execute(sql("drop_tracking_names_id"))
            self.rebuild["tracking"] = [sql("create_tracking_record"), sql("create_tracking_names_id")]
        db.executemany(sql("put_tracking"), [(t.id, t.record, t.subject, t.date, dumps(t.to_json())) for t in records])
        db.executemany(sql("add_tracking_name"), [(e, t.id) for t in records for e in t.involves])

    def put_staged_tracking(self, staged: StagedTracking) -> None:
        """The staged rows attached and copied in a statement each; detached when the
        transaction ends (SQLite keeps an attached database until then)."""
        if not staged.written():  # not staged after all: read where the write is made
            super().put_staged_tracking(staged)
            return
        db = self.db
        self.build_dropped("entities")  # a name is checked by the entities' index
        if sql("detach_staged") in self.attached:
            raise StoreError("one staging of tracking records is written per transaction")
        db.execute(sql("attach_staged"), (staged.file,))
        self.attached.append(sql("detach_staged"))
        unstored = db.execute(sql("staged_unstored")).fetchone()
        if unstored is not None:
            line, name, eid = unstored
            raise TrackingError(f"{staged.path}:{line}: field {name!r}: no entity {eid!r} is stored")
        if self._any(sql("any_tracking")):
            db.execute(sql("drop_staged_held_names"))  # a record replaced: the entities it named go with it
        elif staged.count >= BULK_ROWS and "tracking" not in self.rebuild:
            db.execute(sql("drop_tracking_record"))
            db.execute(sql("drop_tracking_names_id"))
            self.rebuild["tracking"] = [sql("create_tracking_record"), sql("create_tracking_names_id")]
        db.execute(sql("put_staged_tracking"))
        db.execute(sql("put_staged_names"))

    def tracking_of(self, ids: Sequence[str]) -> list[Tracked]:
        rows = self.db.execute(sql("tracking_of"), (values(ids),))
        return [Tracked.from_stored(orjson.loads(b)) for (b,) in rows]

    def tracking_by_id(self, ids: Sequence[str]) -> dict[str, Tracked]:
        rows = self.db.execute(sql("tracking_by_id"), (values(ids),))
        got = (Tracked.from_stored(orjson.loads(b)) for (b,) in rows)
        return {t.id: t for t in got}

    def delete_tracking(self, ids: Sequence[str]) -> None:
        self.db.executemany(sql("drop_tracking_names"), [(i,) for i in ids])
        self.db.executemany(sql("delete_tracking"), [(i,) for i in ids])

    def set_audit_head(self, head: dict[str, Any]) -> None:
        self.db.execute(sql("set_meta"), ("audit.head", orjson.dumps(head)))

    def audit_head(self) -> dict[str, Any] | None:
        row = self.db.execute(sql("meta"), ("audit.head",)).fetchone()
        return None if row is None else dict(orjson.loads(row[0]))

    def put_postcodes(self, rows: Sequence[tuple[str, float, float]]) -> None:
        self.db.executemany(sql("put_postcode"), rows)

    def put_named_places(self, rows: Sequence[Named]) -> None:
        self.db.executemany(
            sql("put_named_place"),
            [(r.key, r.locality, r.name, r.lat, r.lon, r.kind) for r in rows],
        )

    def postcodes(self, codes: Sequence[str]) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for code, lat, lon in self.db.execute(sql("postcodes_in"), (values(dict.fromkeys(codes)),)):
            out[code] = (lat, lon)
        return out

    def named_places(self, keys: Sequence[str]) -> list[Named]:
        return [Named(*row) for row in self.db.execute(sql("named_places_in"), (values(dict.fromkeys(keys)),))]

    def gazetteer_size(self) -> tuple[int, int]:
        (a,) = self.db.execute(sql("count_postcodes")).fetchone()
        (b,) = self.db.execute(sql("count_named_places")).fetchone()
        return int(a), int(b)
