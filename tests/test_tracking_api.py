"""Tracking records through GraphQL, per role, on each store over real HTTP: written by those
who may write, in their localities only; read in a timeline as each role may see them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contextgraph.store import Store

from .cli import cg
from .service import Service, zipped

RECORD = """mutation($r: [JSON!]!) { recordTracking(records: $r) { id record subject recordedBy text involves } }"""
TIMELINE = """query($id: ID!) { entity(id: $id) {
  timeline { id record date subject grading fields involves text recordedBy source }
  pathway { day before after direction }
} }"""


def rec(i: str, kind: str, subject: str, when: str, **fields: Any) -> dict[str, Any]:
    return {"id": i, "record": kind, "subject": subject, "date": when, "source": "form-1", **fields}


RECORDS = [
    rec("r1", "referral", "c-1", "2025-01-10", source_agency="school", decision="accepted", exploitation_types=["CCE"]),
    rec("a1", "risk_assessment", "c-1", "2025-01-12", level="green"),
    rec("a2", "risk_assessment", "c-1", "2025-03-01", level="red"),
    rec("m1", "missing_episode", "c-1", "2025-02-01T21:30", returned="2025-02-02T09:00", found_at="l-1",
        with_children=["c-3"], push_pull="went to see Daniel Okafor", interview_declined=True),
    rec("i1", "risk_assessment", "c-1", "2025-02-10", level="amber", grading="2B C"),
    rec("d1", "disruption", "p-1", "2025-03-05", disruption_kind="CAWN", children=["c-1"], outcome="served on Okafor",
        by="Police; Kyle Benson (DOB 12/04/2009) of 22 Ash Grove"),
]  # fmt: skip


@pytest.fixture
def recorded(service: Service) -> Service:
    got = service.data(RECORD, service.token("admin", ()), r=RECORDS)["recordTracking"]
    assert [x["id"] for x in got] == [r["id"] for r in RECORDS]
    assert {x["recordedBy"] for x in got} == {"ana"}  # who is signed in, whatever a record says
    return service


def timeline(service: Service, token: str, eid: str) -> Any:
    return service.data(TIMELINE, token, id=eid)["entity"]


def test_an_analyst_reads_a_childs_timeline_and_pathway(recorded: Service) -> None:
    got = timeline(recorded, recorded.token("analyst", ("East",)), "c-1")
    assert [t["id"] for t in got["timeline"]] == ["r1", "a1", "m1", "i1", "a2", "d1"]
    m1 = got["timeline"][2]
    # the West child missing with them is not one the East analyst sees: not named, not counted
    assert m1["involves"] == ["c-1", "l-1"] and "c-3" not in str(m1)
    assert m1["text"].startswith("missing from 1 February 2025, 21:30") and "Carrow Park skate area" in m1["text"]
    assert [(s["after"], s["direction"]) for s in got["pathway"]] == [
        ("green", "first"),
        ("amber", "up"),
        ("red", "up"),
    ]


def test_a_reader_cleared_for_p_does_not_see_a_c_graded_record(recorded: Service) -> None:
    got = timeline(recorded, recorded.token("chair", ("East",), user="chair-1"), "c-1")
    assert "i1" not in [t["id"] for t in got["timeline"]]
    assert [(s["after"], s["direction"]) for s in got["pathway"]] == [("green", "first"), ("red", "up")]


def test_a_mace_member_sees_records_about_contexts_with_children_by_initials(recorded: Service) -> None:
    mace = recorded.token("mace", ("East",), user="mace-1")
    assert timeline(recorded, mace, "c-1")["timeline"] == []  # a child's case history is not MACE's
    (d1,) = timeline(recorded, mace, "p-1")["timeline"]
    assert d1["text"] == "Child Abduction Warning Notice served in respect of K.B."
    assert "outcome" not in d1["fields"] and "Okafor" not in str(d1)  # free text left out
    # and the short texts meant for an agency, and the file it came from: a writer can put a name there
    assert "by" not in d1["fields"] and "Benson" not in str(d1) and "Ash Grove" not in str(d1)
    assert d1["source"] == "(withheld: a file name can name a child)"
    ana = timeline(recorded, recorded.token("analyst", ("East",)), "p-1")["timeline"][0]
    assert ana["source"] == "form-1" and ana["fields"]["by"].startswith("Police")
    assert timeline(recorded, mace, "l-1")["timeline"] == []  # the episode found there is a child's


def test_another_localitys_reader_sees_nothing(recorded: Service) -> None:
    west = recorded.token("analyst", ("West",), user="wes")
    assert recorded.data(TIMELINE, west, id="c-1")["entity"] is None
    assert timeline(recorded, west, "c-3")["timeline"] == []  # named in m1, but m1 is about an East child


@pytest.mark.parametrize("role", ["chair", "mace"])
def test_roles_that_do_not_write_may_not_record(service: Service, role: str) -> None:
    message = service.error(RECORD, service.token(role, ("East",), user=f"{role}-1"), r=[RECORDS[1]])
    assert "does not allow changes to the graph" in message


def test_an_analyst_records_only_about_their_localitys_entities(service: Service) -> None:
    ana = service.token("analyst", ("East",))
    west = service.error(RECORD, ana, r=[rec("x", "risk_assessment", "c-3", "2025-01-01", level="red")])
    nobody = service.error(RECORD, ana, r=[rec("x", "risk_assessment", "c-404", "2025-01-01", level="red")])
    assert west.replace("c-3", "c-404") == nobody == "records[0]: field 'subject': no entity 'c-404' in your localities"
    bad = service.error(
        RECORD, ana, r=[RECORDS[1], rec("y", "disruption", "c-1", "2025-01-01", disruption_kind="ARREST")]
    )
    assert bad.startswith("records[1]: field 'subject': 'c-1' is a child")
    assert timeline(service, ana, "c-1")["timeline"] == []  # nothing of either batch written
    twice = service.error(RECORD, ana, r=[RECORDS[1], RECORDS[1]])
    assert twice == f"records[1]: field 'id': {RECORDS[1]['id']!r} is also the id of records[0]"
    # the same record twice, once as its id in the writer's namespace ("east:a1"): one record too
    spaced = {**RECORDS[1], "id": f"east:{RECORDS[1]['id']}"}
    twice = service.error(RECORD, ana, r=[spaced, RECORDS[1]])
    assert twice == "records[1]: field 'id': it is also the id of records[0]"
    assert timeline(service, ana, "c-1")["timeline"] == []
    ok = service.data(RECORD, ana, r=[RECORDS[1]])["recordTracking"]
    assert ok[0]["text"] == "assessed green on the pathway"


MAP = """query($l: String!) { localityMap(locality: $l) { tracking { month record count } } }"""


def months(service: Service, token: str, locality: str = "East") -> set[tuple[str, str, int]]:
    got = service.data(MAP, token, l=locality)["localityMap"]["tracking"]
    return {(m["month"], m["record"], m["count"]) for m in got}


def test_the_maps_timeline_counts_only_the_records_each_role_may_read(recorded: Service) -> None:
    """The map's records by month (drawn under its timeline) are those each reader's timelines
    would show them, counted once each, about the locality's entities."""
    everything = {
        ("2025-01", "REFERRAL", 1),
        ("2025-01", "RISK_ASSESSMENT", 1),
        ("2025-02", "MISSING_EPISODE", 1),
        ("2025-02", "RISK_ASSESSMENT", 1),
        ("2025-03", "RISK_ASSESSMENT", 1),
        ("2025-03", "DISRUPTION", 1),
    }
    assert months(recorded, recorded.token("analyst", ("East",))) == everything
    # cleared for P only: the C-graded assessment is neither shown nor counted
    chair = months(recorded, recorded.token("chair", ("East",), user="chair-1"))
    assert chair == everything - {("2025-02", "RISK_ASSESSMENT", 1)}
    # a MACE member: records about contexts only (the disruption against a person of concern)
    assert months(recorded, recorded.token("mace", ("East",), user="mace-1")) == {("2025-03", "DISRUPTION", 1)}
    # the West child named in an East child's episode does not bring it to West's map
    assert months(recorded, recorded.token("analyst", ("West",), user="wes"), "West") == set()


