"""Import, export and stats through the real command, on each store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from contextgraph.interchange import InputError, read_folder
from contextgraph.interchange.synth import generate
from contextgraph.model import Entity
from contextgraph.model.tracked import Tracked
from contextgraph.store import Store, open_store

from .cli import cg


def stats(store: Store) -> dict[str, object]:
    r = cg("stats", "--format", "json", store=store)
    assert r.returncode == 0, r.stderr
    return dict(json.loads(r.stdout))


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    generate(children=300, seed=3).write(folder)
    return folder


def test_import_twice_changes_nothing(store: Store, sample: Path) -> None:
    first = cg("import", str(sample), store=store)
    assert first.returncode == 0, first.stderr
    records = sum(1 for _ in (sample / "tracking.jsonl").open())
    assert records > 100 and f"; {records} tracking records" in first.stdout, first.stdout  # counted too
    before = stats(store)
    assert before["entities_total"] == sum(1 for _ in (sample / "entities.jsonl").open())
    again = cg("import", str(sample), store=store)
    assert again.returncode == 0, again.stderr
    assert "0 entities created, 0 updated; 0 relationships created, 0 updated" in again.stdout
    assert stats(store) == before


def test_export_then_import_reproduces_the_store(
    store: Store, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cg("import", str(sample), store=store).returncode == 0
    store.merge(*[e.id for e in store.iter_entities() if e.kind == "child"][:2], user="t", reason="test")
    out = tmp_path / "out"
    r = cg("export", str(out), "--purpose", "test", store=store)
    assert r.returncode == 0, r.stderr
    names = {"entities.jsonl", "relationships.jsonl", "judgements.jsonl", "tracking.jsonl"}
    assert {p.name for p in out.iterdir()} == names
    monkeypatch.setenv("CONTEXTGRAPH_AUDIT_LOG", str(tmp_path / "copy.audit.jsonl"))  # another store's log
    again = cg("import", str(out), "--store", f"sqlite:///{tmp_path / 'copy.db'}")
    assert again.returncode == 0, again.stderr
    copy = cg("stats", "--format", "json", "--store", f"sqlite:///{tmp_path / 'copy.db'}")
    mine, theirs = stats(store), json.loads(copy.stdout)
    for key in ("entities", "relationships", "localities", "merged"):
        assert mine[key] == theirs[key], key
    lines = [json.loads(x) for x in (out / "relationships.jsonl").open()]
    assert all({"type", "source", "target", "date", "source_ref", "grading"} <= set(x) for x in lines)
    # tracking records: as the sample gave them, through the store, the export and a new store
    given = {t["id"]: t for t in map(json.loads, (sample / "tracking.jsonl").open())}
    with open_store(f"sqlite:///{tmp_path / 'copy.db'}") as copied:
        held = {t.id: t.to_json() for t in copied.iter_tracking()}
    assert len(given) > 100 and held == {t.id: t.to_json() for t in store.iter_tracking()}
    assert {i: Tracked.from_json(t).to_json() for i, t in given.items()} == held


def test_one_bad_line_among_thousands_writes_nothing_and_names_the_line(store: Store, tmp_path: Path) -> None:
    data = generate(children=600, seed=5)
    assert len(data.relationships) > 2000
    data.relationships[1733]["grading"] = "9Z Q"
    data.write(tmp_path)
    r = cg("import", str(tmp_path), store=store)
    assert r.returncode == 1
    assert "relationships.jsonl:1734: field 'grading'" in r.stderr
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert stats(store)["entities_total"] == 0


@pytest.mark.parametrize(
    ("file", "line", "expected"),
    [
        ("entities.jsonl", '{"id": "c-1", "kind": "pupil", "name": "X"}', "entities.jsonl:2: field 'kind'"),
        ("entities.jsonl", '{"id": "c-1", "kind": "child"}', "entities.jsonl:2: field 'name' is required"),
        ("entities.jsonl", '{"id": "c-1", "kind": "child", "name": "X", "dob": "31/12/2009"}', "not a date"),
        ("entities.jsonl", '{"id": "l-1", "kind": "location", "name": "X", "lat": 123}', "field 'lat'"),
        ("entities.jsonl", '{"id": "s-1", "kind": "service", "name": "SOCIAL"}', "a service's name is its code"),
        ("entities.jsonl", "{not json", "entities.jsonl:2: not valid JSON"),
        ("relationships.jsonl", '{"type": "SEEN_AT", "source": "c-0", "target": "c-9"}', "'c-9' is not an entity"),
        ("relationships.jsonl", '{"type": "ATTENDS", "source": "c-0", "target": "c-0b"}', "cannot join"),
        # what a line says is quoted as it is: no markup, no emoji codes
        (
            "relationships.jsonl",
            '{"type": "SEEN_AT", "source": "c-0", "target": "[red]c-9:100:"}',
            "'[red]c-9:100:' is not",
        ),
        ("relationships.jsonl", '{"type": "KNOWS", "source": "c-0", "target": "c-0b"}', "unknown relationship type"),
        # a field given twice: which value is meant cannot be told (a JSON reader keeps the last)
        (
            "entities.jsonl",
            '{"id": "c-1", "kind": "child", "name": "X", "name": "Y"}',
            "entities.jsonl:2: field 'name' is given twice",
        ),
        (
            "entities.jsonl",
            '{"id": "c-1", "kind": "child", "name": "X", "properties": {"sex": "male", "sex": "female"}}',
            "entities.jsonl:2: field 'properties.sex' is given twice",
        ),
        (
            "relationships.jsonl",
            '{"type": "ASSOCIATES_WITH", "source": "c-0", "target": "c-0b", "source": "c-0b", "date": "10:30"}',
            "relationships.jsonl:2: field 'source' is given twice",
        ),
        # a control character in a name or an id: refused, and shown as an escape
        (
            "entities.jsonl",
            '{"id": "c-1", "kind": "child", "name": "Kyle\\u001b[2J Benson"}',
            "entities.jsonl:2: field 'name': holds a control character (\\x1b)",
        ),
        (
            "relationships.jsonl",
            '{"type": "ASSOCIATES_WITH", "source": "c-0", "target": "c-0b\x85"}',
            "relationships.jsonl:2: field 'target': holds a control character (\\x85)",
        ),
        # nor what turns the rest of the line right to left (a name shown as another), or breaks it
        (
            "entities.jsonl",
            '{"id": "c-1", "kind": "child", "name": "Kyle \u202eNOSNEB"}',
            "entities.jsonl:2: field 'name': holds a control character (\\u202e)",
        ),
        (
            "entities.jsonl",
            '{"id": "c-1", "kind": "child", "name": "Kyle", "aliases": ["\u2066Benno\u2069"]}',
            "entities.jsonl:2: field 'aliases': holds a control character (\\u2066)",
        ),
        (
            "entities.jsonl",
            '{"id": "c-1", "kind": "child", "name": "Kyle", "locality": "East\u2028"}',
            "entities.jsonl:2: field 'locality': holds a control character (\\u2028)",
        ),
        # an id or a locality that reads as another: another record, another locality no one reads
        (
            "entities.jsonl",
            '{"id": "c-\u200b0", "kind": "child", "name": "Kyle"}',
            "entities.jsonl:2: field 'id': holds a character that shows as nothing (\\u200b)",
        ),
        (
            "entities.jsonl",
            '{"id": "c-e\u0301", "kind": "child", "name": "Kyle"}',
            "entities.jsonl:2: field 'id': 'c-e\u0301' holds a letter written as two characters",
        ),
        (
            "entities.jsonl",
            '{"id": "c-1", "kind": "child", "name": "Kyle", "locality": "E\u0430st"}',
            "entities.jsonl:2: field 'locality': 'E\u0430st' mixes Latin, Cyrillic or Greek letters",
        ),
        # a number longer than any reader converts: named, not a traceback
        (
            "relationships.jsonl",
            '{"type": "ASSOCIATES_WITH", "source": "c-0", "target": "c-0b", "count": ' + "9" * 5000 + "}",
            "relationships.jsonl:2: a number of more than 4,300 digits",
        ),
    ],
)
def test_bad_lines_are_named(tmp_path: Path, file: str, line: str, expected: str) -> None:
    good_e = [
        '{"id": "c-0", "kind": "child", "name": "A"}',
        '{"id": "c-0b", "kind": "child", "name": "B"}',
    ]
    ents = [good_e[0], line, good_e[1]] if file == "entities.jsonl" else good_e
    rels = ['{"type": "ASSOCIATES_WITH", "source": "c-0", "target": "c-0b"}']
    if file == "relationships.jsonl":
        rels = [rels[0], line]
    (tmp_path / "entities.jsonl").write_text("\n".join(ents) + "\n")
    (tmp_path / "relationships.jsonl").write_text("\n".join(rels) + "\n")
    db = tmp_path / "t.db"
    r = cg("import", str(tmp_path), "--store", f"sqlite:///{db}")
    assert r.returncode == 1
    assert expected in r.stderr, r.stderr
    # the new store, and its access log, are made only once the folder is read whole: nothing is left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["entities.jsonl", "relationships.jsonl"]
    # into a store that is there, nothing of the folder is written
    assert cg("import", str(tmp_path.parent / "nothing"), "--store", f"sqlite:///{db}").returncode == 1
    (good := tmp_path / "good").mkdir()
    (good / "entities.jsonl").write_text('{"id": "c-9", "kind": "child", "name": "Z"}\n')
    assert cg("import", str(good), "--store", f"sqlite:///{db}").returncode == 0
    assert cg("import", str(tmp_path), "--store", f"sqlite:///{db}").returncode == 1
    s = cg("stats", "--format", "json", "--store", f"sqlite:///{db}")
    assert json.loads(s.stdout)["entities_total"] == 1


def test_a_field_given_twice_in_a_large_import_is_named_wherever_it_is(store: Store, tmp_path: Path) -> None:
    """A field given twice on one line (the first time null, or the same value twice), in each
    file of a folder of thousands of lines, is named by file, line and field, and nothing is
    written, whether the files are read in this process or in second processes; colons in values
    (times, references) are not taken for one."""
    data = generate(children=600, seed=5)
    assert len(data.relationships) > 2000 and len(data.tracking) > 500
    data.relationships[10]["source_ref"] = "note:10:30"
    data.entities[7]["aliases"] = ["A: B"]
    data.write(tmp_path)

    def twice(name: str, n: int, key: str, value: Any) -> None:
        path = tmp_path / name
        lines = path.read_bytes().splitlines()
        lines[n - 1] = (
            lines[n - 1].rstrip()[:-1] + b", " + json.dumps(key).encode() + b": " + json.dumps(value).encode() + b"}"
        )
        path.write_bytes(b"\n".join(lines) + b"\n")

    target = data.relationships[1733]["target"]
    twice("relationships.jsonl", 1734, "target", target)  # the same value twice is refused too
    twice("entities.jsonl", 40, "locality", "Elsewhere")
    twice("tracking.jsonl", 300, "subject", "c-0")
    lines = (tmp_path / "relationships.jsonl").read_bytes().splitlines()
    lines[99] = b'{"grading": null, ' + lines[99][1:]  # a null first, then the value
    (tmp_path / "relationships.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputError) as seen:  # every file read in a second process
        read_folder(tmp_path, stage=tmp_path.parent, stage_from=0, stage_links=True, links_from=0)
    for where in ("relationships.jsonl:100: field 'grading'", "tracking.jsonl:300: field 'subject'"):
        assert where in str(seen.value.every()), seen.value.every()
    r = cg("import", str(tmp_path), store=store)
    assert r.returncode == 1, r.stderr
    for where in (
        "relationships.jsonl:1734: field 'target' is given twice",
        "entities.jsonl:40: field 'locality' is given twice",
        "tracking.jsonl:300: field 'subject' is given twice",
        "relationships.jsonl:100: field 'grading' is given twice",
    ):
        assert where in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "note:10:30" not in r.stderr
    assert stats(store)["entities_total"] == 0


def test_non_utf8_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "entities.jsonl").write_bytes(b'{"id": "c-0", "kind": "child", "name": "A"}\n{"name": "\xff"}\n')
    r = cg("import", str(tmp_path), "--store", f"sqlite:///{tmp_path / 't.db'}")
    assert r.returncode == 1 and "entities.jsonl:2" in r.stderr


def test_relationship_may_point_at_an_entity_already_in_the_store(store: Store, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "entities.jsonl").write_text('{"id": "c-1", "kind": "child", "name": "A", "locality": "East"}\n')
    (b / "entities.jsonl").write_text('{"id": "l-1", "kind": "location", "name": "Park", "locality": "East"}\n')
    (b / "relationships.jsonl").write_text(
        '{"type": "SEEN_AT", "source": "c-1", "target": "l-1", "date": "2024-03-02", "source_ref": "m1",'
        ' "grading": "1b p", "vehicle": "red Audi"}\n'
    )
    assert cg("import", str(a), store=store).returncode == 0
    r = cg("import", str(b), store=store)
    assert r.returncode == 0, r.stderr
    (edge,) = store.neighbourhood("c-1", 1).edges
    assert edge.grading == "1B P"
    assert edge.properties == {"vehicle": "red Audi"}


def test_exit_codes_and_messages(tmp_path: Path) -> None:
    assert cg("import", str(tmp_path / "missing"), "--store", f"sqlite:///{tmp_path / 't.db'}").returncode == 1
    usage = cg("no-such-command")
    assert usage.returncode == 2
    bad_store = cg("stats", "--store", "postgres://x")
    assert bad_store.returncode == 1 and "unknown store URL" in bad_store.stderr
    assert cg("--version").stdout.startswith("contextgraph ")


def test_store_from_environment(tmp_path: Path) -> None:
    env = {**os.environ, "CONTEXTGRAPH_STORE": f"sqlite:///{tmp_path / 'env.db'}"}
    folder = tmp_path / "s"
    generate(children=50, seed=1).write(folder)
    r = subprocess.run(
        [sys.executable, "-m", "contextgraph", "import", str(folder)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "env.db").exists()


def test_default_store_is_a_file_in_the_working_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CONTEXTGRAPH_STORE"}
    generate(children=20, seed=1).write(tmp_path / "s")
    r = subprocess.run(
        [sys.executable, "-m", "contextgraph", "import", "s"],
        cwd=tmp_path,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "contextgraph.db").exists()


def test_merge_split_and_erase_commands(store: Store, sample: Path) -> None:
    assert cg("import", str(sample), store=store).returncode == 0
    kids = [e.id for e in store.iter_entities() if e.kind == "child"][:2]
    assert cg("merge", kids[0], kids[1], "--reason", "same DOB", store=store).returncode == 0
    assert stats(store)["merged"] == 1
    assert cg("split", kids[0], kids[1], store=store).returncode == 0
    assert stats(store)["merged"] == 0
    no_reason = cg("erase", kids[0], store=store)
    assert no_reason.returncode == 1 and "--reason" in no_reason.stderr
    assert cg("erase", kids[0], "--reason", "request upheld", store=store).returncode == 0
    assert stats(store)["erasures"] == 1
    shown = cg("show", kids[1], "--purpose", "test", store=store)
    assert shown.returncode == 0 and json.loads(shown.stdout)["entity"]["id"] == kids[1]
    assert cg("show", kids[0], "--purpose", "test", store=store).returncode == 1
    # the folder imported again: the line of the person erased is named, and nothing is written
    before = stats(store)
    again = cg("import", str(sample), store=store)
    assert again.returncode == 1 and f"a person erased had the id {kids[0]!r}" in again.stderr, again.stderr
    assert "entities.jsonl:" in again.stderr and "Traceback" not in again.stderr
    assert stats(store) == before


def test_initials_leave_no_persons_name_in_an_export_or_a_report(store: Store, tmp_path: Path) -> None:
    """With --initials, no person's name, alias or date of birth, nor an id its writer named after
    a child (given as a pseudonym instead), is in an export of any format or in the analysis."""
    from .data import ENTITIES, RELATIONSHIPS, rel

    named = [
        Entity("c-Jade-Okoro-7", "child", "Jade Okoro", locality="East"),
        Entity("l-Okoro-home", "location", "Ashby Court", locality="East", lat=52.61, lon=-1.05),
    ]
    links = [rel("EXPLOITS", "p-1", "c-Jade-Okoro-7"), rel("SEEN_AT", "c-Jade-Okoro-7", "l-Okoro-home")]
    store.upsert(ENTITIES + named, RELATIONSHIPS + links)
    people = [e for e in ENTITIES + named if e.kind in ("child", "person_of_concern")]
    others = " ".join(e.name for e in ENTITIES if e not in people)  # a group may be named after an alias
    secrets = [x for e in people for x in (e.name, *e.aliases, e.dob) if x and x not in others] + ["Okoro"]
    for fmt in ("jsonl", "graphml", "i2csv", "geojson"):
        for initials in (False, True):
            out = tmp_path / f"{fmt}-{initials}"
            r = cg("export", str(out), "--format", fmt, "--purpose", "t", *(["--initials"] * initials), store=store)
            assert r.returncode == 0, r.stderr
            text = "\n".join(p.read_text(encoding="utf-8") for p in out.iterdir())
            found = [s for s in secrets if s in text]
            assert (not found) if initials else "Okoro" in found, (fmt, initials, found)
            if initials:
                assert "x-" in text and (("K.B." in text and "D.O." in text) or fmt == "geojson")
    for initials in (False, True):
        r = cg("analyse", "--format", "json", "--purpose", "t", *(["--initials"] * initials), store=store)
        assert r.returncode == 0, r.stderr
        found = [s for s in ("Kyle Benson", "Zoë Ahmed", "Daniel Okafor", "Benno", "Okoro") if s in r.stdout]
        assert (not found) if initials else "c-Jade-Okoro-7" in r.stdout, (initials, found)


def test_a_store_that_cannot_be_opened_leaves_no_access_log(tmp_path: Path) -> None:
    """A mistyped --store naming some other file is refused in one line, and nothing is made
    beside it (no access log, no key)."""
    (tmp_path / "notes.db").write_text("minutes of the meeting\n")
    (folder := tmp_path / "area").mkdir()
    (folder / "entities.jsonl").write_text('{"id": "c-1", "kind": "child", "name": "A"}\n')
    for args in (("import", str(folder)), ("localities", "add", "East")):
        r = cg(*args, "--store", f"sqlite:///{tmp_path / 'notes.db'}")
        assert r.returncode != 0 and "not a store that can be opened" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["area", "notes.db"]
    assert (tmp_path / "notes.db").read_text() == "minutes of the meeting\n"


def test_what_the_command_line_shows_is_shown_as_it_is(tmp_path: Path) -> None:
    """A name is printed as it was given: not read as markup (``[red]``) nor as an emoji code
    (``:100:``); a control character in it (which an import now refuses, but a store written
    before may hold) is printed as an escape, so that it cannot steer the terminal (clear it, or
    hide a link in it)."""
    name = "Kyle [red]Benson[/red] :100: \x1b[2J\x1b]8;;http://x\x07"
    (tmp_path / "entities.jsonl").write_text(json.dumps({"id": "c-1", "kind": "child", "name": name}) + "\n")
    db = f"sqlite:///{tmp_path / 't.db'}"
    refused = cg("import", str(tmp_path), "--store", db)
    assert refused.returncode == 1 and "field 'name': holds a control character (\\x1b)" in refused.stderr
    assert "\x1b" not in refused.stderr
    s = open_store(db)
    try:
        s.upsert([Entity("c-1", "child", name)], [])
    finally:
        s.close()
    found = cg("search", "Kyle Benson", "--purpose", "test", "--store", db)
    assert found.returncode == 0 and "Kyle [red]Benson[/red] :100: \\x1b[2J\\x1b]8;;http://x\\x07" in found.stdout
    assert "\x1b" not in found.stdout and "\x07" not in found.stdout
    # as JSON, the name exactly as given
    got = cg("search", "Kyle Benson", "--purpose", "test", "--format", "json", "--store", db)
    assert got.returncode == 0 and [(h["id"], h["name"]) for h in json.loads(got.stdout)] == [("c-1", name)]


def test_an_import_removes_the_staging_folders_that_imports_killed_outright_left(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process killed outright (kill -9) leaves its staging folder, as large as the files read:
    the next import removes it once that process has ended and the folder has not changed for an
    hour; a folder of a process that runs, or that changed lately, is left."""
    temp = tmp_path / "tmp"
    temp.mkdir()
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(ended.stdout)
    old = time.time() - 2 * 3600
    left = {
        f"contextgraph-import-{dead}-old": old,  # its process ended, long since: removed
        f"contextgraph-import-{dead}-new": time.time(),  # changed lately: left
        f"contextgraph-import-{os.getpid()}-old": old,  # its process runs: left
        "contextgraph-import-other": old,  # not named by a process: left
    }
    for name, when in left.items():
        (temp / name).mkdir()
        (temp / name / "staged.db").write_bytes(b"x" * 1000)
        os.utime(temp / name, (when, when))
    monkeypatch.setenv("TMPDIR", str(temp))
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "entities.jsonl").write_text('{"id": "c-1", "kind": "child", "name": "A"}\n')
    run = cg("import", str(folder), "--store", f"sqlite:///{tmp_path / 'new.db'}")
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in temp.iterdir()) == sorted(set(left) - {f"contextgraph-import-{dead}-old"})


