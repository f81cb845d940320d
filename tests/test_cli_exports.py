"""Exports for the tools analysts use, read back as those tools read them: GraphML by NetworkX and
igraph (as Gephi), GeoJSON by GDAL (as QGIS), the i2 Analyst's Notebook CSV by the csv module;
each only what the reader it is for may see, and each logged as a disclosure."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from pathlib import Path

import igraph
import networkx as nx
import pytest

from contextgraph.interchange.analyst import ENTITY_COLUMNS, I2_TYPES, LINK_COLUMNS
from contextgraph.model.tracked import Tracked
from contextgraph.service.audit import AuditLog
from contextgraph.store import Store

from .cli import cg
from .conftest import IN_CI
from .data import ENTITIES, RELATIONSHIPS, rel

WEST = {"c-3", "l-2"}  # Tyler Marsh and 14 Mill Road: the contract data's West
WEST_NAMES = ("Tyler Marsh", "14 Mill Road")
C_GRADED = ("2C C", "1B C")  # c-2 SEEN_AT l-1, and p-1 EXPLOITS c-1: handling code C only


@pytest.fixture
def loaded(store: Store) -> Store:
    store.upsert(ENTITIES, RELATIONSHIPS)
    return store


def export(store: Store, out: Path, fmt: str, *more: str) -> None:
    r = cg("export", str(out), "--format", fmt, "--purpose", "MACE pack", *more, store=store)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr


def ogrinfo(path: Path) -> str:
    if shutil.which("ogrinfo") is None:
        if IN_CI:
            pytest.fail("GDAL's ogrinfo must be installed in CI (tests/run.sh installs gdal-bin)")
        pytest.skip("GDAL's ogrinfo is not installed (apt-get install gdal-bin)")
    r = subprocess.run(["ogrinfo", "-ro", "-al", str(path)], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and "ERROR" not in r.stderr, r.stderr
    return r.stdout


def test_graphml_opens_with_kinds_types_dates_and_gradings(loaded: Store, tmp_path: Path) -> None:
    export(loaded, tmp_path / "g", "graphml")
    assert [p.name for p in (tmp_path / "g").iterdir()] == ["graph.graphml"]
    g = nx.read_graphml(tmp_path / "g" / "graph.graphml", force_multigraph=True)
    assert set(g.nodes) == {e.id for e in ENTITIES}
    kyle = g.nodes["c-1"]
    assert (kyle["label"], kyle["kind"], kyle["locality"], kyle["dob"]) == (
        "Kyle Benson",
        "child",
        "East",
        "2009-04-12",
    )
    assert kyle["aliases"] == "Benno" and kyle["prop_risk_level"] == "high"
    assert g.nodes["l-1"]["lat"] == pytest.approx(52.62) and g.nodes["l-1"]["kind"] == "location"
    edges = {(d["type"], s, t): d for s, t, d in g.edges(data=True)}
    assert len(edges) == len(RELATIONSHIPS)
    seen = edges[("SEEN_AT", "c-2", "l-1")]
    assert (seen["first_seen"], seen["last_seen"], seen["grading"], seen["assertions"]) == (
        "2024-01-10",
        "2024-01-10",
        "2C C",
        1,
    )
    assert seen["sources"] == "mace-east-2024-03-14" and seen["label"] == "SEEN_AT"
    assert edges[("ASSOCIATES_WITH", "c-1", "c-2")]["symmetric"] is True
    assert "grading" not in edges[("ATTENDS", "c-1", "s-1")]  # ungraded: left out, not "None"
    ig = igraph.Graph.Read_GraphML(str(tmp_path / "g" / "graph.graphml"))
    assert (ig.vcount(), ig.ecount()) == (len(ENTITIES), len(RELATIONSHIPS))
    assert sorted(ig.vs["kind"]) == sorted(e.kind for e in ENTITIES)
    assert sorted(ig.es["type"]) == sorted(r.type for r in RELATIONSHIPS)


def test_graphml_shows_merged_records_as_one(loaded: Store, tmp_path: Path) -> None:
    loaded.merge("c-1", "c-4", user="t", reason="same boy")
    export(loaded, tmp_path / "g", "graphml")
    g = nx.read_graphml(tmp_path / "g" / "graph.graphml", force_multigraph=True)
    assert "c-4" not in g.nodes
    (seen,) = [d for s, t, d in g.edges(data=True) if (s, t, d["type"]) == ("c-1", "l-1", "SEEN_AT")]
    assert seen["assertions"] == 2 and seen["first_seen"] == "2024-03-02" and seen["last_seen"] == "2024-04-10"
    assert seen["gradings"] == "1B P" and seen["sources"] == "mace-east-2024-03-14; log-east-2024-04-18"


def test_geojson_opens_in_gdal_with_places_their_links_and_hotspots(loaded: Store, tmp_path: Path) -> None:
    export(loaded, tmp_path / "m", "geojson")
    path = tmp_path / "m" / "places.geojson"
    doc = json.loads(path.read_text(encoding="utf-8"))
    placed = {e.id: e for e in ENTITIES if e.lat is not None}
    assert {f["properties"]["id"] for f in doc["features"]} == set(placed)
    by_id = {f["properties"]["id"]: f for f in doc["features"]}
    assert by_id["l-1"]["geometry"] == {"type": "Point", "coordinates": [-1.06, 52.62]}
    assert by_id["l-1"]["properties"]["links"] == 3 and by_id["l-1"]["properties"]["kind"] == "location"
    assert by_id["l-1"]["properties"]["hotspot_score"] > 0 and by_id["l-1"]["properties"]["hotspot_rank"] == 1
    assert by_id["s-1"]["properties"]["hotspot_score"] is None
    info = ogrinfo(path)
    assert f"Feature Count: {len(placed)}" in info and "Geometry: Point" in info
    for field in ("id", "kind", "name", "locality", "links", "hotspot_score", "hotspot_rank"):
        assert re.search(rf"^{field}: ", info, re.M), (field, info)
    assert "name (String) = Carrow Park skate area" in info


def test_i2_csv_has_the_columns_and_links_by_entity_id(loaded: Store, tmp_path: Path) -> None:
    export(loaded, tmp_path / "i2", "i2csv")
    with (tmp_path / "i2" / "i2-entities.csv").open(encoding="utf-8-sig", newline="") as fh:
        ents = list(csv.DictReader(fh))
    with (tmp_path / "i2" / "i2-links.csv").open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        links = list(reader)
        assert tuple(reader.fieldnames or ()) == LINK_COLUMNS
    assert tuple(ents[0]) == ENTITY_COLUMNS
    by_id = {e["Entity ID"]: e for e in ents}
    assert set(by_id) == {e.id for e in ENTITIES}
    kyle = by_id["c-1"]
    assert (kyle["Entity Type"], kyle["Kind"], kyle["Label"], kyle["Date of Birth"]) == (
        "Person",
        "child",
        "Kyle Benson",
        "2009-04-12",
    )
    assert "risk_level=high" in kyle["Properties"] and "exploitation_types=CCE" in kyle["Properties"]
    assert by_id["l-1"]["Longitude"] == "-1.06"  # a number, never quoted as text
    assert {e["Entity Type"] for e in ents} <= set(I2_TYPES.values())
    assert len(links) == len(RELATIONSHIPS)
    assert all(x["From ID"] in by_id and x["To ID"] in by_id for x in links)
    exploits = next(x for x in links if x["Link Type"] == "EXPLOITS")
    assert (exploits["From ID"], exploits["To ID"], exploits["Direction"], exploits["Grading"]) == (
        "p-1",
        "c-1",
        "Ahead",
        "1B C",
    )
    assert next(x for x in links if x["Link Type"] == "ASSOCIATES_WITH")["Direction"] == "None"


def test_i2_text_a_spreadsheet_would_run_is_quoted(store: Store, tmp_path: Path) -> None:
    from contextgraph.model import Entity

    store.upsert([Entity("c-9", "child", '=HYPERLINK("http://x")', locality="East")], [])
    export(store, tmp_path / "i2", "i2csv")
    text = (tmp_path / "i2" / "i2-entities.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_graphml_of_a_name_holding_control_characters_still_opens(store: Store, tmp_path: Path) -> None:
    """XML has no place for most control characters: a name or id holding one is written with the
    character as an escape, and the file opens in NetworkX and igraph."""
    from contextgraph.model import Entity

    name = "Clear\x1b[2J\x07 Benson\ufffe"
    store.upsert(
        [
            Entity("c-\x1b9", "child", name, locality="East", properties={"nick\x1bname": "Benno"}),
            Entity("l-9", "location", "Yard", locality="East"),
        ],
        [rel("SEEN_AT", "c-\x1b9", "l-9")],
    )
    export(store, tmp_path / "g", "graphml")
    g = nx.read_graphml(tmp_path / "g" / "graph.graphml", force_multigraph=True)
    assert g.nodes["c-\\x1b9"]["label"] == "Clear\\x1b[2J\\x07 Benson\\ufffe"
    assert g.nodes["c-\\x1b9"]["prop_nick\\x1bname"] == "Benno"  # a property's key too
    assert g.has_edge("c-\\x1b9", "l-9")
    assert igraph.Graph.Read_GraphML(str(tmp_path / "g" / "graph.graphml")).vcount() == g.number_of_nodes()


@pytest.mark.parametrize("fmt", ["jsonl", "graphml", "geojson", "i2csv"])
def test_an_export_for_a_reader_holds_nothing_they_may_not_see(loaded: Store, tmp_path: Path, fmt: str) -> None:
    export(loaded, tmp_path / "x", fmt, "--locality", "east", "--clearance", "P", "--recipient", "CSC East")
    text = "\n".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "x").iterdir())
    for leak in (*WEST, *WEST_NAMES, *C_GRADED, "EXPLOITS"):
        assert not re.search(rf"(?<![\w-]){re.escape(leak)}(?![\w-])", text), (fmt, leak)
    assert "Kyle Benson" in text or fmt == "geojson"
    assert "Carrow Park skate area" in text
    if fmt == "graphml":
        g = nx.read_graphml(tmp_path / "x" / "graph.graphml", force_multigraph=True)
        assert not WEST & set(g.nodes) and ("c-2", "l-1") not in {(s, t) for s, t in g.edges()}


UNDER_C = "CHIS42 words"  # a relationship's property given only by a statement under C
PIN_REASON = "per source 42"  # a writer's own words about a place


def said_under_both(store: Store) -> None:
    """c-1 seen at l-1 under P (with a property) and under C (with another); l-1 pinned with a reason."""
    from contextgraph.ingest.gazetteer import pinned
    from contextgraph.model import Assertion, Entity, Relationship

    said = [Assertion("mace-east-2024-05-02", "2024-05-01", grading, "c-1", "l-1") for grading in ("1B P", "1B C")]
    place = next(e for e in ENTITIES if e.id == "l-1")
    # named under both codes, so that what P statements alone say of it is kept beside (``open``)
    store.upsert([Entity("l-1", "location", place.name, locality="East", sources=["intel-7"], handling=["C"])])
    store.upsert([Entity("l-1", "location", place.name, locality="East", sources=["log-7"], handling=["P"])])
    store.upsert(
        [pinned(place, 52.62, -1.06, PIN_REASON, "ana")],
        [
            Relationship("SEEN_AT", "c-1", "l-1", [said[0]], {"seen_by": "patrol"}),
            Relationship("SEEN_AT", "c-1", "l-1", [said[1]], {"informant": UNDER_C}),
        ],
    )


@pytest.mark.parametrize("fmt", ["jsonl", "graphml", "i2csv"])
def test_an_export_gives_no_property_said_under_c_nor_a_writers_words_to_a_reader_cleared_for_p(
    loaded: Store, tmp_path: Path, fmt: str
) -> None:
    said_under_both(loaded)

    def text(name: str, *more: str) -> str:
        return every("--locality", "East", *more, name=name)

    def every(*more: str, name: str = "all") -> str:
        export(loaded, tmp_path / name, fmt, "--recipient", "CSC East", *more)
        return "\n".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / name).iterdir())

    full = text("c", "--clearance", "C")
    assert UNDER_C in full and PIN_REASON in full  # given to those who may read them
    assert '"open"' in full or fmt != "jsonl"  # the place's record as statements under P alone give it
    for shown in (text("p", "--clearance", "P"), text("i", "--clearance", "C", "--initials"), every("--initials")):
        assert PIN_REASON not in shown and "Carrow Park skate area" in shown
    assert UNDER_C not in text("p2", "--clearance", "P")


def test_a_merge_undone_leaves_no_property_said_under_c_with_a_relationship_under_p(
    loaded: Store, tmp_path: Path
) -> None:
    said_under_both(loaded)  # c-1 seen at l-1 under both codes; c-4 seen there under P
    loaded.merge("c-1", "c-4", user="ana", reason="the same boy")
    loaded.split("c-1", "c-4", user="ana", reason="not the same boy")
    export(loaded, tmp_path / "p", "jsonl", "--locality", "East", "--clearance", "P", "--recipient", "CSC East")
    lines = [json.loads(x) for x in (tmp_path / "p" / "relationships.jsonl").read_text().splitlines()]
    assert any(x["source"] == "c-4" and x["target"] == "l-1" for x in lines)
    assert UNDER_C not in json.dumps(lines)
    export(loaded, tmp_path / "c", "jsonl", "--locality", "East", "--clearance", "C", "--recipient", "CSC East")
    assert UNDER_C in (tmp_path / "c" / "relationships.jsonl").read_text()


def test_an_export_names_no_record_of_another_locality_merged_into_one_of_its_own(
    loaded: Store, tmp_path: Path
) -> None:
    """A West record merged into an East one: East's export gives its links under the East id (the
    West id, which it does not hold, named nowhere), and is imported again as it reads."""
    loaded.upsert([], [rel("SEEN_AT", "c-3", "l-1", ref="log-west-2024-06-01", day="2024-06-01")])
    loaded.merge("c-1", "c-3", user="ana", reason="the same boy")
    export(loaded, tmp_path / "e", "jsonl", "--locality", "East", "--clearance", "C", "--recipient", "CSC East")
    text = "\n".join(p.read_text() for p in (tmp_path / "e").iterdir())
    assert not re.search(r"(?<![\w-])c-3(?![\w-])", text)
    lines = [json.loads(x) for x in (tmp_path / "e" / "relationships.jsonl").read_text().splitlines()]
    assert [(x["source"], x["target"]) for x in lines if x["source_ref"] == "log-west-2024-06-01"] == [("c-1", "l-1")]
    again = cg("import", str(tmp_path / "e"), "--store", f"sqlite:///{tmp_path / 'again.db'}")
    assert again.returncode == 0, again.stderr


def test_each_export_is_logged_as_a_disclosure_to_its_recipient(
    loaded: Store, tmp_path: Path, _audit_log: Path
) -> None:
    for fmt in ("graphml", "geojson", "i2csv"):
        export(loaded, tmp_path / fmt, fmt, "--recipient", "CSC East", "--user", "ana", "--locality", "East")
    recs = [r for r in AuditLog(_audit_log).records() if r["operation"] == "disclosure"]
    assert [r["detail"]["format"] for r in recs] == ["graphml", "geojson", "i2csv"]
    assert all(r["recipient"] == "CSC East" and r["user"] == "ana" and r["purpose"] == "MACE pack" for r in recs)
    assert all(r["detail"]["localities"] == ["East"] for r in recs)
    assert recs[0]["detail"]["entities"] == len([e for e in ENTITIES if e.locality != "West"])
    # each names what it gave, so a search of the log by a child finds every export that held them
    given = {e.id for e in ENTITIES if e.locality != "West"}
    assert set(recs[0]["subjects"]) == given and set(recs[2]["subjects"]) == given
    assert not {"c-3", "l-2"} & {s for r in recs for s in r["subjects"]}
    # the GeoJSON gives the places drawn on a map, and names no child: nor does its record
    assert sorted(recs[1]["subjects"]) == sorted(e.id for e in ENTITIES if e.lat is not None and e.locality == "East")
    export(loaded, tmp_path / "j", "jsonl", "--locality", "East", "--clearance", "P")
    (last,) = [r for r in AuditLog(_audit_log).records() if r["detail"].get("format") == "jsonl"]
    assert "c-1" in last["subjects"] and "c-3" not in last["subjects"]


@pytest.mark.parametrize("fmt", ["jsonl", "graphml", "i2csv"])
def test_an_export_that_cannot_be_logged_gives_nothing(
    loaded: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    from typer.testing import CliRunner

    from contextgraph.cli import app
    from contextgraph.service.audit import AuditError

    def refuse(*_: object, **__: object) -> None:
        raise AuditError("the access log cannot be written")

    monkeypatch.setattr(AuditLog, "append", refuse)
    out = tmp_path / "g"
    res = CliRunner().invoke(app, ["export", str(out), "--format", fmt, "--purpose", "MACE", "--store", loaded.url])
    assert isinstance(res.exception, AuditError)
    assert out.is_dir() and not any(out.iterdir())  # no file, not even one written aside


def test_bad_options_are_refused_before_anything_is_written(loaded: Store, tmp_path: Path) -> None:
    r = cg("export", str(tmp_path / "o"), "--format", "pdf", "--purpose", "MACE", store=loaded)
    assert r.returncode == 2 and "--format must be one of jsonl, graphml, geojson, i2csv" in r.stderr
    r = cg(
        "export", str(tmp_path / "o"), "--format", "graphml", "--purpose", "MACE", "--locality", "Nowhere", store=loaded
    )
    assert r.returncode == 1 and "'Nowhere' is not a configured locality" in r.stderr
    r = cg("export", str(tmp_path / "o"), "--format", "graphml", store=loaded)
    assert r.returncode == 1 and "--purpose" in r.stderr
    for blank in (" ", "\u200b", "\t\u2060", "\u3164"):  # a purpose or recipient of nothing visible says nothing
        r = cg("export", str(tmp_path / "o"), "--purpose", blank, store=loaded)
        assert r.returncode == 1 and "--purpose: say why, in letters or digits" in r.stderr
        r = cg("export", str(tmp_path / "o"), "--purpose", "MACE", "--recipient", blank, store=loaded)
        assert r.returncode == 1 and "--recipient: say who it is for, in letters or digits" in r.stderr
    # a control character in what the access log records is refused, naming the option
    for option, given, char in (
        ("--purpose", "MACE\x1b[2J", "\\x1b"),
        ("--recipient", "CSC\x07", "\\x07"),
        ("--user", "ana\x85", "\\x85"),
    ):
        args = {"--purpose": "MACE", "--recipient": "CSC", "--user": "ana", option: given}
        r = cg("export", str(tmp_path / "o"), *(x for kv in args.items() for x in kv), store=loaded)
        assert r.returncode == 1 and f"error: {option}: holds a control character ({char})" in r.stderr, r.stderr
        assert "\x1b" not in r.stderr and "\x07" not in r.stderr
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_the_default_stays_the_interchange_format(loaded: Store, tmp_path: Path) -> None:
    r = cg("export", str(tmp_path / "j"), "--purpose", "backup", store=loaded)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in (tmp_path / "j").iterdir()) == ["entities.jsonl", "relationships.jsonl"]
    assert f"exported {len(ENTITIES)} entities and {len(RELATIONSHIPS)} relationship lines" in r.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "graphml", "geojson", "i2csv"])
def test_an_export_by_initials_gives_no_home_school_or_family_of_a_person_so_shown(
    loaded: Store, tmp_path: Path, fmt: str
) -> None:
    """Initials beside a home's address and coordinates, a school or a family say who a child is:
    an export by initials leaves those links out, and a place known only as someone's home; a
    place others are seen at stays, without the link to whose home it is."""
    from contextgraph.model import Entity

    home = Entity("l-home", "location", "7 Larch Court", locality="East", lat=52.64, lon=-1.05)
    flat = Entity("l-flat", "location", "Flat 2, 9 Canal Walk", locality="East", lat=52.63, lon=-1.04)
    loaded.upsert(
        [home, flat],
        [
            rel("LIVES_AT", "c-1", "l-home"),
            rel("SEEN_AT", "c-1", "l-home"),  # seen at their own home: still known only as theirs
            rel("LIVES_AT", "p-1", "l-flat"),
            rel("SEEN_AT", "c-2", "l-flat"),
        ],
    )
    # a missing episode that ended there names it only as a place the export does not give
    episode = {"id": "m-home", "record": "missing_episode", "subject": "c-1", "date": "2024-03-01T21:00",
               "found_at": "l-home", "source": "rhi-1", "recorded_by": "ana"}  # fmt: skip
    loaded.record_tracking([Tracked.from_json(episode)])
    export(loaded, tmp_path / "named", fmt, "--recipient", "CSC East")
    export(loaded, tmp_path / "shared", fmt, "--recipient", "CSC East", "--initials")
    named = "\n".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "named").iterdir())
    shared = "\n".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "shared").iterdir())
    assert ("7 Larch Court" in named and "LIVES_AT" in named) or fmt == "geojson"
    assert "7 Larch Court" not in shared and "52.64" not in shared, "a home known only as a child's"
    for kind in ("LIVES_AT", "ATTENDS", "FAMILY_OF"):
        assert kind not in shared, kind
    assert "Flat 2, 9 Canal Walk" in shared  # seen at by others: a place of the area's, not only a home
    assert "l-home" not in shared  # no line, link or record names it
    # a window or a clearance that leaves out the links seeing others there: the place goes too
    export(loaded, tmp_path / "later", fmt, "--recipient", "CSC East", "--initials", "--clearance", "P")
    later = "\n".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "later").iterdir())
    assert "7 Larch Court" not in later
