"""Tracking records checked in another process and handed over as one SQLite file, so that a
large import reads and checks its records while it reads its facts; and, for a first load,
relationships made into rows the same way while the entities are written.

A :class:`Stager` gathers the records in the process that reads them; :meth:`Stager.finish`
writes them into a staging file (no journal, never synced: it is read once, by the process that
asked for it, which removes it) and gives a :class:`StagedTracking` naming it, small enough to
cross a pipe at once. The embedded store attaches the file and copies its rows in a statement
each (:meth:`SQLiteTxn.put_staged_tracking`); any other store reads them back as records
(:meth:`StagedTracking.read`).
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from ..model import Relationship
from ..model.tracked import Tracked
from .errors import StoreError


def staging_file(folder: Path) -> Path:
    """A new, empty file in ``folder`` for a staging database, named for no other (readable and
    writable by its owner only).

    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     staging_file(Path(tmp)).name.startswith("staged-")
    True
    """
    fd, name = tempfile.mkstemp(prefix="staged-", suffix=".db", dir=folder)
    os.close(fd)
    return Path(name)


def _held() -> bool:
    return True


def _none() -> None:
    return None


@dataclass(frozen=True)
class StagedTracking:
    """Checked tracking records, staged in a file: what a write needs to know of them besides.

    The file may still be being written by the process that read them when the write begins:
    :attr:`written` waits for it."""

    file: str
    """The staging database's file."""
    count: int
    """How many records (a repeated id counted once: the last line read wins)."""
    involves: tuple[str, ...]
    """Every entity the records name, each once."""
    path: str
    """The file they were read from, to name a record's line in a message."""
    written: Callable[[], bool] = field(default=_held, compare=False, repr=False)
    """Waits until the file is written; whether it holds the records (when not, :attr:`again`
    reads them where the write is made)."""
    again: Callable[[], list[tuple[str, Tracked]]] | None = field(default=None, compare=False, repr=False)
    """The records with their file and line, read again from :attr:`path`."""
    stop: Callable[[], None] = field(default=_none, compare=False, repr=False)
    """Ends the process writing the file, whatever it is doing (once the write is done or has failed)."""

    def __len__(self) -> int:
        return self.count

    def read(self) -> list[tuple[str, Tracked]]:
        """Each record with its file and line, in the order of their lines."""
        from .sqlite.sql import sql  # not at the top: the embedded store's package imports this one

        if not self.written():
            if self.again is None:
                raise StoreError(f"{self.path}: the staged tracking records were not written; nothing was changed")
            return self.again()
        with closing(sqlite3.connect(self.file)) as db:
            rows = db.execute(sql("staged_bodies")).fetchall()
        return [(f"{self.path}:{line}", Tracked.from_stored(orjson.loads(body))) for line, body in rows]


def staged_subjects(staged: StagedTracking) -> Iterator[list[tuple[str, str, str]]]:
    """The staged records' (line, id, subject), a chunk at a time, read without making records."""
    from .sqlite.sql import sql  # as in read

    if not staged.written():
        rows = [(at, t.id, t.subject) for at, t in staged.read()]
        for i in range(0, len(rows), 10_000):
            yield rows[i : i + 10_000]
        return
    with closing(sqlite3.connect(staged.file)) as db:
        cur = db.execute(sql("staged_bodies"))
        while chunk := cur.fetchmany(10_000):
            out = []
            for line, body in chunk:
                obj = orjson.loads(body)
                out.append((f"{staged.path}:{line}", str(obj["id"]), str(obj["subject"])))
            yield out


