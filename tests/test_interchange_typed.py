"""The quick, typed reading of an interchange line builds exactly what the checked reading builds,
and declines every line the checked reading refuses (so that its problem is named)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contextgraph.interchange import InputError, entity_from_json, read_folder, relationship_from_json, typed
from contextgraph.interchange.lines import checked_line
from contextgraph.model import KINDS, REL_TYPES, SERVICES

texts = st.sampled_from(
    ["", " ", "c-1", " c-1 ", "l-1", "Kyle Benson", " KB ", "YJS", "x\ty", "é", "10:30", "a:"]
) | st.text(max_size=6)
# control characters: escaped in JSON (\u001b, \n), or written as themselves (DEL, C1)
texts |= st.sampled_from(["Kyle\x1b[2J", "KB\n", "\x00", "c-1\x7f", "l\x85", "\x9f", "£5", "a\\b"])
dates = st.sampled_from(["2024-03-02", "2024-02-30", "02/03/2024", "", "2024-3-2"]) | st.none()
gradings = (
    st.sampled_from(["1B P", "1bp", " 2c c ", "A1", "B24", "9Z", "", "3E C", "1B P\n", "\t1bp", "2C C\x85", "1B\x1bP"])
    | st.none()
)  # a grading is a code read by its own grammar: spaces and line breaks around it are dropped by both readers
scalars = st.none() | st.booleans() | st.integers(-200, 200) | st.floats(-200, 200, allow_nan=False) | texts
values = scalars | st.lists(scalars, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]), scalars, max_size=2)
props = st.none() | st.dictionaries(st.sampled_from(["note", "n", "flag"]), scalars | st.lists(scalars), max_size=3)


def _line(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    extra = st.dictionaries(st.sampled_from(["colour", "weight"]), values, max_size=1)
    return st.fixed_dictionaries({}, optional=fields).flatmap(lambda d: extra.map(lambda e: {**d, **e}))


entity_lines = _line(
    {
        "id": texts | values,
        "kind": st.sampled_from([*KINDS, " child", "dog"]) | values,
        "name": texts | st.sampled_from(list(SERVICES)) | values,
        "aliases": st.none() | st.lists(texts, max_size=3) | values,
        "dob": dates | values,
        "locality": st.none() | texts,
        "lat": st.none() | st.floats(-100, 100, allow_nan=False) | st.integers(-100, 100) | st.booleans(),
        "lon": st.none() | st.floats(-200, 200, allow_nan=False) | texts,
        "properties": props | values,
        "sources": st.none() | st.lists(texts, max_size=3),
        "source_ref": st.none() | texts,
        "date": dates,
        "first_seen": dates,
        "last_seen": dates,
        "grading": gradings | values,
        "handling": st.none() | st.lists(st.sampled_from(["P", "C", "X"]), max_size=3) | values,
    }
)
relationship_lines = _line(
    {
        "type": st.sampled_from([*REL_TYPES, "LIKES", ""]) | values,
        "source": texts | values,
        "target": texts | values,
        "date": dates | values,
        "source_ref": st.none() | texts | values,
        "grading": gradings | values,
        "properties": props | values,
    }
)


def _same(quick: Any, check: Any, obj: Any) -> None:
    raw = orjson.dumps(obj) + b"\n"
    got = quick(raw)
    try:
        want = check(orjson.loads(raw))
    except ValueError:
        assert got is None, f"the quick reader accepted a line the checked reader refuses: {raw!r}"
        return
    assert got is None or got == want, raw


@settings(max_examples=600, deadline=None)
@given(entity_lines)
def test_an_entity_line_reads_the_same_either_way(obj: dict[str, Any]) -> None:
    _same(typed.entity, entity_from_json, obj)


@settings(max_examples=600, deadline=None)
@given(relationship_lines)
def test_a_relationship_line_reads_the_same_either_way(obj: dict[str, Any]) -> None:
    _same(typed.relationship, relationship_from_json, obj)


def _twice(quick: Any, obj: dict[str, Any], data: st.DataObject) -> None:
    """A line naming one of its keys a second time (with any value, its own included) is left by
    the quick reader to the checked one, which names the key."""
    if not obj:
        return
    key = data.draw(st.sampled_from(sorted(obj)))
    again = data.draw(st.sampled_from([obj[key], None]) | scalars)
    extra = orjson.dumps(key) + data.draw(st.sampled_from([b":", b": ", b" :\t"])) + orjson.dumps(again)
    line = orjson.dumps(obj)
    # the second naming after the first, or before it (a null first and a value after, say)
    raw = (line[:-1] + b"," + extra + b"}" if data.draw(st.booleans()) else b"{" + extra + b"," + line[1:]) + b"\n"
    assert quick(raw) is None, raw
    got = checked_line(raw, Path("x.jsonl"), 3, 10)
    assert isinstance(got, InputError) and f"x.jsonl:3: field '{key}' is given twice" in str(got), raw


@settings(max_examples=300, deadline=None)
@given(entity_lines, st.data())
def test_an_entity_line_naming_a_key_twice_is_refused(obj: dict[str, Any], data: st.DataObject) -> None:
    _twice(typed.entity, obj, data)


@settings(max_examples=300, deadline=None)
@given(relationship_lines, st.data())
def test_a_relationship_line_naming_a_key_twice_is_refused(obj: dict[str, Any], data: st.DataObject) -> None:
    _twice(typed.relationship, obj, data)
    _twice(typed.decoded_line, obj, data)


def test_the_quick_reader_takes_the_usual_lines() -> None:
    """Not a reader that declines everything: the format's own lines are read quickly."""
    assert typed.entity(b'{"id": "c-1", "kind": "child", "name": "Kyle Benson", "dob": "2009-04-12"}\n')
    line = b'{"type": "SEEN_AT", "source": "c-1", "target": "l-1", "date": "2024-03-02", "grading": "1B P"}'
    assert typed.relationship(line)
    assert typed.relationship(b"not json") is None and typed.entity(b"\n") is None
    # colons in values are not taken for keys named twice
    assert typed.relationship(line[:-1] + b', "source_ref": "note:10:30"}')
    # a key first null, then given again, is given twice (found by a review)
    assert typed.relationship(b'{"date": null, ' + line[1:]) is None
    assert (
        typed.entity(b'{"id": "c-1", "kind": "child", "name": "A", "properties": {"sex": null, "sex": "male"}}') is None
    )
    assert typed.entity(b'{"id": "c-1", "kind": "child", "name": "A", "properties": {"seen": ["10:30"], "k:v": "a:b"}}')


