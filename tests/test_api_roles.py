"""Need-to-know, proven path by path: every read, for a user of each role, on both stores.

The contract data has two localities (East, West) and facts graded with both handling
codes. Each read path is tried for each role; what comes back is searched for what
that role must never see: anyone from the other locality, a fact graded C for a user
cleared for P only, a child's name for a MACE member.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from contextgraph.model import KINDS, Entity
from contextgraph.store import Store

from .data import rel
from .service import Service, zipped

READS = {
    "entity": '{ entity(id: "c-1") { id name aliases dob properties sources openTo } }',
    "entity_west": '{ entity(id: "c-3") { id name } }',
    "neighbours": '{ entity(id: "c-1") { neighbours(first: 50) { id name neighbours { id name } } } }',
    "network": """{ network(centre: "c-1", depth: 3) { nodes { id name } edges { type source target grading
                    sources } outside { entity count text } graph } }""",
    "network_west": '{ network(centre: "c-3") { nodes { id } } }',
    "search": '{ a: search(text: "benson") { id name } b: search(text: "tyler marsh") { id name }'
    ' c: search(text: "mill road") { id name } }',
    "map": """{ localityMap(locality: "East") { nodes { id name } edges { type source target grading sources }
                hotspots { id name text } truncated geojson graph } }""",
    "at_risk": """{ unopenedAtRisk(first: 50) { total items { id name summary reasons { text other
                    facts { source target grading sources } } } } }""",
    "peer_groups": "{ peerGroups { total items { id members memberNames text places { id name } "
    "personsOfConcern { id name } } } }",
    "hotspots": "{ hotspots { total items { id name text children childrenAtRisk personsOfConcern } } }",
    "persons": "{ personsOfConcern { total items { id name text evidence { source target grading sources } } } }",
    "changes": """{ changesSince(date: "2024-01-01") { links { source target grading } children { id name }
                    hotspots { id name } personsOfConcern { id name now before } tracking { name text } } }""",
    "sources": "{ sources { total items { id kind locality } } }",
    "paths": """{ a: paths(from: "c-4", to: "p-1") { length entities { id name } steps { source target
                    links { type grading sources } } }
                  b: paths(from: "c-1", to: "c-3") { entities { id name } } }""",
}
WEST = ('"c-3"', '"l-2"', "Tyler Marsh", "Mill Road")
C_ONLY = ("1B C", "2C C")  # the exploitation of Kyle Benson, and Zoë Ahmed seen at Carrow Park
CHILD_NAMES = ("Kyle Benson", "Zoë Ahmed", "K. Benson", "Benno", "2009-04-12")
CHILD_LISTS = ("at_risk", "peer_groups")


def read_all(service: Service, token: str, headers: dict[str, str] | None = None) -> dict[str, tuple[str, Any]]:
    """Each read path's answer, as text to search, and its data (None when refused)."""
    out: dict[str, tuple[str, Any]] = {}
    for name, query in READS.items():
        status, body = service.post(query, token, purpose="role test", headers=headers)
        assert status == 200, (name, body)
        out[name] = (json.dumps(body, ensure_ascii=False), body.get("data"))
    status, _, packed = service.call(
        "GET", "/export", token, purpose="role test", headers=headers, recipient="role test"
    )
    if status == 200:
        with zipfile.ZipFile(io.BytesIO(packed)) as z:
            text = "\n".join(z.read(n).decode() for n in z.namelist())
        out["export"] = (text, True)
    else:
        out["export"] = (str(status), None)
    return out


@pytest.mark.parametrize("role", ["analyst", "chair", "mace"])
def test_no_read_reaches_another_locality(service: Service, role: str) -> None:
    seen = read_all(service, service.token(role, ("East",)))
    for name, (text, _) in seen.items():
        for secret in WEST:
            assert secret not in text, f"{role} reached {secret} through {name}"


def test_what_each_role_sees(service: Service) -> None:
    analyst = read_all(service, service.token("analyst"))
    chair = read_all(service, service.token("chair"))
    mace = read_all(service, service.token("mace"))
    admin = read_all(service, service.token("admin", ()))
    # an analyst is cleared for C: the C-graded facts are there (so the checks below can fail)
    for path in ("network", "map", "persons", "export"):
        assert any(c in analyst[path][0] for c in C_ONLY), path
    assert "Kyle Benson" in analyst["entity"][0] and analyst["export"][1]
    # a chair reads P only, in every path, and may not export
    for name, (text, _) in chair.items():
        assert not any(c in text for c in C_ONLY), f"chair saw a C-graded fact through {name}"
    assert chair["export"][0] == "403"
    assert "Kyle Benson" in chair["entity"][0] and chair["at_risk"][1]["unopenedAtRisk"]["total"] == 1
    assert chair["persons"][1]["personsOfConcern"]["items"] == []  # reached only through C-graded facts
    # a MACE member: places, hotspots and persons of concern; children by initials, never by name
    for name, (text, _) in mace.items():
        assert not any(n in text for n in CHILD_NAMES), f"mace saw a child's name through {name}"
    for path in CHILD_LISTS:
        assert "does not allow" in mace[path][0]
    assert mace["entity"][1]["entity"]["name"] == "K.B." and mace["export"][0] == "403"
    assert mace["hotspots"][1]["hotspots"]["items"][0]["id"] == "l-1"
    assert mace["search"][1]["a"] == []  # children are not found by name
    # an admin sees everything, everywhere
    assert "Tyler Marsh" in admin["entity_west"][0] and "c-3" in admin["network_west"][0]
    assert all(s in admin["export"][0] for s in ("c-3", "l-2", "1B C"))


def note(locality: str, day: str, child: str) -> str:
    return f"# MACE – Northbrook {locality}\n\n**Date:** {day}\n\n{child} was seen at the Rec on Friday evening.\n"


def test_counts_and_cursors_tell_nothing_outside(service: Service) -> None:
    east = service.token("analyst", ("East",))
    admin = service.token("admin", ())
    ingest = "mutation($t: String!) { ingestNote(text: $t) { status sourceRef } }"
    for day in ("18/01/2024", "15/02/2024"):
        assert service.data(ingest, east, t=note("East", day, "Jay"))["ingestNote"]["status"] == "ingested"
    assert "not one of your localities" in service.error(ingest, east, t=note("West", "18/01/2024", "Ola"))
    assert service.data(ingest, admin, t=note("West", "18/01/2024", "Ola"))["ingestNote"]["status"] == "ingested"
    total = service.data("{ sources { total } }", east)["sources"]["total"]
    everything = service.data("{ sources { total } }", admin)["sources"]["total"]
    assert (total, everything) == (2, 3)  # the West note is counted only for those who may see it
    page = service.data("{ sources(first: 1) { items { id } next } }", east)["sources"]
    assert page["next"]
    rest = service.data(
        "query($a: String) { sources(first: 50, after: $a) { items { id locality } } }", east, a=page["next"]
    )
    assert {s["locality"] for s in rest["sources"]["items"]} <= {"East"}
    assert "not a cursor" in service.error('{ sources(after: "nonsense!") { total } }', east)
    assert "not one of your localities" in service.error('{ hotspots(locality: "West") { total } }', east)
    assert "not one of your localities" in service.error('{ localityMap(locality: "West") { truncated } }', east)
    long = service.error('{ localityMap(locality: "%s") { truncated } }' % ("E" * 100_000), east)
    assert "not one of your localities" in long and len(long) < 200  # what was sent is not given back whole


