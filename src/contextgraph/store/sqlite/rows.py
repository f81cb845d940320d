"""New relationships made into the embedded store's rows and index columns, by their edge keys.

Pure functions of the relationships and the entities' node numbers: the store's write uses them
inside its transaction, and a first load may run them in another process while the store writes
the entities (:mod:`contextgraph.interchange.staged_links`). Both give the same rows.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import orjson

from ...model import Relationship, grade_code
from ..merge import merge_relationship
from ..staged import LinkRows
from .codec import SYMMETRIC, TYPE_CODE, dumps, summary_of
from .index import DAYS, day_number
from .sql import insert_rows, sql

MASK = (1 << 28) - 1

Row = tuple[object, ...]


class Columns(NamedTuple):
    """The index's columns of new edges, in the order of their rows."""

    types: bytearray
    srcs: array[int]
    dsts: array[int]
    firsts: array[int]
    lasts: array[int]
    counts: array[int]
    grades: bytearray


def stored_form(r: Relationship) -> Relationship:
    """``r`` as the store keys it: a symmetric type's ends in order, repeated statements once.

    >>> from contextgraph.model import Assertion
    >>> a = Assertion("n1", "2024-01-02", "1B P", "c-2", "c-1")
    >>> r = stored_form(Relationship("ASSOCIATES_WITH", "c-2", "c-1", [a, a]))
    >>> r.source, r.target, len(r.assertions)
    ('c-1', 'c-2', 1)
    """
    if r.target < r.source and r.type in SYMMETRIC:
        r = Relationship(r.type, r.target, r.source, r.assertions, r.properties)
    if len(r.assertions) > 1:
        r = merge_relationship(None, r)
    return r


def by_key(rels: Iterable[Relationship], nid: Mapping[str, int]) -> dict[int, Relationship]:
    """New relationships grouped by edge key (in the order each key is first met), the
    relationships of one key merged, as a write into a store holding none of them groups them.

    >>> from contextgraph.model import Assertion
    >>> a = Assertion("n1", None, None, "c-1", "l-1")
    >>> b = Assertion("n2", None, None, "c-1", "l-1")
    >>> g = by_key([Relationship("SEEN_AT", "c-1", "l-1", [a]), Relationship("SEEN_AT", "c-1", "l-1", [b])],
    ...            {"c-1": 1, "l-1": 2})
    >>> [len(r.assertions) for r in g.values()]
    [2]
    """
    fresh: dict[int, Relationship] = {}
    put, tcode = fresh.setdefault, TYPE_CODE
    for r in rels:
        r = stored_form(r)
        k = (tcode[r.type] << 56) | (nid[r.source] << 28) | nid[r.target]  # as index.edge_key
        prev = put(k, r)
        if prev is not r:
            fresh[k] = merge_relationship(prev, r)
    return fresh


Plain = tuple[str, str | None, str | None, str | None]
"""A relationship of one statement by its own ends and no properties: (type, source_ref, date,
grading) — what most lines of a large load are, kept without building the record."""


Summary = tuple[str | None, str | None, int, str | None, str]
"""A row's first and last seen, count, grading and statements."""


def _summary(r: Relationship, said: dict[tuple[str | None, ...], str]) -> Summary:
    """A relationship's row values (first and last seen, count, grading, statements), a statement
    of its own ends encoded once (``said`` keeps the encodings)."""
    a = r.assertions[0]
    if len(r.assertions) == 1 and a.subject == r.source and a.object == r.target:
        return a.date, a.date, 1, a.grading, _statement(said, a[:3])
    return summary_of(r)


def _statement(said: dict[tuple[str | None, ...], str], key: tuple[str | None, ...]) -> str:
    """The stored statements of a relationship of one statement by its own ends, ``key`` its
    source, date and grading (each encoded once: ``said`` keeps them)."""
    body = said.get(key)
    if body is None:
        body = said[key] = orjson.dumps([key]).decode()
    return body


