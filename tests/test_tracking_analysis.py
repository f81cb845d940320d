"""What the tracking records add to the analysis, on each store: evidence with its reasons and
sources for a child linked to harm, none for a child whose only sign is going missing, open plans
as open to services, the changes since a date, and a reader's clearance respected."""

from __future__ import annotations

from typing import Any

from contextgraph.analysis.report import analyse_store
from contextgraph.model import Entity
from contextgraph.model.tracked import Tracked
from contextgraph.store import Filter, Store

from .data import rel


def rec(i: str, kind: str, subject: str, when: str, **fields: Any) -> Tracked:
    base = {"id": i, "record": kind, "subject": subject, "date": when, "source": f"form-{i}", "recorded_by": "u"}
    return Tracked.from_json({**base, **fields})


def area(store: Store) -> None:
    kids = [Entity(f"k{i}", "child", f"Kid {i}", locality="East") for i in range(4)]
    poc = Entity("p", "person_of_concern", "Adult", locality="East")
    store.upsert(
        [*kids, poc],
        [rel("ASSOCIATES_WITH", "k0", "p", day="2025-05-01"), rel("ASSOCIATES_WITH", "k3", "p", day="2025-05-01")],
    )
    store.record_tracking(
        [
            # k0: linked to harm, and missing three times, never interviewed
            *(
                rec(f"m0{i}", "missing_episode", "k0", d)
                for i, d in enumerate(("2025-02-01", "2025-04-01", "2025-05-20"))
            ),
            # k1: missing four times, nothing else: vulnerable, not ranked
            *(
                rec(f"m1{i}", "missing_episode", "k1", d)
                for i, d in enumerate(("2025-01-05", "2025-02-05", "2025-03-05", "2025-04-05"))
            ),
            # k2: linked to no one, stepped up; k3: linked, stepped up recently, under handling code C
            rec("a20", "risk_assessment", "k2", "2025-01-01", level="green"),
            rec("a21", "risk_assessment", "k2", "2025-05-01", level="red"),
            rec("a30", "risk_assessment", "k3", "2025-01-01", level="green"),
            rec("a31", "risk_assessment", "k3", "2025-05-15", level="amber", grading="2B C"),
        ]
    )


def test_tracking_evidence_raises_a_linked_child_with_its_sources(store: Store) -> None:
    area(store)
    result = analyse_store(store, as_of="2025-06-01", since="2025-05-10")
    ranked = {c.id: c for c in result.unopened_at_risk}
    assert set(ranked) == {"k0", "k3"}  # k1 and k2 have no link to harm
    kinds = {r.kind: r for r in ranked["k0"].reasons}
    assert set(kinds) == {"associates_with_poc", "repeat_missing", "no_return_interview"}
    missing = kinds["repeat_missing"]
    assert missing.records == ("m02", "m01", "m00") and missing.date == "2025-05-20"
    assert missing.text == (
        "missing from home or care 3 times in the last year, most recently on 20 May 2025 "
        "[form-m02, form-m01 and 1 more, ungraded]"
    )
    step = next(r for r in ranked["k3"].reasons if r.kind == "stepped_up")
    assert step.detail == "amber" and step.text.startswith(
        "stepped up on the risk pathway to amber on 15 May 2025 [form-a31"
    )
    assert ranked["k0"].score > 0.6  # more than the association alone
    # what changed since 10 May: the episode of 20 May and the step up of 15 May
    assert result.changes is not None
    assert [(x.id, x.what) for x in result.changes.tracking] == [("a31", "step_up"), ("m02", "missing_episode")]
    assert result.changes.tracking[0].text == "stepped up: assessed amber on the pathway"


def test_a_reader_cleared_for_p_is_not_told_of_a_c_graded_step(store: Store) -> None:
    area(store)
    result = analyse_store(store, as_of="2025-06-01", since="2025-05-10", flt=Filter.of(handling=["P"]))
    ranked = {c.id: c for c in result.unopened_at_risk}
    assert "stepped_up" not in {r.kind for r in ranked["k3"].reasons}
    assert result.changes is not None and [x.id for x in result.changes.tracking] == ["m02"]


def test_an_open_plan_is_open_to_services(store: Store) -> None:
    area(store)
    store.record_tracking([rec("pl", "plan", "k0", "2025-05-25", plan_kind="CHILD_PLAN", status="open")])
    assert "k0" not in {c.id for c in analyse_store(store, as_of="2025-06-01").unopened_at_risk}
    assert "k0" in {c.id for c in analyse_store(store, as_of="2025-05-24").unopened_at_risk}  # before it opened
    store.record_tracking([rec("pl", "plan", "k0", "2025-05-25", plan_kind="CHILD_PLAN", closed="2025-05-30")])
    assert "k0" in {c.id for c in analyse_store(store, as_of="2025-06-01").unopened_at_risk}  # closed again
