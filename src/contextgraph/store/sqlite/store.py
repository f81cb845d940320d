"""The embedded default store: one SQLite file.

The file is the truth. Beside it, in memory, the store keeps an adjacency index
(ids, kinds, localities, and for each relationship its ends, type, dates and
count) in plain Python arrays, so that traversals and projections never scan the
file. The index is updated with every write of this process, and rebuilt when
another process has written the file (SQLite's ``data_version`` tells).

Writes take SQLite's write lock first (``BEGIN IMMEDIATE``) and then bring the
index up to date, so the index's map of relationship keys is exact while they
write: that map, not an SQL index, keeps one row per type and pair.
"""

from __future__ import annotations

import contextlib
import gc
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import orjson
from rapidfuzz import fuzz, process

from ...memory import paused_gc
from ...model import KIND_CODES, KINDS, TYPE_CODES, Entity, Relationship, flagged, grade_code
from ...projection import Projection, day
from ...text import normalise_name
from ..base import Store, Txn
from ..errors import NotFound, StoreError
from ..filter import Filter
from ..merge import merge_relationship, same_rel, view
from ..types import Fact, Key, Label, Stats, Subgraph, WriteSummary
from ..walk import walk
from .codec import KIND_CODE, SYMMETRIC, TYPE_CODE, entity_of_row, relationship_of_row
from .index import Index, day_number, edge_key
from .migrations import MIGRATIONS
from .sql import set_version, sql, values
from .txn import SQLiteTxn

T = TypeVar("T")


