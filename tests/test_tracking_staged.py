"""Tracking records read in a second process and copied in bulk (every store): what is written,
every message and what the access log is told are those of records read in the first; a
problem stops both processes and writes nothing."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from contextgraph.interchange import InputError, apply_batch, export_lines, read_folder
from contextgraph.localities import Localities, Locality
from contextgraph.model.tracking import TrackingError
from contextgraph.service.audit.journal import Journal
from contextgraph.store import Store, StoreError
from contextgraph.store.staged import StagedTracking, Stager
from contextgraph.store.types import WriteAbout

from .cli import cg
from .data import ENTITIES, RELATIONSHIPS
from .test_tracking_store import RECORDS, rec


def folder_of(tmp: Path, tracking: list[str], with_facts: bool = True) -> Path:
    """A folder holding the contract data (unless not ``with_facts``) and these tracking lines."""
    from contextgraph.store import open_store

    tmp.mkdir(parents=True, exist_ok=True)
    if with_facts:
        src = open_store(f"sqlite:///{tmp / 'source.db'}")
        src.upsert(ENTITIES, RELATIONSHIPS)
        files: dict[str, list[str]] = {}
        for name, obj in export_lines(src):
            files.setdefault(name, []).append(json.dumps(obj))
        src.close()
        for name, lines in files.items():
            (tmp / name).write_text("\n".join(lines) + "\n")
    (tmp / "tracking.jsonl").write_text("\n".join(tracking) + "\n")
    return tmp


LINES = [json.dumps(t.to_json()) for t in RECORDS]


def read_both(folder: Path, known: Store | None = None) -> tuple[object, object]:
    """The folder read in this process and in a second one: the batch, or the problems."""

    def kinds(ids: object) -> dict[str, str]:
        assert known is not None
        return {i: e.kind for i, e in known.get_many(ids).items()}  # type: ignore[arg-type]

    out = []
    for stage in (False, True):
        try:
            out.append(
                read_folder(
                    folder, known_kinds=kinds if known else None, stage=folder.parent if stage else None, stage_from=0
                )
            )
        except InputError as e:
            out.append(e.problems)
    staged = getattr(out[1], "staged", None)
    if staged is not None:
        assert staged.written()  # the second process goes on to write the staging file, and ends
    assert multiprocessing.active_children() == []  # the second process has ended either way
    return out[0], out[1]


def test_staged_records_are_written_as_those_read_here(store: Store, tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "in", LINES)
    here, there = read_both(folder)
    assert not isinstance(here, list) and not isinstance(there, list)
    assert there.tracking == [] and there.staged is not None and len(there.staged) == len(RECORDS)  # type: ignore[attr-defined]
    apply_batch(store, there)  # type: ignore[arg-type]
    got = {t.id: t for t in store.iter_tracking()}
    assert got == {t.id: t for t in here.tracking} == {t.id: t for t in RECORDS}  # type: ignore[attr-defined]
    assert [t.id for t in store.timeline("l-1")] == ["m1", "pl1"]


def test_two_records_of_one_id_in_a_file_are_refused_naming_both_lines(tmp_path: Path) -> None:
    """A file giving one id to two records would keep only one of them: it is refused, in this
    process and in a second one alike, naming the second line and the first."""
    moved = rec("m1", "missing_episode", "c-1", "2025-02-01T21:30", found_at="l-2")
    here, there = read_both(folder_of(tmp_path / "in", [*LINES, json.dumps(moved.to_json())]))
    first = next(n for n, t in enumerate(RECORDS, 1) if t.id == "m1")
    said = f"tracking.jsonl:{len(LINES) + 1}: field 'id': 'm1' is the id of line {first} too"
    for problems in (here, there):
        assert isinstance(problems, list) and any(said in p for p in problems), problems


def test_staged_records_replace_those_held_and_what_they_named(store: Store, tmp_path: Path) -> None:
    store.upsert(ENTITIES, RELATIONSHIPS)
    store.record_tracking(RECORDS)
    moved = rec("m1", "missing_episode", "c-1", "2025-02-01T21:30", found_at="l-2")
    batch = read_folder(folder_of(tmp_path / "in", [json.dumps(moved.to_json())]), stage=tmp_path, stage_from=0)
    apply_batch(store, batch)
    assert [t.id for t in store.timeline("l-1")] == ["pl1"]  # m1 no longer names l-1
    assert [t.id for t in store.timeline("l-2")] == ["m1"]
    assert sum(1 for _ in store.iter_tracking()) == len(RECORDS)


def test_a_staged_record_keeps_its_subject(store: Store, tmp_path: Path) -> None:
    """A record written again by a large import (staged) keeps its subject, as one written any
    other way: one about another entity is refused naming its line, and nothing is written."""
    store.upsert(ENTITIES, RELATIONSHIPS)
    store.record_tracking(RECORDS)
    moved = rec("m1", "missing_episode", "c-2", "2025-02-01T21:30")
    batch = read_folder(folder_of(tmp_path / "in", [json.dumps(moved.to_json())]), stage=tmp_path, stage_from=0)
    with pytest.raises(StoreError, match=r"tracking.jsonl:1: the record held under this id is about another"):
        apply_batch(store, batch)
    assert store.tracked(["m1"])["m1"].subject == "c-1"


def test_a_record_may_name_what_only_the_store_holds(store: Store, tmp_path: Path) -> None:
    store.upsert(ENTITIES, RELATIONSHIPS)
    folder = folder_of(tmp_path / "in", LINES, with_facts=False)
    here, there = read_both(folder, known=store)
    apply_batch(store, there)  # type: ignore[arg-type]
    assert {t.id: t for t in store.iter_tracking()} == {t.id: t for t in here.tracking}  # type: ignore[attr-defined]


def test_every_problem_is_named_as_when_read_here(store: Store, tmp_path: Path) -> None:
    store.upsert(ENTITIES[:3], [])  # c-1 is stored; p-1 is not
    bad = [
        LINES[1],
        "{not json",
        json.dumps({**RECORDS[2].to_json(), "level": "purple"}),
        json.dumps(
            rec("x1", "referral", "c-1", "2025-01-01", source_agency="police", decision="pending").to_json()
        ).replace('"c-1"', '"p-1"', 1),  # names a person where a child is wanted
        json.dumps(rec("x2", "risk_assessment", "c-404", "2025-01-01", level="red").to_json()),
        json.dumps(rec("x3", "missing_episode", "c-1", "2025-01-01", found_at="c-2").to_json()),
    ]
    folder = folder_of(tmp_path / "in", bad, with_facts=False)
    here, there = read_both(folder, known=store)
    assert isinstance(here, list) and here == there
    joined = "\n".join(here)
    assert "tracking.jsonl:2: not valid JSON" in joined and "tracking.jsonl:3:" in joined
    assert "tracking.jsonl:4: field 'subject': 'p-1' is not an entity" in joined
    assert "tracking.jsonl:5: field 'subject': 'c-404' is not an entity" in joined
    assert "tracking.jsonl:6: field 'found_at': 'c-2' is a child; a missing_episode's found_at is a location" in joined
    assert list(store.iter_tracking()) == []


def test_the_second_process_stops_when_the_first_finds_too_many_problems(tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "in", LINES * 200)
    (folder / "relationships.jsonl").write_text("{broken\n" * 30)
    with pytest.raises(InputError, match=r"relationships\.jsonl:1: not valid JSON"):
        read_folder(folder, stage=tmp_path, stage_from=0)
    assert multiprocessing.active_children() == []


def test_a_staged_record_naming_what_is_not_stored_writes_nothing(store: Store, tmp_path: Path) -> None:
    """Staged against kinds the store no longer answers for: refused at the write, by line."""
    store.upsert(ENTITIES, RELATIONSHIPS)
    s = Stager()
    s.add(3, RECORDS[1])
    s.add(4, rec("x4", "risk_assessment", "c-404", "2025-01-01", level="red"))
    with pytest.raises(TrackingError, match=r"tracking\.jsonl:4: field 'subject': no entity 'c-404' is stored"):
        store.upsert(tracking=s.finish("tracking.jsonl", str(tmp_path / "a.db")))
    assert list(store.iter_tracking()) == []
    store.upsert(tracking=StagedTracking(str(tmp_path / "none.db"), 0, (), "t"))  # none: nothing to do
    assert list(store.iter_tracking()) == []


def test_the_access_log_is_told_the_same_names(store: Store, tmp_path: Path) -> None:
    s = Stager()
    for n, t in enumerate(RECORDS, 1):
        s.add(n, t)
    staged = s.finish("tracking.jsonl", str(tmp_path / "a.db"))
    base = {"command": "import"}
    plain = Journal.entries(store, WriteAbout("upsert", tracking=RECORDS), base)
    assert Journal.entries(store, WriteAbout("upsert", tracking=staged), base) == plain
    assert set(plain[0][1]) == {e for t in RECORDS for e in t.involves}


def test_the_access_log_is_told_the_same_names_in_the_same_order_when_an_id_repeats(
    store: Store, tmp_path: Path
) -> None:
    """A repeated record id keeps its first place with its last line's names, either way (the
    access log's entry, its subjects' order included, does not depend on how the file was read)."""
    again = [
        rec("a0", "risk_assessment", "c-4", "2025-01-01", level="red"),
        rec("r1", "risk_assessment", "c-2", "2025-01-01", level="red"),
        rec("a0", "risk_assessment", "c-1", "2025-01-02", level="amber"),
    ]
    s = Stager()
    for n, t in enumerate(again, 1):
        s.add(n, t)
    staged = s.finish("tracking.jsonl", str(tmp_path / "a.db"))
    base = {"command": "import"}
    plain = Journal.entries(store, WriteAbout("upsert", tracking=list({t.id: t for t in again}.values())), base)
    assert Journal.entries(store, WriteAbout("upsert", tracking=staged), base) == plain
    assert [line for line, _ in staged.read()] == ["tracking.jsonl:2", "tracking.jsonl:3"]


def test_import_reads_a_large_tracking_file_in_a_second_process(tmp_path: Path) -> None:
    """As a user runs it: a tracking file past the size where a second process reads it."""
    from contextgraph.interchange.tracking_lines import STAGE_FROM

    many = [
        json.dumps(
            rec(f"a{i}", "risk_assessment", f"c-{1 + i % 4}", f"2025-01-{1 + i % 28:02d}", level="red").to_json()
        )
        for i in range(STAGE_FROM // 120)
    ]
    folder = folder_of(tmp_path / "in", many)
    assert (folder / "tracking.jsonl").stat().st_size >= STAGE_FROM
    url = f"sqlite:///{tmp_path / 'cg.db'}"
    done = cg("import", str(folder), "--store", url)
    assert done.returncode == 0, done.stderr
    from contextgraph.store import open_store

    with open_store(url) as s:
        assert sum(1 for _ in s.iter_tracking()) == len(many)
        assert len(s.timeline("c-2")) == len(many) // 4
    (folder / "tracking.jsonl").write_text("\n".join([*many, many[0].replace('"c-1"', '"c-404"')]) + "\n")
    again = cg("import", str(folder), "--store", f"sqlite:///{tmp_path / 'other.db'}")
    said = again.stdout + again.stderr
    assert again.returncode != 0 and f"tracking.jsonl:{len(many) + 1}: field 'subject': 'c-404'" in said
    assert not (tmp_path / "other.db").exists()  # a folder refused makes no store


def test_a_repeated_id_is_refused_on_either_path_and_the_store_keeps_the_last(tmp_path: Path) -> None:
    """Two lines of one id in a file are refused, read here or in a second process; two records of
    one id given to the store in one write (not from a file) leave the last, with what it names,
    and the access log counts it once."""
    from contextgraph.store import open_store

    first = rec("a0", "risk_assessment", "c-4", "2025-01-01", level="red")
    last = rec("a0", "risk_assessment", "c-1", "2025-01-02", level="amber")
    folder = folder_of(tmp_path / "in", [json.dumps(first.to_json()), LINES[1], json.dumps(last.to_json())])
    for problems in read_both(folder):
        assert isinstance(problems, list) and any(
            "tracking.jsonl:3: field 'id': 'a0' is the id of line 1" in p for p in problems
        )
    with open_store(f"sqlite:///{tmp_path / 'one.db'}") as s:
        s.upsert(ENTITIES, RELATIONSHIPS)
        s.upsert(tracking=[first, RECORDS[1], last])
        assert s.timeline("c-4") == [] and [t.id for t in s.timeline("c-1")] == ["a0", "r1"]
        assert {t.id: t for t in s.iter_tracking()} == {"a0": last, "r1": RECORDS[1]}
    assert (
        len(
            Journal.entries(
                open_store(f"sqlite:///{tmp_path / 'x.db'}"), WriteAbout("upsert", tracking=[first, last]), {}
            )
        )
        == 1
    )


def test_a_tracking_file_that_cannot_be_read_is_named_on_either_path(tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "in", LINES)
    (folder / "tracking.jsonl").unlink()
    (folder / "tracking.jsonl").mkdir()  # or a pipe, or a device: never read as if it held nothing
    here, there = read_both(folder)
    assert here == there == [f"{folder / 'tracking.jsonl'}: cannot be read (not a regular file)"]


def test_the_second_process_ends_when_the_first_is_gone_and_ignores_an_interruption(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    import os
    import signal

    from contextgraph.interchange import tracking_lines

    many = [json.dumps({**json.loads(x), "id": f"{json.loads(x)['id']}-{k}"}) for k in range(2000) for x in LINES]
    folder = folder_of(tmp_path / "in", many)
    staging = tracking_lines.start(folder / "tracking.jsonl", 64, 20, tmp_path)
    assert staging is not None
    os.kill(staging.process.pid, signal.SIGINT)  # Ctrl-C reaches the whole process group
    staged = staging.result({}, lambda ids: {i: e.kind for i, e in ((e.id, e) for e in ENTITIES) if i in ids}, print)
    assert staged is not None and staged.count == len(many)
    assert "Traceback" not in capfd.readouterr().err
    gone = tracking_lines.start(folder / "tracking.jsonl", 64, 20, tmp_path)
    assert gone is not None
    gone.conn.close()  # as if the first process had died: the second's send fails, and it ends
    gone.process.join(timeout=60)
    assert not gone.process.is_alive()


def test_records_that_cannot_be_staged_are_read_here(store: Store, tmp_path: Path) -> None:
    """The temporary folder full (files limited to a byte here): the second process reads every
    record but cannot stage them, and the first reads the file itself when it writes them, with
    nothing refused."""
    import resource

    store.upsert(ENTITIES, RELATIONSHIPS)
    folder = folder_of(tmp_path / "in", LINES)
    here = read_folder(folder)
    (tmp_path / "stage").mkdir()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1, hard))
    try:
        there = read_folder(folder, stage=tmp_path / "stage", stage_from=0)
        assert there.staged is not None and not there.staged.written()
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert multiprocessing.active_children() == []
    assert there.staged.read() == [(here.where[t.id], t) for t in here.tracking]
    apply_batch(store, there)
    assert {t.id: t for t in store.iter_tracking()} == {t.id: t for t in here.tracking}


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda lines: [*lines, "{changed"], id="a line broken"),
        pytest.param(lambda lines: lines[:1], id="valid lines removed"),
        pytest.param(lambda lines: [lines[1], lines[0], *lines[2:]], id="the same records in another order"),
    ],
)
def test_records_changed_before_they_are_read_again_are_refused(store: Store, tmp_path: Path, change: Any) -> None:
    """Not staged, and read again at the write: what the second process read is what the first
    checked and logged, so a file changed since — even to other good records — is refused, and
    nothing is written."""
    store.upsert(ENTITIES, RELATIONSHIPS)
    folder = folder_of(tmp_path / "in", LINES)
    there = read_folder(folder, stage=tmp_path, stage_from=0)
    assert there.staged is not None
    there.staged.stop()  # as if the staging file could not be written
    (folder / "tracking.jsonl").write_text("\n".join(change(LINES)) + "\n")
    with pytest.raises(InputError, match=r"tracking\.jsonl: changed while it was imported; nothing was written"):
        apply_batch(store, there)
    assert list(store.iter_tracking()) == []


def test_a_write_in_parts_refuses_a_changed_file_before_any_part(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write too large for one transaction writes its parts in turn, the tracking records
    last: records that must be read again are read before the first part, so that a changed
    file is refused with nothing written."""
    folder = folder_of(tmp_path / "in", LINES)
    there = read_folder(folder, stage=tmp_path, stage_from=0)
    assert there.staged is not None
    there.staged.stop()
    (folder / "tracking.jsonl").write_text("\n".join(LINES[:1]) + "\n")
    monkeypatch.setattr(store, "atomic_rows", 4)  # (the Neo4j store is shared by the tests)
    with pytest.raises(InputError, match="changed while it was imported"):
        apply_batch(store, there)
    assert list(store.iter_entities()) == [] and list(store.iter_tracking()) == []


