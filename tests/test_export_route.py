"""``GET /export`` is a disclosure: refused without a recipient or purpose in visible text, and
logged naming what it gave."""

from __future__ import annotations

import csv
import http.client
import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx
import pytest

from contextgraph.service.audit import ENV_MAX_SUBJECTS, MOST_SAID, AuditLog

from .cli import cg
from .service import Service

# Hangul fillers are letters that show as nothing
INVISIBLE = (" ", "\u200b", " \u200b\t", "\u2028\u00a0", "\u200d\ufeff", "\u3164\uffa0")
"""Texts without a letter or digit: spaces, zero-width and format characters, separators."""


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []


def raw_header(service: Service, path: str, token: str, purpose: bytes) -> tuple[int, bytes]:
    """A GET whose X-Purpose header is the bytes given (UTF-8 a client may send as they are)."""
    host, port = service.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.putrequest("GET", path)
        conn.putheader("Authorization", f"Bearer {token}")
        conn.putheader("X-Purpose", purpose)
        conn.endheaders()
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def test_a_recipient_without_visible_text_is_refused(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    for recipient in INVISIBLE:
        status, _, raw = service.call("GET", "/export", ana, purpose="strategy", recipient=recipient)
        assert status == 422 and b"recipient" in raw, (recipient, raw)
        assert b"Kyle" not in raw
    assert records(_audit_log) == []
    status, _, _ = service.call("GET", "/export", ana, purpose="strategy", recipient="CSC East")
    assert status == 200
    assert [r["recipient"] for r in records(_audit_log)] == ["CSC East"]


def test_a_purpose_without_visible_text_is_refused_everywhere(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    for purpose in INVISIBLE:
        query = f"purpose={quote(purpose)}"
        status, _, raw = service.call("GET", f"/export?{query}&recipient=CSC%20East", ana)
        assert status == 400 and b"send X-Purpose" in raw, (purpose, raw)
        body = json.dumps({"query": '{ entity(id: "c-1") { name } }'}).encode()
        status, _, raw = service.call("POST", f"/graphql?{query}", ana, body, "application/json")
        assert b"send X-Purpose" in raw and b"Kyle" not in raw, (purpose, raw)
        # the header as UTF-8 bytes, as a client may send it
        status, raw = raw_header(service, "/export?recipient=CSC%20East", ana, purpose.encode())
        assert status == 400 and b"send X-Purpose" in raw, (purpose, raw)
    assert records(_audit_log) == []
    status, raw = raw_header(service, "/export?recipient=CSC%20East", ana, "réunion stratégie".encode())
    assert status == 200
    assert [r["purpose"] for r in records(_audit_log)] == ["réunion stratégie"]


def test_a_purpose_or_recipient_too_long_for_the_log_is_refused(service: Service, _audit_log: Path) -> None:
    ana, long = service.token("analyst"), "x" * (MOST_SAID + 1)
    status, _, raw = service.call("GET", "/export", ana, purpose="strategy", recipient=long)
    assert status == 422 and f"at most {MOST_SAID}".encode() in raw, raw
    status, _, raw = service.call("GET", "/export", ana, purpose=long, recipient="CSC East")
    assert status == 400 and b"X-Purpose" in raw, raw
    body = json.dumps({"query": '{ entity(id: "c-1") { name } }'}).encode()
    status, _, raw = service.call("POST", "/graphql", ana, body, "application/json", purpose=long)
    assert status == 400 and b"Kyle" not in raw, raw
    report = 'query($r: String!) { report(from: "2024-01-01", to: "2024-12-31", recipient: $r) { __typename } }'
    assert f"at most {MOST_SAID}" in service.error(report, ana, r=long)
    assert records(_audit_log) == []


def test_a_purpose_or_recipient_holding_a_control_character_is_refused(service: Service, _audit_log: Path) -> None:
    """As at the command line: the access log keeps them, and a listing of it would show them."""
    ana = service.token("analyst")
    status, _, raw = service.call("GET", "/export", ana, purpose="strategy", recipient="CSC\x1b[2J")
    assert status == 422 and "recipient: holds a control character (\\x1b)" in json.loads(raw)["detail"], raw
    status, _, raw = service.call("GET", "/export", ana, purpose="x\x1b[8m", recipient="CSC East")
    assert status == 400 and b"holds a control character" in raw, raw
    report = 'query($r: String!) { report(from: "2024-01-01", to: "2024-12-31", recipient: $r) { __typename } }'
    assert "recipient: holds a control character (\\x07)" in service.error(report, ana, r="CSC\x07")
    assert records(_audit_log) == []
    merge = 'mutation($r: String!) { merge(a: "c-1", b: "c-4", reason: $r) { id } }'
    assert "reason: holds a control character (\\x1b)" in service.error(merge, ana, r="same boy\x1b[2J")
    assert f"reason: at most {MOST_SAID} characters" in service.error(merge, ana, r="x" * (MOST_SAID + 1))
    assert service.data(merge, ana, r="same boy:\r\nsame date of birth")["merge"]["id"] == "c-1"


def exported_ids(packed: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(packed)) as z:
        return [json.loads(x)["id"] for x in z.read("entities.jsonl").decode().splitlines()]


def listed(subject: str) -> list[dict[str, Any]]:
    res = cg("audit", "list", "--subject", subject, "--format", "json")
    assert res.returncode == 0, res.stderr
    rows: list[dict[str, Any]] = json.loads(res.stdout)
    return rows


def test_an_export_names_the_ids_it_gave(service: Service, _audit_log: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ana = service.token("analyst")
    status, _, packed = service.call("GET", "/export", ana, purpose="strategy", recipient="CSC East")
    assert status == 200
    ids = exported_ids(packed)
    assert "c-1" in ids and "c-3" not in ids
    record = records(_audit_log)[-1]
    assert record["operation"] == "disclosure" and sorted(record["subjects"]) == sorted(ids)
    assert "manifest" not in record
    assert [(r["operation"], r["recipient"]) for r in listed("c-1")] == [("disclosure", "CSC East")]
    assert listed("c-3") == []
    # past the most ids a record names, they go to its manifest, and are found there
    monkeypatch.setenv(ENV_MAX_SUBJECTS, "2")
    status, _, packed = service.call("GET", "/export", ana, purpose="strategy", recipient="YJS East")
    assert status == 200 and len(ids) > 2
    record = records(_audit_log)[-1]
    assert record["subjects"] == [] and record["manifest"]["count"] == len(ids)
    log = AuditLog(_audit_log)
    assert sorted(log.subjects(record)) == sorted(ids) and log.verify() == []
    assert [r["recipient"] for r in listed("c-1")] == ["CSC East", "YJS East"]


def unzipped(packed: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(packed)) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_analysts_formats_over_rest_give_what_the_reader_sees_and_are_logged(
    service: Service, _audit_log: Path, tmp_path: Path
) -> None:
    """GraphML, GeoJSON and the i2 CSVs are given over ``GET /export?format=`` as the command line
    writes them, read back by their readers, each logged as a disclosure of the ids it gives: the
    GeoJSON its places alone."""
    ana = service.token("analyst")
    status, headers, raw = service.call(
        "GET", "/export", ana, purpose="MACE pack", recipient="MACE East", format="graphml"
    )
    assert status == 200 and headers["content-type"].startswith("application/graphml+xml"), (status, raw[:200])
    assert 'filename="contextgraph-export.graphml"' in headers["content-disposition"]
    (tmp_path / "g.graphml").write_bytes(raw)
    g = nx.read_graphml(tmp_path / "g.graphml", force_multigraph=True)
    assert "c-1" in g.nodes and "c-3" not in g.nodes and "l-2" not in g.nodes
    assert g.nodes["c-1"]["label"] == "Kyle Benson" and g.nodes["c-1"]["kind"] == "child"
    record = records(_audit_log)[-1]
    assert (record["operation"], record["recipient"], record["detail"]["format"]) == (
        "disclosure",
        "MACE East",
        "graphml",
    )
    assert sorted(record["subjects"]) == sorted(g.nodes)

    status, headers, raw = service.call(
        "GET", "/export", ana, purpose="MACE pack", recipient="MACE East", format="geojson"
    )
    assert status == 200 and headers["content-type"].startswith("application/geo+json")
    doc = json.loads(raw)
    places = {f["id"] for f in doc["features"]}
    assert places and "l-2" not in places and all(f["geometry"]["type"] == "Point" for f in doc["features"])
    record = records(_audit_log)[-1]
    # the places it gives, not the children of the view it was drawn from
    assert sorted(record["subjects"]) == sorted(places) and "c-1" not in record["subjects"]
    assert record["detail"]["features"] == len(places)
    (tmp_path / "m.geojson").write_bytes(raw)
    if shutil.which("ogrinfo"):
        info = subprocess.run(["ogrinfo", "-ro", "-al", str(tmp_path / "m.geojson")], capture_output=True, text=True)
        assert info.returncode == 0 and f"Feature Count: {len(places)}" in info.stdout, info.stderr

    status, headers, raw = service.call(
        "GET", "/export", ana, purpose="MACE pack", recipient="MACE East", format="i2csv"
    )
    assert status == 200 and headers["content-type"].startswith("application/zip")
    files = unzipped(raw)
    assert sorted(files) == ["i2-entities.csv", "i2-links.csv"]
    ents = list(csv.DictReader(io.StringIO(files["i2-entities.csv"].decode("utf-8-sig"))))
    links = list(csv.DictReader(io.StringIO(files["i2-links.csv"].decode("utf-8-sig"))))
    ids = {e["Entity ID"] for e in ents}
    assert "c-1" in ids and "c-3" not in ids and all(x["From ID"] in ids and x["To ID"] in ids for x in links)
    assert sorted(records(_audit_log)[-1]["subjects"]) == sorted(ids)


def test_an_export_by_initials_names_no_one_in_any_format(service: Service, _audit_log: Path) -> None:
    """The page's "Initials only" (``X-Names: initials``) holds for every format."""
    ana = service.token("analyst")
    for fmt in ("jsonl", "graphml", "geojson", "i2csv"):
        status, _, raw = service.call(
            "GET", "/export", ana, purpose="strategy", recipient="CSC East", format=fmt, headers={"X-Names": "initials"}
        )
        assert status == 200, (fmt, raw[:200])
        text = "\n".join(x.decode("utf-8-sig") for x in unzipped(raw).values()) if raw[:2] == b"PK" else raw.decode()
        for name in ("Kyle Benson", "Benno", "Zoë Ahmed", "Daniel Okafor", 'Tank"'):
            assert name not in text, (fmt, name)
        assert "K.B." in text or fmt == "geojson"


def test_an_unknown_format_or_a_role_that_may_not_export_gets_nothing(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    for fmt in ("csv", "GRAPHML", "", "graphml "):
        status, _, raw = service.call("GET", "/export", ana, purpose="strategy", recipient="CSC East", format=fmt)
        assert status == 422 and b"format: one of jsonl, graphml, geojson, i2csv" in raw, (fmt, raw)
    for role in ("chair", "mace"):
        for fmt in ("graphml", "geojson", "i2csv"):
            status, _, raw = service.call(
                "GET", "/export", service.token(role), purpose="strategy", recipient="CSC East", format=fmt
            )
            assert status == 403 and b"Kyle" not in raw and b"Carrow" not in raw, (role, fmt, raw)
    assert records(_audit_log) == []


def linked(service: Service, token: str, *lines: dict[str, Any]) -> None:
    """Relationship lines imported over ``POST /import``."""
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as z:
        z.writestr("relationships.jsonl", "".join(json.dumps(x) + "\n" for x in lines))
    assert service.call("POST", "/import", token, packed.getvalue(), "application/zip")[0] == 200


def graphml_of(raw: bytes, tmp_path: Path) -> Any:
    (tmp_path / "x.graphml").write_bytes(raw)
    return nx.read_graphml(tmp_path / "x.graphml", force_multigraph=True)


def test_an_export_gives_places_as_places_and_no_persons_coordinates_under_initials(
    service: Service, _audit_log: Path, tmp_path: Path
) -> None:
    """A person with coordinates (a child's home, written on the record) is no feature of the GeoJSON
    of places, and by initials their coordinates are given in no format."""
    ana = service.token("analyst")
    entity = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    child = {"id": "c-60", "kind": "CHILD", "name": "Located Person", "locality": "East", "lat": 52.601, "lon": -1.01}
    stored = service.data(entity, ana, e={**child, "sourceRef": "log-1", "grading": "1B P"})["upsertEntity"]["id"]
    status, _, raw = service.call("GET", "/export", ana, purpose="MACE", recipient="MACE East", format="geojson")
    features = json.loads(raw)["features"]
    assert status == 200 and {f["properties"]["kind"] for f in features} <= {"location", "school"}
    assert stored not in records(_audit_log)[-1]["subjects"]
    for fmt in ("graphml", "i2csv", "jsonl"):
        status, _, raw = service.call(
            "GET", "/export", ana, purpose="MACE", recipient="MACE East", format=fmt, headers={"X-Names": "initials"}
        )
        text = "\n".join(x.decode("utf-8-sig") for x in unzipped(raw).values()) if raw[:2] == b"PK" else raw.decode()
        assert status == 200 and "L.P." in text and "52.601" not in text, fmt


def test_an_export_by_initials_gives_no_links_words(service: Service, _audit_log: Path, tmp_path: Path) -> None:
    """A link's properties are free text, which may name people: by initials, none is given."""
    ana = service.token("analyst")
    line = {"type": "SEEN_AT", "source": "c-1", "target": "l-1", "grading": "2B P", "source_ref": "log-9"}
    linked(service, ana, {**line, "properties": {"note": "with Kyle Benson aka Benno"}})
    for fmt in ("jsonl", "graphml", "i2csv"):
        status, _, raw = service.call(
            "GET", "/export", ana, purpose="MACE", recipient="MACE East", format=fmt, headers={"X-Names": "initials"}
        )
        text = "\n".join(x.decode("utf-8-sig") for x in unzipped(raw).values()) if raw[:2] == b"PK" else raw.decode()
        assert status == 200 and "Kyle Benson" not in text and "Benno" not in text, fmt
        full = service.call("GET", "/export", ana, purpose="MACE", recipient="MACE East", format=fmt)[2]
        assert b"with Kyle Benson aka Benno" in (b"".join(unzipped(full).values()) if full[:2] == b"PK" else full)
    said = records(_audit_log)[-2]["detail"]
    assert said["initials"] == ["child", "person_of_concern"] and said["clearance"] == "C"
    assert "initials" not in records(_audit_log)[-1]["detail"]


def test_an_export_names_in_its_record_the_records_of_another_locality_it_gives(
    service: Service, _audit_log: Path, tmp_path: Path
) -> None:
    """A West record merged into an East one gives its facts in East's export: the disclosure names it
    too, so a search of the log by that record finds the export."""
    adm = service.token("admin", ())
    line = {"type": "SEEN_AT", "source": "c-3", "target": "l-1", "date": "2024-06-01", "source_ref": "log-west-9"}
    linked(service, adm, line)
    assert service.data('mutation { merge(a: "c-1", b: "c-3", reason: "the same boy") { id } }', adm)
    ana = service.token("analyst")
    for fmt in ("graphml", "jsonl", "i2csv"):
        status, _, _ = service.call("GET", "/export", ana, purpose="MACE", recipient="MACE East", format=fmt)
        assert status == 200
        assert "c-3" in records(_audit_log)[-1]["subjects"], fmt
    assert (
        "c-3"
        not in graphml_of(
            service.call("GET", "/export", ana, purpose="MACE", recipient="MACE East", format="graphml")[2], tmp_path
        ).nodes
    )


def test_an_export_names_no_merged_record_a_reader_cleared_for_p_was_given_nothing_of(
    service: Service, _audit_log: Path
) -> None:
    """A record named only under C, merged into one the reader sees: nothing of it is in a P
    reader's export, so their disclosure does not name it; a reader cleared for C is given it."""
    adm = service.token("admin", ())
    entity = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    shadow = {"id": "c-61", "kind": "CHILD", "name": "Shadow Kid", "locality": "East"}
    service.data(entity, adm, e={**shadow, "sourceRef": "intel-9", "grading": "1B C"})
    assert service.data('mutation { merge(a: "c-1", b: "c-61", reason: "the same boy") { id } }', adm)
    p_ana = service.keys.mint("anp", "analyst", ["East"], clearance="P")
    for token, named in ((p_ana, False), (service.token("analyst"), True)):
        for fmt in ("graphml", "i2csv", "jsonl"):
            status, _, _ = service.call("GET", "/export", token, purpose="MACE", recipient="MACE East", format=fmt)
            assert status == 200 and ("c-61" in records(_audit_log)[-1]["subjects"]) == named, (fmt, named)


def test_an_export_of_a_window_and_types_gives_only_those_links_and_says_so(
    service: Service, _audit_log: Path, tmp_path: Path
) -> None:
    """The page exports what it shows: the links of the types and dates chosen."""
    ana = service.token("analyst")

    def asked(**more: str) -> tuple[int, bytes]:
        status, _, raw = service.call("GET", "/export", ana, purpose="MACE", recipient="MACE East", **more)
        return status, raw

    status, raw = asked(format="graphml", since="2024-03-01", undated="false")
    g = graphml_of(raw, tmp_path)
    # dated in March or later: no undated link (EXPLOITS, ATTENDS, OPEN_TO), none of January
    assert status == 200 and {d["type"] for _, _, d in g.edges(data=True)} == {"SEEN_AT", "ASSOCIATES_WITH"}
    assert ("c-2", "l-1") not in {(s, t) for s, t in g.edges()}  # seen there in January only
    detail = records(_audit_log)[-1]["detail"]
    assert (detail["since"], detail["undated"]) == ("2024-03-01", False)
    status, raw = asked(format="jsonl", type="ASSOCIATES_WITH")
    lines = [json.loads(x) for x in unzipped(raw)["relationships.jsonl"].decode().splitlines()]
    assert status == 200 and {x["type"] for x in lines} == {"ASSOCIATES_WITH"}
    assert records(_audit_log)[-1]["detail"]["types"] == ["ASSOCIATES_WITH"]
    before = len(records(_audit_log))
    for bad in ({"since": "2024-13-01"}, {"since": "2024-05-01", "until": "2024-01-01"}, {"type": "KNOWS"}):
        status, raw = asked(format="graphml", **bad)
        assert status == 422 and b"Kyle" not in raw, (bad, raw)
    assert len(records(_audit_log)) == before


def test_an_administrators_locality_is_checked_before_it_is_logged(service: Service, _audit_log: Path) -> None:
    adm = service.token("admin", ())
    for locality, words in (
        ("\x1b[2J\x1b[31mEast", b"locality: holds a control character"),
        ("Nowhere", b"locality: not a locality of this store"),
        ("x" * (MOST_SAID + 1), b"locality"),
    ):
        status, _, raw = service.call(
            "GET", "/export", adm, purpose="MACE", recipient="MACE East", format="graphml", locality=locality
        )
        assert status == 422 and words in raw, (locality[:20], status, raw[:200])
        assert b"xxxxxxxx" not in raw and b"\\u001b" not in raw  # what was sent is not repeated
    assert records(_audit_log) == []
    status, _, _ = service.call(
        "GET", "/export", adm, purpose="MACE", recipient="MACE", format="graphml", locality="West"
    )
    assert status == 200 and records(_audit_log)[-1]["detail"]["localities"] == ["West"]


def test_a_window_gives_a_reader_cleared_for_p_no_date_said_under_c(service: Service, _audit_log: Path) -> None:
    """In an export as on the map, a window goes by the dates a reader cleared for P may see: a link
    seen under P in 2020 and under C in 2024 is not in a window from 2024 (else moving the window
    would date the statement under C)."""
    adm = service.token("admin", ())
    lines = [
        {"type": "ASSOCIATES_WITH", "source": "c-2", "target": "c-4", "date": "2020-01-01", "grading": "1B P"},
        {"type": "ASSOCIATES_WITH", "source": "c-2", "target": "c-4", "date": "2024-05-01", "grading": "1B C"},
    ]
    linked(service, adm, *lines)
    p_ana = service.keys.mint("anp", "analyst", ["East"], clearance="P")
    c_ana = service.token("analyst")
    window = {"since": "2024-01-01", "undated": "false"}

    def ends(token: str, fmt: str) -> set[tuple[str, str]]:
        status, _, raw = service.call("GET", "/export", token, purpose="MACE", recipient="MACE", format=fmt, **window)
        assert status == 200, raw
        if fmt == "jsonl":
            rels = unzipped(raw)["relationships.jsonl"].decode().splitlines()
            return {(x["source"], x["target"]) for x in map(json.loads, rels)}
        rows = csv.DictReader(io.StringIO(unzipped(raw)["i2-links.csv"].decode("utf-8-sig")))
        return {(x["From ID"], x["To ID"]) for x in rows}

    for fmt in ("jsonl", "i2csv"):
        assert ("c-2", "c-4") not in ends(p_ana, fmt), fmt
        assert ("c-2", "c-4") in ends(c_ana, fmt), fmt
    seen = 'query { localityMap(locality: "East", since: "2024-01-01", undated: false) { edges { source target } } }'
    edges = service.data(seen, p_ana)["localityMap"]["edges"]
    assert {"source": "c-2", "target": "c-4"} not in edges


def test_a_note_named_by_nothing_visible_is_refused_without_repeating_its_name(
    service: Service, _audit_log: Path
) -> None:
    ana = service.token("analyst")
    for name, words in (("evil\x1b[2J\x07.md", "control character"), ("\u200b", "letters or digits"), ("/", "letters")):
        status, _, raw = service.call("POST", "/notes", ana, b"\xff\xfe", "text/markdown", "MACE", name=name)
        detail = json.loads(raw)["detail"]
        assert status == 422 and words in detail and "\x1b" not in detail and "not UTF-8" not in detail, detail
    assert [r for r in records(_audit_log) if r["operation"] != "consultation"] == []


def test_an_exports_window_is_a_date_as_written_and_its_types_are_logged_once(
    service: Service, _audit_log: Path
) -> None:
    ana = service.token("analyst")
    for since in ("20240101", "2024-W10-1", "x" * 5000):
        status, _, raw = service.call("GET", "/export", ana, purpose="MACE", recipient="MACE", since=since)
        assert status == 422 and (b"since" in raw or b"is not a date" in raw), (since[:20], raw[:200])
    url = "/export?" + "&".join(["type=SEEN_AT"] * 50) + "&recipient=MACE&format=graphml"
    assert service.call("GET", url, ana, purpose="MACE")[0] == 200
    assert records(_audit_log)[-1]["detail"]["types"] == ["SEEN_AT"]


def test_an_exports_hotspots_are_those_the_readers_map_shows(
    service: Service, _audit_log: Path, tmp_path: Path
) -> None:
    """Scored as the map scores them, by the analysis of the reader's whole view (evidence from their
    other localities counts), cut to the locality asked for."""
    adm = service.token("admin", ())
    seen = [
        {"type": "SEEN_AT", "source": "c-3", "target": "l-1", "date": "2024-03-01", "grading": "1B P"},
        {"type": "EXPLOITS", "source": "p-1", "target": "c-3", "date": "2024-03-01", "grading": "1B P"},
    ]
    linked(service, adm, *seen)
    both = service.token("analyst", ("East", "West"))
    shown = 'query { localityMap(locality: "East") { hotspots { id score rank } } }'
    on_map = {h["id"]: (h["score"], h["rank"]) for h in service.data(shown, both)["localityMap"]["hotspots"]}
    assert on_map
    for fmt in ("geojson", "graphml"):
        status, _, raw = service.call(
            "GET", "/export", both, purpose="MACE", recipient="MACE", format=fmt, locality="East"
        )
        assert status == 200
        if fmt == "geojson":
            props = [f["properties"] for f in json.loads(raw)["features"]]
            given = {p["id"]: (p["hotspot_score"], p["hotspot_rank"]) for p in props if p["hotspot_score"] is not None}
        else:
            g = graphml_of(raw, tmp_path)
            given = {i: (d["hotspot_score"], d["hotspot_rank"]) for i, d in g.nodes(data=True) if "hotspot_score" in d}
        assert given.keys() == on_map.keys(), fmt
        for i, (score, rank) in given.items():
            assert score == pytest.approx(on_map[i][0], abs=1e-6) and rank == on_map[i][1], (fmt, i)