UPSERT = "mutation($e: EntityInput!) { upsertEntity(entity: $e) { id locality } }"


def test_a_write_of_a_locality_the_area_does_not_configure_is_refused(service: Service) -> None:
    """An administrator's mistyped locality would file a record where no one's token reaches it, as
    an import's would: refused in the same words. A writer of some localities is held to theirs and
    told of no other."""
    admin, analyst = service.token("admin", ()), service.token("analyst", ("East",))
    told = service.error(
        RECORD, admin, r=[rec("t1", "risk_assessment", "c-1", "2025-01-12", level="red", locality="Eest")]
    )
    assert told.startswith("records[0]: field 'locality': 'Eest' is not a locality of the area (")
    assert "add it with: contextgraph localities add Eest" in told
    child = {"id": "c-90", "kind": "CHILD", "name": "Rae Dunmore", "locality": "Eest"}
    assert service.error(UPSERT, admin, e=child).startswith("field 'locality': 'Eest' is not a locality of the area")
    theirs = service.error(
        RECORD, analyst, r=[rec("t1", "risk_assessment", "c-1", "2025-01-12", level="red", locality="Eest")]
    )
    assert "not one of your localities" in theirs and "of the area" not in theirs
    # a token naming a locality no one configured files nothing under it, and is told of no other
    odd = service.token("analyst", ("East", "Eest"))
    for told in (
        service.error(RECORD, odd, r=[rec("t1", "risk_assessment", "c-1", "2025-01-12", level="red", locality="Eest")]),
        service.error(UPSERT, odd, e=child),
    ):
        assert "field 'locality': 'Eest' is not a locality of the area; ask an administrator" in told, told
    said = json.dumps(child | {"kind": "child"}) + "\n"
    status, _, body = service.call("POST", "/import", odd, zipped({"entities.jsonl": said}), "application/zip")
    assert status == 422 and json.loads(body)["detail"] == [
        "entity 'c-90': field 'locality': 'Eest' is not a locality of the area; ask an administrator"
    ]
    assert timeline(service, admin, "c-1")["timeline"] == []
    # the same written rightly is taken
    ok = service.data(
        RECORD, admin, r=[rec("t1", "risk_assessment", "c-1", "2025-01-12", level="red", locality="East")]
    )
    assert [x["id"] for x in ok["recordTracking"]] == ["t1"]
    assert service.data(UPSERT, analyst, e={**child, "locality": "East"})["upsertEntity"]["locality"] == "East"


def test_ids_of_any_script_written_in_a_namespace_are_exported_and_imported_again(
    service: Service, store: Store, tmp_path: Path
) -> None:
    """A writer's new ids take their locality's namespace (``east:``): ids in Cyrillic or Greek
    letters are as welcome as ever, and the store's own export of them imports again (the colon
    parts the words, so ``east:иван-1`` is no word of two scripts)."""
    analyst = service.token("analyst", ("East",))
    got = service.data(RECORD, analyst, r=[rec("\u0442-1", "risk_assessment", "c-1", "2025-01-12", level="red")])
    assert [x["id"] for x in got["recordTracking"]] == ["east:\u0442-1"]
    child = {"id": "\u0438\u0432\u0430\u043d-1", "kind": "CHILD", "name": "Ivan Petrov", "locality": "East"}
    assert service.data(UPSERT, analyst, e=child)["upsertEntity"]["id"] == "east:иван-1"
    out = tmp_path / "out"
    assert cg("export", str(out), "--store", store.url, "--purpose", "test").returncode == 0
    again = cg("import", str(out), "--store", store.url)
    assert again.returncode == 0, again.stderr