def test_a_type_that_is_not_a_string_is_a_problem_named_by_line_not_a_crash(tmp_path: Path) -> None:
    (tmp_path / "entities.jsonl").write_text('{"id": "c-1", "kind": "child", "name": "A"}\n')
    (tmp_path / "relationships.jsonl").write_text('{"type": ["SEEN_AT"], "source": "c-1", "target": "l-1"}\n')
    with pytest.raises(InputError, match=r"relationships.jsonl:1: field 'type' is required and must be a non-empty"):
        read_folder(tmp_path)


@pytest.mark.parametrize("value", [["male"], {"code": "male"}, 1])
def test_a_demographic_code_that_is_not_a_string_is_a_problem_named_by_line_not_a_crash(
    tmp_path: Path, value: Any
) -> None:
    line = {"id": "c-1", "kind": "child", "name": "A", "properties": {"exploitation_types": ["CCE"], "sex": value}}
    (tmp_path / "entities.jsonl").write_text('{"id": "c-2", "kind": "child", "name": "B"}\n' + json.dumps(line) + "\n")
    with pytest.raises(InputError, match=r"entities.jsonl:2: field 'sex': .* is not a code of sex"):
        read_folder(tmp_path)


@pytest.mark.parametrize("handling", [[["P"]], [{}], [None], "P"])
def test_handling_codes_that_are_not_a_list_of_codes_are_a_problem_named_by_line_not_a_crash(
    tmp_path: Path, handling: Any
) -> None:
    line = {"id": "c-1", "kind": "child", "name": "A", "handling": handling}
    (tmp_path / "entities.jsonl").write_text(json.dumps(line) + "\n")
    with pytest.raises(InputError, match=r"entities.jsonl:1: field 'handling' must be a list of handling codes"):
        read_folder(tmp_path)


def test_a_list_of_words_as_a_property_is_read_alike_by_both_readers() -> None:
    obj = {"id": "c-1", "kind": "child", "name": "A", "properties": {"exploitation_types": ["CCE", "CSE"]}}
    quick = typed.entity(json.dumps(obj).encode())
    assert quick is not None and quick == entity_from_json(obj)
    assert quick.properties == {"exploitation_types": ["CCE", "CSE"]}