def test_an_entity_named_only_under_c_is_hidden_from_p_readers(service: Service) -> None:
    analyst, chair = service.token("analyst"), service.token("chair")
    upsert = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id } }"
    entity = {
        "id": "p-50",
        "kind": "PERSON_OF_CONCERN",
        "name": "Ronan Vale",
        "locality": "East",
        "sourceRef": "intel-east-9",
        "grading": "2B C",
    }
    pid = service.data(upsert, analyst, e=entity)["upsertEntity"]["id"]
    assert pid == "east:p-50"
    assert service.data(f'{{ entity(id: "{pid}") {{ name }} }}', analyst)["entity"] == {"name": "Ronan Vale"}
    assert service.data('{ search(text: "ronan vale") { id } }', analyst)["search"] == [{"id": pid}]
    for token in (chair, service.token("mace")):
        assert service.data(f'{{ entity(id: "{pid}") {{ name }} }}', token)["entity"] is None
        assert service.data('{ search(text: "ronan vale") { id } }', token)["search"] == []
        graph = service.data('{ localityMap(locality: "East") { graph } }', token)["localityMap"]["graph"]
        assert pid not in {n["id"] for n in graph["nodes"]}


@pytest.mark.parametrize("role", ["analyst", "chair", "mace", "admin"])
def test_the_map_graph_as_columns_holds_the_graph(service: Service, role: str) -> None:
    """``graph(columns: true)`` holds what ``graph`` does, field for field, for every role: the
    k-th of each node column is the k-th node, an edge's ends are positions among the nodes."""
    token = service.token(role, () if role == "admin" else ("East",))
    for names in ("full", "initials"):
        status, body = service.post(
            '{ localityMap(locality: "East") { rows: graph cols: graph(columns: true) } }',
            token,
            headers={"X-Names": names},
        )
        assert status == 200 and not body.get("errors"), body
        both = body["data"]["localityMap"]
        rows, n, e = both["rows"], both["cols"]["nodes"], both["cols"]["edges"]
        assert len(rows["nodes"]) == len(n["id"]) > 0 and len(rows["edges"]) == len(e["type"]) > 0
        for k, node in enumerate(rows["nodes"]):
            at = {"x": n["x"][k], "y": n["y"][k]} if n["x"][k] is not None else {}
            assert node == {f: n[f][k] for f in n if f not in ("x", "y")} | at
        for k, edge in enumerate(rows["edges"]):
            ends = {"source": n["id"][e["source"][k]], "target": n["id"][e["target"][k]]}
            assert edge == {f: e[f][k] for f in e} | ends


def test_a_map_is_never_shared_with_a_reader_of_other_localities(store: Store, service: Service) -> None:
    """A map's scores, order and layout come from the reader's whole analysis, which counts the
    evidence of their other localities: a reader of East alone is never given the map a reader of
    East and West was, nor the other way round."""
    store.upsert([], [rel("ASSOCIATES_WITH", "c-4", "c-3"), rel("EXPLOITS", "p-1", "c-3", ref="rhi-west-2024-02-22")])
    ask = """{ localityMap(locality: "East") { graph(columns: true) }
        unopenedAtRisk(locality: "East", first: 50) { items { id score } } }"""
    wide = service.token("analyst", ("East", "West"), user="ana")
    narrow = service.token("analyst", ("East",), user="bob")
    seen = {}
    for who, token in (("wide", wide), ("narrow", narrow), ("wide", wide)):
        data = service.data(ask, token)
        nodes = data["localityMap"]["graph"]["nodes"]
        drawn = {i: s for i, s in zip(nodes["id"], nodes["score"], strict=True) if s is not None}
        listed = {c["id"]: c["score"] for c in data["unopenedAtRisk"]["items"]}
        assert drawn == listed, (who, drawn, listed)
        seen[who] = listed
    # the West evidence counts for the reader of both: the two readers' scores differ
    assert seen["wide"]["c-4"] > seen["narrow"].get("c-4", 0)


PEOPLE_NAMES = ("Kyle Benson", "Zoë Ahmed", "K. Benson", "Benno", "Daniel Okafor", "2009-04-12")


@pytest.mark.parametrize("role", ["analyst", "chair", "admin"])
def test_initials_asked_for_reach_every_answer(service: Service, role: str) -> None:
    """``X-Names: initials`` (the page's "Initials only"): no person's name, alias or date of birth
    in any answer, the reasons' sentences and the export included; without it they are there."""
    token = service.token(role, () if role == "admin" else ("East",))
    full = read_all(service, token)
    assert "Kyle Benson" in full["entity"][0] and "Kyle Benson" in full["network"][0]
    named = read_all(service, token, headers={"X-Names": "initials"})
    for name, (text, _) in named.items():
        assert not [n for n in PEOPLE_NAMES if n in text], f"{role} saw a name through {name} with initials asked"
    assert named["entity"][1]["entity"]["name"] == "K.B."
    if role != "chair":  # the chair reaches the person of concern only through C-graded facts
        assert "Daniel Okafor" in full["persons"][0]
        assert named["persons"][1]["personsOfConcern"]["items"][0]["name"] == "D.O."
    at_risk = named["at_risk"][1]["unopenedAtRisk"]["items"]
    assert at_risk and all(r["text"] for c in at_risk for r in c["reasons"])  # the sentences are still there


def test_a_mace_member_cannot_ask_for_names_and_a_wrong_ask_is_refused(service: Service) -> None:
    mace = read_all(service, service.token("mace"), headers={"X-Names": "full"})
    for name, (text, _) in mace.items():
        assert not any(n in text for n in CHILD_NAMES), f"mace saw a child's name through {name}"
    status, body = service.post("{ me { user } }", service.token("analyst"), headers={"X-Names": "everything"})
    assert status == 400 and "X-Names" in json.dumps(body)


PATH_QUERY = """query($a: ID!, $b: ID!, $n: Int! = 4) { paths(from: $a, to: $b, maxLength: $n) { length
  entities { id name } steps { source target links { type grading sources firstSeen lastSeen } } } }"""


