"""A first load's relationships read, checked and made into rows in a second process: the store
written is the one the first process alone writes (rows, numbers and index), every message is
the same, and whenever the rows do not fit the store or the second process fails, the first
reads the file itself."""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from contextgraph.interchange import InputError, apply_batch, read_folder
from contextgraph.interchange.synth import generate
from contextgraph.store import open_store
from contextgraph.store.sqlite import SQLiteStore
from contextgraph.store.staged import StagedRelationships

from .cli import cg

# lines the quick reader takes, and lines only the checked reader takes, of every shape a
# relationship may have: repeated, reversed symmetric pairs, properties, unusual spellings
ODD = [
    {"type": "ASSOCIATES_WITH", "source": "c-2", "target": "c-1", "source_ref": "n-9", "grading": "3e c"},
    {"type": "ASSOCIATES_WITH", "source": "c-1", "target": "c-2", "source_ref": "n-8"},
    {"type": "ASSOCIATES_WITH", "source": "c-1", "target": "c-2", "source_ref": "n-8"},
    {"type": "SEEN_AT", "source": " c-3 ", "target": "l-1", "date": "2024-01-02", "grading": "1ap"},
    {"type": "SEEN_AT", "source": "c-3", "target": "l-1", "date": "2023-12-30", "source_ref": "n-2"},
    {"type": "SEEN_AT", "source": "c-4", "target": "l-1", "properties": {"note": "by the shop"}},
    {"type": "SEEN_AT", "source": "c-4", "target": "l-1", "source_ref": "n-3", "properties": {"time": 21}},
    {"type": "SEEN_AT", "source": "c-4", "target": "l-2", "properties": {"seen": {"with": "c-2"}}},
    {"type": "SEEN_AT", "source": "c-1", "target": "l-2", "source_ref": "n-4", "date": "2024-02-01"},
    {"type": "SEEN_AT", "source": "c-1", "target": "l-2", "source_ref": "n-5", "properties": {"time": 9}},
    {"type": "EXPLOITS", "source": "p-1", "target": "c-2", "grading": " 2b c ", "date": None},
    {"type": "ATTENDS", "source": "c-1", "target": "s-1", "extra": None},
    {"type": "SEEN_AT", "source": "c-2", "target": "l-2", "properties": {"n": 2**64}},  # kept as a float
]


def folder_of(tmp: Path, odd: list[Any] = ODD, children: int = 120, blank: bool = True) -> Path:
    """A generated area, with the contract's entities and ``odd`` lines (a str as it is) among
    its relationships, and a blank line unless not ``blank``."""
    from .data import ENTITIES

    area = generate(children=children, seed=5, with_tracking=False)
    area.entities += [e.to_json() for e in ENTITIES]
    area.write(tmp)
    lines = (tmp / "relationships.jsonl").read_text().splitlines()
    odd_lines = [x if isinstance(x, str) else json.dumps(x) for x in odd]
    (tmp / "relationships.jsonl").write_text(
        "\n".join([*odd_lines[:3], *([""] if blank else []), *lines, *odd_lines[3:]]) + "\n"
    )
    return tmp


def written(db: Path, batch: Any) -> tuple[Any, ...]:
    """What writing ``batch`` into a new store at ``db`` leaves: the summary, every row, the index."""
    with open_store(f"sqlite:///{db}") as s:
        assert isinstance(s, SQLiteStore)
        summary, _ = apply_batch(s, batch)
        rels = s._db.execute("SELECT * FROM relationships ORDER BY rid").fetchall()
        ents = s._db.execute("SELECT * FROM entities ORDER BY nid").fetchall()
        snap = s._index().snapshot()
        s._ix = None
        s._ix_saved = True  # the index read again from the rows, not from a copy
        assert s._load_index().snapshot() == snap
    return summary, rels, ents, snap


def no_reading_here() -> list[Any]:
    raise AssertionError("the relationships were read again in the first process")


