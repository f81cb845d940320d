"""What only the embedded store has: one file, migrations, and an index kept with the file."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import orjson
import pytest

from contextgraph.interchange import entity_from_json, relationship_from_json
from contextgraph.interchange.synth import generate
from contextgraph.model import Entity
from contextgraph.store import Filter, NotFound, Store, Subgraph, open_store
from contextgraph.store.sqlite import MIGRATIONS, Index, SQLiteStore

from .data import ENTITIES, RELATIONSHIPS, rel


def test_one_file_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    assert isinstance(s, SQLiteStore)
    mode = "PRAGMA journal_mode"
    assert s._db.execute(mode).fetchone()[0] == "delete", "a new file's first load is journalled by rollback"
    s.upsert(ENTITIES, RELATIONSHIPS)
    assert s._db.execute(mode).fetchone()[0] == "wal"
    assert s._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert s.schema_version == len(MIGRATIONS)
    s.close()
    unwritten = open_store(f"sqlite:///{tmp_path / 'b.db'}")
    unwritten.close()
    assert sqlite3.connect(tmp_path / "b.db").execute(mode).fetchone()[0] == "wal", "closed unwritten: WAL too"


def test_first_write_into_a_new_file_keeps_the_index_it_built(tmp_path: Path) -> None:
    s = SQLiteStore(tmp_path / "a.db")
    s.upsert(ENTITIES, RELATIONSHIPS)
    built = s._ix
    assert {n.id for n in s.neighbourhood("p-1", 1).nodes} == {"p-1", "c-1", "g-1"}
    assert s._ix is built, "the change of journal mode is not taken for another connection's write"
    assert s.save_index()
    s.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "b.db"
    open_store(f"sqlite:///{db}").close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version={len(MIGRATIONS) + 1}")
    con.close()
    try:
        open_store(f"sqlite:///{db}")
    except ValueError as e:
        assert "newer" in str(e)
    else:
        raise AssertionError("a newer schema must be refused")


def test_index_follows_writes_by_another_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    reader, writer = open_store(url), open_store(url)
    writer.upsert(ENTITIES, RELATIONSHIPS)
    assert {n.id for n in reader.neighbourhood("p-1", 1).nodes} == {"p-1", "c-1", "g-1"}
    writer.upsert([Entity("c-9", "child", "New Child", locality="East")], [rel("EXPLOITS", "p-1", "c-9")])
    assert "c-9" in {n.id for n in reader.neighbourhood("p-1", 1).nodes}
    writer.upsert([Entity("c-9", "child", "Renamed Child")])
    assert reader.get("c-9").name == "Renamed Child"  # type: ignore[union-attr]
    assert "c-9" in reader.projection(Filter.of(kinds=["child"])).index
    reader.close()
    writer.close()


def test_cached_records_follow_own_writes(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'd.db'}")
    s.upsert(ENTITIES, RELATIONSHIPS)
    assert s.get("c-2").name == "Zoë Ahmed"  # type: ignore[union-attr]
    s.neighbourhood("c-2", 2)
    s.upsert([Entity("c-2", "child", "Zoe AHMED")], [rel("SEEN_AT", "c-2", "l-1", ref="n9", day="2024-06-01")])
    assert s.get("c-2").name == "Zoe AHMED"  # type: ignore[union-attr]
    (seen,) = [r for r in s.neighbourhood("c-2", 1).edges if r.type == "SEEN_AT"]
    assert seen.count == 2
    s.close()


def test_reopening_rebuilds_the_same_index(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'e.db'}"
    s = open_store(url)
    s.upsert(ENTITIES, RELATIONSHIPS)
    s.merge("c-1", "c-4")
    before = s.projection()
    s.close()
    again = open_store(url)
    after = again.projection()
    assert before.ids == after.ids
    assert sorted(zip(before.src.tolist(), before.dst.tolist(), before.type.tolist(), strict=True)) == sorted(
        zip(after.src.tolist(), after.dst.tolist(), after.type.tolist(), strict=True)
    )
    assert again.get("c-4").id == "c-1"  # type: ignore[union-attr]
    again.close()


def test_large_load_into_an_empty_file_rebuilds_the_id_index(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'f.db'}")
    assert isinstance(s, SQLiteStore)
    many = [Entity(f"c-{i}", "child", f"Child {i}", locality="East") for i in range(60_000)]
    s.upsert(many)
    names = {r[0] for r in s._db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "entities_id" in names
    assert s.get("c-59999") is not None
    s.close()


def _index_state(ix: Index) -> tuple[object, ...]:
    """Everything an index answers with; edge lists in order, since their order is not kept."""
    return (ix.snapshot(), [sorted(x) if x else None for x in ix.adj], ix.ekey, ix.members)


def _written(path: Path) -> SQLiteStore:
    s = SQLiteStore(path)
    s.upsert(ENTITIES, RELATIONSHIPS)
    s.merge("c-1", "c-4")
    s.erase("c-3")
    s.upsert([Entity("c-9", "child", "New Child", locality="East")], [rel("EXPLOITS", "p-1", "c-9")])
    return s


def test_index_kept_in_the_file_is_the_index_read_from_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "g.db"
    s = _written(path)
    s.neighbourhood("p-1", 2)
    assert s.save_index()
    assert not s.save_index()  # nothing written since: the copy already matches
    s.close()
    again = SQLiteStore(path)
    restored = again._index()
    assert again._ix_saved, "the copy taken at the file's stamp is read"
    assert _index_state(restored) == _index_state(SQLiteStore(path)._load_index())
    assert {n.id for n in again.neighbourhood("p-1", 1).nodes} >= {"p-1", "c-9"}
    assert again.get("c-4").id == "c-1"  # type: ignore[union-attr]
    again.close()


def test_index_kept_in_the_file_is_not_read_after_a_write(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    s = _written(path)
    assert s.save_index()
    other = SQLiteStore(path)
    other.upsert([Entity("c-10", "child", "Later Child", locality="East")], [rel("EXPLOITS", "p-1", "c-10")])
    other.close()
    again = SQLiteStore(path)
    assert "c-10" in {n.id for n in again.neighbourhood("p-1", 1).nodes}
    assert not again._ix_saved
    assert _index_state(again._index()) == _index_state(SQLiteStore(path)._load_index())
    # a write by this connection after its index was read: its own copy is taken at the new stamp
    assert s.neighbourhood("p-1", 1).nodes  # s reloads: another connection wrote
    s.close()
    again.close()


def test_index_kept_in_the_file_is_not_read_after_rows_written_around_the_store(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    s = _written(path)
    assert s.save_index()
    s.close()
    con = sqlite3.connect(path)  # a row added by something that does not renew the stamp
    con.execute(
        "INSERT INTO relationships (rid, type, src, dst, count, assertions)"
        " SELECT max(rid) + 1, type, src, dst, 1, '[]' FROM relationships"
    )
    con.commit()
    con.close()
    again = SQLiteStore(path)
    again._index()
    assert not again._ix_saved
    again.close()


def test_index_written_by_another_kind_of_machine_is_not_read(tmp_path: Path) -> None:
    s = _written(tmp_path / "j.db")
    parts = s._index().snapshot()
    head = orjson.loads(parts["head"])
    head["byteorder"] = "big" if head["byteorder"] == "little" else "little"
    assert Index.restore({**parts, "head": orjson.dumps(head)}) is None
    assert Index.restore({k: v for k, v in parts.items() if k != "e_src"}) is None
    assert Index.restore(parts) is not None
    s.close()


def test_edge_lists_built_early_follow_writes_like_lists_built_late(tmp_path: Path) -> None:
    early = SQLiteStore(tmp_path / "k.db")
    # built before any write, then kept up to date by each write
    assert early._index().adj is not None and early._index().ekey is not None
    early.upsert(ENTITIES, RELATIONSHIPS)
    early.merge("c-1", "c-4")
    early.split("c-1", "c-4")
    early.erase("c-3")
    ix = early._index()
    late = Index.restore(ix.snapshot())
    assert late is not None and late._adj is None and late._ekey is None
    assert _index_state(ix) == _index_state(late)
    early.close()


def test_index_kept_in_the_file_is_read_after_the_last_entity_is_erased(tmp_path: Path) -> None:
    path = tmp_path / "l.db"
    s = _written(path)  # c-9 and its relationship were written last
    s.erase("c-9")
    assert s.save_index()
    s.close()
    again = SQLiteStore(path)
    assert _index_state(again._index()) == _index_state(SQLiteStore(path)._load_index())
    assert again._ix_saved
    assert again.get("c-9") is None
    again.close()


def test_an_erasure_drops_the_copy_of_the_index_kept_in_the_file(tmp_path: Path) -> None:
    """The copy of the index kept in the file holds every id: an erasure drops it at once, not when
    the store is closed (which a crash or a long-running service may never do); it is made again
    without the person."""
    path = tmp_path / "x.db"
    s = _written(path)
    s.neighbourhood("p-1", 2)
    assert s.save_index()
    s.close()
    again = SQLiteStore(path)
    again.erase("c-9")
    kept = b"".join(bytes(v) for k, v in again._db.execute("SELECT key, value FROM meta") if k.startswith("index."))
    assert b"c-9" not in kept
    assert again.save_index()  # as a close does, for a store large enough
    again.close()
    third = SQLiteStore(path)
    third._index()
    assert third._ix_saved and third.get("c-9") is None
    third.close()


def _area(path: Path, children: int = 150, seed: int = 3) -> SQLiteStore:
    """A small generated area, with a few children merged into others."""
    data = generate(children=children, seed=seed)
    s = SQLiteStore(path)
    s.upsert([entity_from_json(e) for e in data.entities], [relationship_from_json(r) for r in data.relationships])
    kids = sorted(e["id"] for e in data.entities if e["kind"] == "child")
    for a, b in zip(kids[:12:2], kids[1:12:2], strict=True):
        s.merge(a, b)
    return s


def _hood(sub: Subgraph) -> tuple[list[tuple[str, str]], list[tuple[tuple[str, str, str], str]]]:
    return sorted((e.id, repr(e)) for e in sub.nodes), sorted((r.key, repr(r)) for r in sub.edges)


def test_neighbourhood_walked_in_the_index_is_the_generic_walk(tmp_path: Path) -> None:
    s = _area(tmp_path / "w.db")
    rng = random.Random(5)
    ids = [i for i in s._index().ids if i is not None]
    centres = ["p-x", *rng.sample(ids, 40), *s._index().merged]  # merged ids give their entity
    filters = [
        None,
        Filter.of(handling=["P"]),
        Filter.of(localities=["North", "East"]),
        Filter.of(types=["SEEN_AT", "ASSOCIATES_WITH"], since="2024-06-01"),
        Filter.of(kinds=["child", "location"], until="2024-09-30", handling=["P", "C"]),
        Filter.of(localities=["South"], handling=["P"], since="2024-03-01"),
    ]
    walked = 0
    for c in centres:
        for depth in (1, 2, 3):
            for flt in filters:
                try:
                    generic = Store.neighbourhood(s, c, depth, flt)
                except NotFound:
                    try:
                        s.neighbourhood(c, depth, flt)
                    except NotFound:
                        continue
                    raise AssertionError(f"{c} is found by the index walk only") from None
                assert _hood(s.neighbourhood(c, depth, flt)) == _hood(generic), (c, depth, flt)
                walked += len(generic.nodes)
    assert walked > 10_000  # the walks reached far into the area


def test_warmed_store_holds_every_record_and_follows_writes(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    _area(path).close()
    s = SQLiteStore(path)
    kid, friend = "c-0000100", "c-0000101"
    before = s.neighbourhood(kid, 2)
    held = s.warm()
    ix = s._index()
    rows = s._db.execute("SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM relationships)").fetchone()
    assert held == rows[0] == len(ix.records) + len(ix.rels)
    assert ix.cache_limit is None
    assert _hood(s.neighbourhood(kid, 2)) == _hood(before)
    # a write through this store changes what it holds
    s.upsert([Entity("c-new", "child", "New Child", locality="East")], [rel("ASSOCIATES_WITH", "c-new", friend)])
    assert "c-new" in {n.id for n in s.neighbourhood(friend, 1).nodes}
    # a write through another connection: every record is read again
    other = SQLiteStore(path)
    other.upsert([Entity(friend, "child", "Renamed")])
    other.close()
    assert s.get(friend).name == "Renamed"  # type: ignore[union-attr]
    ix = s._index()
    assert len(ix.records) + len(ix.rels) == held + 2
    assert ix.cache_limit is None
    s.close()


def _erase_and_read_pages(db: Path, secure: bool) -> bytes:
    s = open_store(f"sqlite:///{db}")
    assert isinstance(s, SQLiteStore) and s._db.execute("PRAGMA secure_delete").fetchone()[0] == 1
    if not secure:  # as SQLite is by default where it is built without SQLITE_SECURE_DELETE
        s._db.execute("PRAGMA secure_delete=OFF")
    others = [Entity(f"c-x{i}", "child", f"Child Number {i}", locality="West") for i in range(300)]
    s.upsert(others[:150] + ENTITIES + others[150:], RELATIONSHIPS)
    # written several times over, so that old copies sit in many pages of the WAL and the file
    for day in ("2024-05-01", "2024-05-02", "2024-05-03"):
        s.upsert([Entity("c-3", "child", "Tyler Marsh", aliases=["Ty Marsh"], dob="2010-07-19", locality="West")], [])
        s.upsert([], [rel("SEEN_AT", "c-3", "l-2", day=day, ref=f"log-west-{day}")])
    s.checkpoint()  # some copies in the file's pages ...
    s.upsert(
        [Entity("c-3", "child", "Tyler Marsh", aliases=["Tyler Jay Marsh"], locality="West")], []
    )  # ... some in the WAL
    wal = db.with_name(db.name + "-wal")

    def raw() -> bytes:
        return db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")

    assert b"Tyler Marsh" in raw() and b"2010-07-19" in raw()  # the test can see what it looks for
    rec = s.erase("c-3", user="dpo", reason="erasure request upheld")
    assert rec.wal_emptied is True
    assert not wal.exists() or wal.stat().st_size == 0
    found = raw()
    assert b"Kyle Benson" in found  # everyone else is still there
    s.close()
    return found


def test_an_erased_person_is_in_no_page_of_the_file_or_its_wal(tmp_path: Path) -> None:
    found = _erase_and_read_pages(tmp_path / "e.db", secure=True)
    for value in (b"Tyler", b"Ty Marsh", b"2010-07-19", b"tyler", b"Jay Marsh"):
        assert value not in found, value
    # without secure delete, the same erasure leaves the values in free space of the file's pages
    assert b"Tyler" in _erase_and_read_pages(tmp_path / "f.db", secure=False)


def test_relationships_written_in_one_pass_are_the_rows_of_the_generic_upsert(tmp_path: Path) -> None:
    """The one-pass write of new relationships (keys, rows and index together) stores what the
    generic upsert of the store interface stores: reversed symmetric pairs, a relationship said
    twice in one batch, several assertions, properties, ungraded and undated statements."""
    from contextgraph.model import Assertion, Relationship
    from contextgraph.store.types import WriteSummary

    batch = [
        *RELATIONSHIPS,
        rel("ASSOCIATES_WITH", "c-2", "c-1", ref="n-9", day="2024-05-01", grading="3E C"),  # reversed
        rel("ASSOCIATES_WITH", "c-1", "c-2", ref="n-8", day=None, grading=None),  # the same pair again
        Relationship(
            "SEEN_AT",
            "c-3",
            "l-1",
            [
                Assertion("n-1", "2024-01-02", "1A P", "c-3", "l-1"),
                Assertion("n-2", "2023-12-30", "2B C", "c-3", "l-1"),
            ],
            {"note": "by the shop"},
        ),
        rel("SEEN_AT", "c-4", "l-1", ref=None, day=None, grading=None),
    ]
    rows = []
    for name, one_pass in (("a", True), ("b", False)):
        s = open_store(f"sqlite:///{tmp_path / name}.db")
        assert isinstance(s, SQLiteStore)
        s.upsert(ENTITIES)
        if one_pass:
            s.upsert((), batch)
        else:
            s.transaction(lambda tx: Store._upsert_relationships(s, tx, batch, WriteSummary()))  # noqa: B023
        rows.append(s._db.execute("SELECT * FROM relationships ORDER BY type, src, dst").fetchall())
        live = s._index()
        s._ix = None
        s._ix_saved = True  # read the index again from the rows, not from a copy
        assert s._load_index().snapshot() == live.snapshot()
        s.close()
    strip = [[r[1:] for r in x] for x in rows]  # row numbers may differ
    assert strip[0] == strip[1]
    assert len(strip[0]) == len({(r.type, *sorted((r.source, r.target))) for r in batch})


def test_a_file_that_is_not_a_store_is_refused_in_one_line(tmp_path: Path) -> None:
    from contextgraph.store import StoreError

    f = tmp_path / "notes.db"
    f.write_text("minutes of the meeting, not a database\n", encoding="utf-8")
    with pytest.raises(StoreError, match=r"notes\.db: not a store that can be opened"):
        open_store(f"sqlite:///{f}")
    assert f.read_text(encoding="utf-8") == "minutes of the meeting, not a database\n"  # left as it was


def test_a_new_store_closed_twice_is_closed(tmp_path: Path) -> None:
    s = SQLiteStore(tmp_path / "a.db")
    s._first_load = True  # as if another connection had kept the file from turning to WAL
    s.close()
    s._first_load = True
    s.close()
