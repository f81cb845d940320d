"""New relationships made into the embedded store's rows and index columns, by their edge keys.

Pure functions of the relationships and the entities' node numbers: the store's write uses them
inside its transaction, and a first load may run them in another process while the store writes
the entities (:mod:`contextgraph.interchange.staged_links`). Both give the same rows.
"""

from __future__ import annotations

import sqlite3
from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

import orjson

from ...model import Assertion, Relationship, grade_code
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


def _write_staged(file: str, plain: Sequence[Row], full: Sequence[Row]) -> None:
    """A new staging database at ``file`` holding ``plain`` rows (key, date, grading and
    statement) and ``full`` ones (every value but the type and ends)."""
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


Line = tuple[str, str, str, str | None, str | None, str | None]
"""A checked line of one statement and no properties: (type, source, target, source_ref, date,
grading), as :data:`contextgraph.interchange.typed.Plain`."""


class _Encoded(dict[tuple[str | None, ...], str]):
    """Each lone statement of a relationship, keyed by its source, date and grading (and its
    subject and object when they are not the relationship's own ends), encoded as the store keeps
    it the first time it is asked for."""

    def __missing__(self, key: tuple[str | None, ...]) -> str:
        body = self[key] = orjson.dumps([key]).decode()
        return body


def checked_rows(checked: Iterable[Line | Relationship], ids: Sequence[str], file: str) -> LinkRows:
    """The checked relationships of a first load grouped by edge key and written into a new
    staging database at ``file``, the entities numbered 1, 2, ... in the order of ``ids``: a
    plain row (key, date, grading and statement) for a relationship of one statement, by its own
    ends or the other way round, with no properties, and every value but the type and ends for
    any other; the copy into the store fills in the rest (``put_staged_links``), so that the
    store's rows are those :func:`keyed_rows` makes. One pass groups them, keeping a
    :data:`Line` as its statement's values (most rows), and the rows and index columns are then
    made column by column rather than row by row.

    >>> import tempfile
    >>> lines = [("SEEN_AT", "c-1", "l-1", "n1", "2024-01-02", "1B P"), ("SEEN_AT", "c-1", "l-1", "n2", None, None)]
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     made = checked_rows(lines, ["c-1", "l-1"], tmp + "/links.db")
    >>> made.count, list(made.columns.counts)
    (1, [2])
    """
    nid = {i: n for n, i in enumerate(ids, 1)}
    tcode, symmetric, names = TYPE_CODE, SYMMETRIC, list(TYPE_CODE)
    at: dict[int, int] = {}  # edge key -> its row's place
    keys: list[int] = []
    # each row's lone statement as (source_ref, date, grading), with its subject and object when
    # they are the row's ends the other way round; or the relationship of several lines
    said: list[Said | Relationship] = []
    slot, new_key, new_said = at.setdefault, keys.append, said.append
    size = 0

    def whole(k: int, s: Said | Relationship) -> Relationship:
        if s.__class__ is not tuple:
            assert isinstance(s, Relationship)
            return s
        src, dst = ids[((k >> 28) & MASK) - 1], ids[(k & MASK) - 1]
        a = Assertion(*s, src, dst) if len(s) == 3 else Assertion(*s)  # type: ignore[arg-type]
        return Relationship(names[k >> 56], src, dst, [a], {})

    for v in checked:
        if v.__class__ is tuple:
            t, src, dst, ref, day, grading = v
            if dst < src and t in symmetric:
                k = (tcode[t] << 56) | (nid[dst] << 28) | nid[src]
                mine: Said | Relationship = (ref, day, grading, src, dst)
            else:
                k = (tcode[t] << 56) | (nid[src] << 28) | nid[dst]
                mine = (ref, day, grading)
        else:
            assert isinstance(v, Relationship)
            k = (tcode[v.type] << 56) | (nid[v.source] << 28) | nid[v.target]
            mine = v
        n = slot(k, size)
        if n == size:
            new_key(k)
            new_said(mine)
            size += 1
        else:
            said[n] = merge_relationship(whole(k, said[n]), whole(k, mine))
    del at
    return _staged_columns(keys, said, file)


Said = tuple[str | None, ...]
"""A lone statement of a relationship, as :func:`checked_rows` keeps it."""


def _staged_columns(keys: list[int], said: list[Said | Relationship], file: str) -> LinkRows:
    """:func:`checked_rows`'s rows and columns from the grouped keys and statements."""
    enc = _Encoded()
    count = len(keys)
    full = [n for n, s in enumerate(said) if s.__class__ is not tuple]
    # each row's first seen and grading as its lone statement gives them; the others' set below
    firsts: list[str | None] = [s[1] if s.__class__ is tuple else None for s in said]
    grades: list[str | None] = [s[2] if s.__class__ is tuple else None for s in said]
    full_rows: list[Row] = []
    plain_rows: list[Row] = []
    summaries = []
    start = 0
    for n in [*full, count]:  # the rows of lone statements between those of several, a run at a time
        if n > start:
            part = map(enc.__getitem__, said[start:n])  # type: ignore[arg-type]
            plain_rows += zip(
                range(start + 1, n + 1), keys[start:n], firsts[start:n], grades[start:n], part, strict=True
            )
        start = n + 1
        if n == count:
            break
        r = said[n]
        assert isinstance(r, Relationship)
        first, last, times, grading, body = _summary(r, enc)
        firsts[n], grades[n] = first, grading
        summaries.append((n, last, times))
        full_rows.append((n + 1, keys[n], first, last, times, grading, body, dumps(r.properties)))
    day_of = {x: day_number(x) for x in set(firsts)}
    grade_of = {g: grade_code(g) for g in set(grades)}
    day_list = array("i", map(day_of.__getitem__, firsts))
    lasts = array("i", day_list)
    counts = array("i", [1]) * count
    for n, last, times in summaries:
        lasts[n], counts[n] = day_number(last), times
    cols = Columns(
        bytearray(k >> 56 for k in keys),
        array("i", [(k >> 28) & MASK for k in keys]),
        array("i", [k & MASK for k in keys]),
        day_list,
        lasts,
        counts,
        bytearray(map(grade_of.__getitem__, grades)),
    )
    _write_staged(file, plain_rows, full_rows)
    return LinkRows(file, cols, count)