def test_how_two_people_are_linked(service: Service) -> None:
    analyst, chair, admin = service.token("analyst"), service.token("chair"), service.token("admin", ())
    (path,) = service.data(PATH_QUERY, analyst, a="c-4", b="p-1")["paths"]
    assert path["length"] == 3 and [e["id"] for e in path["entities"]] == ["c-4", "l-1", "c-1", "p-1"]
    assert [e["name"] for e in path["entities"]][2] == "Kyle Benson"
    last = path["steps"][-1]["links"][0]
    assert last["type"] == "EXPLOITS" and last["grading"] == "1B C" and last["sources"] == ["mace-east-2024-03-14"]
    assert service.data(PATH_QUERY, analyst, a="c-4", b="p-1", n=2)["paths"] == []
    # a chair reads P only: the exploitation is graded C, so nothing links them for a chair
    assert service.data(PATH_QUERY, chair, a="c-4", b="p-1")["paths"] == []
    # another locality's child answers as an id that does not exist: no oracle
    assert service.data(PATH_QUERY, analyst, a="c-1", b="c-3")["paths"] == []
    assert service.data(PATH_QUERY, analyst, a="c-1", b="nobody")["paths"] == []
    (west,) = service.data(PATH_QUERY, admin, a="c-1", b="c-3")["paths"]
    assert west["length"] == 1 and west["steps"][0]["links"][0]["type"] == "MISSING_WITH"
    assert "maxLength must be" in service.error(PATH_QUERY, analyst, a="c-1", b="c-2", n=0)
    # another locality's record merged into one of yours answers as an id that does not exist too
    service.data('mutation { merge(a: "c-1", b: "c-3", reason: "the same boy") { id } }', admin)
    assert service.data(PATH_QUERY, analyst, a="c-1", b="p-1")["paths"]
    assert service.data(PATH_QUERY, analyst, a="c-3", b="p-1")["paths"] == []
    assert service.data(PATH_QUERY, analyst, a="p-1", b="c-3")["paths"] == []


def test_a_path_never_runs_through_a_service(service: Service) -> None:
    chair, analyst = service.token("chair"), service.token("analyst")
    link = "mutation($l: LinkInput!) { link(link: $l) { type } }"
    for child in ("c-2", "c-4"):
        fact = {"type": "OPEN_TO", "source": child, "target": "svc-YJS", "sourceRef": "csc-1", "grading": "1A P"}
        service.data(link, analyst, l=fact)
    (path,) = service.data(PATH_QUERY, chair, a="c-4", b="c-2")["paths"]
    assert [e["id"] for e in path["entities"]] == ["c-4", "l-1", "c-1", "c-2"]


SAVE = """mutation($n: String!, $l: String!, $s: JSON!, $sh: Boolean!) {
  saveView(name: $n, locality: $l, state: $s, shared: $sh) { id name user locality savedAt state shared mine } }"""
VIEWS = """query($l: String!) { savedViews(locality: $l) { id name user shared mine state } }"""


def test_saved_views_are_kept_shared_within_a_locality_and_removed_by_their_owner(service: Service) -> None:
    ana, bob = service.token("analyst", user="ana"), service.token("chair", user="bob")
    mace = service.token("mace", user="mia")
    west = service.token("analyst", ("West",), user="wes")
    state = {"since": "2024-01-01", "focus": "c-1", "pinned": {"c-1": [10, 20]}, "types": None}
    mine = service.data(SAVE, ana, n="March MACE", l="East", s=state, sh=False)["saveView"]
    assert mine["user"] == "ana" and mine["mine"] and mine["state"] == state and mine["savedAt"]
    shared = service.data(SAVE, ana, n="For the group", l="East", s={"undated": False}, sh=True)["saveView"]
    assert [v["name"] for v in service.data(VIEWS, ana, l="East")["savedViews"]] == ["For the group", "March MACE"]
    # another of the locality sees only what was shared; another role too; another locality nothing
    assert [v["id"] for v in service.data(VIEWS, bob, l="East")["savedViews"]] == [shared["id"]]
    assert [v["id"] for v in service.data(VIEWS, mace, l="East")["savedViews"]] == [shared["id"]]
    assert "not one of your localities" in service.error(VIEWS, west, l="East")
    assert "not one of your localities" in service.error(SAVE, west, n="x", l="East", s={}, sh=True)
    # only the owner removes a view; another's answers as one that does not exist
    delete = "mutation($i: ID!) { deleteView(id: $i) }"
    assert "no saved view" in service.error(delete, bob, i=shared["id"])
    assert "no saved view" in service.error(delete, bob, i="nonesuch")
    assert service.data(delete, ana, i=mine["id"])["deleteView"] is True
    assert [v["id"] for v in service.data(VIEWS, ana, l="East")["savedViews"]] == [shared["id"]]
    # bad input: a name too long, a state not an object or too large
    assert "1 to 100" in service.error(SAVE, ana, n="x" * 101, l="East", s={}, sh=False)
    assert "JSON object" in service.error(SAVE, ana, n="x", l="East", s=[1, 2], sh=False)
    assert "larger than" in service.error(SAVE, ana, n="x", l="East", s={"notes": {"c-1": "x" * 70_000}}, sh=False)


def test_changes_since_a_day_after_the_latest_fact_are_none(service: Service) -> None:
    q = '{ changesSince(date: "2099-01-01", locality: "East") { since links { type } childrenRaised { id } } }'
    assert service.data(q, service.token("analyst"))["changesSince"] == {
        "since": "2099-01-01",
        "links": [],
        "childrenRaised": [],
    }


