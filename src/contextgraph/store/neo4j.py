"""The Neo4j store, for a force or a region (``neo4j://user:password@host:7687``).

Every query is a named query of ``cypher/`` (see :mod:`contextgraph.queries`);
values go only as parameters; writes run in managed transactions
(``execute_write``) whose functions are safe to retry, sending rows in
``UNWIND`` batches.
"""

from __future__ import annotations

import gc
import json
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
from neo4j import Driver, GraphDatabase, ManagedTransaction
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from ..model import KINDS, REL_TYPES, TYPE_CODES, Entity, Relationship, flagged, strongest_grading
from ..projection import Projection
from ..queries import query
from ..text import normalise_name
from .base import Store, Txn
from .codec import decode_assertions, encode_assertions
from .errors import NotFound, StoreError
from .filter import Filter
from .merge import view
from .types import RECORD_TABLES, Key, Named, Stats, Subgraph
from .walk import walk

T = TypeVar("T")
X = TypeVar("X")
_BATCH = 10_000
_SCHEMA = (
    "constraint_entity_id",
    "index_entity_merged_into",
    "index_entity_locality",
    "index_entity_names",
    "constraint_record_id",
    "index_record_table",
    "constraint_postcode",
    "constraint_named_place",
    "index_named_place_key",
)


def _entity_props(e: Entity) -> dict[str, Any]:
    return {
        "id": e.id,
        "kind": e.kind,
        "name": e.name,
        "aliases": list(e.aliases),
        "dob": e.dob,
        "locality": e.locality,
        "lat": e.lat,
        "lon": e.lon,
        "properties": _props_json(e.properties),
        "sources": list(e.sources),
        "first_seen": e.first_seen,
        "last_seen": e.last_seen,
        "grading": e.grading,
        "handling": list(e.handling),
        "search": " | ".join(dict.fromkeys(normalise_name(x) for x in [e.name, *e.aliases])),
    }


def _entity(p: Any, members: Iterable[str] = ()) -> Entity:
    return Entity(
        id=p["id"],
        kind=p["kind"],
        name=p["name"],
        aliases=list(p.get("aliases") or []),
        dob=p.get("dob"),
        locality=p.get("locality"),
        lat=p.get("lat"),
        lon=p.get("lon"),
        properties=orjson.loads(p.get("properties") or "{}"),
        sources=list(p.get("sources") or []),
        first_seen=p.get("first_seen"),
        last_seen=p.get("last_seen"),
        grading=p.get("grading"),
        handling=list(p.get("handling") or []),
        members=sorted(p.get("members") or members),
    )


def _rel_row(r: Relationship) -> dict[str, Any]:
    dates = [a.date for a in r.assertions if a.date]
    return {
        "source": r.source,
        "target": r.target,
        "assertions": encode_assertions(r),
        "properties": _props_json(r.properties),
        "first_seen": min(dates) if dates else None,
        "last_seen": max(dates) if dates else None,
        "count": len(r.assertions),
        "grading": strongest_grading([a.grading for a in r.assertions]),
    }


def _sparse(props: dict[str, Any]) -> dict[str, Any]:
    """Only the properties worth storing on a new node or relationship (absent reads as empty:
    None, ``"{}"`` or an empty list)."""
    return {k: v for k, v in props.items() if v is not None and v != "{}" and v != []}


def _props_json(props: dict[str, Any]) -> str:
    """Open properties as stored: JSON text with sorted keys."""
    return orjson.dumps(props, option=orjson.OPT_SORT_KEYS).decode() if props else "{}"


def _rel_write_row(r: Relationship) -> dict[str, Any]:
    row = _rel_row(r)
    return {"source": row.pop("source"), "target": row.pop("target"), "set": _sparse(row)}


def _relationship(t: str, s: str, d: str, assertions: str | None, props: str | None) -> Relationship:
    return Relationship(t, s, d, decode_assertions(assertions or "[]", s, d), orjson.loads(props or "{}"))


Step = tuple[Key, str, bool, Relationship, Entity]
"""A relationship of an entity: its key, the id at its other end, whether a walk may go on from
there, the relationship and the entity there."""
_FILTERS = ("types", "kinds", "localities", "since", "until")


