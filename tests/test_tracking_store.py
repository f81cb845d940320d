"""Tracking records in every store (SQLite and a real Neo4j): written after their names are
checked, read back whole as a timeline, replaced by id, carried through merges, and erased with
the person they are about."""

from __future__ import annotations

from typing import Any

import pytest

from contextgraph.errors import BadInput
from contextgraph.model.timeline import steps
from contextgraph.model.tracked import Tracked
from contextgraph.model.tracking import TrackingError
from contextgraph.store import Store

from .test_store_contract import loaded  # noqa: F401 (the loaded store fixture)


def rec(i: str, kind: str, subject: str, when: str, **fields: Any) -> Tracked:
    return Tracked.from_json(
        {"id": i, "record": kind, "subject": subject, "date": when, "source": "form-1", "recorded_by": "ana", **fields},
        f"line {i}",
    )


EPISODE = rec(
    "m1",
    "missing_episode",
    "c-1",
    "2025-02-01T21:30",
    returned="2025-02-03T08:00",
    found_at="l-1",
    with_children=["c-2"],
    interview_offered=True,
    interview_date="2025-02-04",
    interview_by="EXPLOITATION_TEAM",
    push_pull="said an older boy told him to go",
    push_pull_codes=["EXPLOITATION", "PEERS"],
)
RECORDS = [
    EPISODE,
    rec("r1", "referral", "c-1", "2025-01-10", source_agency="school", exploitation_types=["CCE"], decision="accepted"),
    rec("a1", "risk_assessment", "c-1", "2025-01-12", level="green"),
    rec("a2", "risk_assessment", "c-1", "2025-03-01", level="red", assessed_by="MACE panel"),
    rec("d1", "disruption", "p-1", "2025-03-05", disruption_kind="CAWN", children=["c-1"], outcome="served"),
    rec(
        "pl1",
        "plan",
        "l-1",
        "2025-03-10",
        plan_kind="NEIGHBOURHOOD_CONFERENCE",
        actions=[{"action": "lighting review", "owner": "council", "due": "2025-04-01", "status": "open"}],
    ),
    rec(
        "o1",
        "outcome_review",
        "c-2",
        "2025-06-01",
        benchmarks=["REDUCED_MISSING"],
        scores=[{"respondent": "child", "stage": "end", "question": "How safe do you feel?", "score": 7}],
    ),
]


def test_records_round_trip_and_make_a_timeline(loaded: Store) -> None:  # noqa: F811
    assert loaded.record_tracking(RECORDS) == len(RECORDS)
    got = loaded.timeline("c-1")
    assert [t.id for t in got] == ["r1", "a1", "m1", "a2", "d1"]  # date order, every record naming c-1
    assert got[2] == EPISODE and got[2].fields["push_pull_codes"] == ["EXPLOITATION", "PEERS"]
    assert [t.id for t in loaded.timeline("l-1")] == ["m1", "pl1"]  # found there; a plan about the place
    assert [t.id for t in loaded.timeline("c-2")] == ["m1", "o1"]
    assert loaded.timeline("c-4") == [] and loaded.timeline("no-such") == []
    assert sorted(t.id for t in loaded.iter_tracking()) == sorted(t.id for t in RECORDS)
    assert {t.id: t for t in loaded.iter_tracking()} == {t.id: t for t in RECORDS}
    assert [(s.after, s.direction) for s in steps(loaded.timeline("c-1"))] == [("green", "first"), ("red", "up")]


def test_a_record_of_the_same_id_replaces_the_old(loaded: Store) -> None:  # noqa: F811
    loaded.record_tracking(RECORDS)
    moved = rec("m1", "missing_episode", "c-1", "2025-02-01T21:30", found_at="l-2")
    loaded.record_tracking([moved])
    assert [t.id for t in loaded.timeline("l-1")] == ["pl1"]
    assert [t.id for t in loaded.timeline("l-2")] == ["m1"] and loaded.timeline("c-2")[0].id == "o1"
    assert sum(1 for _ in loaded.iter_tracking()) == len(RECORDS)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (rec("x1", "referral", "p-1", "2025-01-01", source_agency="police", decision="pending"), "'p-1' is a person"),
        (rec("x2", "disruption", "c-1", "2025-01-01", disruption_kind="ARREST"), "a disruption's subject is a group"),
        (rec("x3", "missing_episode", "c-1", "2025-01-01", found_at="s-1"), "field 'found_at': 's-1' is a school"),
        (rec("x4", "risk_assessment", "c-404", "2025-01-01", level="red"), "no entity 'c-404'"),
    ],
)
def test_a_record_naming_the_wrong_entity_refuses_the_batch(loaded: Store, bad: Tracked, message: str) -> None:  # noqa: F811
    with pytest.raises(TrackingError, match=message) as caught:
        loaded.record_tracking([RECORDS[1], bad], where={bad.id: "tracking.jsonl, line 7"})
    assert "tracking.jsonl, line 7" in str(caught.value)
    assert list(loaded.iter_tracking()) == []  # nothing of the batch written