def test_a_record_of_a_locality_not_configured_is_refused_either_way(tmp_path: Path) -> None:
    """A mistyped locality would file a record where no one's token reaches it: read here or in a
    second process, the line and field are named with what to write, and nothing is read; with no
    localities configured, any is taken."""
    area = Localities("Area", (Locality("East", ("Area East",)), Locality("West")))
    lines = [
        json.dumps({**RECORDS[1].to_json(), "locality": "East"}),
        json.dumps({**RECORDS[2].to_json(), "locality": "Eest"}),
        json.dumps({**RECORDS[3].to_json(), "locality": "Area East"}),
    ]
    folder = folder_of(tmp_path / "in", lines)
    for stage in (None, tmp_path):
        with pytest.raises(InputError) as got:
            read_folder(folder, stage=stage, stage_from=0, localities=area)
        assert got.value.problems == [
            f"{folder / 'tracking.jsonl'}:2: field 'locality': 'Eest' is not a locality of the area (East, West);"
            " add it with: contextgraph localities add Eest",
            f"{folder / 'tracking.jsonl'}:3: field 'locality': 'Area East' is another name of the locality East:"
            " write 'East'",
        ]
        assert multiprocessing.active_children() == []
        batch = read_folder(folder, stage=stage, stage_from=0)
        read = [t for _, t in batch.staged.again()] if batch.staged is not None else batch.tracking
        assert [t.locality for t in read] == ["East", "Eest", "Area East"]
        if batch.staged is not None:
            assert batch.staged.written()


def test_a_record_refused_for_its_locality_is_checked_for_the_rest_too(tmp_path: Path) -> None:
    """Every problem is said at once: a record of a locality not configured that also names no
    entity is told both, read in one process or two."""
    area = Localities("Area", (Locality("East"), Locality("West")))
    line = json.dumps(
        {**rec("x1", "risk_assessment", "c-404", "2025-01-01", level="red").to_json(), "locality": "Eest"}
    )
    folder = folder_of(tmp_path / "in", [line])
    for stage in (None, tmp_path):
        with pytest.raises(InputError) as got:
            read_folder(folder, stage=stage, stage_from=0, localities=area)
        said = "\n".join(got.value.problems)
        assert "tracking.jsonl:1: field 'locality': 'Eest'" in said
        assert "tracking.jsonl:1: field 'subject': 'c-404' is not an entity" in said
