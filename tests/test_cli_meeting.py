"""The command line as a locality chair meets it: a mistyped store, a folder of notes with its
README, a long list of problems, ids to copy, counts that agree, and localities as people write them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from contextgraph.interchange.jsonl import InputError
from contextgraph.interchange.synth import SAMPLE_AREA, generate
from contextgraph.service.auth import LocalKeys
from contextgraph.store import open_store

from .cli import cg
from .data import ENTITIES, RELATIONSHIPS
from .test_ingest import NOTE_A, NOTE_B


def at_width(columns: int, *args: str) -> subprocess.CompletedProcess[str]:
    """``contextgraph ARGS`` at a terminal this many columns wide."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": str(columns)}
    cmd = [sys.executable, "-m", "contextgraph", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, check=False)


@pytest.fixture
def area(tmp_path: Path) -> str:
    """A SQLite store with the sample area's localities and the contract data."""
    url = f"sqlite:///{tmp_path / 'area.db'}"
    s = open_store(url)
    s.set_localities(SAMPLE_AREA)
    s.upsert(ENTITIES, RELATIONSHIPS)
    s.close()
    return url


# 1. a store is made only by the commands that fill one


@pytest.mark.parametrize(
    "args",
    [
        ["stats"],
        ["analyse", "--purpose", "LOG"],
        ["search", "Kyle", "--purpose", "LOG"],
        ["show", "c-1", "--purpose", "LOG"],
        ["review"],
        ["token", "--user", "ana", "--role", "chair"],
        ["export", "OUT", "--purpose", "LOG"],
        ["extract", "NOTE"],
        ["gazetteer", "locate"],
        ["merge", "c-1", "c-2"],
        ["localities", "list"],
    ],
    ids=lambda a: " ".join(a[:1]),
)
def test_a_mistyped_store_is_refused_and_nothing_is_made(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "NOTE").write_text(NOTE_A, encoding="utf-8")
    args = [str(tmp_path / "OUT") if a == "OUT" else str(tmp_path / a) if a == "NOTE" else a for a in args]
    typo = tmp_path / "typo" / "x.db"
    r = cg(*args, "--store", f"sqlite:///{typo}", cwd=tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and f"no store at {typo}" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and "0 children" not in r.stdout
    assert not (tmp_path / "typo").exists()
    assert not (tmp_path / "OUT").exists()


def test_the_access_log_of_a_mistyped_store_is_refused_not_listed_empty(tmp_path: Path) -> None:
    typo = tmp_path / "typo" / "x.db"
    for fmt in ("table", "json"):
        r = cg("audit", "list", "--store", f"sqlite:///{typo}", "--format", fmt, cwd=tmp_path)
        assert r.returncode == 1, r.stdout + r.stderr
        assert r.stderr.count("\n") == 1 and "no access log" in r.stderr, r.stderr
        assert r.stdout == "" and "Traceback" not in r.stderr
    assert not (tmp_path / "typo").exists()


def test_the_default_store_is_not_made_in_the_working_folder_either(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CONTEXTGRAPH_STORE"}
    r = subprocess.run(
        [sys.executable, "-m", "contextgraph", "analyse", "--purpose", "LOG"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 1 and "no store at contextgraph.db" in r.stderr
    assert not (tmp_path / "contextgraph.db").exists()


def test_import_ingest_and_localities_still_make_a_new_store(tmp_path: Path) -> None:
    data = tmp_path / "data"
    generate(children=20, seed=1).write(data)
    assert cg("import", str(data), "--store", f"sqlite:///{tmp_path / 'a' / 'i.db'}").returncode == 0
    assert cg("localities", "add", "North", "--store", f"sqlite:///{tmp_path / 'l.db'}").returncode == 0
    note = tmp_path / "n.md"
    note.write_text(NOTE_A, encoding="utf-8")
    r = cg("ingest", str(note), "--store", f"sqlite:///{tmp_path / 'n.db'}")
    assert (tmp_path / "n.db").exists(), r.stderr  # made, though its locality is not configured there
    assert cg("stats", "--store", f"sqlite:///{tmp_path / 'a' / 'i.db'}").returncode == 0


# 2. every problem an import gathered, one a line


def test_import_lists_every_problem_it_found_one_a_line(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"c-{i}", "kind": "pupil" if i % 2 else "child", "name": "X"}) for i in range(7)]
    (tmp_path / "entities.jsonl").write_text("\n".join(lines) + "\n")
    r = cg("import", str(tmp_path), "--store", f"sqlite:///{tmp_path / 't.db'}")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    said = r.stderr.strip().splitlines()
    assert len(said) == 4 and said[-1] == "error: 3 problems; nothing was written"
    for line, n in zip(said, (2, 4, 6), strict=False):
        assert line.startswith("error: ") and f"entities.jsonl:{n}: field 'kind': unknown kind 'pupil'" in line
    assert "more problem" not in r.stderr


def test_import_says_when_it_stopped_gathering(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"c-{i}", "kind": "pupil", "name": "X"}) for i in range(30)]
    (tmp_path / "entities.jsonl").write_text("\n".join(lines) + "\n")
    r = cg("import", str(tmp_path), "--store", f"sqlite:///{tmp_path / 't.db'}")
    said = r.stderr.strip().splitlines()
    assert len(said) == 21 and all(f"entities.jsonl:{n}:" in said[n - 1] for n in range(1, 21))
    assert "20 problems; reading stopped there, so there may be more; nothing was written" in said[-1]


