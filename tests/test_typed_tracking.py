"""The quick reader of tracking lines gives the same record as the checked reader, or leaves the
line to it: on generated lines, and on the same lines changed in the ways a careless or hostile
file would change them."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from contextgraph.interchange import read_folder
from contextgraph.interchange.lines import InputError, checked_line
from contextgraph.interchange.synth import generate
from contextgraph.interchange.typed_tracking import tracking
from contextgraph.model.tracked import Tracked
from contextgraph.model.tracking import TrackingError


def checked(line: dict[str, Any]) -> Tracked | None:
    try:
        return Tracked.from_json(line, "line")
    except TrackingError:
        return None


@pytest.fixture(scope="module")
def lines() -> list[dict[str, Any]]:
    return [t for seed in (1, 2) for t in generate(children=600, seed=seed).tracking]


def test_both_readers_give_the_same_records(lines: list[dict[str, Any]]) -> None:
    quick = 0
    for line in lines:
        got = tracking(orjson.dumps(line))
        if got is not None:
            quick += 1
            assert got == checked(line), line
    assert quick >= 0.85 * len(lines), (quick, len(lines))  # all but lists of items


CHANGES: list[tuple[str, Any]] = [
    ("date", "2025-02-30"),
    ("date", "yesterday"),
    ("date", 20250101),
    ("subject", " c-1"),
    ("subject", ""),
    ("id", None),
    ("grading", "9Z"),
    ("grading", "2b c"),
    ("locality", " East "),
    ("level", "purple"),
    ("level", "Amber"),
    ("decision", "rejected"),
    ("returned", "2020-01-01T00:00"),
    ("interview_date", "1999-01-01"),
    ("with_children", ["x", "x"]),
    ("with_children", "c-1"),
    ("push_pull_codes", ["BOREDOM", "NOPE"]),
    ("disruption_kind", "PARKING_TICKET"),
    ("colour", "red"),
    ("record", "parade"),
    ("out_of_area", "yes"),
    ("found_at", ["l-1"]),
    # control characters: none in an id, a code or a name; tabs and line breaks only in free text
    ("source", "form\x1b[2J"),
    ("recorded_by", "ana\n"),
    ("id", "r\x7f1"),
    ("locality", "East\x85"),
    ("subject", "c\x00-1"),
    ("push_pull", "with Tom\tHill\nafter school"),
    ("push_pull", "seen\r\nat 10:30"),
    ("push_pull", "a\x9fb"),
    ("reported_by", "carer\x1b]8;;x\x07"),
    ("interview_by", "YJS\tteam"),
    ("with_children", ["c\x1b"]),
]


def test_a_changed_line_is_read_alike_or_left_to_the_checked_reader(lines: list[dict[str, Any]]) -> None:
    rng = random.Random(7)
    for line in rng.sample(lines, 300):
        for key, value in rng.sample(CHANGES, 6):
            changed = {**line, key: value} if value is not None else {k: v for k, v in line.items() if k != key}
            got, want = tracking(json.dumps(changed).encode()), checked(changed)
            if want is None:
                assert got is None, changed
            elif got is not None:
                assert got == want, changed


def test_a_line_naming_a_field_twice_is_left_to_the_checked_reader(lines: list[dict[str, Any]]) -> None:
    """A field named twice (the same value or another) is never read quickly: a JSON reader keeps
    the last value, which no one chose; the checked reader names the field."""
    rng = random.Random(11)
    for line in rng.sample(lines, 300):
        key = rng.choice(sorted(line))
        again = rng.choice([line[key], "2025-01-02T10:30", "c-9", None])
        extra = orjson.dumps(key) + b":" + orjson.dumps(again)
        raw = orjson.dumps(line)[:-1] + b"," + extra + b"}"
        if rng.random() < 0.5:  # the second naming first: a null, say, and the value after
            raw = b"{" + orjson.dumps(key) + b":null," + orjson.dumps(line)[1:]
        assert tracking(raw) is None, raw
        got = checked_line(raw, Path("tracking.jsonl"), 4, 10)
        assert isinstance(got, InputError) and f"field '{key}' is given twice" in str(got)


EPISODE = {
    "id": "m1",
    "record": "missing_episode",
    "subject": "c-1",
    "date": "2025-01-02",
    "source": "form-9",
    "recorded_by": "ana",
    "locality": "Hillcrest",
    "push_pull": "with Tom Hill",
    "interview_by": "YJS",
    "with_children": ["c-2"],
}


@pytest.mark.parametrize("char", ["\x1b", "\x00", "\n", "\t", "\r", "\x7f", "\x85"])
@pytest.mark.parametrize(
    "field", ["id", "subject", "source", "recorded_by", "locality", "interview_by", "with_children", "push_pull"]
)
def test_a_control_character_is_refused_by_both_readers_naming_the_field(tmp_path: Path, field: str, char: str) -> None:
    """No control character in an id, an entity, a code or a short text naming an agency; free
    text (push_pull) may hold tabs and line breaks (a Windows one, CR LF, too), read alike by both
    readers, and no other."""
    value = EPISODE[field]
    line = {**EPISODE, field: [value[0] + char] if isinstance(value, list) else value + char + "x"}
    for raw in (json.dumps(line).encode(), json.dumps(line, ensure_ascii=False).encode()):
        got = tracking(raw)
        if field == "push_pull" and char in "\t\n\r":
            assert got is not None and got == Tracked.from_json(line), raw
            continue
        assert got is None, raw
        with pytest.raises(TrackingError, match=rf"^tracking.jsonl:3: field '{field}': holds a control character"):
            Tracked.from_json(line, "tracking.jsonl:3")
    if field == "push_pull" and char in "\t\n\r":
        return
    # an import names the file, line and field, and writes nothing
    (tmp_path / "entities.jsonl").write_text(
        '{"id": "c-1", "kind": "child", "name": "A"}\n{"id": "c-2", "kind": "child", "name": "B"}\n'
    )
    (tmp_path / "tracking.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError) as told:
        read_folder(tmp_path)
    assert f"tracking.jsonl:1: field '{field}': holds a control character (\\x{ord(char):02x})" in str(told.value)


@pytest.mark.parametrize(("field", "most"), [("push_pull", 2000), ("interview_by", 200), ("source", 200)])
def test_a_text_longer_than_its_field_takes_is_refused_by_both_readers_naming_it(field: str, most: int) -> None:
    """Free text is kept to 2,000 characters (as a saved view's note) and a short text (an agency,
    a source) to 200: a record longer is refused, by either reader, naming the field; one at the
    limit is read alike by both."""
    for n, ok in ((most, True), (most + 1, False)):
        line = {**EPISODE, field: "a" * n}
        got = tracking(json.dumps(line).encode())
        if ok:
            assert got is not None and got == Tracked.from_json(line)
            continue
        assert got is None
        with pytest.raises(TrackingError, match=rf"^tracking.jsonl:3: field '{field}': {most + 1:,} characters"):
            Tracked.from_json(line, "tracking.jsonl:3")
    # an id is held to its own rules: one a writer gave grows by their namespace, and is read again
    long_id = {**EPISODE, "id": "east:" + "m" * 250}
    assert tracking(json.dumps(long_id).encode()) is None and Tracked.from_json(long_id).id == long_id["id"]


@pytest.mark.parametrize(
    ("field", "value", "told"),
    [
        ("id", "m\u200b1", "holds a character that shows as nothing (\\u200b)"),
        ("id", "m-\uff11", "holds a letter or sign of a compatibility form"),
        ("locality", "Hill\u00adcrest", "holds a character that shows as nothing (\\u00ad)"),
        ("locality", "Hillcr\u0435st", "'Hillcrеst' mixes Latin, Cyrillic or Greek letters"),
        ("id", "m-e\u0301", "'m-e\u0301' holds a letter written as two characters, a letter and a combining mark"),
    ],
)
def test_an_id_or_a_locality_that_reads_as_another_is_refused_by_both_readers(
    tmp_path: Path, field: str, value: str, told: str
) -> None:
    """A record's id and locality tell records apart by how they read, as an entity's do: one that
    reads as another would be a second record that looks like the first, or a record filed under a
    locality no one's token names. Refused by both readers, naming the field, in one process or two;
    letters of other scripts are as welcome as ever."""
    line = {**EPISODE, field: value}
    assert tracking(json.dumps(line).encode()) is None
    with pytest.raises(TrackingError, match=rf"^tracking.jsonl:3: field '{field}': .*"):
        Tracked.from_json(line, "tracking.jsonl:3")
    (tmp_path / "entities.jsonl").write_text(
        '{"id": "c-1", "kind": "child", "name": "A"}\n{"id": "c-2", "kind": "child", "name": "B"}\n'
    )
    (tmp_path / "tracking.jsonl").write_text(json.dumps(line) + "\n")
    for stage in (None, tmp_path):
        with pytest.raises(InputError) as got:
            read_folder(tmp_path, stage=stage, stage_from=0)
        assert f"tracking.jsonl:1: field '{field}': {told}" in str(got.value)
    fine = {**EPISODE, "id": "m-Żaneta-1", "locality": "Dřevo Ōsaka"}
    assert tracking(json.dumps(fine).encode()) is None  # not ASCII: left to the checked reader, which takes it
    assert Tracked.from_json(fine).locality == "Dřevo Ōsaka"