def test_a_saved_view_names_only_what_its_saver_sees_and_shows_each_reader_only_what_they_see(
    service: Service, _audit_log: Path
) -> None:
    """Saving a view that names an entity outside the saver's view is refused, in the same words
    whether it exists or not, so no one can plant another locality's child in the access log of
    whoever opens the view; a shared view shows each reader only the pins, focus and notes on
    entities they may see, and notes only to those who see as much as the one who wrote them."""
    ana, bob = service.token("analyst", user="ana"), service.token("chair", user="bob")
    mace, ann = service.token("mace", user="mia"), service.token("analyst", user="ann")
    for who in (mace, ana):
        for planted in ("c-3", "c-999"):  # West's child, and an invented id
            state = {"focus": "c-1", "pinned": {planted: [0, 0]}}
            msg = service.error(SAVE, who, n="x", l="East", s=state, sh=True).replace(repr(planted), "ID")
            assert msg == "state names ID, not an entity you may see: nothing was saved"
    # a MACE member is given ids by pseudonym: an id of another form is refused for its form alone
    state = {"focus": "c-1", "pinned": {"no-such-id": [0, 0]}}
    assert "not an id you were given" in service.error(SAVE, mace, n="x", l="East", s=state, sh=True)
    assert "must be an object" in service.error(SAVE, ana, n="x", l="East", s={"notes": ["c-1"]}, sh=True)
    # no field escapes the reader's filter: nothing but the view's own fields, pins only positions
    words = "Kyle Benson lives at 4 Elm Court"
    for bad, field in (
        ({"title": words}, "state.title: not a field of a saved view"),
        ({"pinned": {"c-1": words}}, "state.pinned.c-1 must be a position"),
        ({"pinned": {"c-1": [1, "2"]}}, "state.pinned.c-1 must be a position"),
        ({"notes": {"c-1": "x" * 2001}}, "state.notes.c-1 must be text of at most 2000"),
        ({"types": ["LIVES_AT", words]}, "state.types must be a list of relationship types"),
        ({"since": words}, "state.since must be a date"),
        ({"initials": words}, "state.initials must be true or false"),
    ):
        _, body = service.post(SAVE, ana, "test", {"n": "x", "l": "East", "s": bad, "sh": True})
        assert body.get("errors") and field in body["errors"][0]["message"], (bad, body)
    page = {"since": "", "until": None, "types": ["SEEN_AT"], "undated": True, "initials": False, "focus": None}
    assert service.data(SAVE, ana, n="page", l="East", s={**page, "pinned": {"c-1": [3, -4.5]}}, sh=False)
    (page_view,) = service.data(VIEWS, ana, l="East")["savedViews"]
    assert service.data("mutation($i: ID!) { deleteView(id: $i) }", ana, i=page_view["id"])["deleteView"] is True
    assert service.data(VIEWS, ana, l="East")["savedViews"] == []
    words = "Kyle Benson was seen at the flat"
    state = {"focus": "c-1", "pinned": {"c-1": [1, 2], "l-1": [3, 4]}, "notes": {"c-1": words}}
    saved = service.data(SAVE, ana, n="For the group", l="East", s=state, sh=True)["saveView"]
    assert saved["state"] == state
    views = """query($l: String!) { savedViews(locality: $l) { id name state withheld } }"""
    # another analyst cleared as the writer: everything; a chair (P only) and MACE: no notes, nor
    # the name, which is the writer's words too
    mine = {"id": saved["id"], "name": "For the group", "state": state, "withheld": 0}
    assert service.data(views, ann, l="East")["savedViews"] == [mine]
    for reader in (bob, mace):
        (got,) = service.data(views, reader, l="East")["savedViews"]
        assert got["withheld"] == 2 and got["state"]["notes"] == {} and words not in json.dumps(got)
        assert got["name"] == f"A view of East saved by ana on {saved['savedAt'][:10]} (its name withheld)"
        assert got["state"]["pinned"] == state["pinned"]
    # one who saw more localities than the reader: the reader sees less, so neither name nor notes
    wide = service.token("analyst", ("East", "West"), user="wil")
    named = "Kyle and Tyler Marsh (West)"
    other = service.data(SAVE, wide, n=named, l="East", s={"notes": {"c-1": "with Tyler in West"}}, sh=True)
    shown = {v["id"]: v for v in service.data(views, ann, l="East")["savedViews"]}[other["saveView"]["id"]]
    assert shown["withheld"] == 2 and "Tyler" not in json.dumps(shown)
    assert {v["id"]: v for v in service.data(views, wide, l="East")["savedViews"]}[other["saveView"]["id"]][
        "name"
    ] == named
    # each reading is logged with what it showed, and only that
    logged = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    reads = [r for r in logged if r["operation"] == "consultation" and "savedViews" in json.dumps(r)]
    assert reads and all(set(r["subjects"]) <= {"c-1", "l-1"} for r in reads)
    assert not [r for r in logged if {"c-3", "no-such-id"} & set(r.get("subjects") or [])]


def test_a_views_own_words_reach_no_reader_of_initials_nor_its_saver_under_a_narrower_role(service: Service) -> None:
    """A view's name and notes are its writer's words, which can name anyone: a reader asking for
    initials is not given them, the saver neither; nor is the same user under a role, clearance or
    localities narrower than those they saved it with (a MACE token of the same user name), who
    cannot remove it either."""
    ana = service.token("analyst", user="ana")
    named, words = "Kyle Benson and Zoë Ahmed", "Kyle Benson lives with Daniel Okafor"
    saved = service.data(SAVE, ana, n=named, l="East", s={"notes": {"c-1": words}}, sh=True)["saveView"]
    views = """query($l: String!) { savedViews(locality: $l) { id name state withheld mine } }"""
    initials = {"X-Names": "initials"}
    narrower = {
        "the saver asking initials": (ana, initials),
        "another analyst asking initials": (service.token("analyst", user="ann"), initials),
        "the saver as a MACE member": (service.token("mace", user="ana"), None),
        "the saver cleared for P only": (service.keys.mint("ana", "analyst", ["East"], clearance="P"), None),
    }
    for who, (token, headers) in narrower.items():
        status, body = service.post(views, token, "test", {"l": "East"}, headers)
        assert status == 200 and not body.get("errors"), (who, body)
        (got,) = [v for v in body["data"]["savedViews"] if v["id"] == saved["id"]]
        assert got["withheld"] == 2 and "Kyle" not in json.dumps(got) and "Zo" not in json.dumps(got), (who, got)
    delete = "mutation($i: ID!) { deleteView(id: $i) }"
    assert "no saved view" in service.error(delete, service.token("mace", user="ana"), i=saved["id"])
    # the saver as they saved it reads it all, and removes it
    (got,) = [v for v in service.data(views, ana, l="East")["savedViews"] if v["id"] == saved["id"]]
    assert got["name"] == named and got["state"]["notes"] == {"c-1": words} and got["withheld"] == 0 and got["mine"]
    assert service.data(delete, ana, i=saved["id"])["deleteView"] is True


def test_a_view_saved_before_localities_were_kept_counts_its_own_locality_as_its_savers(
    service: Service, store: Store
) -> None:
    """A view whose record keeps the saver's role and clearance but not their localities (saved
    before they were kept) counts the view's own locality as theirs: a colleague of that locality
    who sees as much reads its name and notes, as before; a chair does not."""
    from contextgraph.store.codec import new_record

    words = {"c-1": "seen with the older boys"}

    def saved(name: str, user: str, role: str, **more: object) -> dict[str, object]:
        rec = new_record("view", name=name, user=user, locality="East", state={"notes": words}, shared=True, role=role)
        rec.update(clearance="C", **more)
        store.add_records([("views", rec)])
        return rec

    rec = saved("Old view", "ana", "analyst")
    views = """query($l: String!) { savedViews(locality: $l) { id name state withheld } }"""
    for reader, shown in ((service.token("analyst", user="ann"), True), (service.token("chair", user="bob"), False)):
        (got,) = [v for v in service.data(views, reader, l="East")["savedViews"] if v["id"] == rec["id"]]
        assert (got["name"] == "Old view", got["state"].get("notes") == words) == (shown, shown), got
    # one saved by an administrator while every locality was written as null: every locality
    wide = saved("Tyler (West) and Kyle", "adm", "admin", localities=None)
    ann = service.token("analyst", user="ann")
    (got,) = [v for v in service.data(views, ann, l="East")["savedViews"] if v["id"] == wide["id"]]
    assert "Tyler" not in got["name"] and got["state"]["notes"] == {} and got["withheld"] == 2


