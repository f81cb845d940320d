"""Tracking records read from notes: notes written for these tests (a return interview, MACE
minutes, a locality group's notes), each with the records a person would record from it in
``tests/tracking_notes/*.tracking.json``; what is only planned or considered must give nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from contextgraph.ingest.pipeline import ingest_text
from contextgraph.localities import Localities, Locality
from contextgraph.notes.extract import extract
from contextgraph.store import Store

NOTES = Path(__file__).parent / "tracking_notes"
KEYS = ("disruption_kind", "decision", "to_service", "level", "service_code", "returned", "interview_date")


def _names(doc: dict[str, Any]) -> dict[str, str]:
    return {e["id"]: e["name"] for e in doc["entities"]}


def _same(gold: str, name: str) -> bool:
    return gold.lower() in name.lower()


def _matches(gold: dict[str, Any], got: dict[str, Any], names: dict[str, str]) -> bool:
    if gold["record"] != got["record"] or gold["date"] != got["date"]:
        return False
    if not _same(gold["subject"], names.get(got["subject"], "")):
        return False
    if any(gold.get(k) != got.get(k) for k in KEYS if k in gold):
        return False
    for k in ("children", "with_children"):
        if k in gold and sorted(gold[k]) != sorted(names.get(i, i) for i in got.get(k, [])):
            return False
    return "found_at" not in gold or _same(gold["found_at"], names.get(got.get("found_at", ""), ""))


def scores() -> tuple[int, int, int, list[str]]:
    """Records found right, found, and in the gold, over every test note; what was missed."""
    right = found = wanted = 0
    missed: list[str] = []
    for note in sorted(NOTES.glob("*.md")):
        doc = extract(note.read_text(), note.name)
        names = _names(doc)
        gold = json.loads(note.with_suffix(".tracking.json").read_text())
        got = doc["tracking"]
        found += len(got)
        wanted += len(gold)
        for g in gold:
            if any(_matches(g, t, names) for t in got):
                right += 1
            else:
                missed.append(f"{note.name}: {g}")
    return right, found, wanted, missed


def test_records_are_read_from_plainly_written_notes() -> None:
    right, found, wanted, missed = scores()
    precision, recall = right / found, right / wanted
    # measured on these notes: 9 of 10 right and 9 of 10 found (the closure order's place is read as
    # the street it is off, an entity the extraction names wrongly)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, missed)


def test_what_is_only_considered_is_not_recorded() -> None:
    doc = extract((NOTES / "mace-ardley.md").read_text(), "mace-ardley.md")
    names = _names(doc)
    about = {names[t["subject"]] for t in doc["tracking"]}
    assert "Gavin Threlfall" not in about and "Ellis Crane" not in about  # a CAWN considered, a referral if
    log = extract((NOTES / "log-brookvale.md").read_text(), "log-brookvale.md")
    assert not any("Car Wash" in _names(log)[t["subject"]] for t in log["tracking"])  # a closure order explored


@pytest.mark.parametrize("name", ["ri-hillcrest.md", "mace-ardley.md"])
def test_a_note_ingested_writes_its_records_with_its_facts(store: Store, name: str) -> None:
    store.set_localities(Localities(None, (Locality("Hillcrest"), Locality("Ardley"))))
    text = (NOTES / name).read_text()
    res = ingest_text(store, text, name, user="chair-1")
    held = list(store.iter_tracking())
    assert res.tracked == len(held) > 0
    assert {t.source for t in held} == {res.source_ref} and {t.recorded_by for t in held} == {"chair-1"}
    for t in held:
        for eid in t.involves:
            assert store.get(eid) is not None  # every id a record names is a stored entity
    again = ingest_text(store, text, name, user="chair-1")
    assert again.status == "unchanged" and len(list(store.iter_tracking())) == len(held)
    if name.startswith("ri-"):
        (episode,) = held
        child = store.get(episode.subject)
        assert child is not None and child.name == "Tamsin Oduya"
        assert [t.id for t in store.timeline(child.id)] == [episode.id]
        found = store.get(episode.fields["found_at"])
        assert found is not None and found.kind == "location"


def test_a_record_read_from_graded_intelligence_keeps_its_grading() -> None:
    """A record read from a sentence under handling code C is C: a reader cleared for P never sees
    it, as they never see the links read from the same sentence."""
    doc = extract(
        "# Intelligence summary – Hillcrest\nDate: 14/01/2025\n\n"
        "Intelligence (2B C): Corvin Dale was seen at 14 Oak Street on 11/01/2025. CAWN served on "
        "Corvin Dale on 12/01/2025.\n",
        "intel.md",
    )
    (t,) = doc["tracking"]
    assert (t["record"], t["grading"]) == ("disruption", "2B C")
    assert {r.get("grading") for r in doc["relationships"]} == {"2B C"}