def test_one_more_problem_is_one_problem() -> None:
    assert str(InputError(["a:1: x", "a:2: y"])) == "a:1: x (and 1 more problem)"
    assert str(InputError(["a:1: x", "a:2: y", "a:3: z"])) == "a:1: x (and 2 more problems)"


# 3. a folder of notes holds other files too


def test_ingesting_a_folder_skips_what_is_not_a_note_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "README.md").write_text("# Notes of the Northbrook East MACE\n\nOne file a meeting.\n")
    (folder / "a.md").write_text(NOTE_A, encoding="utf-8")
    (folder / "a.gold.json").write_text("{}")
    (folder / ".a.md.swp").write_bytes(b"\x00\x01")
    (folder / ".draft.md").write_text(NOTE_B)
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert cg("localities", "import", str(_area_file(tmp_path)), "--store", url).returncode == 0
    r = cg("ingest", str(folder), "--format", "json", "--store", url)
    assert r.returncode == 0, r.stderr
    assert [n["file"] for n in json.loads(r.stdout)["notes"]] == ["a.md"]
    skipped = r.stderr.strip().splitlines()
    assert len(skipped) == 1 and skipped[0].startswith("note: skipped 4 files that are not notes")
    for name in ("README.md", "a.gold.json", ".a.md.swp", ".draft.md"):
        assert name in skipped[0]