def test_a_mace_member_never_sees_a_home_or_a_school_known_only_through_a_child(service: Service, store: Store) -> None:
    """A place known only as a child's home (``LIVES_AT``) or school (``ATTENDS``) is not found,
    shown, mapped, walked from nor saved in a view by a MACE member, in the same words as for an
    id that does not exist; an analyst sees it, and a place seen anywhere else stays a place."""
    home = Entity("l-9", "location", "22 Ash Grove", locality="East", lat=52.61, lon=-1.05)
    store.upsert([home], [rel("LIVES_AT", "c-2", "l-9"), rel("LIVES_AT", "p-1", "l-1")])
    asks = {
        "search": '{ search(text: "ash grove") { id } }',
        "entity": '{ a: entity(id: "l-9") { id } b: entity(id: "s-1") { id } }',
        "map": '{ localityMap(locality: "East") { nodes { id } edges { type } geojson graph } }',
    }
    mace, ana = service.token("mace"), service.token("analyst")
    for name, ask in asks.items():
        shown, hidden = json.dumps(service.data(ask, ana)), json.dumps(service.data(ask, mace))
        assert "l-9" in shown and "Ash Grove" not in hidden and "l-9" not in hidden, name
    assert service.data(asks["entity"], mace) == {"a": None, "b": None}
    places = {n["id"] for n in service.data(asks["map"], mace)["localityMap"]["nodes"]}
    assert "l-1" in places and "LIVES_AT" not in json.dumps(service.data(asks["map"], mace))
    walk = """query($c: ID!) { network(centre: $c) { nodes { id } } }"""
    assert service.data(walk, mace, c="l-9") == service.data(walk, mace, c="l-404") == {"network": None}
    assert service.data(walk, ana, c="l-9")["network"]["nodes"]
    state = {"pinned": {"l-9": [0, 0]}}
    msg = service.error(SAVE, mace, n="x", l="East", s=state, sh=True)
    assert msg == "state names 'l-9', not an entity you may see: nothing was saved"


@pytest.mark.parametrize("role", ["analyst", "chair"])
def test_a_view_by_initials_shows_no_home_school_or_family(service: Service, store: Store, role: str) -> None:
    """Asked for people by initials (the page's "Initials only", a view to share), a reader is shown
    no link that tells who a person is — a home, a school, a family — in any answer or export, nor
    a place known only so, as a MACE member is not; asked for names, they are. Asking for such a
    link by initials is refused, saying why; a note written by initials is still matched against
    every place the writer may read, so no second home is made."""
    home = Entity("l-9", "location", "22 Ash Grove", locality="East", lat=52.61, lon=-1.05)
    store.upsert([home], [rel("LIVES_AT", "c-2", "l-9"), rel("FAMILY_OF", "c-2", "c-4")])
    episode = {"id": "m-home", "record": "missing_episode", "subject": "c-2", "date": "2024-03-01T21:00",
               "found_at": "l-9", "source": "rhi-1"}  # fmt: skip
    assert service.data(RECORD_ONE, service.token("admin", ()), r=[episode])
    token, initials = service.token(role), {"X-Names": "initials"}
    told = ("LIVES_AT", "ATTENDS", "FAMILY_OF", "Ash Grove", "Northbrook Academy", "lives at", "family of")
    named = "\n".join(text for text, _ in read_all(service, token).values())
    assert [w for w in told if w in named] == list(told[:5])
    shown = read_all(service, token, headers=initials)
    if role == "analyst":  # every format of an export
        for fmt in ("graphml", "geojson", "i2csv"):
            got = service.call("GET", "/export", token, purpose="t", headers=initials, recipient="t", format=fmt)
            assert got[0] == 200, (fmt, got[2][:200])
            shown[fmt] = (unzipped(got[2]), True)
    for name, (text, _) in shown.items():
        assert not [w for w in told if w in text], name
    ask = '{ entity(id: "p-1") { neighbours(types: [ATTENDS, LIVES_AT]) { id } } }'
    _, body = service.post(ask, token, headers=initials)
    refused = "a view by initials shows no ATTENDS, LIVES_AT links: they tell who a person is"
    assert body["errors"][0]["message"] == refused
    text = "# MACE – Northbrook East\n\n**Date:** 02/05/2024\n\nZoë Ahmed was seen at 22 Ash Grove on Friday.\n"
    status, _, _ = service.call("POST", "/notes", token, text.encode(), "text/markdown", headers=initials, name="a.md")
    assert status == 200
    assert [e.id for e, _ in store.search("ash grove", kinds=["location"])] == ["l-9"]


def test_what_only_a_note_under_c_says_of_a_child_reaches_no_reader_cleared_for_p(
    service: Service, store: Store
) -> None:
    """A child and a place named openly of which an intelligence note under C gives a fuller name,
    an alias, a date of birth, a flag, coordinates and its own file name: a chair (cleared for P)
    is shown none of them anywhere — entity, search, map nodes, graph and GeoJSON, a walk, the
    ranking — finds no one by them, and a P-cleared analyst's export holds none; an analyst
    cleared for C sees them all."""
    store.upsert(
        [
            Entity("c-2", "child", "Zoë Ahmed", locality="East", sources=["log-east-9"], handling=["P"]),
            Entity("l-1", "location", "The Yard", locality="East", sources=["log-east-9"], handling=["P"]),
        ],
        [],
    )
    told = Entity(
        "c-2",
        "child",
        "Zoë Ann Ahmed",
        aliases=["Ghostie"],
        dob="2010-02-03",
        locality="East",
        properties={"risk_level": "high", "exploitation_types": ["CSE"]},
        sources=["intel-secret-77"],
        handling=["C"],
    )
    yard = Entity(
        "l-1",
        "location",
        "Secret Yard behind 12 Elm St",
        locality="East",
        lat=51.111,
        lon=-1.5,
        sources=["intel-secret-77"],
        handling=["C"],
    )
    store.upsert([told, yard], [rel("SEEN_AT", "c-2", "l-1", ref="intel-secret-77", grading="1B C")])
    secrets = ("Ghostie", "2010-02-03", "intel-secret-77", "CSE", "Ann Ahmed", "Secret Yard", "51.111")
    asks = [
        '{ entity(id: "c-2") { name aliases dob properties sources } }',
        '{ search(text: "Ghostie") { id name aliases } }',
        '{ search(text: "Zoe Ann Ahmed") { id name aliases } }',
        '{ search(text: "Zoe Ahmed") { id name aliases dob properties sources } }',
        '{ localityMap(locality: "East") { nodes { id name aliases dob properties sources lat } graph geojson } }',
        '{ network(centre: "l-1", depth: 1) { nodes { id name aliases dob properties sources lat } } }',
        '{ unopenedAtRisk(locality: "East") { items { id name flagged summary reasons { text } } } }',
    ]
    chair, ana = service.token("chair"), service.token("analyst")
    for ask in asks:
        hidden = json.dumps(service.data(ask, chair))
        assert not [s for s in secrets if s in hidden], (ask, hidden)
    assert service.data(asks[1], chair) == {"search": []}
    assert service.data(asks[1], ana)["search"][0]["id"] == "c-2"
    assert service.data(asks[0], chair)["entity"]["name"] == "Zoë Ahmed"
    assert all(s in json.dumps([service.data(a, ana) for a in asks]) for s in secrets)
    merge = 'mutation { merge(a: "c-2", b: "c-4", reason: "INTEL-77 Ghostie is Tank\'s runner") { id } }'
    service.data(merge, ana)
    secrets += ("INTEL-77",)
    p_ana = service.keys.mint("ana", "analyst", ["East"], clearance="P")
    status, _, raw = service.call("GET", "/export", p_ana, purpose="strategy", recipient="CSC East")
    assert status == 200 and raw
    files = zipfile.ZipFile(io.BytesIO(raw))
    assert "INTEL-77" not in files.read("judgements.jsonl").decode()
    text = files.read("entities.jsonl").decode()
    assert "Zoë Ahmed" in text and "The Yard" in text and not [s for s in secrets if s in text]
    # their export imported again changes nothing they see, with or without what was said under C
    lines = {json.loads(x)["id"]: x for x in text.splitlines()}
    for kid in ("c-2", "c-1"):
        if kid in lines:
            status, _, body = service.call(
                "POST", "/import", p_ana, zipped({"entities.jsonl": lines[kid] + "\n"}), "application/zip"
            )
            assert status == 200 and json.loads(body)["entities_updated"] == 0, (kid, body)
    assert {"c-1", "c-2"} <= set(lines)