class _Generation:
    """What a warmed store holds at one version of the store."""

    def __init__(self) -> None:
        self.entities: dict[str, Entity] = {}
        self.relationships: dict[Key, Relationship] = {}
        self.stars: dict[str, list[Step]] = {}
        """Each entity's relationships (with no filter), as walks found them."""


class _Held:
    """Records a warmed store keeps in memory, valid while the store's version is the one they
    were read at: any committed write, by any process, changes the version, and what is held
    starts again empty (a new :class:`_Generation`).

    Readers write what they read into the generation they observed, never into a later one, so
    that a request still reading at an older version cannot put what it read beside the new.
    Records read within ``settle`` seconds of a version first being seen are used but not kept,
    so that none read while a write was still being applied on the server outlives it.
    """

    settle = 2.0

    def __init__(self) -> None:
        self.version: Any = None
        self.seen_at = 0.0
        self.current = _Generation()
        self._lock = threading.Lock()

    def observe(self, version: Any) -> tuple[_Generation, bool]:
        """Note the version a read saw before reading records: the generation that holds what
        is known at it, and whether what the read goes on to read may be kept there."""
        with self._lock:
            if version != self.version:
                self.version = version
                self.seen_at = time.monotonic()
                self.current = _Generation()
                return self.current, False
            return self.current, time.monotonic() - self.seen_at >= self.settle


