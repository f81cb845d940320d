"""What only the embedded store has: one file, migrations, and an index kept with the file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import orjson

from contextgraph.model import Entity
from contextgraph.store import Filter, open_store
from contextgraph.store.sqlite import MIGRATIONS, Index, SQLiteStore

from .data import ENTITIES, RELATIONSHIPS, rel


def test_one_file_in_wal_mode_with_full_sync(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'a.db'}")
    assert isinstance(s, SQLiteStore)
    assert s._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert s.schema_version == len(MIGRATIONS)
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