class SQLiteStore(Store):
    """The embedded store in one SQLite file (``sqlite:///path/to/file.db``)."""

    batch_size = 250_000
    snapshot_min = 100_000
    """Keep a copy of the index in the file on close when it holds at least this many entities and relationships."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self._db.executescript(sql("settings"))
        self._migrate()
        self._ix: Index | None = None
        self._ix_saved = False  # the index matches the copy kept in the file
        self._data_version: int | None = None
        self._nid = 0
        self._rid = 0
        self._writes = 0
        self._warm = False
        self._unfilled = False  # warmed, and the index was read again since the records were

    def version(self) -> tuple[int, int] | None:
        """Changes with every committed write, by this connection or another."""
        with self._lock:
            return (self._db.execute(sql("data_version")).fetchone()[0], self._writes)

    def _migrate(self) -> None:
        version = self._db.execute(sql("user_version")).fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this contextgraph knows ({len(MIGRATIONS)})"
            )
        for n in range(version, len(MIGRATIONS)):
            self._db.execute(sql("begin_write"))
            try:
                for stmt in MIGRATIONS[n].split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
                self._db.execute(set_version(n + 1))
                self._db.execute(sql("commit"))
            except BaseException:
                self._db.execute(sql("rollback"))
                raise

    @property
    def schema_version(self) -> int:
        return int(self._db.execute(sql("user_version")).fetchone()[0])

    def _next_nid(self) -> int:
        if not self._nid:
            self._nid = (self._db.execute(sql("top_nid")).fetchone()[0] or 0) + 1
        return self._nid

    def _next_rid(self) -> int:
        if not self._rid:
            self._rid = (self._db.execute(sql("top_rid")).fetchone()[0] or 0) + 1
        return self._rid

    def _index(self) -> Index:
        """The adjacency index, (re)built if another connection wrote the file.

        It is read from the copy kept in the file when that copy was taken at the
        file's current stamp (see :meth:`save_index`), and otherwise from the tables.
        """
        dv = self._db.execute(sql("data_version")).fetchone()[0]
        if self._ix is None or dv != self._data_version:
            self._ix = None
            own = not self._db.in_transaction
            if own:
                self._db.execute(sql("begin_read"))  # one consistent read of the file
            try:
                dv = self._db.execute(sql("data_version")).fetchone()[0]
                with paused_gc():
                    ix = self._restore_index()
                    self._ix_saved = ix is not None
                    self._ix = ix if ix is not None else self._load_index()
            finally:
                if own:
                    self._db.execute(sql("commit"))
            gc.freeze()  # a long-lived index: keep it out of every later collection
            self._data_version = dv
            self._nid = self._rid = 0
            self._unfilled = self._warm
        if self._unfilled and not self._db.in_transaction:  # never inside another's write
            self._unfilled = False
            self._fill(self._ix)
        return self._ix

    def _stamp(self) -> bytes | None:
        row = self._db.execute(sql("meta"), ("stamp",)).fetchone()
        return bytes(row[0]) if row else None

    def _restore_index(self) -> Index | None:
        """The index from the copy in the file, if it was taken at the file's current stamp."""
        stamp = self._stamp()
        if stamp is None:
            return None
        saved = self._db.execute(sql("meta"), ("index.stamp",)).fetchone()
        if saved is None or bytes(saved[0]) != stamp:
            return None
        parts = {k[len("index.") :]: bytes(v) for k, v in self._db.execute(sql("index_copy"))}
        ix = Index.restore(parts)
        if ix is None:
            return None
        top_nid = self._db.execute(sql("top_nid")).fetchone()[0] or 0
        top_rid = self._db.execute(sql("top_rid")).fetchone()[0] or 0
        if (top_nid, top_rid) != ix.top():  # rows written by something else
            return None
        return ix

    def save_index(self) -> bool:
        """Keep a copy of the in-memory index in the file, taken at the file's stamp.

        The next process to open the file then reads the copy (a few column reads)
        instead of rebuilding the index from every row. Every write renews the stamp,
        so a copy is used only while nothing has been written since it was taken.
        Returns whether a copy was written: not when the index already matches the
        copy, is not loaded, is out of date, or the file is busy or read-only.
        """
        with self._lock:
            if self._ix is None or self._ix_saved:
                return False
            try:
                self._db.execute(sql("begin_write"))
            except sqlite3.OperationalError:
                return False
            try:
                if self._db.execute(sql("data_version")).fetchone()[0] != self._data_version:
                    self._db.execute(sql("rollback"))
                    return False  # another connection wrote since the index was read
                self._db.execute(sql("ensure_stamp"))
                stamp = self._stamp()
                self._db.execute(sql("drop_index_copy"))
                rows = [(f"index.{k}", v) for k, v in self._ix.snapshot().items()]
                self._db.executemany(sql("add_meta"), [*rows, ("index.stamp", stamp)])
                self._db.execute(sql("commit"))
            except BaseException:
                self._db.execute(sql("rollback"))
                raise
            self._ix_saved = True
            return True

    def _load_index(self) -> Index:
        ix = Index()
        rows = self._db.execute(sql("entity_index_rows")).fetchall()
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
        for nid, props in self._db.execute(sql("entity_properties")):
            ix.flag[nid] = 1 if flagged(orjson.loads(props)) else 0
        cur = self._db.execute(sql("relationship_index_rows"))
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

    def _upsert_relationships(self, tx: Txn, batch: Sequence[Relationship], s: WriteSummary) -> None:
        """The same as the generic upsert, in one pass: key, lookup and row together.

        Used while nothing is merged (no ids to resolve); otherwise the generic path.
        """
        if not isinstance(tx, SQLiteTxn) or tx.ix.merged:
            super()._upsert_relationships(tx, batch, s)
            return
        ix = tx.ix
        nid, ekey, tcode = ix.nid_of, ix.ekey, TYPE_CODE
        fresh: dict[int, Relationship] = {}
        hits: dict[int, Relationship] = {}
        for r in batch:
            if r.target < r.source and r.type in SYMMETRIC:
                r = Relationship(r.type, r.target, r.source, r.assertions, r.properties)
            if len(r.assertions) > 1:
                r = merge_relationship(None, r)
            k = edge_key(tcode[r.type], nid[r.source], nid[r.target])
            rid = ekey.get(k)
            if rid is None:
                prev = fresh.get(k)
                fresh[k] = r if prev is None else merge_relationship(prev, r)
            else:
                prev = hits.get(rid)
                hits[rid] = r if prev is None else merge_relationship(prev, r)
        changed = []
        if hits:
            old = tx._rels_by_rid(list(hits))
            for rid, r in hits.items():
                m = merge_relationship(old[rid], r)
                if same_rel(m, old[rid]):
                    s.unchanged += 1
                else:
                    changed.append(m)
        if fresh:
            tx.put_relationships(list(fresh.values()), new=True)
        if changed:
            tx.put_relationships(changed, new=False)
        s.relationships_created += len(fresh)
        s.relationships_updated += len(changed)

    def transaction(self, fn: Callable[[Txn], T]) -> T:
        with self._lock:
            self._db.execute(sql("begin_write"))
            tx = SQLiteTxn(self)
            try:
                out = fn(tx)
                if tx.rebuild:
                    self._db.execute(sql("create_entities_id"))
                self._keep_head(tx)
                self._db.execute(sql("renew_stamp"))
                self._db.execute(sql("commit"))
                self._head_kept()
                self._writes += 1
                self._ix_saved = False
                return out
            except BaseException:
                self._db.execute(sql("rollback"))
                self._ix = None  # the index may hold writes that were rolled back
                self._nid = self._rid = 0
                raise

    def read(self, fn: Callable[[Txn], T]) -> T:
        with self._lock:
            return fn(SQLiteTxn(self))

    def postcode_at(self, code: str) -> tuple[float, float] | None:
        """One postcode's coordinates, by its primary key alone (the graph's index is not needed)."""
        with self._lock:
            row = self._db.execute(sql("postcode_at"), (code,)).fetchone()
        return None if row is None else (row[0], row[1])

    def erase(self, eid: str, user: str = "system", reason: str = "") -> dict[str, Any]:
        """As :meth:`Store.erase`; then the write-ahead log is copied into the file and emptied,
        so that no page of the file or its WAL still holds what was erased. ``wal_emptied`` in
        the answer is False when another connection's read kept the WAL from being emptied
        (within the busy timeout): it is emptied by the next erasure or checkpoint."""
        out = super().erase(eid, user=user, reason=reason)
        return {**out, "wal_emptied": self.checkpoint()}

    def checkpoint(self) -> bool:
        """Copy the WAL into the file and truncate it to nothing; False if a reader kept it."""
        with self._lock:
            busy, _, _ = self._db.execute(sql("checkpoint")).fetchone()
        return not busy

    # reads built on the index

    def expand(self, ids: Sequence[str], flt: Filter) -> list[tuple[Relationship, Entity]]:
        with self._lock:
            ix = self._index()
            tx = SQLiteTxn(self)
            other = {rid: o for _, rid, o in self._adjacent(ix, ix.nids(ids), flt, outside=False)}
            rels = tx._rels_by_rid(list(other))
            ents = tx._ents_by_nid(list(set(other.values())))
            return [(r, ents[other[rid]]) for rid, r in rels.items()]

    def neighbourhood(self, eid: str, depth: int = 1, flt: Filter | None = None) -> Subgraph:
        """As :meth:`Store.neighbourhood`, walked in the adjacency index: records are read
        (or taken from memory) once the walk has found them, not step by step."""
        if not 1 <= depth <= 3:
            raise StoreError("depth must be 1, 2 or 3")
        flt = flt or Filter()
        with self._lock:
            ix = self._index()
            tx = SQLiteTxn(self)
            c = ix.nid_of.get(ix.merged.get(eid, eid))
            if c is None:
                raise NotFound(f"no entity {eid!r}")
            public = flt.public_only
            svc = KIND_CODE["service"]
            kind = ix.kind
            visible: dict[int, Relationship] = {}

            def step(frontier: list[int]) -> Iterator[tuple[int, int, bool]]:
                found = self._adjacent(ix, frontier, flt, outside=False)
                if public:
                    found = self._visible(tx, found, flt, visible)
                for _, rid, o in found:
                    yield rid, o, kind[o] != svc

            nodes, rids = walk(c, depth, step)
            ents = tx._ents_by_nid(nodes)
            rels = tx._rels_by_rid(rids)
            out = [ents[n] for n in nodes if n in ents]
            edges = [visible.get(rid) or rels[rid] for rid in rids if rid in rels]
        return Subgraph(self.as_seen(out), edges)

    @staticmethod
    def _visible(
        tx: SQLiteTxn, found: list[tuple[int, int, int]], flt: Filter, kept: dict[int, Relationship]
    ) -> list[tuple[int, int, int]]:
        """The steps of ``found`` a reader cleared for P only may take: the relationship keeps a
        P assertion (kept, so reduced, in ``kept``) and the entity reached was named under P."""
        rels = tx._rels_by_rid([rid for _, rid, _ in found])
        ents = tx._ents_by_nid(list({o for _, _, o in found}))
        out = []
        for n, rid, o in found:
            r = rels.get(rid)
            e = ents.get(o)
            seen = flt.visible_facts(r) if r is not None else None
            if seen is None or e is None or not flt.node_ok(e.kind, e.locality, e.handling):
                continue
            kept[rid] = seen
            out.append((n, rid, o))
        return out

    def outside_links(self, ids: Sequence[str], flt: Filter) -> dict[str, int]:
        """As :meth:`Store.outside_links`, from the adjacency index: only the links that leave the
        user's localities are read from the file, to check their handling codes."""
        if flt.localities is None:
            return {}
        with self._lock:
            ix = self._index()
            found = self._adjacent(ix, ix.nids(ids), flt, outside=True)
            if flt.public_only and found:
                rels = SQLiteTxn(self)._rels_by_rid([rid for _, rid, _ in found])
                found = [x for x in found if x[1] in rels and flt.visible_facts(rels[x[1]]) is not None]
            out: dict[str, int] = {}
            for n, _, _ in found:
                key = ix.ids[n] or ""
                out[key] = out.get(key, 0) + 1
            return out

    @staticmethod
    def _adjacent(ix: Index, nids: Sequence[int], flt: Filter, outside: bool) -> list[tuple[int, int, int]]:
        """``(node, edge, other end)`` for the live edges of nodes ``nids`` that pass ``flt``'s
        types and dates, whose other end passes its kinds and localities — or, with
        ``outside``, whose other end is a non-service entity outside its localities."""
        types = {TYPE_CODE[t] for t in flt.types} if flt.types is not None else None
        since = day(flt.since) if flt.since else None
        until = day(flt.until) if flt.until else None
        kinds = {KIND_CODE[k] for k in flt.kinds} if flt.kinds is not None else None
        locs = {ix.loc_code[x] for x in flt.localities if x in ix.loc_code} if flt.localities is not None else None
        svc = KIND_CODE["service"]
        adj, e_type, e_first, e_last, e_src, e_dst = ix.adj, ix.e_type, ix.e_first, ix.e_last, ix.e_src, ix.e_dst
        alive, kind, loc = ix.alive, ix.kind, ix.loc
        plain = types is None and since is None and until is None and kinds is None and locs is None
        found: list[tuple[int, int, int]] = []
        for n in nids:
            for rid in adj[n] or ():
                if not plain:
                    if types is not None and e_type[rid] not in types:
                        continue
                    if since is not None and 0 <= e_last[rid] < since:
                        continue
                    if until is not None and e_first[rid] > until:
                        continue
                s = e_src[rid]
                o = e_dst[rid] if s == n else s
                if o == n or not alive[o]:
                    continue
                if plain:
                    found.append((n, rid, o))
                    continue
                k = kind[o]
                if outside:
                    if k != svc and locs is not None and loc[o] not in locs:
                        found.append((n, rid, o))
                    continue
                if kinds is not None and k not in kinds:
                    continue
                if locs is not None and k != svc and loc[o] not in locs:
                    continue
                found.append((n, rid, o))
        return found

    def _name_index(self, ix: Index) -> tuple[list[str], list[int]]:
        """Every normalised name and alias, with the node that answers to it (merges followed)."""
        if ix.names is None:
            names: list[str] = []
            owners: list[int] = []
            for nid, name, aliases, merged in self._db.execute(sql("entity_names")):
                owner = ix.nid_of.get(merged, 0) if merged else nid
                for n in (name, *orjson.loads(aliases)):
                    names.append(normalise_name(n))
                    owners.append(owner)
            ix.names = (names, owners)
        return ix.names

    def search_candidates(self, keys: Sequence[str], flt: Filter, limit: int) -> list[Entity]:
        with self._lock:
            ix = self._index()
            names, owners = self._name_index(ix)
            found: dict[int, None] = {}
            for key in keys:
                for _, _, i in process.extract(
                    key, names, scorer=fuzz.WRatio, limit=max(limit * 5, 1000), score_cutoff=60
                ):
                    n = owners[i]
                    if n and ix.alive[n] and flt.node_ok(KIND_CODES[ix.kind[n]], ix.loc_names[ix.loc[n]]):
                        found.setdefault(n, None)
            tx = SQLiteTxn(self)
            recs = tx.entities([ix.ids[n] or "" for n in found])
            members = tx.entities({m for r in recs.values() for m in r.members})
        return [view(r, [members[m] for m in r.members if m in members]) if r.members else r for r in recs.values()]

    def conditional_entities(self) -> list[str]:
        with self._lock:
            return [i for (i,) in self._db.execute(sql("conditional_entities"))]

    def conditional_keys(self) -> list[Key]:
        with self._lock:
            ix = self._index()
            rows = self._db.execute(sql("conditional_relationships"))
            return [(t, a, b) for t, a, b in rows if a in ix.nid_of and ix.alive[ix.nid_of[a]]]

    def project(self, flt: Filter) -> Projection:
        with self._lock:
            ix = self._index()
            n_all = len(ix.ids)
            alive = np.frombuffer(bytes(ix.alive), np.uint8).astype(bool)
            kind = np.frombuffer(bytes(ix.kind), np.int8)
            loc = np.frombuffer(ix.loc.tobytes(), np.int16)
            keep = alive.copy()
            if flt.kinds is not None:
                keep &= np.isin(kind, [KIND_CODE[k] for k in flt.kinds])
            if flt.localities is not None:
                codes = [ix.loc_code[x] for x in flt.localities if x in ix.loc_code]
                keep &= np.isin(loc, codes) | (kind == KIND_CODE["service"])
            e_alive = np.frombuffer(bytes(ix.e_alive), np.uint8).astype(bool)
            src = np.frombuffer(ix.e_src.tobytes(), np.int32)
            dst = np.frombuffer(ix.e_dst.tobytes(), np.int32)
            et = np.frombuffer(bytes(ix.e_type), np.int8)
            ef = np.frombuffer(ix.e_first.tobytes(), np.int32)
            el = np.frombuffer(ix.e_last.tobytes(), np.int32)
            ec = np.frombuffer(ix.e_count.tobytes(), np.int32)
            eg = np.frombuffer(bytes(ix.e_grade), np.int8)
            flag = np.frombuffer(bytes(ix.flag), np.uint8).astype(bool)
            for member, into in ix.merged.items():  # a merged record's flag counts for its entity
                if flag[ix.nid_of[member]] and into in ix.nid_of:
                    flag[ix.nid_of[into]] = True
            emask = e_alive & keep[src] & keep[dst] & (src != dst)
            if flt.types is not None:
                emask &= np.isin(et, [TYPE_CODE[t] for t in flt.types])
            if flt.since:
                emask &= ~((el >= 0) & (el < day(flt.since)))
            if flt.until:
                emask &= ~(ef > day(flt.until))
            nodes = np.flatnonzero(keep)
            remap = np.full(n_all, -1, np.int32)
            remap[nodes] = np.arange(nodes.shape[0], dtype=np.int32)
            ids_all = ix.ids
            used = sorted({ix.loc_names[c] for c in set(loc[nodes].tolist())}, key=lambda x: (x is None, x or ""))
            newcode = {name: i for i, name in enumerate(used)}
            lmap = np.zeros(len(ix.loc_names), np.int16)
            for old, name in enumerate(ix.loc_names):
                lmap[old] = newcode.get(name, 0)
            return Projection(
                ids=[ids_all[i] or "" for i in nodes.tolist()],
                kind=kind[nodes].copy(),
                locality=lmap[loc[nodes]],
                localities=used,
                src=remap[src[emask]],
                dst=remap[dst[emask]],
                type=et[emask].copy(),
                first_seen=ef[emask].copy(),
                last_seen=el[emask].copy(),
                count=ec[emask].copy(),
                grade=eg[emask].copy(),
                flag=flag[nodes],
            )

    def labels(self, ids: Iterable[str]) -> dict[str, Label]:
        """As :meth:`Store.labels`, straight from the columns (no records decoded)."""
        with self._lock:
            ix = self._index()
            by_nid: dict[int, list[str]] = {}
            for i in ids:
                n = ix.nid_of.get(ix.merged.get(i, i))
                if n is not None:
                    by_nid.setdefault(n, []).append(i)
            out: dict[str, Label] = {}
            if len(by_nid) > len(ix.nid_of) // 8:  # a large share: one scan beats many lookups
                rows: Iterable[tuple[int, str, float | None, float | None]] = self._db.execute(sql("entity_labels"))
                for nid, name, lat, lon in rows:
                    for i in by_nid.get(nid, ()):
                        out[i] = Label(name, lat, lon)
                return out
            for nid, name, lat, lon in self._db.execute(sql("entity_labels_by_nid"), (values(sorted(by_nid)),)):
                for i in by_nid[nid]:
                    out[i] = Label(name, lat, lon)
            return out

    def facts(self, keys: Iterable[Key], flt: Filter | None = None) -> dict[Key, Fact]:
        """As :meth:`Store.facts`, straight from the columns and the assertions' source refs."""
        if flt is not None and flt.public_only:
            return super().facts(keys, flt)
        with self._lock:
            ix = self._index()
            nid, ekey = ix.nid_of, ix.ekey
            by_rid: dict[int, Key] = {}
            for k in keys:
                ns, nd = nid.get(k[1]), nid.get(k[2])
                if ns is not None and nd is not None:
                    rid = ekey.get(edge_key(TYPE_CODE[k[0]], ns, nd))
                    if rid is not None:
                        by_rid[rid] = k
            out: dict[Key, Fact] = {}
            rows = self._db.execute(sql("relationship_facts_by_rid"), (values(sorted(by_rid)),))
            for rid, first, last, grading, count, asr in rows:
                refs = list(dict.fromkeys(a[0] for a in orjson.loads(asr) if a[0]))
                out[by_rid[rid]] = Fact(refs, first, last, grading, count)
            return out

    def stats(self) -> Stats:
        with self._lock:
            db = self._db
            ents = dict(db.execute(sql("count_entities_by_kind")))
            rels = dict(db.execute(sql("count_relationships_by_type")))
            locs = {(k or "(none)"): v for k, v in db.execute(sql("count_entities_by_locality"))}
            merged = db.execute(sql("count_merged")).fetchone()[0]
            rec = dict(db.execute(sql("count_records_by_table")))
        return Stats(
            entities={k: ents.get(k, 0) for k in KINDS},
            relationships={t: rels.get(t, 0) for t in TYPE_CODES},
            localities=dict(sorted(locs.items())),
            merged=merged,
            judgements=rec.get("judgements", 0),
            erasures=rec.get("erasures", 0),
        )

    def _snapshot(self) -> sqlite3.Connection:
        """A separate read connection: a consistent snapshot to stream from while others write."""
        con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, isolation_level=None)
        con.execute(sql("begin_read"))
        return con

    def iter_entities(self) -> Iterator[Entity]:
        con = self._snapshot()
        try:
            cur = con.execute(sql("all_entities"))
            while rows := cur.fetchmany(10_000):
                for row in rows:
                    yield entity_of_row(row)
        finally:
            con.close()

    def iter_relationships(self) -> Iterator[Relationship]:
        con = self._snapshot()
        try:
            ids = dict(con.execute(sql("entity_ids")))
            cur = con.execute(sql("all_relationships"))
            while rows := cur.fetchmany(10_000):
                for _, t, s, d, asr, props in rows:
                    yield relationship_of_row(t, ids.get(s), ids.get(d), asr, props)
        finally:
            con.close()

    def warm(self) -> int:
        """As :meth:`Warmable.warm`: every record decoded into memory in one pass over each table,
        and kept there (changed records are read again after a write). A store warmed once
        stays warm: when another connection writes, the records are read again with the index."""
        with self._lock:
            self._warm = True
            return self._fill(self._index())

    def _fill(self, ix: Index) -> int:
        """Every record not yet in memory into ``ix``'s caches, which are no longer bounded."""
        ix.cache_limit = None
        ents, rels, ids = ix.records, ix.rels, ix.ids
        with paused_gc():
            if len(ents) < len(ix.nid_of):
                for row in self._db.execute(sql("all_entities")):
                    if row[0] not in ents:
                        ents[row[0]] = ix.decoded(row)
            for rid, t, s, d, asr, props in self._db.execute(sql("all_relationships")):
                if rid not in rels:
                    rels[rid] = relationship_of_row(t, ids[s], ids[d], asr, props)
        gc.freeze()  # long-lived records: keep them out of every later collection
        return len(ents) + len(rels)

    def before_fork(self) -> None:
        with self._lock:
            self._index().ekey  # noqa: B018 - built on first use; facts look relationships up in it

    def in_child(self) -> SQLiteStore:
        """As :meth:`Forkable.in_child`: a new connection to the same file, sharing the
        index this process had loaded when it forked (never this connection, which
        SQLite forbids using across a fork). The index is not checked again: a
        forked reader answers about the graph as it stood at the fork."""
        child = SQLiteStore(self.path)
        child._ix = self._ix
        child._ix_saved = True
        child._data_version = child._db.execute(sql("data_version")).fetchone()[0]
        return child

    def close(self) -> None:
        with self._lock:
            ix = self._ix
            if ix is not None and not self._ix_saved and len(ix.ids) + len(ix.e_src) >= self.snapshot_min:
                with contextlib.suppress(sqlite3.Error):  # only a copy to open faster: the file is complete
                    self.save_index()
            self._db.close()