def _batches(seq: Sequence[T], n: int = _BATCH) -> Iterator[Sequence[T]]:
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class Neo4jTxn(Txn):
    batch = _BATCH
    """Rows sent in one query by :meth:`pipelined`."""

    def __init__(self, tx: ManagedTransaction):
        self.tx = tx

    def run(self, name: str, **params: Any) -> list[Any]:
        return list(self.tx.run(query(name), params))

    def rows(self, q: str, **params: Any) -> list[Any]:
        """The collected ``rows`` of a query that returns one record of lists."""
        rec = self.tx.run(q, params).single()
        return list(rec[0]) if rec is not None else []

    def pipelined(
        self, groups: dict[str, list[X]], prepare: Callable[[X], dict[str, Any]], q_of: Callable[[str], str]
    ) -> Iterator[tuple[str, list[Any]]]:
        """Send the items of each group in batches of rows made by ``prepare``, one query each,
        yielding each batch's collected rows. While the server works on one batch, the next
        batch's rows are made in a second thread (waiting on the socket frees the interpreter),
        so the client's work and the server's overlap."""
        chunks = [(key, chunk) for key, items in groups.items() for chunk in _batches(items, self.batch)]

        def make(chunk: Sequence[X]) -> list[dict[str, Any]]:
            return [prepare(x) for x in chunk]

        if len(chunks) <= 1:  # nothing to overlap: no thread
            for key, chunk in chunks:
                yield key, self.rows(q_of(key), rows=make(chunk))
            return
        with ThreadPoolExecutor(1) as pool:
            nxt = pool.submit(make, chunks[0][1])
            for i, (key, _) in enumerate(chunks):
                rows = nxt.result()
                if i + 1 < len(chunks):
                    nxt = pool.submit(make, chunks[i + 1][1])
                yield key, self.rows(q_of(key), rows=rows)

    def entities(self, ids: Iterable[str]) -> dict[str, Entity]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, Entity] = {}
        for chunk in _batches(ids, 20000):
            for row in self.rows(query("entities_by_id"), ids=list(chunk)):
                e = _entity(row)
                out[e.id] = e
        return out

    def any_merged(self) -> bool:
        found = self.run("any_merged")
        return bool(found and found[0]["any"])

    def merged_into(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for chunk in _batches(ids, 20000):
            out.update(dict(self.rows(query("merged_into"), ids=list(chunk))))
        return out

    def members(self, canonical: str) -> list[str]:
        return [r["id"] for r in self.run("members_of", id=canonical)]

    def relationships(self, keys: Iterable[Key]) -> dict[Key, Relationship]:
        by_type: dict[str, list[list[str]]] = defaultdict(list)
        for t, s, d in keys:
            by_type[t].append([s, d])
        out: dict[Key, Relationship] = {}
        for t, pairs in by_type.items():
            q = query("relationships_by_key", rtype=REL_TYPES[t])
            for chunk in _batches(pairs, 20000):
                for s, d, asr, props in self.rows(q, keys=list(chunk)):
                    r = _relationship(t, s, d, asr, props)
                    out[r.key] = r
        return out

    def create_missing_entities(self, entities: Sequence[Entity]) -> dict[str, Entity]:
        by_kind: dict[str, list[Entity]] = defaultdict(list)
        for e in entities:
            by_kind[e.kind].append(e)
        out: dict[str, Entity] = {}

        def q_of(kind: str) -> str:
            return query("create_missing_entities", label=KINDS[kind])

        for _, rows in self.pipelined(by_kind, lambda e: _sparse(_entity_props(e)), q_of):
            for row in rows:
                e = _entity(row)
                out[e.id] = e
        return out

    def create_missing_relationships(self, rels: Sequence[Relationship]) -> dict[Key, Relationship]:
        by_type: dict[str, list[Relationship]] = defaultdict(list)
        for r in rels:
            by_type[r.type].append(r)
        out: dict[Key, Relationship] = {}

        def q_of(t: str) -> str:
            return query("create_missing_relationships", rtype=REL_TYPES[t])

        for t, rows in self.pipelined(by_type, _rel_write_row, q_of):
            for s, d, asr, props in rows:
                r = _relationship(t, s, d, asr, props)
                out[r.key] = r
        return out

    def relationships_of(self, ids: Iterable[str]) -> list[Relationship]:
        return [_relationship(*row) for row in self.rows(query("relationships_of"), ids=list(ids))]

    def put_entities(self, entities: Sequence[Entity], new: bool) -> None:
        if not new:
            rows = [_entity_props(e) for e in entities]
            for chunk in _batches(rows):
                self.tx.run(query("update_entities"), rows=list(chunk))
            return
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in entities:
            by_kind[e.kind].append(_entity_props(e))
        for kind, rows in by_kind.items():
            q = query("create_entities", label=KINDS[kind])
            for chunk in _batches(rows):
                self.tx.run(q, rows=list(chunk))

    def put_relationships(self, rels: Sequence[Relationship], new: bool) -> None:
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rels:
            by_type[r.type].append(_rel_row(r))
        name = "create_relationships" if new else "update_relationships"
        for t, rows in by_type.items():
            q = query(name, rtype=REL_TYPES[t])
            for chunk in _batches(rows):
                self.tx.run(q, rows=list(chunk))

    def delete_relationships(self, keys: Sequence[Key]) -> None:
        by_type: dict[str, list[list[str]]] = defaultdict(list)
        for t, s, d in keys:
            by_type[t].append([s, d])
        for t, pairs in by_type.items():
            q = query("delete_relationships", rtype=REL_TYPES[t])
            for chunk in _batches(pairs):
                self.tx.run(q, keys=list(chunk))

    def delete_entities(self, ids: Sequence[str]) -> None:
        self.run("delete_entities", ids=list(ids))

    def set_merged_into(self, ids: Sequence[str], into: str | None) -> None:
        self.run("set_merged_into", ids=list(ids), into=into)

    def add_record(self, table: str, record: dict[str, Any]) -> None:
        assert table in RECORD_TABLES
        self.run("add_record", id=record["id"], tbl=table, body=json.dumps(record, ensure_ascii=False))

    def records(self, table: str) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.run("records", tbl=table)]

    def delete_records(self, table: str, ids: Sequence[str]) -> None:
        self.run("delete_records", tbl=table, ids=list(ids))

    def put_postcodes(self, rows: Sequence[tuple[str, float, float]]) -> None:
        for chunk in _batches(rows, self.batch):
            self.run("put_postcodes", rows=[{"code": c, "lat": la, "lon": lo} for c, la, lo in chunk])

    def put_named_places(self, rows: Sequence[Named]) -> None:
        for chunk in _batches(rows, self.batch):
            self.run("put_named_places", rows=[{"uid": f"{r.key}|{r.locality}", **r._asdict()} for r in chunk])

    def postcodes(self, codes: Sequence[str]) -> dict[str, tuple[float, float]]:
        return {r["code"]: (r["lat"], r["lon"]) for r in self.run("postcodes", codes=list(codes))}

    def named_places(self, keys: Sequence[str]) -> list[Named]:
        return [Named(*r.values()) for r in self.run("named_places", keys=list(keys))]

    def gazetteer_size(self) -> tuple[int, int]:
        (r,) = self.run("gazetteer_size")
        return int(r["postcodes"]), int(r["named"])

    def set_audit_head(self, head: dict[str, Any]) -> None:
        self.run("set_audit_head", body=json.dumps(head, sort_keys=True))

    def audit_head(self) -> dict[str, Any] | None:
        rows = list(self.run("audit_head"))
        return dict(json.loads(rows[0]["body"])) if rows else None


