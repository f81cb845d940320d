"""Ingesting notes into each store: provenance, idempotence, one transaction per note, review round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from contextgraph.ingest.pipeline import ingest_paths
from contextgraph.ingest.queue import decide_review, reviews
from contextgraph.localities import Locality
from contextgraph.store import Store

from .cli import cg
from .conftest import SHARED

NOTE_A = """# MACE – Northbrook East

**Date:** 14/03/2024
**Chair:** DI Ada Quill

---

## Children

### Kyle Benson (15, DOB 12/04/2008)
Open to YJS. Seen at Carrow Park skate area on 02/03 with Mia Shaw (14).

## Intelligence
INT 1 – 01/03/2024 – 1B P
Daniel OKAFOR aka "Tank" (DOB 05/05/1999) is believed to be grooming Kyle Benson.
"""

NOTE_B = """# East LOG – mapping

Date: 21/03/2024

| Name | Age | Notes |
| --- | --- | --- |
| Kyle | 15 | Seen at Carrow Park with Daniel Okafor on 19/03. |
| Mia Shaw | 14 | Seen at Carrow Park most evenings. |
"""


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def test_every_fact_carries_source_date_and_grading(store: Store, tmp_path: Path) -> None:
    rep = ingest_paths(store, [write(tmp_path, "a.md", NOTE_A)])
    (res,) = rep.notes
    assert res.status == "ingested" and res.source_ref and res.source_ref.startswith("mace-east-2024-03-14-")
    (src,) = store.records("sources")
    assert src["id"] == res.source_ref and src["file"] == "a.md" and len(src["sha256"]) == 64
    kyle = next(e for e, _ in store.search("Kyle Benson"))
    assert kyle.sources == [res.source_ref] and kyle.dob == "2008-04-12"
    rels = {(r.type, r.target): r for r, _ in store.expand([kyle.id], _all())}
    exploits = next(r for (t, _), r in rels.items() if t == "EXPLOITS")
    assert exploits.assertions[0].grading == "1B P" and exploits.sources == [res.source_ref]
    seen = next(r for (t, _), r in rels.items() if t == "SEEN_AT")
    assert seen.first_seen == "2024-03-02"
    assert ("OPEN_TO", "svc-YJS") in rels


def _all():  # type: ignore[no-untyped-def]
    from contextgraph.store import Filter

    return Filter.of()


def test_reingest_changes_nothing_and_later_notes_link(store: Store, tmp_path: Path) -> None:
    a, b = write(tmp_path, "a.md", NOTE_A), write(tmp_path, "b.md", NOTE_B)
    first = ingest_paths(store, [a, b])
    before = store.stats().to_json()
    again = ingest_paths(store, [a, b])
    assert [n.status for n in again.notes] == ["unchanged", "unchanged"]
    assert store.stats().to_json() == before
    # the second note's full names matched the first note's entities; "Kyle" alone is a review item
    t = first.totals()
    assert t["matched"] >= 2 and t["queued"] >= 1
    park = store.search("Carrow Park", kinds=["location"])
    assert len(park) == 1 and len(park[0][0].sources) == 2


def test_the_same_note_saved_by_another_editor_is_the_same_note(store: Store, tmp_path: Path) -> None:
    """A note again with Windows line breaks, a byte-order mark or another trailing line changes
    nothing (before, each was a note of its own, and every link's count grew with it); its ref
    carries 16 hex digits of its digest, which no one can make another note's by trying variants."""
    first = ingest_paths(store, [write(tmp_path, "a.md", NOTE_A)])
    before = store.stats().to_json()
    variants = [NOTE_A.replace("\n", "\r\n"), "\ufeff" + NOTE_A, NOTE_A + "\n\n", NOTE_A.rstrip("\n")]
    again = ingest_paths(store, [write(tmp_path, f"v{i}.md", v) for i, v in enumerate(variants)])
    assert [n.status for n in again.notes] == ["unchanged"] * 4 and store.stats().to_json() == before
    # saved as "Unicode" (UTF-16, either byte order, with its mark): read as the same text
    for i, coding in enumerate(("utf-16-le", "utf-16-be")):
        mark = b"\xff\xfe" if coding.endswith("le") else b"\xfe\xff"
        (tmp_path / f"u{i}.md").write_bytes(mark + NOTE_A.replace("\n", "\r\n").encode(coding))
    wide = ingest_paths(store, [tmp_path / "u0.md", tmp_path / "u1.md"])
    assert [n.status for n in wide.notes] == ["unchanged"] * 2 and store.stats().to_json() == before, wide.notes
    ref = first.notes[0].source_ref or ""
    assert len(ref.rsplit("-", 1)[1]) == 16, ref


def test_a_meeting_date_no_meeting_could_have_is_refused_and_the_batch_goes_on(store: Store, tmp_path: Path) -> None:
    seen = "\n\n- Jordan Pike (14) was seen at the park on {}.\n"
    notes = [
        write(tmp_path, "far.md", "# MACE – East\nDate: 31/12/9999" + seen.format("Sat 2nd January")),
        write(tmp_path, "none.md", "# MACE – East\nDate: 31/04/2024" + seen.format("03/02/2031")),
        write(tmp_path, "a.md", NOTE_A),
    ]
    rep = ingest_paths(store, notes)
    assert [n.status for n in rep.notes] == ["failed", "failed", "ingested"], rep.notes
    assert "not within 1990 to 2099" in (rep.notes[0].error or "")
    assert "'31/04/2024' is not a day of the calendar" in (rep.notes[1].error or "")
    # a year written with four digits is that year: 0024 is not read as 2024
    typo = write(tmp_path, "y.md", "# MACE – East\nDate: 01/01/0024" + seen.format("02/03/2024"))
    assert "'01/01/0024' is not a day of the calendar" in (ingest_paths(store, [typo]).notes[0].error or "")


def test_a_note_of_a_meeting_to_come_is_refused_and_a_fact_dated_to_come_is_dated_by_its_meeting(
    store: Store, tmp_path: Path
) -> None:
    """A meeting after tomorrow has not met: its note is refused, naming the file and the date. A
    fact a note dates after tomorrow (a mistyped year) is dated by its meeting, the day it was told,
    so that the store can be exported and imported back as any other."""
    from datetime import date, timedelta

    later = date.today() + timedelta(days=2)
    seen = "\n\n- Jordan Pike (14) was seen at Carrow Park with Mia Shaw (14) on {}.\n"
    notes = [
        write(tmp_path, "soon.md", f"# MACE – East\nDate: {later:%d/%m/%Y}" + seen.format("02/03/2024")),
        write(tmp_path, "typo.md", "# MACE – East\nDate: 14/03/2024" + seen.format(f"02/03/{later.year + 10}")),
    ]
    rep = ingest_paths(store, notes)
    assert [n.status for n in rep.notes] == ["failed", "ingested"], rep.notes
    assert f"soon.md: the meeting date {later.isoformat()} is after tomorrow" in (rep.notes[0].error or "")
    dates = {a.date for r in store.iter_relationships() for a in r.assertions}
    assert dates == {"2024-03-14"}, dates
    out = tmp_path / "out"
    assert cg("export", str(out), "--purpose", "test", store=store).returncode == 0
    again = cg("import", str(out), "--store", f"sqlite:///{tmp_path / 'again.db'}")
    assert again.returncode == 0, again.stderr


def test_a_failure_mid_note_leaves_the_store_unchanged(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest_paths(store, [write(tmp_path, "b.md", NOTE_B)])
    before = (store.stats().to_json(), store.records("sources"), store.records("reviews"))

    def boom(self: Store, tx: object, batch: object, s: object) -> None:
        raise RuntimeError("injected failure after the entities were written")

    monkeypatch.setattr(type(store), "_upsert_relationships", boom)
    with pytest.raises(RuntimeError):
        ingest_paths(store, [write(tmp_path, "a.md", NOTE_A)])
    monkeypatch.undo()
    assert (store.stats().to_json(), store.records("sources"), store.records("reviews")) == before


def test_bad_files_are_reported_and_the_batch_goes_on(store: Store, tmp_path: Path) -> None:
    bad = write(tmp_path, "empty.md", "")
    binary = tmp_path / "scan.md"
    binary.write_bytes(b"%PDF\x00\x00")
    good = write(tmp_path, "a.md", NOTE_A)
    rep = ingest_paths(store, [bad, binary, good])
    assert [n.status for n in rep.notes] == ["failed", "failed", "ingested"]
    assert "empty.md" in (rep.notes[0].error or "") and "scan.md" in (rep.notes[1].error or "")
    assert len(store.records("sources")) == 1


def test_review_accept_merges_and_split_undoes(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [write(tmp_path, "a.md", NOTE_A), write(tmp_path, "b.md", NOTE_B)])
    items = [r for r in reviews(store) if r.name == "Kyle"]
    assert items, reviews(store)
    item = items[0]
    assert item.evidence and item.candidates
    rec = decide_review(store, item.id, "accept", user="chair", reason="same boy, confirmed at LOG")
    assert rec.decision == "accepted"
    kept = rec.into
    assert kept is not None
    assert store.canonical_id(item.entity) == kept
    assert store.judgements()[-1].kind == "merge"
    assert item.id not in {r.id for r in reviews(store)}
    store.split(kept, item.entity, user="chair", reason="undo")
    assert store.canonical_id(item.entity) == item.entity


def test_review_reject_keeps_them_apart(store: Store, tmp_path: Path) -> None:
    ingest_paths(store, [write(tmp_path, "a.md", NOTE_A), write(tmp_path, "b.md", NOTE_B)])
    item = reviews(store)[0]
    decide_review(store, item.id, "reject", user="chair")
    assert store.canonical_id(item.entity) == item.entity
    assert {r.id: r.status for r in reviews(store, pending_only=False)}[item.id] == "rejected"


def test_cli_ingests_and_evaluates_the_shared_corpus(store: Store, tmp_path: Path) -> None:
    notes = sorted(str(p) for p in (SHARED / "corpus" / "notes").glob("dev-*.md"))
    r = cg("ingest", *notes, "--format", "json", store=store)
    assert r.returncode == 0, r.stderr
    first = cg("stats", "--format", "json", store=store).stdout
    r = cg("ingest", *notes, "--format", "json", store=store)
    assert r.returncode == 0 and '"unchanged": 30' in r.stdout
    assert cg("stats", "--format", "json", store=store).stdout == first
    r = cg("review", "--format", "json", store=store)
    assert r.returncode == 0 and '"evidence"' in r.stdout
    r = cg("eval-extract", str(SHARED / "corpus" / "notes"))
    assert r.returncode == 0 and "all notes" in r.stdout
    r = cg("extract", notes[0], "--format", "table")
    assert r.returncode == 0 and "Relationships" in r.stdout
    r = cg("extract", str(tmp_path / "missing.md"))
    assert r.returncode == 1 and "missing.md" in r.stderr


def test_a_service_name_one_note_defines_holds_for_the_batch(store: Store, tmp_path: Path) -> None:
    defines = NOTE_A.replace("Open to YJS.", "Open to YJS and to Lantern (the exploitation team).")
    uses = "# West LOG\n\nDate: 22/03/2024\n\n## Children\n\n### Tara Lund (13)\nAllocated to Lantern on 20/03.\n"

    def open_to(name: str) -> set[str]:
        (e, _), *_ = store.search(name)
        return {r.target for r, _ in store.expand([e.id], _all()) if r.type == "OPEN_TO"}

    # alone, a note that only uses the name opens nothing
    ingest_paths(store, [write(tmp_path, "alone.md", uses.replace("Tara Lund", "Uma Pike"))])
    assert open_to("Uma Pike") == set()
    ingest_paths(store, [write(tmp_path, "a.md", defines), write(tmp_path, "b.md", uses)])
    assert open_to("Kyle Benson") == {"svc-YJS", "svc-EXPLOITATION_TEAM"}
    assert open_to("Tara Lund") == {"svc-EXPLOITATION_TEAM"}


HILLCREST = """# MACE – Hillcrest ward

Date: 04/07/2024

Kyle Benson (15) was seen at Carrow Park on 02/07 with Mia Shaw (14).
"""


def test_a_note_of_a_locality_not_configured_is_refused_and_the_batch_goes_on(store: Store, tmp_path: Path) -> None:
    hill, east = write(tmp_path, "hill.md", HILLCREST), write(tmp_path, "b.md", NOTE_B)
    rep = ingest_paths(store, [hill, east])
    assert [n.status for n in rep.notes] == ["failed", "ingested"]
    assert rep.notes[0].error == (
        "hill.md: the note's locality 'Hillcrest' is not configured; add it with: "
        "contextgraph localities add Hillcrest; nothing was written"
    )
    assert [r["file"] for r in store.records("sources")] == ["b.md"]  # nothing of the refused note
    assert not store.search("Kyle Benson", localities=["Hillcrest"])
    # configured with the ward's name as an alias, the same note is ingested under the locality's name
    store.set_localities(store.localities().with_locality(Locality("Hillcrest", ("Hillcrest ward",))))
    again = ingest_paths(store, [hill])
    assert again.notes[0].status == "ingested" and again.notes[0].source_ref.startswith("mace-hillcrest-2024-07-04")
    kyle = store.search("Kyle Benson", localities=["Hillcrest"])
    assert kyle and kyle[0][0].locality == "Hillcrest"


def test_a_control_character_in_a_note_is_refused_naming_its_line(store: Store, tmp_path: Path) -> None:
    """A NUL or an escape sequence inside a name made that person vanish from the note without a
    word: the note is refused, naming the line, and the batch goes on."""
    head = "# MACE – East\nDate: 14/03/2024\n\n"
    notes = [
        write(tmp_path, "nul.md", head + "- Jordan\x00 Pike (14) was seen at the park.\n"),
        write(tmp_path, "esc.md", head + "- Kai seen.\n- Ama\x1b[31mra Quist (15) was seen.\n"),
        write(tmp_path, "a.md", NOTE_A),
    ]
    rep = ingest_paths(store, notes)
    assert [n.status for n in rep.notes] == ["failed", "failed", "ingested"], rep.notes
    assert "nul.md: this is a binary file" in (rep.notes[0].error or "")  # a file: read as bytes first
    assert "esc.md:5: a control character (U+001B)" in (rep.notes[1].error or "")
    from contextgraph.notes.parse import NoteError, parse_note

    with pytest.raises(NoteError, match=r"n\.md:4: a control character \(U\+0000\)"):  # a text sent as such
        parse_note(head + "- Jordan\x00 Pike (14) was seen at the park.\n", "n.md")