class Stager:
    """Gathers checked records for a :class:`StagedTracking`.

    >>> from contextgraph.model.tracked import Tracked
    >>> s = Stager()
    >>> t = Tracked.made("r1", "missing_episode", "c1", "2024-03-01", "n1", "tracker", None, None, {})
    >>> s.add(4, t)
    >>> s.summary()
    (1, ('c1',))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     staged = s.finish("tracking.jsonl", tmp + "/staged.db")
    ...     staged.count, staged.involves, [(at, r.id) for at, r in staged.read()]
    (1, ('c1',), [('tracking.jsonl:4', 'r1')])
    """

    def __init__(self) -> None:
        self._kept: dict[str, tuple[int, Tracked]] = {}  # record id -> its line and record

    def add(self, line: int, t: Tracked) -> None:
        """One checked record, read at ``line``; a later one of the same id replaces it, in the first
        one's place (as a write of the records read in one process orders them). Kept as it is: its
        row is made when the records are written, after the reader has answered."""
        self._kept[t.id] = (line, t)

    def summary(self) -> tuple[int, tuple[str, ...]]:
        """How many records, and every entity they name, each once (see :class:`StagedTracking`)."""
        return len(self._kept), tuple(dict.fromkeys(e for _, t in self._kept.values() for _, e, _ in t.named()))

    def write(self, file: str) -> None:
        """The records written into a new staging database at ``file``."""
        from .sqlite.sql import insert_rows, sql

        rows = []
        names = []
        for line, t in self._kept.values():
            rows.append((t.id, line, t.record, t.subject, t.date, orjson.dumps(t.to_json()).decode()))
            named: dict[str, str] = {}  # entity id -> the first field naming it
            for name, eid, _ in t.named():
                named.setdefault(eid, name)
            names += [(e, t.id, f) for e, f in named.items()]
        db = sqlite3.connect(file)
        try:
            db.executescript(sql("staging_pragmas"))
            db.execute(sql("staged_tracking_table"))
            db.execute(sql("staged_names_table"))
            insert_rows(db, sql("stage_tracking"), rows)
            insert_rows(db, sql("stage_name"), names)
            db.commit()
        finally:
            db.close()

    def finish(self, path: str, file: str) -> StagedTracking:
        """The records written into a new staging database at ``file`` (``path``: the file they
        were read from)."""
        self.write(file)
        return StagedTracking(file, *self.summary(), path)


def named_in(tracking: Sequence[Tracked] | StagedTracking) -> Iterable[str]:
    """Every entity a write's tracking records name (an id may come more than once).

    >>> named_in(StagedTracking("staged.db", 0, ("c1", "l2"), "t.jsonl"))
    ('c1', 'l2')
    """
    if isinstance(tracking, StagedTracking):
        return tracking.involves
    return (e for t in tracking for e in t.involves)


@dataclass(frozen=True)
class LinkRows:
    """New relationships as the embedded store's rows, made by another process."""

    file: str
    """A staging database's file holding the rows, numbered from 1."""
    columns: Sequence[Sequence[int]]
    """The index's columns of the rows (see :class:`contextgraph.store.sqlite.rows.Columns`)."""
    count: int
    """How many rows: relationships, those of one type between the same two entities counted once."""


@dataclass(frozen=True)
class StagedRelationships:
    """The relationships of a first load, read, checked and made into rows by another process
    while the entities are written (:mod:`contextgraph.interchange.staged_links`).

    The rows number the entities by :attr:`ids`: a store takes them only when it holds no
    relationship and its entities are exactly those, numbered so; otherwise, or when the other
    process failed, :attr:`read` gives the relationships read here, as they would have been.
    Every end of every relationship is one of :attr:`ids`.
    """

    count: int
    """How many relationships were read (a line each)."""
    ids: tuple[str, ...]
    """The entities' ids, the rows' node numbers 1, 2, ... in this order."""
    rows: Callable[[], LinkRows | None]
    """Waits for the rows; None if the other process could not make them."""
    read: Callable[[], list[Relationship]]
    """The relationships, read in this process."""
    stop: Callable[[], None]
    """Ends the other process, whatever it is doing (once the write is done or has failed)."""

    def __len__(self) -> int:
        return self.count
