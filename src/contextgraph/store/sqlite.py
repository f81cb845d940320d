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
import itertools
import sqlite3
import sys
import threading
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
import orjson
from rapidfuzz import fuzz, process

from ..model import (
    KIND_CODES,
    KINDS,
    REL_TYPES,
    TYPE_CODES,
    Entity,
    Relationship,
    flagged,
    grade_code,
    strongest_grading,
)
from ..projection import Projection, day
from ..text import normalise_name
from .base import (
    RECORD_TABLES,
    Fact,
    Filter,
    Key,
    Label,
    Named,
    NotFound,
    Stats,
    Store,
    StoreError,
    Subgraph,
    Txn,
    WriteSummary,
    _same_rel,
    decode_assertions,
    encode_assertions,
    merge_relationship,
    paused_gc,
    view,
    walk,
)

T = TypeVar("T")

MIGRATIONS: list[str] = [
    # 1: entities, relationships, judgement and erasure records
    """
    CREATE TABLE entities (
        nid INTEGER PRIMARY KEY,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        aliases TEXT NOT NULL DEFAULT '[]',
        dob TEXT,
        locality TEXT,
        lat REAL,
        lon REAL,
        properties TEXT NOT NULL DEFAULT '{}',
        sources TEXT NOT NULL DEFAULT '[]',
        first_seen TEXT,
        last_seen TEXT,
        grading TEXT,
        merged_into TEXT
    );
    CREATE UNIQUE INDEX entities_id ON entities(id);
    CREATE TABLE relationships (
        rid INTEGER PRIMARY KEY,
        type TEXT NOT NULL,
        src INTEGER NOT NULL REFERENCES entities(nid),
        dst INTEGER NOT NULL REFERENCES entities(nid),
        first_seen TEXT,
        last_seen TEXT,
        count INTEGER NOT NULL,
        grading TEXT,
        assertions TEXT NOT NULL,
        properties TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE records (
        seq INTEGER PRIMARY KEY,
        tbl TEXT NOT NULL,
        body TEXT NOT NULL
    );
    CREATE INDEX records_tbl ON records(tbl);
    """,
    # 2: the handling codes under which each entity was named
    """
    ALTER TABLE entities ADD COLUMN handling TEXT NOT NULL DEFAULT '[]';
    """,
    # 3: a stamp renewed by every write, and a copy of the adjacency index taken at a stamp
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB);
    """,
    # 4: the gazetteer: postcodes, and places known by name ('' for no locality)
    """
    CREATE TABLE postcodes (postcode TEXT PRIMARY KEY, lat REAL NOT NULL, lon REAL NOT NULL) WITHOUT ROWID;
    CREATE TABLE named_places (
        key TEXT NOT NULL,
        locality TEXT NOT NULL,
        name TEXT NOT NULL,
        lat REAL NOT NULL,
        lon REAL NOT NULL,
        kind TEXT NOT NULL,
        PRIMARY KEY (key, locality)
    ) WITHOUT ROWID;
    """,
]

_INDEXES = {
    "entities": ("entities_id", "CREATE UNIQUE INDEX entities_id ON entities(id)"),
}
_BULK_ROWS = 50_000
_CHUNK = 900

_ENT_COLS = ", ".join(
    [
        "nid",
        "id",
        "kind",
        "name",
        "aliases",
        "dob",
        "locality",
        "lat",
        "lon",
        "properties",
        "sources",
        "first_seen",
        "last_seen",
        "grading",
        "handling",
    ]
)
_REL_COLS = "rid, type, src, dst, assertions, properties"
_KIND_CODE = {k: i for i, k in enumerate(KIND_CODES)}
_SYMMETRIC = frozenset(t for t, rt in REL_TYPES.items() if rt.symmetric)
_TYPE_CODE = {t: i for i, t in enumerate(TYPE_CODES)}


def _dumps(x: Any) -> str:
    if not x:
        return "[]" if isinstance(x, list) else "{}"
    return orjson.dumps(x).decode()


_DAYS: dict[str | None, int] = {None: -1}


def _day(value: str | None) -> int:
    got = _DAYS.get(value)
    if got is None:
        got = _DAYS[value] = day(value)
    return got


N = TypeVar("N", int, "npt.NDArray[np.int64]")


def _ekey(t: N, s: N, d: N) -> N:
    """One integer for a relationship's type and ends (node numbers below 2**28); the same
    for numpy arrays of them, element by element."""
    return (t << 56) | (s << 28) | d


_SNAPSHOT_ARRAYS = (
    "kind",
    "loc",
    "alive",
    "flag",
    "e_src",
    "e_dst",
    "e_type",
    "e_first",
    "e_last",
    "e_count",
    "e_grade",
    "e_alive",
)


_CACHE = 200_000

_CONDITIONAL_SQL = """instr(r.assertions, ' C"') > 0 OR r.assertions GLOB '*"[A-E][1-5][2-5]"*'"""
"""Relationships whose encoded assertions hold a grading with conditions (3x5x2 ``C``, legacy 2-5)."""


def _trim(cache: dict[int, Any], limit: int | None) -> None:
    """Keep a record cache within ``limit`` (None: unbounded), dropping the oldest entries."""
    if limit is not None and len(cache) > limit:
        for k in list(itertools.islice(cache, len(cache) - limit // 2)):
            del cache[k]


def _chunks(seq: Sequence[T], n: int = _CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class Index:
    """The in-memory adjacency index of one SQLite file."""

    def __init__(self) -> None:
        self.ids: list[str | None] = [None]  # by nid; nid 0 unused
        self.nid_of: dict[str, int] = {}
        self.kind = bytearray(1)
        self.loc = array("h", [0])
        self.loc_names: list[str | None] = [None]
        self.loc_code: dict[str | None, int] = {None: 0}
        self.alive = bytearray(1)  # exists and not merged into another
        self.flag = bytearray(1)  # properties flag the entity at risk
        self.merged: dict[str, str] = {}
        self.members: dict[str, list[str]] = {}
        # edges of each node and the edge of each (type, source, target), built when first needed
        self._adj: list[list[int] | None] | None = None
        self._ekey: dict[int, int] | None = None
        self.e_src = array("i", [0])
        self.e_dst = array("i", [0])
        self.e_type = bytearray(1)
        self.e_first = array("i", [-1])
        self.e_last = array("i", [-1])
        self.e_count = array("i", [0])
        self.e_grade = bytearray(1)
        self.e_alive = bytearray(1)
        self.names: tuple[list[str], list[int]] | None = None  # names and their nodes, built on first search
        # decoded records, most recently read, shared with callers (who must not change them);
        # at most ``cache_limit`` of each, or every record once the store is warmed
        self.records: dict[int, Entity] = {}
        self.rels: dict[int, Relationship] = {}
        self.cache_limit: int | None = _CACHE

    @property
    def adj(self) -> list[list[int] | None]:
        """The live edges of each node (an edge joining a node to itself is listed twice)."""
        if self._adj is None:
            n = len(self.ids)
            live = np.flatnonzero(np.frombuffer(self.e_alive, np.uint8))
            ends = np.concatenate(
                [np.frombuffer(self.e_src, np.int32)[live], np.frombuffer(self.e_dst, np.int32)[live]]
            )
            rids = np.concatenate([live, live])
            order = np.lexsort((rids, ends))
            flat = rids[order].tolist()
            counts = np.bincount(ends, minlength=n).tolist()
            adj: list[list[int] | None] = [None] * n
            at = 0
            for x, c in enumerate(counts):
                if c:
                    adj[x] = flat[at : at + c]
                    at += c
            self._adj = adj
        return self._adj

    @property
    def ekey(self) -> dict[int, int]:
        """The edge of each relationship key (:func:`_ekey`)."""
        if self._ekey is None:
            live = np.flatnonzero(np.frombuffer(self.e_alive, np.uint8))
            t = np.frombuffer(self.e_type, np.uint8)[live].astype(np.int64)
            src = np.frombuffer(self.e_src, np.int32)[live].astype(np.int64)
            dst = np.frombuffer(self.e_dst, np.int32)[live].astype(np.int64)
            keys = _ekey(t, src, dst)
            self._ekey = dict(zip(keys.tolist(), live.tolist(), strict=True))
        return self._ekey

    def snapshot(self) -> dict[str, bytes]:
        """The index as named byte strings, for :meth:`restore` in another process; empty
        slots after the last stored entity and relationship are left out, as a read of the
        rows would leave them."""
        n, m = self.top()
        head = {
            "byteorder": sys.byteorder,
            "sizes": self._itemsizes(),
            "ids": self.ids[: n + 1],
            "loc_names": self.loc_names,
            "merged": self.merged,
        }
        out = {"head": orjson.dumps(head)}
        for a in _SNAPSHOT_ARRAYS:
            col = getattr(self, a)[: (m if a.startswith("e_") else n) + 1]
            out[a] = col.tobytes() if isinstance(col, array) else bytes(col)
        return out

    @classmethod
    def restore(cls, parts: dict[str, bytes]) -> Index | None:
        """The index from :meth:`snapshot`, or None when the parts were written by another kind of machine."""
        if "head" not in parts or any(a not in parts for a in _SNAPSHOT_ARRAYS):
            return None
        head = orjson.loads(parts["head"])
        ix = cls()
        if head.get("byteorder") != sys.byteorder or head.get("sizes") != ix._itemsizes():
            return None
        for a in _SNAPSHOT_ARRAYS:
            col = getattr(ix, a)
            if isinstance(col, array):
                fresh = array(col.typecode)
                fresh.frombytes(parts[a])
                setattr(ix, a, fresh)
            else:
                setattr(ix, a, bytearray(parts[a]))
        ix.ids = head["ids"]
        ix.nid_of = {eid: n for n, eid in enumerate(ix.ids) if eid is not None}
        ix.loc_names = head["loc_names"]
        ix.loc_code = {name: c for c, name in enumerate(ix.loc_names)}
        ix.merged = head["merged"]
        for eid, into in ix.merged.items():
            ix.members.setdefault(into, []).append(eid)
        n, m = len(ix.ids), len(ix.e_src)
        if any(len(getattr(ix, a)) != (m if a.startswith("e_") else n) for a in _SNAPSHOT_ARRAYS):
            return None
        return ix

    def _itemsizes(self) -> dict[str, int]:
        """The byte size of each item of the typed arrays, which a copy must share to be read."""
        return {a: col.itemsize for a in _SNAPSHOT_ARRAYS if isinstance(col := getattr(self, a), array)}

    def top(self) -> tuple[int, int]:
        """The highest number of a stored entity and of a stored relationship (0 when none)."""
        nid = len(self.ids) - 1
        while nid > 0 and self.ids[nid] is None:
            nid -= 1
        rid = len(self.e_alive) - 1
        while rid > 0 and not self.e_alive[rid]:
            rid -= 1
        return nid, rid

    def nids(self, ids: Iterable[str]) -> list[int]:
        """The node numbers of those of ``ids`` that are stored."""
        nid_of = self.nid_of
        return [n for i in ids if (n := nid_of.get(i)) is not None]

    def decoded(self, row: tuple[Any, ...]) -> Entity:
        """The entity of a row of ``_ENT_COLS``, with the ids merged into it."""
        e = _entity(row)
        if e.id in self.members:
            e.members = sorted(self.members[e.id])
        return e

    def forget(self, nids: Iterable[int] = (), rids: Iterable[int] = ()) -> None:
        """Drop cached records that a write has changed."""
        for n in nids:
            self.records.pop(n, None)
        for r in rids:
            self.rels.pop(r, None)

    def locality_code(self, name: str | None) -> int:
        c = self.loc_code.get(name)
        if c is None:
            c = self.loc_code[name] = len(self.loc_names)
            self.loc_names.append(name)
        return c

    def set_node(
        self, nid: int, eid: str, kind: str, locality: str | None, merged_into: str | None, flag: bool = False
    ) -> None:
        while len(self.ids) <= nid:
            self.ids.append(None)
            self.kind.append(0)
            self.loc.append(0)
            self.alive.append(0)
            self.flag.append(0)
            if self._adj is not None:
                self._adj.append(None)
        self.flag[nid] = 1 if flag else 0
        self.ids[nid] = eid
        self.nid_of[eid] = nid
        self.records.pop(nid, None)
        self.kind[nid] = _KIND_CODE[kind]
        self.loc[nid] = self.locality_code(locality)
        self.alive[nid] = 0 if merged_into else 1
        if merged_into:
            self.merged[eid] = merged_into
            self.members.setdefault(merged_into, []).append(eid)
        self.names = None

    def add_nodes(self, start: int, ids: list[str], kinds: list[int], locs: list[int], flags: bytes = b"") -> None:
        """Append new, unmerged nodes numbered ``start``, ``start + 1``, ..."""
        n = len(ids)
        flags = flags or bytes(n)
        gap = start - len(self.ids)
        if gap < 0:
            for k in range(n):
                self.set_node(start + k, ids[k], KIND_CODES[kinds[k]], self.loc_names[locs[k]], None, bool(flags[k]))
            return
        self.ids.extend([None] * gap)
        self.ids.extend(ids)
        self.kind.extend(bytes(gap) + bytes(kinds))
        self.loc.extend([0] * gap + locs)
        self.alive.extend(bytes(gap) + b"\x01" * n)
        self.flag.extend(bytes(gap) + flags)
        if self._adj is not None:
            self._adj.extend([None] * (gap + n))
        self.nid_of.update(zip(ids, range(start, start + n), strict=True))

    def drop_node(self, eid: str) -> None:
        nid = self.nid_of.pop(eid)
        self.records.pop(nid, None)
        self.ids[nid] = None
        self.alive[nid] = self.kind[nid] = self.loc[nid] = self.flag[nid] = 0  # nothing of it stays
        if self._adj is not None:
            self._adj[nid] = None
        into = self.merged.pop(eid, None)
        if into and into in self.members:
            self.members[into] = [m for m in self.members[into] if m != eid]
            if not self.members[into]:
                del self.members[into]
        self.names = None

    def set_edge(self, rid: int, t: int, s: int, d: int, first: int, last: int, count: int, grade: int = 0) -> None:
        n = len(self.e_src)
        if rid >= n:
            grow = rid + 1 - n
            self.e_src.extend([0] * grow)
            self.e_dst.extend([0] * grow)
            self.e_type.extend(bytes(grow))
            self.e_first.extend([-1] * grow)
            self.e_last.extend([-1] * grow)
            self.e_count.extend([0] * grow)
            self.e_grade.extend(bytes(grow))
            self.e_alive.extend(bytes(grow))
        fresh = not self.e_alive[rid]
        self.rels.pop(rid, None)
        self.e_src[rid], self.e_dst[rid], self.e_type[rid] = s, d, t
        self.e_first[rid], self.e_last[rid], self.e_count[rid] = first, last, count
        self.e_grade[rid] = grade
        self.e_alive[rid] = 1
        if self._ekey is not None:
            self._ekey[_ekey(t, s, d)] = rid
        if fresh and self._adj is not None:
            for x in (s, d):
                lst = self._adj[x]
                if lst is None:
                    self._adj[x] = [rid]
                else:
                    lst.append(rid)

    def add_edges(self, start: int, cols: tuple[list[int], ...]) -> None:
        """Append new edges numbered ``start``, ... from columns (type, src, dst, first, last, count, grade)."""
        types, srcs, dsts, firsts, lasts, counts, grades = cols
        n = len(types)
        gap = start - len(self.e_src)
        if gap < 0:
            for k in range(n):
                self.set_edge(start + k, types[k], srcs[k], dsts[k], firsts[k], lasts[k], counts[k], grades[k])
            return
        self.e_src.extend([0] * gap + srcs)
        self.e_dst.extend([0] * gap + dsts)
        self.e_type.extend(bytes(gap) + bytes(types))
        self.e_first.extend([-1] * gap + firsts)
        self.e_last.extend([-1] * gap + lasts)
        self.e_count.extend([0] * gap + counts)
        self.e_grade.extend(bytes(gap) + bytes(grades))
        self.e_alive.extend(bytes(gap) + b"\x01" * n)
        rids = range(start, start + n)
        if self._ekey is not None:
            self._ekey.update(zip(map(_ekey, types, srcs, dsts), rids, strict=True))
        adj = self._adj
        if adj is None:
            return
        for rid, s, d in zip(rids, srcs, dsts, strict=True):
            for x in (s, d):
                lst = adj[x]
                if lst is None:
                    adj[x] = [rid]
                else:
                    lst.append(rid)

    def drop_edge(self, rid: int) -> None:
        self.rels.pop(rid, None)
        if not self.e_alive[rid]:
            return
        self.e_alive[rid] = 0
        s, d = self.e_src[rid], self.e_dst[rid]
        if self._ekey is not None:
            self._ekey.pop(_ekey(self.e_type[rid], s, d), None)
        # nothing of it stays: the slot reads as a gap in the rows
        self.e_src[rid] = self.e_dst[rid] = self.e_type[rid] = self.e_count[rid] = self.e_grade[rid] = 0
        self.e_first[rid] = self.e_last[rid] = -1
        adj = self._adj
        if adj is not None:
            for x in (s, d):
                lst = adj[x]
                if lst is not None and rid in lst:
                    lst.remove(rid)


class SQLiteTxn(Txn):
    def __init__(self, store: SQLiteStore):
        self.s = store
        self.db = store._db
        self.ix = store._index()
        self.rebuild: set[str] = set()

    # reads

    def entities(self, ids: Iterable[str]) -> dict[str, Entity]:
        return {e.id: e for e in self._ents_by_nid(self.ix.nids(ids)).values()}

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
        for chunk in _chunks(missing):
            q = f"SELECT {_ENT_COLS} FROM entities WHERE nid IN ({','.join('?' * len(chunk))})"
            for row in self.db.execute(q, chunk):
                out[row[0]] = cache[row[0]] = ix.decoded(row)
        _trim(cache, ix.cache_limit)
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
        for chunk in _chunks(missing):
            q = f"SELECT {_REL_COLS} FROM relationships WHERE rid IN ({','.join('?' * len(chunk))})"
            for rid, t, s, d, asr, props in self.db.execute(q, chunk):
                out[rid] = cache[rid] = _relationship(t, ids[s], ids[d], asr, props)
        _trim(cache, ix.cache_limit)
        return out

    def relationships(self, keys: Iterable[Key]) -> dict[Key, Relationship]:
        nid, ekey = self.ix.nid_of, self.ix.ekey
        if not ekey:
            return {}
        rids = []
        for t, s, d in keys:
            ns, nd = nid.get(s), nid.get(d)
            if ns is not None and nd is not None:
                rid = ekey.get(_ekey(_TYPE_CODE[t], ns, nd))
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
        self._bulk("entities", entities)

    def _bulk(self, table: str, n: int) -> None:
        """Drop a table's index for a large load into an empty table; rebuilt at commit."""
        empty = self.db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is None
        if n >= _BULK_ROWS and table not in self.rebuild and empty:
            self.db.execute(f"DROP INDEX IF EXISTS {_INDEXES[table][0]}")
            self.rebuild.add(table)

    def put_entities(self, entities: Sequence[Entity], new: bool) -> None:
        ix = self.ix
        if new:
            self._bulk("entities", len(entities))
            start = self.s._next_nid()
            rows = [(start + k, *_entity_row(e)) for k, e in enumerate(entities)]
            ix.add_nodes(
                start,
                [e.id for e in entities],
                [_KIND_CODE[e.kind] for e in entities],
                [ix.locality_code(e.locality) for e in entities],
                bytes(flagged(e.properties) for e in entities),
            )
            ix.names = None
            self.s._nid = start + len(entities)
            self.db.executemany(f"INSERT INTO entities ({_ENT_COLS}) VALUES ({','.join('?' * 15)})", rows)
        else:
            rows = []
            for e in entities:
                nid = ix.nid_of[e.id]
                rows.append((*_entity_row(e)[1:], nid))
                ix.set_node(nid, e.id, e.kind, e.locality, ix.merged.get(e.id), flagged(e.properties))
            self.db.executemany(
                "UPDATE entities SET kind=?, name=?, aliases=?, dob=?, locality=?, lat=?, lon=?, properties=?,"
                " sources=?, first_seen=?, last_seen=?, grading=?, handling=? WHERE nid=?",
                rows,
            )

    def put_relationships(self, rels: Sequence[Relationship], new: bool) -> None:
        ix = self.ix
        nid = ix.nid_of
        if new:
            start = self.s._next_rid()
            rows = []
            cols: tuple[list[int], ...] = ([], [], [], [], [], [], [])
            ct, cs, cd, cf, cl, cc, cg = (c.append for c in cols)
            for k, r in enumerate(rels):
                t, s, d = _TYPE_CODE[r.type], nid[r.source], nid[r.target]
                first, last, count, grading, asr = _summary(r)
                rows.append((start + k, r.type, s, d, first, last, count, grading, asr, _dumps(r.properties)))
                ct(t)
                cs(s)
                cd(d)
                cf(_day(first))
                cl(_day(last))
                cc(count)
                cg(grade_code(grading))
            ix.add_edges(start, cols)
            self.s._rid = start + len(rels)
            self.db.executemany(
                "INSERT INTO relationships (rid, type, src, dst, first_seen, last_seen, count, grading,"
                " assertions, properties) VALUES (?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
        else:
            updates = []
            for r in rels:
                t, s, d = _TYPE_CODE[r.type], nid[r.source], nid[r.target]
                rid = ix.ekey[_ekey(t, s, d)]
                first, last, count, grading, asr = _summary(r)
                updates.append((first, last, count, grading, asr, _dumps(r.properties), rid))
                ix.set_edge(rid, t, s, d, day(first), day(last), count, grade_code(grading))
            self.db.executemany(
                "UPDATE relationships SET first_seen=?, last_seen=?, count=?, grading=?, assertions=?,"
                " properties=? WHERE rid=?",
                updates,
            )

    def delete_relationships(self, keys: Sequence[Key]) -> None:
        ix = self.ix
        rids = []
        for t, s, d in keys:
            rid = ix.ekey.get(_ekey(_TYPE_CODE[t], ix.nid_of[s], ix.nid_of[d]))
            if rid is not None:
                rids.append(rid)
        for chunk in _chunks(rids):
            self.db.execute(f"DELETE FROM relationships WHERE rid IN ({','.join('?' * len(chunk))})", chunk)
        for rid in rids:
            ix.drop_edge(rid)

    def delete_entities(self, ids: Sequence[str]) -> None:
        present = [i for i in ids if i in self.ix.nid_of]
        for chunk in _chunks(present):
            self.db.execute(f"DELETE FROM entities WHERE id IN ({','.join('?' * len(chunk))})", chunk)
        for i in present:
            self.ix.drop_node(i)

    def set_merged_into(self, ids: Sequence[str], into: str | None) -> None:
        ix = self.ix
        ix.forget(ix.nid_of[x] for x in [*ids, *([into] if into else [])] if x in ix.nid_of)
        ix.names = None
        for i in ids:
            self.db.execute("UPDATE entities SET merged_into=? WHERE id=?", (into, i))
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
        self.db.execute("INSERT INTO records (tbl, body) VALUES (?, ?)", (table, _dumps(record)))

    def records(self, table: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT body FROM records WHERE tbl=? ORDER BY seq", (table,))
        return [orjson.loads(b) for (b,) in rows]

    def delete_records(self, table: str, ids: Sequence[str]) -> None:
        doomed = set(ids)
        rows = self.db.execute("SELECT seq, body FROM records WHERE tbl=?", (table,)).fetchall()
        seqs = [(seq,) for seq, body in rows if orjson.loads(body).get("id") in doomed]
        self.db.executemany("DELETE FROM records WHERE seq=?", seqs)

    def set_audit_head(self, head: dict[str, Any]) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('audit.head', ?)", (orjson.dumps(head),))

    def audit_head(self) -> dict[str, Any] | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'audit.head'").fetchone()
        return None if row is None else dict(orjson.loads(row[0]))

    def put_postcodes(self, rows: Sequence[tuple[str, float, float]]) -> None:
        self.db.executemany("INSERT OR REPLACE INTO postcodes (postcode, lat, lon) VALUES (?, ?, ?)", rows)

    def put_named_places(self, rows: Sequence[Named]) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO named_places (key, locality, name, lat, lon, kind) VALUES (?, ?, ?, ?, ?, ?)",
            [(r.key, r.locality, r.name, r.lat, r.lon, r.kind) for r in rows],
        )

    def postcodes(self, codes: Sequence[str]) -> dict[str, tuple[float, float]]:
        out: dict[str, tuple[float, float]] = {}
        for chunk in _chunks(list(dict.fromkeys(codes))):
            q = f"SELECT postcode, lat, lon FROM postcodes WHERE postcode IN ({','.join('?' * len(chunk))})"
            for code, lat, lon in self.db.execute(q, list(chunk)):
                out[code] = (lat, lon)
        return out

    def named_places(self, keys: Sequence[str]) -> list[Named]:
        out: list[Named] = []
        for chunk in _chunks(list(dict.fromkeys(keys))):
            q = (
                "SELECT key, name, lat, lon, locality, kind FROM named_places "
                f"WHERE key IN ({','.join('?' * len(chunk))}) ORDER BY key, locality"
            )
            out += [Named(*row) for row in self.db.execute(q, list(chunk))]
        return out

    def gazetteer_size(self) -> tuple[int, int]:
        (a,) = self.db.execute("SELECT count(*) FROM postcodes").fetchone()
        (b,) = self.db.execute("SELECT count(*) FROM named_places").fetchone()
        return int(a), int(b)


def _entity_row(e: Entity) -> tuple[Any, ...]:
    return (
        e.id,
        e.kind,
        e.name,
        _dumps(e.aliases),
        e.dob,
        e.locality,
        e.lat,
        e.lon,
        _dumps(e.properties),
        _dumps(e.sources),
        e.first_seen,
        e.last_seen,
        e.grading,
        _dumps(e.handling),
    )


def _entity(row: tuple[Any, ...]) -> Entity:
    _, eid, kind, name, aliases, dob, loc, lat, lon, props, sources, first, last, grading, handling = row
    return Entity(
        id=eid,
        kind=kind,
        name=name,
        aliases=orjson.loads(aliases),
        dob=dob,
        locality=loc,
        lat=lat,
        lon=lon,
        properties=orjson.loads(props),
        sources=orjson.loads(sources),
        first_seen=first,
        last_seen=last,
        grading=grading,
        handling=orjson.loads(handling),
    )


def _summary(r: Relationship) -> tuple[str | None, str | None, int, str | None, str]:
    asr = r.assertions
    if len(asr) == 1:
        a = asr[0]
        if a.subject == r.source and a.object == r.target:
            return a.date, a.date, 1, a.grading, orjson.dumps([[a.source_ref, a.date, a.grading]]).decode()
        return a.date, a.date, 1, a.grading, encode_assertions(r)
    dates = [a.date for a in asr if a.date]
    return (
        min(dates) if dates else None,
        max(dates) if dates else None,
        len(asr),
        strongest_grading([a.grading for a in asr]),
        encode_assertions(r),
    )


def _relationship(t: str, s: str | None, d: str | None, asr: str, props: str) -> Relationship:
    assert s is not None and d is not None
    return Relationship(t, s, d, decode_assertions(asr, s, d), orjson.loads(props))


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
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=OFF")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.execute("PRAGMA cache_size=-262144")
        self._db.execute("PRAGMA secure_delete=ON")  # a deleted value is overwritten, not left in a free page
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
            return (self._db.execute("PRAGMA data_version").fetchone()[0], self._writes)

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"{self.path}: schema version {version} is newer than this contextgraph knows ({len(MIGRATIONS)})"
            )
        for n in range(version, len(MIGRATIONS)):
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for stmt in MIGRATIONS[n].split(";"):
                    if stmt.strip():
                        self._db.execute(stmt)
                self._db.execute(f"PRAGMA user_version={n + 1}")
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def _next_nid(self) -> int:
        if not self._nid:
            self._nid = (self._db.execute("SELECT max(nid) FROM entities").fetchone()[0] or 0) + 1
        return self._nid

    def _next_rid(self) -> int:
        if not self._rid:
            self._rid = (self._db.execute("SELECT max(rid) FROM relationships").fetchone()[0] or 0) + 1
        return self._rid

    def _index(self) -> Index:
        """The adjacency index, (re)built if another connection wrote the file.

        It is read from the copy kept in the file when that copy was taken at the
        file's current stamp (see :meth:`save_index`), and otherwise from the tables.
        """
        dv = self._db.execute("PRAGMA data_version").fetchone()[0]
        if self._ix is None or dv != self._data_version:
            self._ix = None
            own = not self._db.in_transaction
            if own:
                self._db.execute("BEGIN")  # one consistent read of the file
            try:
                dv = self._db.execute("PRAGMA data_version").fetchone()[0]
                with paused_gc():
                    ix = self._restore_index()
                    self._ix_saved = ix is not None
                    self._ix = ix if ix is not None else self._load_index()
            finally:
                if own:
                    self._db.execute("COMMIT")
            gc.freeze()  # a long-lived index: keep it out of every later collection
            self._data_version = dv
            self._nid = self._rid = 0
            self._unfilled = self._warm
        if self._unfilled and not self._db.in_transaction:  # never inside another's write
            self._unfilled = False
            self._fill(self._ix)
        return self._ix

    def _stamp(self) -> bytes | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = 'stamp'").fetchone()
        return bytes(row[0]) if row else None

    def _restore_index(self) -> Index | None:
        """The index from the copy in the file, if it was taken at the file's current stamp."""
        stamp = self._stamp()
        if stamp is None:
            return None
        saved = self._db.execute("SELECT value FROM meta WHERE key = 'index.stamp'").fetchone()
        if saved is None or bytes(saved[0]) != stamp:
            return None
        parts = {
            k[len("index.") :]: bytes(v)
            for k, v in self._db.execute("SELECT key, value FROM meta WHERE key LIKE 'index.%'")
        }
        ix = Index.restore(parts)
        if ix is None:
            return None
        top_nid = self._db.execute("SELECT max(nid) FROM entities").fetchone()[0] or 0
        top_rid = self._db.execute("SELECT max(rid) FROM relationships").fetchone()[0] or 0
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
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return False
            try:
                if self._db.execute("PRAGMA data_version").fetchone()[0] != self._data_version:
                    self._db.execute("ROLLBACK")
                    return False  # another connection wrote since the index was read
                self._db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('stamp', randomblob(16))")
                stamp = self._stamp()
                self._db.execute("DELETE FROM meta WHERE key LIKE 'index.%'")
                rows = [(f"index.{k}", v) for k, v in self._ix.snapshot().items()]
                self._db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", [*rows, ("index.stamp", stamp)])
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._ix_saved = True
            return True

    def _load_index(self) -> Index:
        ix = Index()
        rows = self._db.execute("SELECT nid, id, kind, locality, merged_into FROM entities ORDER BY nid").fetchall()
        if rows:
            nids, ids, kinds, locs, merged = (list(c) for c in zip(*rows, strict=True))
            if nids[-1] == len(nids):  # numbered 1..n with no gaps: append in one go
                ix.add_nodes(1, ids, [_KIND_CODE[k] for k in kinds], [ix.locality_code(x) for x in locs])
                for eid, into in zip(ids, merged, strict=True):
                    if into:
                        ix.set_node(ix.nid_of[eid], eid, kinds[ix.nid_of[eid] - 1], locs[ix.nid_of[eid] - 1], into)
            else:
                for nid, eid, kind, loc, into in rows:
                    ix.set_node(nid, eid, kind, loc, into)
        del rows
        for nid, props in self._db.execute("SELECT nid, properties FROM entities WHERE properties != '{}'"):
            ix.flag[nid] = 1 if flagged(orjson.loads(props)) else 0
        cur = self._db.execute(
            "SELECT rid, type, src, dst, first_seen, last_seen, count, grading FROM relationships ORDER BY rid"
        )
        while chunk := cur.fetchmany(200_000):
            rid, t, src, dst, first, last, count, grading = (list(c) for c in zip(*chunk, strict=True))
            types = [_TYPE_CODE[x] for x in t]
            firsts = [_day(x) for x in first]
            lasts = [_day(x) for x in last]
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
        nid, ekey, tcode = ix.nid_of, ix.ekey, _TYPE_CODE
        fresh: dict[int, Relationship] = {}
        hits: dict[int, Relationship] = {}
        for r in batch:
            if r.target < r.source and r.type in _SYMMETRIC:
                r = Relationship(r.type, r.target, r.source, r.assertions, r.properties)
            if len(r.assertions) > 1:
                r = merge_relationship(None, r)
            k = _ekey(tcode[r.type], nid[r.source], nid[r.target])
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
                if _same_rel(m, old[rid]):
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
            self._db.execute("BEGIN IMMEDIATE")
            tx = SQLiteTxn(self)
            try:
                out = fn(tx)
                for table in sorted(tx.rebuild):
                    self._db.execute(_INDEXES[table][1])
                self._keep_head(tx)
                self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('stamp', randomblob(16))")
                self._db.execute("COMMIT")
                self._head_kept()
                self._writes += 1
                self._ix_saved = False
                return out
            except BaseException:
                self._db.execute("ROLLBACK")
                self._ix = None  # the index may hold writes that were rolled back
                self._nid = self._rid = 0
                raise

    def read(self, fn: Callable[[Txn], T]) -> T:
        with self._lock:
            return fn(SQLiteTxn(self))

    def postcode_at(self, code: str) -> tuple[float, float] | None:
        """One postcode's coordinates, by its primary key alone (the graph's index is not needed)."""
        with self._lock:
            row = self._db.execute("SELECT lat, lon FROM postcodes WHERE postcode = ?", (code,)).fetchone()
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
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
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
            svc = _KIND_CODE["service"]
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
        types = {_TYPE_CODE[t] for t in flt.types} if flt.types is not None else None
        since = day(flt.since) if flt.since else None
        until = day(flt.until) if flt.until else None
        kinds = {_KIND_CODE[k] for k in flt.kinds} if flt.kinds is not None else None
        locs = {ix.loc_code[x] for x in flt.localities if x in ix.loc_code} if flt.localities is not None else None
        svc = _KIND_CODE["service"]
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
            for nid, name, aliases, merged in self._db.execute("SELECT nid, name, aliases, merged_into FROM entities"):
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
        q = (
            "SELECT id FROM entities WHERE merged_into IS NULL AND handling = '[\"C\"]' AND id NOT IN"
            " (SELECT merged_into FROM entities WHERE merged_into IS NOT NULL AND handling != '[\"C\"]')"
        )
        with self._lock:
            return [i for (i,) in self._db.execute(q)]

    def conditional_keys(self) -> list[Key]:
        q = (
            "SELECT r.type, a.id, b.id FROM relationships r JOIN entities a ON a.nid = r.src"
            " JOIN entities b ON b.nid = r.dst WHERE r.grading IS NOT NULL AND r.src != r.dst"
            f" AND ({_CONDITIONAL_SQL})"
        )
        with self._lock:
            ix = self._index()
            return [(t, a, b) for t, a, b in self._db.execute(q) if a in ix.nid_of and ix.alive[ix.nid_of[a]]]

    def project(self, flt: Filter) -> Projection:
        with self._lock:
            ix = self._index()
            n_all = len(ix.ids)
            alive = np.frombuffer(bytes(ix.alive), np.uint8).astype(bool)
            kind = np.frombuffer(bytes(ix.kind), np.int8)
            loc = np.frombuffer(ix.loc.tobytes(), np.int16)
            keep = alive.copy()
            if flt.kinds is not None:
                keep &= np.isin(kind, [_KIND_CODE[k] for k in flt.kinds])
            if flt.localities is not None:
                codes = [ix.loc_code[x] for x in flt.localities if x in ix.loc_code]
                keep &= np.isin(loc, codes) | (kind == _KIND_CODE["service"])
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
                emask &= np.isin(et, [_TYPE_CODE[t] for t in flt.types])
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
                rows: Iterable[tuple[int, str, float | None, float | None]] = self._db.execute(
                    "SELECT nid, name, lat, lon FROM entities"
                )
                for nid, name, lat, lon in rows:
                    for i in by_nid.get(nid, ()):
                        out[i] = Label(name, lat, lon)
                return out
            for chunk in _chunks(sorted(by_nid)):
                q = f"SELECT nid, name, lat, lon FROM entities WHERE nid IN ({','.join('?' * len(chunk))})"
                for nid, name, lat, lon in self._db.execute(q, chunk):
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
                    rid = ekey.get(_ekey(_TYPE_CODE[k[0]], ns, nd))
                    if rid is not None:
                        by_rid[rid] = k
            out: dict[Key, Fact] = {}
            for chunk in _chunks(sorted(by_rid)):
                q = (
                    "SELECT rid, first_seen, last_seen, grading, count, assertions FROM relationships"
                    f" WHERE rid IN ({','.join('?' * len(chunk))})"
                )
                for rid, first, last, grading, count, asr in self._db.execute(q, chunk):
                    refs = list(dict.fromkeys(a[0] for a in orjson.loads(asr) if a[0]))
                    out[by_rid[rid]] = Fact(refs, first, last, grading, count)
            return out

    def stats(self) -> Stats:
        with self._lock:
            db = self._db
            ents = dict(db.execute("SELECT kind, count(*) FROM entities WHERE merged_into IS NULL GROUP BY kind"))
            rels = dict(db.execute("SELECT type, count(*) FROM relationships WHERE src != dst GROUP BY type"))
            locs = {
                (k or "(none)"): v
                for k, v in db.execute(
                    "SELECT locality, count(*) FROM entities WHERE merged_into IS NULL AND kind != 'service'"
                    " GROUP BY locality"
                )
            }
            merged = db.execute("SELECT count(*) FROM entities WHERE merged_into IS NOT NULL").fetchone()[0]
            rec = dict(db.execute("SELECT tbl, count(*) FROM records GROUP BY tbl"))
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
        con.execute("BEGIN")
        return con

    def iter_entities(self) -> Iterator[Entity]:
        con = self._snapshot()
        try:
            cur = con.execute(f"SELECT {_ENT_COLS} FROM entities ORDER BY nid")
            while rows := cur.fetchmany(10_000):
                for row in rows:
                    yield _entity(row)
        finally:
            con.close()

    def iter_relationships(self) -> Iterator[Relationship]:
        con = self._snapshot()
        try:
            ids = dict(con.execute("SELECT nid, id FROM entities"))
            cur = con.execute(f"SELECT {_REL_COLS} FROM relationships ORDER BY rid")
            while rows := cur.fetchmany(10_000):
                for _, t, s, d, asr, props in rows:
                    yield _relationship(t, ids.get(s), ids.get(d), asr, props)
        finally:
            con.close()

    def warm(self) -> int:
        """As :meth:`Store.warm`: every record decoded into memory in one pass over each table,
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
                for row in self._db.execute(f"SELECT {_ENT_COLS} FROM entities"):
                    if row[0] not in ents:
                        ents[row[0]] = ix.decoded(row)
            for rid, t, s, d, asr, props in self._db.execute(f"SELECT {_REL_COLS} FROM relationships"):
                if rid not in rels:
                    rels[rid] = _relationship(t, ids[s], ids[d], asr, props)
        gc.freeze()  # long-lived records: keep them out of every later collection
        return len(ents) + len(rels)

    def before_fork(self) -> None:
        with self._lock:
            self._index().ekey  # noqa: B018 - built on first use; facts look relationships up in it

    def in_child(self) -> SQLiteStore:
        """As :meth:`Store.in_child`: a new connection to the same file, sharing the
        index this process had loaded when it forked (never this connection, which
        SQLite forbids using across a fork). The index is not checked again: a
        forked reader answers about the graph as it stood at the fork."""
        child = SQLiteStore(self.path)
        child._ix = self._ix
        child._ix_saved = True
        child._data_version = child._db.execute("PRAGMA data_version").fetchone()[0]
        return child

    def close(self) -> None:
        with self._lock:
            ix = self._ix
            if ix is not None and not self._ix_saved and len(ix.ids) + len(ix.e_src) >= self.snapshot_min:
                with contextlib.suppress(sqlite3.Error):  # only a copy to open faster: the file is complete
                    self.save_index()
            self._db.close()