def test_a_move_said_only_under_c_shows_no_chair_where_the_child_went(service: Service, store: Store) -> None:
    """A child of East whom an intelligence note under C places in West: East's chair (cleared for
    P) still has them on East's map and list, West's chair finds them nowhere — not on the map, in
    search or by id — and an analyst of West cleared for C sees them there."""
    store.upsert([Entity("c-2", "child", "Zoë Ahmed", locality="West", sources=["intel-3"], handling=["C"])], [])
    east, west = service.token("chair", ("East",), user="ch-e"), service.token("chair", ("West",), user="ch-w")
    ana_west = service.token("analyst", ("West",), user="an-w")
    ask = '{ localityMap(locality: "%s") { graph } }'

    def nodes(token: str, loc: str) -> dict[str, str]:
        graph = service.data(ask % loc, token)["localityMap"]["graph"]
        return {n["id"]: n["locality"] for n in graph["nodes"]}

    assert nodes(east, "East")["c-2"] == "East"
    assert "c-2" not in nodes(west, "West")
    assert nodes(ana_west, "West")["c-2"] == "West"
    assert service.data('{ search(text: "Zoe Ahmed") { id } }', west) == {"search": []}
    assert service.data('{ search(text: "Zoe Ahmed") { id } }', east)["search"][0]["id"] == "c-2"
    ask = '{ entity(id: "%s") { name } }'
    assert service.data(ask % "c-2", west) == service.data(ask % "c-999", west) == {"entity": None}
    assert service.data(ask % "c-2", east) == {"entity": {"name": "Zoë Ahmed"}}
    # a record an East writer cleared for P files about the child takes an id of East's namespace
    east_p = service.keys.mint("an-e", "analyst", ["East"], clearance="P")
    record = {"id": "r-1", "record": "referral", "subject": "c-2", "date": "2025-01-10", "source": "form-1"}
    record.update(source_agency="school", decision="accepted")
    got = service.data("mutation($r: [JSON!]!) { recordTracking(records: $r) { id } }", east_p, r=[record])
    assert got == {"recordTracking": [{"id": "east.p:r-1"}]}


NAMED_REF = "rhi-Kyle-Benson-2024-03-02"  # an imported record's ref, chosen by its writer
NAMED_FILE = "Kyle Benson return interview.pdf"
NOTE_REF = "mace-east-2024-03-20-ab12cd"  # a recorded note's ref, made by the service
REF_READS = {
    "place": '{ entity(id: "l-7") { sources timeline { source text } } }',
    "walk": """{ network(centre: "l-7") { edges { sources } graph } }""",
    "child": '{ entity(id: "c-1") { timeline { source text } } }',
    "paths": '{ paths(from: "c-2", to: "c-1") { steps { links { sources } } } }',
    "map edges": '{ localityMap(locality: "East") { edges { sources } } }',
}


def test_a_record_ref_that_names_a_child_reaches_no_reader_of_initials(service: Service, store: Store) -> None:
    """A ref an import chose (an interview named after the child), on a link, a place and a missing
    episode: a MACE member, and a reader who asked for initials, are given a recorded note's ref as
    it is and any other withheld, in every answer, sentence and export; a reader of names sees it."""
    store.add_records([("sources", {"id": NOTE_REF, "kind": "MACE", "date": "2024-03-20", "locality": "East"})])
    place = Entity("l-7", "location", "Canal Basin", locality="East", sources=[NAMED_REF, NOTE_REF])
    store.upsert([place], [rel("SEEN_AT", "c-1", "l-7", ref=NAMED_REF), rel("SEEN_AT", "c-2", "l-7", ref=NOTE_REF)])
    missing = {"id": "m9", "record": "missing_episode", "subject": "c-1", "date": "2024-03-01T21:00",
               "source": NAMED_FILE, "found_at": "l-7"}  # fmt: skip
    assert service.data(RECORD_ONE, service.token("admin", ()), r=[missing])
    # a reader of names asks first: what is kept for them is not what a reader of initials is given
    for role in ("analyst", "chair"):
        assert NAMED_REF in json.dumps(service.data(REF_READS["map edges"], service.token(role)))
    readers = {
        "mace": (service.token("mace"), None),
        "chair asking initials": (service.token("chair"), {"X-Names": "initials"}),
        "analyst asking initials": (service.token("analyst"), {"X-Names": "initials"}),
    }
    for who, (token, headers) in readers.items():
        seen = read_all(service, token, headers)
        for name, ask in REF_READS.items():
            status, body = service.post(ask, token, purpose="role test", headers=headers)
            assert status == 200, (who, name, body)
            seen[name] = (json.dumps(body, ensure_ascii=False), body.get("data"))
        if who == "analyst asking initials":  # the other formats of an export too
            for fmt in ("graphml", "i2csv"):
                got = service.call("GET", "/export", token, purpose="t", headers=headers, recipient="t", format=fmt)
                assert got[0] == 200, (fmt, got[2][:200])
                seen[fmt] = (unzipped(got[2]), True)
                assert NOTE_REF in seen[fmt][0], fmt
        text = "\n".join(t for t, _ in seen.values())
        assert "Kyle-Benson" not in text and "Kyle Benson" not in text, who
        assert NOTE_REF in seen["walk"][0] and "withheld: a record's ref" in seen["walk"][0], who
    analyst = service.token("analyst")
    assert NAMED_REF in read_all(service, analyst)["export"][0]
    for ask in (REF_READS["place"], REF_READS["walk"], REF_READS["map edges"]):
        assert NAMED_REF in json.dumps(service.data(ask, analyst))
    assert NAMED_FILE in json.dumps(service.data(REF_READS["child"], analyst))