def test_a_folder_without_notes_is_refused_and_makes_no_store(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("# nothing here\n")
    r = cg("ingest", str(tmp_path), "--store", f"sqlite:///{tmp_path / 't.db'}")
    assert r.returncode == 1 and "no notes to ingest" in r.stderr
    assert not (tmp_path / "t.db").exists()


def _area_file(tmp_path: Path) -> Path:
    f = tmp_path / "area.json"
    f.write_text(json.dumps(SAMPLE_AREA.to_json()), encoding="utf-8")
    return f


# 4. the ids review accept and --into need are never cut short


@pytest.mark.parametrize("columns", [120, 80])
def test_review_shows_every_id_whole(tmp_path: Path, columns: int) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert cg("localities", "import", str(_area_file(tmp_path)), "--store", url).returncode == 0
    notes = []
    for name, text in (("a.md", NOTE_A), ("b.md", NOTE_B)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        notes.append(str(tmp_path / name))
    assert cg("ingest", *notes, "--store", url).returncode == 0
    items = json.loads(cg("review", "--all", "--format", "json", "--store", url).stdout)
    assert items
    r = at_width(columns, "review", "--all", "--store", url)
    assert r.returncode == 0, r.stderr
    for it in items:
        for i in [it["id"], *([it["entity"], *it["candidates"]] if it["type"] == "identity" else [])]:
            assert re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", r.stdout), (i, r.stdout)
    assert r.stdout.strip().endswith(f"{len(items)} item" + ("" if len(items) == 1 else "s"))


# 5. counts that agree with what is shown


def test_a_cut_list_says_it_is_cut(tmp_path: Path) -> None:
    data = tmp_path / "d"
    generate(children=300, seed=3).write(data)
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert cg("import", str(data), "--store", url).returncode == 0
    full = json.loads(cg("analyse", "--format", "json", "--purpose", "LOG", "--store", url).stdout)
    assert len(full["peer_groups"]) > 2 and len(full["hotspots"]) > 2
    r = cg("analyse", "--top", "2", "--purpose", "LOG", "--store", url)
    assert r.returncode == 0, r.stderr
    assert f"Peer groups holding risk (top 2 of {len(full['peer_groups'])})" in r.stdout
    assert "Hotspot locations (top 2)" in r.stdout
    for title, n in re.findall(r"^ *([A-Z][\w -]+) \((\d+)\)$", r.stdout, re.M):
        assert int(n) <= 2, (title, n)


def test_one_is_said_in_the_singular(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    ents = [
        {"id": "l-1", "kind": "location", "name": "Carrow Park", "locality": "East", "lat": 52.6, "lon": -1.1},
        {"id": "c-1", "kind": "child", "name": "Kyle Benson", "locality": "East"},
        {"id": "p-1", "kind": "person_of_concern", "name": "Daniel Okafor", "locality": "East"},
    ]
    rels = [
        {"type": "SEEN_AT", "source": "c-1", "target": "l-1", "date": "2024-03-02"},
        {"type": "SEEN_AT", "source": "p-1", "target": "l-1", "date": "2024-03-02"},
        {"type": "FOUND_AT", "source": "c-1", "target": "l-1", "date": "2024-03-03"},
    ]
    (data / "entities.jsonl").write_text("".join(json.dumps(e) + "\n" for e in ents))
    (data / "relationships.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rels))
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert cg("import", str(data), "--store", url).returncode == 0
    r = cg("analyse", "--format", "json", "--purpose", "LOG", "--store", url)
    (h,) = json.loads(r.stdout)["hotspots"]
    assert "1 person of concern" in h["text"] and "1 missing episode ended here" in h["text"], h["text"]
    assert "of 1 child linked" in h["text"]
    table = cg("analyse", "--purpose", "LOG", "--store", url).stdout
    assert not re.search(r"\b1 (persons|children|problems|items|more problems)\b", table), table


# 6 and 8. localities as configured, however they are written


def test_token_refuses_a_locality_not_configured_naming_those_that_are(area: str, tmp_path: Path) -> None:
    r = cg("token", "--user", "ana", "--role", "chair", "--locality", "Nowhere", "--store", area)
    assert r.returncode == 1 and not r.stdout
    assert "'Nowhere' is not a configured locality" in r.stderr
    assert "configured: North, South, East, West, Central" in r.stderr


def test_token_refuses_any_locality_when_none_is_configured(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bare.db'}"
    open_store(url).close()
    r = cg("token", "--user", "ana", "--role", "chair", "--locality", "East", "--store", url)
    assert r.returncode == 1 and not r.stdout and "none is configured" in r.stderr


def test_a_locality_not_held_names_those_the_store_holds_as_held_not_configured(tmp_path: Path) -> None:
    """With no localities configured, a locality the store does not hold is refused naming those
    it holds, as held in the store (they are not configured)."""
    url = f"sqlite:///{tmp_path / 'held.db'}"
    s = open_store(url)
    s.upsert(ENTITIES, RELATIONSHIPS)
    s.close()
    r = cg("analyse", "--locality", "Nowhere", "--purpose", "check", "--store", url)
    assert r.returncode == 1 and "none is configured; the store holds East, West" in r.stderr, r.stderr
    assert "configured: East" not in r.stderr


def test_a_locality_is_matched_without_regard_to_case_or_by_alias(area: str, tmp_path: Path) -> None:
    r = cg(
        "token",
        "--user",
        "ana",
        "--role",
        "analyst",
        "--locality",
        "north",
        "--locality",
        "northbrook EAST",
        "--store",
        area,
    )
    assert r.returncode == 0, r.stderr
    p = LocalKeys(tmp_path / "area.key.pem").verifier().verify(r.stdout.strip())
    assert p.localities == ("East", "North")
    r = cg("analyse", "--locality", "east", "--format", "json", "--purpose", "LOG", "--store", area)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["localities"] == ["East"]
    r = cg("analyse", "--locality", "Eastt", "--purpose", "LOG", "--store", area)
    assert r.returncode == 1 and "'Eastt' is not a configured locality" in r.stderr


def test_analyse_matches_a_locality_of_data_imported_without_configuration(tmp_path: Path) -> None:
    data = tmp_path / "d"
    generate(children=50, seed=1).write(data)
    url = f"sqlite:///{tmp_path / 't.db'}"
    assert cg("import", str(data), "--store", url).returncode == 0
    r = cg("analyse", "--locality", "NORTH", "--format", "json", "--purpose", "LOG", "--store", url)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["localities"] == ["North"]


# 7. an export never overwrites a folder unasked


def test_export_refuses_a_folder_that_is_not_empty_unless_forced(area: str, tmp_path: Path) -> None:
    out = tmp_path / "pack"
    out.mkdir()
    (out / "minutes.docx").write_text("the chair's own file")
    (out / "entities.jsonl").write_text("an earlier export\n")
    r = cg("export", str(out), "--purpose", "MACE", "--store", area)
    assert r.returncode == 1 and "not empty" in r.stderr and "--force" in r.stderr
    assert (out / "entities.jsonl").read_text() == "an earlier export\n"
    assert sorted(p.name for p in out.iterdir()) == ["entities.jsonl", "minutes.docx"]
    r = cg("export", str(out), "--purpose", "MACE", "--force", "--store", area)
    assert r.returncode == 0, r.stderr
    assert (out / "minutes.docx").read_text() == "the chair's own file"
    assert len((out / "entities.jsonl").read_text().splitlines()) == len(ENTITIES)
    (tmp_path / "file").write_text("x")
    r = cg("export", str(tmp_path / "file"), "--purpose", "MACE", "--force", "--store", area)
    assert r.returncode == 1 and "not a folder" in r.stderr and (tmp_path / "file").read_text() == "x"


def test_an_export_that_cannot_be_written_says_so_in_a_line_and_gives_nothing(
    area: str, tmp_path: Path, _audit_log: Path
) -> None:
    """A folder with a file of the export's name, or a folder under a file: a line before anything
    is written, and no disclosure logged."""
    (tmp_path / "f2" / "i2-links.csv").mkdir(parents=True)
    (tmp_path / "f1" / "graph.graphml").mkdir(parents=True)
    (tmp_path / "afile").write_text("x")
    log = _audit_log
    before = log.read_text().count("\n") if log.exists() else 0
    for folder, fmt, said in (
        ("f2", "i2csv", "a folder has the name of a file of the export"),
        ("f1", "graphml", "a folder has the name of a file of the export"),
        ("afile/sub", "jsonl", "cannot make the folder"),
    ):
        r = cg("export", str(tmp_path / folder), "--format", fmt, "--purpose", "MACE", "--force", "--store", area)
        assert r.returncode == 1 and said in r.stderr and "Traceback" not in r.stderr, (folder, r.stderr)
    assert sorted(p.name for p in (tmp_path / "f2").iterdir()) == ["i2-links.csv"]  # no half export
    assert sorted(p.name for p in (tmp_path / "f1").iterdir()) == ["graph.graphml"]
    assert (log.read_text().count("\n") if log.exists() else 0) == before


def test_an_empty_folder_is_written_into(area: str, tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    assert cg("export", str(out), "--purpose", "MACE", "--store", area).returncode == 0
