"""The Neo4j store, for a force or a region (``neo4j://user:password@host:7687``).

Every query is a named query of ``cypher/`` (see :mod:`contextgraph.queries`);
values go only as parameters; writes run in managed transactions
(``execute_write``) whose functions are safe to retry, sending rows in
``UNWIND`` batches.
"""

from __future__ import annotations

import gc
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import orjson
from neo4j import Driver, GraphDatabase
from neo4j.exceptions import Neo4jError, ServiceUnavailable

from ...model import KINDS, TYPE_CODES, Entity, Relationship, flagged
from ...model.tracked import Tracked
from ...model.tracking import RECORD_KINDS
from ...projection import Projection
from ...queries import query
from ..base import Store
from ..errors import NotFound, StoreError
from ..filter import Filter
from ..merge import view
from ..reads import placed_under_c
from ..txn import Txn
from ..types import Key, Stats, Subgraph
from ..walk import walk
from .codec import FILTERS, SCHEMA, Step, batches, entity_of_node, relationship_of_row
from .held import Generation, Held
from .txn import Neo4jTxn

T = TypeVar("T")
X = TypeVar("X")

SCANNED = 25
"""How many of the full-text index's best matches a name search reads for each candidate it may
give (at least 5,000): the reader's localities and kinds are applied to those, so that many people
of one name elsewhere do not crowd out the reader's own, while a common word stays quick."""


def lucene(key: str) -> str:
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
        self._held: Held | None = None
        with self._driver.session(database=database) as s:
            for name in SCHEMA:
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
            "undated": flt.undated,
            "service": "service",
        }

    def expand(self, ids: Sequence[str], flt: Filter) -> list[tuple[Relationship, Entity]]:
        params = self._params(flt)
        if self._held is not None:
            return self._expand_held(self._held, ids, params)
        out = []
        for t, s, d, asr, props, other_props, members in self._rows(query("expand"), ids=list(ids), **params):
            other = entity_of_node(other_props)
            if members:
                other.members = ["?"]  # filled by the caller's view
            out.append((relationship_of_row(t, s, d, asr, props), other))
        return out

    def _expand_held(self, held: Held, ids: Sequence[str], params: dict[str, Any]) -> list[tuple[Relationship, Entity]]:
        """As :meth:`expand` for a warmed store, from what it holds."""
        stars = self._stars(held, ids, params)
        return [(r, e) for n in ids for _, _, _, r, e in stars.get(n, ())]

    def _stars(self, held: Held, ids: Sequence[str], params: dict[str, Any]) -> dict[str, list[Step]]:
        """The relationships of each of ``ids`` that pass the filter in ``params``. Without a
        filter, those held are used (once the version is checked); the others are walked on
        the server by key, their records taken from memory, and kept."""
        plain = all(params[k] is None for k in FILTERS)
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
        self, gen: Generation, ids: Sequence[str], keys: Sequence[Key], keep: bool
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
        """As :meth:`Warmable.warm`: every record is read once into memory, and walks take what they
        need from there while nothing is written; a committed write by any process empties it,
        and walks then keep what they read again."""
        held = self._held or Held()
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
                e = entity_of_node(row, members.get(row["id"], ()))
                ents[e.id] = e
            for row in self._rows(query("relationships_from_page"), ids=[r["id"] for r in rows]):
                r = relationship_of_row(*row)
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
        params = self._params(flt)
        asked = {
            "kinds": params["kinds"],
            "localities": params["localities"],
            "service": params["service"],
            "public_only": flt.public_only,
            "away": [i for i, (_, now) in placed_under_c(self).items() if now not in flt.localities]
            if flt.public_only and flt.localities is not None
            else [],
            "scan": max(limit * SCANNED, 5_000),  # bounded: a common word's every match is not read
        }
        with self._session() as s:
            for key in keys:
                for rec in s.run(query("search_names"), text=lucene(key), limit=limit, **asked):
                    ids.setdefault(rec["id"], None)
        found = self.get_many(list(ids))
        return [e for e in found.values() if flt.node_ok(e.kind, e.locality)]

    def conditional_entities(self) -> list[str]:
        return [str(i) for i in self._rows(query("conditional_entities"))]

    def named_under_c(self) -> list[str]:
        return [str(i) for i in self._rows(query("named_under_c"))]

    def linked_only_by(self, types: frozenset[str], ids: Sequence[str] | None = None) -> list[str]:
        kinds = [k for k, kind in KINDS.items() if kind.placed]
        if ids is None:
            return [str(i) for i in self._rows(query("linked_only_by"), kinds=kinds, types=sorted(types))]
        found = self._rows(query("linked_only_by_ids"), kinds=kinds, types=sorted(types), ids=list(ids))
        return [str(i) for i in found]

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
            tracked = counts(s, "count_tracking")
        return Stats(
            entities={k: ents.get(k, 0) for k in KINDS},
            relationships={t: rels.get(t, 0) for t in TYPE_CODES},
            localities=dict(sorted(((k or "(none)"), v) for k, v in locs.items())),
            merged=merged,
            judgements=rec.get("judgements", 0),
            erasures=rec.get("erasures", 0),
            tracking={k: tracked[k] for k in RECORD_KINDS if k in tracked},
        )

    def _rows(self, q: str, **params: Any) -> list[Any]:
        """The collected rows of one read query (a single statement: no explicit transaction needed)."""
        with self._driver.session(database=self.database, default_access_mode="READ") as s:
            rec = s.run(q, params).single()
            return list(rec[0]) if rec is not None else []

    def get_many(self, ids: Iterable[str]) -> dict[str, Entity]:
        """As :meth:`Store.get_many`, in one statement."""
        out: dict[str, Entity] = {}
        for chunk in batches(list(dict.fromkeys(ids)), 20000):
            for i, rec, members in self._rows(query("entities_view"), ids=list(chunk)):
                e = entity_of_node(rec)
                out[i] = view(e, [entity_of_node(m) for m in members]) if members else e
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
                yield entity_of_node(row)

    def iter_relationships(self) -> Iterator[Relationship]:
        for rows in self._pages():
            ids = [r["id"] for r in rows]
            for row in self._rows(query("relationships_from_page"), ids=ids):
                yield relationship_of_row(*row)

    def iter_tracking(self, oldest_first: bool = True) -> Iterator[Tracked]:
        with self._driver.session(database=self.database, default_access_mode="READ") as s:
            for r in s.run(query("all_tracking") if oldest_first else query("all_tracking_any_order")):
                yield Tracked.from_stored(orjson.loads(r["body"]))

    def clear(self) -> None:
        """Delete everything (for tests and benchmarks on a scratch database)."""
        with self._session() as s:
            s.run(query("clear_all")).consume()

    def close(self) -> None:
        self._driver.close()