def test_the_rows_made_in_a_second_process_are_those_the_first_makes(tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "in")
    here = read_folder(folder)
    there = read_folder(folder, stage=tmp_path, stage_links=True, links_from=0)
    assert there.relationships == [] and isinstance(there.links, StagedRelationships)
    assert len(there.links) == len(here.relationships)
    there.links = dataclasses.replace(there.links, read=no_reading_here)
    a, b = written(tmp_path / "a.db", here), written(tmp_path / "b.db", there)
    assert a == b
    assert multiprocessing.active_children() == []
    summary, rels, _, _ = b
    assert summary.relationships_created == len(rels) > 500


@pytest.mark.parametrize(
    "bad",
    [
        [{"type": "SEEN_AT", "source": "c-1", "target": "l-404"}],
        [{"type": "ATTENDS", "source": "c-1", "target": "l-1"}],
        [{"type": "OWNS", "source": "c-1", "target": "l-1"}],
        ['{"type": "SEEN_AT", "source": "c-1",'],
        [{"type": "SEEN_AT", "source": "c-1", "target": "l-1", "date": "yesterday"}],
        [{"type": "SEEN_AT", "source": "c-1", "target": "c-1"}],
        [{"type": "SEEN_AT", "source": "c-1", "target": f"l-{n}"} for n in range(30)],
        [
            '{"type": "SEEN_AT", "source": "c-1", "target": "l-1"}, '
            '{"type": "SEEN_AT", "source": "c-2", "target": "l-1"}',
            '{"type": "SEEN_AT", "source": "c-3", "target": "l-1", "properties": {"x": 1}}',
        ],
        ['{"type": "SEEN_AT", "source": "c-1"', '"target": "l-1"}'],
        [
            '{"type": "SEEN_AT", "source": "c-1", "target": "l-2"}],[{"type": "SEEN_AT", "source": "c',
            '-2", "target": "l-1"}',
        ],
    ],
    ids=[
        "unknown end",
        "kinds",
        "type",
        "not JSON",
        "date",
        "itself",
        "too many",
        "two on a line",
        "split",
        "crafted",
    ],
)
def test_every_problem_is_told_as_the_first_process_tells_it(tmp_path: Path, bad: list[Any]) -> None:
    folder = folder_of(tmp_path, bad, children=30, blank=False)  # every other line the quick reader takes
    told = []
    for stage in (False, True):
        with pytest.raises(InputError) as e:
            read_folder(folder, stage=tmp_path, stage_links=stage, links_from=0)
        told.append(e.value.problems)
    assert told[0] == told[1] and told[0]
    assert multiprocessing.active_children() == []


def test_rows_that_do_not_fit_the_store_are_not_taken(tmp_path: Path) -> None:
    """A store that already holds an entity numbers the folder's differently: the first process
    reads the relationships, and the store is as if it had read them from the start."""
    from .data import ENTITIES

    folder = folder_of(tmp_path / "in", children=30)
    out = []
    for n, stage in enumerate((False, True)):
        with open_store(f"sqlite:///{tmp_path / f'{n}.db'}") as s:
            s.upsert([ENTITIES[0]])
            apply_batch(s, read_folder(folder, stage=tmp_path, stage_links=stage, links_from=0))
            out.append(s._db.execute("SELECT * FROM relationships ORDER BY rid").fetchall())  # type: ignore[attr-defined]
    assert out[0] == out[1]
    assert multiprocessing.active_children() == []


def test_a_second_process_that_stops_leaves_the_reading_to_the_first(tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "in", children=30)
    here = read_folder(folder)
    there = read_folder(folder, stage=tmp_path, stage_links=True, links_from=0)
    assert there.links is not None
    there.links.rows.__self__.process.kill()  # type: ignore[attr-defined]
    assert written(tmp_path / "a.db", here) == written(tmp_path / "b.db", there)
    assert multiprocessing.active_children() == []


