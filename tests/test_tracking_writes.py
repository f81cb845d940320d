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
    assert [got["ra-1"].fields["level"], got["ra-2"].fields["level"]] == ["amber", "red"]
    # the write is logged as collected about the child the records are about
    logged = [json.loads(x) for x in _audit_log.read_text().splitlines()]
    (write,) = [r for r in logged if r["operation"] == "collection" and r.get("detail", {}).get("tracking") == 2]
    assert write["subjects"] == ["c-1"] and write["user"] == "ana"


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
