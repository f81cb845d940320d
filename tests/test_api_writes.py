"""Writes through the service: GraphQL mutations and REST files, each scoped, checked and logged."""

from __future__ import annotations

import io
import json
import threading
import time
import urllib.error
import warnings
import zipfile
from pathlib import Path

from .service import Service, zipped

ENTITY = """mutation($e: EntityInput!) { upsertEntity(entity: $e) { id name locality lat lon properties sources } }"""
LINK = """mutation($l: LinkInput!) { link(link: $l) { type source target grading sources count } }"""


def log_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(x) for x in path.read_text().splitlines()]


def test_entities_and_links_are_written_within_the_users_area(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    new = {
        "id": "c-9",
        "kind": "CHILD",
        "name": "Ruby Lane",
        "locality": "East",
        "sourceRef": "log-east-1",
        "date": "2024-05-02",
        "grading": "1b p",
        "properties": {"risk_level": "medium"},
    }
    got = service.data(ENTITY, ana, e=new)["upsertEntity"]
    # a record an analyst creates takes an id of its locality's namespace
    assert got["id"] == "east:c-9"
    assert got["name"] == "Ruby Lane" and got["properties"] == {"risk_level": "medium"}
    assert got["sources"] == ["log-east-1"]
    link = {
        "type": "SEEN_AT",
        "source": "east:c-9",
        "target": "l-1",
        "date": "2024-05-02",
        "sourceRef": "log-east-1",
        "grading": "2B P",
    }
    assert service.data(LINK, ana, l=link)["link"] == {
        "type": "SEEN_AT",
        "source": "east:c-9",
        "target": "l-1",
        "grading": "2B P",
        "sources": ["log-east-1"],
        "count": 1,
    }
    # the same assertion again changes nothing
    assert service.data(LINK, ana, l=link)["link"]["count"] == 1
    # bad input names the field; nothing outside the user's area can be written or linked
    assert "grading" in service.error(ENTITY, ana, e={**new, "id": "c-10", "grading": "9Z"})
    assert "not one of your localities" in service.error(ENTITY, ana, e={**new, "id": "c-10", "locality": "West"})
    assert "no entity 'c-3'" in service.error(LINK, ana, l={**link, "type": "MISSING_WITH", "target": "c-3"})
    # an id of the other locality is not theirs: the analyst's record is a new one, as for an unused id
    assert service.data(ENTITY, ana, e={**new, "id": "c-3"})["upsertEntity"]["id"] == "east:c-3"
    assert service.data('{ entity(id: "c-3") { name } }', service.token("admin", ()))["entity"]["name"] == "Tyler Marsh"
    assert "cannot link a child to a child" in service.error(LINK, ana, l={**link, "target": "c-1"})
    # a chair and a MACE member read only
    for role in ("chair", "mace"):
        assert "does not allow" in service.error(LINK, service.token(role), l=link)
    ops = [(r["operation"], r["subjects"]) for r in log_of(_audit_log)]
    assert ops[:2] == [("collection", ["east:c-9"]), ("collection", ["east:c-9", "l-1"])]


def test_services_merges_splits_and_erasure(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    q = 'mutation { recordService(child: "c-2", service: EXPLOITATION_TEAM, date: "2024-06-01") { type target } }'
    assert service.data(q, ana)["recordService"] == {"type": "OPEN_TO", "target": "svc-EXPLOITATION_TEAM"}
    # a service already held is not written again: the log shows the link, not an alteration of the service
    written = len(log_of(_audit_log))
    q = 'mutation { recordService(child: "c-4", service: EXPLOITATION_TEAM) { type } }'
    assert service.data(q, ana)["recordService"] == {"type": "OPEN_TO"}
    logged = [(r["operation"], r["subjects"], r["detail"]) for r in log_of(_audit_log)[written:]]
    assert [(op, who) for op, who, _ in logged] == [("collection", ["c-4", "svc-EXPLOITATION_TEAM"])], logged


def test_locality_map_has_coordinates_and_geojson(service: Service) -> None:
    q = """{ localityMap(locality: "East") { locality truncated nodes { id kind lat lon } edges { type source target }
             hotspots { id lat lon score } geojson graph } }"""
    m = service.data(q, service.token("analyst"))["localityMap"]
    ids = {n["id"] for n in m["nodes"]}
    assert {"c-1", "c-2", "l-1", "s-1", "p-1"} <= ids and not ids & {"c-3", "l-2"} and not m["truncated"]
    # kept first when a map is cut: the children linked to harm and the persons of concern, then the
    # places and schools linked to anyone, the groups, then the other children
    assert [n["id"] for n in m["nodes"]][:6] == ["c-2", "p-1", "l-1", "s-1", "g-1", "c-1"]
    assert ("SEEN_AT", "c-1", "l-1") in {(e["type"], e["source"], e["target"]) for e in m["edges"]}
    assert m["hotspots"][0] == {"id": "l-1", "lat": 52.62, "lon": -1.06, "score": m["hotspots"][0]["score"]}
    geo = m["geojson"]
    assert geo["type"] == "FeatureCollection"
    points = {f["id"]: f for f in geo["features"]}
    assert set(points) == {"l-1", "s-1"}
    assert points["l-1"]["geometry"] == {"type": "Point", "coordinates": [-1.06, 52.62]}
    assert points["l-1"]["properties"]["hotspot"] is True
    graph = m["graph"]
    assert [n["id"] for n in graph["nodes"]] == [n["id"] for n in m["nodes"]]
    assert {(e["type"], e["source"], e["target"]) for e in graph["edges"]} == {
        (e["type"], e["source"], e["target"]) for e in m["edges"]
    }
    kyle = next(n for n in graph["nodes"] if n["id"] == "c-1")
    assert kyle["flagged"] and kyle["openTo"] == ["YJS"] and kyle["score"] is None
    zoe = next(n for n in graph["nodes"] if n["id"] == "c-2")
    assert zoe["score"] > 0 and zoe["openTo"] == [] and not zoe["flagged"]
    small = service.data('{ localityMap(locality: "East", first: 2) { truncated nodes { id } } }', service.token())
    assert small["localityMap"]["truncated"] and len(small["localityMap"]["nodes"]) == 2


def test_one_import_is_read_at_a_time_and_another_meanwhile_is_told_to_wait(service: Service) -> None:
    """Each import is read whole and may unpack to the limit: while one is read, another is refused
    with 429 and a time to try again, not read beside it; once it is done, the next is read."""
    ana = service.token("analyst")
    line = '{{"id": "c-9{0}", "kind": "child", "name": "Child {0}", "locality": "East"}}\n'
    big = zipped({"entities.jsonl": "".join(line.format(i) for i in range(150_000)) + "{not json\n"})
    small = zipped({"entities.jsonl": "{not json\n"})
    done: list[int] = []

    def the_big_one() -> None:  # sent until it is read (a small one may hold the slot at first)
        for _ in range(100):
            try:
                status = service.call("POST", "/import", ana, big, "application/zip")[0]
            except urllib.error.URLError:  # answered 429 before its body was sent whole
                status = 429
            if status != 429:
                done.append(status)
                return
            time.sleep(0.02)

    first = threading.Thread(target=the_big_one)
    first.start()
    told = []
    while first.is_alive() and not told:
        try:
            status, headers, _ = service.call("POST", "/import", ana, small, "application/zip")
        except urllib.error.URLError:  # answered before its body was read: asked again
            continue
        if status == 429:
            told.append({k.lower(): v for k, v in headers.items()}.get("retry-after"))
        else:
            assert status == 422
            time.sleep(0.05)
    first.join()
    assert done == [422] and told == ["5"]
    assert service.call("POST", "/import", ana, small, "application/zip")[0] == 422


def test_rest_notes_import_and_export(service: Service, _audit_log: Path) -> None:
    ana = service.token("analyst")
    text = "# MACE – Northbrook East\n\n**Date:** 18/01/2024\n\nJay Reid was seen at the Rec on Friday evening.\n"
    status, _, body = service.call("POST", "/notes", ana, text.encode(), "text/markdown", "MACE East", name="a.md")
    assert status == 200 and json.loads(body)["status"] == "ingested"
    status, _, body = service.call("POST", "/notes", ana, text.encode(), "text/markdown", name="a.md")
    assert json.loads(body)["status"] == "unchanged"
    assert service.call("POST", "/notes", service.token("mace"), text.encode(), "text/markdown")[0] == 403
    west_chair = service.token("chair", ("West",), user="cw")
    assert service.call("POST", "/notes", west_chair, text.encode(), "text/markdown")[0] == 403
    # an import: all of it, or nothing, with the file and line of each problem
    ents = json.dumps({"id": "c-20", "kind": "child", "name": "Mia Cole", "locality": "East"}) + "\n"
    rels = json.dumps({"type": "SEEN_AT", "source": "c-20", "target": "l-1", "date": "2024-02-02"}) + "\n"
    bad = rels + json.dumps({"type": "SEEN_AT", "source": "c-20", "target": "nowhere"}) + "\n"
    status, _, body = service.call(
        "POST", "/import", ana, zipped({"entities.jsonl": ents, "relationships.jsonl": bad}), "application/zip"
    )
    assert status == 422 and json.loads(body)["detail"] == [
        "relationships.jsonl:2: 'nowhere' is not an entity in entities.jsonl or the store"
    ]
    assert service.data('{ entity(id: "c-20") { id } }', ana)["entity"] is None
    west = json.dumps({"id": "c-21", "kind": "child", "name": "Ola West", "locality": "West"}) + "\n"
    status, _, body = service.call("POST", "/import", ana, zipped({"entities.jsonl": west}), "application/zip")
    assert status == 403 and "outside your localities" in json.loads(body)["detail"]
    # a locality mistyped, even by one who may write everywhere, would file a record no one's token reaches
    typo = json.dumps({"id": "c-22", "kind": "child", "name": "Ola Eest", "locality": "Eest"}) + "\n"
    admin = service.token("admin", ())
    status, _, body = service.call("POST", "/import", admin, zipped({"entities.jsonl": typo}), "application/zip")
    assert status == 422 and json.loads(body)["detail"][0].startswith(
        "entities.jsonl:1: field 'locality': 'Eest' is not a locality of the area"
    )
    # a writer of some localities is held to theirs, and told of no other (the area's list, another's names)
    for written in ("Eest", "Northbrook West"):
        said = json.dumps(
            {"id": "t1", "record": "risk_assessment", "subject": "c-1", "date": "2025-01-12", "source": "form-1"}
            | {"recorded_by": "ana", "level": "red", "locality": written}
        )
        status, _, body = service.call("POST", "/import", ana, zipped({"tracking.jsonl": said}), "application/zip")
        told = str(json.loads(body)["detail"])
        assert status == 403 and "not one of your localities" in told, told
        assert "West'" not in told.replace("Northbrook West'", "") and "of the area" not in told, told
    status, _, body = service.call(
        "POST", "/import", ana, zipped({"entities.jsonl": ents, "relationships.jsonl": rels}), "application/zip"
    )
    assert status == 200 and json.loads(body)["relationships_created"] == 1
    assert json.loads(body)["ids"] == {"c-20": "east:c-20"}
    assert service.call("POST", "/import", ana, b"not a zip", "application/zip")[0] == 422
    # an archive holding a file twice is refused: which one is meant cannot be told
    twice = io.BytesIO()
    with zipfile.ZipFile(twice, "w") as z, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name it is asked to write
        z.writestr("entities.jsonl", ents)
        z.writestr("entities.jsonl", west)
    status, _, body = service.call("POST", "/import", ana, twice.getvalue(), "application/zip")
    assert status == 422 and "entities.jsonl: the archive holds it more than once" in json.loads(body)["detail"]
    # an export is a disclosure: it needs a recipient, and holds only what the user may see
    assert service.call("GET", "/export", ana)[0] == 422
    status, headers, packed = service.call("GET", "/export", ana, purpose="strategy", recipient="CSC East")
    assert status == 200 and headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(packed)) as z:
        exported = [json.loads(x) for x in z.read("entities.jsonl").decode().splitlines()]
    ids = {e["id"] for e in exported}
    assert {"c-1", "east:c-20"} <= ids and "c-3" not in ids
    last = log_of(_audit_log)[-1]
    assert (last["operation"], last["recipient"], last["purpose"]) == ("disclosure", "CSC East", "strategy")
    assert service.call("GET", "/notes", None)[0] in (401, 405)
    assert service.call("POST", "/import", None, b"x", "application/zip")[0] == 401


def test_committed_openapi_is_the_live_description() -> None:
    from contextgraph.service.api import openapi

    committed = (Path(__file__).resolve().parents[1] / "api" / "openapi.json").read_text(encoding="utf-8")
    assert committed == openapi(), (
        "api/openapi.json is stale: run python -m contextgraph.service.api openapi > api/openapi.json"
    )


def test_a_date_that_has_not_come_is_refused_and_nothing_is_written(service: Service, _audit_log: Path) -> None:
    """A fact dated after tomorrow (or before 1900) is refused, naming the date, before anything is
    written: one such date would make every true fact look centuries old to the analysis."""
    ana = service.token("analyst")
    before = service.data('{ localityMap(locality: "East") { asOf } }', ana)["localityMap"]["asOf"]
    written = len(log_of(_audit_log))
    q = 'mutation($d: String) { recordService(child: "c-2", service: CSC, date: $d) { type } }'
    for bad, words in (("9999-12-31", "after tomorrow"), ("1850-01-01", "before 1900"), ("2025-13-45", "not a date")):
        assert words in service.error(q, ana, d=bad)
    records = "mutation($r: [JSON!]!) { recordTracking(records: $r) { id } }"
    later = {"id": "me-x", "record": "missing_episode", "subject": "c-2", "date": "9999-12-31T21:30", "source": "s"}
    assert "after" in service.error(records, ana, r=[later])
    # a place is not open to a service: refused before the service is made
    place = 'mutation { recordService(child: "l-1", service: CSC) { type } }'
    assert "l-1 is a location, not a child" in service.error(place, ana)
    # nothing was written, not even the service the refused link would have named
    assert [r for r in log_of(_audit_log)[written:] if r["operation"] != "consultation"] == []
    assert service.data('{ entity(id: "svc-CSC") { id } }', ana)["entity"] is None
    assert service.data('{ localityMap(locality: "East") { asOf } }', ana)["localityMap"]["asOf"] == before


def test_a_writer_cleared_for_p_writes_nothing_under_c_and_sees_what_they_write(service: Service) -> None:
    """A writer cleared for P only may not write what they could not read (a link, an entity or an
    import line under handling code C): refused before anything is written, naming what."""
    p_ana = service.keys.mint("ana-p", "analyst", ["East"], clearance="P")
    ana = service.token("analyst")
    link = {"type": "SEEN_AT", "source": "c-2", "target": "l-1", "date": "2024-05-01", "grading": "1B C"}
    before = service.data('{ entity(id: "c-2") { id } }', ana)
    assert "cleared for P only" in service.error(LINK, p_ana, l={**link, "sourceRef": "log-9"})
    assert "log-9" not in json.dumps(service.data('{ network(centre: "c-2") { edges { sources } } }', ana))
    ent = {"id": "c-2", "kind": "CHILD", "name": "Zoë Ahmed", "locality": "East", "grading": "2B C", "sourceRef": "x"}
    assert "cleared for P only" in service.error(ENTITY, p_ana, e=ent)
    assert service.data('{ entity(id: "c-2") { id } }', ana) == before
    line = json.dumps({"type": "SEEN_AT", "source": "c-2", "target": "l-1", "grading": "1B C"}) + "\n"
    status, _, body = service.call("POST", "/import", p_ana, zipped({"relationships.jsonl": line}), "application/zip")
    assert status == 422 and "cleared for P only" in body.decode() and "SEEN_AT c-2 -> l-1" in body.decode()


def test_a_control_character_in_a_name_or_id_is_refused_and_nothing_is_written(
    service: Service, _audit_log: Path
) -> None:
    """A name, an alias, an id or a saved view's name holding a control character (which could
    clear a terminal or hide a link where it is shown) is refused naming the field, as an import
    refuses it; a tracking record's free text may hold tabs and line breaks, and no other."""
    ana = service.token("analyst")
    written = len(log_of(_audit_log))
    new = {"id": "c-9", "kind": "CHILD", "name": "Ruby Lane", "locality": "East"}
    told = "holds a control character (\\x1b)"
    assert f"field 'name': {told}" in service.error(ENTITY, ana, e={**new, "name": "Ruby\x1b[2J Lane"})
    assert f"field 'aliases': {told}" in service.error(ENTITY, ana, e={**new, "aliases": ["RL\x1b"]})
    assert "field 'id': holds a control character (\\x85)" in service.error(ENTITY, ana, e={**new, "id": "c\x859"})
    shown_as_another = {**new, "name": "Ruby \u202eENAL"}
    assert "field 'name': holds a control character (\\u202e)" in service.error(ENTITY, ana, e=shown_as_another)
    assert "field 'properties': 'nick': holds a control character (\\x1b)" in service.error(
        ENTITY, ana, e={**new, "properties": {"nick": "Benno\x1b[2J"}}
    )
    assert "field 'properties': 'info': a key: holds a control character (\\x1b)" in service.error(
        ENTITY, ana, e={**new, "properties": {"info": {"ni\x1bck": "A"}}}
    )
    link = {"type": "SEEN_AT", "source": "c-2", "target": "l-1", "sourceRef": "log\x1b"}
    assert f"field 'source_ref': {told}" in service.error(LINK, ana, l=link)
    records = "mutation($r: [JSON!]!) { recordTracking(records: $r) { id } }"
    episode = {"id": "me-x", "record": "missing_episode", "subject": "c-2", "date": "2025-01-02", "source": "s"}
    assert "records[0]: field 'source': holds a control character (\\x07)" in service.error(
        records, ana, r=[{**episode, "source": "s\x07"}]
    )
    assert "field 'push_pull': holds a control character (\\x1b)" in service.error(
        records, ana, r=[{**episode, "push_pull": "seen\x1b[2Jat 10:30"}]
    )
    save = "mutation($n: String!, $l: String!, $s: JSON!) { saveView(name: $n, locality: $l, state: $s) { id } }"
    assert f"name: {told}" in service.error(save, ana, n="March\x1b[8m", l="East", s={})
    # a note's name names its source, and is shown with it
    note = "# MACE – Northbrook East\n\n**Date:** 18/01/2024\n\nJay Reid was seen at the Rec on Friday evening.\n"
    status, _, body = service.call("POST", "/notes", ana, note.encode(), "text/markdown", "MACE", name="a\x1b[2J.md")
    assert status == 422 and f"the note's name: {told}" in json.loads(body)["detail"], body
    ingest = "mutation($t: String!, $n: String!) { ingestNote(text: $t, name: $n) { status } }"
    assert f"the note's name: {told}" in service.error(ingest, ana, t=note, n="a\x1b[2J.md")
    assert [r for r in log_of(_audit_log)[written:] if r["operation"] != "consultation"] == []
    assert service.data('{ entity(id: "east:c-9") { id } }', ana)["entity"] is None
    # free text keeps its tabs and line breaks, a Windows one (CR LF) too
    got = service.data(records, ana, r=[{**episode, "push_pull": "seen\tat\n10:30\r\nwith Tom"}])
    assert got["recordTracking"] == [{"id": "east:me-x"}]


def test_a_request_makes_one_change(service: Service, _audit_log: Path) -> None:
    """Two mutations in one request were run one after the other, the first written and the
    second refused, and the answer (data null, for types that may not be null) said nothing of the
    first: a request asking for more than one change is refused before any is made."""
    token = service.token("analyst", ("East",), user="ana")
    two = (
        'mutation { a: upsertEntity(entity: {id: "c-77", kind: CHILD, name: "Half One", locality: "East"}) { id } '
        'b: link(link: {type: SEEN_AT, source: "c-77", target: "l-2"}) { type } }'
    )
    status, body = service.post(two, token)
    said = body["errors"][0]["message"]
    assert status == 400 and said.startswith("a request makes one change: this one asks for 2 (a, b)"), body
    assert service.data('{ search(text: "Half One") { id } }', token)["search"] == []
    assert '"upsertEntity"' not in (_audit_log.read_text() if _audit_log.exists() else "")
    one = 'mutation { upsertEntity(entity: {id: "c-77", kind: CHILD, name: "Half One", locality: "East"}) { id } }'
    assert service.data(one, token)["upsertEntity"]["id"]


def test_an_entity_written_is_whole_and_its_locality_read_as_queries_read_it(service: Service) -> None:
    """An id of any length, or half a coordinate, was stored; a locality in another case than the
    token's was refused as not the writer's, though reads take it. Now the first two are refused
    naming the field, and the locality is written as the token spells it."""
    ana = service.token("analyst", ("East",), user="ana")
    child = {"id": "c-50", "kind": "CHILD", "name": "Test Child", "locality": "East"}
    for odd, field in (
        ({"id": "c" * 201}, "field 'id': 201 characters, more than 200"),
        ({"lat": 50.0}, "'lat' and 'lon'"),
    ):
        status, body = service.post(ENTITY, ana, variables={"e": {**child, **odd}})
        assert status < 500 and field in body["errors"][0]["message"], body
    assert service.data('{ search(text: "Test Child") { id } }', ana)["search"] == []
    got = service.data(ENTITY, ana, e={**child, "locality": " east "})["upsertEntity"]
    assert got["locality"] == "East"
    # an id of 200 characters is filed under the writer's namespace, and written again by what they were given
    long = service.data(ENTITY, ana, e={**child, "id": "k" * 200})["upsertEntity"]["id"]
    assert long == "east:" + "k" * 200
    assert service.data(ENTITY, ana, e={**child, "id": long, "name": "Cal Dunn"})["upsertEntity"]["name"] == "Cal Dunn"