def test_a_first_import_large_enough_reads_its_relationships_in_a_second_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a user runs it: a new store takes the rows made by the second process; a store that
    exists reads the same folder in one process; both hold the same rows. The staging files are
    gone when the import ends, written or refused."""
    from contextgraph.interchange.staged_links import STAGE_FROM

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    folder = folder_of(tmp_path / "in", children=1500)
    assert (folder / "relationships.jsonl").stat().st_size >= STAGE_FROM
    open_store(f"sqlite:///{tmp_path / 'old.db'}").close()
    rows = []
    for name in ("new", "old"):
        done = cg("import", str(folder), "--store", f"sqlite:///{tmp_path / name}.db")
        assert done.returncode == 0, done.stderr
        with sqlite3.connect(tmp_path / f"{name}.db") as db:
            rows.append(db.execute("SELECT * FROM relationships ORDER BY rid").fetchall())
    assert rows[0] == rows[1] and len(rows[0]) > 5000
    assert list(scratch.iterdir()) == []
    with (folder / "relationships.jsonl").open("a") as fh:
        fh.write('{"type": "SEEN_AT", "source": "nobody", "target": "nowhere"}\n')
    refused = cg("import", str(folder), "--store", f"sqlite:///{tmp_path / 'refused.db'}")
    assert refused.returncode != 0 and "nobody" in refused.stderr, refused.stderr
    assert not (tmp_path / "refused.db").exists() and list(scratch.iterdir()) == []


def test_a_relationships_file_that_cannot_be_read_is_said_to_be_so(tmp_path: Path) -> None:
    folder = folder_of(tmp_path, children=30)
    (folder / "relationships.jsonl").unlink()
    (folder / "relationships.jsonl").mkdir()
    for stage in (False, True):
        with pytest.raises(InputError, match=r"relationships\.jsonl: cannot be read \(not a regular file\)"):
            read_folder(folder, stage=tmp_path, stage_links=stage, links_from=0)
    assert multiprocessing.active_children() == []


def test_a_write_that_fails_ends_the_second_process(tmp_path: Path) -> None:
    folder = folder_of(tmp_path / "in", children=30)
    batch = read_folder(folder, stage=tmp_path, stage_links=True, links_from=0)
    with open_store(f"sqlite:///{tmp_path / 'a.db'}") as s:

        def broken(*args: object, **kwargs: object) -> None:
            raise OSError("disk full")

        s.upsert = broken  # type: ignore[method-assign]
        with pytest.raises(OSError, match="disk full"):
            apply_batch(s, batch)
    assert multiprocessing.active_children() == []


def test_an_import_ended_by_a_termination_leaves_no_staging_file(tmp_path: Path) -> None:
    """``kill`` (SIGTERM) while a first load is under way: the import ends as on an error, and its
    temporary folder goes with it."""
    import os
    import signal
    import subprocess
    import sys
    import time

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    folder = folder_of(tmp_path / "in", children=1500)
    env = {**os.environ, "TMPDIR": str(scratch)}
    cmd = [sys.executable, "-m", "contextgraph", "import", str(folder), "--store", f"sqlite:///{tmp_path / 'a.db'}"]
    run = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not any(scratch.rglob("staged-*")) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert run.poll() is None, "the import ended before its staging files were made"
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=60) == 128 + signal.SIGTERM
    assert list(scratch.iterdir()) == []


def test_a_relationships_file_gone_before_its_check_ends_the_second_process(tmp_path: Path) -> None:
    """The file removed after the second process started: the first reads none, says nothing of
    them, and the second process is ended rather than left waiting."""
    from contextgraph.interchange import staged_links

    folder = folder_of(tmp_path / "in")
    started = staged_links.start

    def start_then_remove(*args: Any, **kw: Any) -> Any:
        got = started(*args, **kw)
        (folder / "relationships.jsonl").unlink()
        return got

    staged_links.start = start_then_remove  # type: ignore[assignment]
    try:
        batch = read_folder(folder, stage=tmp_path, stage_links=True, links_from=0)
    finally:
        staged_links.start = started  # type: ignore[assignment]
    assert batch.links is None and batch.relationships == []
    assert multiprocessing.active_children() == []
