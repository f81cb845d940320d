"""The vocabulary matches the shared contract, and gradings parse."""

from __future__ import annotations

import re

import pytest

from contextgraph.model import KINDS, MEETING_KINDS, REL_TYPES, SERVICES, Grading, GradingError

from .conftest import SHARED

SPEC = SHARED / "spec" / "vocabulary.md"


def spec_table(heading: str) -> list[list[str]]:
    text = SPEC.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    return [[c.strip().strip("`") for c in row.strip("|").split("|")] for row in rows]


@pytest.mark.skipif(not SPEC.exists(), reason="the shared spec sits beside the project")
def test_vocabulary_is_the_shared_contract() -> None:
    kinds = {r[0] for r in spec_table("## Entity kinds")}
    assert kinds | {"service"} == set(KINDS)
    assert {r[0] for r in spec_table("## Services")} == set(SERVICES)
    for name, frm, to, sym, _ in spec_table("## Relationship types"):
        rt = REL_TYPES[name]
        assert rt.symmetric == (sym == "yes"), name
        expect_from = {k for k in KINDS if k in frm}
        expect_to = {k for k in KINDS if k in to} or ({"service"} if "service" in to else set())
        assert set(rt.sources) == expect_from, name
        assert set(rt.targets) == expect_to, name
    assert len(spec_table("## Relationship types")) == len(REL_TYPES)
    kinds_line = re.search(r"`meeting.kind` is one of (.*)\.", SPEC.read_text())
    assert kinds_line is not None
    assert set(re.findall(r"`([A-Z_]+)`", kinds_line.group(1))) == set(MEETING_KINDS)


@pytest.mark.parametrize(
    ("text", "canonical", "system"),
    [
        ("1B P", "1B P", "3x5x2"),
        ("1bp", "1B P", "3x5x2"),
        ("3/E/C", "3E C", "3x5x2"),
        ("B24", "B24", "5x5x5"),
        ("b 2 4", "b 2 4", "5x5x5"),
    ],
)
def test_gradings_parse(text: str, canonical: str, system: str) -> None:
    g = Grading.parse(text)
    assert (g.text, g.system) == (canonical, system)


@pytest.mark.parametrize("text", ["4B P", "1F P", "1B X", "", "B9 1", "1B PP"])
def test_bad_gradings_are_refused(text: str) -> None:
    with pytest.raises(GradingError):
        Grading.parse(text)


def test_grading_order_and_words() -> None:
    assert Grading.parse("1A P").rank < Grading.parse("1B P").rank < Grading.parse("2A P").rank
    assert Grading.parse("1B C").conditional and not Grading.parse("1B P").conditional
    assert "reliable" in Grading.parse("1A P").describe()


def test_labels_derive_from_kinds() -> None:
    assert KINDS["person_of_concern"].label == "PersonOfConcern"
    assert len({k.label for k in KINDS.values()}) == len(KINDS)
