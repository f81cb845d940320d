"""The gazetteer: files in the ONS Postcode Directory's layout and of named places, loaded whole or
not at all; places located at ingest and afterwards; the not-located list and pins over HTTP."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from contextgraph.ingest.gazetteer import (
    GazetteerError,
    import_file,
    locate,
    normalise_postcode,
    open_gazetteer,
    sample_files,
)
from contextgraph.ingest.pipeline import ingest_text
from contextgraph.interchange.synth import SAMPLE_AREA
from contextgraph.model import Entity
from contextgraph.store import Store, open_store

from .cli import cg
from .data import rel
from .service import Service

# a few of the ONS Postcode Directory's columns, in its order; the loader reads pcds, lat and long
ONSPD = ["pcd", "pcd2", "pcds", "dointr", "doterm", "oscty", "usertype", "oseast1m", "osnrth1m", "osgrdind"]
ONSPD += ["ctry", "rgn", "lat", "long", "pfa", "imd", "globalid"]

NOTE = """# MACE meeting – North locality

Date: 14/03/2024

Kyle Benson (14) was seen at Lindenmoor Park with Jayden Okoro (15). Kyle lives at 7 Birchfield Close, NB2 7RD.
Both were seen at Carrow Fields.
"""


def write_onspd(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A postcode file in the ONSPD layout: (pcds, lat, long) rows, the other columns filled as ONSPD does."""
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ONSPD)
        for pc, lat, lon in rows:
            out, _, inward = pc.partition(" ")
            row = dict.fromkeys(ONSPD, "")
            row.update(pcd=f"{out:<4}{inward}", pcd2=f"{out:<5}{inward}", pcds=pc, dointr="199906", usertype="0")
            row.update(osgrdind="1", ctry="E92000001", lat=lat, long=lon, imd="12345")
            w.writerow([row[c] for c in ONSPD])
    return path


def write_named(path: Path, rows: list[tuple[str, ...]], header: str = "name,lat,lon,locality,kind") -> Path:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header.split(","))
        w.writerows(rows)
    return path


@pytest.fixture
def sqlite(tmp_path: Path) -> Store:
    s = open_store(f"sqlite:///{tmp_path / 'g.db'}")
    s.set_localities(SAMPLE_AREA)
    yield s  # type: ignore[misc]
    s.close()


def test_postcodes_are_normalised_and_those_without_a_grid_reference_skipped(sqlite: Store, tmp_path: Path) -> None:
    f = write_onspd(
        tmp_path / "onspd.csv",
        [("NB2 7RD", "52.661000", "-1.141000"), ("nb3  4lq", "52.620000", "-1.060000"), ("NB9 9ZZ", "99.999999", "0")],
    )
    done = import_file(sqlite, f)
    assert done == {"file": "onspd.csv", "kind": "postcodes", "postcodes": 2, "named_places": 0, "skipped": 1}
    assert sqlite.postcode_at("NB3 4LQ") == (52.62, -1.06)
    assert sqlite.postcode_at("NB9 9ZZ") is None
    assert normalise_postcode("nb27rd") == "NB2 7RD" and normalise_postcode("Flat 7") is None


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("NB1 1AA", "fifty", "-1.1"), "line 3: lat 'fifty' is not a number"),
        (("NB1 1AA", "52.6", "-190"), "line 3: long '-190' is out of range"),
        (("Flat 3", "52.6", "-1.1"), "line 3: pcds 'Flat 3' is not a postcode"),
    ],
)
def test_a_postcode_file_with_a_bad_line_is_refused_whole(
    sqlite: Store, tmp_path: Path, row: tuple[str, str, str], message: str
) -> None:
    f = write_onspd(tmp_path / "bad.csv", [("NB2 7RD", "52.66", "-1.14"), row, ("NB3 4LQ", "52.62", "-1.06")])
    with pytest.raises(GazetteerError, match=re.escape(message)) as e:
        import_file(sqlite, f)
    assert "bad.csv" in str(e.value)
    assert sqlite.gazetteer_size() == (0, 0)
    assert sqlite.postcode_at("NB2 7RD") is None


