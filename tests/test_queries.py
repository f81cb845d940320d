"""Cypher lives only in cypher/*.cypher, as named queries that Python asks for by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contextgraph.model import ENTITY_LABEL, GAZETTEER_LABELS, KINDS, REL_TYPES
from contextgraph.queries import QueryError, load, parse, query

SRC = Path(__file__).resolve().parents[1] / "src" / "contextgraph"


def test_every_query_python_names_exists_and_every_query_is_used() -> None:
    names = set(load())
    called: set[str] = set()
    literals: set[str] = set()
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        called |= set(re.findall(r"""(?:query|run)\(\s*["']([a-z_]+)["']""", text))
        literals |= set(re.findall(r"""["']([a-z_]+)["']""", text))
    assert called <= names, called - names
    assert names - literals == set(), f"queries never used: {names - literals}"


def test_no_cypher_is_written_in_python() -> None:
    pattern = re.compile(r"""["'][^"'\n]*\b(MATCH|MERGE|UNWIND|DETACH DELETE|CREATE \(|RETURN )\b""")
    for path in SRC.rglob("*.py"):
        if path.name == "queries.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            assert not pattern.search(line), f"{path.name}:{n}: Cypher belongs in cypher/*.cypher"


def test_labels_and_types_come_only_from_the_vocabulary() -> None:
    assert ":Child" in query("create_entities", label=KINDS["child"])
    # the label every entity carries is the model's, which the bulk files also write
    labels = {lab for q in load().values() for lab in re.findall(r"\((?:\w+)?:(\w+)", q)}
    assert labels == {ENTITY_LABEL, "Record", *GAZETTEER_LABELS}, labels
    assert ":FOUND_AT" in query("relationships_by_key", rtype=REL_TYPES["FOUND_AT"])
    with pytest.raises(QueryError):
        query("create_entities")
    with pytest.raises(QueryError):
        query("no_such_query")


def test_query_files_parse_strictly() -> None:
    with pytest.raises(QueryError, match="twice"):
        parse("-- name: a\nRETURN 1\n-- name: a\nRETURN 2\n")
    with pytest.raises(QueryError, match="empty"):
        parse("-- name: a\n-- only a comment\n")
