"""A write transaction on the Neo4j store: the interface's primitives as named queries."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from neo4j import ManagedTransaction

from ...model import KINDS, REL_TYPES, Entity, Relationship
from ...model.tracked import Tracked
from ...queries import query
from ..txn import Txn
from ..types import RECORD_TABLES, Key, Named
from .codec import BATCH, batches, entity_of_node, entity_props, rel_row, rel_write_row, relationship_of_row, sparse

T = TypeVar("T")
X = TypeVar("X")


class Neo4jTxn(Txn):
    batch = BATCH
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
        chunks = [(key, chunk) for key, items in groups.items() for chunk in batches(items, self.batch)]

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
        for chunk in batches(ids, 20000):
            for row in self.rows(query("entities_by_id"), ids=list(chunk)):
                e = entity_of_node(row)
                out[e.id] = e
        return out

    def any_merged(self) -> bool:
        found = self.run("any_merged")
        return bool(found and found[0]["any"])

    def merged_into(self, ids: Iterable[str]) -> dict[str, str]:
        ids = list(dict.fromkeys(ids))
        out: dict[str, str] = {}
        for chunk in batches(ids, 20000):
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
            for chunk in batches(pairs, 20000):
                for s, d, asr, props in self.rows(q, keys=list(chunk)):
                    r = relationship_of_row(t, s, d, asr, props)
                    out[r.key] = r
        return out

    def create_missing_entities(self, entities: Sequence[Entity]) -> dict[str, Entity]:
        by_kind: dict[str, list[Entity]] = defaultdict(list)
        for e in entities:
            by_kind[e.kind].append(e)
        out: dict[str, Entity] = {}

        def q_of(kind: str) -> str:
            return query("create_missing_entities", label=KINDS[kind])

        for _, rows in self.pipelined(by_kind, lambda e: sparse(entity_props(e)), q_of):
            for row in rows:
                e = entity_of_node(row)
                out[e.id] = e
        return out

    def create_missing_relationships(self, rels: Sequence[Relationship]) -> dict[Key, Relationship]:
        by_type: dict[str, list[Relationship]] = defaultdict(list)
        for r in rels:
            by_type[r.type].append(r)
        out: dict[Key, Relationship] = {}

        def q_of(t: str) -> str:
            return query("create_missing_relationships", rtype=REL_TYPES[t])

        for t, rows in self.pipelined(by_type, rel_write_row, q_of):
            for s, d, asr, props in rows:
                r = relationship_of_row(t, s, d, asr, props)
                out[r.key] = r
        return out

    def relationships_of(self, ids: Iterable[str]) -> list[Relationship]:
        return [relationship_of_row(*row) for row in self.rows(query("relationships_of"), ids=list(ids))]

    def put_entities(self, entities: Sequence[Entity], new: bool) -> None:
        if not new:
            rows = [entity_props(e) for e in entities]
            for chunk in batches(rows):
                self.tx.run(query("update_entities"), rows=list(chunk))
            return
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for e in entities:
            by_kind[e.kind].append(entity_props(e))
        for kind, rows in by_kind.items():
            q = query("create_entities", label=KINDS[kind])
            for chunk in batches(rows):
                self.tx.run(q, rows=list(chunk))

    def put_relationships(self, rels: Sequence[Relationship], new: bool) -> None:
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for r in rels:
            by_type[r.type].append(rel_row(r))
        name = "create_relationships" if new else "update_relationships"
        for t, rows in by_type.items():
            q = query(name, rtype=REL_TYPES[t])
            for chunk in batches(rows):
                self.tx.run(q, rows=list(chunk))

    def delete_relationships(self, keys: Sequence[Key]) -> None:
        by_type: dict[str, list[list[str]]] = defaultdict(list)
        for t, s, d in keys:
            by_type[t].append([s, d])
        for t, pairs in by_type.items():
            q = query("delete_relationships", rtype=REL_TYPES[t])
            for chunk in batches(pairs):
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

    def put_tracking(self, records: Sequence[Tracked]) -> None:
        for chunk in batches(records, self.batch):
            rows = [
                {
                    "id": t.id,
                    "record": t.record,
                    "subject": t.subject,
                    "date": t.date,
                    "body": json.dumps(t.to_json(), ensure_ascii=False),
                    "names": list(t.involves),
                }
                for t in chunk
            ]
            self.run("put_tracking", rows=rows)

    def tracking_of(self, ids: Sequence[str]) -> list[Tracked]:
        return [Tracked.from_stored(json.loads(r["body"])) for r in self.run("tracking_of", ids=list(ids))]

    def tracking_by_id(self, ids: Sequence[str]) -> dict[str, Tracked]:
        got = (Tracked.from_stored(json.loads(r["body"])) for r in self.run("tracking_by_id", ids=list(ids)))
        return {t.id: t for t in got}

    def delete_tracking(self, ids: Sequence[str]) -> None:
        self.run("delete_tracking", ids=list(ids))

    def put_postcodes(self, rows: Sequence[tuple[str, float, float]]) -> None:
        for chunk in batches(rows, self.batch):
            self.run("put_postcodes", rows=[{"code": c, "lat": la, "lon": lo} for c, la, lo in chunk])

    def put_named_places(self, rows: Sequence[Named]) -> None:
        for chunk in batches(rows, self.batch):
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
