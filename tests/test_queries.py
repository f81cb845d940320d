"""Queries live only in named files, asked for by name: Cypher in cypher/*.cypher, the embedded
store's SQL in store/sqlite/queries/*.sql."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contextgraph.model import ENTITY_LABEL, GAZETTEER_LABELS, KINDS, REL_TYPES, TRACKING_LABELS
from contextgraph.queries import QueryError, load, parse, query
from contextgraph.store.sqlite.sql import named, sql

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
    assert labels == {ENTITY_LABEL, "Record", *GAZETTEER_LABELS, *TRACKING_LABELS}, labels
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


def test_every_sql_query_python_names_exists_and_every_one_is_used() -> None:
    names = set(named())
    text = "\n".join(p.read_text() for p in (SRC / "store").rglob("*.py"))
    called = set(re.findall(r"""sql\(\s*["']([a-z_0-9]+)["']""", text))
    assert called <= names, called - names
    migrations = {n for n in names if n.startswith("migration_")}
    assert names - called - migrations == set(), f"SQL never used: {names - called - migrations}"
    assert sorted(migrations) == [f"migration_{k}" for k in range(1, len(migrations) + 1)]
    with pytest.raises(QueryError):
        sql("no_such_query")


def test_no_sql_is_written_in_python() -> None:
    pattern = re.compile(
        r"""["']\s*(SELECT|INSERT|UPDATE \w+ SET|DELETE FROM|CREATE|DROP|ALTER TABLE|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b"""
    )
    for path in SRC.rglob("*.py"):
        if path.name == "sql.py":  # the loader, whose examples show queries
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if "sqlite3 FILE.db" in line:  # a command told to a person, not run
                continue
            assert not pattern.search(line), f"{path.name}:{n}: SQL belongs in store/sqlite/queries/*.sql"
