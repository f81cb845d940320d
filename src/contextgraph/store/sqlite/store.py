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
import dataclasses
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import orjson

from ...model import KINDS, TYPE_CODES, Entity, Relationship
from ...model.tracked import Tracked
from ...model.tracking import RECORD_KINDS
from ..base import Store
from ..errors import StoreError
from ..filter import Filter
from ..merge import merge_relationship, same_rel
from ..txn import Txn
from ..types import Erasure, Fact, Key, Label, Stats, Subgraph, WriteSummary
from . import loading, reads
from .codec import TYPE_CODE, entity_of_row, relationship_of_row
from .index import Index
from .migrations import MIGRATIONS
from .rows import stored_form
from .sql import set_version, sql
from .txn import SQLiteTxn

if TYPE_CHECKING:
    from ...projection import Projection

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
        self._first_load = not self.path.exists() or self.path.stat().st_size == 0
        in_memory = str(path) in (":memory:", "")  # no file at all
        with contextlib.suppress(FileExistsError):  # records about children: a new file is its owner's only
            if not in_memory:
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # (SQLite's journal alike)
        self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        try:
            self._db.executescript(sql("settings"))
            if self._first_load:
                self._db.execute(sql("page_size"))
            self._db.execute(sql("first_load" if self._first_load else "write_ahead")).fetchall()
            self._migrate()
        except sqlite3.DatabaseError as e:  # a file that is not a database, or a damaged one
            self._db.close()
            raise StoreError(f"{self.path}: not a store that can be opened ({e})") from None
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

    def _write_ahead(self) -> None:
        """The file in write-ahead-log mode once its first write (or the store's close) is done."""
        if self._first_load:  # tried again at the next write or the close if another connection held the file
            with contextlib.suppress(sqlite3.Error):  # never fails a write already committed, or a close
                was = self._db.execute(sql("data_version")).fetchone()[0]
                self._first_load = self._db.execute(sql("write_ahead")).fetchone()[0] != "wal"
                if self._data_version == was:  # the change of mode is not another connection's write
                    self._data_version = self._db.execute(sql("data_version")).fetchone()[0]

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
        return loading.current_index(self)

    def save_index(self) -> bool:
        """Keep a copy of the in-memory index in the file, taken at the file's stamp.

        The next process to open the file then reads the copy (a few column reads)
        instead of rebuilding the index from every row. Every write renews the stamp,
        so a copy is used only while nothing has been written since it was taken.
        Returns whether a copy was written: not when the index already matches the
        copy, is not loaded, is out of date, or the file is busy or read-only.
        """
        return loading.save_index(self)

    def _load_index(self) -> Index:
        return loading.load_index(self)

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
        put = fresh.setdefault
        for r in batch:
            r = stored_form(r)
            k = (tcode[r.type] << 56) | (nid[r.source] << 28) | nid[r.target]  # as edge_key
            rid = ekey.get(k) if ekey else None
            if rid is None:
                prev = put(k, r)
                if prev is not r:
                    fresh[k] = merge_relationship(prev, r)
            else:
                was = hits.get(rid)
                hits[rid] = r if was is None else merge_relationship(was, r)
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
            tx.put_keyed(fresh)
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
                tx.build_dropped()  # indexes dropped for a large load
                self._keep_head(tx)
                self._db.execute(sql("renew_stamp"))
                self._db.execute(sql("commit"))
                self._write_ahead()
                self._head_kept()
                self._writes += 1
                self._ix_saved = False
                return out
            except BaseException:
                if self._db.in_transaction:  # not when interrupted once the commit was made
                    self._db.execute(sql("rollback"))
                self._ix = None  # the index may hold writes that were rolled back
                self._nid = self._rid = 0
                raise
            finally:
                for detach in tx.attached:
                    self._db.execute(detach)

    def read(self, fn: Callable[[Txn], T]) -> T:
        with self._lock:
            return fn(SQLiteTxn(self))

    def existing(self, ids: Iterable[str]) -> set[str]:
        """As :meth:`Store.existing`, from the index alone."""
        with self._lock:
            held = self._index().nid_of
            return {i for i in ids if i in held} if held else set()

    def postcode_at(self, code: str) -> tuple[float, float] | None:
        """One postcode's coordinates, by its primary key alone (the graph's index is not needed)."""
        with self._lock:
            row = self._db.execute(sql("postcode_at"), (code,)).fetchone()
        return None if row is None else (row[0], row[1])

    def erase(self, eid: str, user: str = "system", reason: str = "") -> Erasure:
        """As :meth:`Store.erase`; then the write-ahead log is copied into the file and emptied,
        so that no page of the file or its WAL still holds what was erased. ``wal_emptied`` in
        the answer is False when another connection's read kept the WAL from being emptied
        (within the busy timeout): it is emptied by the next erasure or checkpoint."""
        out = super().erase(eid, user=user, reason=reason)
        with self._lock:  # the copy of the index kept in the file held their ids: made again on close
            self._db.execute(sql("drop_index_copy"))
            self._ix_saved = False
        return dataclasses.replace(out, wal_emptied=self.checkpoint())

    def checkpoint(self) -> bool:
        """Copy the WAL into the file and truncate it to nothing; False if a reader kept it."""
        with self._lock:
            busy, _, _ = self._db.execute(sql("checkpoint")).fetchone()
        return not busy

    # reads built on the index

    def expand(self, ids: Sequence[str], flt: Filter) -> list[tuple[Relationship, Entity]]:
        return reads.expand(self, ids, flt)

    def neighbourhood(self, eid: str, depth: int = 1, flt: Filter | None = None) -> Subgraph:
        """As :meth:`Store.neighbourhood`, walked in the adjacency index: records are read
        (or taken from memory) once the walk has found them, not step by step."""
        return reads.neighbourhood(self, eid, depth, flt)

    def outside_links(self, ids: Sequence[str], flt: Filter) -> dict[str, int]:
        """As :meth:`Store.outside_links`, from the adjacency index: only the links that leave the
        user's localities are read from the file, to check their handling codes."""
        return reads.outside_links(self, ids, flt)

    def search_candidates(self, keys: Sequence[str], flt: Filter, limit: int) -> list[Entity]:
        return reads.search_candidates(self, keys, flt, limit)

    def exact_candidates(self, keys: Sequence[str], flt: Filter) -> list[Entity]:
        return reads.exact_candidates(self, keys, flt)

    def conditional_entities(self) -> list[str]:
        with self._lock:
            return [i for (i,) in self._db.execute(sql("conditional_entities"))]

    def named_under_c(self) -> list[str]:
        with self._lock:
            return [i for (i,) in self._db.execute(sql("named_under_c"))]

    def linked_only_by(self, types: frozenset[str], ids: Sequence[str] | None = None) -> list[str]:
        return reads.linked_only_by(self, types, ids)

    def conditional_keys(self) -> list[Key]:
        with self._lock:
            ix = self._index()
            rows = self._db.execute(sql("conditional_relationships"))
            return [(t, a, b) for t, a, b in rows if a in ix.nid_of and ix.alive[ix.nid_of[a]]]

    def project(self, flt: Filter) -> Projection:
        return reads.project(self, flt)

    def labels(self, ids: Iterable[str], flt: Filter | None = None) -> dict[str, Label]:
        """As :meth:`Store.labels`, straight from the columns (no records decoded) for a reader
        cleared for C."""
        if flt is not None and flt.public_only:
            return super().labels(ids, flt)
        return reads.labels(self, ids)

    def facts(self, keys: Iterable[Key], flt: Filter | None = None) -> dict[Key, Fact]:
        """As :meth:`Store.facts`, straight from the columns and the assertions' source refs."""
        return reads.facts(self, keys, flt)

    def stats(self) -> Stats:
        with self._lock:
            db = self._db
            ents = dict(db.execute(sql("count_entities_by_kind")))
            rels = dict(db.execute(sql("count_relationships_by_type")))
            locs = {(k or "(none)"): v for k, v in db.execute(sql("count_entities_by_locality"))}
            merged = db.execute(sql("count_merged")).fetchone()[0]
            rec = dict(db.execute(sql("count_records_by_table")))
            tracked = dict(db.execute(sql("count_tracking")))
        return Stats(
            entities={k: ents.get(k, 0) for k in KINDS},
            relationships={t: rels.get(t, 0) for t in TYPE_CODES},
            localities=dict(sorted(locs.items())),
            merged=merged,
            judgements=rec.get("judgements", 0),
            erasures=rec.get("erasures", 0),
            tracking={k: tracked[k] for k in RECORD_KINDS if k in tracked},
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

    def iter_tracking(self, oldest_first: bool = True) -> Iterator[Tracked]:
        con = self._snapshot()
        try:
            cur = con.execute(sql("all_tracking") if oldest_first else sql("all_tracking_any_order"))
            while rows := cur.fetchmany(10_000):
                for (body,) in rows:
                    yield Tracked.from_stored(orjson.loads(body))
        finally:
            con.close()

    def warm(self) -> int:
        """As :meth:`Warmable.warm`: every record decoded into memory in one pass over each table,
        and kept there (changed records are read again after a write). A store warmed once
        stays warm: when another connection writes, the records are read again with the index."""
        return loading.warm(self)

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
            self._write_ahead()
            self._db.close()