def test_a_timeline_follows_a_merge_and_its_split(loaded: Store) -> None:  # noqa: F811
    loaded.record_tracking(RECORDS)
    loaded.merge("c-4", "c-2")
    assert [t.id for t in loaded.timeline("c-4")] == ["m1", "o1"]
    assert [t.id for t in loaded.timeline("c-2")] == ["m1", "o1"]
    loaded.split("c-4", "c-2")
    assert loaded.timeline("c-4") == []


def test_erasure_takes_the_records_about_the_person_and_their_name_from_the_rest(loaded: Store) -> None:  # noqa: F811
    loaded.record_tracking(RECORDS)
    gone = loaded.erase("c-1", reason="test")
    assert gone.tracking == 5 - 1  # r1, a1, a2 and m1 were about c-1; d1 only named them
    left = {t.id: t for t in loaded.iter_tracking()}
    assert set(left) == {"d1", "pl1", "o1"}
    assert left["d1"].fields["children"] == [] and "c-1" not in left["d1"].involves
    assert loaded.timeline("c-1") == []
    assert "c-1" not in str([t.to_json() for t in left.values()])


def test_bad_fields_are_named() -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"record": "missing_episode", "date": "2025-02-02", "returned": "2025-02-01"}, "field 'returned'"),
        ({"record": "risk_assessment", "level": "purple"}, "field 'level': 'purple' is not one of green, amber, red"),
        ({"record": "referral", "source_agency": "x", "decision": "rejected"}, "field 'reason' is required"),
        ({"record": "referral", "source_agency": "x", "decision": "maybe"}, "field 'decision'"),
        ({"record": "plan", "plan_kind": "CHILD_PLAN", "actions": [{"owner": "x"}]}, "item 1: field 'action'"),
        (
            {
                "record": "outcome_review",
                "scores": [{"respondent": "child", "stage": "end", "question": "q", "score": 11}],
            },
            "outside 0-10",
        ),
        ({"record": "missing_episode", "colour": "red"}, "has no field 'colour'"),
        ({"record": "parade"}, "field 'record'"),
        ({"record": "referral", "date": "2025-13-01", "source_agency": "x", "decision": "pending"}, "field 'date'"),
        ({"record": "referral", "grading": "9Z", "source_agency": "x", "decision": "pending"}, "field 'grading'"),
    ]
    for fields, message in cases:
        obj = {"id": "x", "subject": "c-1", "date": "2025-02-02", "source": "f", "recorded_by": "u", **fields}
        with pytest.raises(TrackingError, match=message):
            Tracked.from_json(obj, "tracking.jsonl, line 3")


def test_the_pathway_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONTEXTGRAPH_PATHWAY_LEVELS", "Safer Me,Safer Me Plus")
    ok = rec("a", "risk_assessment", "c-1", "2025-01-01", level="Safer Me Plus")
    assert ok.fields["level"] == "Safer Me Plus"
    with pytest.raises(TrackingError, match="'red' is not one of Safer Me, Safer Me Plus"):
        rec("b", "risk_assessment", "c-1", "2025-01-01", level="red")
    # a level given twice is the setting's fault, and said so (not the record's)
    monkeypatch.setenv("CONTEXTGRAPH_PATHWAY_LEVELS", "red, red")
    with pytest.raises(BadInput, match="CONTEXTGRAPH_PATHWAY_LEVELS: 'red' given more than once"):
        rec("c", "risk_assessment", "c-1", "2025-01-01", level="green")


def test_records_written_with_a_large_upsert_come_after_its_entities(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An upsert past the store's atomic rows commits in parts; its tracking records come last,
    checked against the entities the parts wrote."""
    from contextgraph.model import Entity

    monkeypatch.setattr(store, "atomic_rows", 2)
    kids = [Entity(f"k{i}", "child", f"Kid {i}", locality="East") for i in range(5)]
    records = [rec(f"a{i}", "risk_assessment", f"k{i}", "2025-01-01", level="amber") for i in range(5)]
    s = store.upsert(kids, [], tracking=records)
    assert s.transactions == 4 and {t.id for t in store.iter_tracking()} == {f"a{i}" for i in range(5)}


def test_a_record_written_again_keeps_its_subject_whatever_writes_it(loaded: Store) -> None:  # noqa: F811
    """However a record is written again — an import, a note, the store's own upsert — it keeps the
    entity it is about: one naming another is refused, and nothing of the write is kept."""
    from contextgraph.model import Entity
    from contextgraph.store import StoreError

    loaded.upsert(tracking=[rec("m-1", "missing_episode", "c-1", "2025-01-02")])
    new = Entity("c-77", "child", "Ada Moss", locality="East")
    with pytest.raises(StoreError, match="tracking record 'm-1': the record held under this id is about another"):
        loaded.upsert([new], tracking=[rec("m-1", "missing_episode", "c-2", "2025-01-02")])
    assert loaded.tracked(["m-1"])["m-1"].subject == "c-1" and loaded.get("c-77") is None
    loaded.upsert(tracking=[rec("m-1", "missing_episode", "c-1", "2025-01-03")])  # a correction
    assert loaded.tracked(["m-1"])["m-1"].date.startswith("2025-01-03")