def test_a_name_or_aliases_beyond_the_limits_are_refused_by_both_readers() -> None:
    """Aliases are searched on every search: an entity given thousands of them would slow every
    search of its locality, so both readers refuse more than the limit, naming the field."""
    from contextgraph.interchange.typed import MAX_ALIASES, MAX_NAME_CHARS, entity

    base = {"id": "c-1", "kind": "child", "name": "Kyle Benson"}
    for bad, field in (
        ({"aliases": [f"K{i}" for i in range(MAX_ALIASES + 1)]}, "aliases"),
        ({"aliases": ["K" * (MAX_NAME_CHARS + 1)]}, "aliases"),
        ({"name": "K" * (MAX_NAME_CHARS + 1)}, "name"),
    ):
        line = {**base, **bad}
        assert entity(json.dumps(line).encode()) is None  # the quick reader declines
        with pytest.raises(ValueError, match=f"field '{field}'"):
            entity_from_json(line)
    ok = {**base, "aliases": [f"K{i}" for i in range(MAX_ALIASES)]}
    assert entity(json.dumps(ok).encode()) == entity_from_json(ok)


def test_a_key_given_twice_is_told_in_the_same_words_by_an_import_and_a_request() -> None:
    """The words are made in one place (json_keys.given_twice), for an import's line and a request."""
    from contextgraph.json_keys import RepeatedKey, given_twice
    from contextgraph.limits import loads

    raw = b'{"id": "c-1", "id": "c-2"}'
    got = checked_line(raw, Path("x.jsonl"), 3, 10)
    assert isinstance(got, InputError) and str(got) == f"x.jsonl:3: {given_twice('id')}"
    with pytest.raises(RepeatedKey) as told:
        loads(raw, 10)
    assert (
        str(told.value)
        == given_twice("id")
        == "field 'id' is given twice (which of its values is meant cannot be told)"
    )


CONTROLS = ["\x1b", "\x00", "\n", "\t", "\r", "\x7f", "\x85", "\x9f"]
ENTITY = {"id": "c-1", "kind": "child", "name": "Kyle Benson", "aliases": ["KB"], "locality": "Hillcrest",
          "sources": ["note-1"], "source_ref": "note-2"}  # fmt: skip
LINK = {"type": "SEEN_AT", "source": "c-1", "target": "l-1", "source_ref": "note-2"}


def _with(line: dict[str, Any], field: str, char: str) -> dict[str, Any]:
    value = line[field]
    return {**line, field: [value[0] + char + "x"] if isinstance(value, list) else value + char + "x"}


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("field", ["id", "name", "aliases", "locality", "sources", "source_ref"])
def test_an_entity_holding_a_control_character_is_refused_naming_the_field(
    tmp_path: Path, field: str, char: str
) -> None:
    """An id, a name, an alias, a locality or a source holds no control character (one could clear
    a terminal or hide a link when the name is shown): both readers refuse it, and the import names
    the file, line and field, and the character as an escape."""
    line = _with(ENTITY, field, char)
    raw = json.dumps(line, ensure_ascii=False).encode()
    assert typed.entity(raw) is None, raw
    assert typed.entity(json.dumps(ENTITY, ensure_ascii=False).encode()) is not None
    (tmp_path / "entities.jsonl").write_bytes(b'{"id": "c-0", "kind": "child", "name": "A"}\n' + raw + b"\n")
    with pytest.raises(InputError) as told:
        read_folder(tmp_path)
    want = f"entities.jsonl:2: field '{field}': holds a control character (\\x{ord(char):02x})"
    assert want in str(told.value), str(told.value)


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("field", ["source", "target", "source_ref"])
def test_a_relationship_holding_a_control_character_is_refused_naming_the_field(
    tmp_path: Path, field: str, char: str
) -> None:
    line = _with(LINK, field, char)
    raw = json.dumps(line, ensure_ascii=False).encode()
    decoded = typed.decoded_line(raw)  # what a second process reads: declined by plain(), read again
    assert typed.relationship(raw) is None and (decoded is None or typed.plain(decoded) is None), raw
    assert typed.relationship(json.dumps(LINK).encode()) is not None
    (tmp_path / "relationships.jsonl").write_bytes(raw + b"\n")
    with pytest.raises(InputError) as told:
        read_folder(tmp_path)
    want = f"relationships.jsonl:1: field '{field}': holds a control character (\\x{ord(char):02x})"
    assert want in str(told.value), str(told.value)


