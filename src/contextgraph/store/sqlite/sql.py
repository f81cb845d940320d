"""The embedded store's named SQL queries, in ``queries/*.sql`` beside it.

The files follow the ``-- name:`` habit of the Cypher (see :mod:`contextgraph.queries`), and
Python asks for a query by name. Values always travel as parameters; a list of values
travels as one JSON array parameter, read in SQL with ``json_each``.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

import orjson

from ...queries import QueryError, load

FOLDER = Path(__file__).parent / "queries"
VERSION = "__VERSION__"


def named() -> dict[str, str]:
    """Every named query of the embedded store."""
    return load(FOLDER, "*.sql")


@cache
def sql(name: str) -> str:
    """The text of a named query.

    >>> sql("count_postcodes")
    'SELECT count(*) FROM postcodes'
    """
    try:
        return named()[name]
    except KeyError:
        raise QueryError(f"no SQL query named {name!r}") from None


def set_version(version: int) -> str:
    """The statement that records the schema's version (a pragma takes no parameters, so the
    number is written into it; only an integer is).

    >>> set_version(4)
    'PRAGMA user_version = 4'
    """
    return sql("set_user_version").replace(VERSION, str(int(version)))


def values(seq: Iterable[object]) -> str:
    """A list of values as the one JSON parameter that ``json_each`` reads.

    >>> values([3, 1])
    '[3,1]'
    """
    return orjson.dumps(list(seq)).decode()


ROWS_PER_INSERT = 100
"""How many rows :func:`insert_rows` inserts in one statement."""


@cache
def _many(statement: str, per: int) -> str:
    head, values_, group = statement.rpartition("VALUES")
    if not values_ or not group.strip().startswith("(") or not group.strip().endswith(")"):
        raise QueryError(f"not an INSERT of one row of VALUES: {statement!r}")
    return f"{head}VALUES {', '.join([group.strip()] * per)}"


def insert_rows(db: sqlite3.Connection, statement: str, rows: Sequence[Sequence[object]]) -> None:
    """``rows`` inserted by ``statement``, an INSERT of one row of ``VALUES (?, ...)``, many rows to
    a statement (as many as SQLite's limit on a statement's variables allows, at most
    :data:`ROWS_PER_INSERT`): a large load makes a hundredth of the calls into SQLite, about a
    third faster than one row at a time. The rows go in their order, each as the one-row
    statement takes it.

    >>> db = sqlite3.connect(":memory:")
    >>> _ = db.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    >>> insert_rows(db, "INSERT INTO t (a, b) VALUES (?, ?)", [(n, str(n)) for n in range(250)])
    >>> db.execute("SELECT count(*), sum(a), max(b) FROM t").fetchone()
    (250, 31125, '99')
    >>> _ = db.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 9)  # as an older SQLite's 999 is to 16 columns
    >>> insert_rows(db, "INSERT INTO t (a, b) VALUES (?, ?)", [(n, "x") for n in range(9)])
    >>> db.execute("SELECT count(*) FROM t").fetchone()
    (259,)
    """
    columns = _many(statement, 1).count("?")
    per = max(1, min(ROWS_PER_INSERT, db.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // max(1, columns)))
    whole = len(rows) // per * per if per > 1 else 0
    if whole:
        chain = itertools.chain.from_iterable
        db.executemany(_many(statement, per), (tuple(chain(rows[i : i + per])) for i in range(0, whole, per)))
    if whole < len(rows):
        db.executemany(statement, rows[whole:])