def test_a_short_line_and_an_unknown_header_are_refused(sqlite: Store, tmp_path: Path) -> None:
    f = write_onspd(tmp_path / "short.csv", [("NB2 7RD", "52.66", "-1.14")])
    with f.open("a") as fh:
        fh.write("NB3 4LQ,52.62\n")
    with pytest.raises(GazetteerError, match=re.escape("short.csv, line 3: 2 fields, the header has 17")):
        import_file(sqlite, f)
    odd = write_named(tmp_path / "odd.csv", [("Park", "52", "-1")], header="place,x,y")
    with pytest.raises(GazetteerError, match=re.escape("odd.csv, line 1: not a gazetteer header")):
        open_gazetteer(odd)
    bad_kind = write_named(tmp_path / "kind.csv", [("Park", "52", "-1", "North", "shop")])
    with pytest.raises(GazetteerError, match=re.escape("kind.csv, line 2: kind 'shop'")):
        import_file(sqlite, bad_kind)
    twice = write_named(tmp_path / "twice.csv", [("Park", "52", "-1", "", ""), ("the park", "53", "-1", "", "")])
    with pytest.raises(GazetteerError, match=re.escape("twice.csv, line 3: 'the park' in no locality again (line 2)")):
        import_file(sqlite, twice)
    assert sqlite.gazetteer_size() == (0, 0)


def test_places_are_located_by_postcode_then_name_with_the_notes_locality_and_never_guessed(
    sqlite: Store, tmp_path: Path
) -> None:
    import_file(sqlite, write_onspd(tmp_path / "pc.csv", [("NB2 7RD", "52.661", "-1.141")]))
    named = [
        ("Lindenmoor Park", "52.66", "-1.15", "North", "location"),
        ("Carrow Fields", "52.67", "-1.12", "North", "location"),
        ("Carrow Fields", "52.58", "-1.13", "South", "location"),
        ("The Galleon Grill", "52.60", "-1.10", "", ""),
    ]
    import_file(sqlite, write_named(tmp_path / "named.csv", named))
    assert locate(sqlite, "7 Birchfield Close", "nb2 7rd", "North") == (52.661, -1.141, "postcode")
    assert locate(sqlite, "the Lindenmoor park", None, "East") == (52.66, -1.15, "gazetteer")
    assert locate(sqlite, "Carrow Fields", None, "South") == (52.58, -1.13, "gazetteer")
    assert locate(sqlite, "Galleon Grill", None, "North") == (52.60, -1.10, "gazetteer")
    # two of that name and none in the note's locality: not located
    assert locate(sqlite, "Carrow Fields", None, "West") is None
    assert locate(sqlite, "Carrow Fields", None, None) is None
    # a near miss is not a match
    assert locate(sqlite, "Lindenmore Park", None, "North") is None

    res = ingest_text(sqlite, NOTE, "n1.md")
    assert res.status == "ingested"
    places = {e.name: e for e in sqlite.iter_entities() if e.kind == "location"}
    assert (places["7 Birchfield Close"].lat, places["7 Birchfield Close"].properties["located_by"]) == (
        52.661,
        "postcode",
    )
    assert places["Lindenmoor Park"].properties["located_by"] == "gazetteer"
    assert (places["Carrow Fields"].lat, places["Carrow Fields"].lon) == (52.67, -1.12)


def test_a_note_ingested_without_a_gazetteer_leaves_places_unlocated(sqlite: Store) -> None:
    ingest_text(sqlite, NOTE, "n1.md")
    places = [e for e in sqlite.iter_entities() if e.kind == "location"]
    assert len(places) == 3
    assert all(e.lat is None and "located_by" not in e.properties for e in places)