@pytest.mark.parametrize("char", CONTROLS)
@pytest.mark.parametrize("where", ["key", "value", "item", "top-level key"])
@pytest.mark.parametrize("line", ["entity", "relationship"])
def test_a_property_holding_a_control_character_is_refused_naming_it(
    tmp_path: Path, line: str, where: str, char: str
) -> None:
    """A property's key holds no control character; its value (which may be free text) none but a
    tab or a line break. Both readers agree, for an entity and a relationship alike, and the import
    names the file, line and property."""
    base = ENTITY if line == "entity" else LINK
    bad = f"x{char}y"
    props = {
        "key": {bad: "v"},
        "value": {"nick": bad},
        "item": {"exploitation_types": ["CCE", bad]},
        "top-level key": {},
    }[where]
    obj = {**base, "properties": props} if props else {**base, bad: "v"}
    raw = json.dumps(obj, ensure_ascii=False).encode()
    quick, check = (
        (typed.entity, entity_from_json) if line == "entity" else (typed.relationship, relationship_from_json)
    )
    free = where in ("value", "item") and char in "\t\n\r"
    if free:  # kept, by both readers alike
        assert quick(raw) in (None, check(json.loads(raw)))
        return
    assert quick(raw) is None, raw
    name = "entities.jsonl" if line == "entity" else "relationships.jsonl"
    (tmp_path / name).write_bytes(raw + b"\n")
    with pytest.raises(InputError) as told:
        read_folder(tmp_path)
    said = "a key" if where.endswith("key") else repr(next(iter(props)))
    want = f"{name}:1: field 'properties': {said}: holds a control character (\\x{ord(char):02x})"
    assert want in str(told.value), str(told.value)


@pytest.mark.parametrize(
    "props",
    [{"info": {"ni\x1bck": "A"}}, {"info": {"nick": "A\x1b[2J"}}, {"l": [["A\x1b"]]}, {"l": [{"x": "A\x07"}]}],
)
def test_a_control_character_nested_in_a_property_is_refused_too(tmp_path: Path, props: dict[str, Any]) -> None:
    for name, line in (("entities.jsonl", ENTITY), ("relationships.jsonl", LINK)):
        (tmp_path / name).write_text(json.dumps({**line, "properties": props}) + "\n")
        with pytest.raises(InputError) as told:
            read_folder(tmp_path)
        assert f"{name}:1: field 'properties': " in str(told.value) and "holds a control character" in str(told.value)
        (tmp_path / name).unlink()


@pytest.mark.parametrize("grading", ["1B P\n", "\t1bp", "2C C\x85", "\r1B P", "1B\x1bP"])
def test_a_grading_is_read_alike_by_both_readers_whatever_surrounds_it(grading: str) -> None:
    """A grading is a code read by its own grammar: spaces and line breaks around it are dropped by
    both readers, for an entity as for a relationship; anything else in it is refused by both."""
    for quick, check, line in (
        (typed.entity, entity_from_json, ENTITY),
        (typed.relationship, relationship_from_json, LINK),
    ):
        raw = json.dumps({**line, "grading": grading}).encode()
        try:
            want = check(json.loads(raw))
        except ValueError:
            assert quick(raw) is None, raw
            assert "\x1b" in grading
            continue
        got = quick(raw)
        assert got is not None and got == want, raw


def test_a_judgement_holding_a_control_character_is_refused_naming_the_field(tmp_path: Path) -> None:
    """A judgement's ids and user hold no control character, its reason (free text) none but a tab
    or a line break: the import names the file, line and field, and writes nothing."""
    (tmp_path / "entities.jsonl").write_text(
        '{"id": "c-1", "kind": "child", "name": "A"}\n{"id": "c-2", "kind": "child", "name": "B"}\n'
    )
    good = {"a": "c-1", "b": "c-2", "user": "ana", "reason": "same boy\r\nsame school"}
    (tmp_path / "judgements.jsonl").write_text(json.dumps(good) + "\n")
    assert len(read_folder(tmp_path).judgements) == 1
    for key, value in (("reason", "same\x1b[2J"), ("user", "an\ta")):
        (tmp_path / "judgements.jsonl").write_text(json.dumps({**good, key: value}) + "\n")
        with pytest.raises(InputError) as told:
            read_folder(tmp_path)
        assert f"judgements.jsonl:1: field '{key}': holds a control character" in str(told.value)
    # and a reason no longer than a reason given on the command line or the API
    (tmp_path / "judgements.jsonl").write_text(json.dumps({**good, "reason": "x" * 501}) + "\n")
    with pytest.raises(InputError) as told:
        read_folder(tmp_path)
    assert "judgements.jsonl:1: field 'reason': 501 characters, more than 500" in str(told.value)
