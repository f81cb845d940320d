"""The in-memory adjacency index of one SQLite file."""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from ...model import KIND_CODES, Entity, Relationship, day
from .codec import KIND_CODE, entity_of_row

if TYPE_CHECKING:  # numpy is loaded when the index is first walked, not when a store opens
    import numpy as np
    import numpy.typing as npt

DAYS: dict[str | None, int] = {None: -1}


def day_number(value: str | None) -> int:
    got = DAYS.get(value)
    if got is None:
        got = DAYS[value] = day(value)
    return got


N = TypeVar("N", int, "npt.NDArray[np.int64]")


def edge_key(t: N, s: N, d: N) -> N:
    """One integer for a relationship's type and ends (node numbers below 2**28); the same
    for numpy arrays of them, element by element."""
    return (t << 56) | (s << 28) | d


SNAPSHOT_ARRAYS = (
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


CACHE = 200_000


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
        self.name_owners: tuple[list[str], dict[str, list[int]]] | None = None  # of that ``names``: name -> nodes
        # of that ``names``: those of the nodes a filter's kinds and localities pass, by the filter's
        # (kinds, localities), so that a search ranks only what its reader may be shown
        self.names_passing: tuple[list[str], dict[object, tuple[list[str], list[int]]]] | None = None
        # decoded records, most recently read, shared with callers (who must not change them);
        # at most ``cache_limit`` of each, or every record once the store is warmed
        self.records: dict[int, Entity] = {}
        self.rels: dict[int, Relationship] = {}
        self.cache_limit: int | None = CACHE

    @property
    def adj(self) -> list[list[int] | None]:
        """The live edges of each node (an edge joining a node to itself is listed twice)."""
        if self._adj is None:
            import numpy as np

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
        """The edge of each relationship key (:func:`edge_key`)."""
        if self._ekey is None:
            import numpy as np

            live = np.flatnonzero(np.frombuffer(self.e_alive, np.uint8))
            t = np.frombuffer(self.e_type, np.uint8)[live].astype(np.int64)
            src = np.frombuffer(self.e_src, np.int32)[live].astype(np.int64)
            dst = np.frombuffer(self.e_dst, np.int32)[live].astype(np.int64)
            keys = edge_key(t, src, dst)
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
        for a in SNAPSHOT_ARRAYS:
            col = getattr(self, a)[: (m if a.startswith("e_") else n) + 1]
            out[a] = col.tobytes() if isinstance(col, array) else bytes(col)
        return out

    @classmethod
    def restore(cls, parts: dict[str, bytes]) -> Index | None:
        """The index from :meth:`snapshot`, or None when the parts were written by another kind of machine."""
        if "head" not in parts or any(a not in parts for a in SNAPSHOT_ARRAYS):
            return None
        head = orjson.loads(parts["head"])
        ix = cls()
        if head.get("byteorder") != sys.byteorder or head.get("sizes") != ix._itemsizes():
            return None
        for a in SNAPSHOT_ARRAYS:
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
        if any(len(getattr(ix, a)) != (m if a.startswith("e_") else n) for a in SNAPSHOT_ARRAYS):
            return None
        return ix

    def _itemsizes(self) -> dict[str, int]:
        """The byte size of each item of the typed arrays, which a copy must share to be read."""
        return {a: col.itemsize for a in SNAPSHOT_ARRAYS if isinstance(col := getattr(self, a), array)}

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
        """The entity of a row of the entities table (as the ``entities_by_nid`` query reads it), with
        the ids merged into it."""
        e = entity_of_row(row)
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
        self.kind[nid] = KIND_CODE[kind]
        self.loc[nid] = self.locality_code(locality)
        self.alive[nid] = 0 if merged_into else 1
        if merged_into:
            self.merged[eid] = merged_into
            members = self.members.setdefault(merged_into, [])
            if eid not in members:  # a merged record written again is still one member
                members.append(eid)
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
            self._ekey[edge_key(t, s, d)] = rid
        if fresh and self._adj is not None:
            for x in (s, d):
                lst = self._adj[x]
                if lst is None:
                    self._adj[x] = [rid]
                else:
                    lst.append(rid)

    def add_edges(self, start: int, cols: Sequence[Sequence[int]]) -> None:
        """Append new edges numbered ``start``, ... from columns (type, src, dst, first, last, count,
        grade): lists, or the arrays of :class:`.rows.Columns`."""
        types, srcs, dsts, firsts, lasts, counts, grades = cols
        n = len(types)
        gap = start - len(self.e_src)
        if gap < 0:
            for k in range(n):
                self.set_edge(start + k, types[k], srcs[k], dsts[k], firsts[k], lasts[k], counts[k], grades[k])
            return
        for col, fill, values in (
            (self.e_src, 0, srcs),
            (self.e_dst, 0, dsts),
            (self.e_first, -1, firsts),
            (self.e_last, -1, lasts),
            (self.e_count, 0, counts),
        ):
            col.extend([fill] * gap)
            col.extend(values)
        self.e_type.extend(bytes(gap) + bytes(types))
        self.e_grade.extend(bytes(gap) + bytes(grades))
        self.e_alive.extend(bytes(gap) + b"\x01" * n)
        rids = range(start, start + n)
        if self._ekey is not None:
            self._ekey.update(zip(map(edge_key, types, srcs, dsts), rids, strict=True))
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
            self._ekey.pop(edge_key(self.e_type[rid], s, d), None)
        # nothing of it stays: the slot reads as a gap in the rows
        self.e_src[rid] = self.e_dst[rid] = self.e_type[rid] = self.e_count[rid] = self.e_grade[rid] = 0
        self.e_first[rid] = self.e_last[rid] = -1
        adj = self._adj
        if adj is not None:
            for x in (s, d):
                lst = adj[x]
                if lst is not None and rid in lst:
                    lst.remove(rid)
