"""New relationships made into the embedded store's rows and index columns, by their edge keys.

Pure functions of the relationships and the entities' node numbers: the store's write uses them
inside its transaction, and a first load may run them in another process while the store writes
the entities (:mod:`contextgraph.interchange.staged_links`). Both give the same rows.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Iterable, Mapping
from typing import NamedTuple

import orjson

from ...model import Relationship, grade_code
from ..merge import merge_relationship
from ..staged import LinkRows
from .codec import SYMMETRIC, TYPE_CODE, dumps, summary_of
from .index import DAYS, day_number
from .sql import sql

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
    cols = Columns(bytearray(), array("i"), array("i"), array("i"), array("i"), array("i"), bytearray())
    ct, cs, cd, cf, cl, cc, cg = (c.append for c in cols)
    add = rows.append
    days = DAYS
    rid = start
    for k, r in fresh.items():
        t, s, d = k >> 56, (k >> 28) & MASK, k & MASK
        if r.__class__ is tuple:
            rtype, ref, first, grading = r
            last = first
            count = 1
            key = (ref, first, grading)
            body = said.get(key)
            if body is None:
                body = said[key] = orjson.dumps([key]).decode()
            props = "{}"
        else:
            assert isinstance(r, Relationship)
            rtype, asr, props = r.type, r.assertions, dumps(r.properties)
            a = asr[0]
            if len(asr) == 1 and a.subject == r.source and a.object == r.target:
                first = last = a.date
                grading = a.grading
                count = 1
                key = a[:3]
                body = said.get(key)
                if body is None:
                    body = said[key] = orjson.dumps([key]).decode()
            else:
                first, last, count, grading, body = summary_of(r)
        add((rid, rtype, s, d, first, last, count, grading, body, props))
        rid += 1
        ct(t)
        cs(s)
        cd(d)
        f = days.get(first)
        cf(day_number(first) if f is None else f)
        f = days.get(last)
        cl(day_number(last) if f is None else f)
        cc(count)
        cg(grade_code(grading))
    if len(said) > 100_000:
        said.clear()
    return rows, cols


def staged_rows(fresh: Mapping[int, Relationship | Plain], file: str) -> LinkRows:
    """The rows of new relationships by edge key, numbered from 1, written into a new staging
    database at ``file``."""
    rows, cols = keyed_rows(fresh, 1)
    db = sqlite3.connect(file)
    try:
        db.executescript(sql("staging_pragmas"))
        db.execute(sql("staged_links_table"))
        db.executemany(sql("stage_link"), rows)
        db.commit()
    finally:
        db.close()
    return LinkRows(file, cols, len(rows))