def _lucene(key: str) -> str:
    """A fuzzy full-text query from a normalised name (letters, digits and spaces only)."""
    terms = []
    for tok in key.split():
        if len(tok) >= 6:
            terms.append(f"{tok}~2")
        elif len(tok) >= 3:
            terms.append(f"{tok}~1")
        else:
            terms.append(tok)
    return " OR ".join(terms)


class Neo4jStore(Store):
    atomic_rows = 50_000

    def __init__(self, uri: str, auth: tuple[str, str] | None = None, database: str | None = None):
        self.url = uri
        self.database = database
        try:
            self._driver: Driver = GraphDatabase.driver(uri, auth=auth, notifications_min_severity="OFF")
            self._driver.verify_connectivity()
        except (ServiceUnavailable, Neo4jError, ValueError, OSError) as e:
            raise StoreError(f"cannot reach Neo4j at {uri}: {e}") from None
        self._held: _Held | None = None
        with self._driver.session(database=database) as s:
            for name in _SCHEMA:
                s.run(query(name)).consume()
            s.run(query("await_indexes")).consume()
        # What exists now (modules, the driver) lives as long as the process: keep it out of
        # every later collection, which otherwise adds tens of ms to reads at random.
        gc.freeze()

    def ping(self) -> bool:
        with self._session() as s:
            return bool(s.run(query("ping")).single(strict=True)["ok"] == 1)

    def _session(self) -> Any:
        return self._driver.session(database=self.database)

    def transaction(self, fn: Callable[[Txn], T]) -> T:
        def work(tx: Any) -> T:
            t = Neo4jTxn(tx)
            out = fn(t)
            self._keep_head(t)
            tx.run(query("bump_version"), token=uuid.uuid4().hex).consume()
            return out

        with self._session() as s:
            got: T = s.execute_write(work)
        self._head_kept()
        return got

    def version(self) -> tuple[str, int] | None:
        """Changes with every committed write transaction, from any process."""
        with self._driver.session(database=self.database, default_access_mode="READ") as s:
            rec = s.run(query("version")).single()
        if rec is None:
            return ("", 0)
        body, seq = rec["version"]
        return (str(body), int(seq))

    def read(self, fn: Callable[[Txn], T]) -> T:
        with self._session() as s:
            return s.execute_read(lambda tx: fn(Neo4jTxn(tx)))  # type: ignore[no-any-return]

    def _params(self, flt: Filter) -> dict[str, Any]:
        return {
            "types": sorted(flt.types) if flt.types is not None else None,
            "kinds": sorted(flt.kinds) if flt.kinds is not None else None,
            "localities": sorted(flt.localities) if flt.localities is not None else None,
            "since": flt.since,
            "until": flt.until,
            "service": "service",
        }

    def expand(self, ids: Sequence[str], flt: Filter) -> list[tuple[Relationship, Entity]]:
        params = self._params(flt)
        if self._held is not None:
            return self._expand_held(self._held, ids, params)
        out = []
        for t, s, d, asr, props, other_props, members in self._rows(query("expand"), ids=list(ids), **params):
            other = _entity(other_props)
            if members:
                other.members = ["?"]  # filled by the caller's view
            out.append((_relationship(t, s, d, asr, props), other))
        return out

    def _expand_held(
        self, held: _Held, ids: Sequence[str], params: dict[str, Any]
    ) -> list[tuple[Relationship, Entity]]:
        """As :meth:`expand` for a warmed store, from what it holds."""
        stars = self._stars(held, ids, params)
        return [(r, e) for n in ids for _, _, _, r, e in stars.get(n, ())]

    def _stars(self, held: _Held, ids: Sequence[str], params: dict[str, Any]) -> dict[str, list[Step]]:
        """The relationships of each of ``ids`` that pass the filter in ``params``. Without a
        filter, those held are used (once the version is checked); the others are walked on
        the server by key, their records taken from memory, and kept."""
        plain = all(params[k] is None for k in _FILTERS)
        out: dict[str, list[Step]] = {}
        if plain and any(n in held.current.stars for n in ids):
            gen, _ = held.observe(self._version())  # what is held is only as good as the version
            out = {n: gen.stars[n] for n in ids if n in gen.stars}
        want = [n for n in ids if n not in out]
        if not want:
            return out
        name = "expand_keys" if plain else "expand_keys_filtered"
        with self._driver.session(database=self.database, default_access_mode="READ") as s:
            rec = s.run(query(name), {"ids": want, **params}).single(strict=True)
        gen, keep = held.observe(tuple(rec["version"]))
        found = [
            (n, [((t, n, o) if starts else (t, o, n), o, kind != "service") for t, o, kind, starts in steps])
            for n, steps in rec["rows"]
        ]
        ents, rels = self._held_records(
            gen, [o for _, steps in found for _, o, _ in steps], [k for _, steps in found for k, _, _ in steps], keep
        )
        i = 0
        for n, steps in found:
            mine: list[Step] = []
            for k, o, onward in steps:
                r, e = rels[i], ents[i]
                i += 1
                if r is not None and e is not None:  # else erased since the walk
                    mine.append((k, o, onward, r, e))
            out[n] = mine
            if keep and plain:
                gen.stars[n] = mine
        return out

    def _held_records(
        self, gen: _Generation, ids: Sequence[str], keys: Sequence[Key], keep: bool
    ) -> tuple[list[Entity | None], list[Relationship | None]]:
        """The record of each of ``ids`` and ``keys`` (None for one gone since): those held, and the
        others read (and kept, if ``keep``)."""
        ents = list(map(gen.entities.get, ids))
        rels = list(map(gen.relationships.get, keys))
        want_e = [i for i, e in zip(ids, ents, strict=True) if e is None]
        want_r = [k for k, r in zip(keys, rels, strict=True) if r is None]
        if want_e or want_r:
            got_e, got_r = self.read(lambda tx: (tx.entities(want_e), tx.relationships(want_r)))
            if keep:
                gen.entities.update(got_e)
                gen.relationships.update(got_r)
            ents = [e if e is not None else got_e.get(i) for i, e in zip(ids, ents, strict=True)]
            rels = [r if r is not None else got_r.get(k) for k, r in zip(keys, rels, strict=True)]
        return ents, rels

    def neighbourhood(self, eid: str, depth: int = 1, flt: Filter | None = None) -> Subgraph:
        """As :meth:`Store.neighbourhood`. A warmed store takes each step's relationships and
        records from what it holds (see :meth:`_stars`); a reader cleared for P only, whose walk
        depends on each relationship's assertions, walks as any store does."""
        flt = flt or Filter()
        held = self._held
        if held is None or flt.public_only or not 1 <= depth <= 3:
            return super().neighbourhood(eid, depth, flt)
        centre = self.get(eid)
        if centre is None:
            raise NotFound(f"no entity {eid!r}")
        params = self._params(flt)
        rels: dict[Key, Relationship] = {}
        ents: dict[str, Entity] = {}

        def step(frontier: list[str]) -> list[tuple[Key, str, bool]]:
            stars = self._stars(held, frontier, params)
            out = []
            for n in frontier:
                for k, o, onward, r, e in stars.get(n, ()):
                    out.append((k, o, onward))
                    rels[k] = r
                    ents[o] = e
            return out

        ids, keys = walk(centre.id, depth, step)
        return Subgraph([centre, *self.as_seen([ents[i] for i in ids[1:]])], [rels[k] for k in keys])

    def _version(self) -> tuple[Any, Any]:
        """The store's version as the walk's queries read it (``(None, None)`` before any write)."""
        found = self._rows(query("version"))
        return (found[0], found[1]) if found else (None, None)

    def warm(self) -> int:
        """As :meth:`Store.warm`: every record is read once into memory, and walks take what they
        need from there while nothing is written; a committed write by any process empties it,
        and walks then keep what they read again."""
        held = self._held or _Held()
        self._held = held
        held.observe(self._version())
        time.sleep(max(0.0, held.settle - (time.monotonic() - held.seen_at)))
        gen, keep = held.observe(self._version())
        members: dict[str, list[str]] = defaultdict(list)
        for m, into in self._rows(query("merged_pairs")):
            members[into].append(m)
        ents: dict[str, Entity] = {}
        rels: dict[Key, Relationship] = {}
        for rows in self._pages():
            for row in rows:
                e = _entity(row, members.get(row["id"], ()))
                ents[e.id] = e
            for row in self._rows(query("relationships_from_page"), ids=[r["id"] for r in rows]):
                r = _relationship(*row)
                rels[r.key] = r
        after, _ = held.observe(self._version())
        if not keep or after is not gen:
            return 0  # written meanwhile: walks fill what is held instead
        gen.entities.update(ents)
        gen.relationships.update(rels)
        gc.freeze()  # long-lived records: keep them out of every later collection
        return len(ents) + len(rels)

    def search_candidates(self, keys: Sequence[str], flt: Filter, limit: int) -> list[Entity]:
        ids: dict[str, None] = {}
        with self._session() as s:
            for key in keys:
                for rec in s.run(query("search_names"), text=_lucene(key), limit=limit):
                    ids.setdefault(rec["id"], None)
        found = self.get_many(list(ids))
        return [e for e in found.values() if flt.node_ok(e.kind, e.locality)]

    def conditional_entities(self) -> list[str]:
        return [str(i) for i in self._rows(query("conditional_entities"))]

    def conditional_keys(self) -> list[Key]:
        return [(t, a, b) for t, a, b in self._rows(query("conditional_keys"))]

    def project(self, flt: Filter) -> Projection:
        params = self._params(flt)
        nodes = self._rows(query("projection_nodes"), **params)
        index = {n[0]: i for i, n in enumerate(nodes)}
        flags = [bool(n[3]) and flagged(orjson.loads(n[3])) for n in nodes]
        for into, props in self._rows(query("merged_properties")):
            if into in index and flagged(orjson.loads(props)):
                flags[index[into]] = True
        edges = []
        for src, dst, t, first, last, count, grading in self._rows(query("projection_edges"), **params):
            a, b = index.get(src), index.get(dst)
            if a is not None and b is not None:
                edges.append((a, b, t, first, last, count or 1, grading))
        return Projection.from_lists([n[0] for n in nodes], [n[1] for n in nodes], [n[2] for n in nodes], edges, flags)

    def stats(self) -> Stats:
        def counts(s: Any, name: str, **p: Any) -> dict[Any, int]:
            return {r["key"]: r["n"] for r in s.run(query(name), **p)}

        with self._session() as s:
            ents = counts(s, "count_entities_by_kind")
            rels = counts(s, "count_relationships_by_type")
            locs = counts(s, "count_entities_by_locality", service="service")
            merged = counts(s, "count_merged").get("merged", 0)
            rec = counts(s, "count_records")
        return Stats(
            entities={k: ents.get(k, 0) for k in KINDS},
            relationships={t: rels.get(t, 0) for t in TYPE_CODES},
            localities=dict(sorted(((k or "(none)"), v) for k, v in locs.items())),
            merged=merged,
            judgements=rec.get("judgements", 0),
            erasures=rec.get("erasures", 0),
        )

    def _rows(self, q: str, **params: Any) -> list[Any]:
        """The collected rows of one read query (a single statement: no explicit transaction needed)."""
        with self._driver.session(database=self.database, default_access_mode="READ") as s:
            rec = s.run(q, params).single()
            return list(rec[0]) if rec is not None else []

    def get_many(self, ids: Iterable[str]) -> dict[str, Entity]:
        """As :meth:`Store.get_many`, in one statement."""
        out: dict[str, Entity] = {}
        for chunk in _batches(list(dict.fromkeys(ids)), 20000):
            for i, rec, members in self._rows(query("entities_view"), ids=list(chunk)):
                e = _entity(rec)
                out[i] = view(e, [_entity(m) for m in members]) if members else e
        return out

    def _pages(self, page: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        after = ""
        while True:
            rows = self._rows(query("entities_page"), after=after, page=page)
            if not rows:
                return
            yield rows
            after = rows[-1]["id"]

    def iter_entities(self) -> Iterator[Entity]:
        for rows in self._pages():
            for row in rows:
                yield _entity(row)

    def iter_relationships(self) -> Iterator[Relationship]:
        for rows in self._pages():
            ids = [r["id"] for r in rows]
            for row in self._rows(query("relationships_from_page"), ids=ids):
                yield _relationship(*row)

    def clear(self) -> None:
        """Delete everything (for tests and benchmarks on a scratch database)."""
        with self._session() as s:
            s.run(query("clear_all")).consume()

    def close(self) -> None:
        self._driver.close()