def keyed_rows(
    fresh: Mapping[int, Relationship | Plain], start: int, said: dict[tuple[str | None, ...], str] | None = None
) -> tuple[list[Row], Columns]:
    """The rows (numbered from ``start``) and index columns of new relationships by edge key,
    made in one pass: their ends read from the key, each source's statement encoded once
    (``said`` keeps the encodings between calls). A :data:`Plain` one gives the row its
    :class:`~contextgraph.model.Relationship` would.

    >>> from contextgraph.model import Assertion
    >>> k = (TYPE_CODE["SEEN_AT"] << 56) | (1 << 28) | 2
    >>> r = Relationship("SEEN_AT", "c-1", "l-1", [Assertion("n1", "2024-01-02", "1B P", "c-1", "l-1")])
    >>> keyed_rows({k: r}, 7)[0] == keyed_rows({k: ("SEEN_AT", "n1", "2024-01-02", "1B P")}, 7)[0]
    True
    """
    said = {} if said is None else said
    rows: list[Row] = []
    add = rows.append
    cols, column = _columns()
    rid = start
    for k, r in fresh.items():
        if r.__class__ is tuple:
            rtype, ref, first, grading = r
            body = _statement(said, (ref, first, grading))
            last, count, props = first, 1, "{}"
        else:
            assert isinstance(r, Relationship)
            rtype, props = r.type, dumps(r.properties)
            first, last, count, grading, body = _summary(r, said)
        add((rid, rtype, (k >> 28) & MASK, k & MASK, first, last, count, grading, body, props))
        column(k, first, last, count, grading)
        rid += 1
    if len(said) > 100_000:
        said.clear()
    return rows, cols


def _columns() -> tuple[Columns, Callable[[int, str | None, str | None, int, str | None], None]]:
    """New, empty index columns, and what appends an edge to them (its key, first and last seen,
    count and grading)."""
    cols = Columns(bytearray(), array("i"), array("i"), array("i"), array("i"), array("i"), bytearray())
    ct, cs, cd, cf, cl, cc, cg = (c.append for c in cols)
    days = DAYS

    def column(k: int, first: str | None, last: str | None, count: int, grading: str | None) -> None:
        ct(k >> 56)
        cs((k >> 28) & MASK)
        cd(k & MASK)
        f = days.get(first)
        cf(day_number(first) if f is None else f)
        f = days.get(last)
        cl(day_number(last) if f is None else f)
        cc(count)
        cg(grade_code(grading))

    return cols, column


def staged_rows(fresh: Mapping[int, Relationship | Plain], file: str) -> LinkRows:
    """The rows of new relationships by edge key, numbered from 1, written into a new staging
    database at ``file``: a :data:`Plain` one as its key, date, grading and statement, any other
    with every value but its type and ends (which its key gives); the copy into the store fills
    in the rest (``put_staged_links``), so that the store's rows are those :func:`keyed_rows` makes.

    >>> import tempfile
    >>> from contextgraph.model import Assertion
    >>> k = (TYPE_CODE["SEEN_AT"] << 56) | (1 << 28) | 2
    >>> r = Relationship("SEEN_AT", "c-1", "l-1", [Assertion("n1", "2024-01-02", "1B P", "c-2", "l-1")])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     staged_rows({k: ("SEEN_AT", "n1", "2024-01-02", "1B P"), k + 1: r}, tmp + "/links.db").count
    2
    """
    said: dict[tuple[str | None, ...], str] = {}
    plain: list[Row] = []
    full: list[Row] = []
    add_plain, add_full = plain.append, full.append
    cols, column = _columns()
    rid = 1
    for k, r in fresh.items():
        if r.__class__ is tuple:
            _, ref, first, grading = r
            body = _statement(said, (ref, first, grading))
            add_plain((rid, k, first, grading, body))
            column(k, first, first, 1, grading)
        else:
            assert isinstance(r, Relationship)
            first, last, count, grading, body = _summary(r, said)
            add_full((rid, k, first, last, count, grading, body, dumps(r.properties)))
            column(k, first, last, count, grading)
        rid += 1
    db = sqlite3.connect(file)
    try:
        db.executescript(sql("staging_pragmas"))
        db.execute(sql("staged_links_table"))
        db.execute(sql("staged_types_table"))
        db.executemany(sql("stage_type"), TYPE_CODE.items())
        insert_rows(db, sql("stage_plain_link"), plain)
        insert_rows(db, sql("stage_link"), full)
        db.commit()
    finally:
        db.close()
    return LinkRows(file, cols, rid - 1)
