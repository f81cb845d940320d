"""Tracking records through the service's import, tried as an East analyst with a valid token
would: records about East children are written; one about a West child is refused exactly as
one about a child that does not exist; a record id held in West is not taken over; a bad line
writes nothing of the import. The contract data is served over real HTTP on each store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contextgraph.store import Store

from .service import Service
from .test_need_to_know_writes import post_import, same_but_ids


def line(i: str, subject: str, **fields: Any) -> dict[str, Any]:
    base = {"id": i, "record": "risk_assessment", "subject": subject, "date": "2025-03-01", "source": "panel-1"}
    return {**base, "recorded_by": "someone else", "level": "amber", **fields}


def held(store: Store) -> dict[str, Any]:
    return {t.id: t for t in store.iter_tracking()}


def test_an_analyst_records_their_localitys_children(service: Service, store: Store, _audit_log: Path) -> None:
    ana = service.token("analyst", ("East",))
    status, body = post_import(
        service, ana, {"tracking.jsonl": [line("ra-1", "c-1"), line("ra-2", "c-1", level="red")]}
    )
    assert status == 200 and body["tracking_records"] == 2
    got = held(store)
    # a new record of a writer who does not see everything takes an id of their namespace, as an
    # entity does; who recorded it is the writer, whatever the file says
    assert [got["east:ra-1"].fields["level"], got["east:ra-2"].fields["level"]] == ["amber", "red"]
    assert {t.recorded_by for t in got.values()} == {"ana"}
    again = post_import(service, ana, {"tracking.jsonl": [line("east:ra-1", "c-1", level="green")]})
    assert again[0] == 200 and held(store)["east:ra-1"].fields["level"] == "green"  # theirs: replaced
    # the write is logged as collected about the child the records are about
    logged = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    (write,) = [r for r in logged if r["operation"] == "collection" and r.get("detail", {}).get("tracking") == 2]
    assert write["subjects"] == ["c-1"] and write["user"] == "ana"


def test_a_record_written_again_keeps_its_subject_and_is_logged_as_altered_with_whose_it_was(
    service: Service, store: Store, _audit_log: Path
) -> None:
    """Another analyst of the locality may write a record again (a correction), but not move it to
    another child, by the import or the mutation: refused, naming the field, nothing written. A
    record written again is logged as altered, saying whose record it replaced."""
    ana, bob = service.token("analyst", ("East",)), service.token("analyst", ("East",), user="bob")
    assert post_import(service, ana, {"tracking.jsonl": [line("ra-1", "c-1")]})[0] == 200
    status, body = post_import(service, bob, {"tracking.jsonl": [line("east:ra-1", "c-2")]})
    assert status == 422 and "tracking.jsonl:1: field 'subject'" in str(body), body
    ask = "mutation($r: [JSON!]!) { recordTracking(records: $r) { id subject } }"
    moved = {**line("east:ra-1", "c-2"), "locality": "East"}
    assert "field 'subject'" in service.error(ask, bob, r=[moved])
    assert held(store)["east:ra-1"].subject == "c-1" and held(store)["east:ra-1"].recorded_by == "ana"
    fixed = {**line("east:ra-1", "c-1", level="red"), "locality": "East"}
    assert service.data(ask, bob, r=[fixed])["recordTracking"] == [{"id": "east:ra-1", "subject": "c-1"}]
    logged = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    (write,) = [r for r in logged if (r.get("detail") or {}).get("replaced")]
    assert write["operation"] == "alteration" and write["user"] == "bob" and write["subjects"] == ["c-1"]
    assert write["detail"]["replaced"] == {"east:ra-1": "ana"}


def test_a_record_about_another_localitys_child_is_refused_as_one_about_no_child(
    service: Service, store: Store
) -> None:
    ana = service.token("analyst", ("East",))
    west = post_import(service, ana, {"tracking.jsonl": [line("ra-9", "c-3")]})
    nobody = post_import(service, ana, {"tracking.jsonl": [line("ra-9", "c-404")]})
    assert west[0] == nobody[0] == 422
    assert same_but_ids(west[1], nobody[1], ("c-3", "c-404"))
    assert "tracking.jsonl:1" in str(west[1]) and held(store) == {}
    # nor may a record name a West child in a field (a disruption "in respect of" them)
    dis = {"id": "d-1", "record": "disruption", "subject": "p-1", "date": "2025-03-01", "source": "intel-1"}
    dis |= {"recorded_by": "x", "disruption_kind": "CAWN", "children": ["c-3"]}
    status, body = post_import(service, ana, {"tracking.jsonl": [dis]})
    assert status == 422 and "'c-3' is not an entity" in str(body) and held(store) == {}


def test_a_record_id_held_in_another_locality_is_not_taken_over(service: Service, store: Store) -> None:
    admin, ana = service.token("admin", ()), service.token("analyst", ("East",))
    assert post_import(service, admin, {"tracking.jsonl": [line("ra-1", "c-3", level="red")]})[0] == 200
    status, body = post_import(service, ana, {"tracking.jsonl": [line("ra-1", "c-1")]})
    assert status == 200 and body["tracking_records"] == 1
    got = held(store)
    assert got["ra-1"].subject == "c-3" and got["ra-1"].fields["level"] == "red"  # West's, as it was
    (mine,) = [t for t in got.values() if t.subject == "c-1"]
    assert mine.id.startswith("east:") and mine.fields["level"] == "amber"


def test_a_record_id_held_elsewhere_is_answered_as_an_unused_one(service: Service, store: Store) -> None:
    """An id held for another locality's record, for a C-graded one, or for a record naming what the
    writer does not see is renamed exactly as an id held nowhere is: no oracle, no takeover."""
    admin = service.token("admin", ())
    west = line("w-1", "c-3", level="red")
    graded = line("c-1g", "c-1", level="red", grading="2B C")
    naming = {"id": "m-1", "record": "missing_episode", "subject": "c-1", "date": "2025-03-01", "source": "f"}
    naming |= {"recorded_by": "x", "with_children": ["c-3"], "found_at": "l-2"}
    assert post_import(service, admin, {"tracking.jsonl": [west, graded, naming]})[0] == 200
    before = held(store)
    ana = service.token("analyst", ("East",))
    chair_like = service.keys.mint("ana-p", "analyst", ["East"], clearance="P")
    for token, taken, unused in ((ana, "w-1", "nx-1"), (ana, "m-1", "nx-2"), (chair_like, "c-1g", "nx-3")):
        a = post_import(service, token, {"tracking.jsonl": [line(taken, "c-1")]})
        b = post_import(service, token, {"tracking.jsonl": [line(unused, "c-1")]})
        assert a[0] == b[0] == 200 and same_but_ids(a[1], b[1], (taken, unused))
    after = held(store)
    assert {i: after[i] for i in before} == before  # the records held are as they were
    assert {"east:w-1", "east:m-1", "east.p:c-1g"} <= set(after)


def test_bad_input_is_refused_without_a_server_error(service: Service, store: Store) -> None:
    ana = service.token("analyst", ("East",))
    deep = {**line("p-1", "c-1"), "record": "plan", "plan_kind": "CHILD_PLAN"}
    deep.pop("level")
    cases = [
        {**deep, "actions": json.loads("[" * 600 + "]" * 600)},
        {**line("x", "c-1"), "record": ["plan"]},
        {**line("x", "c-1"), "record": {"a": 1}},
        line("n\u0000ul", "c-1"),
    ]
    for bad in cases:
        status, body = post_import(service, ana, {"tracking.jsonl": [bad]})
        assert status == 422 and "tracking.jsonl:1" in str(body), (bad, status, body)
    assert held(store) == {}
    status, body = post_import(service, ana, {"tracking.jsonl": [line("x", "c-1", locality="West")]})
    assert status == 403 and str(body["detail"]).startswith("tracking.jsonl:1:")  # no server path in it


def test_a_bad_line_writes_nothing_of_the_import(service: Service, store: Store) -> None:
    ana = service.token("analyst", ("East",))
    files = {
        "entities.jsonl": [{"id": "c-50", "kind": "child", "name": "New Child", "locality": "East"}],
        "tracking.jsonl": [
            line("ra-1", "c-50"),
            {"id": "m-1", "record": "missing_episode", "subject": "c-50", "date": "2025-03-02T10:00"}
            | {"source": "f", "recorded_by": "x", "returned": "2025-03-01T10:00"},
        ],
    }
    status, body = post_import(service, ana, files)
    assert status == 422 and "tracking.jsonl:2: field 'returned'" in str(body)
    assert store.get("east:c-50") is None and store.get("c-50") is None and held(store) == {}
    # a level not on the pathway, a referral of a place: named by line too
    status, body = post_import(service, ana, {"tracking.jsonl": [line("ra-3", "c-1", level="purple")]})
    assert status == 422 and "tracking.jsonl:1: field 'level'" in str(body)
    ref = {"id": "r", "record": "referral", "subject": "l-1", "date": "2025-03-01", "source": "f", "recorded_by": "x"}
    status, body = post_import(service, ana, {"tracking.jsonl": [ref | {"source_agency": "x", "decision": "pending"}]})
    assert status == 422 and "'l-1' is a location" in str(body)


def test_a_record_put_in_another_locality_is_refused(service: Service, store: Store) -> None:
    ana = service.token("analyst", ("East",))
    status, body = post_import(service, ana, {"tracking.jsonl": [line("ra-1", "c-1", locality="West")]})
    assert status == 403 and "not one of your localities" in str(body) and held(store) == {}
