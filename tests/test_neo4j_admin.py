"""The bulk path: files written for ``neo4j-admin database import full``, loaded by the real
importer into a new Neo4j, give the store the same graph as an import over Bolt."""

from __future__ import annotations

import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from contextgraph.interchange import Batch, InputError, dump_line, export_lines, read_folder
from contextgraph.interchange.neo4j_admin import ENTITY_FILE, RELATIONSHIP_FILES, write_admin_files
from contextgraph.interchange.synth import generate
from contextgraph.model import Entity, Relationship
from contextgraph.store import Filter, Store, open_store
from contextgraph.store.neo4j import Neo4jStore

from .cli import cg
from .conftest import IN_CI
from .data import ENTITIES, RELATIONSHIPS, a
from .neo4j_server.launch import Unavailable, admin_import, maven_neo4j

pytestmark = pytest.mark.neo4j

ODD = [
    Entity(
        "c-odd",
        "child",
        'Jay "JJ" O\'Neil, junior',
        aliases=["J;J", "Jay, \u00e9 \u200f two"],  # a name holds no line break nor override of direction (refused)
        dob="2010-01-02",
        locality="East",
        lat=52.123456789012345,
        lon=-1.5,
        properties={"risk_level": "medium", "note": 'said "not me",\nthen left'},  # a property may
        sources=["mace-east-2024-05-01", "log-east-2024-05-02"],
        handling=["C", "P"],
    ),
    Entity("c-odd", "child", 'Jay "JJ" O\'Neil, junior', sources=["rhi-east-2024-06-01"]),
]
ODD_RELS = [
    # a symmetric type given both ways by two sources: one relationship, smaller id first
    Relationship("ASSOCIATES_WITH", "c-odd", "c-1", [a("mace-east-2024-05-01", "2024-05-01", "2B P", "c-odd", "c-1")]),
    Relationship("ASSOCIATES_WITH", "c-1", "c-odd", [a("log-east-2024-05-02", "2024-05-02", "1A C", "c-1", "c-odd")]),
    Relationship(
        "SEEN_AT",
        "c-odd",
        "l-1",
        [a("mace-east-2024-05-01", "2024-04-30", "3C P", "c-odd", "l-1")],
        {"time": 'after 22:00, "often"'},
    ),
]