def test_commands_import_then_locate_stored_places_logged(tmp_path: Path, _audit_log: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    note = tmp_path / "n1.md"
    note.write_text(NOTE)
    assert cg("localities", "add", "North", "--store", url, cwd=tmp_path).returncode == 0
    assert cg("ingest", str(note), "--store", url, cwd=tmp_path).returncode == 0
    bad = write_onspd(tmp_path / "bad.csv", [("NB2 7RD", "52.66", "-1.14"), ("NB3 4LQ", "x", "-1")])
    r = cg("gazetteer", "import", str(bad), "--store", url, cwd=tmp_path)
    assert r.returncode == 1 and "bad.csv, line 3: lat 'x' is not a number" in r.stderr
    pcs = write_onspd(tmp_path / "pc.csv", [("NB2 7RD", "52.661", "-1.141"), ("NB9 9ZZ", "99.999999", "0.000000")])
    r = cg("gazetteer", "import", str(pcs), "--store", url, "--user", "gis", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 postcodes (1 without a grid reference skipped)" in r.stdout
    named = write_named(tmp_path / "named.csv", [("Lindenmoor Park", "52.66", "-1.15", "North", "location")])
    assert cg("gazetteer", "import", str(named), "--store", url, cwd=tmp_path).returncode == 0
    r = cg("gazetteer", "locate", "--store", url, "--user", "gis", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "located 2 places (1 by postcode, 1 by name); 1 still without coordinates" in r.stdout
    again = cg("gazetteer", "locate", "--store", url, cwd=tmp_path)
    assert "located 0 places" in again.stdout
    with open_store(url) as s:
        got = {e.name: (e.lat, e.properties.get("located_by")) for e in s.iter_entities() if e.kind == "location"}
        assert s.gazetteer_size() == (1, 1)
    assert got == {
        "7 Birchfield Close": (52.661, "postcode"),
        "Lindenmoor Park": (52.66, "gazetteer"),
        "Carrow Fields": (None, None),
    }
    log = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    ops = [(r["user"], r["operation"], r["detail"].get("command")) for r in log if r["operation"] != "recovery"]
    assert ("gis", "collection", "gazetteer import") in ops
    assert ("gis", "alteration", "gazetteer locate") in ops
    located = next(r for r in log if r["detail"].get("command") == "gazetteer locate")
    assert len(located["subjects"]) == 2


def test_the_sample_gazetteer_loads_and_locates_the_sample_notes_places(sqlite: Store) -> None:
    for f in sample_files():
        import_file(sqlite, f)
    postcodes, named = sqlite.gazetteer_size()
    assert postcodes >= 10 and named >= 25
    assert locate(sqlite, "Ferndale Rec", None, "East") is not None
    assert locate(sqlite, "Lindenmoor Park", None, "North") is not None


UNLOCATED = "query($l: String, $after: String) { unlocatedPlaces(locality: $l, first: 1, after: $after) "
UNLOCATED += "{ total next items { id name locality lat } } }"
PIN = "mutation($id: ID!, $lat: Float!, $lon: Float!, $r: String!) "
PIN += "{ placePin(id: $id, lat: $lat, lon: $lon, reason: $r) { id lat lon properties } }"


def test_the_not_located_list_is_scoped_and_pins_are_for_writers_and_logged(
    service: Service, store: Store, _audit_log: Path
) -> None:
    store.upsert(
        [
            Entity("l-8", "location", "Carrow Fields", locality="East", handling=["P"]),
            Entity("l-9", "location", "Back of the Co-op", locality="East", handling=["P"]),
            Entity("l-7", "location", "Westgate steps", locality="West", handling=["P"]),
        ],
        [rel("SEEN_AT", "c-1", "l-9"), rel("LIVES_AT", "c-2", "l-8")],
    )
    ana = service.token("analyst")
    first = service.data(UNLOCATED, ana)["unlocatedPlaces"]
    assert first["total"] == 2 and [x["name"] for x in first["items"]] == ["Back of the Co-op"]
    second = service.data(UNLOCATED, ana, after=first["next"])["unlocatedPlaces"]
    assert [x["id"] for x in second["items"]] == ["l-8"] and second["next"] is None
    # another locality's places are not listed, nor pinned, and the refusal says nothing of them
    assert "not one of your localities" in service.error(UNLOCATED, ana, l="West")
    assert "no entity 'l-7' in your localities" in service.error(PIN, ana, id="l-7", lat=52.6, lon=-1.2, r="seen it")
    west = service.data(UNLOCATED, service.token("analyst", ("West",)), l="West")["unlocatedPlaces"]
    assert [x["id"] for x in west["items"]] == ["l-7"]
    # a chair reads the list and does not pin; a MACE member never sees a home address
    assert service.data(UNLOCATED, service.token("chair"))["unlocatedPlaces"]["total"] == 2
    mace = service.data(UNLOCATED, service.token("mace"))["unlocatedPlaces"]
    assert [x["id"] for x in mace["items"]] == ["l-9"]
    assert "does not allow" in service.error(PIN, service.token("chair"), id="l-8", lat=52.6, lon=-1.1, r="x")
    # bad input is refused, nothing written
    assert "a pin needs its reason" in service.error(PIN, ana, id="l-8", lat=52.6, lon=-1.1, r=" ")
    assert "out of range" in service.error(PIN, ana, id="l-8", lat=152.6, lon=-1.1, r="map")
    assert "not a place" in service.error(PIN, ana, id="c-1", lat=52.6, lon=-1.1, r="map")
    pin = service.data(PIN, ana, id="l-8", lat=52.611, lon=-1.071, r="on the ward map")["placePin"]
    assert (pin["lat"], pin["lon"], pin["properties"]["located_by"]) == (52.611, -1.071, "pin")
    assert pin["properties"]["pin_reason"] == "on the ward map" and pin["properties"]["pinned_by"] == "ana"
    assert service.data(UNLOCATED, ana)["unlocatedPlaces"]["total"] == 1
    log = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    pins = [r for r in log if r["detail"].get("graphql") == "placePin"]
    assert [(r["user"], r["operation"], r["subjects"]) for r in pins] == [("ana", "alteration", ["l-8"])]
    assert pins[0]["time"]
    # the reason is the writer's own words: not for a reader cleared for P only, nor one by initials
    service.data(PIN, ana, id="l-9", lat=52.612, lon=-1.072, r="where Kyle Benson is groomed")
    shown = '{ entity(id: "l-9") { properties } }'
    assert service.data(shown, ana)["entity"]["properties"]["pin_reason"] == "where Kyle Benson is groomed"
    for reader in (service.token("chair"), service.token("mace")):
        assert "pin_reason" not in service.data(shown, reader)["entity"]["properties"]


def test_serve_sample_loads_the_sample_gazetteer_once(tmp_path: Path, _audit_log: Path) -> None:
    from contextgraph.cli.service import _load_sample

    url = f"sqlite:///{tmp_path / 'sample.db'}"
    _load_sample(url)
    with open_store(url) as s:
        held = s.gazetteer_size()
    assert held[0] >= 10 and held[1] >= 25
    log = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    assert sorted(r["detail"].get("gazetteer") or "" for r in log) == [
        "",  # the sample's localities configured
        "",  # the sample's graph
        "sample-gazetteer.csv",
        "sample-postcodes.csv",
    ]


def test_every_place_of_another_areas_notes_is_on_its_map_or_in_the_not_located_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, _audit_log: Path
) -> None:
    """A new user's path: the second corpus's wards configured, the shipped gazetteer loaded, its
    notes ingested and served. Each place and school the notes gave is on its ward's map with
    coordinates, or in the list of places not located, where a pin can place it."""
    from contextgraph.ingest.pipeline import ingest_paths
    from contextgraph.localities import Localities, Locality
    from contextgraph.service.auth import ENV_LOCAL_KEY, LocalKeys

    from .service import running
    from .test_localities import SHARED, WARDS

    url = f"sqlite:///{tmp_path / 'second.db'}"
    notes = sorted(p for p in (SHARED / "corpus" / "notes-2").glob("*.md") if p.name != "README.md")
    with open_store(url) as s:
        s.set_localities(Localities("Sallowford", tuple(Locality(w, (f"{w} ward",)) for w in WARDS)))
        for f in sample_files():
            import_file(s, f)
        report = ingest_paths(s, notes)
        assert not report.failed, [n.error for n in report.failed]
        places = {e.id: e for e in s.iter_entities() if e.kind in ("location", "school") and not e.members}
    assert len(places) >= 30
    key = tmp_path / "second.key.pem"
    monkeypatch.setenv(ENV_LOCAL_KEY, str(key))
    with running(url, LocalKeys(key)) as svc:
        admin = svc.token("admin", ())
        unlocated: set[str] = set()
        after = None
        while True:
            q = "query($a: String) { unlocatedPlaces(first: 50, after: $a) { next items { id lat } } }"
            page = svc.data(q, admin, a=after)["unlocatedPlaces"]
            unlocated |= {x["id"] for x in page["items"] if x["lat"] is None}
            after = page["next"]
            if after is None:
                break
        on_map: set[str] = set()
        for ward in WARDS:
            graph = svc.data(f'{{ localityMap(locality: "{ward}") {{ graph }} }}', admin)["localityMap"]["graph"]
            on_map |= {n["id"] for n in graph["nodes"] if n["lat"] is not None and n["id"] in places}
    located = {i for i, e in places.items() if e.lat is not None}
    missing = [(e.name, e.locality) for i, e in places.items() if i not in on_map and i not in unlocated and e.locality]
    assert not missing, missing
    assert unlocated == set(places) - located  # the list holds exactly the places without coordinates
    # a place of the area as a whole (no ward) is on no ward's map: it is located, or listed
    assert all(i in located or i in unlocated for i, e in places.items() if not e.locality)