TOLD_READS = {
    "unopenedAtRisk": """{ unopenedAtRisk(first: 50) { items { id reasons { other facts { source target } } } } }""",
    "personsOfConcern": "{ personsOfConcern { items { id evidence { source target } } } }",
    "peerGroups": "{ peerGroups { items { id members personsOfConcern { id } places { id } } } }",
    "changesSince": """{ changesSince(date: "2024-01-01") { links { source target } children { id }
        childrenRaised { id } childrenNewlyOpen { id } childrenNewlyKnown { id } personsOfConcern { id }
        tracking { subject text } } }""",
    "timeline": '{ entity(id: "l-1") { timeline { subject fields } } }',
}


@pytest.mark.parametrize("role", ["analyst", "chair", "mace"])
def test_every_person_an_answer_names_is_in_its_record_of_the_access_log(
    service: Service, store: Store, _audit_log: Path, role: str
) -> None:
    """A read's record in the access log names every person its answer names, by id: the other
    end of a reason and the facts behind it, the children a person of concern is linked to, the
    people a tracking record names beside its subject (in the changes, and in a place's timeline)."""
    episode = {"id": "m-told", "record": "missing_episode", "subject": "c-1", "date": "2024-03-01T21:00",
               "found_at": "l-1", "with_children": ["c-9"], "source": "rhi-1"}  # fmt: skip
    store.upsert([Entity("c-9", "child", "Ava Stone", locality="East")], [])  # named nowhere but in the episode
    assert service.data(RECORD_ONE, service.token("admin", ()), r=[episode])
    token = service.token(role)
    people = {e.id for e in store.iter_entities() if KINDS[e.kind].person}
    for name, ask in TOLD_READS.items():
        before = len(_audit_log.read_text().splitlines())
        status, body = service.post(ask, token, purpose="log test")
        if role == "mace" and name in ("unopenedAtRisk", "peerGroups"):
            continue  # refused: not part of the MACE view
        assert status == 200 and not body.get("errors"), (name, body)
        added = [json.loads(x) for x in _audit_log.read_text().splitlines()[before:]]
        subjects = {x for r in added if r["detail"].get("graphql") == name for x in r["subjects"]}
        # a MACE member is given pseudonyms: each read back as the record it stands for
        named = {store.canonical_id(_read_back(_audit_log, x)) for x in _strings(body["data"])} & people
        assert named <= subjects, (role, name, named, subjects)
        if name in ("personsOfConcern", "peerGroups", "unopenedAtRisk"):  # and no one it does not show
            assert subjects <= named, (role, name, subjects - named)
        assert named or role != "analyst", name  # each read names someone
        if name in ("timeline", "changesSince") and role != "mace":  # a MACE member reads no records about children
            assert {"c-1", "c-9"} <= subjects, (name, subjects)  # c-9 is named only in the episode's words


def _strings(data: Any) -> set[str]:
    if isinstance(data, dict):
        return {x for v in data.values() for x in _strings(v)}
    if isinstance(data, list):
        return {x for v in data for x in _strings(v)}
    return {data} if isinstance(data, str) else set()


def _read_back(log: Path, shown: str) -> str:
    """The store's id of an id as a reader was given it (a pseudonym read back)."""
    from contextgraph.service.audit import AuditLog
    from contextgraph.service.pseudonyms import of_log

    return of_log(AuditLog(log)).read(shown) or shown


def test_a_notes_file_name_reaches_no_reader_of_initials(service: Service, store: Store) -> None:
    """A note's file name is its writer's choice and can name a child: a reader who asked for
    initials is not given it; a reader of names who sees files is."""
    store.add_records([("sources", {"id": NOTE_REF, "kind": "MACE", "date": "2024-03-20", "locality": "East",
                                    "file": "Jay-Smith-referral.md"})])  # fmt: skip
    store.upsert([], [rel("SEEN_AT", "c-2", "l-1", ref=NOTE_REF)])
    ask = "{ sources { items { id file } } }"
    for role in ("analyst", "admin"):
        token = service.token(role, () if role == "admin" else ("East",))
        assert "Jay-Smith-referral.md" in json.dumps(service.data(ask, token)), role
        status, body = service.post(ask, token, "test", None, {"X-Names": "initials"})
        assert status == 200 and NOTE_REF in json.dumps(body) and "Jay-Smith" not in json.dumps(body), (role, body)


def unzipped(packed: bytes) -> str:
    """Every file of an answer as text, the answer itself when it is not a zip."""
    if not packed.startswith(b"PK"):
        return packed.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(packed)) as z:
        return "\n".join(z.read(n).decode("utf-8-sig") for n in z.namelist())


RECORD_ONE = """mutation($r: [JSON!]!) { recordTracking(records: $r) { id } }"""


NAMED_ID = "c-Jade-Okoro-7"  # an imported child's id, chosen by its writer, that names her
SHORT_ID = "jade-7"  # as short as a name gets
NAMED_HOME = "l-Okoro-home"
NAMED_RECORD = "rhi-Jade-Okoro-2024-03-02"
GUESSES = (NAMED_ID, "c-Jade-Okoro-8", SHORT_ID, "jade-8")  # each: one that exists, one that does not


