"""Demographics where recorded: a person's sex and ethnicity are checked against their codes on
import, by the quick reader and the careful one alike; a wrong one names the file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contextgraph.interchange import InputError, read_folder


def write(folder: Path, *lines: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "entities.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return folder


def test_recorded_demographics_are_kept(tmp_path: Path) -> None:
    folder = write(
        tmp_path / "ok",
        {"id": "c1", "kind": "child", "name": "A B", "properties": {"sex": "female", "ethnicity": "black_caribbean"}},
        {"id": "c2", "kind": "child", "name": "C D", "sex": "not_known", "ethnicity": "not_stated"},
        {"id": "l1", "kind": "location", "name": "Park", "properties": {"ethnicity": "anything"}},  # not a person
    )
    ents = {e.id: e for e in read_folder(folder).entities}
    assert ents["c1"].properties == {"sex": "female", "ethnicity": "black_caribbean"}
    assert ents["c2"].properties["ethnicity"] == "not_stated"


@pytest.mark.parametrize(
    ("props", "field"), [({"ethnicity": "Indian"}, "ethnicity"), ({"sex": "F"}, "sex"), ({"sex": 1}, "sex")]
)
def test_a_wrong_code_is_named_by_line_and_field(tmp_path: Path, props: dict[str, object], field: str) -> None:
    folder = write(
        tmp_path / "bad",
        {"id": "c1", "kind": "child", "name": "A B"},
        {"id": "c2", "kind": "person_of_concern", "name": "E F", "properties": props},
    )
    with pytest.raises(InputError) as caught:
        read_folder(folder)
    assert f"entities.jsonl:2: field '{field}'" in str(caught.value)
