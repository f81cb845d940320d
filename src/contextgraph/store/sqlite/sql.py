"""The embedded store's named SQL queries, in ``queries/*.sql`` beside it.

The files follow the ``-- name:`` habit of the Cypher (see :mod:`contextgraph.queries`), and
Python asks for a query by name. Values always travel as parameters; a list of values
travels as one JSON array parameter, read in SQL with ``json_each``.
"""

from __future__ import annotations

from collections.abc import Iterable
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
