"""The embedded store's reads built on its adjacency index: steps from an entity, the
neighbourhood walk, links outside a reader's localities, name search, the projection, and the
labels and facts reports read in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import orjson

from ...model import KIND_CODES, KINDS, Entity, Relationship, day
from ..base import Store
from ..errors import NotFound, StoreError
from ..filter import Filter
from ..merge import view
from ..reads import placed_under_c, shown, widened
from ..types import Fact, Key, Label, Subgraph
from ..walk import walk
from .codec import KIND_CODE, TYPE_CODE
from .index import Index, edge_key
from .sql import sql, values
from .txn import SQLiteTxn

if TYPE_CHECKING:  # numpy, the projection and the name matcher are loaded by the reads that use them
    from ...projection import Projection
    from .store import SQLiteStore


def expand(store: SQLiteStore, ids: Sequence[str], flt: Filter) -> list[tuple[Relationship, Entity]]:
    with store._lock:
        ix = store._index()
        tx = SQLiteTxn(store)
        other = {rid: o for _, rid, o in adjacent(ix, ix.nids(ids), flt, outside=False)}
        rels = tx._rels_by_rid(list(other))
        ents = tx._ents_by_nid(list(set(other.values())))
        return [(r, ents[other[rid]]) for rid, r in rels.items()]


def neighbourhood(store: SQLiteStore, eid: str, depth: int = 1, flt: Filter | None = None) -> Subgraph:
    """As :meth:`SQLiteStore.neighbourhood`."""
    if not 1 <= depth <= 3:
        raise StoreError("depth must be 1, 2 or 3")
    flt = flt or Filter()
    # a reader cleared for P walks to the localities P statements give, in a window by the dates of
    # what they may see (visible_steps)
    ask = widened(store, flt)[0].asked()
    with store._lock:
        ix = store._index()
        tx = SQLiteTxn(store)
        c = ix.nid_of.get(ix.merged.get(eid, eid))
        if c is None:
            raise NotFound(f"no entity {eid!r}")
        public = flt.public_only
        svc = KIND_CODE["service"]
        kind = ix.kind
        visible: dict[int, Relationship] = {}

        def step(frontier: list[int]) -> Iterator[tuple[int, int, bool]]:
            found = adjacent(ix, frontier, ask, outside=False)
            if public:
                found = visible_steps(tx, found, flt, visible)
            for _, rid, o in found:
                yield rid, o, kind[o] != svc

        nodes, rids = walk(c, depth, step)
        ents = tx._ents_by_nid(nodes)
        rels = tx._rels_by_rid(rids)
        out = [ents[n] for n in nodes if n in ents]
        edges = [visible.get(rid) or rels[rid] for rid in rids if rid in rels]
    return Subgraph(shown(store.as_seen(out), flt), edges)


def visible_steps(
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
        seen = flt.seen(r) if r is not None else None
        if seen is None or e is None or flt.shown(e) is None:
            continue
        kept[rid] = seen
        out.append((n, rid, o))
    return out


def outside_links(store: SQLiteStore, ids: Sequence[str], flt: Filter) -> dict[str, int]:
    """As :meth:`SQLiteStore.outside_links`."""
    if flt.localities is None:
        return {}
    moved = placed_under_c(store) if flt.public_only else {}
    only_c = set(store.conditional_entities()) if flt.public_only else set()  # not there for the reader at all
    ask = flt.asked()  # a P reader's window: by the dates of what they may see
    with store._lock:
        ix = store._index()
        found = adjacent(ix, ix.nids(ids), ask, outside=True)
        if only_c:
            found = [x for x in found if ix.ids[x[2]] not in only_c]
        if moved:  # an end placed elsewhere under C is inside or out by where P statements place it
            away = {ix.nid_of[i] for i, (_, p) in moved.items() if i in ix.nid_of and p not in flt.localities}
            back = {ix.nid_of[i] for i, (_, p) in moved.items() if i in ix.nid_of and p in flt.localities}
            inside = adjacent(ix, ix.nids(ids), ask, outside=False)
            found = [x for x in found if x[2] not in back] + [x for x in inside if x[2] in away]
        if flt.public_only and found:
            rels = SQLiteTxn(store)._rels_by_rid([rid for _, rid, _ in found])
            found = [x for x in found if x[1] in rels and flt.seen(rels[x[1]]) is not None]
        out: dict[str, int] = {}
        for n, _, _ in found:
            key = ix.ids[n] or ""
            out[key] = out.get(key, 0) + 1
        return out


def adjacent(ix: Index, nids: Sequence[int], flt: Filter, outside: bool) -> list[tuple[int, int, int]]:
    """``(node, edge, other end)`` for the live edges of nodes ``nids`` that pass ``flt``'s
    types and dates, whose other end passes its kinds and localities — or, with
    ``outside``, whose other end is a non-service entity outside its localities."""
    types = {TYPE_CODE[t] for t in flt.types} if flt.types is not None else None
    since = day(flt.since) if flt.since else None
    until = day(flt.until) if flt.until else None
    dated_only = not flt.undated and (since is not None or until is not None)
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
                if dated_only and e_last[rid] < 0:
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


def name_index(store: SQLiteStore, ix: Index) -> tuple[list[str], list[int]]:
    """Every normalised name and alias, with the node that answers to it (merges followed)."""
    from ...text import normalise_name

    if ix.names is None:
        names: list[str] = []
        owners: list[int] = []
        for nid, name, aliases, merged in store._db.execute(sql("entity_names")):
            owner = ix.nid_of.get(merged, 0) if merged else nid
            for n in (name, *orjson.loads(aliases)):
                names.append(normalise_name(n))
                owners.append(owner)
        ix.names = (names, owners)
    return ix.names


def _names_passing(store: SQLiteStore, ix: Index, flt: Filter) -> tuple[list[str], list[int]]:
    """The names of the nodes whose kind and locality pass ``flt`` (every name, when it asks for
    any) and, for a reader cleared for P only, that statements under P named and do not place
    elsewhere, kept until the names change: the candidates are cut to the best few after the reader's
    localities and kinds are applied, so that a thousand people of one name elsewhere do not
    crowd out the one the reader may see."""
    names, owners = name_index(store, ix)
    public = flt.public_only
    if flt.kinds is None and flt.localities is None and not public:
        return names, owners
    if ix.names_passing is None or ix.names_passing[0] is not names:
        ix.names_passing = (names, {})
    held = ix.names_passing[1]
    key = (flt.kinds, flt.localities, public)
    got = held.get(key)
    if got is None:
        # for a reader cleared for P only, nothing named only under C (they never find it)
        hidden = [i for (i,) in store._db.execute(sql("conditional_entities"))] if public else []
        if public and flt.localities is not None:  # nor what P statements place elsewhere
            hidden += [i for i, (_, now) in placed_under_c(store).items() if now not in flt.localities]
        passes: dict[int, bool] = {ix.nid_of.get(i, 0): False for i in hidden}
        kind, loc, loc_names, ok = ix.kind, ix.loc, ix.loc_names, flt.node_ok
        sub: list[str] = []
        sub_owners: list[int] = []
        for name, n in zip(names, owners, strict=True):
            yes = passes.get(n)
            if yes is None:
                yes = passes[n] = bool(n) and ok(KIND_CODES[kind[n]], loc_names[loc[n]])
            if yes:
                sub.append(name)
                sub_owners.append(n)
        if len(held) >= 8:  # a few readers' views at a time (each holds up to every name)
            held.clear()
        got = held[key] = (sub, sub_owners)
    return got


def exact_candidates(store: SQLiteStore, keys: Sequence[str], flt: Filter) -> list[Entity]:
    """As :meth:`SQLiteStore.exact_candidates`: looked up in the index of names, no scan."""
    with store._lock:
        ix = store._index()
        names, owners = name_index(store, ix)
        if ix.name_owners is None or ix.name_owners[0] is not names:
            by_name: dict[str, list[int]] = {}
            for name, owner in zip(names, owners, strict=True):
                by_name.setdefault(name, []).append(owner)
            ix.name_owners = (names, by_name)
        table = ix.name_owners[1]
        found: dict[int, None] = {}
        for key in keys:
            for n in table.get(key, ()):
                if n and ix.alive[n] and flt.node_ok(KIND_CODES[ix.kind[n]], ix.loc_names[ix.loc[n]]):
                    found.setdefault(n, None)
        return _entities(store, ix, found)


def search_candidates(store: SQLiteStore, keys: Sequence[str], flt: Filter, limit: int) -> list[Entity]:
    from rapidfuzz import fuzz, process

    with store._lock:
        ix = store._index()
        names, owners = _names_passing(store, ix, flt)
        found: dict[int, None] = {}
        for key in keys:
            for _, _, i in process.extract(key, names, scorer=fuzz.WRatio, limit=max(limit * 5, 1000), score_cutoff=60):
                n = owners[i]
                if n and ix.alive[n] and flt.node_ok(KIND_CODES[ix.kind[n]], ix.loc_names[ix.loc[n]]):
                    found.setdefault(n, None)
        return _entities(store, ix, found)


def _entities(store: SQLiteStore, ix: Index, found: dict[int, None]) -> list[Entity]:
    """The entities of nodes ``found``, merged ones with their members (under the store's lock)."""
    tx = SQLiteTxn(store)
    recs = tx.entities([ix.ids[n] or "" for n in found])
    members = tx.entities({m for r in recs.values() for m in r.members})
    return [view(r, [members[m] for m in r.members if m in members]) if r.members else r for r in recs.values()]


def project(store: SQLiteStore, flt: Filter) -> Projection:
    import numpy as np

    from ...projection import Projection

    with store._lock:
        ix = store._index()
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
        if not flt.undated and (flt.since or flt.until):
            emask &= el >= 0
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


def labels(store: SQLiteStore, ids: Iterable[str]) -> dict[str, Label]:
    """As :meth:`Store.labels`, straight from the columns (no records decoded)."""
    with store._lock:
        ix = store._index()
        by_nid: dict[int, list[str]] = {}
        for i in ids:
            n = ix.nid_of.get(ix.merged.get(i, i))
            if n is not None:
                by_nid.setdefault(n, []).append(i)
        out: dict[str, Label] = {}
        if len(by_nid) > len(ix.nid_of) // 8:  # a large share: one scan beats many lookups
            rows: Iterable[tuple[int, str, float | None, float | None, str]] = store._db.execute(sql("entity_labels"))
            for nid, name, lat, lon, kind in rows:
                for i in by_nid.get(nid, ()):
                    out[i] = Label(name, lat, lon, kind)
            return out
        for nid, name, lat, lon, kind in store._db.execute(sql("entity_labels_by_nid"), (values(sorted(by_nid)),)):
            for i in by_nid[nid]:
                out[i] = Label(name, lat, lon, kind)
        return out


def facts(store: SQLiteStore, keys: Iterable[Key], flt: Filter | None = None) -> dict[Key, Fact]:
    """As :meth:`Store.facts`, straight from the columns and the assertions' source refs."""
    if flt is not None and flt.public_only:
        return Store.facts(store, keys, flt)
    with store._lock:
        ix = store._index()
        nid, ekey = ix.nid_of, ix.ekey
        by_rid: dict[int, Key] = {}
        for k in keys:
            ns, nd = nid.get(k[1]), nid.get(k[2])
            if ns is not None and nd is not None:
                rid = ekey.get(edge_key(TYPE_CODE[k[0]], ns, nd))
                if rid is not None:
                    by_rid[rid] = k
        out: dict[Key, Fact] = {}
        rows = store._db.execute(sql("relationship_facts_by_rid"), (values(sorted(by_rid)),))
        for rid, first, last, grading, count, asr in rows:
            refs = list(dict.fromkeys(a[0] for a in orjson.loads(asr) if a[0]))
            out[by_rid[rid]] = Fact(refs, first, last, grading, count)
        return out


def linked_only_by(store: SQLiteStore, types: frozenset[str], ids: Sequence[str] | None = None) -> list[str]:
    """As :meth:`Store.linked_only_by`, from the adjacency index."""
    import numpy as np

    placed = [KIND_CODE[k] for k, kind in KINDS.items() if kind.placed]
    hidden = {TYPE_CODE[t] for t in types}
    with store._lock:
        ix = store._index()
        if ids is not None:
            out = []
            for n in ix.nids(ids):
                if not ix.alive[n] or ix.kind[n] not in placed:
                    continue
                # as below: live links to another live entity
                others = [(r, ix.e_dst[r] if ix.e_src[r] == n else ix.e_src[r]) for r in ix.adj[n] or ()]
                ends = [r for r, o in others if o != n and ix.alive[o]]
                if ends and all(ix.e_type[r] in hidden for r in ends):
                    out.append(ix.ids[n] or "")
            return out
        alive = np.frombuffer(bytes(ix.alive), np.uint8).astype(bool)
        kind = np.frombuffer(bytes(ix.kind), np.int8)
        src = np.frombuffer(ix.e_src.tobytes(), np.int32)
        dst = np.frombuffer(ix.e_dst.tobytes(), np.int32)
        et = np.frombuffer(bytes(ix.e_type), np.int8)
        live = np.frombuffer(bytes(ix.e_alive), np.uint8).astype(bool) & alive[src] & alive[dst] & (src != dst)
        shown = live & ~np.isin(et, sorted(hidden))
        n_all = alive.shape[0]
        linked = np.bincount(src[live], minlength=n_all) + np.bincount(dst[live], minlength=n_all)
        seen = np.bincount(src[shown], minlength=n_all) + np.bincount(dst[shown], minlength=n_all)
        found = np.flatnonzero(alive & np.isin(kind, placed) & (linked > 0) & (seen == 0))
        return [ix.ids[n] or "" for n in found.tolist()]