@pytest.fixture(scope="module")
def area(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    folder = tmp_path_factory.mktemp("area")
    generate(children=120, seed=5).write(folder)
    batch = read_folder(folder)
    batch.entities += [*ENTITIES, *ODD]
    batch.relationships += [*RELATIONSHIPS, *ODD_RELS]
    return batch


@pytest.fixture(scope="module")
def folder(area: Batch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The area written as a store exports it."""
    root = tmp_path_factory.mktemp("export")
    s = open_store(f"sqlite:///{root / 'first.db'}")
    s.upsert(area.entities, area.relationships)
    out = root / "export"
    out.mkdir()
    handles = {name: (out / name).open("w") for name in ("entities.jsonl", "relationships.jsonl")}
    for name, obj in export_lines(s):
        handles[name].write(dump_line(obj))
    for h in handles.values():
        h.close()
    s.close()
    return out


@pytest.fixture(scope="module")
def reference(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The folder imported into the embedded store."""
    s = open_store(f"sqlite:///{tmp_path_factory.mktemp('ref') / 'ref.db'}")
    batch = read_folder(folder)
    s.upsert(batch.entities, batch.relationships)
    yield s
    s.close()


@pytest.fixture(scope="module")
def bulk(folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jStore]:
    """The folder turned into bulk files by the command, loaded by the command it printed, and
    opened by the store."""
    root = tmp_path_factory.mktemp("bulk")
    r = cg("import", str(folder), "--neo4j-admin", str(root / "files"))
    assert r.returncode == 0, r.stderr
    (line,) = [x.strip() for x in r.stdout.splitlines() if x.strip().startswith("neo4j-admin ")]
    home = root / "neo4j"
    try:
        admin_import(home, shlex.split(line)[1:])
        server = maven_neo4j(home)
        uri = server.__enter__()
    except Unavailable as e:
        if IN_CI:
            pytest.fail(f"the bulk path must be tested in CI: {e}")
        pytest.skip(f"bulk path not tested: {e}. Install Java and Maven.")
    try:
        s = open_store(uri)
        assert isinstance(s, Neo4jStore)
        yield s
        s.close()
    finally:
        server.__exit__(None, None, None)


def _rels(s: Store) -> dict[tuple[str, str, str], tuple[list[object], dict[str, object]]]:
    return {r.key: (sorted(r.assertions), r.properties) for r in s.iter_relationships()}


def test_bulk_loaded_graph_is_the_graph_an_import_writes(bulk: Neo4jStore, reference: Store) -> None:
    assert bulk.stats().to_json() == reference.stats().to_json()
    assert sorted(bulk.iter_entities(), key=lambda e: e.id) == sorted(reference.iter_entities(), key=lambda e: e.id)
    assert _rels(bulk) == _rels(reference)
    odd = bulk.get("c-odd")
    assert odd is not None and odd.aliases == ["J;J", "Jay, \u00e9 \u200f two"] and odd.lat == 52.123456789012345
    assert odd.properties["note"] == 'said "not me",\nthen left'
    assert odd.sources == ["mace-east-2024-05-01", "log-east-2024-05-02", "rhi-east-2024-06-01"]
    (assoc,) = [r for r in bulk.neighbourhood("c-odd", 1, Filter.of(types=["ASSOCIATES_WITH"])).edges]
    assert (assoc.source, assoc.target, len(assoc.assertions)) == ("c-1", "c-odd", 2)
    for centre in ["c-1", "c-odd", "l-1", next(e.id for e in reference.iter_entities() if e.kind == "school")]:
        for flt in (Filter(), Filter.of(handling=["P"]), Filter.of(types=["SEEN_AT", "ASSOCIATES_WITH"])):
            got, want = bulk.neighbourhood(centre, 2, flt), reference.neighbourhood(centre, 2, flt)
            assert sorted(e.id for e in got.nodes) == sorted(e.id for e in want.nodes)
            assert sorted(r.key for r in got.edges) == sorted(r.key for r in want.edges)
    assert bulk.search("Jay O'Neil junior")[0][0].id == "c-odd"


def test_importing_the_folder_again_over_bolt_finds_everything_stored(bulk: Neo4jStore, folder: Path) -> None:
    batch = read_folder(folder)
    again = bulk.upsert(batch.entities, batch.relationships)
    assert again.entities_created == again.relationships_created == 0
    assert again.entities_updated == again.relationships_updated == 0


def test_bad_input_leaves_no_files(tmp_path: Path) -> None:
    e = Entity("c-x", "child", "Amy", aliases=["A\x1fB"])
    with pytest.raises(InputError, match="entity c-x: field 'aliases'"):
        write_admin_files(Batch([e], []), tmp_path / "files")
    r = Relationship("SEEN_AT", "c-x", "l-nowhere", [a("n1", "2024-01-01", "1A P", "c-x", "l-nowhere")])
    with pytest.raises(InputError, match="l-nowhere is not in the folder"):
        write_admin_files(Batch([Entity("c-x", "child", "Amy")], [r]), tmp_path / "files")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "files").mkdir()
    with pytest.raises(InputError, match="already exists"):
        write_admin_files(Batch([Entity("c-x", "child", "Amy")], []), tmp_path / "files")
    files = write_admin_files(Batch([Entity("c-x", "child", "Amy")], []), tmp_path / "new")
    assert sorted(p.name for p in files.folder.iterdir()) == sorted([ENTITY_FILE, *RELATIONSHIP_FILES])


def test_command_names_a_bad_line_and_writes_no_files(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    generate(children=30, seed=1).write(folder)
    lines = (folder / "relationships.jsonl").read_text().splitlines()
    lines[17] = lines[17].replace('"type":', '"type": 7, "x":', 1)
    (folder / "relationships.jsonl").write_text("\n".join(lines) + "\n")
    r = cg("import", str(folder), "--neo4j-admin", str(tmp_path / "files"))
    assert r.returncode == 1
    assert "relationships.jsonl:18" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "files").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["in"]