def test_a_file_saved_with_a_byte_order_mark_is_read_as_any_other(tmp_path: Path) -> None:
    """Some editors begin a UTF-8 file with a byte-order mark: the first line is read without it."""
    folder = tmp_path / "bom"
    folder.mkdir()
    (folder / "entities.jsonl").write_bytes(
        b'\xef\xbb\xbf{"id": "c-1", "kind": "child", "name": "Kyle Benson"}\n'
        b'{"id": "c-2", "kind": "child", "name": "M"}\n'
    )
    (folder / "relationships.jsonl").write_bytes(
        b'\xef\xbb\xbf{"type": "ASSOCIATES_WITH", "source": "c-1", "target": "c-2"}\n'
    )
    r = cg("import", str(folder), "--store", f"sqlite:///{tmp_path / 't.db'}")
    assert r.returncode == 0 and "2 entities created" in r.stdout and "1 relationships created" in r.stdout, r


def test_a_search_out_of_bounds_is_refused_naming_the_option_or_setting(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--limit takes 1 to 1,000 (a number past a C long was a traceback, -1 dropped the last hit),
    and the text is held to CONTEXTGRAPH_MAX_SEARCH as the service holds it; nothing is logged."""
    from .data import ENTITIES, RELATIONSHIPS

    store.upsert(ENTITIES, RELATIONSHIPS)
    for limit in ("0", "-1", "99999999999999999999"):
        r = cg("search", "Kyle", "--purpose", "test", "--limit", limit, store=store)
        assert r.returncode == 2 and "--limit" in r.stderr and "Traceback" not in r.stderr, (limit, r.stderr)
    monkeypatch.setenv("CONTEXTGRAPH_MAX_SEARCH", "5")
    r = cg("search", "Kyle Benson", "--purpose", "test", store=store)
    assert r.returncode == 1 and "more than 5 (CONTEXTGRAPH_MAX_SEARCH)" in r.stderr, r.stderr
    monkeypatch.setenv("CONTEXTGRAPH_MAX_SEARCH", "x")
    r = cg("search", "Kyle", "--purpose", "test", store=store)
    assert r.returncode == 1 and "CONTEXTGRAPH_MAX_SEARCH must be a positive number" in r.stderr, r.stderr
    monkeypatch.delenv("CONTEXTGRAPH_MAX_SEARCH")
    assert cg("search", "Kyle", "--purpose", "test", "--limit", "1000", store=store).returncode == 0


def test_a_line_giving_a_person_held_another_date_of_birth_is_refused(
    store: Store, sample: Path, tmp_path: Path
) -> None:
    """An id is one person: a file that gives a child held under its id another date of birth (an
    id re-used for another child, by another area's sample, say) is refused, naming the line, and
    nothing is written; the store's own export, merges and all, imports back into it unchanged."""
    assert cg("import", str(sample), store=store).returncode == 0
    kids = [e for e in store.iter_entities() if e.kind == "child" and e.dob]
    assert cg("merge", kids[0].id, kids[1].id, "--reason", "same child", store=store).returncode == 0
    out = tmp_path / "out"
    assert cg("export", str(out), "--purpose", "test", store=store).returncode == 0
    before = stats(store)
    back = cg("import", str(out), store=store)
    assert back.returncode == 0 and stats(store) == before, back.stderr
    lines = (out / "entities.jsonl").read_text().splitlines()
    n, line = next((n, json.loads(x)) for n, x in enumerate(lines, 1) if json.loads(x)["id"] == kids[2].id)
    lines[n - 1] = json.dumps(
        {**line, "name": "Someone Else", "dob": "2011-01-01" if line["dob"] != "2011-01-01" else "2012-02-02"}
    )
    (out / "entities.jsonl").write_text("\n".join(lines) + "\n")
    r = cg("import", str(out), store=store)
    said = f"entities.jsonl:{n}: field 'dob': {kids[2].id!r} is held with the date of birth {kids[2].dob}"
    assert r.returncode == 1 and said in r.stderr, r.stderr
    assert stats(store) == before and store.get(kids[2].id).name == kids[2].name  # type: ignore[union-attr]


def test_a_judgement_imported_keeps_who_made_it_when_and_its_id(
    store: Store, sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A merge and a split exported and imported into another store keep their own ids, times,
    users and reasons (a merge's provenance is who decided and when); imported again they are held
    already and are not made twice. A time that is no date and time, or one to come, is named."""
    assert cg("import", str(sample), store=store).returncode == 0
    kids = [e.id for e in store.iter_entities() if e.kind == "child"][:3]
    assert cg("merge", kids[0], kids[1], "--reason", "same DOB", "--user", "ana", store=store).returncode == 0
    assert cg("merge", kids[0], kids[2], "--reason", "same school", "--user", "bo", store=store).returncode == 0
    assert cg("split", kids[0], kids[2], "--reason", "twins", "--user", "cy", store=store).returncode == 0
    made = [(j.id, j.at, j.kind, j.user, j.reason) for j in store.judgements()]
    out = tmp_path / "out"
    assert cg("export", str(out), "--purpose", "test", store=store).returncode == 0
    other = f"sqlite:///{tmp_path / 'other.db'}"
    monkeypatch.setenv("CONTEXTGRAPH_AUDIT_LOG", str(tmp_path / "other.audit.jsonl"))  # another store's log
    for _ in range(2):
        r = cg("import", str(out), "--store", other)
        assert r.returncode == 0, r.stderr
        with open_store(other) as s:
            assert [(j.id, j.at, j.kind, j.user, j.reason) for j in s.judgements()] == made
            assert s.get(kids[1]).id == kids[0] and s.get(kids[2]).id == kids[2]  # type: ignore[union-attr]
    line = json.loads((out / "judgements.jsonl").read_text().splitlines()[0])
    for at, said in (("yesterday", "is not a date and time"), ("2999-01-01T00:00:00+00:00", "is after tomorrow")):
        (out / "judgements.jsonl").write_text(json.dumps({**line, "at": at}) + "\n")
        r = cg("import", str(out), "--store", f"sqlite:///{tmp_path / 'third.db'}")
        assert r.returncode == 1 and f"judgements.jsonl:1: field 'at': {at!r} {said}" in r.stderr, r.stderr


def test_a_file_of_lines_under_another_name_is_named_not_passed_over(tmp_path: Path) -> None:
    """entites.jsonl beside the other files would be passed over, and its records lost without a
    word: the folder is refused, naming it, and nothing is written."""
    folder = tmp_path / "area"
    folder.mkdir()
    (folder / "entites.jsonl").write_text('{"id": "c-1", "kind": "child", "name": "Kyle Benson"}\n')
    (folder / "relationships.jsonl").write_text("")
    (folder / "notes.txt").write_text("not lines: left alone\n")
    db = tmp_path / "t.db"
    r = cg("import", str(folder), "--store", f"sqlite:///{db}")
    assert r.returncode == 1 and "entites.jsonl: not a file of the format (entities.jsonl," in r.stderr, r.stderr
    assert not db.exists()


def test_judgement_ids_and_dates_of_birth_are_one_each_in_a_file_and_the_store(
    store: Store, sample: Path, tmp_path: Path
) -> None:
    """One id given to two judgements in a file, or a file's judgement under an id the store holds
    for another, is refused (the second was passed over as held already, silently); one id given
    two dates of birth in a file is refused too, and so is a record merged into a person given a
    date of birth other than theirs. Nothing of a refused folder is written."""
    assert cg("import", str(sample), store=store).returncode == 0
    kids = [e for e in store.iter_entities() if e.kind == "child" and e.dob][:6]
    assert cg("merge", kids[0].id, kids[1].id, "--reason", "one child", store=store).returncode == 0
    held = store.judgements()[0].id
    before = stats(store)

    def refused(files: dict[str, list[dict[str, object]]], said: str) -> None:
        folder = tmp_path / f"f{len(list(tmp_path.iterdir()))}"
        folder.mkdir()
        for name, lines in files.items():
            (folder / name).write_text("".join(json.dumps(x) + "\n" for x in lines))
        r = cg("import", str(folder), store=store)
        assert r.returncode == 1 and said in r.stderr, r.stderr
        assert stats(store) == before

    merge = {"kind": "merge", "user": "ana", "reason": "same"}
    pair = [
        {**merge, "id": "J1", "a": kids[2].id, "b": kids[3].id},
        {**merge, "id": "J1", "a": kids[4].id, "b": kids[5].id},
    ]
    refused(
        {"judgements.jsonl": pair, "entities.jsonl": []}, "judgements.jsonl:2: field 'id': 'J1' is the id of line 1 too"
    )
    again = [{**merge, "id": held, "a": kids[2].id, "b": kids[3].id}]
    refused(
        {"judgements.jsonl": again, "entities.jsonl": []}, f"the judgement id {held!r} is held already, for another"
    )
    amy = {"id": "c-new", "kind": "child", "name": "Amy Stone", "dob": "2010-01-01"}
    twice = [amy, {**amy, "name": "Bob Other", "dob": "2013-03-03"}]
    refused(
        {"entities.jsonl": twice},
        "entities.jsonl:2: field 'dob': 'c-new' is given the date of birth 2010-01-01 at line 1",
    )
    # a record with no date of birth of its own, merged into a person with one
    store.upsert([Entity("c-nodob", "child", "No Date", locality=kids[0].locality)], [])
    assert cg("merge", kids[0].id, "c-nodob", "--reason", "one child", store=store).returncode == 0
    before = stats(store)
    other = "2015-05-05" if kids[0].dob != "2015-05-05" else "2016-06-06"
    line = {"id": "c-nodob", "kind": "child", "name": "No Date", "dob": other}
    refused({"entities.jsonl": [line]}, f"'c-nodob' is held with the date of birth {kids[0].dob}")