def test_an_id_that_names_a_child_reaches_no_reader_of_initials(
    service: Service, store: Store, _audit_log: Path
) -> None:
    """Records whose writer named their ids after a child: a MACE member, and readers who asked for
    initials, are given a pseudonym for each in every answer, export and saved view, and it reads
    back as the record; an id guessed is refused the same whether it exists or not; a reader of
    names is given the ids as they are; the access log records the store's ids."""
    jade = Entity(NAMED_ID, "child", "Jade Okoro", locality="East", sources=[NOTE_REF])
    twin = Entity(SHORT_ID, "child", "Jade Mills", locality="East")
    home = Entity(NAMED_HOME, "location", "Ashby Court", locality="East", lat=52.61, lon=-1.05)
    quay = Entity('l-West\\Okoro\'s "home"', "location", "Quay Steps", locality="West", lat=52.5, lon=-1.2)
    links = [
        rel("ASSOCIATES_WITH", NAMED_ID, "c-1"),
        rel("SEEN_AT", NAMED_ID, "l-1"),
        rel("ASSOCIATES_WITH", SHORT_ID, "c-1"),
    ]
    links += [rel("SEEN_AT", "c-1", NAMED_HOME), rel("SEEN_AT", "c-3", quay.id)]
    store.upsert([jade, twin, home, quay], links)
    missing = {"id": NAMED_RECORD, "record": "missing_episode", "subject": NAMED_ID, "date": "2024-03-01T21:00",
               "source": NOTE_REF, "found_at": NAMED_HOME}  # fmt: skip
    assert service.data(RECORD_ONE, service.token("admin", ()), r=[missing])
    analyst = service.token("analyst")
    graph = service.data('{ localityMap(locality: "East") { graph } }', analyst)["localityMap"]["graph"]
    assert {NAMED_ID, SHORT_ID, NAMED_HOME} <= {n["id"] for n in graph["nodes"]}  # a reader of names: as they are
    readers = {
        "mace": (service.token("mace", user="mace-1"), None),
        "chair asking initials": (service.token("chair", user="chair-1"), {"X-Names": "initials"}),
        "analyst asking initials": (analyst, {"X-Names": "initials"}),
    }
    for who, (token, headers) in readers.items():
        seen = _given_to(service, who, token, headers)
        text = "\n".join(seen.values())
        assert "Okoro" not in text and SHORT_ID not in text, (who, [k for k, v in seen.items() if "Okoro" in v])
        # an id guessed: refused in the same words whether it exists or not
        errors = {}
        for guess in GUESSES:
            _, body = service.post("query($i: ID!) { entity(id: $i) { name } }", token, "t", {"i": guess}, headers)
            assert body.get("data") in (None, {"entity": None}), (who, body)
            errors[guess] = body["errors"][0]["message"].replace(guess, "ID")
        assert len(set(errors.values())) == 1 and "not an id you were given" in errors[NAMED_ID], errors
    # a pseudonym of another locality's record, sent by a writer: refused, quoting the pseudonym
    west = service.token("analyst", ("West",), user="an-w")
    _, body = service.post('{ network(centre: "c-3") { nodes { id name } } }', west, "t", None, {"X-Names": "initials"})
    given = next(n["id"] for n in body["data"]["network"]["nodes"] if n["name"] == "Quay Steps")
    link = 'mutation($t: ID!) { link(link: {type: SEEN_AT, source: "c-1", target: $t}) { source } }'
    for headers in (None, {"X-Names": "initials"}):
        _, body = service.post(link, analyst, "t", {"t": given}, headers)
        assert body.get("errors") and given in body["errors"][0]["message"], body
        assert "Okoro" not in json.dumps(body), body
    # a reader of names who opens the views saved by readers of initials is given the store's ids
    views = service.data('{ savedViews(locality: "East") { state } }', analyst)["savedViews"]
    assert any(v["state"].get("focus") == NAMED_HOME for v in views)
    # the access log names the store's records, never a pseudonym
    logged = _audit_log.read_text(encoding="utf-8")
    assert NAMED_HOME in logged and '"x-' not in logged


def _given_to(service: Service, who: str, token: str, headers: dict[str, str] | None) -> dict[str, str]:
    """Every answer a reader of initials is given about the records named after a child, reading
    back the pseudonyms they are given: what they read, by path."""

    def ask(query: str, **variables: Any) -> tuple[str, Any]:
        status, body = service.post(query, token, purpose="role test", variables=variables, headers=headers)
        assert status == 200 and not body.get("errors"), (who, query, body)
        return json.dumps(body, ensure_ascii=False), body

    seen = {k: v[0] for k, v in read_all(service, token, headers).items()}
    seen["map"], body = ask('{ localityMap(locality: "East") { graph nodes { id } hotspots { id } geojson } }')
    given = {n["name"]: n["id"] for n in body["data"]["localityMap"]["graph"]["nodes"]}
    place = given["Ashby Court"]
    assert place.startswith("x-") and place in {n["id"] for n in body["data"]["localityMap"]["nodes"]}
    # the pseudonym reads back as the record: a place, its network, a path through it
    seen["place"], body = ask("query($i: ID!) { entity(id: $i) { id name timeline { id subject fields } } }", i=place)
    assert body["data"]["entity"]["id"] == place and body["data"]["entity"]["name"] == "Ashby Court"
    seen["network"], body = ask(
        "query($i: ID!) { network(centre: $i) { nodes { id name } edges { source target } outside { entity } graph } }",
        i=place,
    )
    jade = next(n["id"] for n in body["data"]["network"]["nodes"] if n["name"] == "J.O.")
    assert jade.startswith("x-")
    seen["paths"], body = ask(
        "query($a: ID!, $b: ID!) { paths(from: $a, to: $b) { entities { id } steps { source target } } }",
        a=jade,
        b="l-1",
    )
    assert body["data"]["paths"][0]["entities"][0]["id"] == jade
    if who != "mace":  # a child's timeline and pathway, for the roles that read them
        seen["child"], body = ask(
            "query($i: ID!) { entity(id: $i) { name timeline { id subject fields } pathway { record } } }", i=jade
        )
        assert body["data"]["entity"]["name"] == "J.O."
        assert body["data"]["entity"]["timeline"][0]["id"].startswith("x-")
        assert body["data"]["entity"]["timeline"][0]["fields"]["found_at"] == place
    # a saved view holds the store's ids, and gives each reader theirs
    state = {"focus": place, "pinned": {place: [1, 2]}}
    seen["save"], body = ask(
        'mutation($s: JSON!) { saveView(name: "v", locality: "East", state: $s) { id state } }', s=state
    )
    assert body["data"]["saveView"]["state"] == state
    seen["views"], _ = ask('{ savedViews(locality: "East") { state } }')
    if who == "analyst asking initials":  # a writer's record, given back as their timeline shows it
        record = {"id": "m-2", "record": "missing_episode", "subject": jade, "date": "2024-03-05T20:00",
                  "source": "rhi-Jade-Okoro-2.pdf", "push_pull": "with Sam Okoro", "found_at": place}  # fmt: skip
        query = "mutation($r: [JSON!]!) { recordTracking(records: $r) { id subject source fields } }"
        seen["record"], body = ask(query, r=[record])
        assert body["data"]["recordTracking"][0]["subject"] == jade
        # the same child named twice, once by pseudonym and once by id, is one child
        twice = {**record, "id": "m-3", "with_children": [NAMED_ID]}
        _, body = service.post(query, token, "t", {"r": [twice]}, headers)
        assert "names the child the episode is about" in body["errors"][0]["message"], body
        for fmt in ("jsonl", "graphml", "i2csv", "geojson"):
            got = service.call("GET", "/export", token, purpose="t", headers=headers, recipient="t", format=fmt)
            assert got[0] == 200, (fmt, got[2][:200])
            seen[fmt] = unzipped(got[2])
            assert place in seen[fmt], fmt
    return seen
